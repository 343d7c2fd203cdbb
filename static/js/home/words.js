// Console home: the deployment-wide sensitive-word list (GET/PUT /api/words).
// Every moderator may read it; administrators edit it, or import a .txt file
// (read here in the browser, then saved as text/plain: the import format of
// docs/protocol.md). Until the hub serves /api/words (404) the section says so
// and the rest of the page works.

import { t } from './i18n.js';
import { $, errorText, say, setText } from './dom.js';
import { decodeText, formatWordList, parseWordList } from '../shared/wordlist.js';
import { WORDS_MAX_BODY } from '../shared/contract.js';

const SHOW_PROBLEMS = 3; // the first few; then "N more"
// The hub refuses a list with a line like this; lengths and counts are only
// warnings here (the hub measures them after normalisation, and decides).
const BLOCKING = new Set(['action']);

export function mountWords(ctx) {
  const admin = Boolean(ctx.me.admin);
  const view = {
    words: [], // as last read from the hub
    loaded: false,
    missing: false, // the hub answered 404: no word list API yet
    dirty: false,
    parsed: { words: [], problems: [] },
    msg: null, // {key, vars, kind} | {text, kind}
    checkTimer: null,
  };
  const area = $('words-text');

  async function load() {
    try {
      const data = await ctx.api('GET', '/api/words');
      view.words = Array.isArray(data?.words) ? data.words : [];
      view.loaded = true;
      view.missing = false;
      if (!view.dirty) area.value = formatWordList(view.words);
      check();
    } catch (err) {
      if (err.status === 404) {
        view.missing = true;
        view.msg = { key: 'words_missing', kind: 'info' };
      } else if (err.status !== 401) {
        view.msg = { text: `${t('words_failed')}: ${errorText(err)}`, kind: 'error' };
      }
    }
    render();
  }

  function check() {
    view.parsed = parseWordList(area.value);
  }

  function problemText(p) {
    return t(`words_problem_${p.kind}`, { line: p.line, text: p.text.length > 40 ? `${p.text.slice(0, 40)}…` : p.text });
  }

  function render() {
    const counts = { block: 0, hold: 0 };
    for (const w of view.words) counts[w.action === 'block' ? 'block' : 'hold'] += 1;
    setText(
      $('words-count'),
      view.loaded ? t('words_count_detail', { n: view.words.length, ...counts }) : '',
    );
    area.readOnly = !admin || view.missing;
    area.hidden = view.missing;
    $('words-readonly').hidden = admin || view.missing;
    $('words-actions').hidden = !admin || view.missing;
    $('words-revert').disabled = !view.dirty;

    const lines = [];
    if (admin && view.loaded && view.dirty) {
      lines.push(t('words_check', { n: view.parsed.words.length }));
    }
    const problems = view.parsed.problems;
    if (view.dirty) {
      for (const p of problems.slice(0, SHOW_PROBLEMS)) lines.push(problemText(p));
      if (problems.length > SHOW_PROBLEMS) lines.push(t('words_more', { n: problems.length - SHOW_PROBLEMS }));
    }
    setText($('words-check'), lines.join(' '));
    const m = view.msg;
    say($('words-msg'), m ? m.text ?? t(m.key, m.vars) : '', m?.kind ?? 'info');
  }

  function onInput() {
    view.dirty = true;
    view.msg = null;
    clearTimeout(view.checkTimer);
    // A 20,000-line list is re-read at most every 200 ms while typing.
    view.checkTimer = setTimeout(() => {
      check();
      render();
    }, 200);
  }

  async function save() {
    const button = $('words-save');
    if (button.disabled) return;
    check();
    if (view.parsed.problems.some((p) => BLOCKING.has(p.kind))) {
      view.msg = { key: 'words_fix', kind: 'error' };
      render();
      area.focus();
      return;
    }
    button.disabled = true;
    setText(button, t('words_saving'));
    try {
      const reply = await ctx.api('PUT', '/api/words', area.value);
      view.dirty = false;
      await load();
      const n = typeof reply?.count === 'number' ? reply.count : view.words.length;
      view.msg = { key: 'words_saved', vars: { n }, kind: 'ok' };
    } catch (err) {
      if (err.status === 404) {
        view.missing = true;
        view.msg = { key: 'words_missing', kind: 'info' };
      } else if (err.status !== 401) {
        view.msg = { text: errorText(err), kind: 'error' };
      }
    } finally {
      button.disabled = false;
      setText(button, t('words_save'));
      render();
    }
  }

  async function importFile(event) {
    const input = event.target;
    const file = input.files?.[0];
    input.value = ''; // the same file can be chosen again
    if (!file) return;
    if (file.size > WORDS_MAX_BODY) {
      view.msg = { key: 'words_file_big', kind: 'error' };
      render();
      return;
    }
    try {
      area.value = decodeText(await file.arrayBuffer());
    } catch {
      view.msg = { key: 'words_file_failed', kind: 'error' };
      render();
      return;
    }
    view.dirty = true;
    check();
    view.msg = { key: 'words_imported', vars: { n: view.parsed.words.length, file: file.name }, kind: 'info' };
    render();
    area.focus();
  }

  function revert() {
    area.value = formatWordList(view.words);
    view.dirty = false;
    view.msg = null;
    check();
    render();
  }

  area.addEventListener('input', onInput);
  $('words-save').addEventListener('click', save);
  $('words-revert').addEventListener('click', revert);
  $('words-file').addEventListener('change', importFile);
  load();

  return { redraw: render };
}
