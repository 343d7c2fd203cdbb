// Console home, administrators only: the latest 50 deployment-wide audit
// entries (GET /api/audit) and the full CSV (/api/audit.csv, a plain link: the
// session cookie goes with it). Until the hub serves them (404) the section
// says so and the rest of the page works.

import { t } from './i18n.js';
import { $, el, errorText, formatDateTime, say } from './dom.js';

const LIMIT = 50;

/** A detail object as one short line of text ("from: pending, to: approved"). */
export function detailText(detail) {
  if (detail === null || detail === undefined || detail === '') return '';
  if (typeof detail !== 'object') return String(detail);
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

export function mountAudit(ctx) {
  const view = { entries: [], loaded: false, msg: null };

  async function load() {
    try {
      const data = await ctx.api('GET', `/api/audit?limit=${LIMIT}`);
      view.entries = (data?.entries ?? []).slice(0, LIMIT);
      view.loaded = true;
      view.msg = view.entries.length ? null : { key: 'audit_empty', kind: 'info' };
      $('audit-csv').hidden = false;
    } catch (err) {
      if (err.status === 404) {
        view.msg = { key: 'audit_missing', kind: 'info' };
        $('audit-csv').hidden = true;
      } else if (err.status !== 401) {
        view.msg = { text: `${t('audit_failed')}: ${errorText(err)}`, kind: 'error' };
      }
    }
    render();
  }

  function render() {
    $('audit-table').hidden = !view.entries.length;
    $('audit-list').replaceChildren(...view.entries.map(row));
    const m = view.msg;
    say($('audit-msg'), m ? m.text ?? t(m.key, m.vars) : '', m?.kind ?? 'info');
  }

  function row(e) {
    const tr = el('tr');
    const cells = [
      ['col_time', formatDateTime(e.ts), 'nowrap'],
      ['col_user', e.user ?? '', 'mono'],
      ['col_action', e.action ?? '', 'mono'],
      ['col_target', e.target ?? '', 'mono'],
      ['col_detail', detailText(e.detail), 'detail'],
    ];
    for (const [label, text, cls] of cells) {
      const td = el('td', cls, text);
      td.dataset.label = t(label);
      tr.append(td);
    }
    return tr;
  }

  $('audit-refresh').addEventListener('click', load);
  load();

  return { redraw: render };
}
