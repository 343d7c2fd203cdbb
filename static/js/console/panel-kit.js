// Small DOM and HTTP helpers shared by the console's panels (polls, overlay,
// settings, words, audit), on top of every page's (shared/dom.js). The panels
// are mounted by the console shell through the `ctx` contract (docs/console.md).
//
// Text only: h() sets children as text nodes and attributes with
// setAttribute; it has no way to parse HTML, so data can never become markup.
// Styles come from /static/css/console-panels.css; the only inline styles are
// set through the CSSOM (element.style.setProperty), which the CSP allows.

import { copyText, setText } from '../shared/dom.js';

/**
 * createElement with properties: h('button', {className, type, text, attrs,
 * dataset, on: {click}}, ...children). Children are nodes, or strings set as text.
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { className, text, attrs, dataset, on, ...rest } = props ?? {};
  if (className) node.className = className;
  if (text != null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v == null) continue;
    node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const [k, v] of Object.entries(dataset ?? {})) node.dataset[k] = String(v);
  for (const [k, v] of Object.entries(on ?? {})) node.addEventListener(k, v);
  // Plain DOM properties that take no markup: value, checked, disabled, hidden, type...
  for (const [k, v] of Object.entries(rest)) node[k] = v;
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

export { copyText, setText };

/** A labelled form row: <label for=id>label</label> control [hint]. */
export function field(label, control, hint) {
  if (!control.id) control.id = uid('f');
  const row = h('div', { className: 'cp-field' }, h('label', { text: label, attrs: { for: control.id } }), control);
  if (hint) {
    const note = h('p', { className: 'cp-hint', text: hint, id: uid('h') });
    control.setAttribute('aria-describedby', note.id);
    row.append(note);
  }
  return row;
}

let counter = 0;
/** A page-unique element id (panels may be mounted more than once in tests). */
export function uid(prefix) {
  counter += 1;
  return `cp-${prefix}-${counter}`;
}

/**
 * Run `work` with `button` disabled (no double submission); resolves to the
 * result or undefined after telling the person what went wrong.
 */
export async function busy(button, work, onError) {
  if (button.disabled) return undefined;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } catch (err) {
    onError?.(err);
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/**
 * Whether a rejected ctx.api() call hit a route this hub does not have (an
 * older server: the routes for words, audit, rehearsal and poll lists came
 * later). A known route answers JSON errors; starlette's own 404 is "Not Found".
 */
export function isMissingEndpoint(err) {
  return err?.status === 404 && (err.code !== 'not_found' || err.message === 'Not Found');
}

/** What went wrong, for a person, in the console's language. */
export function errorText(ctx, err, what = '') {
  if (isMissingEndpoint(err)) return ctx.t('panel_err_missing', { what: what || ctx.t('panel_this_feature') });
  const code = err?.code;
  const known = ['unauthorized', 'forbidden', 'conflict', 'not_found', 'invalid', 'empty', 'too_long',
    'rate_limited', 'unavailable', 'closed', 'bad_field', 'too_big', 'internal'];
  let text;
  if (err?.status === 401 || code === 'unauthorized') text = ctx.t('panel_err_unauthorized');
  else if (known.includes(code)) text = ctx.t(`panel_err_${code}`);
  else if (err?.status === 0 || err instanceof TypeError) text = ctx.t('panel_err_network');
  else text = ctx.t('panel_err_generic');
  // The hub's message is an English sentence naming the cause (e.g. which field).
  const detail = typeof err?.message === 'string' ? err.message.slice(0, 200) : '';
  return detail && detail !== text ? ctx.t('panel_err_detail', { text, detail }) : text;
}

/** A read-only URL with a copy button (and an open link when `open`). */
export function copyRow(ctx, label, { open = false, className = '' } = {}) {
  const input = h('input', { className: 'cp-url', type: 'text', readOnly: true, value: '' });
  input.addEventListener('focus', () => input.select());
  const copy = h('button', { className: 'cp-btn cp-btn-small', type: 'button', text: ctx.t('panel_copy') });
  copy.addEventListener('click', async () => {
    if (!input.value) return;
    const ok = await copyText(input.value);
    ctx.toast(ok ? ctx.t('panel_copied') : ctx.t('panel_copy_failed'), ok ? 'ok' : 'error');
  });
  const link = open
    ? h('a', { className: 'cp-btn cp-btn-small', text: ctx.t('panel_open'), attrs: { target: '_blank', rel: 'noopener noreferrer' } })
    : null;
  const row = h('div', { className: `cp-copy ${className}`.trim() },
    field(label, input), h('div', { className: 'cp-copy-actions' }, copy, link));
  return {
    row,
    input,
    set(url) {
      input.value = url ?? '';
      copy.disabled = !url;
      if (link) {
        if (url) link.setAttribute('href', url);
        else link.removeAttribute('href');
      }
    },
  };
}

/**
 * Call `fn` each time `el` becomes visible (its tab is selected), however the
 * shell hides panels (hidden attribute, display: none, a collapsed parent).
 * Returns a function that stops watching.
 */
export function whenShown(el, fn) {
  if (typeof IntersectionObserver !== 'function') {
    fn();
    return () => {};
  }
  let shown = false;
  const io = new IntersectionObserver((entries) => {
    const now = entries.some((e) => e.isIntersecting);
    if (now && !shown) fn();
    shown = now;
  });
  io.observe(el);
  return () => io.disconnect();
}

/** Keep the freshest state the shell gave us, and re-render once per frame. */
export function follow(ctx, render) {
  let state = ctx.state;
  let queued = false;
  let timer = null;
  const run = () => {
    if (!queued) return;
    queued = false;
    clearTimeout(timer);
    render(state);
  };
  const unsubscribe = ctx.subscribe((next) => {
    state = next ?? ctx.state;
    if (queued) return;
    queued = true;
    // A background tab gets no animation frames: the timer still draws it.
    requestAnimationFrame(run);
    timer = setTimeout(run, 250);
  });
  render(state);
  return { unsubscribe, current: () => state };
}

/**
 * Mount a panel built by `build(el, ctx, kept)` -> {unmount, keep}, and build it
 * again when the console switches language (the shell notifies kind 'lang'):
 * labels are set once, as text, so a new language means new nodes. `keep()`
 * returns what must survive the rebuild (unsaved edits), handed back as `kept`.
 */
export function mountWithLang(el, ctx, build) {
  let panel = build(el, ctx, {});
  const unsubscribe = ctx.subscribe((_state, kinds) => {
    if (!(kinds instanceof Set) || !kinds.has('lang')) return;
    const kept = panel.keep?.() ?? {};
    panel.unmount?.();
    panel = build(el, ctx, kept);
  });
  return () => {
    unsubscribe();
    panel.unmount?.();
  };
}
