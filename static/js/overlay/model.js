// What the overlay draws, decided from the shared state (static/js/shared/state.js).
// Pure (no DOM), so node --test can check the moderation gate on plain data.
//
// The moderation gate (docs/protocol.md, "What each role sees"): the overlay receives public questions, but viewer
// text is drawn only while the moderator's `overlay` command shows a widget
// that holds it: the on-air question ("question") or the ticker ("ticker").

import { initialState } from '../shared/state.js';
import { count, label, lang } from './labels.js';
import { figures } from '../shared/poll-figures.js';
import { basisText } from '../shared/poll-draw.js';
import { ANONYMOUS } from '../shared/contract.js';

export { ANONYMOUS };
// A cued question is one a moderator may put on air next.
const PUBLIC_TO_CUE = new Set(['approved', 'on_air']);
// The ticker shows at most this many questions (the most upvoted).
export const TICKER_MAX = 20;
// Longest ticker item, in characters; the full text belongs to the lower third.
export const TICKER_TEXT_MAX = 80;

// The hub sends the overlay the viewers' question events (docs/protocol.md),
// so state.js's applyMessage is the overlay's reducer as it is: the on-air
// question is the public one whose status is on_air.
export function initialOverlayState() {
  return initialState('overlay');
}


// What the single-widget `show` of a hub before scenes meant, as layers.
const LEGACY_LAYERS = { question: ['question'], poll: ['poll'], likes: ['likes', 'viewers'],
  qr: ['qr'], ticker: ['ticker'] }; // prettier-ignore

/**
 * What is on screen: {layers, poll, qid}. On air: the layers of the current
 * scene (or the one widget shown), the poll shown, the on-air question (qid
 * null). In preview (the console's ?preview=1 frame) the moderators' cue, if
 * there is one, with its question; else what is on air.
 */
export function shown(state, preview = false) {
  const o = state.overlay ?? {};
  const air = {
    layers: Array.isArray(o.layers) ? o.layers : (LEGACY_LAYERS[o.show] ?? []),
    poll: o.poll ?? null,
    qid: null,
  };
  const cue = preview ? o.cue : null;
  if (!cue || typeof cue !== 'object') return air;
  return { layers: Array.isArray(cue.layers) ? cue.layers : air.layers, poll: cue.poll ?? null, qid: cue.qid ?? null };
}

/** Whether widget `name` is on screen. `always`: widgets the URL keeps on (no viewer text). */
export function isVisible(name, state, always = [], preview = false) {
  // The end of the show clears the screen, widgets the URL keeps on included
  // (docs/console.md, "Ending the show"); going live again brings them back.
  if (state.broadcast?.state === 'ended') return false;
  const on = shown(state, preview).layers.includes(name);
  switch (name) {
    case 'question':
      return on && questionView(state, preview) !== null;
    case 'poll':
      return on && pollView(state, preview) !== null;
    case 'ticker':
      return on && tickerItems(state).length > 0;
    case 'title':
      return on && titleView(state) !== null;
    case 'likes':
    case 'viewers':
    case 'qr':
      return on || always.includes(name);
    default:
      return false;
  }
}

/** The title card: {key, title, topic} of the broadcast, or null without a title. */
export function titleView(state) {
  const title = typeof state.broadcast?.title === 'string' ? state.broadcast.title.trim() : '';
  if (!title) return null;
  const topic = typeof state.broadcast?.topic === 'string' ? state.broadcast.topic.trim() : '';
  return { key: JSON.stringify([title, topic]), title, topic };
}

function displayName(q, broadcast) {
  const hide = broadcast?.settings?.show_names === false;
  const name = typeof q.name === 'string' ? q.name.trim() : '';
  return hide || !name ? ANONYMOUS : name;
}

/**
 * The lower third: {key, id, name, tag, text, votes} or null when nothing is on
 * air. In preview, the cued question (approved: public) when one is cued.
 */
export function questionView(state, preview = false) {
  const { qid } = shown(state, preview);
  const cued = qid != null ? (state.questions.get(qid) ?? state.questions.get(Number(qid))) : null;
  const q = cued ?? (qid != null ? null : state.onAir);
  const ok = cued ? PUBLIC_TO_CUE.has(q.status) : q?.status === 'on_air';
  if (!q || !ok || typeof q.text !== 'string') return null;
  const name = displayName(q, state.broadcast);
  const tag = typeof q.tag === 'string' && q.tag ? q.tag : null;
  return {
    // Everything drawn: a change of any of it redraws, a resend of the same does not.
    key: JSON.stringify([q.id, name, tag, q.text]),
    id: q.id,
    name,
    tag,
    text: q.text,
    votes: Number(q.votes) || 0,
  };
}

/**
 * The poll the moderator shows, with its results, from the one definition of
 * the figures (static/js/shared/poll-figures.js):
 * {key, id, kind, question, closed, ballots, ballotsText, basis, options: [{text, count, pct, lead, label}], words}.
 */
export function pollView(state, preview = false) {
  const { poll: pid } = shown(state, preview);
  if (pid == null) return null;
  const poll = state.polls.get(pid) ?? state.polls.get(Number(pid));
  if (!poll || poll.state === 'draft' || !Array.isArray(poll.options)) return null;
  const kind = poll.kind ?? 'choice';
  const tallies = Array.isArray(poll.tallies) ? poll.tallies : [];
  const figs = figures({ ...poll, tallies, ballots: Number(poll.ballots) || 0 });
  const options = kind === 'words' ? [] : kind === 'ranking'
    ? figs.rows.map((r) => ({ text: `${r.place}. ${r.text}`, count: r.points, pct: r.pct, lead: r.place === 1 && r.points > 0, label: label('points', { n: count(r.points) }) }))
    : figs.rows.map((r) => ({ text: String(r.text), count: r.count, pct: r.pct, lead: r.lead, label: `${r.pct}%` })); // prettier-ignore
  const average = kind === 'rating' && figs.average !== null ? `${label('average', { n: figs.average })} · ` : '';
  return {
    // A ranking's rows move as points change: its order is part of what is built.
    key: JSON.stringify([poll.id, poll.question, poll.options, kind, kind === 'ranking' ? options.map((o) => o.text) : null]),
    id: poll.id,
    kind,
    question: String(poll.question ?? ''),
    closed: poll.state === 'closed',
    ballots: figs.ballots,
    ballotsText: label(kind === 'words' ? 'answers' : 'ballots', { n: count(figs.ballots) }),
    basis: `${average}${basisText(figs, lang())}`,
    options,
    words: figs.words ?? [],
  };
}

/**
 * The ticker's questions, most upvoted first: approved ones (waiting for an
 * answer). On a broadcast without moderation nobody has looked at an approved
 * question, so there only questions a moderator starred are shown.
 */
export function tickerItems(state) {
  const moderated = state.broadcast?.settings?.moderation !== false;
  const items = [];
  for (const q of state.questions.values()) {
    if (q.status !== 'approved' || typeof q.text !== 'string') continue;
    if (!moderated && !q.starred) continue;
    items.push(q);
  }
  items.sort(
    (a, b) =>
      Number(Boolean(b.starred)) - Number(Boolean(a.starred)) ||
      (b.votes ?? 0) - (a.votes ?? 0) ||
      (a.created ?? 0) - (b.created ?? 0) ||
      a.id - b.id,
  );
  return items.slice(0, TICKER_MAX).map((q) => ({
    id: q.id,
    name: displayName(q, state.broadcast),
    tag: typeof q.tag === 'string' && q.tag ? q.tag : null,
    text: clip(q.text, TICKER_TEXT_MAX),
  }));
}

/** At most `max` characters (code points), with an ellipsis when cut. */
export function clip(text, max) {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * How many hearts a rise of `delta` likes is worth: one per like while few,
 * then logarithmic, so the rate follows the real like rate without flooding.
 */
export function heartsFor(delta) {
  if (!(delta > 0)) return 0;
  if (delta <= 4) return Math.round(delta);
  return Math.min(16, Math.round(4 + 3 * Math.log2(delta / 4)));
}
