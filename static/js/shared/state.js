// What a page knows about a broadcast, rebuilt from snapshots and events.
//
// A pure reducer: applyMessage(state, msg) returns a new state and never
// changes its arguments (no DOM, no I/O, testable with node --test). It
// mirrors server/client/state.py, which the Python tests use to assert what a
// page shows; the two change together (docs/protocol.md, "Events").
//
// Events carry absolute state, so applying one twice is harmless; still, an
// event whose pos is not after the last applied one is ignored and counted in
// `duplicates` (a resume must not replay what the page already has).

import { answered, tallied } from './poll-events.js';
import { PUBLIC_STATUSES as PUBLIC } from './contract.js';

export const PUBLIC_STATUSES = new Set(PUBLIC);

/** An empty state. `role` decides what `questions` holds (viewer: public ones only). */
export function initialState(role = 'viewer') {
  return {
    role,
    epoch: null,
    pos: null,
    questions: new Map(), // id -> question
    mine: new Map(), // id -> own question, any status (viewers)
    myvotes: new Set(), // question ids this viewer upvoted
    polls: new Map(), // id -> poll (with `mine`: own choices, once voted)
    likes: 0,
    presence: {},
    onAir: null,
    broadcast: {},
    overlay: {},
    more: {}, // "<list>.<order>" -> cursor of the next page, null when all are loaded
    total: {}, // list -> how many questions it holds (as of the snapshot)
    snapshots: 0,
    duplicates: 0,
    unknown: 0, // events of a type this page does not know (newer hub)
  };
}

// --- positions ------------------------------------------------------------------

/** "<ms>-<seq>" -> [ms, seq] as digit strings, or null if it is not a stream id. */
export function parsePos(pos) {
  if (typeof pos !== 'string') return null;
  const m = /^(\d+)-(\d+)$/.exec(pos);
  if (!m) return null;
  return [m[1].replace(/^0+(?=\d)/, ''), m[2].replace(/^0+(?=\d)/, '')];
}

function cmpDigits(a, b) {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Order of two positions as integer pairs ("9-0" < "10-0"), exact for any size.
 * An unparseable or missing position sorts first.
 */
export function comparePos(a, b) {
  const x = parsePos(a);
  const y = parsePos(b);
  if (x === null || y === null) return x === null ? (y === null ? 0 : -1) : 1;
  return cmpDigits(x[0], y[0]) || cmpDigits(x[1], y[1]);
}

// --- the reducer ------------------------------------------------------------------

/** Apply one server message; anything but snapshot/events returns `state` itself. */
export function applyMessage(state, msg) {
  if (msg === null || typeof msg !== 'object') return state;
  if (msg.type === 'snapshot') return applySnapshot(state, msg);
  if (msg.type === 'page') return applyPage(state, msg);
  if (msg.type !== 'events') return state;
  const s = copy(state);
  if (msg.epoch != null) s.epoch = msg.epoch;
  for (const event of msg.events ?? []) applyEventInPlace(s, event);
  // A frame's pos is its last visible event's or later: an empty frame may move it on.
  if (parsePos(msg.pos) !== null && (s.pos === null || comparePos(msg.pos, s.pos) > 0)) {
    s.pos = msg.pos;
  }
  return s;
}

/** Replace everything with the snapshot (it is complete as of its pos). */
export function applySnapshot(state, snap) {
  const s = initialState(state.role);
  s.snapshots = state.snapshots + 1;
  s.duplicates = state.duplicates;
  s.unknown = state.unknown;
  s.epoch = snap.epoch ?? null;
  s.pos = parsePos(snap.pos) !== null ? snap.pos : null;
  s.broadcast = { ...(snap.broadcast ?? {}) };
  s.questions = byId(snap.questions);
  s.mine = byId(snap.mine);
  s.myvotes = new Set(snap.myvotes ?? []);
  s.polls = byId(snap.polls);
  s.likes = Number(snap.likes ?? 0);
  s.presence = { ...(snap.presence ?? {}) };
  s.onAir = snap.on_air ?? null;
  s.overlay = { ...(snap.overlay ?? {}) };
  if (snap.rundown != null) s.overlay.rundown = rundownOf(snap.rundown);
  s.more = { ...(snap.more ?? {}) };
  s.total = { ...(snap.total ?? {}) };
  return s;
}

/**
 * Add a page of questions.page (its ack's result; as a message {type: 'page',
 * ...result}): questions not loaded yet are inserted, loaded ones kept (their
 * events keep them current; a page may be older), the list's cursor moves on.
 */
export function applyPage(state, page) {
  const s = copy(state);
  for (const q of page.questions ?? []) {
    if (s.role === 'viewer' && !PUBLIC_STATUSES.has(q.status)) continue;
    if (!s.questions.has(q.id)) s.questions.set(q.id, q);
  }
  s.more = { ...s.more, [`${page.list}.${page.order}`]: page.next ?? null };
  return s;
}

/** Apply one event (outside a frame); returns a new state. */
export function applyEvent(state, event) {
  const s = copy(state);
  applyEventInPlace(s, event);
  return s;
}

function applyEventInPlace(s, event) {
  if (event === null || typeof event !== 'object') return;
  if (parsePos(event.pos) !== null) {
    if (s.pos !== null && comparePos(event.pos, s.pos) <= 0) {
      s.duplicates += 1;
      return;
    }
    s.pos = event.pos;
  }
  const handler = HANDLERS[event.type];
  if (handler === undefined) s.unknown += 1;
  else handler(s, event);
}

// One function per event type (docs/protocol.md, "Events"). They work on the
// fresh containers made by copy(); the objects inside are replaced, never edited.
const HANDLERS = {
  question(s, e) {
    const q = e.q;
    if (e.mine || s.mine.has(q.id)) s.mine.set(q.id, q);
    if (s.role === 'viewer' && !PUBLIC_STATUSES.has(q.status)) s.questions.delete(q.id);
    else s.questions.set(q.id, q);
    if (q.status === 'on_air') s.onAir = q;
    else if (s.onAir !== null && s.onAir.id === q.id) s.onAir = null;
  },
  question_removed(s, e) {
    s.questions.delete(e.qid);
    if (s.onAir !== null && s.onAir.id === e.qid) s.onAir = null;
  },
  votes(s, e) {
    for (const table of [s.questions, s.mine]) {
      const q = table.get(e.qid);
      if (q !== undefined) table.set(e.qid, { ...q, votes: e.votes });
    }
    if (s.onAir !== null && s.onAir.id === e.qid) s.onAir = { ...s.onAir, votes: e.votes };
    if ('mine' in e) {
      if (e.mine) s.myvotes.add(e.qid);
      else s.myvotes.delete(e.qid);
    }
  },
  likes(s, e) {
    s.likes = e.total;
  },
  presence(s, e) {
    s.presence = { now: e.now, peak: e.peak, unique: e.unique };
  },
  poll(s, e) {
    const poll = { ...e.poll };
    const old = s.polls.get(poll.id);
    // A poll event does not repeat the viewer's own ballot; keep the one we know.
    if (old !== undefined && 'mine' in old && !('mine' in poll)) poll.mine = old.mine;
    s.polls.set(poll.id, poll);
  },
  tally(s, e) {
    s.polls.set(e.pid, tallied(s.polls.get(e.pid), e));
  },
  answer(s, e) {
    // A word-cloud answer held for review, or rejected (moderators only).
    s.polls.set(e.pid, answered(s.polls.get(e.pid), e));
  },
  broadcast(s, e) {
    s.broadcast = { ...e.b };
  },
  overlay(s, e) {
    const o = { show: e.show ?? null, poll: e.poll ?? null };
    for (const k of OVERLAY_FIELDS) if (k in e) o[k] = e[k];
    // The run-down has events of its own (below); it lives with the overlay state.
    if (s.overlay.rundown !== undefined) o.rundown = s.overlay.rundown;
    s.overlay = o;
  },
  rundown(s, e) {
    s.overlay = { ...s.overlay, rundown: rundownOf(e) };
  },
};

// The layered overlay's fields (docs/protocol.md, "overlay"): what is on air,
// the scene it came from, the scenes, the cue.
const OVERLAY_FIELDS = ['scene', 'layers', 'scenes', 'cue'];

function rundownOf(r) {
  return { items: Array.isArray(r.items) ? [...r.items] : [], ver: Number(r.ver) || 0 };
}

function byId(items) {
  const map = new Map();
  for (const item of items ?? []) map.set(item.id, item);
  return map;
}

// Copy-on-write, once per message: new containers, the same item objects.
function copy(s) {
  return {
    ...s,
    questions: new Map(s.questions),
    mine: new Map(s.mine),
    myvotes: new Set(s.myvotes),
    polls: new Map(s.polls),
  };
}

// --- selectors ------------------------------------------------------------------

/** Public questions, 'top' (votes, then newest) or 'new' (newest first). */
export function sortedQuestions(state, order = 'top') {
  const list = [...state.questions.values()];
  const newest = (a, b) => (b.created ?? 0) - (a.created ?? 0) || b.id - a.id;
  list.sort(order === 'new' ? newest : (a, b) => (b.votes ?? 0) - (a.votes ?? 0) || newest(a, b));
  return list;
}

/** The viewer's own questions, newest first. */
export function myQuestions(state) {
  return [...state.mine.values()].sort((a, b) => (b.created ?? 0) - (a.created ?? 0) || b.id - a.id);
}

/** Polls a viewer can see, open ones first, then newest first. */
export function visiblePolls(state) {
  const rank = (p) => (p.state === 'open' ? 0 : 1);
  return [...state.polls.values()]
    .filter((p) => p.state !== 'draft')
    .sort((a, b) => rank(a) - rank(b) || (b.created ?? 0) - (a.created ?? 0) || b.id - a.id);
}
