// The golden event sequences of tests/golden/, replayed through
// static/js/shared/state.js. tests/unit/test_golden_state.py replays the same
// files through server/client/state.py: one set of expected states for both.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { applyMessage, initialState } from '../../static/js/shared/state.js';

const GOLDEN = new URL('../golden/', import.meta.url);
const FILES = readdirSync(GOLDEN).filter((f) => f.endsWith('.json')).sort();
const FIELDS = [
  'epoch', 'pos', 'questions', 'mine', 'myvotes', 'polls', 'likes', 'presence',
  'on_air', 'broadcast', 'overlay', 'snapshots', 'duplicates', 'unknown',
]; // prettier-ignore

const byId = (map) => [...map.keys()].sort((a, b) => a - b).map((k) => map.get(k));

function neutral(s) {
  return {
    epoch: s.epoch,
    pos: s.pos,
    questions: byId(s.questions),
    mine: byId(s.mine),
    myvotes: [...s.myvotes].sort((a, b) => a - b),
    polls: byId(s.polls),
    likes: s.likes,
    presence: s.presence,
    on_air: s.onAir,
    broadcast: s.broadcast,
    overlay: s.overlay,
    snapshots: s.snapshots,
    duplicates: s.duplicates,
    unknown: s.unknown,
  };
}

test('the golden set is there', () => {
  assert.ok(FILES.length >= 7, FILES.join(', '));
});

for (const file of FILES) {
  test(`golden: ${file}`, () => {
    const golden = JSON.parse(readFileSync(new URL(file, GOLDEN), 'utf8'));
    assert.deepEqual(Object.keys(golden.steps.at(-1).expect).sort(), [...FIELDS].sort(), 'last step: all');
    let state = initialState(golden.role);
    golden.steps.forEach((step, i) => {
      for (const message of step.messages) state = applyMessage(state, message);
      const got = neutral(state);
      const picked = Object.fromEntries(Object.keys(step.expect).map((k) => [k, got[k]]));
      assert.deepEqual(picked, step.expect, `step ${i + 1}`);
    });
  });
}
