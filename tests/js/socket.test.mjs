// HubSocket against a fake WebSocket and a fake clock: backoff, close-code
// policy, resume, resend with the same id, heartbeat, wake-up.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  BACKOFF_CAP_MS,
  HubSocket,
  PROTOCOL_VERSION,
  RECONNECT,
  TERMINAL,
  backoffDelay,
  closeAction,
} from '../../static/js/shared/socket.js';
import { FakeClock } from './fake-clock.mjs';

function fakeWebSocket(sockets) {
  return class FakeWS {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      this.closedWith = null;
      sockets.push(this);
    }
    send(frame) {
      this.sent.push(JSON.parse(frame));
    }
    close(code) {
      this.closedWith = code;
      this.readyState = 3;
    }
    // test side
    open() {
      this.readyState = 1;
      this.onopen?.({});
    }
    receive(msg) {
      this.onmessage?.({ data: JSON.stringify(msg) });
    }
    drop(code, reason = '') {
      this.readyState = 3;
      this.onclose?.({ code, reason });
    }
  };
}

function setup(extra = {}) {
  const clock = new FakeClock();
  const sockets = [];
  const messages = [];
  const statuses = [];
  const hub = new HubSocket({
    bid: 'b1',
    role: 'viewer',
    onMessage: (m) => messages.push(m),
    onStatus: (s) => statuses.push(s),
    url: 'ws://hub/ws/b1',
    WebSocket: fakeWebSocket(sockets),
    random: () => 1, // the top of each backoff range: deterministic
    now: clock.now,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    events: null,
    ...extra,
  });
  return { hub, clock, sockets, messages, statuses };
}

function welcome(ws, extra = {}) {
  ws.open();
  ws.receive({ type: 'welcome', v: 1, role: 'viewer', epoch: 'E1', resume: 'fresh', heartbeat: 25, ...extra });
}

test('close codes mirror server/protocol.py', () => {
  assert.deepEqual([...RECONNECT].sort(), [1001, 1006, 1011, 1012, 1013, 4008, 4408, 4429]);
  assert.deepEqual([...TERMINAL].sort(), [1009, 4400, 4401, 4403, 4404]);
  assert.equal(closeAction(1000), 'stay');
  assert.equal(closeAction(1006), 'reconnect');
  assert.equal(closeAction(1012), 'reconnect');
  assert.equal(closeAction(4403), 'terminal');
  assert.equal(closeAction(1005), 'reconnect'); // unknown: retry rather than die
});

test('full-jitter backoff: random(0, min(30 s, 0.5 s * 2^n))', () => {
  assert.equal(backoffDelay(0, () => 1), 500);
  assert.equal(backoffDelay(1, () => 1), 1000);
  assert.equal(backoffDelay(5, () => 1), 16_000);
  assert.equal(backoffDelay(6, () => 1), BACKOFF_CAP_MS);
  assert.equal(backoffDelay(80, () => 1), BACKOFF_CAP_MS);
  assert.equal(backoffDelay(3, () => 0), 0);
  assert.equal(backoffDelay(3, () => 0.5), 2000);
});

test('hello carries role, version, tab; no since on first connect', () => {
  const { hub, sockets } = setup();
  hub.connect();
  assert.equal(sockets.length, 1);
  sockets[0].open();
  const [hello] = sockets[0].sent;
  assert.equal(hello.type, 'hello');
  assert.equal(hello.role, 'viewer');
  assert.equal(hello.v, PROTOCOL_VERSION);
  assert.match(hello.tab, /^[0-9a-f]{16}$/);
  assert.equal('since' in hello, false);
  assert.equal('key' in hello, false);
});

test('overlay key goes in hello, never in the URL', () => {
  const { hub, sockets } = setup({ role: 'overlay', key: 'sekrit' });
  hub.connect();
  sockets[0].open();
  assert.equal(sockets[0].sent[0].key, 'sekrit');
  assert.equal(sockets[0].url.includes('sekrit'), false);
});

test('reconnect resumes from the last applied frame with the same tab', () => {
  const { hub, clock, sockets, messages } = setup();
  hub.connect();
  welcome(sockets[0]);
  sockets[0].receive({ type: 'snapshot', epoch: 'E1', pos: '5-0', questions: [] });
  sockets[0].receive({ type: 'events', epoch: 'E1', pos: '9-1', events: [] });
  assert.equal(messages.filter((m) => m.type === 'events').length, 1);
  sockets[0].drop(1012);
  assert.equal(hub.state, 'waiting');
  clock.advance(500); // attempt 0 waits at most 0.5 s
  assert.equal(sockets.length, 2);
  sockets[1].open();
  const hello = sockets[1].sent[0];
  assert.deepEqual(hello.since, { epoch: 'E1', pos: '9-1' });
  assert.equal(hello.tab, sockets[0].sent[0].tab);
});

test('unacknowledged commands are resent with the same id after a reconnect', async () => {
  const { hub, clock, sockets } = setup();
  hub.connect();
  welcome(sockets[0]);
  const asked = hub.send('ask', { text: '地铁几点开？' });
  const liked = hub.send('like', { n: 3 });
  const [ask, like] = sockets[0].sent.slice(1);
  assert.equal(ask.type, 'ask');
  assert.equal(like.type, 'like');
  sockets[0].receive({ type: 'ack', id: like.id, result: { accepted: 3, total: 3 } });
  assert.deepEqual((await liked).result, { accepted: 3, total: 3 });
  sockets[0].drop(1006);
  clock.advance(500);
  welcome(sockets[1], { resume: 'recovered' });
  const resent = sockets[1].sent.filter((m) => m.type !== 'hello');
  assert.deepEqual(resent, [ask]); // the acked like is not resent; the ask keeps its id
  sockets[1].receive({ type: 'ack', id: ask.id, result: { qid: 1, status: 'pending' } });
  assert.equal((await asked).type, 'ack');
  assert.equal(hub.pendingCount, 0);
});

test('commands sent before the welcome wait for it', async () => {
  const { hub, sockets } = setup();
  const p = hub.send('upvote', { qid: 4, on: true });
  hub.connect();
  sockets[0].open();
  assert.deepEqual(sockets[0].sent.map((m) => m.type), ['hello']);
  welcome(sockets[0]);
  const up = sockets[0].sent.find((m) => m.type === 'upvote');
  assert.equal(up.qid, 4);
  sockets[0].receive({ type: 'error', id: up.id, code: 'not_found', message: 'x', retryable: false });
  assert.equal((await p).code, 'not_found');
});

test('a kept id is reused (page reload resends the same command)', () => {
  const { hub, sockets } = setup();
  hub.connect();
  welcome(sockets[0]);
  hub.send('ask', { text: 'q' }, { id: 'keep-me-1' });
  assert.equal(sockets[0].sent.at(-1).id, 'keep-me-1');
});

test('unavailable is resent by the socket with the same id', async () => {
  const { hub, clock, sockets } = setup();
  hub.connect();
  welcome(sockets[0]);
  const p = hub.send('vote', { poll: 1, choices: [0] });
  const vote = sockets[0].sent.at(-1);
  sockets[0].receive({ type: 'error', id: vote.id, code: 'unavailable', message: '', retryable: true });
  clock.advance(1000);
  assert.equal(sockets[0].sent.at(-1).id, vote.id);
  assert.equal(sockets[0].sent.filter((m) => m.id === vote.id).length, 2);
  sockets[0].receive({ type: 'ack', id: vote.id, result: { poll: 1 } });
  assert.equal((await p).type, 'ack');
});

test('rate_limited is handed to the page, not retried', async () => {
  const { hub, clock, sockets } = setup();
  hub.connect();
  welcome(sockets[0]);
  const p = hub.send('ask', { text: 'q' });
  const ask = sockets[0].sent.at(-1);
  sockets[0].receive({ type: 'error', id: ask.id, code: 'rate_limited', message: '', retryable: true });
  assert.equal((await p).code, 'rate_limited');
  clock.advance(60_000);
  assert.equal(sockets[0].sent.filter((m) => m.id === ask.id).length, 1);
});

test('terminal close stops, reports why, and fails pending commands', async () => {
  const { hub, clock, sockets, statuses } = setup();
  hub.connect();
  welcome(sockets[0]);
  const p = hub.send('ask', { text: 'q' });
  sockets[0].drop(4403, 'banned');
  assert.equal(hub.state, 'closed');
  const last = statuses.at(-1);
  assert.equal(last.state, 'closed');
  assert.equal(last.code, 4403);
  assert.equal(last.terminal, true);
  assert.equal((await p).code, 'disconnected');
  clock.advance(120_000);
  assert.equal(sockets.length, 1);
  assert.equal((await hub.send('ask', { text: 'again' })).code, 'disconnected');
});

test('backoff grows and resets after a welcome', () => {
  const { hub, clock, sockets, statuses } = setup();
  hub.connect();
  sockets[0].drop(1006);
  const delays = [statuses.at(-1).delay];
  clock.advance(delays[0]);
  sockets[1].drop(1006);
  delays.push(statuses.at(-1).delay);
  clock.advance(delays[1]);
  sockets[2].drop(1013);
  delays.push(statuses.at(-1).delay);
  assert.deepEqual(delays, [500, 1000, 2000]);
  clock.advance(2000);
  welcome(sockets[3]);
  assert.equal(hub.attempt, 0);
  sockets[3].drop(1012);
  assert.equal(statuses.at(-1).delay, 500);
});

test('heartbeat: ping after silence, dead after 2x without receiving', () => {
  const { hub, clock, sockets } = setup();
  hub.connect();
  welcome(sockets[0], { heartbeat: 10 });
  clock.advance(10_000);
  assert.equal(sockets[0].sent.at(-1).type, 'ping');
  sockets[0].receive({ type: 'pong' });
  clock.advance(10_000);
  assert.equal(sockets.length, 1);
  clock.advance(10_000); // 20 s without a frame since the pong
  assert.equal(sockets[0].closedWith, 4000);
  assert.equal(hub.state, 'waiting');
  clock.advance(500);
  assert.equal(sockets.length, 2);
});

test('no welcome within the connect timeout: retried', () => {
  const { hub, clock, sockets } = setup();
  hub.connect();
  sockets[0].open();
  clock.advance(15_000);
  assert.equal(hub.state, 'waiting');
  clock.advance(500);
  assert.equal(sockets.length, 2);
});

test('wake-up skips the backoff wait and probes an open socket', () => {
  const { hub, clock, sockets } = setup();
  hub.connect();
  welcome(sockets[0]);
  // The phone slept: no timer ran, nothing arrived.
  clock.t += 5 * 60_000;
  hub.wake();
  assert.equal(sockets[0].sent.at(-1).type, 'ping');
  clock.advance(4000);
  assert.equal(hub.state, 'waiting');
  // Offline for a long time: the wait can be up to 30 s, wake() cuts it short.
  hub.attempt = 10;
  hub.wake();
  assert.equal(sockets.length, 2);
  welcome(sockets[1]);
  hub.wake(); // just received: nothing to probe
  assert.equal(sockets[1].sent.at(-1).type, 'hello');
});

test('close() is final and fails pending commands', async () => {
  const { hub, clock, sockets, statuses } = setup();
  hub.connect();
  welcome(sockets[0]);
  const p = hub.send('like', { n: 1 });
  hub.close();
  assert.equal(sockets[0].closedWith, 1000);
  assert.equal(statuses.at(-1).state, 'closed');
  assert.equal((await p).code, 'disconnected');
  clock.advance(60_000);
  assert.equal(sockets.length, 1);
});

test('a frame over 16 KiB is refused locally, the socket survives', async () => {
  const { hub, sockets } = setup();
  hub.connect();
  welcome(sockets[0]);
  const reply = await hub.send('ask', { text: '问'.repeat(6000) });
  assert.equal(reply.code, 'too_big');
  assert.equal(sockets[0].sent.length, 1);
});

test('an epoch change forgets the old position', () => {
  const { hub, clock, sockets } = setup();
  hub.connect();
  welcome(sockets[0]);
  sockets[0].receive({ type: 'snapshot', epoch: 'E1', pos: '5-0' });
  sockets[0].drop(1012);
  clock.advance(500);
  welcome(sockets[1], { epoch: 'E2', resume: 'epoch_changed' });
  assert.equal(hub.pos, null);
  assert.equal(hub.epoch, 'E2');
});

test('a throwing onMessage does not break the connection', () => {
  const { hub, sockets } = setup({
    onMessage: () => {
      throw new Error('page bug');
    },
  });
  const original = console.error;
  console.error = () => {};
  try {
    hub.connect();
    welcome(sockets[0]);
    sockets[0].receive({ type: 'events', epoch: 'E1', pos: '3-0', events: [] });
  } finally {
    console.error = original;
  }
  assert.equal(hub.state, 'open');
  assert.equal(hub.pos, '3-0');
});
