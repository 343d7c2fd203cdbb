// static/js/shared/followup-model.js and followup-i18n.js: labels, codes,
// dates, filters and figures of the follow-up pages; both languages complete.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { keys, setLang, t } from '../../static/js/shared/followup-i18n.js';
import {
  FIGURES, RATINGS, SOURCES, STATES, QTYPES, cell, day, displayCode, dueClass, facets, figureRows,
  filterItems, normalizeCode, percent, stateKey,
} from '../../static/js/shared/followup-model.js';

test('both tables have the same keys, and every label the pages build exists', () => {
  assert.deepEqual(keys('en').sort(), keys('zh-CN').sort());
  const zh = new Set(keys('zh-CN'));
  for (const s of STATES) assert.ok(zh.has(`fu_${s}`), s);
  for (const r of RATINGS) assert.ok(zh.has(`rating_${r}`), r);
  for (const s of SOURCES) assert.ok(zh.has(`source_${s}`), s);
  for (const q of QTYPES) assert.ok(zh.has(`qtype_${q}`), q);
  for (const f of FIGURES) assert.ok(zh.has(`fig_${f}`), f);
  const dir = new URL('../../static/js/', import.meta.url);
  for (const file of ['followup/replies.js', 'followup/lookup.js', 'followup/office.js', 'viewer/followup.js', 'console/followup.js']) {
    const js = readFileSync(new URL(file, dir), 'utf8');
    for (const m of js.matchAll(/\bt\(\s*'([a-z0-9_]+)'/g)) assert.ok(zh.has(m[1]), `${file}: ${m[1]}`);
  }
});

test('Chinese first, English on request', () => {
  setLang('zh-CN', null);
  assert.equal(t('fu_published'), '已公开答复');
  assert.equal(t('code_note', { code: 'ABC-DEFGH' }), '记下查询码，稍后可查看办理结果：ABC-DEFGH');
  setLang('en', null);
  assert.equal(t('rating_basically'), 'Mostly satisfied');
  setLang('zh-CN', null);
});

test('codes are shown in two parts and read back however typed', () => {
  assert.equal(displayCode('ABCDEFGH'), 'ABC-DEFGH');
  assert.equal(normalizeCode(' abc-defgh '), 'ABCDEFGH');
  assert.equal(normalizeCode('ABCDEFG0'), null); // 0 is not in the alphabet
  assert.equal(normalizeCode('ABC'), null);
  assert.equal(normalizeCode(null), null);
});

test('labels, dates and rates', () => {
  assert.equal(stateKey('closed'), 'fu_closed');
  assert.equal(stateKey('<img>'), 'fu_none');
  assert.equal(day(Date.UTC(2024, 9, 7, 17, 0)), '2024-10-08'); // 01:00 in Shanghai
  assert.equal(day(undefined), '');
  assert.equal(percent(0.6667), '66.7%');
  assert.equal(percent(null), '—');
  assert.equal(dueClass('overdue'), 'overdue');
  assert.equal(dueClass('soon'), 'soon');
  assert.equal(dueClass('ok'), '');
  assert.equal(cell({ reply_rate: 0.5, received: 3 }, 'reply_rate'), '50.0%');
  assert.equal(cell({ received: 3 }, 'received'), '3');
});

test('search and filters', () => {
  const items = [
    { text: '地铁何时通车', reply: '年底', dept: 'jt', tag: '交通' },
    { text: '学位不够', reply: '新建学校', dept: 'jy', tag: '教育' },
    { text: '路灯坏了', reply: '已修复', dept: 'jt', tag: null },
  ];
  assert.equal(filterItems(items, { query: '学校' }).length, 1);
  assert.equal(filterItems(items, { dept: 'jt' }).length, 2);
  assert.equal(filterItems(items, { dept: 'jt', tag: '交通' }).length, 1);
  assert.deepEqual(facets(items), { depts: ['jt', 'jy'], tags: ['交通', '教育'] });
  const rows = figureRows({ jy: { received: 1, reply_rate: 1 }, jt: { received: 2, reply_rate: null } });
  assert.deepEqual(rows.map((r) => r[0]), ['jt', 'jy']);
  assert.equal(rows[0][FIGURES.indexOf('reply_rate') + 1], '—');
});

test("the console panel's groups: each item in the one place that needs it", async () => {
  const { groups } = await import('../../static/js/console/followup.js');
  const item = (state, extra = {}) => ({ q: { id: Math.random() }, fu: { state, ...extra }, needs_triage: false });
  const g = groups([
    { ...item('none'), needs_triage: true },
    item('to_assign'),
    item('replied'),
    item('published', { rating: 'dissatisfied' }),
    item('accepted', { ext_state: 'requested' }),
    item('assigned'),
    item('closed'),
    item('none'), // answered during the show, never triaged: nothing to do
  ]);
  assert.deepEqual(Object.fromEntries(Object.entries(g).map(([k, v]) => [k, v.length])),
    { triage: 1, forward: 1, review: 1, unhappy: 1, extension: 1, open: 1, done: 1 });
});
