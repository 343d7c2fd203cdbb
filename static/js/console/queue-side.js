// The queue's side column: what is on air now, the selected question in full
// with its less frequent actions (edit, ban), the earlier questions that say
// nearly the same (merge), and the viewers banned from this broadcast.

import { canReceiveMerge } from './model.js';
import { badges, metaLine, questionText } from './queue-row.js';
import { el } from '../shared/dom.js';

function button(label, act, { cls = '', title = '', data = {} } = {}) {
  const b = el('button', `c-btn c-btn-small ${cls}`.trim(), label);
  b.type = 'button';
  b.dataset.act = act;
  if (title) b.title = title;
  for (const [k, v] of Object.entries(data)) b.dataset[k] = String(v);
  return b;
}

function onAirBox(model, t) {
  const box = el('section', 'qs-box qs-onair');
  box.setAttribute('aria-labelledby', 'qs-onair-h');
  const h = el('h2', 'qs-h', t('side_on_air'));
  h.id = 'qs-onair-h';
  box.append(h);
  const q = model.onAir === null ? undefined : model.questions.get(model.onAir);
  if (q === undefined) {
    box.append(el('p', 'qs-empty', t('side_on_air_none')));
    return box;
  }
  box.dataset.live = 'true';
  box.append(questionText(q, 'qs-onair-text'));
  const row = el('div', 'qs-actions');
  row.append(
    button(t('act_answered'), 'answered', { cls: 'c-btn-primary', title: 'd', data: { qid: q.id } }),
    button(t('act_back_on_air'), 'back', { data: { qid: q.id } }),
  );
  box.append(row);
  return box;
}

function detailBox(q, model, info) {
  const { t } = info;
  const box = el('section', 'qs-box qs-detail');
  box.setAttribute('aria-labelledby', 'qs-detail-h');
  const h = el('h2', 'qs-h', t('side_selected', { id: q.id }));
  h.id = 'qs-detail-h';
  box.append(h, questionText(q, 'qs-text'), metaLine(q, info), badges(q, { t, similar: 0 }));
  if (q.flags?.words?.length) box.append(el('p', 'qs-flag', t('flag_words', { words: q.flags.words.join('、') })));
  const row = el('div', 'qs-actions');
  if (q.status !== 'merged') {
    row.append(button(t('act_edit'), 'edit', { title: 'e', data: { qid: q.id } }));
    row.append(button(t(q.starred ? 'act_unstar' : 'act_star'), 'star', { title: 's', data: { qid: q.id } }));
  }
  const tags = Array.isArray(model.broadcast?.settings?.tags) ? model.broadcast.settings.tags : [];
  if (q.status !== 'merged' && (tags.length > 0 || q.tag)) row.append(tagPicker(q, tags, t));
  const banned = model.banned.some((b) => b.asker && b.asker === q.asker);
  if (q.asker && !banned) row.append(button(t('act_ban'), 'ban', { cls: 'c-btn-danger', data: { qid: q.id } }));
  if (banned) row.append(el('span', 'q-badge q-badge-banned', t('badge_banned')));
  box.append(row);
  return box;
}

// The moderator files the question under one of the broadcast's tags (q.tag).
function tagPicker(q, tags, t) {
  const select = el('select', 'qs-tag');
  select.dataset.act = 'tag';
  select.dataset.qid = String(q.id);
  select.setAttribute('aria-label', t('tag_set_label'));
  const none = el('option', '', t('tag_none_set'));
  none.value = '';
  const known = tags.includes(q.tag) || !q.tag ? tags : [q.tag, ...tags];
  select.append(none, ...known.map((tag) => {
    const o = el('option', '', tag);
    o.value = tag;
    return o;
  }));
  select.value = q.tag ?? '';
  return select;
}

function similarBox(q, similar, model, t) {
  const box = el('section', 'qs-box qs-similar');
  box.setAttribute('aria-labelledby', 'qs-similar-h');
  const h = el('h2', 'qs-h', t('side_similar'));
  h.id = 'qs-similar-h';
  box.append(h);
  if (similar.length === 0) {
    box.append(el('p', 'qs-empty', t('side_similar_none')));
    return box;
  }
  const list = el('ol', 'qs-list');
  for (const { id, score } of similar) {
    const other = model.questions.get(id);
    if (other === undefined) continue;
    const li = el('li', 'qs-item');
    li.dataset.qid = String(id);
    li.append(questionText(other, 'qs-item-text'));
    const meta = el('p', 'q-meta');
    meta.append(
      el('span', 'q-id', `#${id}`),
      el('span', 'qs-status', t(`status_${other.status}`)),
      el('span', 'qs-votes', t('votes_n', { n: other.votes ?? 0 })),
      el('span', 'qs-score', t('similarity', { pct: Math.round(score * 100) })),
    );
    li.append(meta);
    if (canReceiveMerge(other) && q.status !== 'merged') {
      li.append(button(t('act_merge_here'), 'merge', { cls: 'c-btn-primary', title: 'm', data: { qid: q.id, into: id } }));
    }
    list.append(li);
  }
  box.append(list);
  return box;
}

function bannedBox(model, t) {
  const box = el('section', 'qs-box qs-banned');
  box.setAttribute('aria-labelledby', 'qs-banned-h');
  const h = el('h2', 'qs-h', t('side_banned', { n: model.banned.length }));
  h.id = 'qs-banned-h';
  box.append(h);
  if (model.banned.length === 0) {
    box.append(el('p', 'qs-empty', t('side_banned_none')));
    return box;
  }
  const list = el('ul', 'qs-list');
  for (const b of model.banned) {
    const li = el('li', 'qs-ban');
    li.dataset.asker = b.asker;
    const q = model.questions.get(b.qid);
    li.append(el('span', 'q-asker-id', String(b.asker).slice(0, 6)));
    // Banned by a question, or by pseudonym from the list of active viewers (no qid).
    const why = b.qid == null ? '' : q ? t('ban_because', { id: b.qid, text: q.text.slice(0, 40) }) : `#${b.qid}`;
    li.append(el('span', 'qs-ban-q', why));
    li.append(button(t('act_unban'), 'unban', { data: b.qid == null ? { viewer: b.asker } : { qid: b.qid } }));
    list.append(li);
  }
  box.append(list);
  return box;
}

/** The whole column for the current model and selection; `info.active` is the
 * live box of active viewers (active.js), kept as it is and placed last. */
export function renderSide(column, model, selectedQ, similar, info) {
  const parts = [onAirBox(model, info.t)];
  // Scenes, the cue and the run-down (console/rundown.js), kept live by their module.
  if (info.production) parts.unshift(info.production);
  if (selectedQ !== undefined) {
    parts.push(detailBox(selectedQ, model, info));
    if (selectedQ.status !== 'merged') parts.push(similarBox(selectedQ, similar, model, info.t));
  }
  parts.push(bannedBox(model, info.t));
  if (info.active) parts.push(info.active);
  column.replaceChildren(...parts);
}
