// The login page's and the console home's DOM helpers, on top of the shared
// ones (shared/dom.js): messages, error texts, dates, copy rows. Text goes into
// the page only through textContent and attributes, never parsed as HTML.

import { lang, t } from './i18n.js';
import { $, bindI18n, copyText, el, setText } from '../shared/dom.js';

export { $, copyText, el, setText };

/** Put the current language's strings into the page (data-i18n*) and label the language button. */
export function applyStatic(root = document) {
  bindI18n({ t, lang }, root);
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
