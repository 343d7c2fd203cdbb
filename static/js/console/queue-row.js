// One question of the queue as DOM: its text (sensitive words in <mark>), who
// asked, when, votes, badges and the buttons its status allows.
//
// Text only: every piece of data goes in with textContent; the <mark>s are
// made with createElement around text nodes, never by parsing markup.

import { canMove, markRuns } from './model.js';
import { relativeTime } from '../shared/format.js';
import { ANONYMOUS } from '../shared/contract.js';
import { el } from '../shared/dom.js';


/**
 * The question's text, its flagged spans wrapped in <mark>. The hub matched
 * the text as asked: after an edit the spans may point anywhere, so an edited
 * question is shown unmarked (its badge still names the words).
 */
export function questionText(q, className = 'q-text') {
  const p = el('p', className);
  const spans = q.flags?.spans;
  if (q.edited || !Array.isArray(spans) || spans.length === 0) {
    p.textContent = q.text ?? '';
    return p;
  }
  for (const run of markRuns(q.text, spans)) {
    if (run.mark) p.append(el('mark', 'q-mark', run.text));
    else p.append(document.createTextNode(run.text));
  }
  return p;
}

function clock(ms) {
  const d = new Date(Number(ms));
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Name, tag, time, asker: the line under the text. */
export function metaLine(q, { t, lang, askerCount }) {
  const meta = el('p', 'q-meta');
  meta.append(el('span', 'q-id', `#${q.id}`));
  const name = q.name && q.name !== ANONYMOUS ? q.name : t('anonymous');
  meta.append(el('span', 'q-name', name));
  if (q.tag) meta.append(el('span', 'q-tag', q.tag));
  // Typed in by a moderator: where it came from (热线, 来信, 现场...).
  if (q.source && q.source !== 'phone') meta.append(el('span', 'q-tag q-source', t(`source_${q.source}`)));
  if (q.created) {
    const time = el('time', 'q-time', relativeTime(q.created, Date.now(), lang()));
    time.dateTime = new Date(Number(q.created)).toISOString();
    time.title = clock(q.created);
    meta.append(time);
  }
  if (q.asker) {
    const who = el('span', 'q-asker');
    who.title = t('asker_title');
    who.append(el('span', 'q-asker-id', q.asker.slice(0, 6)));
    const n = askerCount ?? 0;
    if (n > 1) who.append(el('span', 'q-asker-n', t('asker_count', { n })));
    meta.append(who);
  }
  return meta;
}

/** The reason as people read it ("blocked" and "banned" are the hub's own words). */
export function reasonText(reason, t) {
  if (reason === 'blocked') return t('reason_blocked');
  if (reason === 'banned') return t('reason_banned');
  return reason;
}

export function badges(q, { t, similar }) {
  const box = el('p', 'q-badges');
  const add = (cls, text, title) => {
    const b = el('span', `q-badge ${cls}`, text);
    if (title) b.title = title;
    box.append(b);
  };
  if (q.flags?.action === 'hold') {
    add('q-badge-held', t('badge_held'), t('flag_words', { words: (q.flags.words ?? []).join('、') }));
  }
  if (q.flags?.action === 'block') {
    add('q-badge-blocked', t('badge_blocked'), t('flag_words', { words: (q.flags.words ?? []).join('、') }));
  }
  if (q.edited) add('q-badge-edited', t('badge_edited'));
  if (q.status === 'merged') add('q-badge-merged', t('badge_merged', { id: q.merged_into }));
  if (q.reason && q.status === 'rejected') add('q-badge-reason', t('badge_reason', { reason: reasonText(q.reason, t) }));
  if (similar > 0) add('q-badge-similar', t('badge_similar', { n: similar }));
  return box;
}

/** The buttons a question's status allows: [action, label key, key hint]. */
export function rowActions(q) {
  const s = q.status;
  const list = [];
  if (canMove(s, 'approved') && s !== 'on_air' && s !== 'answered') list.push(['approve', 'act_approve', 'a']);
  if (canMove(s, 'on_air') && s !== 'answered') list.push(['on_air', 'act_on_air', '↵']);
  if (s === 'on_air' || s === 'approved') list.push(['answered', 'act_answered', 'd']);
  if (canMove(s, 'rejected')) list.push(['reject', 'act_reject', 'r']);
  if (s === 'answered' || s === 'on_air' || s === 'rejected' || s === 'approved') list.push(['back', `act_back_${s}`, 'b']);
  return list;
}

/** A row of the list (built again when its signature changes). */
export function buildRow(q, info) {
  const { t, selected, checked, busy, note, similar } = info;
  const li = el('li', 'q-row');
  li.dataset.qid = String(q.id);
  li.dataset.status = q.status;
  if (selected) li.setAttribute('aria-current', 'true');
  if (busy) li.setAttribute('aria-busy', 'true');
  if (q.flags?.action) li.dataset.flag = q.flags.action;

  const check = el('input', 'q-check');
  check.type = 'checkbox';
  check.checked = checked;
  check.setAttribute('aria-label', t('select_one', { id: q.id }));
  check.dataset.act = 'check';
  const disabled = q.status === 'merged';
  check.disabled = disabled;

  const body = el('div', 'q-body');
  body.append(questionText(q), metaLine(q, info), badges(q, { t, similar }));
  if (note) {
    const n = el('p', 'q-note', note.text);
    n.dataset.kind = note.kind;
    n.setAttribute('role', 'status');
    body.append(n);
  }

  // Nobody can upvote a question before it is public: no "0 votes" on every pending row.
  const votes = el('div', 'q-votes');
  if (q.status !== 'pending' || q.votes > 0) {
    votes.append(el('span', 'q-votes-n', String(q.votes ?? 0)), el('span', 'q-votes-u', t('votes_unit')));
  }

  const actions = el('div', 'q-actions');
  const star = el('button', 'q-btn q-star', q.starred ? '★' : '☆');
  star.type = 'button';
  star.dataset.act = 'star';
  star.setAttribute('aria-pressed', String(Boolean(q.starred)));
  star.setAttribute('aria-label', t(q.starred ? 'act_unstar' : 'act_star'));
  star.title = `${t(q.starred ? 'act_unstar' : 'act_star')} (s)`;
  star.disabled = disabled;
  actions.append(star);
  for (const [act, key, hint] of rowActions(q)) {
    const b = el('button', `q-btn q-act-${act}`, t(key));
    b.type = 'button';
    b.dataset.act = act;
    b.title = `${t(key)} (${hint})`;
    b.disabled = busy;
    actions.append(b);
    // Shown while the scene on air hides questions (the queue's is-scene-no-question).
    if (act === 'on_air') actions.append(el('span', 'q-scene-note', t('prod_scene_hides_q_short')));
  }
  li.append(check, body, votes, actions);
  return li;
}
