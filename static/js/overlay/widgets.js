// The overlay's widgets. Each owns one <section class="xs-widget xs-<name>">,
// draws a view from overlay-model.js with text-only nodes, and redraws only
// what changed (a reconnect's snapshot that changes nothing touches nothing).
// Class names are a public interface: producers restyle them in the browser
// source's custom CSS (docs/obs.md lists them). Do not rename them.

import { count, label, lang } from './labels.js';
import { Hearts } from './hearts.js';
import { clip } from './model.js';
import { Ticker } from './ticker.js';
import { Presence, fitText, icon, remPx } from './dom.js';
import { el, setText } from '../shared/dom.js';
import { cloudItems, kindLabel } from '../shared/poll-draw.js';

const SWAP_MS = 180; // fade out the old question, then in the new one (CSS --xs-swap)

class Widget {
  constructor(name, pos) {
    this.name = name;
    this.node = el('section', `xs-widget xs-${name}`);
    this.node.dataset.widget = name;
    this.pos = pos;
    this.presence = new Presence(this.node, {
      onShow: () => this.shown(),
      onGone: () => this.gone(),
    });
  }

  get visible() {
    return this.presence.on;
  }

  setVisible(on) {
    if (on !== this.presence.on && !on) this.hidden();
    this.presence.set(on);
  }

  /** Called once laid out, just before the show transition: measure and fit here. */
  shown() {}

  /** Called as the hide transition starts. */
  hidden() {}

  /** Called once off screen: drop viewer text, so none lingers even unseen. */
  gone() {}

  /** The window was resized (a source's size changed): fit again. */
  refit() {
    if (this.visible) this.shown();
  }
}

// --- the lower third ---------------------------------------------------------------

export class QuestionWidget extends Widget {
  constructor(pos) {
    super('question', pos);
    this.label = el('span', 'xs-question-label', label('question'));
    this.who = el('span', 'xs-question-name');
    this.tag = el('span', 'xs-question-tag');
    this.text = el('p', 'xs-question-text');
    this.body = el('div', 'xs-question-body', null,
      el('div', 'xs-question-head', null, this.who, this.tag), this.text); // prettier-ignore
    this.node.append(this.label, this.body);
    this.key = null;
    this._swap = null;
  }

  update(view) {
    if (view === null || view.key === this.key) return;
    clearTimeout(this._swap);
    this._swap = null;
    if (!this.visible || this.key === null) {
      this._draw(view);
      return;
    }
    // On screen: fade the old text out, then the new one in.
    this.node.classList.add('is-swapping');
    this.key = view.key;
    this._swap = setTimeout(() => {
      this._swap = null;
      this._draw(view);
      this.node.classList.remove('is-swapping');
    }, SWAP_MS);
  }

  _draw(view) {
    this.key = view.key;
    setText(this.who, view.name);
    setText(this.tag, view.tag ?? '');
    this.tag.hidden = !view.tag;
    setText(this.text, view.text);
    if (this.visible) this.shown();
  }

  gone() {
    clearTimeout(this._swap);
    this._swap = null;
    this.node.classList.remove('is-swapping');
    this.key = null;
    for (const node of [this.who, this.tag, this.text]) node.textContent = '';
  }

  shown() {
    // 2.5rem (40 px at 1080 lines) down to 1.5rem: readable across a room.
    const rem = remPx();
    fitText(this.text, 2.5 * rem, 1.5 * rem);
  }
}

// --- poll results --------------------------------------------------------------------

export class PollWidget extends Widget {
  constructor(pos) {
    super('poll', pos);
    this.state = el('span', 'xs-poll-state');
    this.question = el('h2', 'xs-poll-question');
    this.list = el('ol', 'xs-poll-options');
    this.ballots = el('span', 'xs-poll-ballots');
    this.basis = el('span', 'xs-poll-basis');
    this.label = el('span', 'xs-poll-label', label('poll'));
    this.cloud = el('ul', 'xs-cloud');
    this.node.append(
      el('header', 'xs-poll-head', null, this.label, this.state),
      this.question,
      this.list,
      this.cloud,
      el('footer', 'xs-poll-foot', null, this.ballots, this.basis),
    );
    this.key = null;
    this.rows = [];
  }

  update(view) {
    if (view === null) return;
    if (view.key !== this.key) this._build(view);
    this.node.classList.toggle('is-closed', view.closed);
    setText(this.state, label(view.closed ? 'poll_final' : 'poll_live'));
    setText(this.ballots, view.ballotsText);
    setText(this.basis, view.basis ?? '');
    // A word cloud (static/js/shared/poll-draw.js): at most CLOUD_TOP_N words, redrawn as it grows.
    this.cloud.replaceChildren(...cloudItems({ words: view.words ?? [] }, 'xs-cloud-word'));
    view.options.forEach((opt, i) => {
      const row = this.rows[i];
      setText(row.pct, opt.label ?? `${opt.pct}%`);
      row.li.classList.toggle('is-lead', opt.lead);
      // A scale, so the bar's growth is a compositor animation (transition in CSS).
      row.fill.style.setProperty('transform', `scaleX(${opt.pct / 100})`);
    });
  }

  _build(view) {
    this.key = view.key;
    setText(this.question, view.question);
    setText(this.label, kindLabel(view.kind ?? 'choice', lang()));
    this.node.dataset.kind = view.kind ?? 'choice';
    this.rows = view.options.map((opt) => {
      const pct = el('span', 'xs-poll-pct', '0%');
      const fill = el('div', 'xs-poll-fill');
      const li = el(
        'li',
        'xs-poll-option',
        null,
        el('div', 'xs-poll-row', null, el('span', 'xs-poll-text', clip(opt.text, 200)), pct),
        el('div', 'xs-poll-bar', null, fill),
      );
      fill.style.setProperty('transform', 'scaleX(0)');
      return { li, pct, fill };
    });
    this.list.replaceChildren(...this.rows.map((r) => r.li));
    // Many options: a wider card, so the text can stay larger.
    this.node.classList.toggle('is-many', this.rows.length > 5);
    if (this.visible) this.shown();
  }

  shown() {
    // Many or long options: shrink the whole card (its sizes are in em) to fit.
    const node = this.node;
    const rem = remPx();
    node.style.setProperty('font-size', `${rem}px`);
    let size = rem;
    while (node.scrollHeight > node.clientHeight + 1 && size > rem * 0.55) {
      size *= 0.92;
      node.style.setProperty('font-size', `${size}px`);
    }
  }
}

// --- counters -------------------------------------------------------------------------

class Counter extends Widget {
  constructor(name, pos, iconName, label) {
    super(name, pos);
    this.value = el('span', `xs-${name}-count`, '0');
    this.node.append(
      icon(iconName, `xs-${name}-icon`),
      el('span', `xs-${name}-label`, label),
      this.value,
    );
    this.count = null;
    this._shownCount = 0;
    this._raf = 0;
    this.motion = true;
  }

  /** Show `n`, counting up to it over half a second when motion is on. */
  set(n) {
    if (n === this.count) return;
    const from = this.count ?? n;
    this.count = n;
    cancelAnimationFrame(this._raf);
    if (!this.motion || !this.visible || n < from) {
      this._shownCount = n;
      setText(this.value, count(n));
      return;
    }
    const start = performance.now();
    const begin = this._shownCount;
    const step = (now) => {
      const t = Math.min(1, (now - start) / 500);
      this._shownCount = Math.round(begin + (n - begin) * (1 - (1 - t) ** 3));
      setText(this.value, count(this._shownCount));
      this._raf = t < 1 ? requestAnimationFrame(step) : 0;
    };
    this._raf = requestAnimationFrame(step);
  }
}

export class LikesWidget extends Counter {
  constructor(pos, { hearts }) {
    super('likes', pos, 'heart', label('likes'));
    this.field = el('div', 'xs-hearts');
    this.node.append(this.field);
    this.hearts = new Hearts(this.field);
    this.hearts.enabled = hearts;
    this.hearts.up = !pos.startsWith('t');
    this.node.classList.add(this.hearts.up ? 'is-hearts-up' : 'is-hearts-down');
  }

  set(n) {
    const before = this.count;
    super.set(n);
    // Hearts only for likes that arrive while on screen; the first value and a
    // snapshot after a reconnect (a jump, capped in Hearts) are not a burst.
    if (before !== null && n > before && this.visible) this.hearts.add(n - before);
  }

  hidden() {
    this.hearts.stop();
  }
}

export class ViewersWidget extends Counter {
  constructor(pos) {
    super('viewers', pos, 'eye', label('viewers'));
  }
}

// --- the join code ------------------------------------------------------------------------

export class QrWidget extends Widget {
  constructor(pos, { bid, link }) {
    super('qr', pos);
    const img = el('img', 'xs-qr-code');
    img.alt = '';
    img.decoding = 'async';
    img.addEventListener('error', () => {
      // No QR endpoint (yet): better no code than a broken-image icon on air.
      img.hidden = true;
      console.warn(`协商在线 overlay: /qr/${bid}.svg did not load; the QR widget shows the link only`);
    });
    this.img = img;
    this.src = `/qr/${encodeURIComponent(bid)}.svg`;
    this.node.append(
      el('div', 'xs-qr-frame', null, img),
      el('div', 'xs-qr-text', null,
        el('span', 'xs-qr-title', label('qr')),
        el('span', 'xs-qr-link', link)), // prettier-ignore
    );
  }

  shown() {
    // Loaded when first shown: a page that never shows it asks for nothing.
    if (!this.img.getAttribute('src')) this.img.src = this.src;
  }
}

// --- the ticker -----------------------------------------------------------------------------

export class TickerWidget extends Widget {
  constructor(pos, { mode }) {
    super('ticker', pos);
    this.ticker = new Ticker(this.node, { mode, remPx });
  }

  update(items) {
    this.ticker.update(items);
  }

  shown() {
    this.ticker.start();
  }

  hidden() {
    this.ticker.stop();
  }

  gone() {
    this.ticker.clear();
  }

  refit() {
    if (!this.visible) return;
    this.ticker.stop();
    this.ticker.start();
  }
}

// --- the title card ------------------------------------------------------------------------

// The broadcast's title and topic (a moderator's text, not a viewer's): the
// opening card of the 片头 scene.
export class TitleWidget extends Widget {
  constructor(pos) {
    super('title', pos);
    this.kicker = el('span', 'xs-title-kicker', label('title'));
    this.main = el('h1', 'xs-title-main');
    this.topic = el('p', 'xs-title-topic');
    this.node.append(this.kicker, this.main, this.topic);
    this.key = null;
  }

  update(view) {
    if (view === null || view.key === this.key) return;
    this.key = view.key;
    setText(this.main, view.title);
    setText(this.topic, view.topic);
    this.topic.hidden = !view.topic;
    if (this.visible) this.shown();
  }

  shown() {
    const rem = remPx();
    fitText(this.main, 3 * rem, 1.75 * rem);
  }
}
