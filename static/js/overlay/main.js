// The OBS overlay: /overlay/<bid>?key=... (every widget) or /overlay/<bid>/<widget>.
// The widgets on air are the layers of the moderators' current scene, each in
// a region of its own (docs/obs.md, "Scenes"); with ?preview=1 (the console's
// preview) the page draws the moderators' cue instead, marked as a preview.
//
// A browser source is set up once and left alone for hours, so this page:
// * shows nothing until the moderator puts something on screen; what is
//   wrong is in the browser console, and a wrong key or broadcast also in a
//   notice that hides itself after a few seconds (./notice.js);
// * reconnects forever (static/js/shared/socket.js: backoff, heartbeat, resume) and,
//   after a reconnect or a reload, redraws only what changed: no flash;
// * keeps a fixed set of nodes: widgets are built once, their content replaced.
// It uses no scripting API the broadcast software offers to pages, and asks for
// no permission. The protocol is docs/protocol.md; the URL parameters and the
// class names for custom CSS are in docs/obs.md.

import { HubSocket } from '../shared/socket.js';
import { applyMessage } from '../shared/state.js';
import { CLOSE } from '../shared/contract.js';
import { motionWanted } from './dom.js';
import { el } from '../shared/dom.js';
import {
  initialOverlayState,
  isVisible,
  pollView,
  questionView,
  tickerItems,
  titleView,
} from './model.js';
import { label, setLang } from './labels.js';
import { watchRegions } from './regions.js';
import { POSITIONS, parseOverlayUrl } from './params.js';
import { showNotice } from './notice.js';
import {
  LikesWidget,
  PollWidget,
  QrWidget,
  QuestionWidget,
  TickerWidget,
  TitleWidget,
  ViewersWidget,
} from './widgets.js';

const LOG = '协商在线 overlay:';

// Why a connection ended for good, for the person looking at the console.
const TERMINAL_REASONS = {
  [CLOSE.UNAUTHORIZED]: 'the overlay key is wrong or was rotated: copy the overlay URL again from the moderator console',
  [CLOSE.NOT_FOUND]: 'no such broadcast: check the broadcast id in the URL',
  [CLOSE.FORBIDDEN]: 'the hub refused this page (origin not allowed: check ALLOWED_ORIGINS)',
  4400: 'protocol error (this page and the hub disagree: reload the source)',
  1009: 'a message was too large (a bug: please report it)',
};

function applyLook(params) {
  const root = document.documentElement;
  root.classList.add(`xs-theme-${params.theme}`);
  if (!motionWanted(params)) root.classList.add('xs-still');
  root.style.setProperty('--xs-scale', String(params.scale));
  root.style.setProperty('--xs-safe', String(params.safe));
  if (params.colors.accent) root.style.setProperty('--xs-accent', params.colors.accent);
  if (params.colors.bg) root.style.setProperty('--xs-panel', params.colors.bg);
  if (params.colors.fg) root.style.setProperty('--xs-fg', params.colors.fg);
}

// The link the QR code encodes (server/web/overlay_pages.py puts it in a meta tag),
// shown without its scheme; else this page's own /b/<bid>.
function joinLink(bid) {
  const meta = document.querySelector('meta[name="xs-join-url"]')?.getAttribute('content');
  const url = meta || `${globalThis.location.origin}/b/${encodeURIComponent(bid)}`;
  return url.replace(/^https?:\/\//, '');
}

function buildStage(params) {
  const stage = document.getElementById('xs-stage') ?? document.body.appendChild(el('main'));
  stage.className = 'xs-stage';
  const safe = el('div', 'xs-safe');
  const slots = {};
  for (const pos of POSITIONS) {
    slots[pos] = el('div', `xs-slot xs-slot-${pos}`);
    safe.append(slots[pos]);
  }
  stage.replaceChildren(safe);

  const motion = motionWanted(params);
  const link = joinLink(params.bid);
  const make = {
    question: (pos) => new QuestionWidget(pos),
    poll: (pos) => new PollWidget(pos),
    likes: (pos) => new LikesWidget(pos, { hearts: params.hearts && motion }),
    viewers: (pos) => new ViewersWidget(pos),
    qr: (pos) => new QrWidget(pos, { bid: params.bid, link }),
    ticker: (pos) => new TickerWidget(pos, { mode: motion ? params.ticker : 'static' }),
    title: (pos) => new TitleWidget(pos),
  };
  const widgets = {};
  for (const name of params.widgets) {
    let pos = params.pos[name];
    // The ticker spans the safe area's width: only its row counts.
    if (name === 'ticker') pos = `${pos[0]}c`;
    const widget = make[name](pos);
    widget.node.classList.add(`xs-at-${pos}`);
    if ('motion' in widget) widget.motion = motion;
    widgets[name] = widget;
    slots[pos].append(widget.node);
  }
  // Shown while something is cued: this frame then differs from the air.
  const mark = params.preview ? el('div', 'xs-preview-mark', label('preview')) : null;
  if (mark) {
    mark.hidden = true;
    stage.append(mark);
  }
  // The middle row's widgets fit themselves again when the rows around them change.
  watchRegions(stage, slots, () => {
    for (const name of ['poll']) widgets[name]?.refit();
  });
  return { stage, widgets, mark };
}

function main() {
  const params = parseOverlayUrl(globalThis.location.href);
  for (const warning of params.warnings) console.warn(LOG, warning);
  setLang(params.lang);
  document.documentElement.lang = params.lang;
  applyLook(params);
  const body = document.body;
  if (!params.bid) {
    body.dataset.status = 'closed';
    console.error(LOG, 'not an overlay address: use /overlay/<broadcast id>?key=<overlay key>');
    showNotice('noid');
    return;
  }
  if (!params.key) {
    body.dataset.status = 'closed';
    console.error(LOG, 'the URL has no ?key=: copy the overlay URL from the moderator console');
    showNotice('nokey');
    return;
  }
  const { stage, widgets, mark } = buildStage(params);
  let state = initialOverlayState();
  let scheduled = false;

  const render = () => {
    scheduled = false;
    const w = widgets;
    const on = {};
    const preview = params.preview;
    for (const name of Object.keys(w)) on[name] = isVisible(name, state, params.always, preview);
    // Content first, then visibility: a widget coming on screen is fitted with
    // its new content. Viewer text enters a widget's nodes only while it is shown.
    if (w.question) {
      if (on.question) w.question.update(questionView(state, preview));
      w.question.setVisible(on.question);
    }
    if (w.poll) {
      if (on.poll) w.poll.update(pollView(state, preview));
      w.poll.setVisible(on.poll);
    }
    if (w.ticker) {
      if (on.ticker) w.ticker.update(tickerItems(state));
      w.ticker.setVisible(on.ticker);
      const row = w.ticker.pos[0];
      stage.classList.toggle('has-ticker-t', on.ticker && row === 't');
      stage.classList.toggle('has-ticker-b', on.ticker && row === 'b');
    }
    for (const name of ['likes', 'viewers']) {
      if (!w[name]) continue;
      w[name].setVisible(on[name]);
      w[name].set(name === 'likes' ? Number(state.likes) || 0 : Number(state.presence?.now) || 0);
    }
    if (w.qr) w.qr.setVisible(on.qr);
    if (w.title) {
      if (on.title) w.title.update(titleView(state));
      w.title.setVisible(on.title);
    }
    if (mark) mark.hidden = !state.overlay?.cue;
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // Several frames in one display frame draw once; a hidden page (a source
    // in an inactive scene may be) still catches up within a second.
    if (document.visibilityState === 'visible') requestAnimationFrame(render);
    else setTimeout(render, 250);
  };

  const socket = new HubSocket({
    bid: params.bid,
    role: 'overlay',
    key: params.key,
    onMessage(msg) {
      if (msg.type !== 'snapshot' && msg.type !== 'events') return;
      state = applyMessage(state, msg);
      // Sample data of a rehearsal is marked as such (the console's preview included).
      body.toggleAttribute('data-rehearsal', state.broadcast?.rehearsal === true);
      schedule();
    },
    onStatus(status) {
      body.dataset.status = status.state;
      if (status.state === 'waiting') {
        // Expected over hours (restarts, networks): information, not an error.
        const s = (status.delay / 1000).toFixed(1);
        console.info(LOG, `connection lost (${status.code} ${status.reason || ''}); retrying in ${s} s`);
      } else if (status.state === 'open') {
        console.info(LOG, `connected (${status.resume})`);
      } else if (status.state === 'closed' && status.terminal) {
        const why = TERMINAL_REASONS[status.code] ?? status.reason ?? 'closed';
        body.dataset.error = String(status.code);
        console.error(LOG, `stopped (${status.code}): ${why}`);
        showNotice(status.code); // seen in the OBS preview, gone before long
        // A rotated key revokes this page: take everything off the screen.
        state = initialOverlayState();
        schedule();
      }
    },
  });

  let resizeTimer = null;
  globalThis.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const widget of Object.values(widgets)) widget.refit();
    }, 150);
  });
  // Fitting measures text: measure again once the CJK fonts are ready.
  document.fonts?.ready.then(() => {
    for (const widget of Object.values(widgets)) widget.refit();
  });
  socket.connect();
}

main();
