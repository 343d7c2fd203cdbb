// The queue's production box (top of its side column): the scenes, one click
// each (F1-F8 from any tab), what is cued with its take (t), and the run-down,
// the ordered "next up" list every moderator shares. The run-down is built
// from the queue (p adds or removes the selected question), reordered with the
// buttons, by drag and drop or with [ and ], and n puts its next question on
// air from any tab. Every change is one command naming the question and its
// new neighbour (console/production.js), so consoles editing at once converge;
// the list drawn is always the hub's (nothing changes locally first).

import { el, setText } from '../shared/dom.js';
import {
  SCENE_KEYS, currentScene, hidesQuestions, moveBy, moveTo, rundownIds, scenesOf,
} from './production.js'; // prettier-ignore

function btn(label, act, data = {}, cls = 'c-btn c-btn-small') {
  const b = el('button', cls, label);
  b.type = 'button';
  b.dataset.act = act;
  for (const [k, v] of Object.entries(data)) b.dataset[k] = String(v);
  return b;
}

function clip(text, max) {
  const chars = Array.from(String(text ?? '').replace(/\s+/g, ' ').trim());
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * @param ctx the console's ctx
 * @param {() => number|null} selected the queue's selected question id
 * @returns {{node: HTMLElement, redraw: () => void}}
 */
export function mountProduction(ctx, selected) {
  const { t } = ctx;
  const node = el('section', 'qs-box qs-production');
  node.setAttribute('aria-label', t('prod_scenes'));
  let drawn = '';
  let dragging = null;

  const errorText = (err) => {
    if (err?.code === 'conflict' && String(err.message ?? '').includes('run-down')) return t('prod_rundown_conflict');
    return err?.message ?? String(err?.code ?? err);
  };
  const send = async (type, fields, ok) => {
    try {
      const result = await ctx.send(type, fields);
      if (ok) ctx.toast(ok(result), 'ok');
      return result;
    } catch (err) {
      ctx.toast(errorText(err), 'error');
      return null;
    }
  };

  const scene = (id) => {
    const s = scenesOf(ctx.state.overlay).find((x) => x.id === id);
    if (!s) return;
    // A scene with a poll shows the poll on air, else the newest open one.
    const fields = { scene: id };
    if (s.widgets.includes('poll') && ctx.state.overlay.poll == null) {
      const open = [...ctx.state.polls.values()].filter((p) => p.state === 'open').sort((a, b) => b.id - a.id);
      if (open.length) fields.poll = open[0].id;
    }
    send('scene', fields, () => t('prod_scene_done', { name: s.name }));
  };
  const take = () => send('take', {}, () => t('prod_take_done'));
  const clearCue = () => send('cue.clear', {});
  const next = () => send('rundown.next', {}, (r) => t('prod_rundown_next_done', { id: r.qid }));
  const move = (fields) => fields && send('rundown.move', fields);
  const toggle = (qid) => {
    if (qid == null) return;
    const items = rundownIds(ctx.state.overlay);
    if (items.includes(qid)) send('rundown.remove', { qid });
    else send('rundown.add', { qid });
  };

  function draw() {
    const model = ctx.state;
    const o = model.overlay ?? {};
    const items = rundownIds(o);
    const sel = selected();
    const qs = items.map((id) => model.questions.get(id));
    const sig = JSON.stringify([o.scene, o.layers, scenesOf(o), o.cue, items, sel, ctx.lang(),
      qs.map((q) => q && [q.status, q.text, q.votes])]); // prettier-ignore
    if (sig === drawn) return;
    drawn = sig;
    const parts = [];

    // Scenes
    const cur = currentScene(o);
    const head = el('h2', 'qs-h', t('prod_scenes'));
    const strip = el('div', 'qs-scenes');
    strip.setAttribute('role', 'group');
    strip.setAttribute('aria-label', t('prod_scenes'));
    scenesOf(o).forEach((s, i) => {
      const b = btn(s.name, 'scene', { scene: s.id }, 'c-btn c-btn-small qs-scene');
      b.setAttribute('aria-pressed', String(cur?.id === s.id));
      if (SCENE_KEYS[i]) b.title = `${s.name} (${SCENE_KEYS[i]})`;
      strip.append(b);
    });
    parts.push(head, strip);
    if (!cur) parts.push(el('p', 'qs-empty', t('prod_scene_custom')));
    if (hidesQuestions(o)) {
      const warn = el('p', 'qs-scene-warn', t('prod_scene_hides_q'));
      warn.setAttribute('role', 'status');
      parts.push(warn);
    }

    // The cue
    if (o.cue) {
      const what = [];
      const cs = scenesOf(o).find((s) => s.id === o.cue.scene);
      if (cs) what.push(cs.name);
      if (o.cue.qid != null) what.push(t('prod_cue_question', { id: o.cue.qid }));
      const row = el('div', 'qs-cue');
      row.append(el('span', 'qs-cue-what', t('prod_cue_what', { what: what.join(' · ') || '—' })),
        btn(`${t('prod_cue_take')} (t)`, 'take', {}, 'c-btn c-btn-small c-btn-primary'),
        btn(t('prod_cue_clear'), 'clear-cue')); // prettier-ignore
      parts.push(row);
    }

    // The run-down
    const rh = el('h2', 'qs-h', t('prod_rundown', { n: items.length }));
    parts.push(rh);
    if (!items.length) parts.push(el('p', 'qs-empty', t('prod_rundown_empty')));
    const list = el('ol', 'qs-rundown');
    items.forEach((id, i) => {
      const q = model.questions.get(id);
      const li = el('li', 'qs-rd-item');
      li.dataset.qid = String(id);
      li.draggable = true;
      if (id === sel) li.setAttribute('aria-current', 'true');
      const waiting = q?.status === 'approved';
      if (!waiting) li.dataset.stale = 'true';
      li.append(el('span', 'qs-rd-n', String(i + 1)),
        el('span', 'qs-rd-text', `#${id} ${clip(q?.text ?? '', 48)}${waiting ? '' : ` ${t('prod_rundown_waiting')}`}`),
        btn('↑', 'rd-up', { qid: id }, 'c-btn c-btn-small c-btn-quiet'),
        btn('↓', 'rd-down', { qid: id }, 'c-btn c-btn-small c-btn-quiet'),
        btn('✕', 'rd-remove', { qid: id }, 'c-btn c-btn-small c-btn-quiet')); // prettier-ignore
      li.querySelector('[data-act="rd-up"]').setAttribute('aria-label', t('prod_rundown_up'));
      li.querySelector('[data-act="rd-down"]').setAttribute('aria-label', t('prod_rundown_down'));
      li.querySelector('[data-act="rd-remove"]').setAttribute('aria-label', t('prod_rundown_remove'));
      list.append(li);
    });
    parts.push(list);
    const row = el('div', 'qs-actions');
    const selQ = sel == null ? undefined : model.questions.get(sel);
    if (selQ && selQ.status === 'approved' && !items.includes(sel)) {
      row.append(btn(`${t('prod_rundown_add', { id: sel })} (p)`, 'rd-add', { qid: sel }));
    }
    if (items.length) row.append(btn(`${t('prod_rundown_next')} (n)`, 'rd-next', {}, 'c-btn c-btn-small c-btn-primary'));
    parts.push(row);
    node.replaceChildren(...parts);
  }

  node.addEventListener('click', (event) => {
    const b = event.target.closest('button[data-act]');
    if (!b) return;
    const qid = Number(b.dataset.qid);
    const items = rundownIds(ctx.state.overlay);
    switch (b.dataset.act) {
      case 'scene': scene(b.dataset.scene); break;
      case 'take': take(); break;
      case 'clear-cue': clearCue(); break;
      case 'rd-next': next(); break;
      case 'rd-add': send('rundown.add', { qid }); break;
      case 'rd-remove': send('rundown.remove', { qid }); break;
      case 'rd-up': move(moveBy(items, qid, -1)); break;
      case 'rd-down': move(moveBy(items, qid, 1)); break;
      default:
    }
  });
  // Drag and drop: dropped on an item, the dragged one takes its place.
  node.addEventListener('dragstart', (event) => {
    const li = event.target.closest?.('.qs-rd-item');
    if (!li) return;
    dragging = Number(li.dataset.qid);
    event.dataTransfer?.setData('text/plain', li.dataset.qid);
  });
  node.addEventListener('dragover', (event) => {
    if (dragging !== null && event.target.closest?.('.qs-rd-item')) event.preventDefault();
  });
  node.addEventListener('drop', (event) => {
    const li = event.target.closest?.('.qs-rd-item');
    if (!li || dragging === null) return;
    event.preventDefault();
    const items = rundownIds(ctx.state.overlay);
    move(moveTo(items, dragging, items.indexOf(Number(li.dataset.qid))));
    dragging = null;
  });
  node.addEventListener('dragend', () => {
    dragging = null;
  });

  // Keys: the run-down's in the queue (they act on the selected question), the
  // scenes, take and next from any tab (the kill switch x stays the shell's).
  const queueKey = (key, label, fn) => ctx.keys.register(key, () => t(label), fn, { panel: 'queue' });
  queueKey('p', 'prod_rundown_key_toggle', () => toggle(selected()));
  queueKey('[', 'prod_rundown_key_up', () => move(moveBy(rundownIds(ctx.state.overlay), selected(), -1)));
  queueKey(']', 'prod_rundown_key_down', () => move(moveBy(rundownIds(ctx.state.overlay), selected(), 1)));
  queueKey('c', 'prod_cue_key', () => {
    const qid = selected();
    if (qid != null) send('cue', { qid }, () => t('prod_cue_done'));
  });
  ctx.keys.register('n', () => t('prod_rundown_key_next'), next);
  ctx.keys.register('t', () => t('prod_take_key'), take);
  ctx.keys.register('C', () => t('prod_clear_key'), clearCue);
  SCENE_KEYS.forEach((key, i) => ctx.keys.register(key, () => t('prod_scene_key', { n: i + 1 }), () => {
    const s = scenesOf(ctx.state.overlay)[i];
    if (s) scene(s.id);
  })); // prettier-ignore

  draw();
  return { node, redraw: draw };
}
