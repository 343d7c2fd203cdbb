// The production's pure helpers (no DOM; node --test): scenes, the cue, the
// run-down as the console model holds them (model.overlay: scene, layers,
// scenes, cue, rundown), and the commands that reorder the run-down.
//
// Every run-down change names the question and the neighbour it goes after
// (0 = the top), never a position: two moderators moving at once both land
// where they meant, and every console converges on the hub's order.

export const WIDGETS = ['question', 'poll', 'likes', 'viewers', 'qr', 'ticker', 'title'];
// Scenes 1 to 8 answer to F1 to F8 (global keys, as in vision mixers).
export const SCENE_KEYS = ['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8'];

/** The widgets on air now ([] for none). */
export function layersOf(overlay) {
  if (Array.isArray(overlay?.layers)) return overlay.layers;
  const legacy = { question: ['question'], poll: ['poll'], likes: ['likes', 'viewers'], qr: ['qr'], ticker: ['ticker'] };
  return legacy[overlay?.show] ?? [];
}

export function scenesOf(overlay) {
  return Array.isArray(overlay?.scenes) ? overlay.scenes : [];
}

/** Whether the widgets on air leave the question out (上屏 then shows nothing). */
export function hidesQuestions(overlay) {
  return !layersOf(overlay).includes('question');
}

/** The current scene, or null (nothing chosen, or one widget chosen by hand). */
export function currentScene(overlay) {
  return scenesOf(overlay).find((s) => s.id === overlay?.scene) ?? null;
}

/** The run-down's question ids, in order. */
export function rundownIds(overlay) {
  return Array.isArray(overlay?.rundown?.items) ? overlay.rundown.items : [];
}

/**
 * The `rundown.move` fields that put `qid` at `index` of the list (the index in
 * the list without it), or null when it is already there or not in the list.
 */
export function moveTo(items, qid, index) {
  const from = items.indexOf(qid);
  if (from < 0) return null;
  const rest = items.filter((id) => id !== qid);
  const to = Math.max(0, Math.min(rest.length, index));
  if (to === from) return null;
  return { qid, after: to === 0 ? 0 : rest[to - 1] };
}

/** One step up (delta -1) or down (+1). */
export function moveBy(items, qid, delta) {
  const from = items.indexOf(qid);
  return from < 0 ? null : moveTo(items, qid, from + delta);
}

/** A fresh id for a new scene from its name (ASCII letters and digits, else "scene"). */
export function sceneId(name, taken) {
  const base = String(name).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 16) || 'scene';
  let id = base;
  for (let n = 2; taken.includes(id); n += 1) id = `${base}-${n}`;
  return id;
}
