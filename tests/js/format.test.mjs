// static/js/shared/format.js: the same table as server/domain/likes.py format_count_zh.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { charCount, formatCount, formatCountEn, formatCountZh, percent, relativeTime } from '../../static/js/shared/format.js';

test('zh counts round down like format_count_zh', () => {
  const table = [
    [0, '0'], [-3, '0'], [9999, '9999'], [10_000, '1万'], [12_345, '1.2万'], [19_999, '1.9万'],
    [603_000, '60.3万'], [603_999, '60.3万'], [1_000_000, '100万'], [99_999_999, '9999.9万'],
    [100_000_000, '1亿'], [120_000_000, '1.2亿'], [1_999_999_999, '19.9亿'],
  ];
  for (const [n, text] of table) assert.equal(formatCountZh(n), text, `${n}`);
});

test('en counts', () => {
  assert.equal(formatCountEn(9999), '9,999');
  assert.equal(formatCountEn(60_399), '60.3K');
  assert.equal(formatCountEn(1_250_000), '1.2M');
  assert.equal(formatCount(12_345, 'zh-CN'), '1.2万');
  assert.equal(formatCount(12_345, 'en'), '12.3K');
});

test('relative times', () => {
  const now = Date.UTC(2025, 2, 14, 12, 0, 0);
  assert.equal(relativeTime(now - 5_000, now), '刚刚');
  assert.equal(relativeTime(now + 5_000, now), '刚刚'); // clock skew
  assert.equal(relativeTime(now - 5 * 60_000, now), '5分钟前');
  assert.equal(relativeTime(now - 2 * 3600_000, now), '2小时前');
  assert.equal(relativeTime(now - 3 * 86400_000, now), '3天前');
  assert.match(relativeTime(now - 30 * 86400_000, now), /^\d+月\d+日$/);
  assert.equal(relativeTime(now - 5 * 60_000, now, 'en'), '5 min ago');
});

test('character count as the hub counts it', () => {
  assert.equal(charCount('地铁'), 2);
  assert.equal(charCount('😀'), 1, 'code points, not UTF-16 units');
  assert.equal(charCount('  a   b  '), 3);
  assert.equal(charCount('a\u200bb'), 2, 'zero-width characters are dropped');
  assert.equal(charCount('e\u0301'), 1, 'NFC');
});

test('percent', () => {
  assert.equal(percent(1, 3), 33);
  assert.equal(percent(0, 0), 0);
});
