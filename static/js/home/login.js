// The login page (/login): user name + password -> POST /api/login -> `next`.
//
// `next` comes from the URL, so anyone can write it: safeNext() keeps only a
// path on this site (no open redirect). Wrong passwords and throttling (429,
// with the wait from Retry-After) are said in words, in a live region.

import { initLang, lang, setLang, t, waitText } from './i18n.js';
import { $, applyStatic, say } from './dom.js';
import { safeNext } from '../shared/safe-next.js';
import { createApi } from '../shared/api.js';

const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'));
const form = $('login-form');
const user = $('username');
const password = $('password');
const submit = $('login-submit');
const msg = $('login-msg');
let message = null; // {key, vars, kind}: redrawn on a language switch
let busy = false;
// A 401 is this page's normal case (a wrong password, or nobody signed in yet).
const api = createApi({ onUnauthorized: null });

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
  let failure = null;
  let signedIn = null;
  try {
    signedIn = await api('POST', '/api/login', { username, password: password.value });
  } catch (err) {
    failure = err;
  }
  busy = false;
  if (failure === null && signedIn?.must_change) {
    // A one-time password: the holder sets their own before anything else.
    invalid([]);
    show(null);
    startChange(username, password.value, signedIn.csrf);
    return;
  }
  if (failure === null) {
    invalid([]);
    busy = true; // stays disabled while the next page loads
    show('login_done', {}, 'ok');
    location.assign(next);
    return;
  }
  if (failure.status === 429) {
    invalid([]);
    show('login_throttled', { wait: failure.retryAfter ?? 60 });
  } else if (failure.status === 401 || failure.status === 400) {
    invalid([user, password]);
    show('login_wrong');
    password.select();
    password.focus();
  } else {
    show(failure.status === 0 ? 'err_network' : 'login_failed');
  }
}

// --- a one-time password is replaced first (POST /api/me/password) ---------------

function startChange(username, current, csrf) {
  const change = $('change-form');
  form.hidden = true;
  change.hidden = false;
  const first = $('new-password');
  const again = $('new-password-2');
  const note = $('change-msg');
  first.focus();
  change.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (first.value !== again.value) {
      say(note, t('change_mismatch'), 'error');
      return;
    }
    const withCsrf = createApi({ onUnauthorized: null, getCsrf: () => csrf });
    try {
      await withCsrf('POST', '/api/me/password', { current, new: first.value });
      // Every session ended with the change: sign in with the new password.
      await api('POST', '/api/login', { username, password: first.value });
    } catch (err) {
      say(note, t('change_failed', { reason: err.message ?? '' }), 'error');
      return;
    }
    location.assign(next);
  });
}

async function alreadyIn() {
  // Someone with a live session who opens /login goes straight on.
  try {
    // ?optional=1: signed out is a 200 with user null (no 401 in the console).
    const me = await api('GET', '/api/me?optional=1');
    if (me?.user && !me.must_change) location.replace(next);
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
