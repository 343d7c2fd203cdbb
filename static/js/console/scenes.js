// The overlay tab's production cards (mounted by console/overlay.js): the cue
// (预备) and its take (上屏), the scenes (switch, cue, edit which widgets each
// shows, add, delete), and the host view's link with its rotation.
//
// The preview frame of the overlay tab draws the cue (?preview=1): cue, look,
// then take. Scenes switch with one click here or in the queue, or F1-F8 from
// any tab (console/rundown.js). Every change is one command; the cards draw the
// hub's state as it arrives, also what another moderator changed.

import { busy, copyRow, errorText, follow, h, setText } from './panel-kit.js';
import { WIDGETS, currentScene, hidesQuestions, layersOf, sceneId, scenesOf } from './production.js';
import { defaultPoll } from './overlay.js';

export function mountScenes(ctx) {
  const t = ctx.t;
  const fail = (err) => ctx.toast(errorText(ctx, err), 'error');
  const run = (button, type, fields, ok) => busy(button, async () => {
    const result = await ctx.send(type, fields);
    if (ok) ctx.toast(ok, 'ok');
    return result;
  }, fail); // prettier-ignore

  // --- the cue -------------------------------------------------------------------------
  const cueText = h('p', { className: 'cp-cue-now', attrs: { role: 'status' } });
  const take = h('button', { type: 'button', className: 'cp-btn cp-btn-primary cp-take', dataset: { action: 'take' },
    text: `${t('prod_cue_take')} (t)` }); // prettier-ignore
  const clear = h('button', { type: 'button', className: 'cp-btn cp-btn-small cp-btn-quiet', text: t('prod_cue_clear') });
  const warn = h('p', { className: 'cp-hint cp-scene-warn', attrs: { role: 'status' } });
  take.addEventListener('click', () => run(take, 'take', {}, t('prod_take_done')));
  clear.addEventListener('click', () => run(clear, 'cue.clear', {}));
  const cueCard = h('section', { className: 'cp-cue-box', attrs: { 'aria-labelledby': 'cp-cue-h' } },
    h('h3', { className: 'cp-title', id: 'cp-cue-h', text: t('prod_cue') }),
    h('p', { className: 'cp-hint', text: t('prod_preview_note') }),
    cueText, h('div', { className: 'cp-row' }, take, clear), warn); // prettier-ignore

  // --- the scenes ----------------------------------------------------------------------
  const pollSelect = h('select', { className: 'cp-input', attrs: { name: 'scene-poll', 'aria-label': t('prod_poll_pick') } });
  const list = h('ol', { className: 'cp-scene-list' });
  const addName = h('input', { className: 'cp-input', type: 'text', maxLength: 20, attrs: { 'aria-label': t('prod_scene_name') } });
  const add = h('button', { type: 'button', className: 'cp-btn cp-btn-small', text: t('prod_scene_new') });
  const sceneCard = h('section', { className: 'cp-card cp-scenes', attrs: { 'aria-labelledby': 'cp-scenes-h' } },
    h('h2', { className: 'cp-title', id: 'cp-scenes-h', text: t('prod_scenes') }),
    h('div', { className: 'cp-row' }, h('span', { text: t('prod_poll_pick') }), pollSelect),
    list, h('div', { className: 'cp-row' }, addName, add)); // prettier-ignore

  const chosenPoll = () => Number(pollSelect.value) || null;
  const sceneFields = (s) => {
    const fields = { scene: s.id };
    if (s.widgets.includes('poll') && chosenPoll()) fields.poll = chosenPoll();
    return fields;
  };
  add.addEventListener('click', () => {
    const name = addName.value.trim();
    if (!name) {
      addName.focus();
      return;
    }
    const id = sceneId(name, scenesOf(ctx.state.overlay).map((s) => s.id));
    run(add, 'scene.put', { scene: id, name, widgets: ['question'] }, t('prod_scene_saved', { name })).then(() => {
      addName.value = '';
    });
  });
  list.addEventListener('click', (event) => {
    const b = event.target.closest('button[data-act]');
    if (!b) return;
    const li = b.closest('.cp-scene');
    const s = scenesOf(ctx.state.overlay).find((x) => x.id === li.dataset.scene);
    if (!s) return;
    if (b.dataset.act === 'switch') run(b, 'scene', sceneFields(s), t('prod_scene_done', { name: s.name }));
    if (b.dataset.act === 'cue') run(b, 'cue', sceneFields(s), t('prod_cue_done'));
    if (b.dataset.act === 'delete' && globalThis.confirm(t('prod_scene_delete_confirm', { name: s.name }))) {
      run(b, 'scene.delete', { scene: s.id });
    }
    if (b.dataset.act === 'save') {
      const name = li.querySelector('input[type=text]').value.trim() || s.name;
      const widgets = [...li.querySelectorAll('input[type=checkbox]:checked')].map((c) => c.value);
      run(b, 'scene.put', { scene: s.id, name, widgets }, t('prod_scene_saved', { name }));
    }
  });

  // --- the host view -------------------------------------------------------------------
  const hostRow = copyRow(ctx, t('prod_host'), { open: true });
  // Not one of the overlay URLs (.cp-url): a link of its own, for the host's tablet.
  hostRow.input.classList.replace('cp-url', 'cp-host-url');
  const hostButton = h('button', { type: 'button', className: 'cp-btn cp-btn-small', text: t('prod_host_make') });
  const hostCard = h('section', { className: 'cp-card cp-host', attrs: { 'aria-labelledby': 'cp-host-h' } },
    h('h2', { className: 'cp-title', id: 'cp-host-h', text: t('prod_host') }),
    h('p', { className: 'cp-hint', text: t('prod_host_hint') }), hostRow.row, hostButton); // prettier-ignore
  const hostPath = `/api/broadcasts/${encodeURIComponent(ctx.bid)}/host-key`;
  const setHost = (res) => {
    hostRow.set(res?.link ?? '');
    setText(hostButton, t(res?.link ? 'prod_host_rotate' : 'prod_host_make'));
    hostButton.dataset.made = res?.link ? 'true' : 'false';
  };
  ctx.api('GET', hostPath).then(setHost, fail);
  hostButton.addEventListener('click', () => {
    if (hostButton.dataset.made === 'true' && !globalThis.confirm(t('prod_host_rotate_confirm'))) return;
    busy(hostButton, async () => {
      setHost(await ctx.api('POST', hostPath, {}));
      ctx.toast(t('prod_host_done'), 'ok');
    }, fail);
  });

  // --- the live state --------------------------------------------------------------------
  let drawn = '';
  const render = (state) => {
    const o = state?.overlay ?? {};
    const scenes = scenesOf(o);
    const cur = currentScene(o);
    const cue = o.cue ?? null;
    const what = [];
    if (cue) {
      const cs = scenes.find((s) => s.id === cue.scene);
      what.push(cs ? cs.name : (cue.layers ?? []).map((w) => t(`prod_widget_${w}`)).join('、'));
      if (cue.qid != null) what.push(t('prod_cue_question', { id: cue.qid }));
      if (cue.poll != null && (cue.layers ?? []).includes('poll')) what.push(`${t('prod_poll_pick')} #${cue.poll}`);
    }
    setText(cueText, cue ? t('prod_cue_what', { what: what.join(' · ') }) : t('prod_cue_none'));
    take.disabled = !cue;
    clear.disabled = !cue;
    // The cue (or, without one, the air) leaves the question out: say so by the take.
    const look = cue ? { layers: cue.layers } : o;
    setText(warn, hidesQuestions(look) ? t('prod_scene_hides_q') : '');
    const polls = [...(state?.polls?.values?.() ?? [])].filter((p) => p.state !== 'draft');
    polls.sort((a, b) => b.id - a.id);
    const psig = JSON.stringify(polls.map((p) => [p.id, p.state, p.question]));
    if (pollSelect.dataset.sig !== psig) {
      const keep = pollSelect.value;
      pollSelect.dataset.sig = psig;
      pollSelect.replaceChildren(h('option', { value: '', text: '—' }),
        ...polls.map((p) => h('option', { value: String(p.id), text: `#${p.id} ${String(p.question ?? '')}` }))); // prettier-ignore
      const want = keep || defaultPoll(polls, o);
      pollSelect.value = want == null ? '' : String(want);
    }
    const sig = JSON.stringify([scenes, cur?.id, layersOf(o), ctx.lang()]);
    if (sig === drawn) return;
    drawn = sig;
    list.replaceChildren(...scenes.map((s) => {
      const name = h('input', { className: 'cp-input', type: 'text', value: s.name, maxLength: 20,
        attrs: { 'aria-label': t('prod_scene_name') } }); // prettier-ignore
      const boxes = WIDGETS.map((w) => h('label', {},
        h('input', { type: 'checkbox', value: w, checked: s.widgets.includes(w) }), t(`prod_widget_${w}`))); // prettier-ignore
      return h('li', { className: 'cp-scene', dataset: { scene: s.id, current: String(cur?.id === s.id) } },
        h('div', { className: 'cp-scene-head' }, name,
          h('button', { type: 'button', className: 'cp-btn cp-btn-small cp-btn-primary', dataset: { act: 'switch' }, text: t('prod_scene_switch') }),
          h('button', { type: 'button', className: 'cp-btn cp-btn-small', dataset: { act: 'cue' }, text: t('prod_scene_cue') })),
        h('div', { className: 'cp-scene-widgets' }, boxes),
        h('div', { className: 'cp-row' },
          h('button', { type: 'button', className: 'cp-btn cp-btn-small', dataset: { act: 'save' }, text: t('prod_scene_save') }),
          h('button', { type: 'button', className: 'cp-btn cp-btn-small cp-btn-quiet', dataset: { act: 'delete' }, text: t('prod_scene_delete') }))); // prettier-ignore
    }));
  };
  const live = follow(ctx, render);
  return { cards: [cueCard, sceneCard, hostCard], unmount: () => live.unsubscribe() };
}
