// The console's poll kinds (docs/console.md, "Poll types"): the form's fields
// of a rating (scale, end labels), a ranking (options, no multiple choice) and
// a word cloud (answer length, moderation); on a word cloud's card, the cloud
// with a button per word to hide it everywhere, the hidden words to show again
// and the review queue of held answers (approve / reject).
//
// Commands (docs/protocol.md): poll.create (kind, scale, labels, max_len,
// moderated), poll.word, poll.review. Figures come from
// static/js/shared/poll-figures.js only.

import { figures } from '../shared/poll-figures.js';
import { basisText } from '../shared/poll-draw.js';
import { busy, errorText, field, h, setText } from './panel-kit.js';
import {
  ANSWER_LEN_DEFAULT,
  ANSWER_LEN_RANGE,
  POLL_KINDS,
  RANKING_RANGE,
  RATING_LABEL_MAX_LEN,
  RATING_SCALES,
} from '../shared/contract.js';

export { POLL_KINDS };

/** Check the kind's own fields; errors as {field, key, vars} like validatePollForm. */
export function validateKind(values) {
  const kind = POLL_KINDS.includes(values.kind) ? values.kind : 'choice';
  const errors = [];
  const out = { kind };
  if (kind === 'rating') {
    const scale = Number(values.scale);
    if (!RATING_SCALES.includes(scale)) errors.push({ field: 'scale', key: 'polls_err_scale', vars: {} });
    const labels = [values.low ?? '', values.high ?? ''].map((s) => String(s).replace(/\s+/g, ' ').trim());
    if (labels.some((s) => [...s].length > RATING_LABEL_MAX_LEN)) {
      errors.push({ field: 'labels', key: 'polls_err_label_long', vars: { max: RATING_LABEL_MAX_LEN } });
    }
    Object.assign(out, { scale, labels });
  } else if (kind === 'words') {
    const [lo, hi] = ANSWER_LEN_RANGE;
    const maxLen = Number(values.maxLen);
    if (!Number.isInteger(maxLen) || maxLen < lo || maxLen > hi) {
      errors.push({ field: 'max_len', key: 'polls_err_max_len', vars: { lo, hi } });
    }
    Object.assign(out, { max_len: maxLen, moderated: Boolean(values.moderated) });
  }
  return { errors, extra: out };
}

/** Whether the kind has options typed by the moderator (choice, ranking). */
export const hasOptions = (kind) => kind === 'choice' || kind === 'ranking';
export const RANKING_MAX = RANKING_RANGE[1];

/** The kind selector and each kind's fields, shown for the chosen kind only. */
export function kindFields(t, onChange) {
  const kind = h('select', { className: 'cp-input', attrs: { name: 'poll-kind' } },
    POLL_KINDS.map((k) => h('option', { value: k, text: t(`polls_kind_${k}`) })));
  const scale = h('select', { className: 'cp-input', attrs: { name: 'poll-scale' } },
    RATING_SCALES.map((n) => h('option', { value: String(n), text: t('polls_scale_n', { n }) })));
  const low = h('input', { type: 'text', className: 'cp-input', maxLength: RATING_LABEL_MAX_LEN * 2,
    attrs: { name: 'poll-low', placeholder: t('polls_low_ph') } });
  const high = h('input', { type: 'text', className: 'cp-input', maxLength: RATING_LABEL_MAX_LEN * 2,
    attrs: { name: 'poll-high', placeholder: t('polls_high_ph') } });
  const maxLen = h('input', { type: 'number', className: 'cp-input', value: String(ANSWER_LEN_DEFAULT),
    attrs: { name: 'poll-max-len', min: String(ANSWER_LEN_RANGE[0]), max: String(ANSWER_LEN_RANGE[1]) } });
  const moderated = h('input', { type: 'checkbox', attrs: { name: 'poll-moderated' } });
  const rating = h('div', { className: 'cp-kind-fields', dataset: { kind: 'rating' } },
    field(t('polls_scale'), scale),
    h('div', { className: 'cp-row' }, field(t('polls_low'), low), field(t('polls_high'), high)));
  const words = h('div', { className: 'cp-kind-fields', dataset: { kind: 'words' } },
    field(t('polls_max_len'), maxLen, t('polls_max_len_hint')),
    h('label', { className: 'cp-check' }, moderated, t('polls_moderated')));
  const rule = h('p', { className: 'cp-hint cp-kind-rule' });
  const show = () => {
    rating.hidden = kind.value !== 'rating';
    words.hidden = kind.value !== 'words';
    setText(rule, t(`polls_kind_${kind.value}_hint`));
    onChange(kind.value);
  };
  kind.addEventListener('change', show);
  return {
    node: h('div', { className: 'cp-kinds' }, field(t('polls_kind_type'), kind), rule, rating, words),
    show,
    values: () => ({ kind: kind.value, scale: scale.value, low: low.value, high: high.value,
      maxLen: Number(maxLen.value), moderated: moderated.checked }),
    fill(poll) {
      kind.value = POLL_KINDS.includes(poll.kind) ? poll.kind : 'choice';
      scale.value = String(poll.options?.length === 10 && poll.kind === 'rating' ? 10 : 5);
      low.value = poll.labels?.[0] ?? '';
      high.value = poll.labels?.[1] ?? '';
      maxLen.value = String(poll.maxlen ?? ANSWER_LEN_DEFAULT);
      moderated.checked = Boolean(poll.moderated);
      show();
    },
  };
}

/** Rows as the console's bars draw them: {text, count, pct, lead, label} from the figures. */
export function barRows(poll, figs, t, fmt) {
  if (figs.kind === 'ranking') {
    return figs.rows.map((r) => ({ text: `${r.place}. ${r.text}`, count: r.points, pct: r.pct, lead: r.place === 1 && r.points > 0,
      label: t('polls_points_pct', { n: fmt(r.points), pct: r.pct }) }));
  }
  return figs.rows.map((r) => ({ ...r, label: t('polls_votes_pct', { n: fmt(r.count), pct: r.pct }) }));
}

/** A word cloud's part of a poll card: the cloud (a button per word), hidden words, review queue. */
export function cloudSection(ctx, id) {
  const t = ctx.t;
  const cloud = h('ul', { className: 'cp-cloud', attrs: { 'aria-label': t('polls_cloud') } });
  const hiddenList = h('ul', { className: 'cp-hidden-words' });
  const hiddenBox = h('div', { className: 'cp-hidden-box' }, h('p', { className: 'cp-hint', text: t('polls_hidden_words') }), hiddenList);
  const queue = h('ul', { className: 'cp-review' });
  const queueTitle = h('p', { className: 'cp-review-title' });
  const queueBox = h('div', { className: 'cp-review-box' }, queueTitle, queue);
  const basis = h('p', { className: 'cp-hint' });
  const hide = (word, hidden, button) => busy(button, async () => {
    await ctx.send('poll.word', { poll: id, word, hidden });
    ctx.toast(t(hidden ? 'polls_word_hidden' : 'polls_word_shown', { word }), 'ok');
  }, (err) => ctx.toast(errorText(ctx, err), 'error'));
  const review = (answer, approve, button) => busy(button, async () => {
    await ctx.send('poll.review', { poll: id, answer: answer.id, approve });
  }, (err) => ctx.toast(errorText(ctx, err), 'error'));
  let key = null;
  return {
    node: h('div', { className: 'cp-cloud-box' }, cloud, basis, hiddenBox, queueBox),
    update(poll) {
      const figs = figures(poll);
      const next = JSON.stringify([figs.words, poll.hidden, poll.queue, poll.moderated, ctx.lang()]);
      if (next === key) return;
      key = next;
      cloud.replaceChildren(...figs.words.map((w) => {
        const b = h('button', { type: 'button', className: 'cp-cloud-word', text: w.word,
          dataset: { size: String(w.size), word: w.word },
          attrs: { title: t('polls_word_hide_hint', { word: w.word, n: w.count }) } });
        b.addEventListener('click', () => hide(w.word, true, b));
        return h('li', {}, b);
      }));
      setText(basis, `${basisText(figs, ctx.lang())} · ${t('polls_word_click')}`);
      const hidden = Array.isArray(poll.hidden) ? poll.hidden : [];
      hiddenBox.hidden = hidden.length === 0;
      hiddenList.replaceChildren(...hidden.map((word) => {
        const b = h('button', { type: 'button', className: 'cp-btn cp-btn-small', text: t('polls_word_show', { word }),
          dataset: { word } });
        b.addEventListener('click', () => hide(word, false, b));
        return h('li', {}, b);
      }));
      const items = Array.isArray(poll.queue) ? poll.queue : [];
      queueBox.hidden = !poll.moderated && items.length === 0;
      setText(queueTitle, t('polls_review_n', { n: poll.pending ?? items.length }));
      queue.replaceChildren(...items.map((a) => {
        const ok = h('button', { type: 'button', className: 'cp-btn cp-btn-small cp-btn-primary', text: t('polls_review_ok') });
        const no = h('button', { type: 'button', className: 'cp-btn cp-btn-small cp-btn-quiet', text: t('polls_review_no') });
        ok.addEventListener('click', () => review(a, true, ok));
        no.addEventListener('click', () => review(a, false, no));
        const flagged = a.flags && typeof a.flags === 'object' ? t('polls_review_flagged') : '';
        return h('li', { className: 'cp-review-item', dataset: { answer: String(a.id) } },
          h('span', { className: 'cp-review-text', text: String(a.text ?? '') }),
          flagged ? h('span', { className: 'cp-badge', text: flagged }) : null, ok, no);
      }));
    },
  };
}
