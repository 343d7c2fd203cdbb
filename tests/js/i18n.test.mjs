// static/js/viewer/i18n.js: both languages have every string the viewer page uses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { DEFAULT_LANG, initLang, keys, lang, setLang, t } from '../../static/js/viewer/i18n.js';

const root = new URL('../../static/', import.meta.url);
// The DOM layer and the pure model it draws (which names feedback keys).
const js = ['js/viewer/main.js', 'js/viewer/model.js'].map((f) => readFileSync(new URL(f, root), 'utf8')).join('\n');
const html = readFileSync(new URL('viewer.html', root), 'utf8');

function usedKeys() {
  const found = new Set();
  for (const m of js.matchAll(/\bt\(\s*'([a-z0-9_]+)'/g)) found.add(m[1]);
  for (const m of js.matchAll(/'((?:err|close|poll|ask|upvote)_[a-z0-9_]+)'/g)) found.add(m[1]);
  for (const m of html.matchAll(/data-i18n(?:-[a-z-]+)?="([a-z0-9_]+)"/g)) found.add(m[1]);
  // Keys built from a value: every value the page can meet.
  for (const s of ['pending', 'approved', 'on_air', 'answered', 'rejected', 'merged', 'sending']) found.add(`status_${s}`);
  for (const s of ['connecting', 'open', 'waiting', 'closed']) found.add(`conn_${s}`);
  for (const s of ['draft', 'live', 'ended']) found.add(`state_${s}`);
  for (const c of ['empty', 'too_long', 'duplicate', 'rate_limited', 'closed', 'banned', 'invalid']) found.add(`err_${c}`);
  return found;
}

test('both tables have the same keys', () => {
  assert.deepEqual(keys('en').sort(), keys('zh-CN').sort());
});

test('every string the page uses exists', () => {
  const have = new Set(keys('zh-CN'));
  const missing = [...usedKeys()].filter((k) => !have.has(k));
  assert.deepEqual(missing, []);
});

test('zh-CN by default, English selectable and remembered', () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  assert.equal(initLang(storage), DEFAULT_LANG);
  assert.equal(t('ask_done_pending'), '已提交，等待审核');
  setLang('en', storage);
  assert.equal(initLang(storage), 'en');
  assert.equal(lang(), 'en');
  assert.equal(t('viewers', { n: 3 }), '3 watching');
  setLang('fr', storage);
  assert.equal(lang(), DEFAULT_LANG);
  assert.equal(t('viewers', { n: '1.2万' }), '1.2万 人在线');
  assert.equal(t('no_such_key'), 'no_such_key');
});

test('every terminal close code has its explanation in both languages', async () => {
  const { TERMINAL_CODES } = await import('../../static/js/shared/contract.js');
  for (const language of ['zh-CN', 'en']) {
    const have = new Set(keys(language));
    for (const code of TERMINAL_CODES) assert.ok(have.has(`close_${code}`), `${language}: close_${code}`);
  }
});
