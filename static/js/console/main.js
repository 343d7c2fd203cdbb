// The live console of one broadcast (/console/<bid>): the shell.
//
// It logs the moderator in (/api/me; no session -> /login), opens the one
// HubSocket with role moderator, folds every frame into the model
// (console/model.js, pure) and hands the model to the tabs: the queue
// (console/queue.js, here) and the panels (the `ctx` contract below, described
// in docs/console.md), each a module exporting mount(el, ctx), imported dynamically so
// a missing or broken panel shows "loading failed" in its own tab only.
//
// Untrusted text is only ever put into the page with textContent.

import { applyMessage, counts, initialModel } from './model.js';
import { initLang, lang, setLang, t } from './i18n.js';
import { Keys } from './keys.js';
import { mountQueue } from './queue.js';
import { formatCount } from '../shared/format.js';
import { HubSocket } from '../shared/socket.js';
import { CLOSE, PAGE_MAX } from '../shared/contract.js';
import { createApi, toLogin } from '../shared/api.js';
import { $, bindI18n, setText } from '../shared/dom.js';

const TABS = ['queue', 'polls', 'overlay', 'settings', 'words', 'audit', 'followup'];
const PANELS = TABS.slice(1); // modules of this folder: ./<name>.js
const TOAST_MS = { ok: 4000, info: 5000, error: 9000 };
const MAX_TOASTS = 4;

const bid = decodeURIComponent(location.pathname.split('/')[2] ?? '');
let model = initialModel();
const listeners = new Set();
let active = TABS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'queue';
let conn = { state: 'connecting' };
let terminal = null; // i18n key of why the connection stopped for good
let me = null;
let mounted = false;

const keys = new Keys(() => active);

// --- ctx: what panels get ----------------------------------------------------------------

/** A websocket command; resolves with the ack's result, rejects with {code, message}. */
function send(type, fields = {}) {
  return socket.send(type, fields).then((msg) => {
    if (msg.type === 'ack') return msg.result ?? {};
    return Promise.reject({ code: msg.code, message: msg.message, retryable: Boolean(msg.retryable) });
  });
}

/**
 * The next page of one of the snapshot's lists ("<status>.<order>", docs/protocol.md
 * "Paging") into the model; a page read before a newer snapshot is dropped.
 */
async function loadPage(key) {
  const after = model.more?.[key];
  if (!after) return;
  const [list, order] = key.split('.');
  const snapshots = model.snapshots;
  const result = await send('questions.page', { list, order, after, limit: PAGE_MAX });
  if (model.snapshots !== snapshots) return;
  const { model: next, changed } = applyMessage(model, { type: 'page', ...result });
  model = next;
  notify(changed);
}

// The one HTTP client (shared/api.js): the session's CSRF token, errors as
// ApiError {status, code, message, retryAfter}, a 401 sends to the login page.
const api = createApi({ getCsrf: () => me?.csrf ?? '' });

function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function notify(changed) {
  for (const fn of [...listeners]) {
    try {
      fn(model, changed);
    } catch (err) {
      console.error(err);
    }
  }
}

/** A short status message at the bottom right; errors are announced assertively. */
function toast(text, kind = 'info') {
  const box = $('toasts');
  const item = document.createElement('p');
  item.className = 'c-toast';
  item.dataset.kind = kind;
  item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  item.textContent = String(text);
  box.append(item);
  while (box.children.length > MAX_TOASTS) box.firstElementChild.remove();
  setTimeout(() => item.remove(), TOAST_MS[kind] ?? TOAST_MS.info);
}

const ctx = {
  bid,
  me: null,
  t,
  lang,
  send,
  loadPage,
  api,
  get state() {
    return model;
  },
  subscribe,
  toast,
  keys: { register: (...args) => keys.register(...args) },
};

// --- the socket -------------------------------------------------------------------------

const socket = new HubSocket({
  bid,
  role: 'moderator',
  onMessage(msg) {
    const { model: next, changed } = applyMessage(model, msg);
    if (changed.size === 0 && next === model) return;
    model = next;
    if (changed.size > 0) notify(changed);
    if (msg.type === 'snapshot' && !mounted) mountPanels();
    scheduleHeader();
  },
  onStatus(status) {
    conn = status;
    if (status.state === 'closed' && status.terminal) {
      if (status.code === CLOSE.UNAUTHORIZED) toLogin();
      terminal = `close_${status.code}`;
    }
    renderConn();
  },
});

// --- header, connection, banner ------------------------------------------------------------

let headerQueued = false;
function scheduleHeader() {
  if (headerQueued) return;
  headerQueued = true;
  requestAnimationFrame(() => {
    headerQueued = false;
    renderHeader();
  });
}

function renderHeader() {
  const b = model.broadcast;
  const title = $('title');
  if (model.snapshots > 0) {
    title.removeAttribute('data-i18n');
    setText(title, b.title || '');
    document.title = `${b.title || bid} · ${t('console')}`;
  }
  const badge = $('bc-state');
  badge.hidden = !b.state;
  if (b.state) {
    badge.dataset.state = b.state;
    setText(badge, t(`state_${b.state}`));
  }
  $('rehearsal').hidden = !b.rehearsal;
  const ready = model.snapshots > 0;
  const pending = counts(model).pending;
  setText($('stat-viewers'), ready ? formatCount(model.presence.now ?? 0, lang()) : '–');
  setText($('stat-likes'), ready ? formatCount(model.likes, lang()) : '–');
  setText($('stat-pending'), ready ? String(pending) : '–');
  $('stat-pending').parentElement.dataset.busy = pending > 0 ? 'true' : 'false';
  const tabCount = $('tab-queue-count');
  tabCount.hidden = !ready || pending === 0;
  setText(tabCount, String(pending));
  const show = model.overlay.show;
  // A scene on air is named by its name (console/scenes.js); else the one widget shown.
  const scene = model.overlay.scene ? (model.overlay.scenes ?? []).find((s) => s.id === model.overlay.scene) : null;
  const what = scene ? scene.name : t(`overlay_${show ?? 'none'}`);
  setText($('overlay-now'), ready ? t('overlay_now', { what }) : '');
  $('overlay-now').dataset.show = show ?? 'none';
}

function renderConn() {
  const box = $('conn');
  const shown = conn.state === 'idle' ? 'connecting' : conn.state;
  box.dataset.state = shown;
  setText($('conn-text'), t(`conn_${shown}`));
  const banner = $('banner');
  const text = terminal ? t(terminal) || t('close_other') : '';
  banner.hidden = !text;
  setText($('banner-text'), text);
  const action = $('banner-action');
  action.hidden = !terminal;
  setText(action, t('reload'));
}

// --- tabs ----------------------------------------------------------------------------------

function showTab(name, { focus = false } = {}) {
  if (!TABS.includes(name)) return;
  active = name;
  for (const tab of TABS) {
    const button = $(`tab-${tab}`);
    const on = tab === name;
    button.setAttribute('aria-selected', String(on));
    button.tabIndex = on ? 0 : -1;
    $(`panel-${tab}`).hidden = !on;
    if (on && focus) button.focus();
  }
  if (location.hash.slice(1) !== name) history.replaceState(null, '', name === 'queue' ? location.pathname : `#${name}`);
  notify(new Set(['tab']));
}

function bindTabs() {
  for (const tab of TABS) {
    const button = $(`tab-${tab}`);
    button.addEventListener('click', () => showTab(tab));
    button.addEventListener('keydown', (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step === undefined) return;
      event.preventDefault();
      showTab(TABS[(TABS.indexOf(tab) + step + TABS.length) % TABS.length], { focus: true });
    });
  }
}

/** The panels: each imported and mounted on its own; a failure stays in its tab. */
function mountPanels() {
  mounted = true;
  for (const name of PANELS) {
    const section = $(`panel-${name}`);
    import(`./${name}.js`)
      .then((mod) => {
        if (typeof mod.mount !== 'function') throw new Error(`console/${name}.js has no mount()`);
        return mod.mount(section, ctx);
      })
      .catch((err) => {
        console.error(err);
        const note = document.createElement('p');
        note.className = 'c-panel-failed';
        note.dataset.i18n = 'panel_failed';
        note.textContent = t('panel_failed');
        section.replaceChildren(note);
      });
  }
}

// --- keys and help -------------------------------------------------------------------------

async function killOverlay() {
  try {
    await send('overlay', { show: null });
    toast(t('kill_done'), 'ok');
  } catch (err) {
    toast(t('kill_failed', { message: err.message ?? err.code }), 'error');
  }
}

function openHelp() {
  const body = $('help-body');
  const groups = keys.groups().map(({ panel, items }) => {
    const section = document.createElement('section');
    const h = document.createElement('h3');
    h.textContent = panel === null ? t('help_global') : t(`tab_${panel}`);
    const list = document.createElement('dl');
    for (const { keys: names, label } of items) {
      const row = document.createElement('div');
      const dt = document.createElement('dt');
      for (const key of names) {
        const kbd = document.createElement('kbd');
        kbd.textContent = t(`key_${key}`) === `key_${key}` ? key : t(`key_${key}`);
        dt.append(kbd, ' ');
      }
      const dd = document.createElement('dd');
      dd.textContent = label;
      row.append(dt, dd);
      list.append(row);
    }
    section.append(h, list);
    return section;
  });
  body.replaceChildren(...groups);
  const dialog = $('help');
  if (!dialog.open) dialog.showModal();
}

// --- static text and language ------------------------------------------------------------

function applyStatic() {
  bindI18n({ t, lang });
  $('lang').lang = lang() === 'zh-CN' ? 'en' : 'zh-CN';
}

function switchLang() {
  setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN');
  applyStatic();
  renderHeader();
  renderConn();
  notify(new Set(['lang']));
}

// --- start ------------------------------------------------------------------------------------

async function logout() {
  try {
    await api('POST', '/api/logout');
  } catch {
    // gone already: the login page either way
  }
  location.assign('/login');
}

async function start() {
  initLang();
  applyStatic();
  bindTabs();
  showTab(active);
  renderConn();
  try {
    me = await api('GET', '/api/me');
  } catch (err) {
    if (err.status !== 401) terminal = 'me_failed';
    renderConn();
    return; // 401: toLogin() is on its way
  }
  ctx.me = me;
  setText($('me-user'), me.user);
  $('logout').addEventListener('click', logout);
  $('lang').addEventListener('click', switchLang);
  $('kill').addEventListener('click', killOverlay);
  $('help-open').addEventListener('click', openHelp);
  $('banner-action').addEventListener('click', () => location.reload());
  keys.register('x', () => t('key_help_kill'), killOverlay);
  keys.register('?', () => t('key_help_help'), openHelp);
  document.addEventListener('keydown', (event) => keys.handle(event));
  mountQueue($('panel-queue'), ctx);
  // Relative times ("3分钟前") age while nothing else happens.
  setInterval(() => notify(new Set(['clock'])), 30_000);
  socket.connect();
}

start();
