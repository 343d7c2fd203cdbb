// The console's 投票 Polls panel: create a poll (or copy one from an earlier
// broadcast), open / close / reopen it, watch the tallies live, show it on the
// overlay or take it off.
//
// Commands (docs/protocol.md): poll.create, poll.state, poll.delete (drafts
// only, after a second click on the same button), overlay. Tallies come
// from the shell's live model (ctx.state.polls, kept by `poll` and `tally`
// events); this panel keeps no copy of them. Poll texts are viewer-facing but
// written by moderators; still, everything is set as text.

import { charCount, formatCount } from '../shared/format.js';
import { figures } from '../shared/poll-figures.js';
import { basisText } from '../shared/poll-draw.js';
import { busy, errorText, field, follow, h, mountWithLang, setText, uid } from './panel-kit.js';
import { barRows, cloudSection, hasOptions, kindFields, validateKind } from './poll-kinds.js';

import {
  POLL_OPTION_MAX_LEN as OPTION_MAX,
  POLL_OPTIONS_RANGE,
  POLL_QUESTION_MAX_LEN as QUESTION_MAX,
  POLL_RESULTS as RESULTS,
} from '../shared/contract.js';

// server/domain/poll.py's limits, through the generated contract.
export { OPTION_MAX, QUESTION_MAX, RESULTS };
export const [OPTIONS_MIN, OPTIONS_MAX] = POLL_OPTIONS_RANGE;

// --- pure helpers (node --test) ------------------------------------------------------

// As the hub cleans a single line (server/domain/text.py normalize_name), near
// enough to catch what it would refuse: NFC, spaces collapsed, ends trimmed.
function cleanLine(raw) {
  return String(raw ?? '')
    .normalize('NFC')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Check the create form before sending. `options` may hold blank rows (ignored).
 * Returns {ok: true, poll: {question, options, multi, results}} or
 * {ok: false, errors: [{field, index?, key, vars}]} with i18n keys.
 */
export function validatePollForm({ question, options = [], multi = false, results = 'after_vote' }) {
  const errors = [];
  const q = cleanLine(question);
  if (!q) errors.push({ field: 'question', key: 'polls_err_question_empty', vars: {} });
  else if (charCount(q) > QUESTION_MAX) {
    errors.push({ field: 'question', key: 'polls_err_question_long', vars: { max: QUESTION_MAX } });
  }
  const clean = [];
  options.forEach((raw, index) => {
    const o = cleanLine(raw);
    if (!o) return;
    if (charCount(o) > OPTION_MAX) {
      errors.push({ field: 'option', index, key: 'polls_err_option_long', vars: { n: index + 1, max: OPTION_MAX } });
    } else if (clean.includes(o)) {
      errors.push({ field: 'option', index, key: 'polls_err_option_twice', vars: { n: index + 1 } });
    }
    clean.push(o);
  });
  if (clean.length < OPTIONS_MIN) {
    errors.push({ field: 'options', key: 'polls_err_too_few', vars: { min: OPTIONS_MIN } });
  } else if (clean.length > OPTIONS_MAX) {
    errors.push({ field: 'options', key: 'polls_err_too_many', vars: { max: OPTIONS_MAX } });
  }
  if (!RESULTS.includes(results)) errors.push({ field: 'results', key: 'polls_err_results', vars: {} });
  if (errors.length) return { ok: false, errors };
  return { ok: true, poll: { question: q, options: clean, multi: Boolean(multi), results } };
}

/**
 * A poll's results as drawn: {ballots, rows: [{text, count, pct, lead}]}.
 * Percentages are of ballots (voters), so a multiple-choice poll may sum past
 * 100%, as on the overlay (static/js/overlay/model.js pollView).
 */
export function tallyView(poll) {
  const options = Array.isArray(poll?.options) ? poll.options : [];
  const tallies = Array.isArray(poll?.tallies) ? poll.tallies : [];
  const counts = options.map((_, i) => Math.max(0, Math.floor(Number(tallies[i]) || 0)));
  const sum = counts.reduce((a, b) => a + b, 0);
  const given = Number(poll?.ballots);
  // Older snapshots may lack the ballot count: the sum of a single-choice poll.
  const ballots = Number.isFinite(given) && given >= 0 ? given : poll?.multi ? Math.max(0, ...counts) : sum;
  // One definition of the figures (static/js/shared/poll-figures.js).
  const figs = figures({ ...poll, options, tallies: counts, ballots });
  return { ballots, figs, rows: figs.rows ?? [] };
}

/** Polls as listed: newest first (a card never jumps when its state changes). */
export function pollOrder(polls) {
  return [...polls].sort((a, b) => (b.created ?? 0) - (a.created ?? 0) || b.id - a.id);
}

// --- the panel -------------------------------------------------------------------------

export function mount(el, ctx) {
  return mountWithLang(el, ctx, build);
}

function build(el, ctx, kept) {
  const t = ctx.t;
  el.classList.add('cp-panel', 'cp-polls');
  const form = buildForm(ctx);
  if (kept.form) form.fill(kept.form, { focus: false });
  const list = h('div', { className: 'cp-poll-list', attrs: { 'aria-live': 'off' } });
  const empty = h('p', { className: 'cp-empty', text: t('polls_empty') });
  const count = h('span', { className: 'cp-count' });
  el.replaceChildren(
    h('div', { className: 'cp-cols' },
      form.node,
      h('section', { className: 'cp-card cp-poll-board', attrs: { 'aria-labelledby': 'cp-polls-h' } },
        h('h2', { className: 'cp-title', id: 'cp-polls-h' }, t('polls_list_title'), ' ', count),
        empty, list)),
  );

  const cards = new Map(); // poll id -> card
  const render = (state) => {
    const polls = pollOrder(state?.polls?.values?.() ?? []);
    const overlay = state?.overlay ?? {};
    const seen = new Set();
    let prev = null;
    for (const poll of polls) {
      seen.add(poll.id);
      let card = cards.get(poll.id);
      if (!card) {
        card = pollCard(ctx, poll);
        cards.set(poll.id, card);
      }
      card.update(poll, overlay);
      // Keep DOM order = list order without re-inserting unmoved nodes.
      const want = prev ? prev.nextSibling : list.firstChild;
      if (want !== card.node) list.insertBefore(card.node, want);
      prev = card.node;
    }
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        card.node.remove();
        cards.delete(id);
      }
    }
    empty.hidden = polls.length > 0;
    setText(count, polls.length ? t('polls_count', { n: polls.length }) : '');
  };
  const live = follow(ctx, render);
  return { unmount: () => live.unsubscribe(), keep: () => ({ form: form.values() }) };
}

function buildForm(ctx) {
  const t = ctx.t;
  const question = h('input', { type: 'text', className: 'cp-input', maxLength: QUESTION_MAX * 2, autocomplete: 'off',
    attrs: { name: 'poll-question', placeholder: t('polls_question_ph') } });
  const optionList = h('ol', { className: 'cp-options' });
  const addBtn = h('button', { type: 'button', className: 'cp-btn cp-btn-small', text: t('polls_add_option') });
  const multiName = uid('multi');
  const single = h('input', { type: 'radio', name: multiName, value: 'single', checked: true });
  const multi = h('input', { type: 'radio', name: multiName, value: 'multi' });
  const results = h('select', { className: 'cp-input', attrs: { name: 'poll-results' } },
    RESULTS.map((r) => h('option', { value: r, text: t(`polls_results_${r}`) })));
  const errors = h('ul', { className: 'cp-errors', attrs: { role: 'alert' } });
  const createBtn = h('button', { type: 'submit', className: 'cp-btn cp-btn-primary', text: t('polls_create') });
  const createOpenBtn = h('button', { type: 'button', className: 'cp-btn', text: t('polls_create_open') });
  const resetBtn = h('button', { type: 'button', className: 'cp-btn cp-btn-quiet', text: t('polls_reset') });
  const copy = buildCopy(ctx, (poll) => fill(poll));
  // The kind (choice, rating, ranking, word cloud) and its own fields (./poll-kinds.js).
  const kinds = kindFields(t, (kind) => {
    optionsBox.hidden = !hasOptions(kind);
    choiceBox.hidden = kind !== 'choice';
  });

  const rows = [];
  const renumber = () => {
    rows.forEach((row, i) => {
      setText(row.label, t('polls_option_n', { n: i + 1 }));
      row.input.setAttribute('aria-label', t('polls_option_n', { n: i + 1 }));
      row.remove.disabled = rows.length <= OPTIONS_MIN;
      row.remove.setAttribute('aria-label', t('polls_remove_option_n', { n: i + 1 }));
    });
    addBtn.disabled = rows.length >= OPTIONS_MAX;
    setText(addHint, t('polls_options_hint', { n: rows.length, max: OPTIONS_MAX }));
  };
  const addRow = (value = '', focus = false) => {
    if (rows.length >= OPTIONS_MAX) return;
    const input = h('input', { type: 'text', className: 'cp-input', value, maxLength: OPTION_MAX * 2, autocomplete: 'off',
      attrs: { name: 'poll-option' } });
    const label = h('span', { className: 'cp-option-n', attrs: { 'aria-hidden': 'true' } });
    const remove = h('button', { type: 'button', className: 'cp-btn cp-btn-quiet cp-btn-small', text: t('polls_remove_option') });
    const li = h('li', { className: 'cp-option-row' }, label, input, remove);
    const row = { li, input, label, remove };
    remove.addEventListener('click', () => {
      if (rows.length <= OPTIONS_MIN) return;
      const at = rows.indexOf(row);
      rows.splice(at, 1);
      li.remove();
      renumber();
      rows[Math.min(at, rows.length - 1)]?.input.focus();
    });
    // Enter in the last option adds the next one, as in a list editor.
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.isComposing && rows.at(-1) === row && rows.length < OPTIONS_MAX) {
        e.preventDefault();
        addRow('', true);
      }
    });
    rows.push(row);
    optionList.append(li);
    renumber();
    if (focus) input.focus();
  };
  const addHint = h('span', { className: 'cp-hint' });
  addBtn.addEventListener('click', () => addRow('', true));
  const optionsBox = h('fieldset', { className: 'cp-fieldset' },
    h('legend', { text: t('polls_options') }),
    optionList,
    h('div', { className: 'cp-row' }, addBtn, addHint));
  const choiceBox = h('fieldset', { className: 'cp-fieldset cp-inline' },
    h('legend', { text: t('polls_kind') }),
    h('label', { className: 'cp-check' }, single, t('polls_single')),
    h('label', { className: 'cp-check' }, multi, t('polls_multi')));

  const values = () => ({
    question: question.value,
    options: rows.map((r) => r.input.value),
    multi: multi.checked,
    results: results.value,
    ...kinds.values(),
  });
  const fill = (poll, { focus = true } = {}) => {
    question.value = poll.question ?? '';
    rows.splice(0).forEach((r) => r.li.remove());
    const opts = Array.isArray(poll.options) ? poll.options.slice(0, OPTIONS_MAX) : [];
    for (const o of opts) addRow(String(o));
    while (rows.length < OPTIONS_MIN) addRow();
    (poll.multi ? multi : single).checked = true;
    results.value = RESULTS.includes(poll.results) ? poll.results : 'after_vote';
    kinds.fill(poll);
    errors.replaceChildren();
    if (focus) question.focus();
  };
  const reset = () => fill({ question: '', options: [], multi: false, results: 'after_vote' });

  const node = h('form', { className: 'cp-card cp-poll-form', noValidate: true, attrs: { 'aria-labelledby': 'cp-poll-form-h' } },
    h('h2', { className: 'cp-title', id: 'cp-poll-form-h', text: t('polls_new_title') }),
    field(t('polls_question'), question),
    kinds.node,
    optionsBox,
    choiceBox,
    field(t('polls_results'), results, t('polls_results_hint')),
    errors,
    h('div', { className: 'cp-actions' }, createBtn, createOpenBtn, resetBtn),
    copy,
  );
  for (let i = 0; i < OPTIONS_MIN; i++) addRow();
  kinds.show();

  const showErrors = (list) => {
    errors.replaceChildren(...list.map((e) => h('li', { text: t(e.key, e.vars) })));
    question.toggleAttribute('aria-invalid', list.some((e) => e.field === 'question'));
    rows.forEach((r, i) => r.input.toggleAttribute('aria-invalid', list.some((e) => e.field === 'option' && e.index === i)));
  };
  const create = async (button, open) => {
    const v = values();
    const kind = validateKind(v);
    // A rating's points and a word cloud's answers are not options to type.
    const check = hasOptions(kind.extra.kind) ? validatePollForm(v)
      : validatePollForm({ ...v, options: ['1', '2'] }); // prettier-ignore
    const all = [...(check.errors ?? []), ...kind.errors];
    if (!check.ok || all.length) {
      showErrors(all);
      return;
    }
    check.poll = { ...check.poll, ...kind.extra };
    if (!hasOptions(kind.extra.kind)) delete check.poll.options;
    if (kind.extra.kind !== 'choice') check.poll.multi = false;
    showErrors([]);
    await busy(button, async () => {
      const ack = await ctx.send('poll.create', check.poll);
      // Created: the form is done with, even if opening it fails below (a
      // second click must not create the poll twice).
      reset();
      if (open) await ctx.send('poll.state', { poll: ack.poll, state: 'open' });
      ctx.toast(t(open ? 'polls_created_open' : 'polls_created', { id: ack.poll }), 'ok');
    }, (err) => {
      const text = errorText(ctx, err);
      errors.replaceChildren(h('li', { text }));
      ctx.toast(text, 'error');
    });
  };
  node.addEventListener('submit', (e) => {
    e.preventDefault();
    create(createBtn, false);
  });
  createOpenBtn.addEventListener('click', () => create(createOpenBtn, true));
  resetBtn.addEventListener('click', reset);
  return { node, fill, values };
}

// "Copy from an earlier broadcast": pick a broadcast, then one of its polls;
// the poll fills the form (checked and created like a new one).
function buildCopy(ctx, onPick) {
  const t = ctx.t;
  const select = h('select', { className: 'cp-input', attrs: { name: 'copy-broadcast' } });
  const status = h('p', { className: 'cp-hint', attrs: { role: 'status' } });
  const found = h('ul', { className: 'cp-copy-list' });
  const details = h('details', { className: 'cp-copy-from' },
    h('summary', { text: t('polls_copy') }),
    h('p', { className: 'cp-hint', text: t('polls_copy_hint') }),
    field(t('polls_copy_broadcast'), select),
    status,
    found);
  let loaded = false;
  let seq = 0;

  const loadPolls = async (bid) => {
    const mine = ++seq;
    found.replaceChildren();
    if (!bid) return;
    setText(status, t('panel_loading'));
    try {
      const res = await ctx.api('GET', `/api/broadcasts/${encodeURIComponent(bid)}/polls`);
      if (mine !== seq) return;
      const polls = Array.isArray(res?.polls) ? res.polls : [];
      setText(status, polls.length ? '' : t('polls_copy_none'));
      for (const poll of polls) {
        const use = h('button', { type: 'button', className: 'cp-btn cp-btn-small', text: t('polls_copy_use') });
        use.addEventListener('click', () => {
          onPick(poll);
          ctx.toast(t('polls_copy_filled'), 'info');
        });
        const opts = Array.isArray(poll.options) ? poll.options.map(String).join(' / ') : '';
        found.append(h('li', { className: 'cp-copy-item' },
          h('div', { className: 'cp-copy-text' },
            h('p', { className: 'cp-copy-q', text: String(poll.question ?? '') }),
            h('p', { className: 'cp-hint', text: `${t(poll.multi ? 'polls_multi' : 'polls_single')} · ${opts}` })),
          use));
      }
    } catch (err) {
      if (mine === seq) setText(status, errorText(ctx, err, t('polls_copy_what')));
    }
  };
  const loadBroadcasts = async () => {
    setText(status, t('panel_loading'));
    try {
      const res = await ctx.api('GET', '/api/broadcasts');
      const all = (Array.isArray(res?.broadcasts) ? res.broadcasts : [])
        .sort((a, b) => (b.created ?? 0) - (a.created ?? 0));
      select.replaceChildren(h('option', { value: '', text: t('polls_copy_pick') }),
        ...all.map((b) => h('option', {
          value: b.id,
          text: `${b.title || b.id}${b.id === ctx.bid ? t('polls_copy_this') : ''} · ${dateText(b.created, ctx.lang())}`,
        })));
      loaded = true;
      setText(status, all.length ? '' : t('polls_copy_no_broadcasts'));
    } catch (err) {
      setText(status, errorText(ctx, err));
    }
  };
  details.addEventListener('toggle', () => {
    if (details.open && !loaded) loadBroadcasts();
  });
  select.addEventListener('change', () => loadPolls(select.value));
  return details;
}

function dateText(ms, lang) {
  if (!ms) return '';
  const d = new Date(Number(ms));
  return lang === 'en'
    ? d.toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric' })
    : `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`;
}

// One poll: state, question, live bars, and its buttons.
function pollCard(ctx, first) {
  const t = ctx.t;
  const id = first.id;
  const badge = h('span', { className: 'cp-badge' });
  const onAir = h('span', { className: 'cp-badge cp-badge-air', text: t('polls_on_overlay') });
  const meta = h('span', { className: 'cp-meta' });
  const question = h('h3', { className: 'cp-poll-q' });
  const bars = h('ol', { className: 'cp-bars' });
  const ballots = h('p', { className: 'cp-ballots' });
  const basis = h('p', { className: 'cp-hint cp-poll-basis' });
  const cloud = first.kind === 'words' ? cloudSection(ctx, id) : null;
  const stateBtn = h('button', { type: 'button', className: 'cp-btn cp-btn-primary' });
  const showBtn = h('button', { type: 'button', className: 'cp-btn' });
  const deleteBtn = h('button', { type: 'button', className: 'cp-btn cp-btn-quiet cp-poll-delete' });
  const node = h('article', { className: 'cp-poll', dataset: { poll: id } },
    h('div', { className: 'cp-poll-head' }, badge, onAir, meta),
    question, cloud ? cloud.node : bars, cloud ? null : basis,
    h('div', { className: 'cp-poll-foot' }, ballots, h('div', { className: 'cp-actions' }, stateBtn, showBtn, deleteBtn)));
  let rowsKey = null;
  let rows = [];
  let poll = first;
  let overlay = {};
  let drawn = false;

  const shownHere = () => overlay.show === 'poll' && Number(overlay.poll) === Number(id);
  stateBtn.addEventListener('click', () => {
    const target = poll.state === 'open' ? 'closed' : 'open';
    busy(stateBtn, async () => {
      await ctx.send('poll.state', { poll: id, state: target });
      ctx.toast(t(`polls_did_${target}`, { id }), 'ok');
    }, (err) => ctx.toast(errorText(ctx, err), 'error'));
  });
  // A draft is deleted on a second click of the same button (as accounts are
  // on the console home); the hub refuses open and closed polls anyway.
  let confirming = false;
  const drawDelete = () => {
    setText(deleteBtn, t(confirming ? 'polls_delete_confirm' : 'polls_delete'));
    deleteBtn.classList.toggle('cp-btn-danger', confirming);
  };
  deleteBtn.addEventListener('click', () => {
    if (!confirming) {
      confirming = true;
      drawDelete();
      return;
    }
    busy(deleteBtn, async () => {
      await ctx.send('poll.delete', { poll: id });
      ctx.toast(t('polls_did_delete', { id }), 'ok');
    }, (err) => {
      confirming = false;
      drawDelete();
      ctx.toast(errorText(ctx, err), 'error');
    });
  });
  deleteBtn.addEventListener('blur', () => {
    if (confirming && !deleteBtn.disabled) {
      confirming = false;
      drawDelete();
    }
  });
  showBtn.addEventListener('click', () => {
    const hide = shownHere();
    busy(showBtn, async () => {
      await ctx.send('overlay', hide ? { show: null } : { show: 'poll', poll: id });
      ctx.toast(t(hide ? 'polls_did_hide' : 'polls_did_show', { id }), 'ok');
    }, (err) => ctx.toast(errorText(ctx, err), 'error'));
  });

  const drawRows = (view) => {
    const key = JSON.stringify([poll.options ?? [], view.rows.map((r) => r.text)]);
    if (key !== rowsKey) {
      rowsKey = key;
      rows = view.rows.map((r) => {
        const text = h('span', { className: 'cp-bar-text', text: r.text });
        const num = h('span', { className: 'cp-bar-num' });
        const fill = h('span', { className: 'cp-bar-fill' });
        const li = h('li', { className: 'cp-bar' },
          h('div', { className: 'cp-bar-row' }, text, num),
          h('div', { className: 'cp-bar-track', attrs: { 'aria-hidden': 'true' } }, fill));
        return { li, num, fill };
      });
      bars.replaceChildren(...rows.map((r) => r.li));
    }
    view.rows.forEach((r, i) => {
      const row = rows[i];
      setText(row.num, r.label);
      row.li.classList.toggle('is-lead', r.lead && poll.state === 'closed');
      // CSSOM, not a style attribute: allowed by the CSP.
      row.fill.style.setProperty('width', `${Math.min(100, r.pct)}%`);
    });
  };

  return {
    node,
    update(next, nextOverlay) {
      // Models are never changed in place: the same objects mean nothing to redraw.
      if (next === poll && nextOverlay === overlay && drawn) return;
      drawn = true;
      poll = next;
      overlay = nextOverlay ?? {};
      const state = ['draft', 'open', 'closed'].includes(poll.state) ? poll.state : 'draft';
      node.dataset.state = state;
      setText(badge, t(`polls_state_${state}`));
      badge.dataset.state = state;
      const here = shownHere();
      onAir.hidden = !here;
      node.classList.toggle('is-on-overlay', here);
      const kind = poll.kind ?? 'choice';
      const how = kind === 'choice' ? t(poll.multi ? 'polls_multi' : 'polls_single')
        : kind === 'rating' ? `${t('polls_kind_rating')} 1–${poll.options?.length ?? 5}` : t(`polls_kind_${kind}`); // prettier-ignore
      setText(meta, `#${id} · ${how} · ${t('polls_results_meta', { v: t(`polls_results_${poll.results}`) })}`);
      setText(question, String(poll.question ?? ''));
      const view = tallyView(poll);
      const fmt = (n) => formatCount(n, ctx.lang());
      if (cloud) cloud.update(poll);
      else {
        drawRows({ ...view, rows: barRows(poll, view.figs, t, fmt) });
        const avg = view.figs.kind === 'rating' && view.figs.average !== null
          ? `${t('polls_average', { avg: view.figs.average })} · ${view.figs.labels.filter(Boolean).join(' → ')} · ` : ''; // prettier-ignore
        setText(basis, `${avg}${basisText(view.figs, ctx.lang())}`);
      }
      setText(ballots, t(kind === 'words' ? 'polls_answers' : 'polls_ballots', { n: fmt(view.ballots) }));
      setText(stateBtn, t({ draft: 'polls_open', open: 'polls_close', closed: 'polls_reopen' }[state]));
      stateBtn.classList.toggle('cp-btn-danger', state === 'open');
      stateBtn.classList.toggle('cp-btn-primary', state !== 'open');
      setText(showBtn, t(here ? 'polls_hide' : 'polls_show'));
      showBtn.classList.toggle('cp-btn-on', here);
      // The overlay never receives draft polls: open it first.
      showBtn.disabled = state === 'draft' && !here;
      showBtn.title = showBtn.disabled ? t('polls_show_draft') : '';
      deleteBtn.hidden = state !== 'draft';
      drawDelete();
    },
  };
}
