// /q and /q/<code>: one question's state and published reply by its 查询码.
// Nothing else is shown (the API returns nothing else).

import { callJson as api } from '../shared/api.js';
import { $, el, safeLink } from '../shared/dom.js';
import { initLang, lang, setLang, t } from '../shared/followup-i18n.js';
import { day, displayCode, normalizeCode, stateKey } from '../shared/followup-model.js';

let shown = null; // the last answer, re-rendered on a language switch
let message = '';

function renderStatic() {
  document.documentElement.lang = lang();
  $('lang').textContent = lang() === 'en' ? '中文' : 'English';
  $('title').textContent = t('q_title');
  $('code-label').textContent = t('q_input');
  $('submit').textContent = t('q_submit');
  $('msg').textContent = message ? t(message) : '';
  $('msg').className = message ? 'msg error' : 'msg';
  renderResult();
}

function renderResult() {
  const box = $('result');
  box.hidden = !shown;
  if (!shown) return;
  const { q, fu, broadcast } = shown;
  const nodes = [el('p', 'sub', broadcast.title), el('p', 'item-q', q.text)];
  const meta = el('p', 'item-meta');
  meta.append(el('span', `pill state-${fu.state}`, t(stateKey(fu.state))));
  meta.append(el('span', '', `${t('code_label')} ${displayCode(shown.code)}`));
  if (q.created) meta.append(el('span', '', `${t('asked_label')} ${day(q.created)}`));
  if (fu.assigned_at) meta.append(el('span', '', `${t('forwarded_label')} ${day(fu.assigned_at)}`));
  if (fu.due && (fu.state === 'assigned' || fu.state === 'accepted' || fu.state === 'replied')) {
    meta.append(el('span', '', `${t('due_label')} ${fu.due}`));
  }
  nodes.push(meta);
  if (fu.note) nodes.push(el('p', 'sub', `${t('note_label')}：${fu.note}`));
  if (fu.reason) nodes.push(el('p', 'sub', `${t('reason_label')}：${fu.reason}`));
  if (fu.reply) {
    const reply = el('div', 'item-reply');
    reply.append(el('span', 'label', t('reply_label')), document.createTextNode(fu.reply));
    if (fu.reply_link) reply.append(el('br'), safeLink(fu.reply_link, t('reply_link')));
    nodes.push(reply);
  }
  if (fu.rating) nodes.push(el('p', 'sub', t('rate_done', { rating: t(`rating_${fu.rating}`) })));
  box.replaceChildren(...nodes);
}

async function look(raw) {
  const code = normalizeCode(raw);
  shown = null;
  message = '';
  if (!code) {
    message = 'not_found';
    renderStatic();
    return;
  }
  const r = await api(`/api/public/q/${encodeURIComponent(code)}`);
  if (r.ok) shown = r.data;
  else message = r.status === 404 ? 'not_found' : r.status === 429 ? 'q_rate_limited' : 'q_error';
  renderStatic();
}

initLang();
$('lang').addEventListener('click', () => {
  setLang(lang() === 'en' ? 'zh-CN' : 'en');
  renderStatic();
});
$('form').addEventListener('submit', (event) => {
  event.preventDefault();
  const code = normalizeCode($('code').value);
  if (code) history.replaceState(null, '', `/q/${code}`);
  look($('code').value);
});
renderStatic();
const fromPath = decodeURIComponent(location.pathname.split('/')[2] ?? '');
if (fromPath) {
  $('code').value = displayCode(fromPath.toUpperCase());
  look(fromPath);
}
