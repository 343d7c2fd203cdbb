// static/js/overlay/params.js and overlay/model.js: the overlay's address and
// what it draws, on plain data (the moderation gate included).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  ANONYMOUS,
  clip,
  heartsFor,
  initialOverlayState,
  isVisible,
  pollView,
  questionView,
  tickerItems,
} from '../../static/js/overlay/model.js';
import { applyMessage } from '../../static/js/shared/state.js';
import { DEFAULT_POS, WIDGETS, parseOverlayUrl } from '../../static/js/overlay/params.js';

const BASE = 'https://live.example.org';

test('the path names the broadcast and the widget', () => {
  const all = parseOverlayUrl(`${BASE}/overlay/demo?key=K1`);
  assert.equal(all.bid, 'demo');
  assert.equal(all.widget, null);
  assert.equal(all.key, 'K1');
  assert.deepEqual(all.widgets, WIDGETS);
  const one = parseOverlayUrl(`${BASE}/overlay/demo/poll?key=K1`);
  assert.deepEqual([one.bid, one.widget, one.widgets], ['demo', 'poll', ['poll']]);
  const bad = parseOverlayUrl(`${BASE}/overlay/demo/nope?key=K1`);
  assert.equal(bad.bid, null);
  assert.match(bad.warnings[0], /unknown widget/);
  assert.equal(parseOverlayUrl(`${BASE}/b/demo`).bid, null);
  assert.equal(parseOverlayUrl(`${BASE}/overlay/demo`).key, null);
});

test('parameters: good values applied, bad ones ignored with a warning', () => {
  const p = parseOverlayUrl(
    `${BASE}/overlay/demo?key=K&w=question,likes,zz&on=likes,question&pos=question:tc,likes:bl` +
      '&theme=brand&accent=%23C8102E&bg=00000080&fg=nothex&scale=1.5&safe=8&motion=0&hearts=off&ticker=static',
  );
  assert.deepEqual(p.widgets, ['question', 'likes']);
  assert.deepEqual(p.always, ['likes']); // the question never stays on by URL
  assert.equal(p.pos.question, 'tc');
  assert.equal(p.pos.likes, 'bl');
  assert.equal(p.pos.poll, DEFAULT_POS.poll);
  assert.equal(p.theme, 'brand');
  assert.deepEqual(p.colors, { accent: '#c8102e', bg: '#00000080' });
  assert.deepEqual([p.scale, p.safe, p.motion, p.hearts, p.ticker], [1.5, 8, false, false, 'static']);
  assert.equal(p.warnings.length, 3); // zz, question in on=, fg
  const q = parseOverlayUrl(`${BASE}/overlay/demo/likes?key=K&pos=br&scale=9&theme=neon&safe=-1`);
  assert.equal(q.pos.likes, 'br');
  assert.deepEqual([q.scale, q.theme, q.safe], [1, 'dark', 5]);
  assert.equal(q.warnings.length, 3);
});

const q = (id, status, extra = {}) => ({
  id, text: `问题 ${id}`, name: `观众${id}`, tag: null, status, votes: 0, starred: false,
  created: id, ...extra,
}); // prettier-ignore

const snapshot = (extra = {}) => ({
  type: 'snapshot', epoch: 'e', pos: '10-0',
  broadcast: { id: 'demo', settings: { moderation: true, show_names: true } },
  questions: [q(1, 'approved', { votes: 2 }), q(2, 'on_air'), q(3, 'answered'), q(4, 'approved', { starred: true })],
  polls: [{ id: 7, question: '哪天？', options: ['周一', '周二'], state: 'open', tallies: [3, 1], ballots: 4 }],
  likes: 5, presence: { now: 2, peak: 3, unique: 4 },
  on_air: q(2, 'on_air'), overlay: { show: null, poll: null }, ...extra,
}); // prettier-ignore

test('nothing is visible until the moderator shows it', () => {
  const s = applyMessage(initialOverlayState(), snapshot());
  for (const name of WIDGETS) assert.equal(isVisible(name, s), false, name);
  assert.equal(isVisible('likes', s, ['likes']), true);
  assert.equal(isVisible('question', s, ['question']), false);
  const shown = (show, poll = null) =>
    applyMessage(s, { type: 'events', pos: '11-0', events: [{ type: 'overlay', pos: '11-0', show, poll }] });
  assert.equal(isVisible('question', shown('question')), true);
  assert.equal(isVisible('poll', shown('poll', 7)), true);
  assert.equal(isVisible('poll', shown('poll', 99)), false);
  assert.equal(isVisible('ticker', shown('ticker')), true);
  assert.equal(isVisible('viewers', shown('likes')), true);
});

test('an ended broadcast shows nothing, the widgets a URL keeps on included', () => {
  const live = applyMessage(initialOverlayState(), snapshot({ overlay: { show: 'likes', poll: null } }));
  assert.equal(isVisible('likes', live), true);
  const ended = applyMessage(live, {
    type: 'events', pos: '11-0',
    events: [{ type: 'broadcast', pos: '11-0', b: { ...live.broadcast, state: 'ended' } }],
  }); // prettier-ignore
  for (const name of WIDGETS) assert.equal(isVisible(name, ended, [name]), false, name);
});

test('question events move the question on and off the air, and in the ticker', () => {
  let s = applyMessage(initialOverlayState(), snapshot({ overlay: { show: 'ticker', poll: null } }));
  assert.deepEqual(tickerItems(s).map((i) => i.id), [4, 1]); // starred first, then votes
  s = applyMessage(s, {
    type: 'events', pos: '12-0', events: [
      { type: 'question', pos: '11-0', q: q(2, 'answered') },
      { type: 'question', pos: '12-0', q: q(1, 'on_air') },
    ],
  }); // prettier-ignore
  assert.equal(questionView(s).id, 1);
  assert.deepEqual(tickerItems(s).map((i) => i.id), [4]);
  s = applyMessage(s, {
    type: 'events', pos: '13-0', events: [{ type: 'question', pos: '13-0', q: q(1, 'approved') }],
  });
  assert.equal(questionView(s), null);
  assert.deepEqual(tickerItems(s).map((i) => i.id), [4, 1]);
  // A replayed (duplicate) event changes nothing.
  const again = applyMessage(s, {
    type: 'events', pos: '13-0', events: [{ type: 'question', pos: '12-0', q: q(1, 'on_air') }],
  });
  assert.equal(questionView(again), null);
  s = applyMessage(s, { type: 'events', pos: '14-0', events: [{ type: 'question_removed', pos: '14-0', qid: 4 }] });
  assert.deepEqual(tickerItems(s).map((i) => i.id), [1]);
});

test('names: 匿名 when missing or hidden by the broadcast', () => {
  const s = applyMessage(initialOverlayState(), snapshot({ on_air: q(2, 'on_air', { name: '' }) }));
  assert.equal(questionView(s).name, ANONYMOUS);
  const hidden = snapshot();
  hidden.broadcast.settings.show_names = false;
  const h = applyMessage(initialOverlayState(), hidden);
  assert.equal(questionView(h).name, ANONYMOUS);
  assert.ok(tickerItems(h).every((i) => i.name === ANONYMOUS));
});

test('an unmoderated broadcast: only starred questions reach the ticker', () => {
  const snap = snapshot();
  snap.broadcast.settings.moderation = false;
  const s = applyMessage(initialOverlayState(), snap);
  assert.deepEqual(tickerItems(s).map((i) => i.id), [4]);
});

test('poll view: percentages of ballots, leader, final state', () => {
  const s = applyMessage(initialOverlayState(), snapshot({ overlay: { show: 'poll', poll: 7 } }));
  const v = pollView(s);
  assert.deepEqual(v.options.map((o) => [o.pct, o.lead]), [[75, true], [25, false]]);
  assert.equal(v.closed, false);
  assert.equal(v.ballotsText, '4 人投票');
  const closed = applyMessage(s, {
    type: 'events', pos: '11-0',
    events: [{ type: 'tally', pos: '11-0', pid: 7, tallies: [3, 3], ballots: 6, state: 'closed' }],
  }); // prettier-ignore
  const c = pollView(closed);
  assert.equal(c.closed, true);
  assert.deepEqual(c.options.map((o) => o.lead), [true, true]);
});

test('clip and hearts', () => {
  assert.equal(clip('  一二三\n四五  ', 10), '一二三 四五');
  assert.equal(clip('一二三四五六', 4), '一二三…');
  assert.equal(clip('😀😀😀😀', 3), '😀😀…'); // code points, not UTF-16 units
  assert.deepEqual([0, -1, 1, 4].map(heartsFor), [0, 0, 1, 4]);
  assert.ok(heartsFor(100) > heartsFor(10));
  assert.equal(heartsFor(1e9), 16);
});
