// /office: a department's items across broadcasts, soonest due first, with the
// reply form, accept / send back / request an extension, and the history.
// An official's session is not a moderator's: this page signs in by itself.

import { callJson as api, cid } from '../shared/api.js';
import { $, el, safeLink } from '../shared/dom.js';
import { initLang, lang, setLang, t } from '../shared/followup-i18n.js';
import { day, dueClass, stateKey } from '../shared/followup-model.js';

const view = { me: null, tab: 'queue', items: [], msg: '', msgError: false };

function say(key, vars, error = false) {
  view.msg = key ? t(key, vars) : '';
  view.msgError = error;
  $('msg').textContent = view.msg;
  $('msg').className = error ? 'msg error' : 'msg';
}

async function command(item, type, fields) {
  const r = await api(`/api/office/broadcasts/${encodeURIComponent(item.bid)}/command`, {
    method: 'POST', csrf: view.me.csrf, body: { type, id: cid(), qid: item.qid, ...fields },
  });
  if (r.ok) say('office_done');
  else say('office_failed', { message: r.data?.message ?? r.status }, true);
  await load();
}

function field(tag, label, attrs = {}) {
  const wrap = el('label', 'form');
  wrap.append(el('span', 'sub', label));
  const input = el(tag);
  Object.assign(input, attrs);
  wrap.append(input);
  return [wrap, input];
}

function actions(item) {
  const box = el('div', 'form');
  const state = item.fu.state;
  if (state === 'assigned') {
    const accept = el('button', 'btn primary', t('office_accept'));
    accept.type = 'button';
    accept.addEventListener('click', () => command(item, 'fu.accept', {}));
    box.append(accept);
  }
  if (state === 'accepted') {
    const form = el('form', 'form');
    const [textWrap, text] = field('textarea', t('office_reply_text'), { required: true, maxLength: 2000 });
    const [linkWrap, link] = field('input', t('office_reply_link'), { type: 'url', maxLength: 500 });
    const send = el('button', 'btn primary', t('office_reply'));
    send.type = 'submit';
    form.append(textWrap, linkWrap, send);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      command(item, 'fu.reply', { text: text.value, link: link.value || null });
    });
    box.append(form);
  }
  if (state === 'assigned' || state === 'accepted') {
    const back = el('details', 'act');
    back.append(el('summary', '', t('office_send_back')));
    const form = el('form', 'form');
    const [reasonWrap, reason] = field('input', t('office_send_back_reason'), { maxLength: 200 });
    const go = el('button', 'btn', t('office_send_back'));
    go.type = 'submit';
    form.append(reasonWrap, go);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      command(item, 'fu.send_back', { reason: reason.value });
    });
    back.append(form);
    box.append(back);
    if (!item.fu.ext_state) {
      const ext = el('details', 'act');
      ext.append(el('summary', '', t('office_extension')));
      const extForm = el('form', 'form');
      const [dueWrap, due] = field('input', t('office_extension_due'), { type: 'date' });
      const [whyWrap, why] = field('input', t('office_extension_reason'), { maxLength: 200 });
      const ask = el('button', 'btn', t('office_extension'));
      ask.type = 'submit';
      extForm.append(dueWrap, whyWrap, ask);
      extForm.addEventListener('submit', (event) => {
        event.preventDefault();
        command(item, 'fu.ext_request', { due: due.value, reason: why.value });
      });
      ext.append(extForm);
      box.append(ext);
    }
  }
  return box;
}

function itemNode(item) {
  const li = el('li', 'item');
  li.append(el('p', 'sub', item.broadcast));
  li.append(el('p', 'item-q', item.q.text));
  const meta = el('p', 'item-meta');
  meta.append(el('span', `pill state-${item.fu.state}`, t(stateKey(item.fu.state))));
  if (item.q.tag) meta.append(el('span', 'pill', item.q.tag));
  meta.append(el('span', 'pill', t(`source_${item.q.source}`)));
  if (item.fu.due) {
    const due = el('span', `pill due ${dueClass(item.level)}`.trim(), `${t('due_label')} ${item.fu.due}`);
    if (item.level === 'soon') due.append(document.createTextNode(` · ${t('due_soon')}`));
    if (item.level === 'overdue') due.append(document.createTextNode(` · ${t('due_overdue')}`));
    meta.append(due);
  }
  if (item.fu.assigned_at) meta.append(el('span', '', `${t('forwarded_label')} ${day(item.fu.assigned_at)}`));
  if (item.fu.ext_state) meta.append(el('span', 'pill', t(`office_ext_${item.fu.ext_state}`)));
  li.append(meta);
  if (item.fu.reason && item.fu.state === 'accepted') {
    li.append(el('p', 'msg error', t('office_returned', { reason: item.fu.reason })));
  }
  const shownReply = item.fu.reply || item.fu.draft;
  if (shownReply) {
    const reply = el('div', 'item-reply');
    reply.append(el('span', 'label', t('reply_label')), document.createTextNode(shownReply));
    const link = item.fu.reply_link || item.fu.draft_link;
    if (link) reply.append(el('br'), safeLink(link, t('reply_link')));
    li.append(reply);
  }
  if (view.tab === 'queue') li.append(actions(item));
  return li;
}

function render() {
  document.documentElement.lang = lang();
  $('lang').textContent = lang() === 'en' ? '中文' : 'English';
  $('title').textContent = t('office_title');
  $('user-label').textContent = t('office_user');
  $('pw-label').textContent = t('office_password');
  $('login-submit').textContent = t('office_login');
  $('logout').textContent = t('office_logout');
  $('tab-queue').textContent = t('office_queue');
  $('tab-history').textContent = t('office_history');
  $('tab-queue').setAttribute('aria-pressed', String(view.tab === 'queue'));
  $('tab-history').setAttribute('aria-pressed', String(view.tab === 'history'));
  $('login').hidden = Boolean(view.me);
  $('desk').hidden = !view.me;
  $('logout').hidden = !view.me;
  $('who').textContent = view.me ? `${view.me.dept_name} · ${view.me.user}` : '';
  $('items').replaceChildren(...view.items.map(itemNode));
  $('empty').hidden = view.items.length > 0;
  $('empty').textContent = t('office_empty');
}

async function load() {
  const me = await api('/api/office/me');
  view.me = me.ok ? me.data : null;
  if (view.me) {
    const r = await api(`/api/office/items${view.tab === 'history' ? '?view=history' : ''}`);
    view.items = r.ok ? r.data.items : [];
  } else view.items = [];
  render();
}

initLang();
$('lang').addEventListener('click', () => {
  setLang(lang() === 'en' ? 'zh-CN' : 'en');
  render();
});
$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const r = await api('/api/login', { method: 'POST', body: { username: $('user').value, password: $('pw').value } });
  $('login-msg').textContent = r.ok && r.data.role === 'official' ? '' : t('office_login_failed');
  $('pw').value = '';
  await load();
});
$('logout').addEventListener('click', async () => {
  await api('/api/office/logout', { method: 'POST', csrf: view.me?.csrf });
  await load();
});
for (const tab of ['queue', 'history']) {
  $(`tab-${tab}`).addEventListener('click', () => {
    view.tab = tab;
    say('');
    load();
  });
}
render();
load();
