// The queue (docs/console.md): five views of the questions with live
// counts, filter by text and tag, selection and keys, bulk selection, the
// side column (on air, the selected question, similar ones, bans). What the
// buttons do is in queue-actions.js, the similar questions'
// bookkeeping in queue-similar.js, the DOM of one row in
// queue-row.js.

import { askerCounts, canReceiveMerge, counts, pageLists, queueList, VIEWS } from './model.js';
import { queueActions } from './queue-actions.js';
import { buildRow } from './queue-row.js';
import { el, setText } from '../shared/dom.js';
import { renderSide } from './queue-side.js';
import { mountActiveViewers } from './active.js';
import { mountProduction } from './rundown.js';
import { hidesQuestions } from './production.js';
import { QueueSimilarity } from './queue-similar.js';

const NOTE_MS = 8000; // a conflict note stays on its row this long
const PAGE_ROWS = 200; // rows drawn at first, and added by "show more"
const PAGE_MARGIN = 20; // the selection this close to the last drawn row draws more
const QUEUE_KINDS = new Set(['snapshot', 'question', 'votes', 'ban', 'broadcast', 'lang', 'clock', 'overlay', 'rundown']);

export function mountQueue(root, ctx) {
  const { t } = ctx;
  const ui = {
    view: 'pending',
    sort: 'votes',
    text: '',
    tag: '',
    selected: null, // qid
    selIndex: 0, // where the selection was, for when its question leaves the view
    scroll: false, // bring the selection into view at the next render
    checked: new Set(),
    busy: new Set(),
    notes: new Map(), // qid -> {text, kind}
    rows: new Map(), // qid -> {li, q, key}
    list: [], // questions shown, in order
    sideKey: null,
    limit: PAGE_ROWS, // rows drawn
    tagsKey: '',
  };
  let clockTick = 0; // bumped every 30 s: relative times are redrawn
  const similar = new QueueSimilarity(() => render());

  // --- DOM ---------------------------------------------------------------------------------
  const views = el('div', 'q-views');
  views.setAttribute('role', 'group');
  const viewButtons = new Map();
  for (const [i, view] of VIEWS.entries()) {
    const b = el('button', 'q-view');
    b.type = 'button';
    b.dataset.view = view;
    b.setAttribute('aria-pressed', String(view === ui.view));
    const label = el('span', 'q-view-label');
    const n = el('span', 'q-view-n', '0');
    const key = el('kbd', 'q-view-key', String(i + 1));
    b.append(label, n, key);
    b.addEventListener('click', () => setView(view));
    viewButtons.set(view, { b, label, n });
    views.append(b);
  }
  const filter = el('input', 'q-filter');
  filter.type = 'search';
  filter.id = 'q-filter';
  const tagSelect = el('select', 'q-tag-select');
  tagSelect.id = 'q-tag';
  const sortBox = el('div', 'q-sort');
  sortBox.setAttribute('role', 'group');
  const sortButtons = ['votes', 'time'].map((sort) => {
    const b = el('button', 'q-sort-btn');
    b.type = 'button';
    b.dataset.sort = sort;
    b.addEventListener('click', () => {
      ui.sort = sort;
      render();
    });
    sortBox.append(b);
    return b;
  });
  const toolbar = el('div', 'q-toolbar');
  const filterLabel = el('label', 'sr-only');
  filterLabel.htmlFor = 'q-filter';
  const tagLabel = el('label', 'sr-only');
  tagLabel.htmlFor = 'q-tag';
  toolbar.append(filterLabel, filter, tagLabel, tagSelect, sortBox);

  const bulk = el('div', 'q-bulk');
  const allLabel = el('label', 'q-all');
  const all = el('input');
  all.type = 'checkbox';
  all.id = 'q-all';
  const allText = el('span');
  allLabel.append(all, allText);
  const bulkCount = el('span', 'q-bulk-n');
  const bulkApprove = el('button', 'c-btn c-btn-small c-btn-primary');
  bulkApprove.type = 'button';
  bulkApprove.id = 'q-bulk-approve';
  const bulkReject = el('button', 'c-btn c-btn-small');
  bulkReject.type = 'button';
  bulkReject.id = 'q-bulk-reject';
  bulk.append(allLabel, bulkCount, bulkApprove, bulkReject);

  const list = el('ol', 'q-list');
  list.id = 'q-list';
  const more = el('button', 'c-btn q-more');
  more.type = 'button';
  more.id = 'q-more';
  more.hidden = true;
  more.addEventListener('click', () => {
    ui.limit += PAGE_ROWS;
    render();
  });
  const empty = el('p', 'q-empty');
  // The hub sends each view's first page (docs/protocol.md, "Paging"): reaching
  // the end of the list, or moving the selection near it, reads the next one.
  const listEnd = el('div', 'q-end');
  listEnd.id = 'q-end';
  let paging = false;
  const nearEnd = () => listEnd.getBoundingClientRect().top < window.innerHeight + 400;
  function loadMore() {
    const model = ctx.state;
    const keys = pageLists(ui.view, ui.sort).filter((k) => model.more?.[k]);
    if (paging || keys.length === 0 || !ctx.loadPage) return;
    paging = true;
    Promise.all(keys.map((k) => ctx.loadPage(k)))
      .catch(() => {}) // a refused or lost page: the next scroll asks again
      .finally(() => {
        paging = false;
        requestAnimationFrame(() => {
          if (nearEnd() && ui.list.length <= ui.limit) loadMore();
        });
      });
  }
  // Rows loaded but not drawn stay behind "show more"; the hub is asked only
  // once every loaded row is drawn.
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && ui.list.length <= ui.limit) loadMore();
  }, { rootMargin: '400px' }).observe(listEnd);
  const main = el('div', 'q-main');
  main.append(views, toolbar, bulk, list, more, listEnd, empty);
  const side = el('aside', 'q-side');
  side.id = 'q-side';
  const active = mountActiveViewers(ctx);
  const production = mountProduction(ctx, () => ui.selected);
  const layout = el('div', 'q-layout');
  layout.append(main, side);
  root.replaceChildren(layout);

  // --- rendering -----------------------------------------------------------------------------
  let queued = false;
  function render() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      draw();
    });
  }

  function draw() {
    const model = ctx.state;
    const n = counts(model);
    for (const [view, { b, label, n: count }] of viewButtons) {
      setText(label, t(`view_${view}`));
      setText(count, String(n[view]));
      b.setAttribute('aria-pressed', String(view === ui.view));
      b.dataset.nonzero = String(n[view] > 0);
    }
    views.setAttribute('aria-label', t('views_label'));
    filter.placeholder = t('filter_placeholder');
    setText(filterLabel, t('filter_label'));
    setText(tagLabel, t('tag_label'));
    drawTags(model);
    sortBox.hidden = ui.view !== 'approved';
    sortBox.setAttribute('aria-label', t('sort_label'));
    for (const b of sortButtons) {
      setText(b, t(`sort_${b.dataset.sort}`));
      b.setAttribute('aria-pressed', String(ui.sort === b.dataset.sort));
    }

    ui.list = queueList(model, { view: ui.view, sort: ui.sort, text: ui.text, tag: ui.tag });
    const inView = new Set(ui.list.map((q) => q.id));
    for (const id of [...ui.checked]) if (!inView.has(id)) ui.checked.delete(id);
    fixSelection();
    // Only the first `limit` rows are in the page (a view of 1,500 would make
    // every redraw slow); moving the selection near the end shows more.
    if (ui.selIndex >= ui.limit - PAGE_MARGIN) ui.limit = ui.selIndex + PAGE_ROWS;
    if (ui.selIndex >= ui.list.length - PAGE_MARGIN) loadMore();
    const drawn = ui.list.slice(0, ui.limit);
    const shown = new Set(drawn.map((q) => q.id));

    const askers = askerCounts(model);
    const lang = ctx.lang();
    const nodes = [];
    for (const q of drawn) {
      const info = {
        t, lang: ctx.lang, askerCount: askers.get(q.asker),
        selected: q.id === ui.selected, checked: ui.checked.has(q.id), busy: ui.busy.has(q.id),
        note: ui.notes.get(q.id), similar: similar.countFor(q, model),
      };
      const key = [info.selected, info.checked, info.busy, info.note?.text, info.similar, info.askerCount,
        lang, clockTick].join('|');
      let row = ui.rows.get(q.id);
      if (row === undefined || row.q !== q || row.key !== key) {
        const li = buildRow(q, info);
        if (row !== undefined) row.li.replaceWith(li);
        row = { li, q, key };
        ui.rows.set(q.id, row);
      }
      nodes.push(row.li);
    }
    for (const [id, row] of ui.rows) {
      if (!shown.has(id)) {
        row.li.remove();
        ui.rows.delete(id);
      }
    }
    placeInOrder(list, nodes);
    const hidden = ui.list.length - drawn.length;
    more.hidden = hidden <= 0;
    if (hidden > 0) setText(more, t('show_more', { n: hidden }));
    empty.hidden = ui.list.length > 0;
    setText(empty, ui.text || ui.tag ? t('empty_filtered') : t(`empty_${ui.view}`));

    const nChecked = ui.checked.size;
    all.checked = nChecked > 0 && nChecked === ui.list.length;
    all.indeterminate = nChecked > 0 && nChecked < ui.list.length;
    all.disabled = ui.list.length === 0;
    setText(allText, t('select_all'));
    setText(bulkCount, nChecked > 0 ? t('selected_n', { n: nChecked }) : '');
    setText(bulkApprove, t('bulk_approve'));
    setText(bulkReject, t('bulk_reject'));
    // The bulk buttons appear once something is ticked.
    bulkApprove.hidden = nChecked === 0 || !(ui.view === 'pending' || ui.view === 'rejected');
    bulkReject.hidden = nChecked === 0 || !(ui.view === 'pending' || ui.view === 'approved');

    if (ui.scroll) {
      ui.scroll = false;
      ui.rows.get(ui.selected)?.li.scrollIntoView({ block: 'nearest' });
    }
    drawSide(model);
  }

  function drawSide(model) {
    production.redraw();
    // The 上屏 buttons say when the scene on air would not show the question.
    root.classList.toggle('is-scene-no-question', hidesQuestions(model.overlay));
    const q = ui.selected === null ? undefined : model.questions.get(ui.selected);
    const alike = q === undefined ? [] : similar.similarOf(q, model);
    const onAir = model.onAir === null ? null : model.questions.get(model.onAir);
    const askers = askerCounts(model);
    // Drawn again only when something it shows changed (likes and presence
    // arrive several times a second; a redraw would drop a focused button).
    const key = [q, onAir, model.banned, ctx.lang(), clockTick, q && askers.get(q.asker),
      alike.map((s) => `${s.id}:${model.questions.get(s.id)?.status}:${model.questions.get(s.id)?.votes}`).join(',')];
    if (ui.sideKey && key.every((v, i) => v === ui.sideKey[i])) return;
    ui.sideKey = key;
    const info = { t, lang: ctx.lang, askerCount: q && askers.get(q.asker), active: active.node,
      production: production.node }; // prettier-ignore
    active.redraw();
    renderSide(side, model, q, alike, info);
  }

  function drawTags(model) {
    const tags = new Set(model.broadcast.settings?.tags ?? []);
    for (const q of model.questions.values()) if (q.tag) tags.add(q.tag);
    const sorted = [...tags].sort();
    const key = `${ctx.lang()}|${sorted.join('\u0000')}`;
    if (key === ui.tagsKey) return;
    ui.tagsKey = key;
    const options = [el('option', '', t('tag_all'))];
    options[0].value = '';
    for (const tag of sorted) {
      const o = el('option', '', tag);
      o.value = tag;
      options.push(o);
    }
    tagSelect.replaceChildren(...options);
    tagSelect.value = tags.has(ui.tag) ? ui.tag : '';
    tagSelect.hidden = sorted.length === 0;
  }

  function fixSelection() {
    const at = ui.list.findIndex((q) => q.id === ui.selected);
    if (at >= 0) {
      ui.selIndex = at;
      return;
    }
    // Its question left the view (approved, rejected...): the one now in its place.
    if (ui.list.length === 0) {
      ui.selected = null;
      return;
    }
    ui.selIndex = Math.min(ui.selIndex, ui.list.length - 1);
    ui.selected = ui.list[ui.selIndex].id;
  }

  function setView(view) {
    if (ui.view === view) return;
    ui.view = view;
    ui.limit = PAGE_ROWS;
    ui.selIndex = 0;
    ui.selected = null;
    ui.checked.clear();
    render();
  }

  function move(step) {
    if (ui.list.length === 0) return;
    const at = ui.list.findIndex((q) => q.id === ui.selected);
    const next = at < 0 ? 0 : Math.max(0, Math.min(ui.list.length - 1, at + step));
    ui.selected = ui.list[next].id;
    ui.selIndex = next;
    ui.scroll = true;
    render();
  }

  function note(qid, text, kind) {
    ui.notes.set(qid, { text, kind });
    render();
    setTimeout(() => {
      if (ui.notes.get(qid)?.text === text) {
        ui.notes.delete(qid);
        render();
      }
    }, NOTE_MS);
  }

  const { actions, bulkMove } = queueActions(ctx, {
    busy: ui.busy,
    note,
    render,
    clearChecked: () => ui.checked.clear(),
  });

  // --- input -------------------------------------------------------------------------------------
  const selectedQ = () => (ui.selected === null ? undefined : ctx.state.questions.get(ui.selected));
  const withSelected = (fn) => () => {
    const q = selectedQ();
    if (q !== undefined) fn(q);
  };

  list.addEventListener('click', (event) => {
    const li = event.target.closest('.q-row');
    if (!li) return;
    const qid = Number(li.dataset.qid);
    const q = ctx.state.questions.get(qid);
    if (q === undefined) return;
    const act = event.target.closest('[data-act]')?.dataset.act;
    if (act === 'check') {
      if (event.target.checked) ui.checked.add(qid);
      else ui.checked.delete(qid);
      render();
      return;
    }
    ui.selected = qid;
    render();
    if (act && actions[act]) actions[act](q);
  });

  side.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-act]');
    if (!button) return;
    const qid = Number(button.dataset.qid);
    const act = button.dataset.act;
    if (act === 'unban') {
      actions.unban(button.dataset.viewer ? { viewer: button.dataset.viewer } : { qid });
      return;
    }
    const q = ctx.state.questions.get(qid);
    if (q === undefined || !actions[act]) return;
    if (act === 'merge') actions.merge(q, Number(button.dataset.into));
    else actions[act](q);
  });

  side.addEventListener('change', (event) => {
    const select = event.target.closest('select[data-act="tag"]');
    const q = select && ctx.state.questions.get(Number(select.dataset.qid));
    if (q) actions.tag(q, select.value || null);
  });

  all.addEventListener('change', () => {
    if (all.checked) {
      for (const q of ui.list) if (q.status !== 'merged') ui.checked.add(q.id);
    } else {
      ui.checked.clear();
    }
    render();
  });
  const chosen = () => ui.list.filter((q) => ui.checked.has(q.id));
  bulkApprove.addEventListener('click', () => bulkMove(chosen(), 'approved'));
  bulkReject.addEventListener('click', () => bulkMove(chosen(), 'rejected'));

  filter.addEventListener('input', () => {
    ui.text = filter.value;
    render();
  });
  filter.addEventListener('keydown', (event) => {
    // Escape clears the filter, then gives the keys back to the list.
    if (event.key === 'Escape') {
      if (filter.value) {
        filter.value = '';
        ui.text = '';
        render();
      } else {
        filter.blur();
      }
    } else if (event.key === 'Enter' || event.key === 'ArrowDown') {
      event.preventDefault();
      filter.blur();
    }
  });
  tagSelect.addEventListener('change', () => {
    ui.tag = tagSelect.value;
    render();
  });

  const reg = (key, label, fn) => ctx.keys.register(key, () => t(label), fn, { panel: 'queue' });
  reg('j', 'key_help_next', () => move(1));
  reg('k', 'key_help_prev', () => move(-1));
  reg('ArrowDown', 'key_help_next', () => move(1));
  reg('ArrowUp', 'key_help_prev', () => move(-1));
  reg('a', 'key_help_approve', withSelected(actions.approve));
  reg('r', 'key_help_reject', withSelected(actions.reject));
  reg('s', 'key_help_star', withSelected(actions.star));
  reg('Enter', 'key_help_on_air', withSelected(actions.on_air));
  reg('e', 'key_help_edit', withSelected(actions.edit));
  reg('d', 'key_help_answered', () => {
    // The host finished: the question on air if there is one, else the selected one.
    const model = ctx.state;
    const q = model.onAir !== null ? model.questions.get(model.onAir) : selectedQ();
    if (q !== undefined) actions.answered(q);
  });
  reg('b', 'key_help_back', withSelected(actions.back));
  reg('m', 'key_help_merge', withSelected((q) => {
    const top = similar.similarOf(q, ctx.state).find((s) => canReceiveMerge(ctx.state.questions.get(s.id)));
    if (top) actions.merge(q, top.id);
    else ctx.toast(t('merge_none'), 'info');
  }));
  reg('/', 'key_help_filter', () => {
    filter.focus();
    filter.select();
  });
  VIEWS.forEach((view, i) => reg(String(i + 1), `key_help_view_${view}`, () => setView(view)));

  // --- live updates ------------------------------------------------------------------------------
  ctx.subscribe((model, changed) => {
    if (changed.has('question') || changed.has('snapshot')) similar.update(model, changed.has('snapshot'));
    if (changed.has('clock')) clockTick += 1;
    if ([...changed].some((k) => QUEUE_KINDS.has(k))) render();
  });
  similar.update(ctx.state, true);
  render();
}

/** Put `nodes` into `parent` in this order, moving only what is out of place. */
function placeInOrder(parent, nodes) {
  let cursor = parent.firstChild;
  for (const node of nodes) {
    if (node === cursor) {
      cursor = cursor.nextSibling;
    } else {
      parent.insertBefore(node, cursor);
    }
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}
