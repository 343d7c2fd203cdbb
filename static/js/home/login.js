// The login page (/login): user name + password -> POST /api/login -> `next`.
//
// `next` comes from the URL, so anyone can write it: safeNext() keeps only a
// path on this site (no open redirect). Wrong passwords and throttling (429,
// with the wait from Retry-After) are said in words, in a live region.

import { initLang, lang, setLang, t, waitText } from './i18n.js';
import { $, applyStatic, say } from './dom.js';
import { safeNext } from './safe-next.js';

const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'));
const form = $('login-form');
const user = $('username');
const password = $('password');
const submit = $('login-submit');
const msg = $('login-msg');
let message = null; // {key, vars, kind}: redrawn on a language switch
let busy = false;

function show(key, vars = {}, kind = 'error') {
  message = key ? { key, vars, kind } : null;
  render();
}

function render() {
  applyStatic();
  document.title = t('title_login');
  const notice = $('login-notice');
  notice.hidden = !params.has('next');
  notice.textContent = t('login_next');
  submit.textContent = busy ? t('login_sending') : t('login_submit');
  submit.disabled = busy;
  if (message) {
    const vars = message.key === 'login_throttled' ? { wait: waitText(message.vars.wait) } : message.vars;
    say(msg, t(message.key, vars), message.kind);
  } else {
    say(msg, '');
  }
}

function invalid(fields) {
  for (const input of [user, password]) {
    if (fields.includes(input)) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

async function onSubmit(event) {
  event.preventDefault();
  if (busy) return;
  const username = user.value.trim();
  if (!username || !password.value) {
    const missing = [!username && user, !password.value && password].filter(Boolean);
    invalid(missing);
    show('login_missing');
    missing[0].focus();
    return;
  }
  busy = true;
  show(null);
  let response = null;
  try {
    response = await fetch('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username, password: password.value }),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    response = null;
  }
  busy = false;
  if (response?.ok) {
    invalid([]);
    busy = true; // stays disabled while the next page loads
    show('login_done', {}, 'ok');
    location.assign(next);
    return;
  }
  if (response?.status === 429) {
    const wait = Number(response.headers.get('retry-after')) || 60;
    invalid([]);
    show('login_throttled', { wait });
  } else if (response?.status === 401 || response?.status === 400) {
    invalid([user, password]);
    show('login_wrong');
    password.select();
    password.focus();
  } else {
    show(response ? 'login_failed' : 'err_network');
  }
}

async function alreadyIn() {
  // Someone with a live session who opens /login goes straight on. A plain
  // fetch: a 401 here is the normal case, not a reason to redirect.
  try {
    const r = await fetch('/api/me', { credentials: 'same-origin', cache: 'no-store' });
    if (r.ok) location.replace(next);
  } catch {
    // offline: the form is there
  }
}

function start() {
  initLang();
  render();
  form.addEventListener('submit', onSubmit);
  for (const input of [user, password]) {
    input.addEventListener('input', () => input.removeAttribute('aria-invalid'));
  }
  $('show-password').addEventListener('change', (e) => {
    password.type = e.target.checked ? 'text' : 'password';
  });
  $('lang').addEventListener('click', () => {
    setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN');
    render();
  });
  user.focus();
  alreadyIn();
}

start();
