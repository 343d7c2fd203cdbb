// static/js/console/model.js: the moderator's model and the queue's selectors.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  applyMessage,
  askerCounts,
  backStatus,
  canMove,
  canReceiveMerge,
  counts,
  initialModel,
  markRuns,
  matches,
  pageLists,
  queueList,
  viewOf,
} from '../../static/js/console/model.js';

const q = (id, status = 'pending', extra = {}) => ({
  id, text: `问题 ${id}`, name: '匿名', tag: null, status, votes: 0, starred: false,
  created: id * 1000, updated: id * 1000, edited: false, asker: `p${id}`, ...extra,
});

const SNAPSHOT = {
  type: 'snapshot', epoch: 'ep1', pos: '100-0',
  broadcast: { id: 'b1', title: '预算', state: 'live', settings: { tags: ['交通'] } },
  questions: [q(1), q(2, 'approved', { votes: 3 }), q(3, 'on_air'), q(4, 'merged', { merged_into: 2 })],
  polls: [{ id: 1, question: '哪天？', state: 'open', tallies: [1, 0], ballots: 1 }],
  likes: 40,
  presence: { now: 3, peak: 5, unique: 7 },
  on_air: q(3, 'on_air'),
  overlay: { show: 'question', poll: null },
  banned: [{ asker: 'pX', qid: 9 }],
};

const frame = (pos, ...events) => ({ type: 'events', epoch: 'ep1', pos, events });

function load() {
  return applyMessage(initialModel(), SNAPSHOT).model;
}

test('a snapshot replaces everything and reports every kind', () => {
  const { model, changed } = applyMessage(initialModel(), SNAPSHOT);
  assert.equal(model.questions.size, 4);
  assert.equal(model.onAir, 3);
  assert.equal(model.likes, 40);
  assert.deepEqual(model.banned, [{ asker: 'pX', qid: 9 }]);
  assert.equal(model.pos, '100-0');
  assert.equal(model.snapshots, 1);
  for (const kind of ['snapshot', 'question', 'poll', 'likes', 'presence', 'broadcast', 'overlay', 'ban']) {
    assert.ok(changed.has(kind), kind);
  }
});

test('question events: asker beside q (older hubs) lands inside, on air follows', () => {
  const m0 = load();
  const { model, changed } = applyMessage(m0, frame('101-0',
    { type: 'question', pos: '101-0', q: { ...q(5), asker: undefined }, asker: 'p5', prev: null },
    { type: 'question', pos: '101-1', q: q(2, 'on_air', { votes: 3 }), prev: 'approved' },
    { type: 'question', pos: '101-2', q: q(3, 'answered'), prev: 'on_air' },
  ));
  assert.equal(model.questions.get(5).asker, 'p5');
  assert.equal(model.onAir, 2);
  assert.equal(model.questions.get(3).status, 'answered');
  assert.deepEqual([...changed], ['question']);
  assert.equal(m0.questions.get(2).status, 'approved', 'the old model is untouched');
  assert.equal(m0.onAir, 3);
  // The air cleared without a new question on it.
  const { model: m2 } = applyMessage(model, frame('102-0', { type: 'question', pos: '102-0', q: q(2, 'answered') }));
  assert.equal(m2.onAir, null);
});

test('votes, likes, presence, polls, tallies, broadcast, overlay', () => {
  const { model, changed } = applyMessage(load(), frame('110-0',
    { type: 'votes', pos: '110-0', qid: 2, votes: 9 },
    { type: 'likes', pos: '110-1', total: 99 },
    { type: 'presence', pos: '110-2', now: 8, peak: 9, unique: 12 },
    { type: 'tally', pos: '110-3', pid: 1, tallies: [4, 2], ballots: 6, state: 'open' },
    { type: 'poll', pos: '110-4', poll: { id: 2, question: '新的', state: 'draft' } },
    { type: 'broadcast', pos: '110-5', b: { id: 'b1', title: '新标题', state: 'ended' } },
    { type: 'overlay', pos: '110-6', show: null },
    { type: 'mystery', pos: '110-7', x: 1 },
  ));
  assert.equal(model.questions.get(2).votes, 9);
  assert.equal(model.likes, 99);
  assert.equal(model.presence.now, 8);
  assert.deepEqual(model.polls.get(1).tallies, [4, 2]);
  assert.equal(model.polls.get(1).question, '哪天？');
  assert.equal(model.polls.get(2).state, 'draft');
  assert.equal(model.broadcast.title, '新标题');
  assert.deepEqual(model.overlay, { show: null, poll: null });
  assert.deepEqual([...changed].sort(), ['broadcast', 'likes', 'overlay', 'poll', 'presence', 'votes']);
});

test('ban events add and lift bans by asker', () => {
  let { model } = applyMessage(load(), frame('120-0', { type: 'ban', pos: '120-0', asker: 'p1', qid: 1, on: true }));
  assert.deepEqual(model.banned.map((b) => b.asker), ['pX', 'p1']);
  ({ model } = applyMessage(model, frame('121-0', { type: 'ban', pos: '121-0', asker: 'pX', qid: 9, on: false })));
  assert.deepEqual(model.banned, [{ asker: 'p1', qid: 1 }]);
});

test('events at or before the model position are skipped; the frame pos moves on', () => {
  const m0 = load();
  const { model } = applyMessage(m0, frame('100-0', { type: 'likes', pos: '99-5', total: 1 }));
  assert.equal(model.likes, 40);
  const { model: m2 } = applyMessage(m0, frame('150-0'));
  assert.equal(m2.pos, '150-0');
  const same = applyMessage(m0, { type: 'ack', id: 'x' });
  assert.equal(same.model, m0);
  assert.equal(same.changed.size, 0);
});

test('views and counts: merged ones listed with the rejected', () => {
  const m = load();
  assert.equal(viewOf('merged'), 'rejected');
  assert.deepEqual(counts(m), { pending: 1, approved: 1, on_air: 1, answered: 0, rejected: 1 });
});

test('queueList: order per view, filter by words and tag', () => {
  let { model } = applyMessage(initialModel(), {
    ...SNAPSHOT,
    questions: [
      q(1, 'approved', { votes: 2, text: '地铁票价' }),
      q(2, 'approved', { votes: 5, text: '公交线路', tag: '交通', name: '王先生' }),
      q(3, 'approved', { votes: 5, text: '学校食堂' }),
      q(4, 'pending'), q(5, 'pending'), q(6, 'rejected', { updated: 99_000 }), q(7, 'rejected', { updated: 50_000 }),
    ],
  });
  const ids = (opts) => queueList(model, opts).map((x) => x.id);
  assert.deepEqual(ids({ view: 'approved', sort: 'votes' }), [2, 3, 1]);
  assert.deepEqual(ids({ view: 'approved', sort: 'time' }), [3, 2, 1]);
  assert.deepEqual(ids({ view: 'pending' }), [4, 5]);
  assert.deepEqual(ids({ view: 'rejected' }), [6, 7]);
  assert.deepEqual(ids({ view: 'approved', tag: '交通' }), [2]);
  assert.deepEqual(ids({ view: 'approved', text: '王先生' }), [2]);
  assert.deepEqual(ids({ view: 'approved', text: '  地铁  票价 ' }), [1]);
  assert.deepEqual(ids({ view: 'approved', text: '#3' }), [3]);
  assert.ok(matches(q(8, 'pending', { text: 'ＡＢＣ' }), { text: 'abc' }), 'NFKC and case folded');
  model = applyMessage(model, frame('200-0', { type: 'question', pos: '200-0', q: q(4, 'approved', { votes: 9 }) })).model;
  assert.deepEqual(ids({ view: 'approved' }), [4, 2, 3, 1]);
});

test('askerCounts groups one person\'s questions', () => {
  const { model } = applyMessage(initialModel(), {
    ...SNAPSHOT, questions: [q(1, 'pending', { asker: 'a' }), q(2, 'pending', { asker: 'a' }), q(3, 'pending', { asker: 'b' })],
  });
  assert.deepEqual([...askerCounts(model)], [['a', 2], ['b', 1]]);
});

test('transitions mirror the hub; back is one step; merges go into live questions only', () => {
  assert.ok(canMove('pending', 'on_air'));
  assert.ok(!canMove('pending', 'answered'));
  assert.ok(!canMove('merged', 'approved'));
  assert.equal(backStatus('on_air'), 'approved');
  assert.equal(backStatus('approved'), 'pending');
  assert.equal(backStatus('rejected'), 'pending');
  assert.equal(backStatus('pending'), null);
  assert.equal(backStatus('merged'), null);
  assert.ok(canReceiveMerge(q(1, 'approved')));
  assert.ok(!canReceiveMerge(q(1, 'rejected')));
  assert.ok(!canReceiveMerge(q(1, 'merged')));
  assert.ok(!canReceiveMerge(undefined));
});

test('markRuns: code-point spans, clipped and merged', () => {
  const runs = (text, spans) => markRuns(text, spans).map((r) => (r.mark ? `[${r.text}]` : r.text)).join('');
  assert.equal(runs('这里有敏感词和坏词', [[3, 6], [7, 9]]), '这里有[敏感词]和[坏词]');
  assert.equal(runs('😀坏词😀', [[1, 3]]), '😀[坏词]😀', 'offsets count code points, not UTF-16 units');
  assert.equal(runs('abcdef', [[4, 99], [1, 3], [2, 4], [5, 2], ['x', 1]]), 'a[bcdef]');
  assert.equal(runs('abc', null), 'abc');
  assert.deepEqual(markRuns('', []), [{ text: '', mark: false }]);
});

test('poll_deleted removes the poll (a new model; the old one keeps it)', () => {
  const before = applyMessage(load(), frame('130-0',
    { type: 'poll', pos: '130-0', poll: { id: 2, question: '草稿', state: 'draft' } })).model;
  const { model, changed } = applyMessage(before, frame('131-0', { type: 'poll_deleted', pos: '131-0', poll: 2 }));
  assert.equal(model.polls.has(2), false);
  assert.equal(model.polls.has(1), true);
  assert.equal(before.polls.has(2), true);
  assert.deepEqual([...changed], ['poll']);
});

test('paging: a snapshot of the first screen, totals that follow the events, pages that add', () => {
  const snap = {
    type: 'snapshot', epoch: 'e', pos: '1-0', questions: [q(1), q(2, 'approved')],
    more: { 'pending.old': '10:1', 'approved.top': null }, total: { pending: 2500, approved: 1 },
  }; // prettier-ignore
  let { model } = applyMessage(initialModel(), snap);
  assert.deepEqual(counts(model), { pending: 2500, approved: 1, on_air: 0, answered: 0, rejected: 0 });
  // A new question (prev null), an approval of an unloaded one (prev pending), an edit (prev = status).
  const frame = { type: 'events', pos: '4-0', events: [
    { type: 'question', pos: '2-0', q: q(3), prev: null },
    { type: 'question', pos: '3-0', q: q(2000, 'approved'), prev: 'pending' },
    { type: 'question', pos: '4-0', q: q(1, 'pending', { text: 'edited' }), prev: 'pending' },
  ] }; // prettier-ignore
  ({ model } = applyMessage(model, frame));
  assert.deepEqual(counts(model), { pending: 2500, approved: 2, on_air: 0, answered: 0, rejected: 0 });
  assert.ok(model.questions.has(2000)); // an event inserts a question it carries whole
  // votes of a question not loaded: nothing to update, nothing inserted
  ({ model } = applyMessage(model, { type: 'events', pos: '5-0', events: [{ type: 'votes', pos: '5-0', qid: 77, votes: 4 }] }));
  assert.ok(!model.questions.has(77));
  const page = { type: 'page', list: 'pending', order: 'old', next: '20:40', questions: [q(1), q(40), q(41)] };
  ({ model } = applyMessage(model, page));
  assert.equal(model.questions.get(1).text, 'edited'); // the loaded one kept
  assert.ok(model.questions.has(40) && model.questions.has(41));
  assert.equal(model.more['pending.old'], '20:40');
  assert.deepEqual(pageLists('pending'), ['pending.old']);
  assert.deepEqual(pageLists('approved', 'time'), ['approved.new']);
  assert.deepEqual(pageLists('rejected'), ['rejected.new', 'merged.new']);
});
