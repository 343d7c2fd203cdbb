// The one reconnecting websocket of every page (viewer, console, overlay).
//
// It speaks docs/protocol.md and knows nothing of the page: no DOM code here.
// The page gets every server message through onMessage and the connection's
// state through onStatus; it sends commands with send(), which resolves with
// the command's ack or error message.
//
// Contracts:
// * a command id is chosen once; a command not yet acknowledged is resent with
//   the SAME id after every reconnect (the hub applies an id once and answers a
//   resend with the original result), so a flaky network never applies a
//   command twice and never drops one;
// * reconnects use full-jitter exponential backoff (attempt n waits
//   random(0, min(30 s, 0.5 s * 2^n)); n resets after a welcome) and resume
//   from the last applied position ({epoch, pos} in hello.since);
// * the close-code policy is server/protocol.py's (RECONNECT, TERMINAL, via
//   contract.js); a frame over MAX_FRAME_BYTES (closed by the hub with 1009,
//   a terminal code) is refused here instead;
// * app-level heartbeat per the welcome: a ping after `heartbeat` s without
//   sending, and the connection is dead after 2 x `heartbeat` s without
//   receiving anything (then: reconnect with resume);
// * a page that wakes up (visibilitychange, online, pageshow) checks at once
//   instead of waiting out a backoff or a heartbeat that slept with the phone.

import { CLOSE, MAX_FRAME_BYTES, PROTOCOL_VERSION, RECONNECT_CODES, TERMINAL_CODES } from './contract.js';

// The close-code policy and the limits come from server/protocol.py through
// the generated contract.js; re-exported for the pages and tests that use them.
export { MAX_FRAME_BYTES, PROTOCOL_VERSION };
export const RECONNECT = new Set(RECONNECT_CODES);
export const TERMINAL = new Set(TERMINAL_CODES);
export const NORMAL = CLOSE.NORMAL;

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;
// Before the welcome there is no heartbeat yet: a handshake hanging this long
// on a bad mobile network is abandoned and retried.
export const CONNECT_TIMEOUT_MS = 15_000;
// After a wake-up, a connection that answers nothing within this time is dead.
export const WAKE_PROBE_MS = 4_000;
// Retryable errors the socket resends by itself (same id, after a backoff):
// "the write did not happen or will be applied once". rate_limited is left to
// the page: a person should know they were too fast.
const AUTO_RETRY = new Set(['unavailable', 'internal']);

/** What to do after a close code: 'reconnect', 'terminal' or 'stay' (1000). */
export function closeAction(code) {
  if (code === NORMAL) return 'stay';
  if (TERMINAL.has(code)) return 'terminal';
  // RECONNECT, and codes the hub never sends (1005 no status, 1002, 1015...):
  // a page that stays dead on an unknown code is worse than one that retries.
  return 'reconnect';
}

/** Full jitter: random(0, min(cap, base * 2^attempt)) milliseconds. */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30));
  return random() * ceiling;
}

/** A random id of `bytes` random bytes as hex (command ids, tab ids). */
export function randomId(bytes = 8) {
  const buf = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
}

function defaultUrl(bid) {
  const loc = globalThis.location;
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/ws/${encodeURIComponent(bid)}`;
}

const encoder = new TextEncoder();

export class HubSocket {
  /**
   * @param {object} o
   * @param {string} o.bid broadcast id
   * @param {'viewer'|'moderator'|'overlay'} o.role
   * @param {string} [o.key] overlay key (sent in hello, never in the URL)
   * @param {(msg: object) => void} [o.onMessage] every server message, in order
   * @param {(status: object) => void} [o.onStatus] {state, attempt, delay, code, reason, resume}
   * Test seams (defaults are the browser's): url, WebSocket, random, now,
   * setTimeout, clearTimeout, events (an EventTarget-like for wake-ups, or null).
   */
  constructor({ bid, role, key, onMessage, onStatus, ...seams }) {
    this.bid = bid;
    this.role = role;
    this.key = key ?? null;
    this.onMessage = onMessage ?? (() => {});
    this.onStatus = onStatus ?? (() => {});
    this.url = seams.url ?? defaultUrl(bid);
    this._WS = seams.WebSocket ?? globalThis.WebSocket;
    this._random = seams.random ?? Math.random;
    this._now = seams.now ?? (() => Date.now());
    this._setTimeout = seams.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
    this._clearTimeout = seams.clearTimeout ?? ((t) => globalThis.clearTimeout(t));
    this._events = seams.events === undefined ? defaultEvents() : seams.events;

    // One per page load: the hub makes like batches idempotent per tab.
    this.tab = randomId(8);
    this.state = 'idle'; // idle | connecting | open | waiting | closed
    this.epoch = null; // of the last welcome / snapshot / events frame
    this.pos = null; // of the last snapshot / events frame handed to onMessage
    this.heartbeatMs = null;
    this.attempt = 0; // reconnect attempts since the last welcome
    this.closeCode = null;
    this.closeReason = '';

    this._ws = null;
    // id -> {frame, resolve, created}; insertion order = send order, kept on resend.
    this._pending = new Map();
    this._timer = null; // backoff wait, connect timeout or heartbeat check
    this._lastSent = 0;
    this._lastReceived = 0;
    this._probeUntil = 0; // a wake-up probe is running until then
    this._wake = () => this.wake();
    this._onVisibility = () => {
      if (globalThis.document?.visibilityState !== 'hidden') this.wake();
    };
  }

  /** Open the connection (again). No-op if already connecting or open. */
  connect() {
    if (this.state === 'connecting' || this.state === 'open') return;
    if (this.state === 'idle' || this.state === 'closed') this._listen(true);
    this.closeCode = null;
    this._clearTimer();
    this._open();
  }

  /** Close for good (code 1000); pending commands resolve with a local error. */
  close() {
    this._listen(false);
    this._clearTimer();
    const ws = this._ws;
    this._detach();
    if (ws) safeClose(ws, NORMAL);
    this.closeCode = NORMAL;
    this._setState('closed', { code: NORMAL, reason: 'closed by the page' });
    this._failPending('disconnected', 'the connection was closed');
  }

  /**
   * Send a command; resolves with its `ack` or `error` message (never rejects).
   * `opts.id` reuses an id the page kept (e.g. in localStorage across a
   * reload); otherwise a new one is made. Unacknowledged commands are resent
   * with the same id after each reconnect.
   */
  send(type, fields = {}, opts = {}) {
    const id = opts.id ?? randomId(8);
    const existing = this._pending.get(id);
    if (existing) return existing.promise;
    const frame = JSON.stringify({ type, id, ...fields });
    if (encoder.encode(frame).length > MAX_FRAME_BYTES) {
      return Promise.resolve(localError(id, 'too_big', 'the message is too large to send'));
    }
    if (this.state === 'closed' && this.closeCode !== null && this.closeCode !== NORMAL) {
      return Promise.resolve(localError(id, 'disconnected', 'the connection was closed'));
    }
    let resolve;
    const promise = new Promise((r) => {
      resolve = r;
    });
    this._pending.set(id, { frame, resolve, promise, retries: 0 });
    if (this.state === 'open') this._write(frame);
    return promise;
  }

  /** The page woke up or came back online: check the connection now. */
  wake() {
    if (this.state === 'waiting') {
      this._clearTimer();
      this._open();
    } else if (this.state === 'open' && this.heartbeatMs !== null) {
      // Timers slept with the phone; the socket may be long dead without an
      // onclose. Probe it: anything received within WAKE_PROBE_MS proves it alive.
      if (this._now() - this._lastReceived > 2_000) {
        this._probeUntil = this._now() + WAKE_PROBE_MS;
        this._write(JSON.stringify({ type: 'ping' }));
        this._schedule(WAKE_PROBE_MS);
      }
    }
  }

  /** Number of commands sent but not yet answered. */
  get pendingCount() {
    return this._pending.size;
  }

  // --- connection life -------------------------------------------------------

  _open() {
    this._setState('connecting', { attempt: this.attempt });
    let ws;
    try {
      ws = new this._WS(this.url);
    } catch {
      this._lost(1006, 'could not open');
      return;
    }
    this._ws = ws;
    this.heartbeatMs = null;
    this._lastReceived = this._now();
    ws.onopen = () => {
      if (this._ws !== ws) return;
      const hello = { type: 'hello', role: this.role, v: PROTOCOL_VERSION, tab: this.tab };
      if (this.key) hello.key = this.key;
      if (this.epoch && this.pos) hello.since = { epoch: this.epoch, pos: this.pos };
      this._write(JSON.stringify(hello));
    };
    ws.onmessage = (event) => {
      if (this._ws === ws) this._received(event.data);
    };
    ws.onclose = (event) => {
      if (this._ws === ws) this._lost(event.code ?? 1006, event.reason ?? '');
    };
    // onerror is always followed by onclose; nothing to do here.
    ws.onerror = () => {};
    this._schedule(CONNECT_TIMEOUT_MS);
  }

  _received(data) {
    this._lastReceived = this._now();
    this._probeUntil = 0;
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return; // the hub sends JSON only; a broken frame is not worth dying for
    }
    if (msg === null || typeof msg !== 'object') return;
    switch (msg.type) {
      case 'welcome':
        this._welcomed(msg);
        break;
      case 'ack':
      case 'error':
        this._answered(msg);
        break;
      case 'snapshot':
      case 'events':
        this._deliver(msg);
        // Advance the resume point only after the page has applied the frame.
        if (typeof msg.epoch === 'string') this.epoch = msg.epoch;
        if (typeof msg.pos === 'string') this.pos = msg.pos;
        return;
      case 'pong':
        return;
      default:
        break;
    }
    this._deliver(msg);
  }

  _welcomed(msg) {
    const seconds = Number(msg.heartbeat);
    this.heartbeatMs = seconds > 0 ? seconds * 1000 : 25_000;
    if (this.epoch !== null && msg.epoch !== this.epoch) {
      // A new history: the snapshot that follows replaces everything.
      this.pos = null;
    }
    this.epoch = msg.epoch ?? this.epoch;
    this.attempt = 0;
    this._setState('open', { resume: msg.resume });
    // Resend everything unanswered, oldest first, with the original ids.
    for (const item of this._pending.values()) this._write(item.frame);
    this._schedule(this.heartbeatMs);
  }

  _answered(msg) {
    const item = msg.id == null ? undefined : this._pending.get(msg.id);
    if (item === undefined) return;
    if (msg.type === 'error' && msg.retryable && AUTO_RETRY.has(msg.code)) {
      // Same id again later; the connection may drop meanwhile, then the
      // welcome resends it anyway.
      const delay = backoffDelay(item.retries++, this._random);
      this._setTimeout(() => {
        if (this._pending.get(msg.id) === item && this.state === 'open') this._write(item.frame);
      }, delay);
      return;
    }
    this._pending.delete(msg.id);
    item.resolve(msg);
  }

  _lost(code, reason) {
    this._detach();
    this._clearTimer();
    this.closeCode = code;
    this.closeReason = reason;
    const action = closeAction(code);
    if (action === 'reconnect') {
      const delay = backoffDelay(this.attempt, this._random);
      this.attempt += 1;
      this._setState('waiting', { code, reason, delay, attempt: this.attempt });
      this._timer = this._setTimeout(() => {
        this._timer = null;
        this._open();
      }, delay);
      return;
    }
    this._listen(false);
    this._setState('closed', { code, reason, terminal: action === 'terminal' });
    this._failPending('disconnected', `the connection was closed (${code})`);
  }

  // One timer serves the connect timeout (before welcome) and the heartbeat
  // (after): on each tick it decides what is due and re-arms itself.
  _schedule(ms) {
    this._clearTimer();
    this._timer = this._setTimeout(() => {
      this._timer = null;
      this._tick();
    }, Math.max(50, ms));
  }

  _tick() {
    if (this._ws === null) return;
    const now = this._now();
    if (this.state === 'connecting') {
      if (now - this._lastReceived >= CONNECT_TIMEOUT_MS) {
        this._abandon('no welcome');
      } else {
        this._schedule(CONNECT_TIMEOUT_MS - (now - this._lastReceived));
      }
      return;
    }
    if (this.state !== 'open') return;
    const hb = this.heartbeatMs;
    if (this._probeUntil && now >= this._probeUntil) {
      this._abandon('no answer after wake-up');
      return;
    }
    if (now - this._lastReceived >= 2 * hb) {
      this._abandon('heartbeat timeout');
      return;
    }
    if (now - this._lastSent >= hb) this._write(JSON.stringify({ type: 'ping' }));
    const nextPing = this._lastSent + hb - now;
    const deadline = this._lastReceived + 2 * hb - now;
    const probe = this._probeUntil ? this._probeUntil - now : Infinity;
    this._schedule(Math.min(nextPing, deadline, probe));
  }

  // A connection that is silently dead: do not wait for its onclose (a browser
  // may take minutes to give up on it); drop it and reconnect as after a 1006.
  _abandon(reason) {
    const ws = this._ws;
    this._detach();
    if (ws) safeClose(ws, 4000);
    this._lost(1006, reason);
  }

  _detach() {
    const ws = this._ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    this._ws = null;
  }

  _write(frame) {
    const ws = this._ws;
    if (!ws || ws.readyState !== 1) return;
    try {
      ws.send(frame);
      this._lastSent = this._now();
    } catch {
      // A send on a closing socket: its onclose follows and the welcome resends.
    }
  }

  _deliver(msg) {
    try {
      this.onMessage(msg);
    } catch (err) {
      // A page bug must not kill the connection (nor skip the resume point).
      globalThis.console?.error?.(err);
    }
  }

  _setState(state, detail = {}) {
    this.state = state;
    try {
      this.onStatus({ state, attempt: this.attempt, ...detail });
    } catch (err) {
      globalThis.console?.error?.(err);
    }
  }

  _failPending(code, message) {
    const items = [...this._pending.entries()];
    this._pending.clear();
    for (const [id, item] of items) item.resolve(localError(id, code, message));
  }

  _clearTimer() {
    if (this._timer !== null) {
      this._clearTimeout(this._timer);
      this._timer = null;
    }
  }

  _listen(on) {
    const target = this._events;
    if (!target) return;
    const method = on ? 'addEventListener' : 'removeEventListener';
    for (const name of ['online', 'pageshow']) target.window?.[method]?.(name, this._wake);
    target.document?.[method]?.('visibilitychange', this._onVisibility);
  }
}

function defaultEvents() {
  const win = globalThis.window;
  const doc = globalThis.document;
  return win || doc ? { window: win, document: doc } : null;
}

function safeClose(ws, code) {
  try {
    ws.close(code);
  } catch {
    // already closed
  }
}

/** An error message made here, not by the hub (`local: true`). */
function localError(id, code, message) {
  return { type: 'error', id, code, message, retryable: false, local: true };
}
