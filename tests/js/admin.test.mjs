// The pure modules of the login page and the console home: safe `next`,
// the word-list import format, the create form, and the i18n tables.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { DEFAULT_LANG, initLang, keys, setLang, t, waitText } from '../../static/js/home/i18n.js';
import {
  broadcastBody,
  generatePassword,
  localInputToMs,
  msToLocalInput,
  overlayUrls,
  parseTags,
} from '../../static/js/home/form.js';
import { detailText } from '../../static/js/home/audit.js';
import { loginUrl, safeNext } from '../../static/js/shared/safe-next.js';
import { decodeText, formatWordList, parseWordList } from '../../static/js/shared/wordlist.js';

test('next: only a path on this site', () => {
  const kept = [
    ['/console', '/console'],
    ['/console/demo', '/console/demo'],
    ['/console/demo?tab=polls#q17', '/console/demo?tab=polls#q17'],
    ['/console/../b/x', '/b/x'], // resolved, still on the site
  ];
  for (const [raw, want] of kept) assert.equal(safeNext(raw), want, raw);
  const refused = [
    null, undefined, '', 42, 'console', 'https://evil.example/', 'http:/evil.example',
    '//evil.example', '///evil.example', '/\\evil.example', '\\/evil.example', '/\t/evil.example',
    '/\n/evil.example', ' /console', 'javascript:alert(1)', 'data:text/html,x', '/login',
    '/login?next=/console', `/${'a'.repeat(2100)}`,
  ];
  for (const raw of refused) assert.equal(safeNext(raw), '/console', JSON.stringify(raw));
  assert.equal(safeNext('//x', '/elsewhere'), '/elsewhere');
});

test('login URL for the current page', () => {
  assert.equal(loginUrl('/console'), '/login?next=%2Fconsole');
  assert.equal(loginUrl('/console/demo?x=1'), '/login?next=%2Fconsole%2Fdemo%3Fx%3D1');
  assert.equal(loginUrl('//evil.example'), '/login');
});

test('word list: the import format', () => {
  const text = '\ufeff# 注释\n敏感词\n  拦截词\tblock  \r\n待审词\thold\n\n坏行\tmaybe\n敏感词\tblock\n';
  const { words, problems } = parseWordList(text);
  assert.deepEqual(words, [
    { word: '敏感词', action: 'block' }, // the later line wins
    { word: '拦截词', action: 'block' },
    { word: '待审词', action: 'hold' },
  ]);
  assert.deepEqual(problems.map((p) => [p.line, p.kind]), [[6, 'action'], [7, 'duplicate']]);
  assert.equal(parseWordList('x'.repeat(51)).problems[0].kind, 'too_long');
  assert.equal(parseWordList('𠀀'.repeat(50)).problems.length, 0); // code points, not UTF-16 units
  assert.deepEqual(parseWordList('').words, []);
  const many = Array.from({ length: 20_001 }, (_, i) => `w${i}`).join('\n');
  assert.equal(parseWordList(many).problems.at(-1).kind, 'too_many');
});

test('word list: format round trip', () => {
  const words = [{ word: '甲', action: 'hold' }, { word: '乙', action: 'block' }];
  assert.equal(formatWordList(words), '甲\n乙\tblock');
  assert.deepEqual(parseWordList(formatWordList(words)).words, words);
  assert.equal(formatWordList(undefined), '');
});

test('word list files: UTF-8 or GB18030', () => {
  const utf8 = new TextEncoder().encode('\ufeff敏感词\n');
  assert.equal(decodeText(utf8), '敏感词\n');
  const gbk = Uint8Array.from([0xc3, 0xf4, 0xb8, 0xd0, 0xb4, 0xca, 0x0a]); // 敏感词\n in GBK
  assert.equal(decodeText(gbk.buffer), '敏感词\n');
});

test('create form: body and checks', () => {
  const ok = broadcastBody({
    id: ' City-Metro ', title: ' 地铁规划 ', topic: '议题', scheduled: '2031-05-20T19:30',
    moderation: false, maxLen: '200', tags: '东城区，西城区、交通, 交通', showNames: true,
  });
  assert.deepEqual(ok.body, {
    id: 'city-metro', title: '地铁规划', topic: '议题', scheduled: new Date(2031, 4, 20, 19, 30).getTime(),
    settings: { moderation: false, max_len: 200, tags: ['东城区', '西城区', '交通'], show_names: true },
  });
  const minimal = broadcastBody({ title: '标题', moderation: true, showNames: true });
  assert.deepEqual(minimal.body, {
    title: '标题', topic: '', settings: { moderation: true, max_len: 300, tags: [], show_names: true },
  });
  const errors = [
    [{ title: '' }, 'err_title_empty', 'title'],
    [{ title: '字'.repeat(101) }, 'err_title_long', 'title'],
    [{ title: 'x', id: '-bad' }, 'err_bid', 'id'],
    [{ title: 'x', id: 'a'.repeat(33) }, 'err_bid', 'id'],
    [{ title: 'x', id: 'under_score' }, 'err_bid', 'id'],
    [{ title: 'x', topic: '字'.repeat(201) }, 'err_topic_long', 'topic'],
    [{ title: 'x', scheduled: 'tomorrow' }, 'err_scheduled', 'scheduled'],
    [{ title: 'x', maxLen: '9' }, 'err_max_len', 'max_len'],
    [{ title: 'x', maxLen: '1001' }, 'err_max_len', 'max_len'],
    [{ title: 'x', maxLen: '12.5' }, 'err_max_len', 'max_len'],
    [{ title: 'x', tags: Array.from({ length: 31 }, (_, i) => `t${i}`).join(',') }, 'err_tags_many', 'tags'],
    [{ title: 'x', tags: '字'.repeat(21) }, 'err_tag_long', 'tags'],
  ];
  for (const [fields, error, field] of errors) {
    assert.deepEqual(broadcastBody(fields), { error, field }, JSON.stringify(fields));
  }
});

test('tags and datetime-local', () => {
  assert.deepEqual(parseTags('a；b;c\nd，e、a'), ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(parseTags('  '), []);
  const ms = localInputToMs('2030-01-02T03:04');
  assert.equal(msToLocalInput(ms), '2030-01-02T03:04');
  assert.equal(localInputToMs('2030-13-02T03:04'), null);
  assert.equal(localInputToMs('2030-02-30T03:04'), null);
  assert.equal(localInputToMs('2030-01-02T03:04:05'), ms + 5000);
  assert.equal(localInputToMs(''), null);
  assert.equal(msToLocalInput('nope'), '');
});

test('overlay URLs: the page, then one per widget, same key', () => {
  const urls = overlayUrls('https://live.example.org/overlay/demo?key=K1');
  assert.equal(urls[0].url, 'https://live.example.org/overlay/demo?key=K1');
  assert.deepEqual(urls.slice(1).map((u) => u.url), [
    'https://live.example.org/overlay/demo/question?key=K1',
    'https://live.example.org/overlay/demo/poll?key=K1',
    'https://live.example.org/overlay/demo/likes?key=K1',
    'https://live.example.org/overlay/demo/viewers?key=K1',
    'https://live.example.org/overlay/demo/qr?key=K1',
    'https://live.example.org/overlay/demo/ticker?key=K1',
  ]);
  assert.deepEqual(overlayUrls(undefined), []);
  assert.deepEqual(overlayUrls('not a url'), []);
});

test('generated passwords: 16 unambiguous characters', () => {
  let calls = 0;
  const random = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + calls++ * 11) % 256);
  const pw = generatePassword(random);
  assert.equal(pw.length, 16);
  assert.match(pw, /^[a-km-zA-HJ-NP-Z2-9]+$/);
  assert.doesNotMatch(pw, /[0O1lI]/);
  // Bytes past the last full alphabet cycle are skipped (uniform), not folded.
  assert.equal(generatePassword(() => Uint8Array.from([255, 0]), 1), 'a');
});

test('audit detail as one line', () => {
  assert.equal(detailText({ from: 'pending', to: 'approved' }), 'from: pending, to: approved');
  assert.equal(detailText({ words: ['a', 'b'] }), 'words: ["a","b"]');
  assert.equal(detailText(null), '');
  assert.equal(detailText('x'), 'x');
});

// --- i18n ------------------------------------------------------------------------

const root = new URL('../../static/', import.meta.url);
const sources = ['js/home/login.js', 'js/home/main.js', 'js/home/broadcasts.js', 'js/home/accounts.js',
  'js/home/words.js', 'js/home/audit.js', 'js/home/dom.js', 'js/home/i18n.js'].map((p) => readFileSync(new URL(p, root), 'utf8'));
const pages = ['login.html', 'console-home.html'].map((p) => readFileSync(new URL(p, root), 'utf8'));

function usedKeys() {
  const found = new Set();
  for (const js of sources) {
    for (const m of js.matchAll(/\bt\(\s*'([a-z0-9_]+)'/g)) found.add(m[1]);
    for (const m of js.matchAll(/\bkey: '([a-z0-9_]+)'/g)) found.add(m[1]);
    for (const m of js.matchAll(/show\('([a-z0-9_]+)'/g)) found.add(m[1]);
  }
  for (const html of pages) {
    for (const m of html.matchAll(/data-i18n(?:-[a-z-]+)?="([a-z0-9_]+)"/g)) found.add(m[1]);
  }
  // Keys built from a value: every value the pages can meet.
  for (const s of ['draft', 'live', 'ended']) found.add(`state_${s}`);
  for (const w of ['question', 'poll', 'likes', 'viewers', 'qr', 'ticker']) found.add(`widget_${w}`);
  for (const k of ['action', 'too_long', 'duplicate', 'too_many']) found.add(`words_problem_${k}`);
  for (const a of ['reset', 'remove']) {
    found.add(`acc_confirm_${a}`);
    found.add(`acc_${a}_label`);
  }
  for (const e of ['err_bid', 'err_title_empty', 'err_title_long', 'err_topic_long', 'err_scheduled',
    'err_max_len', 'err_tags_many', 'err_tag_long']) found.add(e);
  return found;
}

test('both tables have the same keys', () => {
  assert.deepEqual(keys('en').sort(), keys('zh-CN').sort());
});

test('every string the pages use exists', () => {
  const have = new Set(keys('zh-CN'));
  assert.deepEqual([...usedKeys()].filter((k) => !have.has(k)), []);
});

test('zh-CN by default, English remembered under the viewer page key', () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  assert.equal(initLang(storage), DEFAULT_LANG);
  assert.equal(t('login_wrong'), '用户名或密码不正确');
  setLang('en', storage);
  assert.equal(store.get('xs:lang'), 'en');
  assert.equal(initLang(storage), 'en');
  assert.equal(t('login_wrong'), 'Wrong username or password');
  assert.equal(t('login_throttled', { wait: waitText(540) }), 'Too many failed sign-ins. Please try again in 9 min.');
  assert.equal(waitText(30), '30 s');
  assert.equal(waitText(0), '1 s');
  setLang('zh-CN', storage);
  assert.equal(t('login_throttled', { wait: waitText(900) }), '登录失败次数过多，请 15 分钟后再试');
  const broken = { getItem() { throw new Error('private mode'); }, setItem() { throw new Error('full'); } };
  assert.equal(initLang(broken), 'zh-CN');
  assert.equal(setLang('en', broken), 'en');
  setLang('zh-CN', storage);
});

test('word list: the last tab separates, as the hub reads it', () => {
  assert.deepEqual(parseWordList('a\tb\tblock\n  词 \t BLOCK \n尾\t\n').words, [
    { word: 'a\tb', action: 'block' },
    { word: '词', action: 'block' },
    { word: '尾', action: 'hold' },
  ]);
});
