// The console's 设置 Broadcast panel: the broadcast's state (go live, end), its
// details and settings (bc.update), the viewer link, join code and QR code, and
// rehearsal (fill with sample data, clear it again; draft only).
//
// bc.update sends only what this moderator changed: settings are a patch on
// the hub, so two moderators editing different fields do not undo each other.
// While the form has unsaved edits, a change made elsewhere is announced
// instead of overwriting what is being typed.

import { busy, copyRow, errorText, field, follow, h, mountWithLang, setText } from './panel-kit.js';
import { charCount } from '../shared/format.js';

import {
  MAX_LEN_RANGE,
  MAX_TAGS as TAGS_MAX,
  TAG_MAX_LEN as TAG_MAX,
  TITLE_MAX_LEN as TITLE_MAX,
  TOPIC_MAX_LEN as TOPIC_MAX,
} from '../shared/contract.js';

// server/domain/broadcast.py's limits, through the generated contract.
export { MAX_LEN_RANGE, TAG_MAX, TAGS_MAX, TITLE_MAX, TOPIC_MAX };

// --- pure helpers (node --test) --------------------------------------------------------

/** Tags typed one per line or separated by commas (，, 、); blanks dropped. */
export function parseTags(text) {
  const tags = [];
  const errors = [];
  for (const raw of String(text ?? '').split(/[\n\r,，、;；]+/)) {
    const tag = raw.normalize('NFC').replace(/\s+/g, ' ').trim();
    if (!tag) continue;
    if (charCount(tag) > TAG_MAX) errors.push({ key: 'settings_err_tag_long', vars: { tag, max: TAG_MAX } });
    else if (tags.includes(tag)) errors.push({ key: 'settings_err_tag_twice', vars: { tag } });
    else tags.push(tag);
  }
  if (tags.length > TAGS_MAX) errors.push({ key: 'settings_err_tags_many', vars: { max: TAGS_MAX } });
  return { tags, errors };
}

const pad = (n) => String(n).padStart(2, '0');

/** Unix ms -> the value of an <input type="datetime-local"> (local time), '' for none. */
export function toLocalInput(ms) {
  if (ms == null || !Number.isFinite(Number(ms))) return '';
  const d = new Date(Number(ms));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of a datetime-local input (local time) -> Unix ms, or null when empty or bad. */
export function fromLocalInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(String(value ?? ''));
  if (!m) return null;
  const d = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0));
  return Number.isNaN(d.getTime()) ? null : d.getTime();
}

/**
 * The bc.update fields for what changed between the broadcast `b` and the form
 * `values` {title, topic, scheduled, moderation, max_len, tags, show_names}.
 * Returns {ok, fields, errors}; `fields` is {} when nothing changed.
 */
export function settingsPatch(b, values) {
  const errors = [];
  const fields = {};
  const title = String(values.title ?? '').normalize('NFC').replace(/\s+/g, ' ').trim();
  if (!title) errors.push({ key: 'settings_err_title_empty', vars: {} });
  else if (charCount(title) > TITLE_MAX) errors.push({ key: 'settings_err_title_long', vars: { max: TITLE_MAX } });
  else if (title !== b.title) fields.title = title;
  const topic = String(values.topic ?? '').normalize('NFC').replace(/\s+/g, ' ').trim();
  if (charCount(topic) > TOPIC_MAX) errors.push({ key: 'settings_err_topic_long', vars: { max: TOPIC_MAX } });
  else if (topic !== (b.topic ?? '')) fields.topic = topic;

  const old = b.settings ?? {};
  const settings = {};
  for (const k of ['moderation', 'show_names']) {
    if (Boolean(values[k]) !== Boolean(old[k])) settings[k] = Boolean(values[k]);
  }
  const maxLen = Number(values.max_len);
  const [lo, hi] = MAX_LEN_RANGE;
  if (!Number.isInteger(maxLen) || maxLen < lo || maxLen > hi) {
    errors.push({ key: 'settings_err_max_len', vars: { lo, hi } });
  } else if (maxLen !== old.max_len) settings.max_len = maxLen;
  const tags = parseTags(values.tags);
  errors.push(...tags.errors);
  if (JSON.stringify(tags.tags) !== JSON.stringify(old.tags ?? [])) settings.tags = tags.tags;
  if (Object.keys(settings).length) fields.settings = settings;

  const scheduled = values.scheduled === '' || values.scheduled == null ? null : fromLocalInput(values.scheduled);
  if (values.scheduled && scheduled === null) errors.push({ key: 'settings_err_scheduled', vars: {} });
  // Compared at minute precision: the input has no seconds.
  const oldMinute = b.scheduled == null ? null : Math.floor(Number(b.scheduled) / 60_000);
  const newMinute = scheduled === null ? null : Math.floor(scheduled / 60_000);
  if (!errors.some((e) => e.key === 'settings_err_scheduled') && oldMinute !== newMinute) fields.scheduled = scheduled;
  return { ok: errors.length === 0, fields, errors };
}

// --- the panel -------------------------------------------------------------------------

export function mount(el, ctx) {
  return mountWithLang(el, ctx, build);
}

function build(el, ctx, kept) {
  const t = ctx.t;
  const bidPath = `/api/broadcasts/${encodeURIComponent(ctx.bid)}`;
  el.classList.add('cp-panel', 'cp-settings');

  // State: go live / end
  const stateBadge = h('span', { className: 'cp-badge cp-badge-big' });
  const goLive = h('button', { type: 'button', className: 'cp-btn cp-btn-primary', text: t('settings_go_live') });
  const end = h('button', { type: 'button', className: 'cp-btn cp-btn-danger', text: t('settings_end') });
  const stateNote = h('p', { className: 'cp-hint' });

  // Details and settings
  const title = h('input', { type: 'text', className: 'cp-input', maxLength: TITLE_MAX * 2, attrs: { name: 'title' } });
  const topic = h('textarea', { className: 'cp-input', rows: 2, maxLength: TOPIC_MAX * 2, attrs: { name: 'topic' } });
  const scheduled = h('input', { type: 'datetime-local', className: 'cp-input', attrs: { name: 'scheduled' } });
  const clearScheduled = h('button', { type: 'button', className: 'cp-btn cp-btn-small cp-btn-quiet', text: t('settings_scheduled_clear') });
  const moderation = h('input', { type: 'checkbox', attrs: { name: 'moderation' } });
  const maxLen = h('input', { type: 'number', className: 'cp-input cp-input-num', min: MAX_LEN_RANGE[0], max: MAX_LEN_RANGE[1], step: 1, attrs: { name: 'max_len' } });
  const tags = h('textarea', { className: 'cp-input', rows: 3, attrs: { name: 'tags', placeholder: t('settings_tags_ph') } });
  const showNames = h('input', { type: 'checkbox', attrs: { name: 'show_names' } });
  const errors = h('ul', { className: 'cp-errors', attrs: { role: 'alert' } });
  const save = h('button', { type: 'submit', className: 'cp-btn cp-btn-primary', text: t('settings_save') });
  const revert = h('button', { type: 'button', className: 'cp-btn cp-btn-quiet', text: t('settings_revert') });
  const dirtyNote = h('p', { className: 'cp-hint cp-dirty', attrs: { role: 'status' } });
  const form = h('form', { className: 'cp-card cp-settings-form', noValidate: true, attrs: { 'aria-labelledby': 'cp-set-h' } },
    h('h2', { className: 'cp-title', id: 'cp-set-h', text: t('settings_title') }),
    field(t('settings_f_title'), title),
    field(t('settings_f_topic'), topic),
    h('div', { className: 'cp-field' },
      h('label', { text: t('settings_f_scheduled'), attrs: { for: (scheduled.id = 'cp-set-scheduled') } }),
      h('div', { className: 'cp-row' }, scheduled, clearScheduled)),
    h('label', { className: 'cp-check' }, moderation, t('settings_f_moderation')),
    h('p', { className: 'cp-hint', text: t('settings_moderation_hint') }),
    field(t('settings_f_max_len'), maxLen, t('settings_max_len_hint', { lo: MAX_LEN_RANGE[0], hi: MAX_LEN_RANGE[1] })),
    field(t('settings_f_tags'), tags, t('settings_tags_hint', { n: TAGS_MAX, max: TAG_MAX })),
    h('label', { className: 'cp-check' }, showNames, t('settings_f_show_names')),
    errors,
    h('div', { className: 'cp-actions' }, save, revert, dirtyNote));

  // Links
  const viewer = copyRow(ctx, t('settings_viewer_link'), { open: true });
  const join = copyRow(ctx, t('settings_join_link'));
  const joinCode = h('p', { className: 'cp-join-code' });
  const qr = h('img', { className: 'cp-qr', alt: t('settings_qr_alt'), width: 180, height: 180 });
  const qrLink = h('a', { className: 'cp-btn cp-btn-small', text: t('settings_qr_download'),
    attrs: { download: `qr-${ctx.bid}.svg` } });
  const linksNote = h('p', { className: 'cp-hint', attrs: { role: 'status' } });

  // Rehearsal
  const rehearsalState = h('p', { className: 'cp-rehearsal-state' });
  const fill = h('button', { type: 'button', className: 'cp-btn', text: t('settings_rehearsal_fill') });
  const clear = h('button', { type: 'button', className: 'cp-btn cp-btn-danger', text: t('settings_rehearsal_clear') });
  const rehearsalNote = h('p', { className: 'cp-hint', attrs: { role: 'status' } });

  el.replaceChildren(h('div', { className: 'cp-cols' },
    h('div', { className: 'cp-stack' },
      h('section', { className: 'cp-card cp-state-card', attrs: { 'aria-labelledby': 'cp-state-h' } },
        h('h2', { className: 'cp-title', id: 'cp-state-h' }, t('settings_state'), ' ', stateBadge),
        h('div', { className: 'cp-actions' }, goLive, end), stateNote),
      form),
    h('div', { className: 'cp-stack' },
      h('section', { className: 'cp-card cp-links', attrs: { 'aria-labelledby': 'cp-links-h' } },
        h('h2', { className: 'cp-title', id: 'cp-links-h', text: t('settings_links') }),
        viewer.row, join.row,
        h('div', { className: 'cp-qr-row' },
          h('figure', { className: 'cp-qr-fig' }, qr),
          h('div', {}, h('p', { className: 'cp-hint', text: t('settings_join_code') }), joinCode, qrLink)),
        linksNote),
      h('section', { className: 'cp-card cp-rehearsal', attrs: { 'aria-labelledby': 'cp-reh-h' } },
        h('h2', { className: 'cp-title', id: 'cp-reh-h', text: t('settings_rehearsal') }),
        h('p', { className: 'cp-hint', text: t('settings_rehearsal_hint') }),
        rehearsalState,
        h('div', { className: 'cp-actions' }, fill, clear),
        rehearsalNote))));

  let b = {};
  let dirty = false;
  let staleFromElsewhere = false;

  const fillForm = () => {
    title.value = b.title ?? '';
    topic.value = b.topic ?? '';
    scheduled.value = toLocalInput(b.scheduled);
    const s = b.settings ?? {};
    moderation.checked = s.moderation !== false;
    maxLen.value = s.max_len ?? '';
    tags.value = (s.tags ?? []).join('\n');
    showNames.checked = s.show_names !== false;
    dirty = false;
    staleFromElsewhere = false;
    errors.replaceChildren();
    drawDirty();
  };
  const drawDirty = () => {
    setText(dirtyNote, staleFromElsewhere ? t('settings_changed_elsewhere') : dirty ? t('settings_unsaved') : '');
    revert.hidden = !dirty && !staleFromElsewhere;
  };
  form.addEventListener('input', () => {
    dirty = true;
    drawDirty();
  });
  clearScheduled.addEventListener('click', () => {
    scheduled.value = '';
    dirty = true;
    drawDirty();
  });
  revert.addEventListener('click', fillForm);

  // What the form shows of a broadcast (its state and rehearsal flag are not in the form).
  const formKey = (x) => JSON.stringify([x.title, x.topic, x.scheduled, x.settings]);
  const render = (state) => {
    const next = state?.broadcast ?? {};
    const changed = formKey(next) !== formKey(b);
    b = next;
    if (changed) {
      if (!dirty) fillForm();
      else {
        staleFromElsewhere = true;
        drawDirty();
      }
    }
    const st = ['draft', 'live', 'ended'].includes(b.state) ? b.state : 'draft';
    setText(stateBadge, t(`settings_state_${st}`));
    stateBadge.dataset.state = st;
    const rehearsal = b.rehearsal === true;
    // An ended show may go live again (docs/console.md, "Ending the show").
    goLive.hidden = st === 'live';
    goLive.disabled = rehearsal;
    setText(goLive, t(st === 'ended' ? 'settings_go_live_again' : 'settings_go_live'));
    end.hidden = st === 'ended';
    setText(stateNote, rehearsal && st === 'draft' ? t('settings_live_needs_clear') : t(`settings_state_${st}_hint`));
    setText(rehearsalState, t(rehearsal ? 'settings_rehearsal_on' : 'settings_rehearsal_off'));
    rehearsalState.dataset.on = String(rehearsal);
    fill.disabled = st !== 'draft' || rehearsal;
    clear.disabled = st !== 'draft';
    if (st !== 'draft') setText(rehearsalNote, t('settings_rehearsal_draft_only'));
    else if (rehearsalNote.dataset.kind !== 'result') setText(rehearsalNote, '');
  };
  const live = follow(ctx, render);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const patch = settingsPatch(b, {
      title: title.value, topic: topic.value, scheduled: scheduled.value, moderation: moderation.checked,
      max_len: maxLen.value === '' ? NaN : Number(maxLen.value), tags: tags.value, show_names: showNames.checked,
    });
    errors.replaceChildren(...patch.errors.map((x) => h('li', { text: t(x.key, x.vars) })));
    if (!patch.ok) return;
    if (!Object.keys(patch.fields).length) {
      ctx.toast(t('settings_nothing'), 'info');
      fillForm();
      return;
    }
    busy(save, async () => {
      await ctx.send('bc.update', patch.fields);
      dirty = false;
      staleFromElsewhere = false;
      drawDirty();
      ctx.toast(t('settings_saved'), 'ok');
    }, (err) => {
      // A hub without `scheduled` in bc.update refuses the whole command.
      const text = err?.code === 'bad_field' && /scheduled/.test(err.message ?? '')
        ? t('settings_err_scheduled_unsupported') : errorText(ctx, err);
      errors.replaceChildren(h('li', { text }));
      ctx.toast(text, 'error');
    });
  });

  const changeState = (button, target) => {
    if (!globalThis.confirm(t(`settings_confirm_${target}`, { title: b.title ?? '' }))) return;
    busy(button, async () => {
      await ctx.send('bc.state', { state: target });
      ctx.toast(t(`settings_did_${target}`), 'ok');
    }, (err) => {
      const text = err?.code === 'conflict' && b.rehearsal ? t('settings_live_needs_clear') : errorText(ctx, err);
      setText(stateNote, text);
      ctx.toast(text, 'error');
    });
  };
  goLive.addEventListener('click', () => changeState(goLive, 'live'));
  end.addEventListener('click', () => changeState(end, 'ended'));

  const rehearse = (button, action) => {
    if (action === 'clear' && !globalThis.confirm(t('settings_rehearsal_confirm_clear'))) return;
    busy(button, async () => {
      const res = await ctx.api('POST', `${bidPath}/rehearsal`, { action });
      rehearsalNote.dataset.kind = 'result';
      const text = action === 'fill' ? t('settings_rehearsal_filled', { n: res?.questions ?? 0 }) : t('settings_rehearsal_cleared');
      setText(rehearsalNote, text);
      ctx.toast(text, 'ok');
    }, (err) => {
      rehearsalNote.dataset.kind = 'result';
      const text = errorText(ctx, err, t('settings_rehearsal'));
      setText(rehearsalNote, text);
      ctx.toast(text, 'error');
    });
  };
  fill.addEventListener('click', () => rehearse(fill, 'fill'));
  clear.addEventListener('click', () => rehearse(clear, 'clear'));

  (async () => {
    try {
      const res = await ctx.api('GET', bidPath);
      const links = res?.links ?? {};
      viewer.set(links.viewer ?? '');
      join.set(links.join ?? '');
      setText(joinCode, res?.join ?? '');
      const qrPath = `/qr/${encodeURIComponent(ctx.bid)}.svg`;
      qr.src = qrPath;
      qrLink.setAttribute('href', qrPath);
    } catch (err) {
      setText(linksNote, errorText(ctx, err));
    }
  })();

  // Unsaved edits survive a language switch (the panel is rebuilt).
  if (kept.form) {
    for (const [name, value] of Object.entries(kept.form)) {
      const input = form.elements.namedItem(name);
      if (input && input.type === 'checkbox') input.checked = value;
      else if (input) input.value = value;
    }
    dirty = true;
    drawDirty();
  }
  return {
    unmount: () => live.unsubscribe(),
    keep: () => (dirty
      ? { form: Object.fromEntries([title, topic, scheduled, moderation, maxLen, tags, showNames]
        .map((n) => [n.name, n.type === 'checkbox' ? n.checked : n.value])) }
      : {}),
  };
}
