// static/js/join/: the join page's pure helpers and its string tables.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';

import { cleanCode, missedCode } from '../../static/js/join/code.js';
import { STRINGS } from '../../static/js/join/i18n.js';

test('a typed code loses spaces and dashes and is upper case', () => {
  assert.equal(cleanCode(' 7kq 2-xm '), '7KQ2XM');
  assert.equal(cleanCode(''), '');
  assert.equal(cleanCode(null), '');
  assert.equal(cleanCode('x'.repeat(40)).length, 16);
});

test('the code a URL looked up in vain', () => {
  assert.equal(missedCode('/', ''), '');
  assert.equal(missedCode('/j/abc234', ''), 'ABC234');
  assert.equal(missedCode('/j', '?code=ab%20c234'), 'ABC234');
  assert.equal(missedCode('/j/%E0%A4%A', ''), '%E0%A4%A', 'a broken escape is kept as typed');
  assert.equal(missedCode('/b/x', '?code=ABC234'), '', 'only the join routes say "not found"');
});

test('both languages have the same keys, none empty, and every key the page uses', () => {
  assert.deepEqual(Object.keys(STRINGS.en).sort(), Object.keys(STRINGS['zh-CN']).sort());
  for (const table of Object.values(STRINGS)) {
    for (const [k, v] of Object.entries(table)) assert.ok(v.trim(), k);
  }
  const html = readFileSync(new URL('../../static/join.html', import.meta.url), 'utf8');
  const js = readFileSync(new URL('../../static/js/join/main.js', import.meta.url), 'utf8');
  const used = new Set([
    ...[...html.matchAll(/data-i18n(?:-[a-z-]+)?="([\w]+)"/g)].map((m) => m[1]),
    ...[...js.matchAll(/(?:t|showError)\('([\w]+)'/g)].map((m) => m[1]),
  ]);
  for (const key of used) assert.ok(key in STRINGS['zh-CN'], key);
});
