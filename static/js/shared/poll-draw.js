// What every page draws of a poll's results the same way, from the figures of
// static/js/shared/poll-figures.js: the word cloud (plain DOM sized by CSS on
// data-size 1..6, never inline styles: the pages' CSP), the one-line rule or
// basis under the results. Text only through textContent (el()).
import { el } from './dom.js';

/** The cloud's words as <li> items, the most frequent first (each page's CSS sizes them). */
export function cloudItems(figs, className = 'cloud-word') {
  return (figs?.words ?? []).map((w) => {
    const item = el('li', className, w.word);
    item.dataset.size = String(w.size);
    item.dataset.word = w.word;
    item.title = String(w.count);
    return item;
  });
}

/** The sentence that says what the figures are (share of voters, Borda, average...). */
export function basisText(figs, lang) {
  const key = lang === 'en' ? 'en' : 'zh';
  if (figs.kind === 'ranking' || figs.kind === 'words') return figs.note[key];
  return figs.basis[key];
}

/** A kind's short label, in both languages (the pages' pills and headings). */
export const KIND_LABEL = {
  choice: { zh: '投票', en: 'Poll' },
  rating: { zh: '打分', en: 'Rating' },
  ranking: { zh: '排序', en: 'Ranking' },
  words: { zh: '词云', en: 'Word cloud' },
};

export function kindLabel(kind, lang) {
  return (KIND_LABEL[kind] ?? KIND_LABEL.choice)[lang === 'en' ? 'en' : 'zh'];
}
