// static/js/shared/state.js: the same cases as tests/unit/test_client_state.py (the
// Python reducer it mirrors), plus immutability and the selectors.
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

test('snapshot replaces everything', () => {
  const s = viewer();
  assert.deepEqual([s.epoch, s.pos, s.snapshots], ['ep1', '100-0', 1]);
  assert.deepEqual([...s.questions.keys()], [1, 2]);
  assert.deepEqual([...s.mine.keys()], [2, 9]);
  assert.deepEqual([...s.myvotes], [1]);
  assert.deepEqual(s.polls.get(1).mine, [0]);
  assert.equal(s.likes, 40);
  assert.equal(s.presence.peak, 5);
  assert.equal(s.onAir.id, 2);
  assert.equal(s.broadcast.title, 'Budget');
  assert.deepEqual(s.overlay, { show: 'question', poll: null });
  const t = applyMessage(s, { type: 'snapshot', epoch: 'ep2', pos: '5-0', likes: 1 });
  assert.deepEqual([t.epoch, t.questions.size, t.likes, t.snapshots], ['ep2', 0, 1, 2]);
});

test('events update state', () => {
  const s = applyMessage(viewer(), events('105-0', [
    { type: 'question', pos: '101-0', q: q(3) },
    { type: 'votes', pos: '101-1', qid: 3, votes: 1, mine: true },
    { type: 'votes', pos: '101-2', qid: 1, votes: 0, mine: false },
    { type: 'likes', pos: '102-0', total: 55 },
    { type: 'presence', pos: '102-1', now: 4, peak: 6, unique: 8 },
    { type: 'poll', pos: '103-0', poll: { id: 1, question: 'Day?', state: 'open' } },
    { type: 'tally', pos: '103-1', pid: 1, tallies: [2, 0], ballots: 2, state: 'open' },
    { type: 'broadcast', pos: '104-0', b: { id: 'b1', title: 'Budget 2', state: 'live' } },
    { type: 'overlay', pos: '104-1', show: 'poll', poll: 1 },
    { type: 'question', pos: '105-0', q: q(2, 'answered', 3) },
  ]));
  assert.equal(s.questions.get(3).votes, 1);
  assert.deepEqual([...s.myvotes], [3]);
  assert.equal(s.likes, 55);
  assert.deepEqual(s.presence, { now: 4, peak: 6, unique: 8 });
  assert.deepEqual(s.polls.get(1).tallies, [2, 0]);
  assert.deepEqual(s.polls.get(1).mine, [0], "a poll event keeps the viewer's known ballot");
  assert.equal(s.broadcast.title, 'Budget 2');
  assert.deepEqual(s.overlay, { show: 'poll', poll: 1 });
  assert.equal(s.questions.get(2).status, 'answered');
  assert.equal(s.mine.get(2).status, 'answered', 'own questions follow their events');
  assert.equal(s.onAir, null, 'the on-air question was answered');
  assert.deepEqual([s.pos, s.duplicates, s.unknown], ['105-0', 0, 0]);
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

test('duplicates are counted and ignored', () => {
  let s = viewer();
  const likes = { type: 'likes', pos: '101-0', total: 50 };
  s = applyEvent(s, likes);
  s = applyEvent(s, likes);
  s = applyEvent(s, { type: 'likes', pos: '100-0', total: 1 }); // before the snapshot
  s = applyEvent(s, { type: 'likes', pos: '99-5', total: 1 });
  assert.deepEqual([s.likes, s.duplicates], [50, 3]);
  s = applyEvent(s, { type: 'likes', pos: '101-10', total: 60 }); // 10 > 9 numerically
  s = applyEvent(s, { type: 'likes', pos: '1000-0', total: 70 });
  assert.deepEqual([s.likes, s.duplicates, s.pos], [70, 3, '1000-0']);
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

test('question_removed leaves the public list', () => {
  let s = applyEvent(viewer(), { type: 'question_removed', pos: '101-0', qid: 2 });
  assert.deepEqual([...s.questions.keys()], [1]);
  assert.equal(s.onAir, null);
  assert.ok(s.mine.has(2), 'the owner still sees their own question');
  s = applyEvent(s, { type: 'question_removed', pos: '101-1', qid: 404 }); // harmless
  assert.equal(s.questions.size, 1);
});

test("own hidden question stays out of the public list", () => {
  let s = applyEvent(viewer(), { type: 'question', pos: '101-0', q: q(10, 'pending'), mine: true });
  assert.ok(s.mine.has(10) && !s.questions.has(10));
  s = applyEvent(s, { type: 'question', pos: '101-1', q: q(10, 'approved'), mine: true });
  assert.equal(s.questions.get(10).status, 'approved');
  s = applyEvent(s, { type: 'question', pos: '101-2', q: q(10, 'rejected', 0, { reason: '重复' }), mine: true });
  assert.ok(!s.questions.has(10));
  assert.equal(s.mine.get(10).reason, '重复');
});

test('moderator sees every status', () => {
  let s = initialState('moderator');
  s = applyEvent(s, { type: 'question', pos: '1-0', q: q(1, 'pending'), asker: 'fox-12' });
  s = applyEvent(s, { type: 'question', pos: '1-1', q: q(1, 'rejected') });
  assert.equal(s.questions.get(1).status, 'rejected');
});

test('overlay: on_air, and unknown events are ignored', () => {
  let s = initialState('overlay');
  s = applyEvent(s, { type: 'on_air', pos: '1-0', q: q(4, 'on_air') });
  assert.equal(s.onAir.id, 4);
  s = applyEvent(s, { type: 'votes', pos: '1-1', qid: 4, votes: 12 });
  assert.equal(s.onAir.votes, 12);
  s = applyEvent(s, { type: 'on_air', pos: '1-2', q: null });
  assert.equal(s.onAir, null);
  s = applyEvent(s, { type: 'confetti', pos: '1-3' });
  assert.deepEqual([s.unknown, s.duplicates], [1, 0]);
});

test('tally with a ballot for an unknown poll', () => {
  const s = applyEvent(initialState(), {
    type: 'tally', pos: '1-0', pid: 7, tallies: [1], ballots: 1, state: 'open', mine: [0],
  });
  assert.deepEqual(s.polls.get(7), { id: 7, tallies: [1], ballots: 1, state: 'open', mine: [0] });
});

test('an empty events frame moves pos on, never back', () => {
  let s = applyMessage(viewer(), events('120-0', []));
  assert.equal(s.pos, '120-0');
  s = applyMessage(s, events('110-0', []));
  assert.equal(s.pos, '120-0');
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
