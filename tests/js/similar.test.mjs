// static/js/console/similar.js: normalisation, the similarity rule, the index agreeing
// with a brute-force scan, and its speed on 2,000 questions.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compare, grams, normalise, SimilarIndex } from '../../static/js/console/similar.js';

test('normalise: NFKC, lower case, no punctuation, symbols or spaces', () => {
  assert.equal(normalise('５号线　南延，什么时候开工？'), '5号线南延什么时候开工');
  assert.equal(normalise('Line  5, WHEN?'), 'line5when');
  assert.equal(normalise('地\u200b铁'), '地铁'); // zero-width space
  assert.equal(normalise(null), '');
});

test('grams: character bigrams, one unigram for a single character', () => {
  assert.deepEqual([...grams('地铁5号')], ['地铁', '铁5', '5号']);
  assert.deepEqual([...grams('好')], ['好']);
  assert.equal(grams('？！').size, 0);
});

test('a reworded question is similar, a different one is not', () => {
  const base = grams('地铁5号线南延段什么时候开工？');
  assert.ok(compare(base, grams('5号线南延什么时候开工')).similar);
  assert.equal(compare(base, grams('学校食堂的饭菜价格能否公开？')).similar, false);
  // A short question inside a long one: containment.
  const long = grams('我家住在天通苑北，想问一下5号线南延什么时候开工，早高峰太挤了');
  const m = compare(long, grams('5号线南延什么时候开工'));
  assert.ok(m.similar && m.containment >= 0.7 && m.jaccard < 0.45, JSON.stringify(m));
  // The seeded screenshot's pair (docs/img/console.png).
  assert.ok(compare(grams('地铁5号线南延段什么时候开工？每天早高峰从天通苑出来实在太挤了。'), grams('地铁5号线南延到底什么时候开工')).similar);
  // Too short for containment alone.
  assert.equal(compare(grams('地铁票价'), grams('关于地铁票价调整的听证会何时召开')).similar, false);
});

test('exact duplicates after normalisation score 1', () => {
  const m = compare(grams('末班车能否延长？'), grams('末班车 能否 延长'));
  assert.equal(m.score, 1);
});

test('similarTo: earlier questions only, best first, accept filter, re-index on edit', () => {
  const index = new SimilarIndex();
  index.set(1, '地铁5号线南延段什么时候开工？');
  index.set(2, '学校食堂的饭菜价格能否公开？');
  index.set(3, '5号线南延什么时候开工');
  index.set(4, '5号线南延段到底什么时候开工呢');
  assert.deepEqual(index.similarTo(3).map((r) => r.id), [1]);
  assert.deepEqual(index.similarTo(4).map((r) => r.id).sort(), [1, 3]);
  assert.deepEqual(index.similarTo(1), [], 'nothing earlier than the first');
  assert.deepEqual(index.similarTo(1, { before: false }).map((r) => r.id).sort(), [3, 4]);
  assert.deepEqual(index.similarTo(4, { accept: (id) => id !== 1 }).map((r) => r.id), [3]);
  assert.equal(index.set(3, '5号线南延什么时候开工'), false, 'unchanged text: nothing to do');
  index.set(3, '食堂饭菜价格能否公开');
  assert.deepEqual(index.similarTo(3).map((r) => r.id), [2]);
  index.delete(2);
  assert.deepEqual(index.similarTo(3), []);
  assert.equal(index.size, 3);
  assert.deepEqual(index.similarToText('5号线南延段什么时候开工').map((r) => r.id).sort(), [1, 4]);
});

// A deterministic pseudo-random source (no Math.random in tests).
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SUBJECTS = ['地铁5号线', '6号线', '公交站', '学校食堂', '社区医院', '老旧小区', '停车场', '垃圾分类', '菜市场', '公园'];
const VERBS = ['什么时候', '能否', '是否可以', '为什么不', '有没有计划', '多久才能'];
const OBJECTS = ['开工', '延长运营时间', '增加无障碍设施', '降低收费', '公开预算', '改造电梯', '增加班次', '扩建', '听取居民意见'];
const TAILS = ['？', '，希望尽快答复', '，大家都很关心', '，谢谢', '，早高峰太挤了', ''];

function corpus(n, random) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  return Array.from({ length: n }, () => `${pick(SUBJECTS)}${pick(VERBS)}${pick(OBJECTS)}${pick(TAILS)}`);
}

test('the index finds exactly what a brute-force scan finds', () => {
  const texts = corpus(400, rng(7));
  const index = new SimilarIndex();
  texts.forEach((text, i) => index.set(i + 1, text));
  const sets = texts.map((text) => grams(text));
  for (let i = 0; i < texts.length; i += 7) {
    const id = i + 1;
    const expected = [];
    for (let j = 0; j < i; j += 1) {
      if (compare(sets[i], sets[j]).similar) expected.push(j + 1);
    }
    const got = index.similarTo(id, { limit: 1000 }).map((r) => r.id).sort((a, b) => a - b);
    assert.deepEqual(got, expected, texts[i]);
  }
});

test('2,000 questions: indexing and one query per question stay fast', () => {
  const texts = corpus(2000, rng(42));
  const started = performance.now();
  const index = new SimilarIndex();
  let hits = 0;
  texts.forEach((text, i) => {
    index.set(i + 1, text);
    hits += index.similarTo(i + 1).length;
  });
  const ms = performance.now() - started;
  assert.ok(hits > 0);
  // Typically ~100 ms here; the bound leaves room for a slow shared machine.
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
});
