// The overlay page's address, read once: which broadcast, which widgets, where,
// in which colours. Pure (no DOM): node --test runs it on plain URLs.
//
//   /overlay/<bid>?key=K                every widget, each where it belongs
//   /overlay/<bid>/<widget>?key=K       one widget, for a source of its own
//
// Every parameter is optional but `key`; a bad value is ignored with a warning
// (the page must still come up on air), never half-applied. docs/obs.md lists them.

// Mirrors OVERLAY_WIDGETS in server/protocol.py (server/web/overlay_pages.py serves them).
export const WIDGETS = ['question', 'poll', 'likes', 'viewers', 'qr', 'ticker', 'title'];
// Counters and the join code carry no viewer text, so a URL may keep them on
// screen without a moderator (`on=`). The others appear only when the
// moderator's `overlay` command shows them (docs/reliability.md 25).
export const ALWAYS_ALLOWED = ['likes', 'viewers', 'qr'];
export const POSITIONS = ['tl', 'tc', 'tr', 'ml', 'mc', 'mr', 'bl', 'bc', 'br'];
export const DEFAULT_POS = {
  question: 'bl', // the lower third
  poll: 'mr',
  likes: 'tr',
  viewers: 'tr',
  qr: 'br',
  ticker: 'bc', // full width; only the row (t/m/b) of its position counts
  title: 'tl',
};
// The overlay's own labels (static/js/overlay/labels.js).
export const LANGS = ['zh-CN', 'en'];
export const THEMES = ['dark', 'light', 'brand'];
export const SCALE_MIN = 0.5;
export const SCALE_MAX = 3;
// Percent of the width and height kept clear on each side: EBU R 95's graphics-
// safe margin for 16:9 HD is 5%.
export const SAFE_DEFAULT = 5;
export const SAFE_MAX = 20;

const HEX = /^[0-9a-f]{3}(?:[0-9a-f]{3})?(?:[0-9a-f]{2})?$/i;
const ON = new Set(['1', 'on', 'yes', 'true']);
const OFF = new Set(['0', 'off', 'no', 'false']);

/**
 * Parse an overlay URL (a URL object or string).
 * Returns {bid, widget, key, widgets, always, pos, theme, colors, scale, safe,
 * motion, hearts, ticker, lang, preview, warnings}; `bid` is null when the path
 * is not an overlay path, `widget` null on the all-widgets page. `preview`: draw
 * the moderators' cue instead of what is on air (the console's preview).
 */
export function parseOverlayUrl(href) {
  const url = typeof href === 'string' ? new URL(href) : href;
  const q = url.searchParams;
  const warnings = [];
  const warn = (msg) => warnings.push(msg);

  const parts = url.pathname.split('/').filter(Boolean).map(safeDecode);
  let bid = null;
  let widget = null;
  if (parts[0] === 'overlay' && parts.length >= 2 && parts.length <= 3) {
    bid = parts[1];
    if (parts.length === 3) {
      widget = parts[2];
      if (!WIDGETS.includes(widget)) {
        warn(`unknown widget "${widget}": use one of ${WIDGETS.join(', ')}`);
        bid = null;
      }
    }
  }

  let widgets = widget ? [widget] : [...WIDGETS];
  const w = list(q.get('w'));
  if (w && !widget) {
    const known = w.filter((x) => WIDGETS.includes(x));
    for (const x of w) if (!WIDGETS.includes(x)) warn(`w: unknown widget "${x}"`);
    if (known.length) widgets = known;
  }

  const always = [];
  for (const x of list(q.get('on')) ?? []) {
    if (ALWAYS_ALLOWED.includes(x)) always.push(x);
    else warn(`on: "${x}" cannot stay on screen by itself; only ${ALWAYS_ALLOWED.join(', ')}`);
  }

  const pos = { ...DEFAULT_POS };
  for (const item of list(q.get('pos')) ?? []) {
    const [a, b] = item.includes(':') ? item.split(':', 2) : [null, item];
    if (!POSITIONS.includes(b) || (a !== null && !WIDGETS.includes(a))) {
      warn(`pos: "${item}" is not <position> or <widget>:<position> (${POSITIONS.join(' ')})`);
      continue;
    }
    for (const name of a === null ? widgets : [a]) pos[name] = b;
  }

  let theme = (q.get('theme') ?? 'dark').toLowerCase();
  if (!THEMES.includes(theme)) {
    warn(`theme: "${theme}" is not one of ${THEMES.join(', ')}`);
    theme = 'dark';
  }

  const colors = {};
  for (const name of ['accent', 'bg', 'fg']) {
    const raw = q.get(name);
    if (raw === null) continue;
    const hex = raw.replace(/^#/, '');
    if (HEX.test(hex)) colors[name] = `#${hex.toLowerCase()}`;
    else warn(`${name}: "${raw}" is not a hex colour (e.g. c8102e)`);
  }

  const scale = number(q.get('scale'), 1, SCALE_MIN, SCALE_MAX, 'scale', warn);
  const safe = number(q.get('safe'), SAFE_DEFAULT, 0, SAFE_MAX, 'safe', warn);

  return {
    bid,
    widget,
    key: q.get('key') || null,
    widgets,
    always: always.filter((x) => widgets.includes(x)),
    pos,
    theme,
    colors,
    scale,
    safe,
    motion: flag(q.get('motion'), true, 'motion', warn),
    hearts: flag(q.get('hearts'), true, 'hearts', warn),
    ticker: choice(q.get('ticker'), ['scroll', 'static'], 'scroll', 'ticker', warn),
    lang: language(q.get('lang'), warn),
    preview: flag(q.get('preview'), false, 'preview', warn),
    warnings,
  };
}

function language(raw, warn) {
  if (raw === null || raw === '') return 'zh-CN';
  const found = LANGS.find((l) => l.toLowerCase() === raw.toLowerCase() || l.split('-')[0] === raw.toLowerCase());
  if (!found) warn(`lang: "${raw}" is not one of ${LANGS.join(', ')}`);
  return found ?? 'zh-CN';
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function list(raw) {
  if (raw === null) return null;
  return raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

function number(raw, fallback, min, max, name, warn) {
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    warn(`${name}: "${raw}" is not a number from ${min} to ${max}`);
    return fallback;
  }
  return n;
}

function flag(raw, fallback, name, warn) {
  if (raw === null || raw === '') return fallback;
  const v = raw.toLowerCase();
  if (ON.has(v)) return true;
  if (OFF.has(v)) return false;
  warn(`${name}: "${raw}" is not 1 or 0`);
  return fallback;
}

function choice(raw, allowed, fallback, name, warn) {
  if (raw === null || raw === '') return fallback;
  const v = raw.toLowerCase();
  if (allowed.includes(v)) return v;
  warn(`${name}: "${raw}" is not one of ${allowed.join(', ')}`);
  return fallback;
}
