// What the overlay draws, decided from the shared state (static/js/shared/state.js).
// Pure (no DOM), so node --test can check the moderation gate on plain data.
//
// The moderation gate (docs/protocol.md, "What each role sees"): the overlay receives public questions, but viewer
// text is drawn only while the moderator's `overlay` command shows a widget
// that holds it: the on-air question ("question") or the ticker ("ticker").

import { initialState } from '../shared/state.js';
import { formatCountZh, percent } from '../shared/format.js';
import { ANONYMOUS } from '../shared/contract.js';

export { ANONYMOUS };
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


/** The moderator's choice: {show, poll}. */
export function shown(state) {
  return { show: state.overlay?.show ?? null, poll: state.overlay?.poll ?? null };
}

/** Whether widget `name` is on screen. `always`: widgets the URL keeps on (no viewer text). */
export function isVisible(name, state, always = []) {
  // The end of the show clears the screen, widgets the URL keeps on included
  // (docs/console.md, "Ending the show"); going live again brings them back.
  if (state.broadcast?.state === 'ended') return false;
  const { show } = shown(state);
  switch (name) {
    case 'question':
      return show === 'question' && questionView(state) !== null;
    case 'poll':
      return show === 'poll' && pollView(state) !== null;
    case 'ticker':
      return show === 'ticker' && tickerItems(state).length > 0;
    case 'likes':
    case 'viewers':
      return show === 'likes' || always.includes(name);
    case 'qr':
      return show === 'qr' || always.includes(name);
    default:
      return false;
  }
}

function displayName(q, broadcast) {
  const hide = broadcast?.settings?.show_names === false;
  const name = typeof q.name === 'string' ? q.name.trim() : '';
  return hide || !name ? ANONYMOUS : name;
}

/** The lower third: {key, id, name, tag, text, votes} or null when nothing is on air. */
export function questionView(state) {
  const q = state.onAir;
  if (!q || q.status !== 'on_air' || typeof q.text !== 'string') return null;
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
 * The poll the moderator shows, with its results:
 * {key, id, question, closed, ballots, ballotsText, options: [{text, count, pct, lead}]}.
 */
export function pollView(state) {
  const { poll: pid } = shown(state);
  if (pid == null) return null;
  const poll = state.polls.get(pid) ?? state.polls.get(Number(pid));
  if (!poll || poll.state === 'draft' || !Array.isArray(poll.options)) return null;
  const tallies = Array.isArray(poll.tallies) ? poll.tallies : [];
  const ballots = Number(poll.ballots) || 0;
  const counts = poll.options.map((_, i) => Number(tallies[i]) || 0);
  const top = Math.max(0, ...counts);
  return {
    key: JSON.stringify([poll.id, poll.question, poll.options]),
    id: poll.id,
    question: String(poll.question ?? ''),
    closed: poll.state === 'closed',
    ballots,
    ballotsText: `${formatCountZh(ballots)} 人投票`,
    options: poll.options.map((text, i) => ({
      text: String(text),
      count: counts[i],
      pct: percent(counts[i], ballots),
      lead: top > 0 && counts[i] === top,
    })),
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
