// What a moderator console knows about a broadcast, rebuilt from snapshots
// and events (docs/protocol.md), and the queue's selectors. Pure: no DOM, no
// I/O (node --test: tests/js/console-model.test.mjs).
//
// applyMessage(model, msg) -> {model, changed}: a new model (the old one is
// never changed, so a panel may keep a reference and compare) and the set of
// kinds that changed, which the shell hands to ctx.subscribe listeners:
// 'snapshot' (everything was replaced: every kind below is in the set too),
// 'question', 'votes', 'poll' (poll, tally and poll_deleted events), 'likes', 'presence',
// 'broadcast', 'overlay', 'ban'.
//
// Moderators see every question in every status, with `asker` (a stable
// pseudonym, never the viewer id), `flags` (sensitive-word matches) and
// `reason`. Events carry absolute state, so applying one twice is harmless;
// an event whose pos is not after the model's is skipped all the same.

import { answered, tallied } from '../shared/poll-events.js';
import { comparePos, parsePos } from '../shared/state.js';
import { QUESTION_TRANSITIONS, STATUSES } from '../shared/contract.js';

// The queue's tabs: every status a moderator works in (merged ones leave the queue).
export const VIEWS = STATUSES.filter((s) => s !== 'merged');
const ALL_KINDS = ['question', 'votes', 'poll', 'likes', 'presence', 'broadcast', 'overlay', 'ban', 'rundown'];

export function initialModel() {
  return {
    epoch: null,
    pos: null,
    broadcast: {},
    questions: new Map(), // id -> question (asker inside, flags, reason...)
    polls: new Map(), // id -> poll
    likes: 0,
    presence: {},
    overlay: { show: null, poll: null },
    onAir: null, // id of the question on air, or null
    banned: [], // [{asker, qid}]
    // Paging (docs/protocol.md, "Paging"): "<status>.<order>" -> cursor of the
    // next page (null: all loaded); status -> how many questions it holds.
    more: {},
    total: null, // null: an older hub that sent every question
    snapshots: 0,
  };
}

/** A question as the console keeps it: `asker` inside (older hubs sent it beside `q`). */
function question(q, asker) {
  if (q.asker === undefined && typeof asker === 'string') return { ...q, asker };
  return q;
}

/** Apply one server message. Anything but snapshot/events changes nothing. */
export function applyMessage(model, msg) {
  if (msg === null || typeof msg !== 'object') return { model, changed: new Set() };
  if (msg.type === 'snapshot') {
    return { model: fromSnapshot(model, msg), changed: new Set(['snapshot', ...ALL_KINDS]) };
  }
  if (msg.type === 'page') return { model: withPage(model, msg), changed: new Set(['question']) };
  if (msg.type !== 'events') return { model, changed: new Set() };
  const m = {
    ...model,
    questions: new Map(model.questions),
    polls: new Map(model.polls),
    banned: model.banned,
  };
  const changed = new Set();
  if (msg.epoch != null) m.epoch = msg.epoch;
  for (const event of msg.events ?? []) {
    if (event === null || typeof event !== 'object') continue;
    if (parsePos(event.pos) !== null) {
      if (m.pos !== null && comparePos(event.pos, m.pos) <= 0) continue;
      m.pos = event.pos;
    }
    const handler = HANDLERS[event.type];
    if (handler !== undefined) {
      handler(m, event);
      changed.add(['tally', 'poll_deleted', 'answer'].includes(event.type) ? 'poll' : event.type);
    }
  }
  if (parsePos(msg.pos) !== null && (m.pos === null || comparePos(msg.pos, m.pos) > 0)) {
    m.pos = msg.pos;
  }
  return { model: m, changed };
}

function fromSnapshot(model, snap) {
  const m = initialModel();
  m.snapshots = model.snapshots + 1;
  m.epoch = snap.epoch ?? null;
  m.pos = parsePos(snap.pos) !== null ? snap.pos : null;
  m.broadcast = { ...(snap.broadcast ?? {}) };
  for (const q of snap.questions ?? []) m.questions.set(q.id, question(q));
  for (const p of snap.polls ?? []) m.polls.set(p.id, p);
  m.likes = Number(snap.likes ?? 0);
  m.presence = { ...(snap.presence ?? {}) };
  m.overlay = overlayState(snap.overlay ?? {}, snap.rundown);
  m.banned = Array.isArray(snap.banned) ? snap.banned.map((b) => ({ ...b })) : [];
  m.more = { ...(snap.more ?? {}) };
  m.total = snap.total && typeof snap.total === 'object' ? { ...snap.total } : null;
  m.onAir = snap.on_air?.id ?? null;
  if (m.onAir === null) {
    for (const q of m.questions.values()) if (q.status === 'on_air') m.onAir = q.id;
  }
  return m;
}

/**
 * A page of questions.page ({type: 'page', ...the ack's result}): questions not
 * loaded yet are inserted, loaded ones kept (their events keep them current).
 */
function withPage(model, page) {
  const m = { ...model, questions: new Map(model.questions) };
  for (const q of page.questions ?? []) if (!m.questions.has(q.id)) m.questions.set(q.id, question(q));
  m.more = { ...model.more, [`${page.list}.${page.order}`]: page.next ?? null };
  return m;
}

/** The lists (and orders) a queue view pages through, as the snapshot names them. */
export function pageLists(view, sort = 'votes') {
  if (view === 'pending') return ['pending.old'];
  if (view === 'approved') return [sort === 'time' ? 'approved.new' : 'approved.top'];
  if (view === 'rejected') return ['rejected.new', 'merged.new'];
  return [`${view}.new`];
}

// One function per event type; they work on the containers copied above.
const HANDLERS = {
  // The follow-up is read by its panel over HTTP (console/followup.js); the
  // event only tells it to read again (changed has 'followup').
  followup() {},
  question(m, e) {
    const old = m.questions.get(e.q.id);
    const q = question(e.q, e.asker);
    // Every question event says where it came from (prev: null for a new one):
    // the per-status totals follow without every question loaded.
    if (m.total !== null && 'prev' in e && e.prev !== q.status) {
      m.total = { ...m.total };
      if (e.prev != null) m.total[e.prev] = Math.max(0, (m.total[e.prev] ?? 0) - 1);
      m.total[q.status] = (m.total[q.status] ?? 0) + 1;
    }
    // An event without asker (should not happen for moderators) keeps the one known.
    m.questions.set(q.id, old?.asker !== undefined && q.asker === undefined ? { ...q, asker: old.asker } : q);
    if (q.status === 'on_air') m.onAir = q.id;
    else if (m.onAir === q.id) m.onAir = null;
  },
  votes(m, e) {
    const q = m.questions.get(e.qid);
    if (q !== undefined) m.questions.set(e.qid, { ...q, votes: e.votes });
  },
  likes(m, e) {
    m.likes = e.total;
  },
  presence(m, e) {
    m.presence = { now: e.now, peak: e.peak, unique: e.unique };
  },
  poll(m, e) {
    m.polls.set(e.poll.id, { ...e.poll });
  },
  poll_deleted(m, e) {
    m.polls.delete(e.poll);
  },
  tally(m, e) {
    m.polls.set(e.pid, tallied(m.polls.get(e.pid), e));
  },
  answer(m, e) {
    // A word-cloud answer held for review, or rejected (static/js/shared/poll-events.js).
    m.polls.set(e.pid, answered(m.polls.get(e.pid), e));
  },
  broadcast(m, e) {
    m.broadcast = { ...e.b };
  },
  overlay(m, e) {
    m.overlay = overlayState(e, m.overlay.rundown);
  },
  // The run-down (console/rundown.js) lives with the overlay state, as in shared/state.js.
  rundown(m, e) {
    m.overlay = overlayState(m.overlay, e);
  },
  ban(m, e) {
    const rest = m.banned.filter((b) => b.asker !== e.asker);
    m.banned = e.on ? [...rest, { asker: e.asker, qid: e.qid }] : rest;
  },
};

// The overlay state: {show, poll} and, from a hub with scenes, scene, layers,
// scenes, cue; `rundown` {items, ver} once known.
function overlayState(o, rundown) {
  const out = { show: o.show ?? null, poll: o.poll ?? null };
  for (const k of ['scene', 'layers', 'scenes', 'cue']) if (k in o) out[k] = o[k];
  if (rundown != null) out.rundown = { items: Array.isArray(rundown.items) ? [...rundown.items] : [], ver: Number(rundown.ver) || 0 };
  return out;
}

// --- the queue ------------------------------------------------------------------------

/** The queue view a status is listed under (merged ones with the rejected). */
export function viewOf(status) {
  return status === 'merged' ? 'rejected' : status;
}

/** How many questions each view holds (loaded or not, when the hub pages). */
export function counts(model) {
  const out = Object.fromEntries(VIEWS.map((v) => [v, 0]));
  if (model.total) {
    for (const [status, n] of Object.entries(model.total)) {
      const v = viewOf(status);
      if (v in out) out[v] += n;
    }
    return out;
  }
  for (const q of model.questions.values()) {
    const v = viewOf(q.status);
    if (v in out) out[v] += 1;
  }
  return out;
}

/** Lower case, NFKC, spaces collapsed: what a filter compares. */
export function foldText(text) {
  return String(text ?? '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Whether `q` passes the filter: every word of `text` in its text, name or #id; `tag` equal. */
export function matches(q, { text = '', tag = '' } = {}) {
  if (tag && q.tag !== tag) return false;
  const words = foldText(text).split(' ').filter(Boolean);
  if (words.length === 0) return true;
  const hay = foldText(`${q.text ?? ''} ${q.name ?? ''} #${q.id}`);
  return words.every((w) => hay.includes(w));
}

const byVotes = (a, b) => (b.votes ?? 0) - (a.votes ?? 0) || (a.created ?? 0) - (b.created ?? 0) || a.id - b.id;
const oldest = (a, b) => (a.created ?? 0) - (b.created ?? 0) || a.id - b.id;
const newest = (a, b) => (b.created ?? 0) - (a.created ?? 0) || b.id - a.id;
const latestChange = (a, b) => (b.updated ?? b.created ?? 0) - (a.updated ?? a.created ?? 0) || b.id - a.id;

/**
 * The questions of one view, filtered and ordered:
 * pending oldest first (screened in the order they came; new ones join at the
 * bottom, so the selection never jumps); approved by votes (`sort: 'votes'`,
 * ties: asked earlier first) or newest first (`sort: 'time'`); answered,
 * rejected and on air by the latest change first.
 */
export function queueList(model, { view = 'pending', sort = 'votes', text = '', tag = '' } = {}) {
  const list = [];
  for (const q of model.questions.values()) {
    if (viewOf(q.status) === view && matches(q, { text, tag })) list.push(q);
  }
  let order = latestChange;
  if (view === 'pending') order = oldest;
  else if (view === 'approved') order = sort === 'time' ? newest : byVotes;
  return list.sort(order);
}

/** Questions per asker pseudonym (to spot one person's many questions). */
export function askerCounts(model) {
  const out = new Map();
  for (const q of model.questions.values()) {
    if (q.asker) out.set(q.asker, (out.get(q.asker) ?? 0) + 1);
  }
  return out;
}

// --- what each action does ------------------------------------------------------------------
// QUESTION_TRANSITIONS of server/domain/question.py (through the generated
// contract); the hub decides (an illegal move is a `conflict`), this only
// keeps buttons from offering it.
export const TRANSITIONS = QUESTION_TRANSITIONS;

export function canMove(from, to) {
  return (TRANSITIONS[from] ?? []).includes(to);
}

/** "Move back" one step: the status a question came from on the usual path, or null. */
export function backStatus(status) {
  return { approved: 'pending', on_air: 'approved', answered: 'approved', rejected: 'pending' }[status] ?? null;
}

/** Whether `q` may receive a merge (`into` of q.merge): not merged, not rejected. */
export function canReceiveMerge(q) {
  return q !== undefined && q.status !== 'merged' && q.status !== 'rejected';
}

/**
 * The text split into runs for highlighting sensitive words: [{text, mark}].
 * `spans` are [start, end) offsets in code points of the ORIGINAL text
 * (docs/protocol.md); spans out of range, reversed or overlapping are clipped
 * or merged rather than trusted.
 */
export function markRuns(text, spans) {
  const chars = Array.from(String(text ?? ''));
  const clean = [];
  for (const span of Array.isArray(spans) ? spans : []) {
    if (!Array.isArray(span) || span.length < 2) continue;
    const s = Math.max(0, Math.min(chars.length, Math.floor(Number(span[0]))));
    const e = Math.max(0, Math.min(chars.length, Math.floor(Number(span[1]))));
    if (Number.isFinite(s) && Number.isFinite(e) && e > s) clean.push([s, e]);
  }
  clean.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged = [];
  for (const span of clean) {
    const last = merged[merged.length - 1];
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  const runs = [];
  let at = 0;
  for (const [s, e] of merged) {
    if (s > at) runs.push({ text: chars.slice(at, s).join(''), mark: false });
    runs.push({ text: chars.slice(s, e).join(''), mark: true });
    at = e;
  }
  if (at < chars.length || runs.length === 0) runs.push({ text: chars.slice(at).join(''), mark: false });
  return runs;
}
