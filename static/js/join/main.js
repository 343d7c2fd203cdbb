// The join page (/): type the code shown on the broadcast, or scan its QR code.
// The form works without script (GET /j?code=...); this module adds the
// language switch, the "not found" message and a check for an empty field.
// Text only: what was typed is shown with textContent.

import { cleanCode, missedCode } from './code.js';
import { initLang, lang, setLang, t } from './i18n.js';
import { $, bindI18n } from '../shared/dom.js';

function applyI18n() {
  bindI18n({ t, lang });
  document.title = t('page_title');
  $('lang').setAttribute('lang', lang() === 'en' ? 'zh-CN' : 'en');
}

let error = null; // [key, vars] of the message shown, redrawn on a language switch

function showError(key, vars) {
  error = key ? [key, vars] : null;
  const box = $('join-error');
  box.hidden = !key;
  box.textContent = key ? t(key, vars) : '';
  $('code').setAttribute('aria-invalid', key ? 'true' : 'false');
}

function start() {
  initLang();
  applyI18n();
  const input = $('code');
  const missed = missedCode(location.pathname, location.search);
  if (missed) {
    input.value = missed;
    showError('not_found', { code: missed });
  }
  $('join-form').addEventListener('submit', (ev) => {
    const code = cleanCode(input.value);
    if (!code) {
      ev.preventDefault();
      showError('empty');
      input.focus();
      return;
    }
    input.value = code;
  });
  input.addEventListener('input', () => {
    if (error) showError(null);
  });
  $('lang').addEventListener('click', () => {
    setLang(lang() === 'en' ? 'zh-CN' : 'en');
    applyI18n();
    if (error) showError(...error);
  });
  input.focus();
}

start();
