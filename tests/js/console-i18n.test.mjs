// static/js/console/i18n.js and console-keys.js: the tables agree, the panels'
// strings merge in without overriding the console's own, keys dispatch by panel.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { lang, setLang, STRINGS, t, tables } from '../../static/js/console/i18n.js';
import { ignored, Keys } from '../../static/js/console/keys.js';

test('zh-CN and en have the same own keys, none empty', () => {
  const { own } = tables();
  assert.deepEqual(Object.keys(own.en).sort(), Object.keys(own['zh-CN']).sort());
  for (const [l, table] of Object.entries(own)) {
    for (const [k, v] of Object.entries(table)) assert.ok(v.length > 0, `${l}.${k}`);
  }
});

test('panel strings are merged without overriding the console\'s own', () => {
  const { own, panels } = tables();
  for (const l of ['zh-CN', 'en']) {
    const clash = Object.keys(panels[l] ?? {}).filter((k) => k in own[l]);
    assert.deepEqual(clash, [], `panel keys that shadow console keys (${l})`);
    for (const k of Object.keys(panels[l] ?? {})) assert.equal(STRINGS[l][k], panels[l][k]);
  }
});

test('t fills placeholders, falls back to zh-CN, then to the key', () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  setLang('zh-CN', storage);
  assert.equal(t('conflict', { status: t('status_approved') }), '已被其他主持人处理：现在是 已通过');
  setLang('en', storage);
  assert.equal(lang(), 'en');
  assert.equal(t('conflict', { status: t('status_approved') }), 'Already handled by another moderator: now Approved');
  assert.equal(t('no_such_key'), 'no_such_key');
  setLang('xx', storage);
  assert.equal(lang(), 'zh-CN');
});

const key = (k, target = { tagName: 'BODY' }, extra = {}) => ({
  key: k, target, defaultPrevented: false, isComposing: false, ctrlKey: false, altKey: false, metaKey: false,
  preventDefault() { this.defaultPrevented = true; }, ...extra,
});
const noDialog = { querySelector: () => null };

test('keys: the shown panel\'s key wins over a global one; others sleep', () => {
  let panel = 'queue';
  const keys = new Keys(() => panel);
  const ran = [];
  keys.register('x', 'kill', () => ran.push('global x'));
  keys.register('j', 'next', () => ran.push('queue j'), { panel: 'queue' });
  const off = keys.register('x', 'poll x', () => ran.push('polls x'), { panel: 'polls' });
  assert.equal(keys.find('j').label, 'next');
  assert.equal(keys.find('x').label, 'kill');
  panel = 'polls';
  assert.equal(keys.find('j'), undefined);
  assert.equal(keys.find('x').label, 'poll x');
  off();
  assert.equal(keys.find('x').label, 'kill');
  keys.register('ArrowDown', 'next', () => {}, { panel: 'queue' });
  const groups = keys.groups();
  assert.deepEqual(groups.map((g) => g.panel), [null, 'queue']);
  assert.deepEqual(groups[1].items, [{ keys: ['j', 'ArrowDown'], label: 'next' }]);
});

test('keys are ignored while typing, in a dialog, with modifiers, on a focused button', () => {
  assert.equal(ignored(key('a'), noDialog), false);
  assert.equal(ignored(key('a', { tagName: 'INPUT' }), noDialog), true);
  assert.equal(ignored(key('a', { tagName: 'DIV', isContentEditable: true }), noDialog), true);
  assert.equal(ignored(key('a', undefined, { ctrlKey: true }), noDialog), true);
  assert.equal(ignored(key('Enter', { tagName: 'BUTTON' }), noDialog), true);
  assert.equal(ignored(key('a', { tagName: 'BUTTON' }), noDialog), false);
  assert.equal(ignored(key('a', { tagName: 'INPUT', type: 'checkbox' }), noDialog), false);
  assert.equal(ignored(key(' ', { tagName: 'INPUT', type: 'checkbox' }), noDialog), true);
  assert.equal(ignored(key('a', { tagName: 'INPUT', type: 'search' }), noDialog), true);
  assert.equal(ignored(key('j', { tagName: 'SELECT' }), noDialog), true);
  assert.equal(ignored(key('a'), { querySelector: () => ({}) }), true);
});

test('one word per thing, in both languages: the ticker and the ban', async () => {
  const home = await import('../../static/js/home/i18n.js');
  const { own, panels } = tables();
  for (const l of ['zh-CN', 'en']) {
    const all = { ...own[l], ...panels[l] };
    // The ticker: the console's header, its overlay choice, the audit log, the home's widget list.
    const ticker = new Set([all.overlay_ticker, all.overlay_choice_ticker, all.audit_overlay_ticker,
      (home.setLang(l), home.t('widget_ticker'))]);
    assert.equal(ticker.size, 1, `${l}: ${[...ticker]}`);
    // The ban: the log says what the buttons say.
    assert.equal(all.audit_action_viewer_unban, all.act_unban, l);
  }
  const zh = JSON.stringify({ ...own['zh-CN'], ...panels['zh-CN'] });
  assert.ok(!zh.includes('禁言'), 'a ban is 封禁 everywhere');
});
