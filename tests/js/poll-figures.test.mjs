// static/js/shared/poll-figures.js against tests/golden/figures/*.json, the cases
// server/domain/poll_figures.py is checked against (tests/unit/test_poll_figures.py).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { figures, pct } from '../../static/js/shared/poll-figures.js';

const DIR = new URL('../golden/figures/', import.meta.url);
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

test('the figure cases are there', () => {
  assert.ok(FILES.length >= 8, FILES.join(', '));
});

for (const file of FILES) {
  test(`figures: ${file}`, () => {
    const golden = JSON.parse(readFileSync(new URL(file, DIR), 'utf8'));
    assert.deepEqual(figures(golden.poll), golden.figures);
  });
}

test('percent rounds half up in integers, as Python does', () => {
  assert.deepEqual([pct(1, 8), pct(1, 3), pct(2, 3), pct(1, 200), pct(0, 0)], [13, 33, 67, 1, 0]);
});
