// Numbers and times as people read them. Pure functions (node --test).

const WAN = 10_000;
const YI = 100_000_000;

// Integer arithmetic, rounding down: 19_999 is "1.9万", never "2万", so the
// screen never claims more than was counted (server/domain/likes.py _scaled).
function scaled(n, unit, suffix) {
  const tenths = Math.floor(n / (unit / 10));
  const whole = Math.floor(tenths / 10);
  const frac = tenths % 10;
  return frac === 0 ? `${whole}${suffix}` : `${whole}.${frac}${suffix}`;
}

/** A count as Chinese viewers read it: 9999, 1万, 60.3万, 1.2亿 (= format_count_zh). */
export function formatCountZh(n) {
  n = Math.floor(Number(n) || 0);
  if (n < WAN) return String(Math.max(n, 0)); // a negative count is a bug upstream
  if (n < YI) return scaled(n, WAN, '万');
  return scaled(n, YI, '亿');
}

/** The same in English: 9,999, 10K, 60.3K, 1.2M, 3.4B (rounded down too). */
export function formatCountEn(n) {
  n = Math.floor(Number(n) || 0);
  if (n < WAN) return Math.max(n, 0).toLocaleString('en-US');
  if (n < 1_000_000) return scaled(n, 1000, 'K');
  if (n < 1_000_000_000) return scaled(n, 1_000_000, 'M');
  return scaled(n, 1_000_000_000, 'B');
}

export function formatCount(n, lang = 'zh-CN') {
  return lang.startsWith('zh') ? formatCountZh(n) : formatCountEn(n);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How long ago `ms` (Unix ms) was, seen at `now`: 刚刚, 5分钟前, 2小时前, 3天前,
 * then the date (3月14日). A time slightly in the future (clock skew) is "just now".
 */
export function relativeTime(ms, now = Date.now(), lang = 'zh-CN') {
  const zh = lang.startsWith('zh');
  const age = now - Number(ms);
  if (!(age >= MINUTE)) return zh ? '刚刚' : 'just now';
  if (age < HOUR) {
    const m = Math.floor(age / MINUTE);
    return zh ? `${m}分钟前` : `${m} min ago`;
  }
  if (age < DAY) {
    const h = Math.floor(age / HOUR);
    return zh ? `${h}小时前` : `${h} h ago`;
  }
  if (age < 7 * DAY) {
    const d = Math.floor(age / DAY);
    return zh ? `${d}天前` : `${d} d ago`;
  }
  const date = new Date(Number(ms));
  if (zh) return `${date.getMonth() + 1}月${date.getDate()}日`;
  return date.toLocaleDateString('en-US', { month: 'short', day: 'numeric' });
}

// Invisible characters and runs of spaces the hub drops (server/domain/text.py).
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\u061c\u180e\ufeff]/g;
const SPACES = /[ \t\u00a0\u3000]+/g;

/**
 * Length as the hub counts it, near enough for a live counter: code points
 * (not UTF-16 units) of the text after the hub's main normalisations (NFC,
 * invisible characters dropped, space runs collapsed, ends trimmed).
 */
export function charCount(text) {
  const clean = String(text).normalize('NFC').replace(INVISIBLE, '').replace(SPACES, ' ').trim();
  let n = 0;
  for (const _ of clean) n += 1;
  return n;
}

/** A percentage of `part` in `whole`, whole numbers, 0 when there is no whole. */
export function percent(part, whole) {
  return whole > 0 ? Math.round((100 * part) / whole) : 0;
}
