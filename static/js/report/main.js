// The report pages: /report/<bid> (one broadcast) and /report/s/<season>.
// Reads the report JSON, writes the figures as text (createElement +
// textContent only) and draws the charts with the vendored ECharts
// (static/vendor/echarts, loaded by this page alone, before this module).

import { ApiError, createApi } from '../shared/api.js';
import { bindI18n, el } from '../shared/dom.js';
import * as charts from './charts.js';
import { initLang, lang, setLang, t } from './i18n.js';

const echarts = globalThis.echarts;
const drawn = [];

function number(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString(lang() === 'en' ? 'en-US' : 'zh-CN');
}

function when(ms, timeZone) {
  if (!ms) return '—';
  return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false, timeZone,
  }).format(new Date(ms));
}

function sourceLabel(s) {
  const key = `source_${s}`;
  const text = t(key);
  return text === key ? s : text;
}

function tagLabel(tag) {
  return tag === '未分类' ? t('untagged') : tag;
}

function card(label, value, note) {
  const box = el('div', 'figure');
  box.append(el('p', 'figure-value', value), el('p', 'figure-label', label));
  if (note) box.append(el('p', 'figure-note', note));
  return box;
}

function section(id, title) {
  const box = el('section', 'report-section');
  box.id = id;
  box.append(el('h2', 'section-title', title));
  return box;
}

// Charts are drawn once their boxes are in the document (a detached box has
// no width): chartBox only places the box, draw() then draws them all.
const pending = [];

function chartBox(parent, name, option, height = 300) {
  const box = el('div', 'chart');
  box.dataset.chart = name;
  box.style.height = `${height}px`;
  parent.append(box);
  pending.push({ box, option });
}

function draw() {
  for (const { box, option } of pending.splice(0)) {
    if (!echarts) continue;
    const chart = echarts.init(box, null, { renderer: 'canvas' });
    chart.on('finished', () => { box.dataset.drawn = '1'; });
    chart.setOption(option);
    drawn.push(chart);
  }
}

function table(headers, rows) {
  const wrap = el('div', 'table-wrap');
  const tbl = el('table', 'table');
  const head = el('tr');
  for (const h of headers) { const th = el('th', null, h); th.scope = 'col'; head.append(th); }
  const thead = el('thead'); thead.append(head);
  const tbody = el('tbody');
  for (const row of rows) {
    const tr = el('tr');
    for (const cell of row) tr.append(el('td', null, cell));
    tbody.append(tr);
  }
  tbl.append(thead, tbody);
  wrap.append(tbl);
  return wrap;
}

function exportsLinks(bid) {
  const nav = document.getElementById('exports');
  nav.replaceChildren(el('span', 'exports-label', t('exports')));
  for (const [kind, key] of [['xlsx', 'export_xlsx'], ['csv', 'export_csv'], ['json', 'export_json']]) {
    const a = el('a', 'ghost small link-button', t(key));
    a.href = `/api/broadcasts/${encodeURIComponent(bid)}/export.${kind}`;
    a.setAttribute('download', '');
    nav.append(a);
  }
  nav.hidden = false;
}

function pollsSection(main, polls) {
  if (!polls.length) return;
  const box = section('polls', t('s_polls'));
  for (const poll of polls) {
    const item = el('div', 'poll');
    item.append(el('h3', 'poll-title', poll.question));
    item.append(el('p', 'muted', `${t(`poll_state_${poll.state}`)} · ${t('poll_ballots', { n: number(poll.ballots) })}`));
    item.append(table([t('col_option'), t('col_votes'), t('col_share')],
      poll.options.map((o) => [o.text, number(o.votes), charts.percentText(o.share)])));
    chartBox(item, `poll-${poll.id}`, charts.pollBars(poll, t), 40 + 36 * poll.options.length);
    box.append(item);
  }
  main.append(box);
}

function categorySections(main, report) {
  const grid = el('div', 'two');
  const tags = section('tags', t('s_tags'));
  if (report.by_tag.length) chartBox(tags, 'tags', charts.byCategory(report.by_tag, 'tag', tagLabel, t), 60 + 28 * Math.min(report.by_tag.length, 15));
  else tags.append(el('p', 'muted', t('no_data')));
  const sources = section('sources', t('s_sources'));
  if (report.by_source.length) chartBox(sources, 'sources', charts.shares(report.by_source, 'source', sourceLabel, t), 280);
  else sources.append(el('p', 'muted', t('no_data')));
  grid.append(tags, sources);
  main.append(grid);
}

function figures(list) {
  const box = section('figures', t('s_figures'));
  const grid = el('div', 'figures');
  for (const f of list) grid.append(card(...f));
  box.append(grid);
  return box;
}

function questionFigures(r) {
  const q = r.questions;
  return [
    [t('f_received'), number(q.received)], [t('f_approved'), number(q.approved)],
    [t('f_answered_live'), number(q.answered_live)], [t('f_forwarded'), number(q.forwarded)],
    [t('f_replied'), number(q.replied)], [t('f_reply_rate'), charts.percentText(r.reply_rate)],
    [t('f_satisfaction'), charts.percentText(r.satisfaction)], [t('f_votes'), number(r.votes)],
  ];
}

function renderBroadcast(r) {
  const tz = r.timezone;
  const b = r.broadcast;
  document.title = `${b.title} · ${t('brand')}`;
  document.getElementById('title').textContent = b.title;
  const span = b.started ? (b.ended ? t('span', { start: when(b.started, tz), end: when(b.ended, tz) }) : t('span_open', { start: when(b.started, tz) })) : '';
  document.getElementById('subtitle').textContent = [t(`state_${b.state}`), span].filter(Boolean).join(' · ');
  document.getElementById('generated').textContent = t('generated', { time: when(r.generated_at, tz), tz });
  exportsLinks(b.id);
  const main = document.getElementById('report');
  main.replaceChildren(figures([
    [t('f_views'), number(r.views)], [t('f_unique'), number(r.viewers_unique)],
    [t('f_peak'), number(r.viewers_peak), r.viewers_peak_at ? t('f_peak_at', { time: when(r.viewers_peak_at, tz) }) : null],
    [t('f_likes'), number(r.likes)], ...questionFigures(r),
  ]));
  const viewers = section('viewers', t('s_viewers'));
  const perMinute = section('questions', t('s_questions'));
  if (r.timeline.length) {
    chartBox(viewers, 'viewers', charts.viewersAndLikes(r, t, tz), 320);
    chartBox(perMinute, 'questions', charts.questionsPerMinute(r, t, tz), 240);
  } else {
    viewers.append(el('p', 'muted', t('no_data')));
    perMinute.append(el('p', 'muted', t('no_data')));
  }
  main.append(viewers, perMinute);
  categorySections(main, r);
  pollsSection(main, r.polls);
  definitions(main);
}

function renderSeason(s) {
  const tz = s.timezone;
  document.title = `${s.season.name} · ${t('brand_season')}`;
  document.getElementById('title').textContent = s.season.name;
  document.getElementById('subtitle').textContent = s.line;
  document.getElementById('generated').textContent = t('generated', { time: when(s.generated_at, tz), tz });
  const main = document.getElementById('report');
  main.replaceChildren(figures([
    [t('f_broadcasts'), number(s.broadcasts)], [t('f_views'), number(s.views)],
    [t('f_likes'), number(s.likes)], [t('f_unique_sum'), number(s.viewers_unique_sum)],
    [t('f_peak'), number(s.viewers_peak)], ...questionFigures(s),
  ]));
  const items = section('items', t('s_items'));
  if (s.items.length) chartBox(items, 'season', charts.seasonBars(s, t), 300);
  items.append(table(
    [t('col_broadcast'), t('col_date'), t('col_views'), t('col_unique'), t('col_peak'), t('col_likes'), t('col_questions'), t('col_approved')],
    s.items.map((i) => [i.title, when(i.started || i.created, tz), number(i.views), number(i.viewers_unique), number(i.viewers_peak), number(i.likes), number(i.questions), number(i.approved)]),
  ));
  main.append(items);
  categorySections(main, s);
  definitions(main);
}

function definitions(main) {
  const box = section('definitions', t('s_definitions'));
  box.append(el('p', 'definitions', t('definitions')));
  main.append(box);
}

function staticTexts(season) {
  bindI18n({ t, lang });
  document.getElementById('brand').textContent = t(season ? 'brand_season' : 'brand');
  const langButton = document.getElementById('lang');
  langButton.setAttribute('aria-label', t('switch_lang_label'));
}

async function load() {
  const path = location.pathname;
  const season = path.startsWith('/report/s/');
  const id = decodeURIComponent(path.split('/').pop());
  staticTexts(season);
  const url = season ? `/api/seasons/${encodeURIComponent(id)}/report` : `/api/broadcasts/${encodeURIComponent(id)}/report`;
  const status = document.getElementById('status');
  status.textContent = t('loading');
  let data;
  try {
    data = await createApi({ onUnauthorized: null })('GET', url);
  } catch (e) {
    const code = e instanceof ApiError ? e.status : 0;
    status.textContent = code === 404 ? t('not_found') : code === 401 ? t('signed_out')
      : t('load_failed', { msg: e instanceof ApiError && e.status ? e.status : String(e.message ?? e) });
    return;
  }
  for (const chart of drawn.splice(0)) chart.dispose();
  if (season) renderSeason(data); else renderBroadcast(data);
  draw();
  status.textContent = '';
  document.body.dataset.ready = '1';
}

// A4 portrait leaves about 180 mm of width: charts are redrawn to fit, then back.
window.addEventListener('beforeprint', () => { for (const c of drawn) c.resize({ width: 680 }); });
window.addEventListener('afterprint', () => { for (const c of drawn) c.resize(); });
window.addEventListener('resize', () => { for (const c of drawn) c.resize(); });

document.getElementById('print').addEventListener('click', () => window.print());
document.getElementById('lang').addEventListener('click', () => {
  setLang(lang() === 'en' ? 'zh-CN' : 'en');
  load();
});

initLang();
load();
