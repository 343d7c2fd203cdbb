// The production's pure parts: the console's run-down moves and scene helpers
// (static/js/console/production.js), the overlay's layers and preview
// (static/js/overlay/model.js), the host view's cards and clock (static/js/host/model.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { hidesQuestions, layersOf, moveBy, moveTo, sceneId } from '../../static/js/console/production.js';
import { applyMessage } from '../../static/js/shared/state.js';
import { initialOverlayState, isVisible, pollView, questionView, shown } from '../../static/js/overlay/model.js';
import { clockText, initialHostState, nextCards, onAirCard, openPoll, questionOnScreen } from '../../static/js/host/model.js';

test('run-down moves name the new neighbour, never a position', () => {
  const items = [1, 2, 3, 4];
  assert.deepEqual(moveBy(items, 3, -1), { qid: 3, after: 1 });
  assert.deepEqual(moveBy(items, 1, 1), { qid: 1, after: 2 });
  assert.deepEqual(moveBy(items, 2, -1), { qid: 2, after: 0 }); // to the top
  assert.equal(moveBy(items, 1, -1), null); // already first
  assert.equal(moveBy(items, 4, 1), null); // already last
  assert.equal(moveBy(items, 9, 1), null); // not in the list
  assert.deepEqual(moveTo(items, 4, 0), { qid: 4, after: 0 }); // dropped on the first
  assert.deepEqual(moveTo(items, 1, 2), { qid: 1, after: 3 }); // dropped on the third
});

test('scenes: layers, hidden questions, fresh ids', () => {
  assert.deepEqual(layersOf({ show: 'likes' }), ['likes', 'viewers']); // a hub before scenes
  assert.deepEqual(layersOf({ layers: ['poll', 'qr'] }), ['poll', 'qr']);
  assert.equal(hidesQuestions({ layers: ['poll', 'qr'] }), true);
  assert.equal(hidesQuestions({ layers: ['question'] }), false);
  assert.equal(sceneId('Q&A two', ['q-a-two']), 'q-a-two-2');
  assert.equal(sceneId('提问', []), 'scene');
});

function overlayState(overlay, extra = {}) {
  return applyMessage(initialOverlayState(), {
    type: 'snapshot', epoch: 'e', pos: '1-0', broadcast: { title: 'T' },
    questions: [{ id: 1, text: 'on air', status: 'on_air' }, { id: 2, text: 'next', status: 'approved' }],
    on_air: { id: 1, text: 'on air', status: 'on_air' },
    polls: [{ id: 5, question: 'P?', options: ['a', 'b'], state: 'open', tallies: [3, 1], ballots: 4 }],
    overlay, ...extra,
  }); // prettier-ignore
}

test('the overlay draws the layers; preview draws the cue', () => {
  const cue = { scene: 'vote', layers: ['poll', 'question'], poll: 5, qid: 2 };
  const s = overlayState({ show: 'question', poll: null, scene: 'ask', layers: ['question', 'likes'], scenes: [], cue });
  assert.deepEqual(['question', 'likes', 'poll', 'qr'].map((w) => isVisible(w, s)), [true, true, false, false]);
  assert.equal(questionView(s).text, 'on air');
  // preview: the cued question and poll, the cue's layers
  assert.deepEqual(shown(s, true), { layers: ['poll', 'question'], poll: 5, qid: 2 });
  assert.equal(questionView(s, true).text, 'next');
  assert.equal(pollView(s, true).id, 5);
  assert.equal(isVisible('likes', s, [], true), false);
  // a cued question that left public view draws nothing (never the on-air one instead)
  const gone = overlayState({ layers: ['question'], cue: { layers: ['question'], qid: 9 } });
  assert.equal(questionView(gone, true), null);
});

test('the host view: on air, the next three approved of the run-down, the open poll', () => {
  let s = applyMessage(initialHostState(), {
    type: 'snapshot', epoch: 'e', pos: '1-0', broadcast: { settings: { show_names: true } },
    questions: [1, 2, 3, 4, 5, 6].map((id) => ({ id, text: `q${id}`, name: `n${id}`, status: id === 1 ? 'on_air' : id === 3 ? 'answered' : 'approved', votes: id })),
    on_air: { id: 1, text: 'q1', name: 'n1', status: 'on_air', votes: 1 },
    polls: [{ id: 7, question: 'P?', options: ['a', 'b'], state: 'open', tallies: [1, 3], ballots: 4 }],
    overlay: { layers: ['poll'] }, rundown: { items: [3, 2, 6, 5, 4], ver: 2 },
  }); // prettier-ignore
  assert.equal(onAirCard(s).text, 'q1');
  assert.deepEqual(nextCards(s).map((c) => c.id), [2, 6, 5]); // 3 is answered: skipped
  assert.deepEqual(openPoll(s).options.map((o) => o.pct), [25, 75]);
  assert.equal(questionOnScreen(s), false);
  s = applyMessage(s, { type: 'events', epoch: 'e', pos: '2-0', events: [{ type: 'broadcast', pos: '2-0', b: { settings: { show_names: false } } }] });
  assert.equal(onAirCard(s).name, '匿名');
});

test('the clock is the broadcast zone, with the offset as a fallback', () => {
  const ms = Date.UTC(2026, 0, 1, 16, 5, 9);
  assert.equal(clockText(ms, { name: 'Asia/Shanghai', offset: 480 }), '00:05:09');
  assert.equal(clockText(ms, { name: 'Not/AZone', offset: 480 }), '00:05:09');
});
