// The console's 日志 Audit panel: every moderator action on this broadcast,
// newest first, in readable words; more on demand; a CSV export.
//
// HTTP (docs/protocol.md, "Audit, rehearsal and poll list"): GET /api/broadcasts/<bid>/audit
// ?limit=&before= -> {entries: [{id, ts, user, action, target, detail}], next},
// GET /api/broadcasts/<bid>/audit.csv. The log is read when the tab is shown
// and on the refresh button; it is not pushed over the websocket.
// Entries hold moderator-typed and viewer-typed text (a rejection reason, an
// edited question): set as text only, clipped.

import { errorText, h, mountWithLang, setText, whenShown } from './panel-kit.js';

const PAGE = 100;
const CLIP = 80; // characters of a quoted text in the detail column
// Kinds of change (model.js) that come from a moderator's write.
const AUDITED_KINDS = new Set(['snapshot', 'question', 'poll', 'broadcast', 'overlay', 'ban']);

// --- pure helpers (node --test) --------------------------------------------------------

const pad = (n) => String(n).padStart(2, '0');

/** Unix ms -> "2025-03-14 09:05:07" in the browser's time zone. */
export function timeText(ms) {
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * An entry's time as the hub wrote it in the broadcast's zone
 * ("2025-03-14T09:05:07.123+08:00", docs/protocol.md): "2025-03-14 09:05:07",
 * whatever the browser's zone, so the tab and the CSV agree.
 */
export function isoText(at) {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(String(at ?? ''));
  return m ? `${m[1]} ${m[2]}` : '';
}

/** The zone of such a time, as shown next to the column: "UTC+08:00". */
export function zoneOf(at) {
  const m = /(Z|[+-]\d\d:\d\d)$/.exec(String(at ?? ''));
  if (!m) return '';
  return m[1] === 'Z' ? 'UTC' : `UTC${m[1]}`;
}

function clip(text, max = CLIP) {
  const chars = Array.from(String(text ?? '').replace(/\s+/g, ' ').trim());
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

const has = (d, k) => d !== null && typeof d === 'object' && d[k] !== undefined && d[k] !== null;

/** "q:17" -> 问题 #17; "poll:3", "viewer:<pseudonym>", "broadcast", "overlay", "words". */
export function targetText(target, t) {
  const s = String(target ?? '');
  const m = /^([a-z_]+):(.+)$/.exec(s);
  if (m && ['q', 'poll', 'viewer'].includes(m[1])) return t(`audit_target_${m[1]}`, { id: m[2] });
  if (['broadcast', 'overlay', 'words'].includes(s)) return t(`audit_target_${s}`);
  return s || '—';
}

function stateText(kind, value, t) {
  return value == null ? '—' : t(`audit_${kind}_${value}`) === `audit_${kind}_${value}` ? String(value) : t(`audit_${kind}_${value}`);
}

function settingsText(settings, t) {
  const parts = [];
  for (const [k, v] of Object.entries(settings ?? {})) {
    if (k === 'moderation' || k === 'show_names') parts.push(t(`audit_set_${k}`, { v: t(v ? 'audit_on' : 'audit_off') }));
    else if (k === 'max_len') parts.push(t('audit_set_max_len', { v }));
    else if (k === 'tags') parts.push(t('audit_set_tags', { v: Array.isArray(v) && v.length ? clip(v.join('、')) : '—' }));
    else parts.push(`${k}: ${clip(JSON.stringify(v))}`);
  }
  return parts;
}

/** Any other detail: "key: value" pairs. */
function genericText(detail) {
  if (detail === null || typeof detail !== 'object') return '';
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${clip(typeof v === 'string' ? v : JSON.stringify(v), 60)}`)
    .join('; ');
}

/**
 * One log entry in words: {time, user, action, target, detail}, in the language
 * of `t` (the console's ctx.t). Unknown actions and details show as they are.
 */
export function describeEntry(entry, t) {
  const d = entry?.detail ?? {};
  const action = String(entry?.action ?? '');
  let label = t(`audit_action_${action.replace(/\./g, '_')}`);
  if (label.startsWith('audit_action_')) label = action;
  let detail = '';
  const arrow = (kind) => `${stateText(kind, d.from, t)} → ${stateText(kind, d.to, t)}`;
  switch (action) {
    case 'q.status': {
      const parts = [arrow('status')];
      if (has(d, 'reason')) parts.push(t('audit_reason', { v: clip(d.reason) }));
      if (has(d, 'answered')) parts.push(t('audit_answered', { id: d.answered }));
      detail = parts.join('; ');
      break;
    }
    case 'q.edit':
      detail = `“${clip(d.from)}” → “${clip(d.to)}”`;
      break;
    case 'q.star':
      label = t(d.on === false ? 'audit_action_q_unstar' : 'audit_action_q_star');
      break;
    case 'q.merge':
      detail = has(d, 'into') ? t('audit_merged_into', { id: d.into }) : genericText(d);
      if (has(d, 'votes')) detail = `${detail}; ${t('audit_votes', { n: d.votes })}`;
      break;
    case 'viewer.ban':
      label = t(d.on === false ? 'audit_action_viewer_unban' : 'audit_action_viewer_ban');
      {
        const parts = [];
        if (has(d, 'qid')) parts.push(t('audit_ban_by', { id: d.qid }));
        // The hub records how many (a number); a list is counted all the same.
        const removed = Array.isArray(d.removed) ? d.removed.length : Number(d.removed) || 0;
        if (removed > 0) parts.push(t('audit_ban_removed', { n: removed }));
        detail = parts.join('; ');
      }
      break;
    case 'poll.create':
      detail = `${clip(d.question)}${Array.isArray(d.options) ? ` (${clip(d.options.join(' / '))})` : ''}`;
      break;
    case 'poll.state':
      detail = arrow('poll');
      break;
    case 'poll.delete':
      detail = clip(d.question);
      break;
    case 'poll.word':
      detail = `${d.hidden === false ? '+' : '−'} “${clip(d.word)}”`;
      break;
    case 'poll.review':
      detail = `#${d.answer} “${clip(d.text)}” → ${d.status}`;
      break;
    case 'overlay':
      detail = d.show == null ? t('audit_overlay_none') : `${stateText('overlay', d.show, t)}${has(d, 'poll') ? ` #${d.poll}` : ''}`;
      break;
    case 'bc.state':
      detail = arrow('bc');
      break;
    case 'bc.create':
    case 'bc.update': {
      const parts = [];
      if (has(d, 'title')) parts.push(t('audit_set_title', { v: clip(d.title) }));
      if (has(d, 'topic')) parts.push(t('audit_set_topic', { v: clip(d.topic) }));
      if ('scheduled' in d) parts.push(t('audit_set_scheduled', { v: d.scheduled == null ? '—' : timeText(d.scheduled) }));
      parts.push(...settingsText(d.settings, t));
      detail = parts.join('; ');
      break;
    }
    case 'rehearsal.fill':
      detail = has(d, 'questions') ? t('audit_rehearsal_questions', { n: d.questions }) : genericText(d);
      break;
    case 'rehearsal.clear':
      detail = has(d, 'keys') ? t('audit_rehearsal_keys', { n: d.keys }) : genericText(d);
      break;
    case 'overlay.key':
      detail = genericText(d);
      break;
    case 'words.put':
      detail = t('audit_words_diff', { n: d.count ?? 0, added: d.added ?? 0, changed: d.changed ?? 0, removed: d.removed ?? 0 });
      break;
    default:
      if (action.startsWith('words') && has(d, 'count')) detail = t('audit_words_count', { n: d.count });
      else detail = genericText(d);
  }
  return {
    time: entry?.at ? isoText(entry.at) : timeText(entry?.ts),
    user: String(entry?.user ?? ''),
    action: label,
    target: targetText(entry?.target, t),
    detail,
  };
}

// --- the panel -------------------------------------------------------------------------

export function mount(el, ctx) {
  return mountWithLang(el, ctx, build);
}

function build(el, ctx) {
  const t = ctx.t;
  const base = `/api/broadcasts/${encodeURIComponent(ctx.bid)}`;
  el.classList.add('cp-panel', 'cp-audit');

  const refresh = h('button', { type: 'button', className: 'cp-btn', text: t('audit_refresh') });
  const csv = h('a', { className: 'cp-btn', text: t('audit_csv'),
    attrs: { href: `${base}/audit.csv`, download: `audit-${ctx.bid}.csv` } });
  const status = h('p', { className: 'cp-hint', attrs: { role: 'status' } });
  const body = h('tbody');
  const more = h('button', { type: 'button', className: 'cp-btn', text: t('audit_more'), hidden: true });
  const head = h('tr', {}, ['time', 'user', 'action', 'target', 'detail'].map((c) =>
    h('th', { scope: 'col', className: `cp-col-${c}`, text: t(`audit_col_${c}`) })));
  el.replaceChildren(h('section', { className: 'cp-card', attrs: { 'aria-labelledby': 'cp-audit-h' } },
    h('div', { className: 'cp-card-head' },
      h('h2', { className: 'cp-title', id: 'cp-audit-h', text: t('audit_title') }),
      h('div', { className: 'cp-actions' }, refresh, csv)),
    h('p', { className: 'cp-hint', text: t('audit_hint') }),
    status,
    h('div', { className: 'cp-table-wrap' },
      h('table', { className: 'cp-table' }, h('thead', {}, head), body)),
    h('div', { className: 'cp-actions' }, more)));

  let next = null;
  let seq = 0;
  let rows = 0;
  let pages = 0;
  let shown = false;

  const row = (entry) => {
    const e = describeEntry(entry, t);
    return h('tr', { dataset: { action: entry.action ?? '', id: entry.id ?? '' } },
      h('td', { className: 'cp-col-time', text: e.time }),
      h('td', { className: 'cp-col-user', text: e.user }),
      h('td', { className: 'cp-col-action', text: e.action }),
      h('td', { className: 'cp-col-target', text: e.target }),
      h('td', { className: 'cp-col-detail', text: e.detail }));
  };
  const load = async (append) => {
    const mine = ++seq;
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (append && next) params.set('before', next);
    setText(status, t('panel_loading'));
    try {
      const res = await ctx.api('GET', `${base}/audit?${params}`);
      if (mine !== seq) return;
      const entries = Array.isArray(res?.entries) ? res.entries : [];
      const nodes = entries.map(row);
      const zone = zoneOf(entries[0]?.at);
      if (zone) setText(head.firstChild, t('audit_col_time_zone', { zone }));
      if (append) body.append(...nodes);
      else body.replaceChildren(...nodes);
      rows = append ? rows + nodes.length : nodes.length;
      pages = append ? pages + 1 : 1;
      next = typeof res?.next === 'string' && res.next ? res.next : null;
      more.hidden = next === null;
      setText(status, rows ? t('audit_count', { n: rows, time: timeText(Date.now()) }) : t('audit_empty'));
    } catch (err) {
      if (mine !== seq) return;
      setText(status, errorText(ctx, err, t('audit_title')));
    }
  };
  refresh.addEventListener('click', () => load(false));
  more.addEventListener('click', () => load(true));
  const stop = whenShown(el, () => {
    shown = true;
    load(false);
  });
  // While shown and not paged further: catch up with actions a little after they
  // happen (a frame from the hub means something changed, maybe by this console).
  // Likes, presence and upvotes are viewers' doing and never audited.
  let timer = null;
  const unsubscribe = ctx.subscribe((_state, kinds) => {
    if (!shown || pages > 1 || timer !== null || !el.checkVisibility?.()) return;
    if (kinds instanceof Set && ![...kinds].some((k) => AUDITED_KINDS.has(k))) return;
    timer = setTimeout(() => {
      timer = null;
      load(false);
    }, 1000);
  });
  return {
    unmount() {
      stop();
      unsubscribe();
      clearTimeout(timer);
    },
  };
}
