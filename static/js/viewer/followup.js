// The asker's side of the follow-up on the viewer page: the 查询码 of each of
// their questions, its follow-up state, the published reply, and the rating
// (满意 / 基本满意 / 不满意, once per published reply). Fed by GET
// /api/broadcasts/<bid>/mine/followup at start and by the socket's own
// "followup" events (mine: true) after. Text only, via textContent.

import { callJson as api } from '../shared/api.js';
import { el, safeLink } from '../shared/dom.js';
import { setLang, t } from '../shared/followup-i18n.js';
import { RATINGS, displayCode, stateKey } from '../shared/followup-model.js';

export function createFollowup({ bid, send, onChange, lang }) {
  // The page's language, followed without writing the device's choice again.
  const follow = () => setLang(lang(), null);
  const byQid = new Map(); // qid -> {code, fu}
  const notes = new Map(); // qid -> i18n key of the last rating outcome

  async function load() {
    const r = await api(`/api/broadcasts/${encodeURIComponent(bid)}/mine/followup`);
    if (!r.ok) return;
    for (const row of r.data.mine ?? []) byQid.set(row.qid, { code: row.code, fu: row.fu });
    onChange();
  }

  /** A frame from the socket: keeps the asker's own follow-up events. */
  function onMessage(msg) {
    let changed = false;
    for (const event of msg.events ?? []) {
      if (event.type === 'followup' && event.mine) {
        const known = byQid.get(event.qid) ?? {};
        byQid.set(event.qid, { ...known, fu: event.fu });
        changed = true;
      }
    }
    if (changed) onChange();
  }

  /** The code of a question just asked (from the ask's ack). */
  function asked(qid, code) {
    if (typeof qid !== 'number' || !code) return;
    byQid.set(qid, { ...(byQid.get(qid) ?? { fu: { state: 'none' } }), code });
    onChange();
  }

  async function rate(qid, rating, comment) {
    const reply = await send('fu.rate', { qid, rating, comment: comment || null });
    notes.set(qid, reply.type === 'ack' ? 'done' : 'failed');
    if (reply.type === 'ack') {
      const known = byQid.get(qid);
      if (known) byQid.set(qid, { ...known, fu: { ...known.fu, rating } });
    }
    onChange();
  }

  /** Nodes to add under one of "my questions" (none when nothing is known). */
  function nodesFor(qid) {
    follow();
    const known = byQid.get(qid);
    if (!known) return [];
    const out = [];
    const fu = known.fu ?? { state: 'none' };
    const meta = el('p', 'mine-meta');
    if (fu.state && fu.state !== 'none') meta.append(el('span', 'fu-badge fu-state', t(stateKey(fu.state))));
    if (known.code) meta.append(el('span', 'fu-code', `${t('code_label')} ${displayCode(known.code)}`));
    if (meta.childNodes.length) out.push(meta);
    if (fu.note) out.push(el('p', 'mine-meta', `${t('note_label')}：${fu.note}`));
    if (fu.reason) out.push(el('p', 'mine-meta', `${t('reason_label')}：${fu.reason}`));
    if (fu.reply) {
      const reply = el('p', 'fu-reply');
      reply.append(el('strong', '', `${t('reply_label')}：`), document.createTextNode(fu.reply));
      if (fu.reply_link) reply.append(document.createTextNode(' '), safeLink(fu.reply_link, t('reply_link')));
      out.push(reply);
    }
    if (fu.state === 'published' && !fu.rating) out.push(ratingForm(qid));
    else if (fu.rating) out.push(el('p', 'mine-meta', t('rate_done', { rating: t(`rating_${fu.rating}`) })));
    if (notes.get(qid) === 'failed') out.push(el('p', 'mine-meta', t('rate_failed')));
    return out;
  }

  function ratingForm(qid) {
    const form = el('form', 'fu-rate');
    form.append(el('p', 'mine-meta', t('rate_prompt')));
    const comment = el('input', 'fu-comment');
    comment.type = 'text';
    comment.maxLength = 200;
    comment.placeholder = t('rate_comment');
    comment.setAttribute('aria-label', t('rate_comment'));
    const row = el('div', 'fu-rate-row');
    for (const rating of RATINGS) {
      const b = el('button', 'fu-rate-btn', t(`rating_${rating}`));
      b.type = 'button';
      b.dataset.rating = rating;
      b.addEventListener('click', () => rate(qid, rating, comment.value));
      row.append(b);
    }
    form.append(row, comment);
    form.addEventListener('submit', (event) => event.preventDefault());
    return form;
  }

  return { load, onMessage, asked, nodesFor, codeNote: (code) => (follow(), t('code_note', { code: displayCode(code) })) };
}
