// The console home (/console): who is signed in, the broadcasts (list, create,
// links and QR codes), and for administrators the accounts, the deployment
// word list and the deployment audit log. Each section is its own module
// (home-*.js) mounted with the same small context.
//
// Everything comes from the API after /api/me: nothing from Redis is in the
// markup, and every untrusted string goes in with textContent.

import { initLang, lang, setLang, t } from './i18n.js';
import { createApi } from '../shared/api.js';
import { $, applyStatic, errorText, say, setText } from './dom.js';
import { mountAccounts } from './accounts.js';
import { mountAudit } from './audit.js';
import { mountBroadcasts } from './broadcasts.js';
import { mountWords } from './words.js';
import { mountWebhooks } from './webhooks.js';
import { mountFollowupAdmin } from './followup.js';

let me = null;
const sections = [];
const api = createApi({ getCsrf: () => me?.csrf ?? '' });

let statusTimer = null;
/** A page-wide message; "ok" messages fade after a while, errors stay. */
function toast(text, kind = 'info') {
  clearTimeout(statusTimer);
  say($('status'), text, kind);
  if (kind === 'ok') statusTimer = setTimeout(() => say($('status'), ''), 6000);
}

function renderHeader() {
  applyStatic();
  document.title = t('title_home');
  setText($('me-user'), me?.user ?? '');
  $('me-admin').hidden = !me?.admin;
}

async function logout() {
  const button = $('logout');
  button.disabled = true;
  try {
    await api('POST', '/api/logout');
    location.replace('/login');
  } catch (err) {
    button.disabled = false;
    if (err.status !== 401) toast(errorText(err), 'error');
  }
}

async function start() {
  initLang();
  renderHeader();
  try {
    me = await api('GET', '/api/me');
  } catch (err) {
    if (err.status !== 401) toast(errorText(err), 'error'); // 401: on the way to /login
    return;
  }
  // Sections for administrators leave the page for everyone else (the API
  // refuses them anyway): nothing hidden to tab into.
  if (!me.admin) {
    for (const node of document.querySelectorAll('[data-admin]')) node.remove();
  } else {
    for (const node of document.querySelectorAll('[data-admin]')) node.hidden = false;
  }
  renderHeader();
  const ctx = { me, api, toast };
  sections.push(mountBroadcasts(ctx));
  if (me.admin) sections.push(mountAccounts(ctx));
  if (me.admin) sections.push(mountFollowupAdmin(ctx));
  sections.push(mountWords(ctx));
  if (me.admin) sections.push(mountAudit(ctx));
  if (me.admin) sections.push(mountWebhooks(ctx));

  $('lang').addEventListener('click', () => {
    setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN');
    renderHeader();
    for (const section of sections) section.redraw();
  });
  $('logout').addEventListener('click', logout);
}

start();
