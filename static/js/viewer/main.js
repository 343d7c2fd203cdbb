// The viewer page (/b/<bid>): ask, upvote, like, vote, follow the broadcast.
//
// Data flow: HubSocket -> applyMessage (state.js, pure) -> render(). Local
// intentions that the hub has not confirmed yet (a question being sent, an
// upvote in flight, taps not yet counted) live in the pure viewer model
// (viewer/model.js: LikeBatcher, UpvoteIntents, AskOutbox) and are drawn on top
// of the state until the hub's answer, and its event, have arrived. This
// module is the DOM layer: it draws, and wires events to the model.
//
// Untrusted text (questions, names, tags, poll options, titles) is only ever
// put into the page with textContent; no HTML is parsed from data anywhere.

import { charCount, formatCount, relativeTime } from '../shared/format.js';
import { initLang, lang, setLang, t } from './i18n.js';
import { HubSocket, randomId, TERMINAL } from '../shared/socket.js';
import { ANONYMOUS, CLOSE } from '../shared/contract.js';
import { createApi } from '../shared/api.js';
import { $, bindI18n, el, setText } from '../shared/dom.js';
import { createFollowup } from './followup.js';
import { buildKindForm, resultNodes, viewerFigures } from './poll-kinds.js';
import { kindLabel } from '../shared/poll-draw.js';
import {
  AskOutbox,
  LikeBatcher,
  UpvoteIntents,
  maxLen,
  mineRows,
  pollView,
  safeStorage,
  voteErrorKey,
} from './model.js';
import {
  applyMessage,
  initialState,
  myQuestions,
  sortedQuestions,
  visiblePolls,
} from '../shared/state.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const HEART_PATH =
  'M12 21.35l-1.45-1.32C5.4 15.36 2 12.28 2 8.5 2 5.42 4.42 3 7.5 3c1.74 0 3.41.81 4.5 2.09' +
  'C13.09 3.81 14.76 3 16.5 3 19.58 3 22 5.42 22 8.5c0 3.78-3.4 6.86-8.55 11.54L12 21.35z';
const ARROW_PATH = 'M12 5l7 8h-4.5v6h-5v-6H5z';
const MAX_HEARTS = 24; // floating hearts on screen at once

const bid = decodeURIComponent(location.pathname.split('/')[2] ?? '');
let state = initialState('viewer');
const view = {
  ready: false, // the first snapshot arrived
  conn: { state: 'connecting' },
  terminal: null, // {key}: why the connection stopped for good
  sort: 'top',
  order: [], // question ids in the order shown
  reflow: true, // next render may re-order the list
  items: new Map(), // question id -> its <li> and last drawn values
  polls: new Map(), // poll id -> {el, parts}
  pollChoice: new Map(), // poll id -> Set of chosen option indexes
  pollSending: new Set(),
  pollAcks: new Map(), // poll id -> vote ack result (until the tally event arrives)
  pollNote: new Map(), // poll id -> i18n key of an error
  tags: '',
  hearts: 0,
  reauthTried: false,
};

const socket = new HubSocket({
  bid,
  role: 'viewer',
  onMessage(msg) {
    followup.onMessage(msg);
    const next = applyMessage(state, msg);
    if (next === state) return;
    if (msg.type === 'snapshot') {
      view.reflow = true;
      view.ready = true;
    }
    state = next;
    scheduleRender();
  },
  onStatus(status) {
    view.conn = status;
    if (status.state === 'closed' && status.terminal) onTerminal(status.code);
    renderConn();
  },
});

// The viewer's intentions (viewer/model.js), wired to the socket and to render().
// Without a viewer id cookie the hub closes with 4401; a 401 here is not a
// reason to leave the page.
const api = createApi({ onUnauthorized: null });
const likes = new LikeBatcher({
  send: (n) => socket.send('like', { n }),
  isClosed: () => socket.state === 'closed',
  onChange: () => renderLikes(),
  onRefused: (code) => toast(code === 'closed' ? 'like_closed' : 'upvote_failed'),
});
const upvotes = new UpvoteIntents({
  send: (qid, on) => socket.send('upvote', { qid, on }),
  getState: () => state,
  onChange: () => render(),
  onFailed: (code) => toast(code === 'closed' ? 'upvote_closed' : 'upvote_failed'),
});
const outbox = new AskOutbox({
  bid,
  storage: safeStorage(),
  send: (ask) => socket.send('ask', { text: ask.text, name: ask.name, tag: ask.tag }, { id: ask.id }),
  newId: () => randomId(8),
  onChange: () => render(),
  onAcked: (result) => followup.asked(result.qid, result.code),
});

// After the show: the 查询码, follow-up state, published reply and rating of
// the viewer's own questions (./followup.js).
const followup = createFollowup({
  bid,
  send: (type, fields) => socket.send(type, fields),
  lang,
  onChange: () => {
    mineSig = '';
    scheduleRender();
  },
});

// --- rendering ---------------------------------------------------------------------

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render() {
  upvotes.settle();
  renderHeader();
  renderBanner();
  renderEnded();
  renderOnAir();
  renderPolls();
  renderAsk();
  renderMine();
  renderList();
  renderLikes();
}

function icon(path, size = 24) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const p = document.createElementNS(SVG_NS, 'path');
  p.setAttribute('fill', 'currentColor');
  p.setAttribute('d', path);
  svg.append(p);
  return svg;
}

function settings() {
  return state.broadcast.settings ?? {};
}

function ended() {
  return state.broadcast.state === 'ended';
}

function renderHeader() {
  const b = state.broadcast;
  const title = $('title');
  if (view.ready) {
    title.removeAttribute('data-i18n');
    setText(title, b.title || '');
    document.title = b.title ? `${b.title} · ${t('brand')}` : t('brand');
  }
  const topic = $('topic');
  setText(topic, b.topic || '');
  topic.hidden = !b.topic;
  // Sample data of a rehearsal never looks real to someone who opens the link early.
  $('rehearsal').hidden = b.rehearsal !== true;
  $('rehearsal-note').hidden = b.rehearsal !== true;
  const badge = $('bc-state');
  badge.hidden = !b.state;
  if (b.state) {
    badge.dataset.state = b.state;
    setText(badge, t(`state_${b.state}`));
  }
  // Presence is reported every few seconds; this page is one of the viewers
  // whatever the last report said.
  let now = state.presence.now;
  if (view.conn.state === 'open') now = Math.max(Number(now) || 0, 1);
  setText($('viewers'), typeof now === 'number' ? t('viewers', { n: formatCount(now, lang()) }) : '');
}

function renderConn() {
  const box = $('conn');
  const s = view.conn.state;
  const shown = s === 'idle' ? 'connecting' : s;
  box.dataset.state = shown;
  setText($('conn-text'), t(`conn_${shown}`));
  renderBanner();
}

function renderBanner() {
  const banner = $('banner');
  let text = '';
  let kind = 'info';
  if (view.terminal) {
    text = t(view.terminal.key);
    kind = 'error';
  }
  banner.hidden = !text;
  banner.dataset.kind = kind;
  setText($('banner-text'), text);
  $('banner-reload').hidden = kind !== 'error';
}

// The ended show: the final like total and the replies page (/r/<bid>) instead
// of the ask form, the like button and the on-air card (docs/console.md).
function renderEnded() {
  const over = ended();
  document.body.toggleAttribute('data-ended', over);
  $('ended').hidden = !over;
  // A page that can no longer take part (banned, unknown broadcast, another
  // terminal close) says so in its title and keeps no dead form.
  const stopped = view.terminal !== null;
  $('ask').hidden = over || stopped;
  $('dock-ask').hidden = stopped;
  if (stopped) {
    const heading = view.ready ? state.broadcast.title || t('brand') : t('terminal_title');
    const title = $('title');
    title.removeAttribute('data-i18n');
    setText(title, heading);
    document.title = `${t('terminal_title')} · ${t('brand')}`;
  }
  if (!over) return;
  setText($('ended-likes'), formatCount(likes.total(state.likes), lang()));
  $('ended-replies').href = `/r/${encodeURIComponent(bid)}`;
}

function renderOnAir() {
  const q = ended() ? null : state.onAir;
  const box = $('onair');
  box.hidden = !q;
  if (!q) return;
  setText($('onair-text'), q.text ?? '');
  const meta = $('onair-meta');
  meta.replaceChildren(...metaParts(q, false));
}

function displayName(q) {
  if (settings().show_names === false) return null;
  const name = q.name || '';
  return name === '' || name === ANONYMOUS ? t('anonymous') : name;
}

function metaParts(q, withTime = true) {
  const parts = [];
  const name = displayName(q);
  if (name) parts.push(el('span', 'name', name));
  if (q.tag) parts.push(el('span', 'tag', q.tag));
  if (withTime && q.created) parts.push(el('span', 'time', relativeTime(q.created, Date.now(), lang())));
  return parts;
}

// --- polls -------------------------------------------------------------------------

function renderPolls() {
  const box = $('polls');
  const polls = visiblePolls(state);
  const seen = new Set();
  const nodes = [];
  for (const poll of polls) {
    seen.add(poll.id);
    let entry = view.polls.get(poll.id);
    if (!entry) {
      entry = buildPoll(poll);
      view.polls.set(poll.id, entry);
    }
    updatePoll(entry, poll);
    nodes.push(entry.el);
  }
  for (const [id, entry] of view.polls) {
    if (!seen.has(id)) {
      entry.el.remove();
      view.polls.delete(id);
    }
  }
  placeInOrder(box, nodes);
}

function buildPoll(poll) {
  const card = el('article', 'card poll');
  card.dataset.poll = String(poll.id);
  const kicker = el('p', 'poll-kicker');
  const question = el('h3', 'poll-q');
  const qid = `poll-q-${poll.id}`;
  question.id = qid;
  card.setAttribute('aria-labelledby', qid);
  const results = el('div', 'results');
  const note = el('p', 'poll-note');
  note.setAttribute('role', 'status');
  card.append(kicker, question, results, note);
  return { el: card, kicker, question, results, note, form: null, formSig: '' };
}

function updatePoll(entry, poll) {
  const { mine, tallies, ballots, canVote } = pollView(poll, view.pollAcks.get(poll.id), ended());
  // Redrawn only when something it shows changed (likes and presence events
  // re-render the page several times a second).
  const sig = JSON.stringify([poll.question, poll.options, poll.state, poll.multi, poll.results,
    mine, tallies, ballots, canVote, view.pollSending.has(poll.id), view.pollNote.get(poll.id),
    lang()]);
  if (sig === entry.sig) return;
  entry.sig = sig;
  entry.el.dataset.state = poll.state;
  const kind = poll.kind ?? 'choice';
  const kicker = [
    el('span', 'pill', kind === 'choice' ? t('poll') : kindLabel(kind, lang())),
    el('span', 'pill', t(poll.state === 'open' ? 'poll_open' : 'poll_closed')),
  ];
  if (kind === 'choice') kicker.push(el('span', 'pill', t(poll.multi ? 'poll_multi' : 'poll_single')));
  if (poll.state === 'open') kicker[1].dataset.open = '';
  entry.kicker.replaceChildren(...kicker);
  setText(entry.question, poll.question ?? '');

  // The form is rebuilt only when what it offers changes, so a tally arriving
  // while someone is choosing neither moves their focus nor drops their choice.
  const formSig = canVote ? JSON.stringify([poll.options, poll.multi, kind, poll.labels, poll.maxlen, lang()]) : '';
  if (formSig !== entry.formSig) {
    entry.form?.remove();
    entry.form = !canVote ? null : kind === 'choice' ? buildPollForm(poll)
      : buildKindForm(poll, kindCtx, (body) => sendKind(poll.id, body)); // prettier-ignore
    if (entry.form) entry.question.after(entry.form);
    entry.formSig = formSig;
  }
  // Every figure from the one definition (static/js/shared/poll-figures.js).
  const figs = viewerFigures(poll, tallies, ballots);
  if (entry.form && kind !== 'choice') {
    const submit = entry.form.querySelector('button[type="submit"]');
    submit.disabled = view.pollSending.has(poll.id);
  } else if (entry.form) {
    const sending = view.pollSending.has(poll.id);
    const submit = entry.form.querySelector('button');
    submit.disabled = sending;
    setText(submit, t(sending ? 'poll_sending' : 'poll_submit'));
    // Live results ("always"): each option carries its share while voting.
    for (const [i, label] of entry.form.querySelectorAll('.option').entries()) {
      const pct = label.querySelector('.pct');
      if (figs !== null) {
        const share = figs.rows[i]?.pct ?? 0;
        label.dataset.pct = '';
        label.style.setProperty('--pct', `${share}%`); // CSSOM: allowed by the CSP
        setText(pct, `${share}%`);
      } else {
        delete label.dataset.pct;
        setText(pct, '');
      }
    }
  }

  const rows = figs !== null && (!entry.form || kind === 'words') ? resultNodes(figs, mine, kindCtx) : [];
  entry.results.replaceChildren(...rows);

  let note = '';
  const error = view.pollNote.get(poll.id);
  const answered = kind === 'words' && Array.isArray(mine) ? t('poll_my_answer', { text: mine[0] ?? '' }) : '';
  if (error) note = t(error);
  else if (answered && view.pollAcks.get(poll.id)?.status === 'pending') note = `${answered} · ${t('poll_answer_pending')}`;
  else if (figs !== null && typeof ballots === 'number') {
    note = t(kind === 'words' ? 'poll_answers' : 'poll_ballots', { n: formatCount(ballots, lang()) });
    if (answered) note = `${answered} · ${note}`;
    else if (mine !== null && poll.state === 'open') note = `${t('poll_voted')} · ${note}`;
  } else if (answered) note = `${answered} · ${t('poll_hidden')}`;
  else if (mine !== null) note = t('poll_wait_close');
  else if (poll.state === 'open' && poll.results === 'after_close') note = t('poll_hidden');
  setText(entry.note, note);
}

function buildPollForm(poll) {
  const form = el('form');
  form.noValidate = true;
  const fieldset = el('fieldset');
  fieldset.append(el('legend', 'sr-only', poll.question ?? ''));
  const chosen = view.pollChoice.get(poll.id) ?? new Set();
  view.pollChoice.set(poll.id, chosen);
  (poll.options ?? []).forEach((option, i) => {
    const label = el('label', 'option');
    const input = el('input');
    input.type = poll.multi ? 'checkbox' : 'radio';
    input.name = `poll-${poll.id}`;
    input.value = String(i);
    input.checked = chosen.has(i);
    input.addEventListener('change', () => {
      if (!poll.multi) chosen.clear();
      if (input.checked) chosen.add(i);
      else chosen.delete(i);
      if (view.pollNote.delete(poll.id)) scheduleRender();
    });
    label.append(input, el('span', 'option-text', option), el('span', 'pct'));
    fieldset.append(label);
  });
  const actions = el('div', 'poll-actions');
  const submit = el('button', 'primary', t('poll_submit'));
  submit.type = 'submit';
  actions.append(submit);
  form.append(fieldset, actions);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    vote(poll.id);
  });
  return form;
}

// Rating, ranking and word-cloud forms (./poll-kinds.js): what they need of the page.
const kindCtx = {
  t: (key, params) => t(key, params),
  lang: () => lang(),
  fmt: (n) => formatCount(n, lang()),
  memory(pid, make) {
    if (!view.pollChoice.has(pid)) view.pollChoice.set(pid, make());
    return view.pollChoice.get(pid);
  },
};

async function sendKind(pid, body) {
  if (body === null) {
    view.pollNote.set(pid, 'poll_choose');
    render();
    return;
  }
  if (view.pollSending.has(pid)) return;
  view.pollSending.add(pid);
  view.pollNote.delete(pid);
  render();
  const reply = 'text' in body
    ? await socket.send('poll.answer', { poll: pid, text: body.text })
    : await socket.send('vote', { poll: pid, choices: body.choices });
  view.pollSending.delete(pid);
  if (reply.type === 'ack') view.pollAcks.set(pid, reply.result);
  else view.pollNote.set(pid, voteErrorKey(reply.code));
  render();
}

async function vote(pid) {
  const choices = [...(view.pollChoice.get(pid) ?? [])].sort((a, b) => a - b);
  if (choices.length === 0) {
    view.pollNote.set(pid, 'poll_choose');
    render();
    return;
  }
  if (view.pollSending.has(pid)) return;
  view.pollSending.add(pid);
  view.pollNote.delete(pid);
  render();
  const reply = await socket.send('vote', { poll: pid, choices });
  view.pollSending.delete(pid);
  if (reply.type === 'ack') view.pollAcks.set(pid, reply.result);
  else view.pollNote.set(pid, voteErrorKey(reply.code));
  render();
}

// --- asking ------------------------------------------------------------------------

const askText = $('ask-text');
const askName = $('ask-name');
const askTag = $('ask-tag');

function renderAsk() {
  const n = charCount(askText.value);
  const max = maxLen(settings());
  const count = $('ask-count');
  setText(count, t('ask_count', { n, max }));
  count.setAttribute('aria-label', t('ask_count_label', { n, max }));
  count.toggleAttribute('data-over', n > max);
  const sending = outbox.sending !== null;
  const closed = ended() || view.terminal !== null;
  const submit = $('ask-submit');
  submit.disabled = sending || closed || n === 0 || n > max;
  setText(submit, t(sending ? 'ask_sending' : 'ask_submit'));
  askText.readOnly = sending;
  askText.disabled = closed;

  const tags = Array.isArray(settings().tags) ? settings().tags : [];
  const sig = JSON.stringify([tags, lang()]);
  if (sig !== view.tags) {
    const keep = askTag.value;
    const none = el('option', '', t('tag_none'));
    none.value = '';
    askTag.replaceChildren(none, ...tags.map((tag) => {
      const option = el('option', '', tag);
      option.value = tag;
      return option;
    }));
    askTag.value = tags.includes(keep) ? keep : '';
    view.tags = sig;
  }
  $('tag-field').hidden = tags.length === 0;
  $('name-note').hidden = settings().show_names !== false;

  outbox.settle(state.mine);
  const fb = $('ask-feedback');
  const f = outbox.feedback;
  setText(fb, f ? t(f.key, f.vars) : '');
  const code = $('ask-code');
  setText(code, outbox.code ? followup.codeNote(outbox.code) : '');
  code.hidden = !outbox.code;
  if (f) fb.dataset.kind = f.kind;
}

function submitAsk(event) {
  event.preventDefault();
  const fields = { text: askText.value, name: askName.value, tag: askTag.value };
  clearWhenAcked(outbox.submit(fields, settings(), { offline: socket.state !== 'open' }));
}

// Sends the question an earlier page load could not confirm, with its id.
function resendSavedAsk() {
  const saved = outbox.sending ? null : outbox.saved();
  if (saved) askText.value = saved.text;
  clearWhenAcked(outbox.resend(settings(), { offline: socket.state !== 'open' }));
}

function clearWhenAcked(reply) {
  reply?.then((r) => {
    if (r?.type === 'ack') askText.value = '';
    renderAsk();
  });
}

// --- my questions ------------------------------------------------------------------

let mineSig = '';
function renderMine() {
  const items = myQuestions(state);
  const sig = JSON.stringify([items, outbox.sending?.text, lang(), items.map((q) => relativeTime(q.created, Date.now(), lang()))]);
  if (sig === mineSig) return;
  mineSig = sig;
  const rows = mineRows(items, outbox.sending).map(mineRow);
  $('mine').hidden = rows.length === 0;
  $('mine-list').replaceChildren(...rows);
}

function mineRow(q) {
  const li = el('li', 'mine-item');
  li.append(el('p', 'mine-text', q.text ?? ''));
  const meta = el('p', 'mine-meta');
  const badge = el('span', 'badge', t(`status_${q.status}`));
  badge.dataset.status = q.status;
  meta.append(badge);
  if (q.tag) meta.append(el('span', 'tag', q.tag));
  if (typeof q.votes === 'number' && q.votes > 0) meta.append(el('span', '', `▲ ${q.votes}`));
  if (q.created) meta.append(el('span', 'time', relativeTime(q.created, Date.now(), lang())));
  li.append(meta);
  if (q.status === 'rejected' && q.reason) {
    // Codes the hub gives as reasons ("banned", "blocked") read as sentences.
    const coded = { banned: 'reason_banned', blocked: 'reason_blocked' }[q.reason];
    li.append(el('p', 'mine-meta', coded ? t(coded) : t('reason', { reason: q.reason })));
  }
  if (q.status === 'merged' && q.merged_into) {
    li.append(el('p', 'mine-meta', t('merged_into', { id: q.merged_into })));
  }
  if (typeof q.id === 'number') li.append(...followup.nodesFor(q.id));
  return li;
}

// --- the question list -------------------------------------------------------------

const list = $('q-list');

function listOutOfView() {
  const r = list.getBoundingClientRect();
  return r.top > window.innerHeight || r.bottom < 0;
}

// The list holds the first screen (docs/protocol.md, "Paging"); the rest comes
// a page at a time as the reader nears its end, added below what is shown.
const listEnd = document.createElement('div');
listEnd.id = 'q-end';
list.after(listEnd);
let paging = false;

function nearListEnd() {
  return !list.hidden && listEnd.getBoundingClientRect().top < window.innerHeight + 400;
}

async function loadMore() {
  const order = view.sort === 'new' ? 'new' : 'top';
  const after = state.more?.[`public.${order}`];
  if (paging || !after) return;
  paging = true;
  const snapshots = state.snapshots;
  try {
    const reply = await socket.send('questions.page', { list: 'public', order, after });
    if (reply.type !== 'ack' || state.snapshots !== snapshots) return;
    const known = new Set(state.questions.keys());
    state = applyMessage(state, { type: 'page', ...reply.result });
    for (const q of reply.result.questions ?? []) {
      if (!known.has(q.id) && state.questions.has(q.id)) view.order.push(q.id);
    }
    scheduleRender();
  } finally {
    paging = false;
  }
  requestAnimationFrame(() => {
    if (nearListEnd()) loadMore();
  });
}

new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting)) loadMore();
}, { rootMargin: '400px' }).observe(listEnd);

function renderList() {
  const current = sortedQuestions(state, view.sort).map((q) => q.id);
  const shown = new Set(view.order);
  const present = new Set(current);
  let order = view.order.filter((id) => present.has(id));
  let fresh = current.filter((id) => !shown.has(id));
  // New questions and re-sorting wait for the reader (a button) unless the list
  // is empty or off screen: nothing moves under a reading thumb.
  if (view.reflow || order.length === 0 || listOutOfView()) {
    order = current;
    fresh = [];
    view.reflow = false;
  }
  view.order = order;

  const nodes = order.map((id) => drawQuestion(state.questions.get(id)));
  const drawn = new Set(order);
  for (const [id, item] of view.items) {
    if (!drawn.has(id)) {
      item.li.remove();
      if (!present.has(id)) view.items.delete(id);
    }
  }
  placeInOrder(list, nodes);
  $('q-empty').hidden = order.length > 0;

  const button = $('new-items');
  const reordered = fresh.length === 0 && order.join() !== current.join();
  button.hidden = fresh.length === 0 && !reordered;
  setText(button, fresh.length > 0 ? t('new_items', { n: fresh.length }) : t('reorder'));
}

function drawQuestion(q) {
  let item = view.items.get(q.id);
  if (!item) {
    const li = el('li', 'q-item');
    li.dataset.qid = String(q.id);
    const body = el('div', 'q-body');
    const text = el('p', 'q-text');
    const meta = el('p', 'q-meta');
    body.append(text, meta);
    const vote = el('button', 'vote');
    vote.type = 'button';
    const n = el('span', 'n');
    vote.append(icon(ARROW_PATH, 18), n);
    vote.addEventListener('click', () => upvotes.toggle(q.id));
    li.append(body, vote);
    item = { li, text, meta, vote, n, metaSig: '' };
    view.items.set(q.id, item);
  }
  item.li.dataset.status = q.status;
  setText(item.text, q.text ?? '');
  const metaSig = JSON.stringify([q.name, q.tag, q.status, lang(), settings().show_names,
    relativeTime(q.created, Date.now(), lang())]);
  if (metaSig !== item.metaSig) {
    const parts = metaParts(q);
    if (q.status === 'answered' || q.status === 'on_air') {
      const badge = el('span', 'badge', t(q.status === 'on_air' ? 'status_on_air' : 'answered'));
      badge.dataset.status = q.status;
      parts.push(badge);
    }
    item.meta.replaceChildren(...parts);
    item.metaSig = metaSig;
  }
  const on = upvotes.mine(q.id);
  const votes = upvotes.shownVotes(q);
  // Asking is the asker's support: their own question has no upvote button to press.
  const own = state.mine.has(q.id);
  item.li.toggleAttribute('data-own', own);
  item.vote.setAttribute('aria-pressed', String(on));
  item.vote.setAttribute('aria-label', t(own ? 'upvote_own_label' : on ? 'upvote_on_label' : 'upvote_label', { n: votes }));
  item.vote.title = own ? t('upvote_own_label', { n: votes }) : '';
  item.vote.disabled = ended() || own;
  setText(item.n, formatCount(votes, lang()));
  return item.li;
}

let toastTimer = null;
function toast(key) {
  const box = $('toast');
  box.textContent = t(key);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, 3000);
}

/** Make `box`'s children exactly `nodes`, in order, moving only what is out of place. */
function placeInOrder(box, nodes) {
  let cursor = box.firstElementChild;
  for (const node of nodes) {
    if (node === cursor) {
      cursor = cursor.nextElementSibling;
    } else {
      box.insertBefore(node, cursor);
    }
  }
  while (cursor) {
    const next = cursor.nextElementSibling;
    cursor.remove();
    cursor = next;
  }
}

// --- likes -------------------------------------------------------------------------

const reducedMotion = window.matchMedia?.('(prefers-reduced-motion: reduce)');

function renderLikes() {
  const total = likes.total(state.likes);
  setText($('like-total'), formatCount(total, lang()));
  $('like').setAttribute('aria-label', `${t('like_label')} · ${t('like_total_label', { n: formatCount(total, lang()) })}`);
}

function tap() {
  if (ended()) return;
  likes.tap();
  floatHeart();
}

function floatHeart() {
  const button = $('like');
  button.classList.remove('bump');
  void button.offsetWidth; // restart the bump animation
  button.classList.add('bump');
  if (reducedMotion?.matches) return;
  const layer = $('hearts');
  while (layer.childElementCount >= MAX_HEARTS) layer.firstElementChild.remove();
  const heart = el('span', 'heart');
  heart.append(icon(HEART_PATH));
  const hues = ['#e0483c', '#f06a8a', '#ff8f3d', '#d63384', '#ef5350'];
  heart.style.setProperty('--dx', `${Math.round((Math.random() - 0.5) * 120)}px`);
  heart.style.setProperty('--rot', `${Math.round((Math.random() - 0.5) * 40)}deg`);
  heart.style.setProperty('--hue', hues[view.hearts++ % hues.length]);
  heart.addEventListener('animationend', () => heart.remove());
  layer.append(heart);
}

// --- connection end -----------------------------------------------------------------

async function onTerminal(code) {
  if (code === CLOSE.UNAUTHORIZED && !view.reauthTried) {
    // The cookie is missing or no longer valid (cleared, expired, new secret):
    // ask for a viewer id once and connect again.
    view.reauthTried = true;
    try {
      await api('GET', '/api/viewer');
      socket.connect();
      resendSavedAsk();
      return;
    } catch (err) {
      view.terminal = { key: err.status === 429 ? 'close_4401_limited' : 'close_4401' };
    }
  } else {
    // Every terminal code has its own explanation in the i18n table.
    view.terminal = { key: TERMINAL.has(code) ? `close_${code}` : 'close_other' };
  }
  render();
}

// --- static text and language ---------------------------------------------------------

function applyStatic() {
  bindI18n({ t, lang });
  $('lang').setAttribute('lang', lang() === 'en' ? 'zh-CN' : 'en');
}

function redrawAll() {
  for (const item of view.items.values()) item.metaSig = '';
  for (const entry of view.polls.values()) entry.sig = '';
  mineSig = '';
  applyStatic();
  renderConn();
  render();
}

// --- start ----------------------------------------------------------------------------

function start() {
  initLang();
  applyStatic();
  askName.value = outbox.name();
  askText.value = outbox.draft();
  $('ask-form').addEventListener('submit', submitAsk);
  askText.addEventListener('input', () => {
    outbox.saveDraft(askText.value);
    if (outbox.feedback?.kind !== 'info') outbox.feedback = null;
    renderAsk();
  });
  $('like').addEventListener('click', tap);
  $('lang').addEventListener('click', () => {
    setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN');
    redrawAll();
  });
  $('banner-reload').addEventListener('click', () => location.reload());
  $('dock-ask').addEventListener('click', () => {
    $('ask').scrollIntoView({ block: 'start', behavior: reducedMotion?.matches ? 'auto' : 'smooth' });
    askText.focus({ preventScroll: true });
  });
  $('new-items').addEventListener('click', () => {
    view.reflow = true;
    render();
    $('questions').scrollIntoView({ block: 'start', behavior: reducedMotion?.matches ? 'auto' : 'smooth' });
  });
  for (const button of document.querySelectorAll('[data-sort]')) {
    button.addEventListener('click', () => {
      view.sort = button.dataset.sort;
      for (const b of document.querySelectorAll('[data-sort]')) {
        b.setAttribute('aria-pressed', String(b === button));
      }
      view.reflow = true;
      render();
    });
  }
  resendSavedAsk();
  // Relative times ("3分钟前") age while nothing else happens.
  setInterval(scheduleRender, 30_000);
  render();
  socket.connect();
  followup.load();
}

start();
