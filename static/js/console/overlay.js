// The console's 大屏 Overlay panel: what the overlay shows now, a live preview
// of it, the kill switch, the overlay URLs for OBS and the key rotation.
//
// The preview is the real overlay page (/overlay/<bid>?key=...) in an iframe,
// rendered at 1920x1080 and scaled down with a CSS transform (the overlay sizes
// its text from the frame height; a small frame would hit the browser's minimum
// font size), over a checkerboard that stands for transparency. It follows the
// hub on its own socket, exactly as OBS does, with ?preview=1: it draws what
// the moderators cued (console/scenes.js), and what is on air while nothing is.
//
// The key `x` (clear the overlay, every tab) belongs to the shell; this panel
// registers no keys.

import { busy, copyRow, errorText, field, follow, h, mountWithLang, setText, whenShown } from './panel-kit.js';
import { mountScenes } from './scenes.js';

export const CHOICES = ['question', 'poll', 'likes', 'qr', 'ticker', 'none'];
// The widget URLs of docs/obs.md, all-widgets first.
export const WIDGET_URLS = ['', 'question', 'poll', 'likes', 'viewers', 'qr', 'ticker', 'title'];
const FRAME_W = 1920;
const FRAME_H = 1080;

// --- pure helpers (node --test) --------------------------------------------------------

/** The overlay URL of one widget ('' = every widget): /overlay/<bid>/<widget>?key=... */
export function widgetUrl(overlayUrl, widget) {
  if (!overlayUrl) return '';
  const url = new URL(overlayUrl, 'http://x.invalid');
  if (widget) url.pathname = `${url.pathname.replace(/\/$/, '')}/${widget}`;
  return /^https?:\/\//.test(overlayUrl) ? url.href : `${url.pathname}${url.search}`;
}

/**
 * Which choice button matches the overlay state {show, poll}; 'scene' while a
 * scene is on air (its widgets: console/scenes.js), which no single button matches.
 */
export function currentChoice(overlay) {
  if (overlay?.scene && Array.isArray(overlay.layers) && overlay.layers.length) return 'scene';
  const show = overlay?.show ?? null;
  return show === null ? 'none' : CHOICES.includes(show) ? show : 'none';
}

/** The overlay command for a choice: the fields of `overlay` (docs/protocol.md). */
export function overlayCommand(choice, pollId) {
  if (choice === 'none') return { show: null };
  if (choice === 'poll') return { show: 'poll', poll: pollId };
  return { show: choice };
}

/**
 * The poll to preselect: the open one (the one shown if it is open, else the
 * newest open), else the latest (the newest not in draft: drafts never reach
 * the overlay). A closed poll on the screen does not hold the menu once
 * another poll is open.
 */
export function defaultPoll(polls, overlay) {
  const list = [...polls];
  const newest = (a, b) => (b.created ?? 0) - (a.created ?? 0) || b.id - a.id;
  const open = list.filter((p) => p.state === 'open').sort(newest);
  const shown = open.find((p) => overlay?.poll != null && Number(p.id) === Number(overlay.poll));
  if (shown) return shown.id;
  if (open.length) return open[0].id;
  const latest = list.filter((p) => p.state !== 'draft').sort(newest);
  return latest.length ? latest[0].id : null;
}

// --- the panel -------------------------------------------------------------------------

export function mount(el, ctx) {
  return mountWithLang(el, ctx, build);
}

function build(el, ctx) {
  const t = ctx.t;
  el.classList.add('cp-panel', 'cp-overlay');

  // Preview
  const frame = h('iframe', { className: 'cp-preview-frame', title: t('overlay_preview_title'),
    attrs: { tabindex: '-1', referrerpolicy: 'no-referrer', width: FRAME_W, height: FRAME_H } });
  const frameNote = h('p', { className: 'cp-preview-note', attrs: { role: 'status' } });
  const box = h('div', { className: 'cp-preview' }, frame, frameNote);
  const nowText = h('p', { className: 'cp-now' });
  const reload = h('button', { type: 'button', className: 'cp-btn cp-btn-small cp-btn-quiet', text: t('overlay_reload_preview') });

  // Choices
  const buttons = new Map();
  const grid = h('div', { className: 'cp-choices', attrs: { role: 'group', 'aria-label': t('overlay_choose') } });
  const pollSelect = h('select', { className: 'cp-input', attrs: { name: 'overlay-poll' } });
  const airNote = h('p', { className: 'cp-hint' });
  for (const choice of CHOICES) {
    const b = h('button', { type: 'button', className: 'cp-choice', dataset: { choice },
      attrs: { 'aria-pressed': 'false' } },
    h('span', { className: 'cp-choice-name', text: t(`overlay_choice_${choice}`) }),
    h('span', { className: 'cp-choice-hint', text: t(`overlay_choice_${choice}_hint`) }));
    b.addEventListener('click', () => choose(choice, b));
    buttons.set(choice, b);
    grid.append(b);
  }
  const kill = h('button', { type: 'button', className: 'cp-kill', dataset: { action: 'clear-overlay' } },
    h('span', { className: 'cp-kill-name', text: t('overlay_kill') }),
    h('span', { className: 'cp-kill-key', text: t('overlay_kill_key') }));
  kill.addEventListener('click', () => choose('none', kill));

  // URLs for OBS
  const urlRows = WIDGET_URLS.map((w) => ({ w, ...copyRow(ctx, t(`overlay_url_${w || 'all'}`)) }));
  const rotate = h('button', { type: 'button', className: 'cp-btn cp-btn-danger', text: t('overlay_rotate') });
  const urlNote = h('p', { className: 'cp-hint', attrs: { role: 'status' } });

  const production = mountScenes(ctx);
  const [cueCard, sceneCard, hostCard] = production.cards;
  el.replaceChildren(
    h('div', { className: 'cp-cols cp-cols-wide' },
      h('section', { className: 'cp-card cp-preview-card', attrs: { 'aria-labelledby': 'cp-ovl-prev-h' } },
        h('div', { className: 'cp-card-head' },
          h('h2', { className: 'cp-title', id: 'cp-ovl-prev-h', text: t('overlay_preview') }), reload),
        box, nowText, cueCard),
      h('section', { className: 'cp-card cp-control-card', attrs: { 'aria-labelledby': 'cp-ovl-ctl-h' } },
        h('h2', { className: 'cp-title', id: 'cp-ovl-ctl-h', text: t('overlay_control') }),
        kill,
        grid,
        field(t('overlay_which_poll'), pollSelect),
        airNote)),
    sceneCard,
    hostCard,
    h('section', { className: 'cp-card cp-urls', attrs: { 'aria-labelledby': 'cp-ovl-url-h' } },
      h('h2', { className: 'cp-title', id: 'cp-ovl-url-h', text: t('overlay_urls') }),
      h('p', { className: 'cp-hint', text: t('overlay_urls_hint') }),
      h('div', { className: 'cp-url-grid' }, urlRows.map((r) => r.row)),
      h('div', { className: 'cp-danger-zone' },
        h('p', { className: 'cp-hint', text: t('overlay_rotate_hint') }), rotate),
      urlNote),
  );

  let latest = ctx.state;
  let pickedPoll = null; // the moderator's pick in the select; null = follow the state
  let shownPoll = null; // the overlay's poll as last drawn
  let overlayUrl = ''; // absolute, from links.overlay (public base URL)
  let key = '';
  let wantFrame = false;

  async function choose(choice, button) {
    const fields = overlayCommand(choice, Number(pollSelect.value) || null);
    if (choice === 'poll' && !fields.poll) {
      ctx.toast(t('overlay_no_poll'), 'error');
      pollSelect.focus();
      return;
    }
    await busy(button, async () => {
      await ctx.send('overlay', fields);
      ctx.toast(t(choice === 'none' ? 'overlay_did_clear' : 'overlay_did_show', { what: t(`overlay_choice_${choice}`) }), 'ok');
    }, (err) => ctx.toast(errorText(ctx, err), 'error'));
  }
  pollSelect.addEventListener('change', () => {
    pickedPoll = Number(pollSelect.value) || null;
  });

  // --- the live state --------------------------------------------------------------------
  const render = (state) => {
    latest = state ?? latest;
    const overlay = latest?.overlay ?? {};
    const current = currentChoice(overlay);
    // Someone (here or in another console) showed another poll: follow it.
    if ((overlay.poll ?? null) !== shownPoll) {
      shownPoll = overlay.poll ?? null;
      pickedPoll = null;
    }
    for (const [choice, b] of buttons) {
      const on = choice === current;
      b.setAttribute('aria-pressed', String(on));
      b.classList.toggle('is-current', on);
    }
    kill.classList.toggle('is-idle', current === 'none');
    const polls = [...(latest?.polls?.values?.() ?? [])];
    polls.sort((a, b) => (b.created ?? 0) - (a.created ?? 0) || b.id - a.id);
    const want = pickedPoll && polls.some((p) => p.id === pickedPoll) ? pickedPoll : defaultPoll(polls, overlay);
    // Rebuilt only when the list changed (keeps an open dropdown usable).
    const sig = JSON.stringify(polls.map((p) => [p.id, p.state, p.question]));
    if (pollSelect.dataset.sig !== sig) {
      pollSelect.dataset.sig = sig;
      pollSelect.replaceChildren(
        h('option', { value: '', text: polls.length ? t('overlay_pick_poll') : t('overlay_no_polls') }),
        ...polls.map((p) => h('option', { value: String(p.id), disabled: p.state === 'draft',
          text: `#${p.id} ${String(p.question ?? '')} · ${t(`polls_state_${p.state}`)}` })));
    }
    pollSelect.value = want == null ? '' : String(want);
    // The shell's model keeps the on-air question's id (model.js).
    const air = latest?.onAir ?? null;
    const onAir = air !== null && typeof air === 'object' ? air : (latest?.questions?.get?.(air) ?? null);
    setText(airNote, onAir ? t('overlay_on_air', { text: clipText(onAir.text, 60) }) : t('overlay_nothing_on_air'));
    let what = current === 'scene'
      ? (overlay.scenes ?? []).find((x) => x.id === overlay.scene)?.name ?? overlay.scene
      : t(`overlay_choice_${current}`);
    if (current === 'poll' && overlay.poll != null) what = `${what} #${overlay.poll}`;
    setText(nowText, t('overlay_showing_now', { what }));
    if (current === 'question' && !onAir) setText(nowText, `${t('overlay_showing_now', { what })} · ${t('overlay_question_empty')}`);
  };
  const live = follow(ctx, render);

  // --- preview and URLs --------------------------------------------------------------------
  const fit = () => {
    const w = box.clientWidth;
    if (w > 0) frame.style.setProperty('transform', `scale(${w / FRAME_W})`); // CSSOM: CSP-safe
  };
  const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(fit) : null;
  ro?.observe(box);

  const loadFrame = () => {
    if (!wantFrame || !key) return;
    const src = `/overlay/${encodeURIComponent(ctx.bid)}?key=${encodeURIComponent(key)}&preview=1`;
    if (frame.getAttribute('src') !== src) frame.setAttribute('src', src);
    setText(frameNote, '');
    fit();
  };
  const setLinks = (res) => {
    key = typeof res?.overlay_key === 'string' ? res.overlay_key : '';
    overlayUrl = res?.links?.overlay ?? (key ? `${location.origin}/overlay/${encodeURIComponent(ctx.bid)}?key=${encodeURIComponent(key)}` : '');
    for (const r of urlRows) r.set(widgetUrl(overlayUrl, r.w));
    loadFrame();
  };
  const loadLinks = async () => {
    try {
      setLinks(await ctx.api('GET', `/api/broadcasts/${encodeURIComponent(ctx.bid)}`));
    } catch (err) {
      const text = errorText(ctx, err);
      setText(frameNote, text);
      setText(urlNote, text);
    }
  };
  setText(frameNote, t('panel_loading'));
  loadLinks();
  // The preview is a second socket to the hub: opened when the tab is first seen.
  const stopWatching = whenShown(box, () => {
    wantFrame = true;
    loadFrame();
    fit();
  });
  reload.addEventListener('click', () => {
    if (!frame.getAttribute('src')) return;
    frame.setAttribute('src', frame.getAttribute('src'));
  });

  rotate.addEventListener('click', () => {
    if (!globalThis.confirm(t('overlay_rotate_confirm'))) return;
    busy(rotate, async () => {
      // The preview leaves first: its socket would be closed with 4401 (and
      // say so in the browser console) by the rotation it is part of.
      const before = frame.getAttribute('src');
      if (before) await blank(frame);
      let res;
      try {
        res = await ctx.api('POST', `/api/broadcasts/${encodeURIComponent(ctx.bid)}/overlay-key`, {});
      } catch (err) {
        if (before) frame.setAttribute('src', before);
        throw err;
      }
      setLinks(res);
      setText(urlNote, t('overlay_rotated'));
      ctx.toast(t('overlay_rotated'), 'ok');
    }, (err) => ctx.toast(errorText(ctx, err), 'error'));
  });

  return {
    unmount() {
      live.unsubscribe();
      production.unmount();
      ro?.disconnect();
      stopWatching();
      frame.removeAttribute('src');
    },
  };
}

function clipText(text, max) {
  const chars = Array.from(String(text ?? '').replace(/\s+/g, ' ').trim());
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** Navigate the frame to about:blank; resolves once it got there (or after 1 s). */
function blank(frame) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      frame.removeEventListener('load', done);
      resolve();
    };
    const timer = setTimeout(done, 1000);
    frame.addEventListener('load', done);
    frame.setAttribute('src', 'about:blank');
  });
}
