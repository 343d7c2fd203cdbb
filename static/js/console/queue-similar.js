// The queue's similar questions (docs/console.md): the index of every
// question's text (similar.js), the "相似 n" count of each question against
// the ones before it, and the fresh list for the selected question.
//
// The counts for a snapshot of 2,000 near-identical questions take a
// noticeable fraction of a second, so they are worked out in slices between
// frames: the list paints at once and the badges follow (`onScored` asks for a
// redraw now and then, and at the end). The selected question's list in the
// side column is always computed fresh.

import { SimilarIndex } from './similar.js';

export const SIMILAR_SHOWN = 5;
const SLICE_MS = 12; // similarity work per slice, between frames
const DRAW_EVERY_MS = 400; // while scoring, the badges are redrawn this often

const live = (model) => (id) => {
  const other = model.questions.get(id);
  return other !== undefined && other.status !== 'merged';
};

export class QueueSimilarity {
  /** @param {() => void} onScored called when counts changed enough to redraw */
  constructor(onScored) {
    this.onScored = onScored;
    this.index = new SimilarIndex();
    this.indexed = new Map(); // qid -> the question object last indexed
    this.atArrival = new Map(); // qid -> ids of similar earlier questions
    this.toScore = new Set();
    this.scoring = false;
    this.lastDraw = 0;
    // A message to ourselves yields to the browser between slices; unlike a
    // chain of setTimeout(0) it is not clamped, nor held back to one run a
    // second when the renderer is busy.
    this.wake = new MessageChannel();
    this.wake.port1.onmessage = () => this._slice();
  }

  /** Index what changed in `model` (everything it no longer holds is dropped after a snapshot). */
  update(model, fromScratch) {
    if (fromScratch) {
      for (const id of [...this.indexed.keys()]) {
        if (model.questions.has(id)) continue;
        this.index.delete(id);
        this.indexed.delete(id);
        this.atArrival.delete(id);
      }
    }
    for (const q of model.questions.values()) {
      if (this.indexed.get(q.id) === q) continue;
      this.indexed.set(q.id, q);
      if (this.index.set(q.id, q.text ?? '')) this.toScore.add(q.id);
    }
    this._soon();
  }

  /** Similar earlier questions of `q` still worth showing (not merged away), best first. */
  similarOf(q, model) {
    return this.index.similarTo(q.id, { limit: SIMILAR_SHOWN, accept: live(model) });
  }

  /** The "相似 n" badge of a row: incoming questions only (pending, approved). */
  countFor(q, model) {
    if (q.status !== 'pending' && q.status !== 'approved') return 0;
    return (this.atArrival.get(q.id) ?? []).filter(live(model)).length;
  }

  _soon() {
    if (this.scoring || this.toScore.size === 0) return;
    this.scoring = true;
    this.wake.port2.postMessage(null);
  }

  _slice() {
    this.scoring = false;
    const until = performance.now() + SLICE_MS;
    for (const id of this.toScore) {
      this.toScore.delete(id);
      if (this.index.has(id)) {
        const found = this.index.similarTo(id, { limit: SIMILAR_SHOWN });
        this.atArrival.set(id, found.map((r) => r.id));
      }
      if (performance.now() > until) break;
    }
    // Drawing many rows costs more than a slice: redraw now and then, and at the end.
    if (this.toScore.size === 0 || performance.now() - this.lastDraw > DRAW_EVERY_MS) {
      this.lastDraw = performance.now();
      this.onScored();
    }
    this._soon();
  }
}
