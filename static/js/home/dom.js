// DOM helpers shared by the login page and the console home. Text goes into
// the page only through textContent and attributes, never parsed as HTML.

import { lang, t } from './i18n.js';

export const $ = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** Set text only when it changed (keeps screen readers and selection calm). */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** Put the current language's strings into every element marked data-i18n*. */
export function applyStatic(root = document) {
  document.documentElement.lang = lang();
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) {
    node.setAttribute('placeholder', t(node.dataset.i18nPlaceholder));
  }
  for (const node of root.querySelectorAll('[data-i18n-aria-label]')) {
    node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
  }
  const button = document.getElementById('lang');
  if (button) button.setAttribute('lang', lang() === 'en' ? 'zh-CN' : 'en');
}

/** A message line (a live region, always in the page): `kind` is ok, error or info. */
export function say(node, text, kind = 'info') {
  node.dataset.kind = kind;
  setText(node, text ?? '');
}

/** What to tell a person about a failed API call. */
export function errorText(err) {
  if (!err || typeof err !== 'object') return t('err_network');
  if (err.status === 0) return t('err_network');
  if (err.status === 403) return t('err_forbidden');
  if (err.status === 429) return t('err_rate_limited');
  if (err.status === 503) return t('err_unavailable');
  return t('err_server', { status: err.status, message: err.message || err.code || '' });
}

/** A time (Unix ms) as a date and a time of day in the reader's language and zone. */
export function formatDateTime(ms) {
  if (ms === null || ms === undefined || ms === '' || !Number.isFinite(Number(ms)) || Number(ms) <= 0) {
    return t('none');
  }
  return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  }).format(new Date(Number(ms)));
}

/** Copy `text`: the async clipboard where allowed (https, localhost), else a selection. */
export async function copyText(text, input = null) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // not a secure context (http on a LAN address) or no permission
  }
  const field = input ?? el('textarea');
  if (!input) {
    field.value = text;
    field.setAttribute('readonly', '');
    field.className = 'sr-only';
    document.body.append(field);
  }
  field.select();
  let done = false;
  try {
    done = document.execCommand('copy');
  } catch {
    done = false;
  }
  if (!input) field.remove();
  return done;
}

/**
 * A labelled, read-only URL with a copy button: <div class="copy-row">.
 * `label` names it for the reader (visible and for the button's aria-label).
 */
export function copyRow(label, url, { open = false } = {}) {
  const row = el('div', 'copy-item');
  const id = `copy-${Math.random().toString(36).slice(2, 10)}`;
  const name = el('label', 'copy-label', label);
  name.htmlFor = id;
  const line = el('div', 'copy-row');
  const input = el('input', 'mono');
  input.type = 'text';
  input.readOnly = true;
  input.id = id;
  input.value = url;
  input.spellcheck = false;
  input.addEventListener('focus', () => input.select());
  const button = el('button', 'ghost small', t('copy'));
  button.type = 'button';
  button.setAttribute('aria-label', t('copy_label', { what: label }));
  button.addEventListener('click', async () => {
    const ok = await copyText(url, input);
    button.textContent = ok ? t('copied') : t('copy_failed');
    button.dataset.done = ok ? 'ok' : 'error';
    setTimeout(() => {
      button.textContent = t('copy');
      delete button.dataset.done;
    }, 2000);
  });
  line.append(input, button);
  if (open) {
    const a = el('a', 'ghost small link-button', t('open'));
    a.href = url;
    a.target = '_blank';
    a.rel = 'noopener';
    a.setAttribute('aria-label', `${t('open')} ${label}`);
    line.append(a);
  }
  row.append(name, line);
  return row;
}
