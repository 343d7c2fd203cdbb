// Floating hearts above (or below) the like counter.
//
// A fixed pool of heart nodes is reused, so hours of likes never add a node;
// each flight is one Web Animation (no inline style, no timers per heart). The
// number of hearts follows the like rate (overlay-model.js heartsFor): each rise
// of the total adds hearts to a budget that is released over the next second,
// a few per 100 ms tick, so a 200 ms like flush reads as a stream, not a blob.

import { icon } from './dom.js';
import { heartsFor } from './model.js';

const POOL = 24; // hearts in flight at most
const TICK_MS = 120;
const PER_TICK = 2;
const BUDGET_MAX = 32; // a huge jump (e.g. after a reconnect) is not replayed in full
const FLIGHT_MS = [1900, 2800];
const HUES = ['xs-heart-a', 'xs-heart-b', 'xs-heart-c'];

export class Hearts {
  /** @param {HTMLElement} field the box the hearts fly in (CSS places it by the counter) */
  constructor(field) {
    this.field = field;
    this.enabled = true;
    this.up = true; // false: the counter is at the top, hearts rise towards it from below
    this._free = [];
    this._budget = 0;
    this._timer = null;
    for (let i = 0; i < POOL; i += 1) {
      const heart = icon('heart', `xs-heart ${HUES[i % HUES.length]}`);
      field.append(heart);
      this._free.push(heart);
    }
  }

  /** The like total rose by `delta`. */
  add(delta) {
    if (!this.enabled) return;
    this._budget = Math.min(BUDGET_MAX, this._budget + heartsFor(delta));
    if (this._budget > 0 && this._timer === null) this._tick();
  }

  /** Stop at once (the widget hides, or motion is turned off). */
  stop() {
    this._budget = 0;
    clearTimeout(this._timer);
    this._timer = null;
  }

  _tick() {
    this._timer = null;
    const n = Math.min(PER_TICK, Math.ceil(this._budget / 6), this._free.length);
    if (n > 0) {
      const box = this.field.getBoundingClientRect();
      for (let i = 0; i < n; i += 1) this._fly(this._free.pop(), box);
    }
    this._budget = Math.max(0, this._budget - Math.max(n, 1));
    if (this._budget > 0) this._timer = setTimeout(() => this._tick(), TICK_MS);
  }

  _fly(heart, box) {
    const size = heart.getBoundingClientRect().width || 32;
    const rise = Math.max(0, box.height - size);
    const span = Math.max(0, box.width - size);
    // Start anywhere along the counter's side of the field, sway sideways, fade out.
    const x0 = span * (0.3 + 0.7 * Math.random());
    const x1 = Math.max(0, Math.min(span, x0 + span * (0.5 * Math.random() - 0.35)));
    const y0 = this.up ? rise : 0;
    const y1 = this.up ? 0 : rise;
    const s = 0.7 + 0.5 * Math.random();
    const duration = FLIGHT_MS[0] + (FLIGHT_MS[1] - FLIGHT_MS[0]) * Math.random();
    const anim = heart.animate(
      [
        { transform: `translate(${x0}px, ${y0}px) scale(${s * 0.4})`, opacity: 0 },
        { transform: `translate(${x0}px, ${y0 + (y1 - y0) * 0.12}px) scale(${s})`, opacity: 1, offset: 0.12 },
        { transform: `translate(${(x0 + x1) / 2}px, ${(y0 + y1) / 2}px) scale(${s})`, opacity: 0.9, offset: 0.5 },
        { transform: `translate(${x1}px, ${y1}px) scale(${s * 0.9})`, opacity: 0 },
      ],
      { duration, easing: 'cubic-bezier(.3,.6,.4,1)', fill: 'none' },
    );
    const done = () => {
      anim.onfinish = anim.oncancel = null;
      this._free.push(heart);
    };
    anim.onfinish = done;
    anim.oncancel = done;
  }
}
