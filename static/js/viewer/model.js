// The viewer page's own intentions, pure: what the person did that the hub has
// not confirmed yet (taps not yet counted, an upvote in flight, a question
// being sent), kept apart from the broadcast's state (shared/state.js) and
// drawn on top of it by the DOM layer (viewer/main.js) until the hub's answer,
// and its event, have arrived.
//
// No DOM and no globals: the socket's send, the storage, the clock and the id
// source are injected, as shared/socket.js does, so the rules below run under
// node --test (tests/js/viewer-model.test.mjs) with fakes.

import { comparePos } from '../shared/state.js';
import { DEFAULT_MAX_LEN, LIKE_MAX_BATCH } from '../shared/contract.js';
import { charCount } from '../shared/format.js';

export const LIKE_FLUSH_MS = 300; // taps are summed this long before a like command

// The browser's timers, for the default of every `clock` below.
const browserClock = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id),
};

// --- likes ------------------------------------------------------------------------

/**
 * Taps summed into like commands, at most one in flight per page
 * (docs/protocol.md, "Like batches"): taps made meanwhile wait for the next
 * batch. The socket resends an unacknowledged batch with its id after a
 * reconnect, so a batch is counted once.
 *
 * send(n) resolves the hub's reply ({type: 'ack', result: {total}} or an
 * error); isClosed() says the socket stopped for good; onChange() asks for a
 * redraw; onRefused(code) tells the person when the hub refused a batch for
 * good (e.g. 'closed' after the end of the show: those taps are not counted and
 * the taps queued meanwhile are dropped).
 */
export class LikeBatcher {
  constructor({ send, isClosed = () => false, onChange = () => {}, onRefused = () => {},
    clock = browserClock, flushMs = LIKE_FLUSH_MS, maxBatch = LIKE_MAX_BATCH }) {
    this._send = send;
    this._onRefused = onRefused;
    this._isClosed = isClosed;
    this._onChange = onChange;
    this._clock = clock;
    this._flushMs = flushMs;
    this._maxBatch = maxBatch;
    this.queued = 0; // taps not sent yet
    this.inflight = 0; // taps of the batch awaiting its ack
    this.ackTotal = 0; // the highest total an ack reported
    this._timer = null;
  }

  /** The total to show: the hub's, plus what this page has not seen counted yet. */
  total(stateLikes) {
    return Math.max(stateLikes, this.ackTotal) + this.queued + this.inflight;
  }

  tap() {
    this.queued += 1;
    this._onChange();
    if (this._timer === null && this.inflight === 0) this._schedule();
  }

  _schedule() {
    this._timer = this._clock.setTimeout(() => this.flush(), this._flushMs);
  }

  /** Send what is queued (at most maxBatch), unless a batch is in flight. */
  async flush() {
    this._timer = null;
    if (this.inflight > 0 || this.queued === 0) return;
    const n = Math.min(this.queued, this._maxBatch);
    this.queued -= n;
    this.inflight = n;
    const reply = await this._send(n);
    this.inflight = 0;
    const total = reply?.type === 'ack' ? reply.result?.total : undefined;
    if (typeof total === 'number') this.ackTotal = Math.max(this.ackTotal, total);
    if (reply?.type === 'error' && !reply.local && reply.retryable !== true) {
      this.queued = 0;
      this._onRefused(reply.code);
    }
    this._onChange();
    if (this.queued > 0 && !this._isClosed()) this._schedule();
  }
}

// --- upvotes ----------------------------------------------------------------------

/**
 * Upvotes the person made, drawn from here until the state has caught up with
 * the event the hub wrote for each (the ack's pos); then the state speaks again.
 * A later tap on the same question owns it: an earlier tap's late answer is
 * ignored.
 *
 * send(qid, on) resolves the hub's reply; getState() is the current broadcast
 * state (shared/state.js); onFailed() tells the person; onChange() redraws.
 */
export class UpvoteIntents {
  constructor({ send, getState, onChange = () => {}, onFailed = () => {} }) {
    this._send = send;
    this._getState = getState;
    this._onChange = onChange;
    this._onFailed = onFailed;
    this._pending = new Map(); // qid -> {on, seq, ackPos}
    this._seq = 0;
  }

  /** Whether this viewer's upvote of `qid` is on, as the page should show it. */
  mine(qid) {
    const pending = this._pending.get(qid);
    return pending ? pending.on : this._getState().myvotes.has(qid);
  }

  /** The vote count to show: the hub's, corrected by an upvote it has not reflected yet. */
  shownVotes(q) {
    const counted = Number(this._getState().myvotes.has(q.id));
    return Math.max(0, (q.votes ?? 0) + Number(this.mine(q.id)) - counted);
  }

  /** Flip the upvote of `qid`; resolves once the hub answered. */
  async toggle(qid) {
    if (!this._getState().questions.has(qid)) return;
    const on = !this.mine(qid);
    const seq = ++this._seq;
    this._pending.set(qid, { on, seq, ackPos: null });
    this._onChange();
    const reply = await this._send(qid, on);
    const pending = this._pending.get(qid);
    if (!pending || pending.seq !== seq) return; // a later tap owns it now
    const pos = reply?.type === 'ack' ? reply.result?.pos : null;
    if (pos && comparePos(this._getState().pos, pos) < 0) pending.ackPos = pos; // wait for our event
    else this._pending.delete(qid);
    if (reply?.type !== 'ack') this._onFailed(reply?.code);
    this._onChange();
  }

  /** Forget the upvotes whose event the state has applied. */
  settle() {
    const { pos } = this._getState();
    for (const [qid, pending] of this._pending) {
      if (pending.ackPos && comparePos(pos, pending.ackPos) >= 0) this._pending.delete(qid);
    }
  }
}

// --- asking -----------------------------------------------------------------------

/**
 * localStorage that never throws (private mode, a full quota): the page still
 * works, it just forgets on reload. `backing` is injected for tests.
 */
export function safeStorage(backing = globalThis.localStorage) {
  return {
    get(key) {
      try {
        return backing?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        if (value === null) backing?.removeItem(key);
        else backing?.setItem(key, value);
      } catch {
        // not remembered
      }
    },
  };
}

/** The question length limit of the broadcast's settings. */
export function maxLen(settings) {
  const n = Number(settings?.max_len);
  return n > 0 ? n : DEFAULT_MAX_LEN;
}

// What the hub's refusal of a question is called in the page's table (err_<code>).
const ASK_ERRORS = new Set(['empty', 'too_long', 'duplicate', 'rate_limited', 'closed', 'banned', 'invalid']);

/**
 * The question being sent, kept with its id under the broadcast's key until
 * the hub acknowledged it: a question sent before a reload or a crash is sent
 * again with the same id, and the hub applies it once whatever happened to the
 * first attempt. Also the draft and the name remembered on the device.
 *
 * send(ask) resolves the hub's reply to {type: 'ask', id, text, name, tag};
 * newId() makes a command id; onChange() redraws.
 */
export class AskOutbox {
  constructor({ bid, storage, send, newId, onChange = () => {}, onAcked = () => {} }) {
    this.keys = { draft: `xs:draft:${bid}`, ask: `xs:ask:${bid}`, name: 'xs:name' };
    this._storage = storage;
    this._send = send;
    this._newId = newId;
    this._onChange = onChange;
    this._onAcked = onAcked; // (result) once the hub acknowledged a question
    this.sending = null; // {id, text, name, tag} while its reply is awaited
    this.feedback = null; // {key, kind, vars}: what to tell the person
    // The 查询码 of the question just asked, shown at once under the
    // confirmation (phones lose cookies), until the next question is sent.
    this.code = null;
    this.qid = null; // the id of the last question the hub acknowledged
  }

  draft() {
    return this._storage.get(this.keys.draft) ?? '';
  }

  saveDraft(text) {
    this._storage.set(this.keys.draft, text || null);
  }

  name() {
    return this._storage.get(this.keys.name) ?? '';
  }

  /**
   * Check and send a question: the promise of the hub's reply, or null (with
   * feedback) when it cannot go. `offline`: the socket is not open (the
   * question waits for it, and the person is told).
   */
  submit({ text, name, tag }, settings, { offline = false } = {}) {
    if (this.sending) return null;
    const n = charCount(text);
    const max = maxLen(settings);
    if (n === 0) return this._say('err_empty', 'error');
    if (n > max) return this._say('err_too_long', 'error', { max });
    const cleanName = (name ?? '').trim();
    this._storage.set(this.keys.name, cleanName || null);
    const ask = { id: this._newId(), text, name: cleanName || null, tag: tag || null };
    this._storage.set(this.keys.ask, JSON.stringify(ask));
    return this.send(ask, settings, { offline });
  }

  /** The saved question of an earlier page load, if any (then send it: resend()). */
  saved() {
    const raw = this._storage.get(this.keys.ask);
    if (!raw) return null;
    try {
      const ask = JSON.parse(raw);
      if (ask && typeof ask.id === 'string' && typeof ask.text === 'string') return ask;
    } catch {
      // unreadable: dropped below
    }
    this._storage.set(this.keys.ask, null);
    return null;
  }

  /** Send the saved question again with its id: the promise of the reply, or null. */
  resend(settings, { offline = false } = {}) {
    const ask = this.sending ? null : this.saved();
    return ask ? this.send(ask, settings, { offline }) : null;
  }

  /** Send `ask` (already saved); resolves once the hub answered. */
  async send(ask, settings, { offline = false } = {}) {
    this.sending = ask;
    this.code = null;
    this.feedback = offline ? { key: 'ask_offline', kind: 'info', vars: {} } : null;
    this._onChange();
    const reply = await this._send(ask);
    this.sending = null;
    if (reply?.type === 'error' && reply.local && reply.code === 'disconnected') {
      // The page lost its connection for good: the question stays saved with
      // its id and is sent (once) when the page is opened again.
      this._onChange();
      return reply;
    }
    this._storage.set(this.keys.ask, null);
    if (reply?.type === 'ack') {
      this._storage.set(this.keys.draft, null);
      // "pending": waits for review (moderation, or held by the word list);
      // "rejected": stored but not shown (blocked by the word list).
      const done = { pending: 'ask_done_pending', rejected: 'ask_done_hidden' }[reply.result?.status];
      this.code = reply.result?.code ?? null;
      this.qid = reply.result?.qid ?? null;
      this._onAcked(reply.result ?? {});
      this._say(done ?? 'ask_done_public', 'ok');
    } else {
      const key = ASK_ERRORS.has(reply?.code) ? `err_${reply.code}` : 'err_generic';
      this._say(key, 'error', { max: maxLen(settings) });
    }
    return reply;
  }

  /**
   * "已提交，等待审核" holds only while the question waits: once a moderator
   * approved it, put it on air or turned it down, the notice goes (its status
   * is under 我的提问). `mine`: the state's own questions, by id.
   */
  settle(mine) {
    if (this.feedback?.key !== 'ask_done_pending' || this.qid === null) return;
    const status = mine.get(this.qid)?.status;
    if (status !== undefined && status !== 'pending') this.feedback = null;
  }

  _say(key, kind, vars = {}) {
    this.feedback = { key, kind, vars };
    this._onChange();
    return null;
  }
}

/**
 * The own questions to list, newest first, with the one being sent on top
 * (status "sending") until its own event arrives. The hub stores the text
 * normalised; the comparison is loose so that the question's event, arriving
 * before its ack, does not show it twice.
 */
export function mineRows(mine, sending) {
  const loose = (text) => String(text).replace(/\s+/g, ' ').trim();
  const rows = [];
  if (sending && !mine.some((q) => loose(q.text) === loose(sending.text))) {
    rows.push({ text: sending.text, status: 'sending' });
  }
  return rows.concat(mine);
}

// --- polls ------------------------------------------------------------------------

/**
 * What a poll card shows: the viewer's choices, the tallies (the ack's until
 * the poll's own tally event arrives, for results shown after voting), and
 * whether the form is offered.
 */
export function pollView(poll, ack, ended) {
  const mine = poll.mine ?? ack?.mine ?? null;
  let tallies = poll.tallies ?? null;
  let ballots = poll.ballots ?? null;
  if (tallies === null && ack && Array.isArray(ack.tallies) && poll.state === 'open') {
    tallies = ack.tallies;
    ballots = ack.ballots;
  }
  const canVote = poll.state === 'open' && mine === null && !ended;
  return { mine, tallies, ballots, canVote };
}

/** The i18n key for a refused ballot. */
export function voteErrorKey(code) {
  if (code === 'conflict' || code === 'duplicate') return 'poll_already';
  if (code === 'closed') return 'poll_closed_err';
  if (code === 'too_long') return 'poll_answer_long';
  if (code === 'empty') return 'poll_answer_empty';
  return 'poll_failed';
}
