// The same polls (tests/golden/figures/*.json) through every page's path to
// its results: the shared reducer (static/js/shared/state.js) then the phone's
// figures (viewer/poll-kinds.js), the console's bars (console/polls.js) and
// the overlay's card (overlay/model.js). Each must show the golden figures;
// tests/integration/test_hub_poll_kinds.py does the same with real ballots
// through the hub, the report and the XLSX export.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { applyMessage, initialState } from '../../static/js/shared/state.js';
import { viewerFigures } from '../../static/js/viewer/poll-kinds.js';
import { tallyView } from '../../static/js/console/polls.js';
import { pollView } from '../../static/js/overlay/model.js';

const DIR = new URL('../golden/figures/', import.meta.url);
const CASES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
  .map((f) => ({ file: f, ...JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) }));

function through(role, poll) {
  const snap = {
    type: 'snapshot', epoch: 'e', pos: '1-0', broadcast: {}, questions: [], polls: [{ ...poll, state: 'open' }],
    likes: 0, presence: {}, on_air: null, overlay: { show: 'poll', poll: poll.id },
  };
  return applyMessage(initialState(role), snap).polls.get(poll.id);
}

for (const c of CASES) {
  test(`every surface shows the figures of ${c.file}`, () => {
    const shown = c.poll.tallies !== null;
    // Phone: hidden results stay hidden.
    const phone = through('viewer', c.poll);
    const mine = viewerFigures(phone, phone.tallies, phone.ballots);
    if (shown) assert.deepEqual(mine, c.figures);
    else assert.equal(mine, null);
    // Console (a moderator always sees them).
    if (c.figures.kind !== 'words') assert.deepEqual(tallyView(through('moderator', c.poll)).figs, c.figures);
    // Overlay.
    const state = applyMessage(initialState('overlay'), {
      type: 'snapshot', epoch: 'e', pos: '1-0', broadcast: {}, questions: [], polls: [{ ...c.poll, state: 'open' }],
      likes: 0, presence: {}, on_air: null, overlay: { show: 'poll', poll: c.poll.id },
    });
    const card = pollView(state);
    if (c.figures.kind === 'words') {
      assert.deepEqual(card.words, c.figures.words);
    } else {
      const rows = c.figures.rows;
      assert.deepEqual(card.options.map((o) => o.pct), rows.map((r) => r.pct));
      assert.deepEqual(card.options.map((o) => o.count), rows.map((r) => r.count ?? r.points));
    }
    assert.equal(card.ballots, c.figures.ballots);
    const basis = c.figures.kind === 'ranking' || c.figures.kind === 'words' ? c.figures.note.zh : c.figures.basis.zh;
    assert.ok(card.basis.endsWith(basis), card.basis);
  });
}
