// Questions that say nearly the same thing (docs/console.md). Pure: no DOM.
//
// Chinese has no spaces between words, so words are not the unit: character
// bigrams of the normalised text are (NFKC, lower case, punctuation, symbols
// and spaces removed; "地铁5号线" -> 地铁 铁5 5号 号线). Two questions are
// similar when their bigram sets overlap enough:
//
// * Jaccard |A∩B| / |A∪B| >= `jaccard` (0.45): the same question reworded, or
// * containment |A∩B| / min(|A|,|B|) >= `containment` (0.7), when the smaller
//   side has at least `minGrams` (4) bigrams: a short question inside a long one
//   ("5号线南延到底什么时候开工" in a paragraph about line 5).
//
// The thresholds err on the side of showing: a moderator reads the list (with
// the score) and decides; a missed duplicate costs more than a shown near-miss.
//
// Speed (2,000 questions on a laptop in well under a second, tests/js): an
// inverted index bigram -> ids gives the candidates. Prefix filtering keeps the
// scan exact and short: a candidate that passes shares at least `need` bigrams
// with the query (derived from the thresholds), so it appears in at least one
// of the query's (|A| - need + 1) RAREST bigrams' lists; the most common
// bigrams ("什么", "是否") are never scanned. Candidates are then scored exactly
// by intersecting the two stored sets.

// Punctuation (P), symbols (S), separators (Z), controls and format characters
// (zero-width tricks): none of them carries meaning for likeness.
const STRIP = /[\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}\s]+/gu;

/** NFKC, lower case, punctuation/symbols/spaces removed. */
export function normalise(text) {
  return String(text ?? '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(STRIP, '');
}

/** The set of character bigrams of the normalised text (one unigram if 1 char). */
export function grams(text) {
  const chars = Array.from(normalise(text));
  const out = new Set();
  if (chars.length === 1) out.add(chars[0]);
  for (let i = 0; i + 1 < chars.length; i += 1) out.add(chars[i] + chars[i + 1]);
  return out;
}

export const DEFAULTS = Object.freeze({ jaccard: 0.45, containment: 0.7, minGrams: 4 });

/** Overlap measures of two bigram sets, and whether they count as similar. */
export function compare(a, b, opts = DEFAULTS) {
  const { jaccard: J, containment: C, minGrams: M } = { ...DEFAULTS, ...opts };
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  let common = 0;
  for (const g of small) if (big.has(g)) common += 1;
  const union = a.size + b.size - common;
  const jaccard = union > 0 ? common / union : 0;
  const containment = small.size > 0 ? common / small.size : 0;
  const similar = common > 0 && (jaccard >= J || (small.size >= M && containment >= C));
  return { common, jaccard, containment, similar, score: Math.max(jaccard, similar ? containment : 0) };
}

/**
 * The fewest common bigrams a candidate of any size needs to pass with a query
 * of `n` bigrams: Jaccard needs common >= J * n (the union is at least n) and
 * containment needs common >= C * M; the smaller of the two bounds holds for both.
 */
function minCommon(n, { jaccard: J, containment: C, minGrams: M }) {
  return Math.max(1, Math.min(Math.ceil(J * n - 1e-9), Math.ceil(C * M - 1e-9)));
}

export class SimilarIndex {
  constructor(opts = {}) {
    this.opts = { ...DEFAULTS, ...opts };
    this._grams = new Map(); // id -> Set of bigrams
    this._norm = new Map(); // id -> normalised text (unchanged text: nothing to do)
    this._postings = new Map(); // bigram -> Set of ids
  }

  get size() {
    return this._grams.size;
  }

  has(id) {
    return this._grams.has(id);
  }

  /** Index (or re-index, after an edit) question `id`. Returns true if it changed. */
  set(id, text) {
    const norm = normalise(text);
    if (this._norm.get(id) === norm) return false;
    this.delete(id);
    const set = grams(text);
    this._grams.set(id, set);
    this._norm.set(id, norm);
    for (const g of set) {
      let list = this._postings.get(g);
      if (list === undefined) {
        list = new Set();
        this._postings.set(g, list);
      }
      list.add(id);
    }
    return true;
  }

  delete(id) {
    const set = this._grams.get(id);
    if (set === undefined) return;
    for (const g of set) {
      const list = this._postings.get(g);
      list.delete(id);
      if (list.size === 0) this._postings.delete(g);
    }
    this._grams.delete(id);
    this._norm.delete(id);
  }

  /**
   * Questions similar to indexed question `id`, best first:
   * [{id, score, jaccard, containment}]. `before` (default true): only ids
   * smaller than `id` (earlier questions; ids grow with time). `accept(id)`
   * filters candidates (e.g. no merged or rejected ones). At most `limit`.
   */
  similarTo(id, { before = true, accept = null, limit = 5 } = {}) {
    const set = this._grams.get(id);
    if (set === undefined) return [];
    const keep = (other) =>
      other !== id && (!before || other < id) && (accept === null || accept(other));
    return this._search(set, keep, limit);
  }

  /** Questions similar to a text that is not (necessarily) indexed. */
  similarToText(text, { accept = null, limit = 5 } = {}) {
    return this._search(grams(text), (other) => accept === null || accept(other), limit);
  }

  _search(set, keep, limit) {
    if (set.size === 0) return [];
    // Rarest bigrams first; scanning the first (n - need + 1) finds every
    // candidate that can pass (see the top of this file).
    const lists = [];
    for (const g of set) lists.push(this._postings.get(g) ?? EMPTY);
    lists.sort((x, y) => x.size - y.size);
    const scan = set.size - minCommon(set.size, this.opts) + 1;
    const seen = new Set();
    const found = [];
    for (let i = 0; i < scan && i < lists.length; i += 1) {
      for (const other of lists[i]) {
        if (seen.has(other)) continue;
        seen.add(other);
        if (!keep(other)) continue;
        const m = compare(set, this._grams.get(other), this.opts);
        if (m.similar) {
          found.push({ id: other, score: m.score, jaccard: m.jaccard, containment: m.containment });
        }
      }
    }
    found.sort((x, y) => y.score - x.score || x.id - y.id);
    return found.slice(0, limit);
  }
}

const EMPTY = new Set();
