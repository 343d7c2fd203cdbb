// The ticker of approved questions: a strip that scrolls, or (ticker=static, or
// reduced motion) one question at a time.
//
// Scrolling is a conveyor: items enter at the right and leave at the left; an
// item that has left is dropped and the next one (round robin over the latest
// list) is appended as soon as there is room. So a new question joins within
// one item's passage, nothing jumps mid-read, and the strip holds only the
// items in view (plus one): a few nodes, whatever the length of the show.

import { el } from '../shared/dom.js';
import { label } from './labels.js';

const SPEED_REM_PER_S = 7; // ~110 px/s at 1080 lines: readable Chinese at a glance
const STATIC_MS = 7000; // one question per page in the static variant
const MAX_STEP_MS = 100; // after a stall (a hidden page), move on, do not leap

// What an item node shows, to find nodes whose question changed or left.
const shownAs = new WeakMap();

function itemKey(item) {
  return JSON.stringify([item.id, item.name, item.tag, item.text]);
}

function itemNode(item) {
  const node = el(
    'span',
    'xs-ticker-item',
    null,
    el('span', 'xs-ticker-name', item.name),
    item.tag ? el('span', 'xs-ticker-tag', item.tag) : null,
    el('span', 'xs-ticker-text', item.text),
  );
  shownAs.set(node, itemKey(item));
  return node;
}

function keyOf(items) {
  return JSON.stringify(items.map(itemKey));
}

export class Ticker {
  constructor(node, { mode, remPx }) {
    this.node = node;
    this.mode = mode; // 'scroll' | 'static'
    this.remPx = remPx;
    this.running = false;
    this._items = [];
    this._key = '[]';
    this._anim = 0;
    this._x = 0;
    this._next = 0;
    this._last = null;
    this._page = 0;
    this._timer = null;
    this._staticKey = null;

    this.window = el('div', 'xs-ticker-window');
    this.track = el('div', 'xs-ticker-track');
    this.window.append(this.track);
    node.append(el('div', 'xs-ticker-label', label('ticker')), this.window);
    node.classList.add(mode === 'static' ? 'is-static' : 'is-scroll');
  }

  /** New list of items (from overlay-model.js tickerItems). */
  update(items) {
    const key = keyOf(items);
    if (key === this._key) return;
    this._items = items;
    this._key = key;
    if (this.running && this.mode === 'static') {
      this._drawStatic(false);
    } else {
      // A question rejected, sent back or edited leaves the strip at once
      // (docs/reliability.md 25); the next items appended come from the new list.
      const keys = items.map(itemKey);
      const keep = new Set(keys);
      for (const node of [...this.track.children]) {
        if (!keep.has(shownAs.get(node))) node.remove();
      }
      if (this.running) this._requeue(keys);
    }
  }

  // Items queued beyond the right edge are not on screen yet: queue again from
  // the new list (order and all), after the last item in view.
  _requeue(keys) {
    const view = this.window.clientWidth;
    let last = this.track.lastElementChild;
    while (last && this._x + last.offsetLeft >= view) {
      last.remove();
      last = this.track.lastElementChild;
    }
    const at = last ? keys.indexOf(shownAs.get(last)) : -1;
    this._next = at + 1;
    if (!last) this._x = 0; // everything in view was removed: start full again
    this._fill(view);
  }

  start() {
    if (this.running) return;
    this.running = true;
    if (this.mode === 'static') {
      this._drawStatic(true);
      this._timer = setInterval(() => this._nextPage(), STATIC_MS);
    } else {
      this._loop();
    }
  }

  stop() {
    this.running = false;
    clearInterval(this._timer);
    this._timer = null;
    cancelAnimationFrame(this._anim);
    this._anim = 0;
  }

  /** Off screen: no nodes, no text; the next start draws from the latest list. */
  clear() {
    this.track.replaceChildren();
    this._staticKey = null;
  }

  // --- scrolling ---------------------------------------------------------------

  _loop() {
    // Shown again: start full, at the left edge, readable at once.
    this.track.replaceChildren();
    this._x = 0;
    this._next = 0;
    this._last = null;
    this._fill(this.window.clientWidth);
    const step = (now) => {
      if (!this.running) return;
      const dt = this._last === null ? 0 : Math.min(MAX_STEP_MS, now - this._last);
      this._last = now;
      this._advance((dt * SPEED_REM_PER_S * this.remPx()) / 1000);
      this._anim = requestAnimationFrame(step);
    };
    this._anim = requestAnimationFrame(step);
  }

  _advance(px) {
    const track = this.track;
    this._x -= px;
    // Drop what has left on the left; keep the rest where it was on screen.
    let first = track.firstElementChild;
    while (first && this._x + first.offsetWidth < 0) {
      this._x += first.offsetWidth;
      first.remove();
      first = track.firstElementChild;
    }
    // Refill on the right; an emptied strip starts again at the right edge.
    const view = this.window.clientWidth;
    if (!track.firstElementChild) this._x = view;
    this._fill(view);
  }

  _fill(view) {
    const track = this.track;
    while (this._items.length && this._x + track.scrollWidth < view + 1) {
      this._next %= this._items.length;
      track.append(itemNode(this._items[this._next]));
      this._next += 1;
    }
    track.style.setProperty('transform', `translateX(${this._x.toFixed(1)}px)`);
  }

  // --- static ------------------------------------------------------------------

  _drawStatic(reset) {
    if (reset) this._page = 0;
    if (this._items.length === 0) {
      this.track.replaceChildren();
      return;
    }
    this._page %= this._items.length;
    const item = this._items[this._page];
    const key = JSON.stringify(item);
    if (this._staticKey === key && this.track.firstElementChild) return;
    this._staticKey = key;
    this.track.replaceChildren(itemNode(item));
  }

  _nextPage() {
    if (this._items.length <= 1) return;
    this._page = (this._page + 1) % this._items.length;
    const next = this._items[this._page];
    // Fade out, swap, fade in (CSS: .xs-ticker.is-turning).
    this.node.classList.add('is-turning');
    setTimeout(() => {
      this.node.classList.remove('is-turning');
      if (!this.running) return;
      this._staticKey = JSON.stringify(next);
      this.track.replaceChildren(itemNode(next));
    }, 300);
  }
}
