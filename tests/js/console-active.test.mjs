// The console's list of active viewers (static/js/console/active.js): what it
// keeps of the hub's answer. The box itself runs in the console page.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { activeRows } from '../../static/js/console/active.js';
import { LANGS, STRINGS } from '../../static/js/console/i18n.js';

test('rows keep pseudonym, count and ban state, in the hub order, at most the limit', () => {
  const res = {
    minutes: 5,
    viewers: [
      { viewer: 'abcdefghij', actions: 140, banned: false },
      { viewer: 'bcdefghijk', actions: 3, banned: true },
      { viewer: 'cdefghijkl', actions: 1 },
    ],
  };
  assert.deepEqual(activeRows(res, 2), [
    { viewer: 'abcdefghij', actions: 140, banned: false },
    { viewer: 'bcdefghijk', actions: 3, banned: true },
  ]);
  assert.equal(activeRows(res)[2].banned, false);
});

test('a malformed answer gives no rows, never a throw', () => {
  for (const res of [null, {}, { viewers: 'x' }, { viewers: [{ viewer: 5, actions: 1 }, { viewer: 'a' }] }]) {
    assert.deepEqual(activeRows(res), []);
  }
});

test('every string of the box exists in both languages', () => {
  assert.deepEqual([...LANGS].sort(), ['en', 'zh-CN']);
  for (const key of ['side_active', 'side_active_none', 'active_actions', 'active_refresh', 'act_ban_viewer',
    'ban_viewer_title']) {
    for (const lang of LANGS) assert.ok(STRINGS[lang][key], `${lang}.${key}`);
  }
});
