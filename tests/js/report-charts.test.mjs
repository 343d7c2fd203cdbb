// static/js/report/charts.js: the report's chart options from the report JSON.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as charts from '../../static/js/report/charts.js';

const t = (key) => key;
const MIN = 60_000;
const T0 = Date.UTC(2025, 10, 25, 12, 0); // 20:00 in Asia/Shanghai
const report = {
  timeline: [0, 1, 2].map((i) => ({ t: T0 + i * MIN, viewers: [3, 5, 4][i], likes: [10, 0, 7][i], questions: [1, 2, 0][i], approved: [0, 1, 1][i] })),
  onair: [{ t: T0 + MIN + 12_000, qid: 7 }, { t: T0 + 99 * MIN, qid: 8 }],
  by_tag: [{ tag: '交通', count: 3 }, { tag: '未分类', count: 1 }],
  by_source: [{ source: 'phone', count: 4 }],
};

test('minutes are labelled in the broadcast time zone', () => {
  assert.equal(charts.minuteLabel(T0, 'Asia/Shanghai'), '20:00');
  assert.equal(charts.minuteLabel(T0, 'UTC'), '12:00');
});

test('viewers and likes: two axes, on-air marks only inside the timeline', () => {
  const o = charts.viewersAndLikes(report, t, 'Asia/Shanghai');
  assert.deepEqual(o.xAxis.data, ['20:00', '20:01', '20:02']);
  assert.deepEqual(o.series[0].data, [3, 5, 4]);
  assert.deepEqual(o.series[1].data, [10, 0, 7]);
  assert.deepEqual(o.series[0].markLine.data, [{ xAxis: '20:01', name: '#7' }]);
  assert.equal(o.tooltip.renderMode, 'richText'); // drawn on the canvas, never HTML
  assert.equal(o.animation, false);
});

test('questions per minute, categories and polls', () => {
  const q = charts.questionsPerMinute(report, t, 'Asia/Shanghai');
  assert.deepEqual(q.series.map((s) => s.data), [[1, 2, 0], [0, 1, 1]]);
  const tags = charts.byCategory(report.by_tag, 'tag', (x) => `[${x}]`, t);
  assert.deepEqual(tags.yAxis.data, ['[未分类]', '[交通]']); // most at the top
  const pie = charts.shares(report.by_source, 'source', (s) => s.toUpperCase(), t);
  assert.deepEqual(pie.series[0].data, [{ name: 'PHONE', value: 4 }]);
  const poll = charts.pollBars({ options: [{ text: '好', votes: 3 }, { text: '不好', votes: 1 }] }, t);
  assert.deepEqual(poll.yAxis.data, ['不好', '好']);
  assert.deepEqual(poll.series[0].data, [1, 3]);
});

test('percent text', () => {
  assert.equal(charts.percentText(0.734), '73.4%');
  assert.equal(charts.percentText(null), '—');
  assert.equal(charts.percentText(1), '100.0%');
});

test('the report pages speak zh-CN first and the two tables agree', async () => {
  const { DEFAULT_LANG, keys, t, setLang } = await import('../../static/js/report/i18n.js');
  assert.equal(DEFAULT_LANG, 'zh-CN');
  assert.deepEqual([...keys('en')].sort(), [...keys('zh-CN')].sort());
  setLang('zh-CN', null);
  assert.equal(t('print'), '打印 / 存为PDF');
  setLang('en', null);
  assert.equal(t('print'), 'Print / save as PDF');
  setLang('zh-CN', null);
});
