// Pure helpers of the follow-up pages: labels, due colours, filtering and the
// figures' rows. No DOM: tested with node --test (tests/js/followup.test.mjs).

export const STATES = [
  'none', 'to_assign', 'assigned', 'accepted', 'replied', 'published', 'closed',
  'not_adopted', 'answered_live', 'merged',
];
export const RATINGS = ['satisfied', 'basically', 'dissatisfied'];
export const SOURCES = ['phone', 'hotline', 'letter', 'onsite', 'platform', 'member'];
export const QTYPES = ['consult', 'help', 'suggest', 'complain'];
// The figures a page shows, in order (keys of the JSON's counts).
export const FIGURES = [
  'received', 'forwarded', 'replied', 'reply_rate', 'close_rate', 'satisfaction', 'overdue',
];

/** The i18n key of a follow-up state (unknown: "none"). */
export function stateKey(state) {
  return `fu_${STATES.includes(state) ? state : 'none'}`;
}

/** "ABC-DEFGH" for an 8-character code. */
export function displayCode(code) {
  const c = String(code ?? '');
  return c.length === 8 ? `${c.slice(0, 3)}-${c.slice(3)}` : c;
}

/** A 查询码 as typed (spaces, dashes, lower case) to the stored form, or null. */
export function normalizeCode(raw) {
  const c = String(raw ?? '').toUpperCase().replace(/[\s-]/g, '');
  return /^[2-9A-HJKMNP-Z]{8}$/.test(c) ? c : null;
}

/** The local date (YYYY-MM-DD, Asia/Shanghai like the hub) of a ms timestamp. */
export function day(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return '';
  const d = new Date(ms + 8 * 3600 * 1000);
  return d.toISOString().slice(0, 10);
}

/** A rate (0..1 or null) as a percentage. */
export function percent(rate) {
  return typeof rate === 'number' ? `${(rate * 100).toFixed(1)}%` : '—';
}

/** The CSS level of a due date: "overdue" (red), "soon" (yellow) or "" */
export function dueClass(level) {
  return level === 'overdue' || level === 'soon' ? level : '';
}

/** Items matching a search text (question or reply), a department and a tag. */
export function filterItems(items, { query = '', dept = '', tag = '' } = {}) {
  const q = String(query).trim().toLowerCase();
  return items.filter((item) => {
    if (dept && item.dept !== dept) return false;
    if (tag && (item.tag ?? '') !== tag) return false;
    if (!q) return true;
    return `${item.text ?? ''}\n${item.reply ?? ''}`.toLowerCase().includes(q);
  });
}

/** The distinct departments and tags of the items, for the filters. */
export function facets(items) {
  const depts = [...new Set(items.map((i) => i.dept).filter(Boolean))].sort();
  const tags = [...new Set(items.map((i) => i.tag ?? '').filter(Boolean))].sort();
  return { depts, tags };
}

/** Rows [label, values...] of a figures group (by_dept or by_tag), sorted by label. */
export function figureRows(group, label = (k) => k) {
  return Object.keys(group ?? {}).sort().map((k) => [label(k), ...FIGURES.map((f) => cell(group[k], f))]);
}

/** One figure as text. */
export function cell(counts, name) {
  const v = counts?.[name];
  if (name.endsWith('rate') || name === 'satisfaction') return percent(v);
  return typeof v === 'number' ? String(v) : '—';
}
