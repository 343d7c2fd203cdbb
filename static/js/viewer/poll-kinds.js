// The phone's poll results (every kind) and the answer forms of the kinds
// beyond choice: a rating's scale, a ranking's ordered list, a word cloud's
// text field. Results come only from static/js/shared/poll-figures.js, so the
// phone shows what the console, the overlay and the exports show.
import { el, setText } from '../shared/dom.js';
import { figures } from '../shared/poll-figures.js';
import { basisText, cloudItems } from '../shared/poll-draw.js';
import { charCount } from '../shared/format.js';

/** The figures of a poll as this viewer may see them (null tallies: hidden). */
export function viewerFigures(poll, tallies, ballots) {
  if (!Array.isArray(tallies)) return null;
  return figures({ ...poll, tallies, ballots });
}

/** Result rows for any kind; `mine` marks the viewer's own choice. */
export function resultNodes(figs, mine, ctx) {
  const { t, fmt, lang } = ctx;
  const own = Array.isArray(mine) ? mine : [];
  const nodes = [];
  if (figs.kind === 'words') {
    const cloud = el('ul', 'cloud');
    cloud.setAttribute('aria-label', t('poll_cloud'));
    cloud.append(...cloudItems(figs));
    nodes.push(cloud);
  } else if (figs.kind === 'ranking') {
    const list = el('ol', 'ranking-result');
    for (const r of figs.rows) {
      const row = el('li', 'result');
      const line = el('div', 'result-row');
      line.append(el('span', 'result-label', `${r.place}. ${r.text}`),
        el('span', 'pct', t('poll_points', { n: fmt(r.points) })));
      const bar = el('div', 'bar');
      const fill = el('span');
      fill.style.width = `${r.pct}%`; // CSSOM: CSP-safe
      bar.append(fill);
      row.append(line, bar);
      list.append(row);
    }
    nodes.push(list);
  } else {
    if (figs.kind === 'rating' && figs.average !== null) {
      nodes.push(el('p', 'rating-average', t('poll_average', { avg: figs.average, scale: figs.scale })));
    }
    for (const r of figs.rows) {
      const chosen = own.includes(r.option);
      const row = el('div', 'result');
      if (chosen) row.dataset.mine = '';
      const line = el('div', 'result-row');
      const label = el('span', 'result-label', r.text);
      if (chosen) label.append(el('span', 'sr-only', t('mine_choice')));
      line.append(label, el('span', 'pct', `${r.pct}% · ${t('poll_votes', { n: fmt(r.count) })}`));
      const bar = el('div', 'bar');
      const fill = el('span');
      fill.style.width = `${r.pct}%`; // CSSOM, not a style attribute: CSP-safe
      bar.append(fill);
      row.append(line, bar);
      nodes.push(row);
    }
    if (figs.kind === 'rating') nodes.push(scaleEnds(figs.labels));
  }
  nodes.push(el('p', 'poll-basis', basisText(figs, lang())));
  return nodes;
}

function scaleEnds(labels) {
  return el('p', 'scale-ends', null, el('span', null, labels[0] ?? ''), el('span', null, labels[1] ?? ''));
}

/**
 * The answer form of a rating, ranking or word-cloud poll. `send(body)` is
 * the command's fields ({choices} or {text}); `state` keeps what the viewer
 * chose across redraws (a Map per poll, owned by the page).
 */
export function buildKindForm(poll, ctx, send) {
  const { t } = ctx;
  const form = el('form', `kind-form kind-${poll.kind}`);
  form.noValidate = true;
  const fieldset = el('fieldset');
  fieldset.append(el('legend', 'sr-only', poll.question ?? ''));
  let value;
  if (poll.kind === 'rating') value = ratingFields(poll, fieldset, ctx);
  else if (poll.kind === 'ranking') value = rankingFields(poll, fieldset, ctx);
  else value = wordsFields(poll, fieldset, ctx);
  const actions = el('div', 'poll-actions');
  const submit = el('button', 'primary', t(poll.kind === 'words' ? 'poll_answer_submit' : 'poll_submit'));
  submit.type = 'submit';
  actions.append(submit);
  form.append(fieldset, actions);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send(value());
  });
  return form;
}

function ratingFields(poll, fieldset, ctx) {
  const chosen = ctx.memory(poll.id, () => ({ point: null }));
  const scale = el('div', 'rating-scale');
  (poll.options ?? []).forEach((point, i) => {
    const label = el('label', 'rating-point');
    const input = el('input');
    input.type = 'radio';
    input.name = `poll-${poll.id}`;
    input.value = String(i);
    input.checked = chosen.point === i;
    input.addEventListener('change', () => { chosen.point = i; });
    label.append(input, el('span', null, point));
    scale.append(label);
  });
  fieldset.append(scale, scaleEnds(poll.labels ?? ['', '']));
  return () => (chosen.point === null ? null : { choices: [chosen.point] });
}

function rankingFields(poll, fieldset, ctx) {
  const { t } = ctx;
  const options = poll.options ?? [];
  const kept = ctx.memory(poll.id, () => ({ order: options.map((_, i) => i) }));
  const list = el('ol', 'ranking-list');
  const draw = () => {
    list.replaceChildren(...kept.order.map((option, place) => {
      const item = el('li', 'ranking-item');
      item.dataset.option = String(option);
      const up = el('button', 'rank-move', '↑');
      up.type = 'button';
      up.disabled = place === 0;
      up.setAttribute('aria-label', t('poll_rank_up', { option: options[option] }));
      const down = el('button', 'rank-move', '↓');
      down.type = 'button';
      down.disabled = place === kept.order.length - 1;
      down.setAttribute('aria-label', t('poll_rank_down', { option: options[option] }));
      const move = (delta) => {
        const to = place + delta;
        [kept.order[place], kept.order[to]] = [kept.order[to], kept.order[place]];
        draw();
        list.children[to]?.querySelector(delta < 0 ? '.rank-move' : '.rank-move:last-child')?.focus();
      };
      up.addEventListener('click', () => move(-1));
      down.addEventListener('click', () => move(1));
      item.append(el('span', 'rank-place', String(place + 1)), el('span', 'option-text', options[option]), up, down);
      return item;
    }));
  };
  draw();
  fieldset.append(el('p', 'poll-basis', t('poll_rank_hint')), list);
  return () => ({ choices: [...kept.order] });
}

function wordsFields(poll, fieldset, ctx) {
  const { t } = ctx;
  const kept = ctx.memory(poll.id, () => ({ text: '' }));
  const input = el('input', 'answer-input');
  input.type = 'text';
  input.maxLength = poll.maxlen ?? 20;
  input.value = kept.text;
  input.placeholder = t('poll_answer_ph');
  input.setAttribute('aria-label', poll.question ?? '');
  const count = el('span', 'answer-count');
  const update = () => {
    kept.text = input.value;
    setText(count, `${charCount(input.value)}/${poll.maxlen ?? 20}`);
  };
  input.addEventListener('input', update);
  update();
  fieldset.append(el('div', 'answer-line', null, input, count));
  if (poll.moderated) fieldset.append(el('p', 'poll-basis', t('poll_answer_moderated')));
  return () => (input.value.trim() ? { text: input.value } : null);
}
