// The console home's 承办单位与季 section (administrators): departments
// (承办单位), the accounts of their staff (bound to one department, they sign in
// at /office), and seasons with their episodes. Everything through the API
// (docs/api.md); every string from it goes in with textContent.

import { lang } from './i18n.js';
import { $, errorText } from './dom.js';
import { el } from '../shared/dom.js';
import { setLang, t } from '../shared/followup-i18n.js';

function input(label, attrs = {}) {
  const wrap = el('label', 'field');
  wrap.append(el('span', '', label));
  const node = el('input');
  Object.assign(node, { type: 'text', ...attrs });
  wrap.append(node);
  return [wrap, node];
}

export function mountFollowupAdmin(ctx) {
  const body = $('fua-body');
  let data = { departments: [], officials: [], seasons: [] };

  async function load() {
    try {
      const [d, o, s] = await Promise.all([
        ctx.api('GET', '/api/departments'), ctx.api('GET', '/api/officials'), ctx.api('GET', '/api/seasons'),
      ]);
      data = { departments: d.departments, officials: o.officials, seasons: s.seasons };
    } catch (err) {
      ctx.toast(errorText(err), 'error');
    }
    render();
  }

  function form(fields, submit, send) {
    const node = el('form', 'stack');
    const inputs = fields.map(([label, attrs]) => input(label, attrs));
    const button = el('button', 'primary small', submit);
    button.type = 'submit';
    node.append(...inputs.map(([wrap]) => wrap), button);
    node.addEventListener('submit', async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        await send(inputs.map(([, i]) => i.value.trim()));
        ctx.toast(t('admin_saved'), 'ok');
        await load();
      } catch (err) {
        ctx.toast(errorText(err), 'error');
      } finally {
        button.disabled = false;
      }
    });
    return node;
  }

  function list(rows) {
    const ul = el('ul', 'fua-list');
    ul.append(...rows.map((text) => el('li', '', text)));
    return ul;
  }

  function render() {
    setLang(lang(), null);
    $('fua-h').textContent = t('admin_title');
    const depts = data.departments.map((d) => `${d.id} · ${d.name}（${d.short}）${d.contact ? ` · ${d.contact}` : ''}`);
    const officials = data.officials.map((o) => `${o.username} · ${o.dept}`);
    const seasons = data.seasons.map((s) => `${s.id} · ${s.name}（${s.year}）：${s.broadcasts.join(' / ')}`);
    body.replaceChildren(
      el('h3', 'panel-subtitle', t('admin_depts')), list(depts),
      form([[t('admin_dept_id'), { maxLength: 32 }], [t('admin_dept_name'), { maxLength: 60 }],
        [t('admin_dept_short'), { maxLength: 12 }], [t('admin_dept_contact'), { maxLength: 100 }]],
      t('admin_dept_save'), ([id, name, short, contact]) => ctx.api('POST', '/api/departments', { id, name, short, contact })),
      el('h3', 'panel-subtitle', t('admin_officials')), list(officials),
      form([[t('admin_official_user'), { maxLength: 32, autocomplete: 'off' }],
        [t('admin_official_password'), { type: 'password', autocomplete: 'new-password' }], [t('dept_label'), { maxLength: 32 }]],
      t('admin_official_add'), ([username, password, dept]) => ctx.api('POST', '/api/officials', { username, password, dept })),
      el('h3', 'panel-subtitle', t('admin_seasons')), list(seasons),
      form([[t('admin_season_id'), { maxLength: 32 }], [t('admin_season_name'), { maxLength: 60 }],
        [t('admin_season_year'), { type: 'number', min: 2000, max: 2100 }]],
      t('admin_season_add'), ([id, name, year]) => ctx.api('POST', '/api/seasons', { id, name, year: Number(year) })),
      form([[t('admin_season_id'), { maxLength: 32 }], [t('admin_season_bid'), { maxLength: 32 }]],
        t('admin_season_link'), ([sid, bid]) => ctx.api('POST', `/api/seasons/${encodeURIComponent(sid)}/broadcasts`, { bid })),
    );
  }

  load();
  return { redraw: render };
}
