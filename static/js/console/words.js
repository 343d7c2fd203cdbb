// The console's 敏感词 Words panel: this broadcast's sensitive-word list
// (edit, import a .txt file, save) and the deployment-wide list, read-only.
//
// HTTP (docs/protocol.md, "Sensitive words"): GET/PUT
// /api/broadcasts/<bid>/words, GET /api/words. A PUT replaces the whole list;
// it is sent as text/plain in the import format (one word per line,
// "<TAB>block" for blocking words), which is about a third of the JSON and
// keeps a 10,000-word list well inside the hub's body limit. The format and its
// parser are shared with the console home's global list (wordlist.js); the hub
// parses again and is the authority.

import { busy, errorText, h, mountWithLang, setText, uid } from './panel-kit.js';
import { decodeText, formatWordList, MAX_WORDS, parseWordList } from '../shared/wordlist.js';

const PROBLEMS_SHOWN = 12; // lines listed under the editor; the rest are counted

// --- pure helpers (node --test) --------------------------------------------------------

/** {total, block, hold} of a list of {word, action}. */
export function wordStats(words) {
  let block = 0;
  for (const w of words ?? []) if (w.action === 'block') block += 1;
  const total = (words ?? []).length;
  return { total, block, hold: total - block };
}

/** The list as the editor shows it: blocking words first, then held ones, each in list order. */
export function editorText(words) {
  const list = Array.isArray(words) ? words : [];
  return formatWordList([...list.filter((w) => w.action === 'block'), ...list.filter((w) => w.action !== 'block')]);
}

/** Text appended to the editor's: a newline between them when needed. */
export function appendText(current, added) {
  const a = String(current ?? '');
  const b = String(added ?? '').replace(/^\ufeff/, '');
  if (!a.trim()) return b;
  return `${a.replace(/\s*$/, '')}\n${b}`;
}

// --- the panel -------------------------------------------------------------------------

export function mount(el, ctx) {
  return mountWithLang(el, ctx, build);
}

function build(el, ctx, kept) {
  const t = ctx.t;
  const path = `/api/broadcasts/${encodeURIComponent(ctx.bid)}/words`;
  el.classList.add('cp-panel', 'cp-words');

  const summary = h('p', { className: 'cp-word-stats', attrs: { role: 'status' } });
  // Disabled until the saved list is in: typing before that would be overwritten.
  const editor = h('textarea', { className: 'cp-input cp-word-editor', rows: 18, spellcheck: false, disabled: true,
    attrs: { name: 'words', placeholder: t('words_placeholder'), autocomplete: 'off' } });
  const problems = h('ul', { className: 'cp-errors' });
  const save = h('button', { type: 'button', className: 'cp-btn cp-btn-primary', text: t('words_save'), disabled: true });
  const fileInput = h('input', { type: 'file', className: 'cp-file', accept: '.txt,text/plain', attrs: { name: 'words-file' } });
  // The file input sits inside its label (a button to look at): keyboard focus
  // reaches the input, the label shows it (:focus-within).
  const importLabel = h('label', { className: 'cp-btn cp-file-btn' }, t('words_import'), fileInput);
  const revert = h('button', { type: 'button', className: 'cp-btn cp-btn-quiet', text: t('words_revert') });
  const note = h('p', { className: 'cp-hint', attrs: { role: 'status' } });
  const globalStats = h('p', { className: 'cp-word-stats' });
  const globalList = h('textarea', { className: 'cp-input cp-word-editor', rows: 10, readOnly: true,
    attrs: { 'aria-label': t('words_global_title'), placeholder: t('words_global_empty') } });
  const globalNote = h('p', { className: 'cp-hint', attrs: { role: 'status' } });

  el.replaceChildren(h('div', { className: 'cp-cols cp-cols-wide' },
    h('section', { className: 'cp-card', attrs: { 'aria-labelledby': 'cp-words-h' } },
      h('h2', { className: 'cp-title', id: 'cp-words-h', text: t('words_title') }),
      h('p', { className: 'cp-hint', text: t('words_hint') }),
      summary,
      h('label', { className: 'cp-sr', text: t('words_editor_label'), attrs: { for: (editor.id = uid('words')) } }),
      editor,
      problems,
      h('div', { className: 'cp-actions' }, save, importLabel, revert),
      note),
    h('section', { className: 'cp-card', attrs: { 'aria-labelledby': 'cp-gwords-h' } },
      h('h2', { className: 'cp-title', id: 'cp-gwords-h', text: t('words_global_title') }),
      h('p', { className: 'cp-hint', text: t('words_global_hint') }),
      globalStats, globalList, globalNote,
      h('h3', { className: 'cp-subtitle', text: t('words_how_title') }),
      h('ul', { className: 'cp-bullets' },
        h('li', { text: t('words_how_hold') }),
        h('li', { text: t('words_how_block') }),
        h('li', { text: t('words_how_norm') })))));

  let saved = ''; // the editor text of the list as last loaded or saved
  const dirty = () => editor.value !== saved;

  const check = () => {
    const parsed = parseWordList(editor.value);
    const stats = wordStats(parsed.words);
    setText(summary, t('words_stats', { n: stats.total, block: stats.block, hold: stats.hold }));
    const shown = parsed.problems.slice(0, PROBLEMS_SHOWN).map((p) => h('li', {
      text: p.kind === 'too_many'
        ? t('words_problem_too_many', { max: MAX_WORDS })
        : t(`words_problem_${p.kind}`, { line: p.line, text: p.text.slice(0, 60) }),
    }));
    if (parsed.problems.length > PROBLEMS_SHOWN) {
      shown.push(h('li', { text: t('words_problem_more', { n: parsed.problems.length - PROBLEMS_SHOWN }) }));
    }
    problems.replaceChildren(...shown);
    revert.hidden = !dirty();
    if (dirty()) setText(note, t('words_unsaved'));
    else if (note.dataset.kind !== 'result') setText(note, '');
    return parsed;
  };
  let timer = null;
  editor.addEventListener('input', () => {
    note.dataset.kind = '';
    clearTimeout(timer);
    timer = setTimeout(check, 150); // a pasted 10,000 lines parse once, not per keystroke
  });

  const load = async () => {
    try {
      const res = await ctx.api('GET', path);
      saved = editorText(res?.words);
      editor.value = saved;
      editor.disabled = false;
      save.disabled = false;
      note.dataset.kind = '';
    } catch (err) {
      note.dataset.kind = 'result';
      // The editor stays disabled: saving without the current list would replace it.
      setText(note, errorText(ctx, err, t('words_title')));
    }
    check();
  };
  const loadGlobal = async () => {
    try {
      const res = await ctx.api('GET', '/api/words');
      const words = Array.isArray(res?.words) ? res.words : [];
      const stats = wordStats(words);
      setText(globalStats, t('words_stats', { n: res?.count ?? stats.total, block: stats.block, hold: stats.hold }));
      globalList.value = editorText(words);
      setText(globalNote, '');
    } catch (err) {
      setText(globalNote, errorText(ctx, err, t('words_global_title')));
    }
  };

  save.addEventListener('click', () => {
    const parsed = check();
    if (parsed.problems.some((p) => p.kind === 'too_many' || p.kind === 'action' || p.kind === 'too_long')) {
      note.dataset.kind = 'result';
      setText(note, t('words_fix_first'));
      editor.focus();
      return;
    }
    busy(save, async () => {
      const text = formatWordList(parsed.words);
      const res = await ctx.api('PUT', path, text); // a string goes as text/plain
      saved = editorText(parsed.words);
      editor.value = saved;
      note.dataset.kind = 'result';
      const msg = t('words_saved', { n: res?.count ?? parsed.words.length });
      check();
      setText(note, msg);
      ctx.toast(msg, 'ok');
    }, (err) => {
      note.dataset.kind = 'result';
      const msg = err?.status === 413 ? t('words_too_big') : errorText(ctx, err, t('words_title'));
      setText(note, msg);
      ctx.toast(msg, 'error');
    });
  });
  revert.addEventListener('click', () => {
    editor.value = saved;
    note.dataset.kind = '';
    check();
  });
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    fileInput.value = ''; // the same file may be picked again
    if (!file || editor.disabled) return;
    try {
      const text = decodeText(await file.arrayBuffer());
      const added = parseWordList(text).words.length;
      editor.value = appendText(editor.value, text);
      note.dataset.kind = 'result';
      const parsed = check();
      const msg = t('words_imported', { file: file.name, n: added, total: parsed.words.length });
      setText(note, msg);
      ctx.toast(msg, 'info');
    } catch (err) {
      ctx.toast(t('words_import_failed', { file: file.name }), 'error');
    }
  });

  check();
  load().then(() => {
    // Unsaved edits survive a language switch (the panel is rebuilt).
    if (typeof kept.text === 'string' && kept.text !== saved) {
      editor.value = kept.text;
      check();
    }
  });
  loadGlobal();
  return {
    unmount: () => clearTimeout(timer),
    keep: () => (dirty() ? { text: editor.value } : {}),
  };
}
