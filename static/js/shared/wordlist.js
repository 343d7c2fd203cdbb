// The sensitive-word import format, read in the browser (pure, node --test).
//
// One word per line, optionally followed by a TAB and "block" or "hold"
// (default hold), optionally then a TAB and "pinyin" (the word's toneless
// pinyin matches too; "word<TAB>pinyin" keeps the default action); blank
// lines and lines starting with "#" are ignored. The hub
// parses the same text on PUT /api/words (text/plain) and is the authority:
// this parser only counts and points at suspicious lines before saving (its
// lengths are before the hub's normalisation, which can only shorten a word).

export const ACTIONS = ['hold', 'block'];
import { WORD_LIST_MAX_WORDS as MAX_WORDS, WORD_MAX_LEN } from './contract.js';

// Characters as the hub counts them after normalisation; words per list.
export { MAX_WORDS, WORD_MAX_LEN };

function codePoints(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/**
 * {words: [{word, action, pinyin?}], problems: [{line, kind, text}]} for `text`
 * (`pinyin: true` only on marked words, as the hub's GET lists them).
 * kind: "action" (unknown suffix), "too_long", "duplicate" (a later line wins,
 * as in the hub's hash), "too_many".
 */
export function parseWordList(text) {
  const byWord = new Map();
  const problems = [];
  const lines = String(text ?? '').replace(/^\ufeff/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    // As the hub reads it (sensitive.parse_text_list): a last column "pinyin"
    // is the mark; then the LAST tab separates the action.
    let rest = trimmed;
    let pinyin = false;
    const last = rest.lastIndexOf('\t');
    if (last !== -1 && rest.slice(last + 1).trim().toLowerCase() === 'pinyin') {
      pinyin = true;
      rest = rest.slice(0, last).trim();
    }
    const tab = rest.lastIndexOf('\t');
    const word = (tab === -1 ? rest : rest.slice(0, tab)).trim();
    const suffix = tab === -1 ? '' : rest.slice(tab + 1).trim().toLowerCase();
    if (word === '') return;
    let action = 'hold';
    if (suffix !== '') {
      if (!ACTIONS.includes(suffix)) {
        problems.push({ line, kind: 'action', text: trimmed });
        return;
      }
      action = suffix;
    }
    if (codePoints(word) > WORD_MAX_LEN) {
      problems.push({ line, kind: 'too_long', text: word });
      return;
    }
    if (byWord.has(word)) problems.push({ line, kind: 'duplicate', text: word });
    byWord.set(word, { action, pinyin });
  });
  const words = [...byWord].map(([word, { action, pinyin }]) => (pinyin ? { word, action, pinyin } : { word, action }));
  if (words.length > MAX_WORDS) problems.push({ line: 0, kind: 'too_many', text: String(words.length) });
  return { words, problems };
}

/**
 * The import text of a list: "word" for hold, "word<TAB>block" for block,
 * then "<TAB>pinyin" for a marked word.
 */
export function formatWordList(words) {
  return (words ?? [])
    .map(({ word, action, pinyin }) => {
      const line = action === 'block' ? `${word}\tblock` : word;
      return pinyin ? `${line}\tpinyin` : line;
    })
    .join('\n');
}

/**
 * The text of an uploaded file: UTF-8 (with or without BOM), else GB18030,
 * which is how word lists made on Chinese Windows are usually saved.
 */
export function decodeText(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(view).replace(/^\ufeff/, '');
  } catch {
    return new TextDecoder('gb18030').decode(view);
  }
}
