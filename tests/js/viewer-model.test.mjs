// static/js/viewer/model.js: the viewer page's intentions (like batches,
// upvotes in flight, the question being sent) with a fake clock, a fake
// socket and an in-memory storage; no browser.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  AskOutbox,
  LIKE_FLUSH_MS,
  LikeBatcher,
  UpvoteIntents,
  maxLen,
  mineRows,
  pollView,
  safeStorage,
  voteErrorKey,
} from '../../static/js/viewer/model.js';
import { DEFAULT_MAX_LEN, LIKE_MAX_BATCH } from '../../static/js/shared/contract.js';
import { applyMessage, initialState } from '../../static/js/shared/state.js';
import { FakeClock } from './fake-clock.mjs';

/** A send() whose replies the test gives, one per call, when it wants. */
function fakeSend() {
  const calls = [];
  const send = (...args) => new Promise((resolve) => calls.push({ args, resolve }));
  return { send, calls };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('likes: taps within the flush window go as one batch, one batch in flight', async () => {
  const clock = new FakeClock();
  const { send, calls } = fakeSend();
  const likes = new LikeBatcher({ send, clock });
  likes.tap();
  likes.tap();
  likes.tap();
  assert.equal(calls.length, 0);
  assert.equal(likes.total(10), 13, 'taps show at once');
  clock.advance(LIKE_FLUSH_MS);
  assert.deepEqual(calls.map((c) => c.args), [[3]]);
  likes.tap();
  likes.tap();
  clock.advance(LIKE_FLUSH_MS * 5);
  assert.equal(calls.length, 1, 'nothing more while a batch is in flight');
  assert.equal(likes.total(10), 15);
  calls[0].resolve({ type: 'ack', result: { total: 13 } });
  await tick();
  assert.equal(likes.total(10), 15, 'the ack total replaces the counted taps');
  clock.advance(LIKE_FLUSH_MS);
  assert.deepEqual(calls.map((c) => c.args), [[3], [2]]);
  calls[1].resolve({ type: 'ack', result: { total: 40 } }); // others liked too
  await tick();
  assert.equal(likes.total(12), 40);
  assert.equal(clock.timers.size, 0, 'nothing left to send');
});

test('likes: a batch holds at most LIKE_MAX_BATCH taps; an error counts nothing', async () => {
  const clock = new FakeClock();
  const { send, calls } = fakeSend();
  let closed = false;
  const likes = new LikeBatcher({ send, clock, isClosed: () => closed });
  for (let i = 0; i < LIKE_MAX_BATCH + 7; i++) likes.tap();
  clock.advance(LIKE_FLUSH_MS);
  assert.deepEqual(calls[0].args, [LIKE_MAX_BATCH]);
  calls[0].resolve({ type: 'error', code: 'rate_limited', retryable: true });
  await tick();
  assert.equal(likes.ackTotal, 0);
  assert.equal(likes.total(0), 7);
  clock.advance(LIKE_FLUSH_MS);
  assert.deepEqual(calls[1].args, [7]);
  likes.tap();
  closed = true;
  calls[1].resolve({ type: 'error', local: true, code: 'disconnected' });
  await tick();
  clock.advance(LIKE_FLUSH_MS * 10);
  assert.equal(calls.length, 2, 'a closed socket gets no new batch');
});

test('likes: a batch refused for good (the show ended) drops the queued taps and says why', async () => {
  const clock = new FakeClock();
  const { send, calls } = fakeSend();
  const refused = [];
  const likes = new LikeBatcher({ send, clock, onRefused: (code) => refused.push(code) });
  likes.tap();
  likes.tap();
  clock.advance(LIKE_FLUSH_MS);
  likes.tap(); // while the refused batch is in flight
  calls[0].resolve({ type: 'error', code: 'closed', retryable: false });
  await tick();
  assert.deepEqual(refused, ['closed']);
  assert.equal(likes.total(9), 9, 'no tap of the refused batch or after it is shown as counted');
  clock.advance(LIKE_FLUSH_MS * 5);
  assert.equal(calls.length, 1, 'nothing more is sent');
});

function viewerState(pos = '10-0', myvotes = []) {
  return applyMessage(initialState('viewer'), {
    type: 'snapshot', epoch: 'e', pos, myvotes,
    questions: [{ id: 1, text: 'a', status: 'approved', votes: 4 }, { id: 2, text: 'b', status: 'approved', votes: 0 }],
  }); // prettier-ignore
}

test('upvotes: drawn from the intent until the state applied the acked event', async () => {
  let state = viewerState();
  const { send, calls } = fakeSend();
  let changes = 0;
  const up = new UpvoteIntents({ send, getState: () => state, onChange: () => changes++ });
  const done = up.toggle(1);
  assert.deepEqual(calls[0].args, [1, true]);
  assert.equal(up.mine(1), true);
  assert.equal(up.shownVotes(state.questions.get(1)), 5, 'counted at once');
  calls[0].resolve({ type: 'ack', result: { pos: '12-0' } });
  await done;
  up.settle();
  assert.equal(up.mine(1), true, 'kept: the state is at 10-0, the event at 12-0');
  state = applyMessage(state, {
    type: 'events', epoch: 'e', pos: '12-0',
    events: [{ type: 'votes', pos: '12-0', qid: 1, votes: 5, mine: true }],
  }); // prettier-ignore
  up.settle();
  assert.equal(up.mine(1), true);
  assert.equal(up.shownVotes(state.questions.get(1)), 5, 'not counted twice');
  assert.ok(changes >= 2);
  await up.toggle(404); // an unknown question is ignored
  assert.equal(calls.length, 1);
});

test('upvotes: a later tap owns the question; a refusal falls back to the state', async () => {
  const state = viewerState();
  const { send, calls } = fakeSend();
  let failed = 0;
  const up = new UpvoteIntents({ send, getState: () => state, onFailed: () => failed++ });
  const first = up.toggle(2); // on
  const second = up.toggle(2); // off again
  assert.deepEqual(calls.map((c) => c.args), [[2, true], [2, false]]);
  calls[0].resolve({ type: 'error', code: 'rate_limited' }); // the first tap's late answer
  await first;
  assert.equal(failed, 0, 'ignored: the second tap owns it');
  assert.equal(up.mine(2), false);
  calls[1].resolve({ type: 'error', code: 'rate_limited' });
  await second;
  assert.equal(failed, 1);
  assert.equal(up.mine(2), false, 'the state again');
  assert.equal(up.shownVotes(state.questions.get(2)), 0);
});

function memoryStorage() {
  const data = new Map();
  return {
    data,
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => data.set(k, String(v)),
    removeItem: (k) => data.delete(k),
  };
}

function outbox(backing = memoryStorage()) {
  const { send, calls } = fakeSend();
  let n = 0;
  const box = new AskOutbox({ bid: 'b1', storage: safeStorage(backing), send, newId: () => `ask-${++n}` });
  return { box, calls, backing };
}

test('ask: checked before sending; saved with its id until acknowledged', async () => {
  const { box, calls, backing } = outbox();
  assert.equal(box.submit({ text: '', name: '', tag: '' }, {}), null);
  assert.equal(box.feedback.key, 'err_empty');
  assert.equal(box.submit({ text: '长'.repeat(11), name: '', tag: '' }, { max_len: 10 }), null);
  assert.deepEqual(box.feedback, { key: 'err_too_long', kind: 'error', vars: { max: 10 } });
  assert.equal(calls.length, 0);
  box.saveDraft('地铁几点');
  const reply = box.submit({ text: '地铁几点？', name: '  李阿姨 ', tag: '交通' }, {}, { offline: true });
  assert.equal(box.feedback.key, 'ask_offline');
  assert.deepEqual(calls[0].args, [{ id: 'ask-1', text: '地铁几点？', name: '李阿姨', tag: '交通' }]);
  assert.equal(JSON.parse(backing.data.get('xs:ask:b1')).id, 'ask-1');
  assert.equal(backing.data.get('xs:name'), '李阿姨');
  assert.equal(box.submit({ text: 'again', name: '', tag: '' }, {}), null, 'one question at a time');
  calls[0].resolve({ type: 'ack', result: { qid: 3, status: 'pending' } });
  await reply;
  assert.equal(box.sending, null);
  assert.equal(box.feedback.key, 'ask_done_pending');
  assert.equal(backing.data.has('xs:ask:b1'), false);
  assert.equal(backing.data.has('xs:draft:b1'), false);
  assert.equal(box.name(), '李阿姨');
});

test('ask: "waiting for review" goes once the question was approved or put on air', async () => {
  const { box, calls } = outbox();
  const reply = box.submit({ text: '地铁几点？', name: '', tag: '' }, {});
  calls[0].resolve({ type: 'ack', result: { qid: 3, status: 'pending' } });
  await reply;
  box.settle(new Map()); // its question event has not arrived yet
  box.settle(new Map([[3, { id: 3, status: 'pending' }]]));
  assert.equal(box.feedback.key, 'ask_done_pending');
  box.settle(new Map([[3, { id: 3, status: 'on_air' }]]));
  assert.equal(box.feedback, null);
});

test('ask: a lost connection keeps the question; the next page load resends the same id', async () => {
  const first = outbox();
  const reply = first.box.submit({ text: '问题', name: '', tag: '' }, {});
  first.calls[0].resolve({ type: 'error', local: true, code: 'disconnected' });
  await reply;
  assert.equal(first.box.feedback, null);
  const again = outbox(first.backing); // a reload: same storage, new page
  assert.equal(again.box.saved().id, 'ask-1');
  const resent = again.box.resend({});
  assert.deepEqual(again.calls[0].args[0], { id: 'ask-1', text: '问题', name: null, tag: null });
  again.calls[0].resolve({ type: 'error', code: 'duplicate' });
  await resent;
  assert.equal(again.box.feedback.key, 'err_duplicate');
  assert.equal(again.box.saved(), null);
  assert.equal(again.box.resend({}), null);
});

test('ask: refusals name their code; unknown codes and broken storage are harmless', async () => {
  const { box, calls } = outbox();
  const reply = box.submit({ text: 'x', name: '', tag: '' }, {});
  calls[0].resolve({ type: 'error', code: 'teapot' });
  await reply;
  assert.equal(box.feedback.key, 'err_generic');
  const broken = { getItem() { throw new Error('private mode'); }, setItem() { throw new Error('full'); }, removeItem() {} };
  const storage = safeStorage(broken);
  assert.equal(storage.get('k'), null);
  storage.set('k', 'v'); // does not throw
  const junk = memoryStorage();
  junk.setItem('xs:ask:b1', '{not json');
  assert.equal(outbox(junk).box.saved(), null);
  assert.equal(junk.data.has('xs:ask:b1'), false, 'an unreadable saved question is dropped');
});

test('own questions: the one being sent is listed until its event arrives', () => {
  const mine = [{ id: 5, text: '地铁  几点', status: 'pending' }];
  assert.deepEqual(mineRows(mine, { text: '新问题' }).map((r) => r.status), ['sending', 'pending']);
  assert.deepEqual(mineRows(mine, { text: ' 地铁 几点 ' }).map((r) => r.id), [5], 'loosely the same text');
  assert.deepEqual(mineRows(mine, null), mine);
});

test('polls: the ack shows results until the tally event; votes and limits', () => {
  const poll = { id: 1, state: 'open', tallies: null, ballots: null, results: 'after_vote' };
  assert.deepEqual(pollView(poll, undefined, false), { mine: null, tallies: null, ballots: null, canVote: true });
  const ack = { mine: [1], tallies: [2, 3], ballots: 5 };
  assert.deepEqual(pollView(poll, ack, false), { mine: [1], tallies: [2, 3], ballots: 5, canVote: false });
  assert.equal(pollView({ ...poll, state: 'closed' }, undefined, false).canVote, false);
  assert.equal(pollView(poll, undefined, true).canVote, false, 'an ended broadcast takes no votes');
  assert.deepEqual(['conflict', 'duplicate', 'closed', 'internal'].map(voteErrorKey),
    ['poll_already', 'poll_already', 'poll_closed_err', 'poll_failed']); // prettier-ignore
  assert.equal(maxLen({}), DEFAULT_MAX_LEN);
  assert.equal(maxLen({ max_len: 120 }), 120);
});
