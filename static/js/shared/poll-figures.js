// One definition of every poll figure: the mirror of server/domain/poll_figures.py,
// checked against the same cases (tests/golden/figures/*.json) by
// tests/js/poll-figures.test.mjs and tests/unit/test_poll_figures.py. The phone,
// the console and the overlay draw results only from figures(poll).
// Integer arithmetic only, so Python and JS agree to the digit.

export const CLOUD_TOP_N = 50;
export const SIZES = 6;
export const BASIS = { zh: '占投票人数', en: 'of voters' };
export const BORDA_RULE = {
  zh: '博达计数：第1名得 n−1 分，依次递减，最后一名得 0 分；须排完全部选项',
  en: 'Borda count: n−1 points for first, one less for each place, 0 for last; every option must be ranked',
};
export const RATING_NOTE = { zh: '平均分', en: 'average' };
export const WORDS_NOTE = { zh: '每个词计其出现的回答数', en: 'each word counts the answers containing it' };

/** `part` of `whole` in whole percent, rounded half up; 0 of nothing. */
export function pct(part, whole) {
  return whole > 0 ? Math.floor((200 * part + whole) / (2 * whole)) : 0;
}

function ints(values, n) {
  const seq = Array.isArray(values) ? values : [];
  const out = [];
  for (let i = 0; i < n; i++) {
    const v = seq[i];
    out.push(typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.trunc(v)) : 0);
  }
  return out;
}

function tenths(total, ballots) {
  if (ballots <= 0) return null;
  const t = Math.floor((20 * total + ballots) / (2 * ballots));
  return `${Math.floor(t / 10)}.${t % 10}`;
}

/** The results of `poll` (a poll as events and snapshots carry it). */
export function figures(poll) {
  const kind = String(poll?.kind || 'choice');
  const ballots = typeof poll?.ballots === 'number' && Number.isFinite(poll.ballots) ? Math.trunc(poll.ballots) : 0;
  const options = (Array.isArray(poll?.options) ? poll.options : []).map(String);
  if (kind === 'words') {
    // A cloud's tallies are its [word, answers] pairs.
    const cloud = (Array.isArray(poll?.tallies) ? poll.tallies : [])
      .filter((w) => Array.isArray(w))
      .map((w) => [String(w[0]), Math.trunc(Number(w[1]) || 0)])
      .slice(0, CLOUD_TOP_N);
    const top = Math.max(0, ...cloud.map(([, c]) => c));
    return {
      kind, ballots, note: WORDS_NOTE,
      words: cloud.map(([word, count]) => ({
        word, count, size: top ? Math.max(1, Math.floor((SIZES * count + top - 1) / top)) : 1,
      })),
    }; // prettier-ignore
  }
  const counts = ints(poll?.tallies, options.length);
  if (kind === 'ranking') {
    const most = (options.length - 1) * ballots;
    const order = options.map((_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
    return {
      kind, ballots, note: BORDA_RULE, max_points: most,
      rows: order.map((i) => ({
        option: i, text: options[i], points: counts[i], pct: pct(counts[i], most),
        place: 1 + order.filter((j) => counts[j] > counts[i]).length,
      })),
    }; // prettier-ignore
  }
  const top = Math.max(0, ...counts);
  const rows = options.map((text, i) => ({
    option: i, text, count: counts[i], pct: pct(counts[i], ballots), lead: top > 0 && counts[i] === top,
  })); // prettier-ignore
  if (kind === 'rating') {
    const total = counts.reduce((a, c, i) => a + (i + 1) * c, 0);
    const labels = Array.isArray(poll?.labels) ? poll.labels : ['', ''];
    return {
      kind, ballots, note: RATING_NOTE, basis: BASIS, scale: options.length,
      labels: [String(labels[0] ?? ''), String(labels[1] ?? '')], average: tenths(total, ballots), rows,
    }; // prettier-ignore
  }
  return { kind: 'choice', ballots, basis: BASIS, rows };
}
