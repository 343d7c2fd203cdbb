// The public replies page: /r/<bid> (one broadcast) and /r/s/<sid> (a season).
// Reads the JSON twin (/api/public/...), renders every text with textContent.

import { callJson as api } from '../shared/api.js';
import { $, el, safeLink } from '../shared/dom.js';
import { initLang, lang, setLang, t } from '../shared/followup-i18n.js';
import { FIGURES, cell, day, facets, figureRows, filterItems, stateKey } from '../shared/followup-model.js';

const parts = location.pathname.split('/').filter(Boolean);
const season = parts[1] === 's';
const id = decodeURIComponent(parts[season ? 2 : 1] ?? '');
const source = season ? `/api/public/seasons/${encodeURIComponent(id)}/replies`
  : `/api/public/broadcasts/${encodeURIComponent(id)}/replies`;
let data = null;

function deptName(dept) {
  return data?.departments?.[dept]?.short || data?.departments?.[dept]?.name || dept;
}

function renderFigures() {
  const total = data.figures.total;
  $('figures').replaceChildren(...FIGURES.map((f) => {
    const box = el('div', 'figure');
    box.append(el('b', '', cell(total, f)), el('span', '', t(`fig_${f}`)));
    return box;
  }));
  for (const [tableId, group, label, title] of [
    ['by-dept', data.figures.by_dept, deptName, 'fig_by_dept'],
    ['by-tag', data.figures.by_tag, (k) => k || t('untagged'), 'fig_by_tag'],
  ]) {
    const head = el('tr');
    head.append(el('th', '', t(title)), ...FIGURES.map((f) => el('th', '', t(`fig_${f}`))));
    const rows = figureRows(group, label).map((cells) => {
      const tr = el('tr');
      tr.append(...cells.map((c) => el('td', '', c)));
      return tr;
    });
    $(tableId).replaceChildren(head, ...rows);
  }
}

function itemNode(item) {
  const li = el('li', 'item');
  li.append(el('p', 'item-q', item.text));
  const meta = el('p', 'item-meta');
  const state = el('span', `pill state-${item.state}`, t(stateKey(item.state)));
  meta.append(state);
  if (item.dept) meta.append(el('span', '', `${t('dept_label')}：${deptName(item.dept)}`));
  if (item.tag) meta.append(el('span', 'pill', item.tag));
  meta.append(el('span', '', `${t('asked_label')} ${day(item.asked)}`));
  if (item.assigned_at) meta.append(el('span', '', `${t('forwarded_label')} ${day(item.assigned_at)}`));
  if (item.published_at) meta.append(el('span', '', `${t('replied_label')} ${day(item.published_at)}`));
  li.append(meta);
  const reply = el('div', 'item-reply');
  reply.append(el('span', 'label', t('reply_label')), document.createTextNode(item.reply ?? ''));
  if (item.reply_link) reply.append(el('br'), safeLink(item.reply_link, t('reply_link')));
  li.append(reply);
  return li;
}

function renderItems() {
  const shown = filterItems(data.items, { query: $('search').value, dept: $('dept').value, tag: $('tag').value });
  $('items').replaceChildren(...shown.map(itemNode));
  $('empty').hidden = shown.length > 0;
  $('empty').textContent = t('replies_empty');
  $('count').textContent = t('replies_count', { n: shown.length });
}

function renderFilters() {
  const { depts, tags } = facets(data.items);
  const keepDept = $('dept').value;
  const keepTag = $('tag').value;
  const option = (value, label) => {
    const o = el('option', '', label);
    o.value = value;
    return o;
  };
  $('dept').replaceChildren(option('', t('replies_all_depts')), ...depts.map((d) => option(d, deptName(d))));
  $('tag').replaceChildren(option('', t('replies_all_tags')), ...tags.map((g) => option(g, g)));
  $('dept').value = keepDept;
  $('tag').value = keepTag;
  $('search').placeholder = t('replies_search');
}

function render() {
  document.documentElement.lang = lang();
  $('lang').textContent = lang() === 'en' ? '中文' : 'English';
  if (!data) return;
  const title = season ? t('replies_season', { name: data.season.name })
    : `${data.broadcast.title} · ${t('replies_title')}`;
  $('title').textContent = title;
  document.title = title;
  $('sub').textContent = season ? data.episodes.map((e) => e.title).join(' / ') : '';
  renderFigures();
  renderFilters();
  renderItems();
}

async function load() {
  const r = await api(source);
  if (!r.ok) {
    $('title').textContent = t('not_found');
    $('empty').hidden = false;
    $('empty').textContent = t('not_found');
    return;
  }
  data = r.data;
  render();
}

initLang();
$('lang').addEventListener('click', () => {
  setLang(lang() === 'en' ? 'zh-CN' : 'en');
  render();
});
for (const input of ['search', 'dept', 'tag']) $(input).addEventListener('input', renderItems);
render();
load();
