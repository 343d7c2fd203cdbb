// The console's 会后办理 panel: what happens to the questions after the show.
// Triage (one disposition per question: answered live with a note, 转办 to a
// department, not adopted with a reason, forward later), the office's review
// of replies (publish, corrected or not, or return), dissatisfied ratings
// (reopen once, or close), extension requests (grant or refuse), entering a
// question from the hotline, a letter..., and the figures. The count of
// questions left to settle is always shown.
//
// Reads GET /api/broadcasts/<bid>/followup (refreshed on followup and
// question events while the tab is shown, and when it is shown); writes are the protocol's fu.* / q.enter commands over the
// console's socket (ctx.send). Text only: h() sets text, never markup.

import { busy, errorText, field, h, mountWithLang } from './panel-kit.js';
import { setLang, t as ft } from '../shared/followup-i18n.js';
import { FIGURES, QTYPES, SOURCES, cell, dueClass, stateKey } from '../shared/followup-model.js';

const TRIAGE = ['answer_live', 'not_adopt', 'hold'];

/** The groups of the panel, pure (node --test): which item needs what. */
export function groups(items) {
  const out = { triage: [], forward: [], review: [], unhappy: [], extension: [], open: [], done: [] };
  for (const item of items ?? []) {
    const state = item.fu?.state ?? 'none';
    if (item.needs_triage) out.triage.push(item);
    else if (state === 'to_assign') out.forward.push(item);
    else if (state === 'replied') out.review.push(item);
    else if (state === 'published' && item.fu.rating === 'dissatisfied') out.unhappy.push(item);
    else if (item.fu?.ext_state === 'requested') out.extension.push(item);
    else if (state === 'assigned' || state === 'accepted' || state === 'published') out.open.push(item);
    else if (state !== 'none') out.done.push(item);
  }
  return out;
}

export function mount(el, ctx) {
  return mountWithLang(el, ctx, build);
}

function build(el, ctx) {
  setLang(ctx.lang(), null);
  let data = null;
  const left = h('p', { className: 'cp-hint', attrs: { role: 'status' } });
  const figures = h('div', { className: 'cp-row' });
  const lists = h('div');
  const enter = enterForm(ctx, () => reload());
  el.replaceChildren(h('h2', { className: 'cp-title', text: ft('panel_title') }), left, figures, lists, enter);

  // The list holds every question of the broadcast (5,000 in a big one): it
  // is fetched and drawn only while the tab is shown, at most one request at
  // a time (a change meanwhile asks for one more); a hidden tab only notes
  // that it is stale and catches up when shown (docs/performance.md).
  let loading = null;
  let again = false;
  let stale = false;
  function reload() {
    if (el.hidden) {
      stale = true;
      return loading ?? Promise.resolve();
    }
    stale = false;
    if (loading) {
      again = true;
      return loading;
    }
    loading = fetchAndRender().finally(() => {
      loading = null;
      if (again) {
        again = false;
        reload();
      }
    });
    return loading;
  }

  async function fetchAndRender() {
    try {
      data = await ctx.api('GET', `/api/broadcasts/${encodeURIComponent(ctx.bid)}/followup`);
    } catch (err) {
      left.textContent = errorText(ctx, err);
      return;
    }
    render();
  }

  function deptName(id) {
    return data?.departments?.[id]?.short || id || '';
  }

  async function run(button, type, fields) {
    await busy(button, async () => {
      try {
        await ctx.send(type, fields);
      } catch (err) {
        ctx.toast?.(errorText(ctx, err));
      }
    });
    await reload();
  }

  function row(item, actions) {
    const q = item.q;
    const meta = h('p', { className: 'cp-hint' },
      h('span', { className: 'fu-pill', text: ft(stateKey(item.fu?.state)) }),
      ` #${q.id} · ${ft(`source_${q.source}`)}`,
      q.tag ? ` · ${q.tag}` : '',
      item.fu?.dept ? ` · ${deptName(item.fu.dept)}` : '',
      item.fu?.due ? h('span', { className: `fu-due ${dueClass(item.level)}`, text: ` ${ft('due_label')} ${item.fu.due}` }) : '',
      q.code ? ` · ${ft('code_label')} ${q.code}` : '');
    const box = h('li', { className: 'fu-item', dataset: { qid: q.id } }, h('p', { className: 'fu-text', text: q.text }), meta);
    if (item.fu?.draft && item.fu.state === 'replied') box.append(h('p', { className: 'fu-reply', text: item.fu.draft }));
    if (item.fu?.reply && item.fu.state !== 'replied') box.append(h('p', { className: 'fu-reply', text: item.fu.reply }));
    if (item.fu?.rating_comment) box.append(h('p', { className: 'cp-hint', text: `${ft(`rating_${item.fu.rating}`)}：${item.fu.rating_comment}` }));
    if (item.fu?.ext_state === 'requested') box.append(h('p', { className: 'cp-hint', text: `${ft('office_ext_requested')}：${item.fu.ext_due} · ${item.fu.ext_reason ?? ''}` }));
    if (item.fu?.reason && item.fu.state === 'to_assign') box.append(h('p', { className: 'cp-hint', text: `${ft('reason_label')}：${item.fu.reason}` }));
    box.append(h('div', { className: 'cp-row fu-actions' }, ...actions));
    return box;
  }

  function forwardControls(item) {
    const dept = h('select', { attrs: { 'aria-label': ft('dept_label') } },
      ...Object.keys(data.departments ?? {}).map((id) => h('option', { value: id, text: deptName(id) })));
    const qtype = h('select', { attrs: { 'aria-label': ft('qtype_label') } },
      ...QTYPES.map((q) => h('option', { value: q, text: ft(`qtype_${q}`) })));
    const go = h('button', { type: 'button', className: 'cp-btn primary', text: ft('act_forward') });
    go.addEventListener('click', () => run(go, 'fu.assign', { qid: item.q.id, dept: dept.value, qtype: qtype.value }));
    return [dept, qtype, go];
  }

  function triageControls(item) {
    const text = h('input', { type: 'text', maxLength: 200, attrs: { 'aria-label': ft('note_label'), placeholder: ft('note_label') } });
    const buttons = TRIAGE.map((action) => {
      const b = h('button', { type: 'button', className: 'cp-btn', text: ft(`act_${action}`), dataset: { action } });
      b.addEventListener('click', () => run(b, 'fu.triage', { qid: item.q.id, action, text: text.value || null, expect: 'none' }));
      return b;
    });
    const to = h('input', { type: 'text', maxLength: 32, attrs: { 'aria-label': ft('act_carry'), placeholder: ft('act_carry') } });
    const carry = h('button', { type: 'button', className: 'cp-btn', text: ft('act_carry') });
    carry.addEventListener('click', () => run(carry, 'q.carry', { qid: item.q.id, to: to.value.trim() }));
    return [...forwardControls(item), text, ...buttons, to, carry];
  }

  function simple(label, type, fields) {
    const b = h('button', { type: 'button', className: 'cp-btn', text: ft(label) });
    b.addEventListener('click', () => run(b, type, fields()));
    return b;
  }

  function render() {
    const g = groups(data.items);
    left.textContent = data.left ? ft('panel_left', { n: data.left }) : ft('panel_left_none');
    const total = data.figures.total;
    figures.replaceChildren(...FIGURES.map((f) => h('span', { className: 'fu-figure', text: `${ft(`fig_${f}`)} ${cell(total, f)}` })));
    const section = (title, items, actions) => items.length
      ? h('section', { className: 'fu-group' }, h('h3', { className: 'cp-subtitle', text: `${title} (${items.length})` }),
        h('ul', { className: 'fu-list' }, ...items.map((item) => row(item, actions(item)))))
      : null;
    lists.replaceChildren(...[
      section(ft('fu_none'), g.triage, triageControls),
      section(ft('fu_to_assign'), g.forward, (item) => [...forwardControls(item),
        simple('act_not_adopt', 'fu.triage', () => ({ qid: item.q.id, action: 'not_adopt', text: ft('fu_not_adopted') }))]),
      section(ft('fu_replied'), g.review, (item) => {
        const text = h('textarea', { value: item.fu.draft ?? '', attrs: { 'aria-label': ft('reply_label') } });
        return [text, simple('act_publish', 'fu.review', () => ({ qid: item.q.id, action: 'publish', text: text.value !== item.fu.draft ? text.value : null })),
          simple('act_return', 'fu.review', () => ({ qid: item.q.id, action: 'return', text: text.value === item.fu.draft ? ft('act_return') : text.value }))];
      }),
      section(ft('rating_dissatisfied'), g.unhappy, (item) => [
        ...(item.fu.reopened ? [] : [simple('act_reopen', 'fu.reopen', () => ({ qid: item.q.id }))]),
        simple('act_close', 'fu.close', () => ({ qid: item.q.id }))]),
      section(ft('office_extension'), g.extension, (item) => [
        simple('act_grant', 'fu.ext', () => ({ qid: item.q.id, action: 'grant' })),
        simple('act_refuse', 'fu.ext', () => ({ qid: item.q.id, action: 'refuse' }))]),
      section(ft('fu_accepted'), g.open, () => []),
      section(ft('fu_closed'), g.done, () => []),
    ].filter(Boolean));
  }

  const unsubscribe = ctx.subscribe((_state, kinds) => {
    if (!(kinds instanceof Set)) return;
    if (kinds.has('question') || kinds.has('followup') || (kinds.has('tab') && stale)) reload();
  });
  reload();
  return { unmount: unsubscribe };
}

function enterForm(ctx, done) {
  const text = h('textarea', { maxLength: 300 });
  const source = h('select', {}, ...SOURCES.filter((s) => s !== 'phone').map((s) => h('option', { value: s, text: ft(`source_${s}`) })));
  const name = h('input', { type: 'text', maxLength: 24 });
  const contact = h('input', { type: 'text', maxLength: 100 });
  const go = h('button', { type: 'submit', className: 'cp-btn primary', text: ft('act_enter') });
  const form = h('form', { className: 'fu-enter' }, h('h3', { className: 'cp-subtitle', text: ft('act_enter') }),
    field(ft('enter_source'), source), field(ft('act_enter'), text), field(ft('enter_name'), name),
    field(ft('enter_contact'), contact), go);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await busy(go, async () => {
      try {
        await ctx.send('q.enter', { text: text.value, source: source.value, name: name.value || null, contact: contact.value || null });
        text.value = '';
        contact.value = '';
      } catch (err) {
        ctx.toast?.(errorText(ctx, err));
      }
    });
    done();
  });
  return form;
}
