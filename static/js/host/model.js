// What the host view shows, decided from the shared state (static/js/shared/state.js):
// the on-air question, the next three of the run-down, the open poll, the clock.
// Pure (no DOM): node --test checks it on plain data. The page connects with the
// overlay's role, so the state holds only public questions, without askers.

import { initialState } from '../shared/state.js';
import { percent } from '../shared/format.js';
import { ANONYMOUS } from '../shared/contract.js';

// How many run-down questions the host sees coming.
export const NEXT_MAX = 3;

export function initialHostState() {
  return initialState('overlay');
}

function card(q, broadcast) {
  const hide = broadcast?.settings?.show_names === false;
  const name = typeof q.name === 'string' && q.name.trim() && !hide ? q.name.trim() : ANONYMOUS;
  return {
    id: q.id,
    name,
    tag: typeof q.tag === 'string' && q.tag ? q.tag : null,
    text: String(q.text ?? ''),
    votes: Number(q.votes) || 0,
  };
}

/** The on-air question as a card, or null. */
export function onAirCard(state) {
  const q = state.onAir;
  return q && q.status === 'on_air' && typeof q.text === 'string' ? card(q, state.broadcast) : null;
}

/** The next questions of the run-down that are still waiting (approved), in order. */
export function nextCards(state, max = NEXT_MAX) {
  const items = state.overlay?.rundown?.items ?? [];
  const out = [];
  for (const id of items) {
    const q = state.questions.get(id);
    if (q && q.status === 'approved' && typeof q.text === 'string') out.push(card(q, state.broadcast));
    if (out.length === max) break;
  }
  return out;
}

/** The open poll (the newest if several) with its results, or null. */
export function openPoll(state) {
  const open = [...state.polls.values()].filter((p) => p.state === 'open' && Array.isArray(p.options));
  if (!open.length) return null;
  open.sort((a, b) => (b.created ?? 0) - (a.created ?? 0) || b.id - a.id);
  const p = open[0];
  const ballots = Number(p.ballots) || 0;
  const tallies = Array.isArray(p.tallies) ? p.tallies : [];
  return {
    id: p.id,
    question: String(p.question ?? ''),
    ballots,
    options: p.options.map((text, i) => {
      const n = Number(tallies[i]) || 0;
      return { text: String(text), count: n, pct: percent(n, ballots) };
    }),
  };
}

/** Whether the overlay's current layers show the question (else the host is told). */
export function questionOnScreen(state) {
  const o = state.overlay ?? {};
  if (Array.isArray(o.layers)) return o.layers.includes('question');
  return o.show === 'question';
}

/**
 * The clock's text (HH:MM:SS) at `ms` in the zone `tz` ({name, offset}:
 * an IANA name, and its UTC offset in minutes for a browser without it).
 */
export function clockText(ms, tz) {
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: tz.name, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    }).format(new Date(ms)); // prettier-ignore
  } catch {
    const d = new Date(ms + (Number(tz.offset) || 0) * 60_000);
    return [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  }
}
