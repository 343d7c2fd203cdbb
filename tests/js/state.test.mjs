// static/js/shared/state.js beyond the golden sequences it shares with the
// Python reducer (tests/js/golden.test.mjs): positions, immutability, the
// selectors.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  applyEvent,
  applyMessage,
  comparePos,
  initialState,
  myQuestions,
  sortedQuestions,
  visiblePolls,
} from '../../static/js/shared/state.js';

const q = (id, status = 'approved', votes = 0, extra = {}) => ({
  id, text: `question ${id}`, status, votes, created: id * 1000, ...extra,
});

const SNAPSHOT = {
  type: 'snapshot', epoch: 'ep1', pos: '100-0',
  broadcast: { id: 'b1', title: 'Budget', state: 'live' },
  questions: [q(1), q(2, 'on_air', 3)],
  mine: [q(2, 'on_air', 3), q(9, 'pending')],
  myvotes: [1],
  polls: [{ id: 1, question: 'Day?', state: 'open', tallies: [1, 0], mine: [0] }],
  likes: 40,
  presence: { now: 3, peak: 5, unique: 7 },
  on_air: q(2, 'on_air', 3),
  overlay: { show: 'question', poll: null },
};

const events = (pos, list) => ({ type: 'events', epoch: 'ep1', pos, events: list });
const viewer = () => applyMessage(initialState('viewer'), SNAPSHOT);

test('positions compare as integer pairs', () => {
  assert.equal(comparePos('9-0', '10-0'), -1);
  assert.equal(comparePos('101-10', '101-9'), 1);
  assert.equal(comparePos('5-1', '5-1'), 0);
  assert.equal(comparePos('18446744073709551616-0', '1732543200123-0'), 1);
  assert.equal(comparePos(null, '1-0'), -1);
});

test('the reducer never changes its inputs', () => {
  const before = JSON.stringify(SNAPSHOT);
  const s = viewer();
  const frozen = JSON.stringify([...s.questions.values()]);
  const t = applyEvent(s, { type: 'votes', pos: '101-0', qid: 2, votes: 9, mine: true });
  assert.equal(t.questions.get(2).votes, 9);
  assert.equal(t.onAir.votes, 9);
  assert.equal(s.questions.get(2).votes, 3);
  assert.equal(s.myvotes.has(2), false);
  assert.equal(JSON.stringify([...s.questions.values()]), frozen);
  assert.equal(JSON.stringify(SNAPSHOT), before);
});

test('a replayed frame after resume changes nothing', () => {
  const frame = events('101-1', [
    { type: 'question', pos: '101-0', q: q(3) },
    { type: 'votes', pos: '101-1', qid: 3, votes: 2 },
  ]);
  const once = applyMessage(viewer(), frame);
  const twice = applyMessage(once, frame);
  assert.equal(twice.duplicates, 2);
  assert.equal(twice.questions.get(3).votes, 2);
  assert.equal(twice.questions.size, 3);
});

test('other messages leave the state as it is', () => {
  const s = viewer();
  assert.equal(applyMessage(s, { type: 'ack', id: 'x', result: {} }), s);
  assert.equal(applyMessage(s, { type: 'welcome' }), s);
});

test('selectors: hot, newest, mine, polls', () => {
  let s = applyMessage(initialState(), {
    type: 'snapshot', epoch: 'e', pos: '1-0',
    questions: [q(1, 'approved', 5), q(2, 'approved', 9), q(3, 'answered', 5)],
    mine: [q(3, 'answered'), q(4, 'pending')],
    polls: [
      { id: 1, state: 'closed', created: 10 },
      { id: 2, state: 'open', created: 5 },
      { id: 3, state: 'draft', created: 20 },
    ],
  });
  assert.deepEqual(sortedQuestions(s, 'top').map((x) => x.id), [2, 3, 1]);
  assert.deepEqual(sortedQuestions(s, 'new').map((x) => x.id), [3, 2, 1]);
  assert.deepEqual(myQuestions(s).map((x) => x.id), [4, 3]);
  assert.deepEqual(visiblePolls(s).map((p) => p.id), [2, 1]);
  s = applyEvent(s, { type: 'votes', pos: '2-0', qid: 1, votes: 10 });
  assert.deepEqual(sortedQuestions(s, 'top').map((x) => x.id), [1, 2, 3]);
});
