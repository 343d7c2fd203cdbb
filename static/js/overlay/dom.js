// DOM helpers of the overlay: text-only nodes, icons, a widget's show/hide,
// and fitting text into its box.
//
// Untrusted text (names, tags, questions, poll options) goes in with
// textContent and nowhere else (docs/reliability.md 23); styles are set with
// the CSSOM (`style.setProperty`), which the page's CSP allows, never with a
// style attribute.

import { el, setText } from '../shared/dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';


// Icons as paths in a 24x24 box (drawn here, so the page loads no image).
const ICONS = {
  heart:
    'M12 21.35 10.55 20.03C5.4 15.36 2 12.27 2 8.5 2 5.41 4.42 3 7.5 3c1.74 0 3.41.81 4.5 2.08C13.09 3.81 14.76 3 16.5 3 19.58 3 22 5.41 22 8.5c0 3.77-3.4 6.86-8.55 11.54L12 21.35Z',
  eye: 'M12 4.5C7 4.5 2.73 7.61 1 12c1.73 4.39 6 7.5 11 7.5s9.27-3.11 11-7.5c-1.73-4.39-6-7.5-11-7.5Zm0 12.5a5 5 0 1 1 0-10 5 5 0 0 1 0 10Zm0-8a3 3 0 1 0 0 6 3 3 0 0 0 0-6Z',
};

export function icon(name, cls) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', cls);
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}

// Longest hide transition in overlay.css (--xs-out); the element leaves the
// layout (hidden) only afterwards, so a slot's other widgets close up smoothly.
const HIDE_MS = 400;

/**
 * A widget's visibility: `hidden` (out of the layout) when off, `is-shown`
 * (the CSS transition's end state) when on. Showing again during the hide
 * transition just turns back; repeated calls with the same value do nothing,
 * so a snapshot that changes nothing redraws nothing.
 */
export class Presence {
  constructor(node, { onShow, onGone } = {}) {
    this.node = node;
    this.on = false;
    this._timer = null;
    this._onShow = onShow ?? (() => {});
    this._onGone = onGone ?? (() => {});
    node.hidden = true;
  }

  set(on) {
    if (on === this.on) return;
    this.on = on;
    clearTimeout(this._timer);
    this._timer = null;
    const node = this.node;
    if (on) {
      node.hidden = false;
      // Lay out the start state first, or the transition would be skipped.
      void node.offsetWidth;
      this._onShow();
      node.classList.add('is-shown');
    } else {
      node.classList.remove('is-shown');
      this._timer = setTimeout(() => {
        this._timer = null;
        if (this.on) return;
        node.hidden = true;
        this._onGone();
      }, HIDE_MS);
    }
  }
}

/**
 * Shrink `node`'s font size until its content fits its box (a CSS max-height
 * and overflow: hidden), between `maxPx` and `minPx`; what still does not fit at
 * `minPx` is cut after the last whole line with an ellipsis (`is-clamped`).
 * Six rounds of bisection: six layouts, whatever the text.
 */
export function fitText(node, maxPx, minPx) {
  node.classList.remove('is-clamped');
  node.style.removeProperty('-webkit-line-clamp');
  const fits = () => node.scrollHeight <= node.clientHeight + 1;
  node.style.setProperty('font-size', `${maxPx}px`);
  if (fits()) return maxPx;
  let lo = minPx;
  let hi = maxPx;
  node.style.setProperty('font-size', `${lo}px`);
  if (!fits()) {
    const line = parseFloat(getComputedStyle(node).lineHeight) || lo * 1.3;
    const lines = Math.max(1, Math.floor((node.clientHeight + 1) / line));
    node.style.setProperty('-webkit-line-clamp', String(lines));
    node.classList.add('is-clamped');
    return lo;
  }
  for (let i = 0; i < 6; i += 1) {
    const mid = (lo + hi) / 2;
    node.style.setProperty('font-size', `${mid}px`);
    if (fits()) lo = mid;
    else hi = mid;
  }
  node.style.setProperty('font-size', `${lo}px`);
  return lo;
}

/** The root font size in px (1rem: 16px at 1080 lines, times the `scale` parameter). */
export function remPx() {
  return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
}

/** Whether motion is wanted: the URL's motion=0 and the system's reduced-motion setting. */
export function motionWanted(params) {
  if (!params.motion) return false;
  return !globalThis.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
}
