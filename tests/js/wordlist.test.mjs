// The import format's pinyin column, as the hub reads it (sensitive.parse_text_list).
import test from 'node:test';
import assert from 'node:assert/strict';

import { formatWordList, parseWordList } from '../../static/js/shared/wordlist.js';

test('a last column "pinyin" marks the word, with or without an action', () => {
  const { words, problems } = parseWordList('骗子\tblock\tpinyin\n傻瓜\tpinyin\n笨蛋\t\tPINYIN\n敏感\n');
  assert.deepEqual(problems, []);
  assert.deepEqual(words, [
    { word: '骗子', action: 'block', pinyin: true },
    { word: '傻瓜', action: 'hold', pinyin: true },
    { word: '笨蛋', action: 'hold', pinyin: true },
    { word: '敏感', action: 'hold' },
  ]);
});

test('the mark survives formatting and parsing again', () => {
  const words = [
    { word: '甲', action: 'hold', pinyin: true },
    { word: '乙', action: 'block', pinyin: true },
    { word: '丙', action: 'block' },
  ];
  assert.equal(formatWordList(words), '甲\tpinyin\n乙\tblock\tpinyin\n丙\tblock');
  assert.deepEqual(parseWordList(formatWordList(words)).words, words);
});

test('before the pinyin column the action column is checked as ever', () => {
  assert.equal(parseWordList('词\tdelete\tpinyin').problems[0].kind, 'action');
});
