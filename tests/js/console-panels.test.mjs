// The console panels' pure helpers (static/js/console/{polls,overlay,settings,words,audit}.js)
// and their string table (console-i18n-panels.js). The panels themselves run in
// tests/browser/test_console_panels.py.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { describeEntry, targetText, timeText } from '../../static/js/console/audit.js';
import { tables } from '../../static/js/console/i18n.js';
import { PANEL_STRINGS } from '../../static/js/console/i18n-panels.js';
import { currentChoice, defaultPoll, overlayCommand, widgetUrl } from '../../static/js/console/overlay.js';
import { pollOrder, tallyView, validatePollForm } from '../../static/js/console/polls.js';
import { fromLocalInput, parseTags, settingsPatch, toLocalInput } from '../../static/js/console/settings.js';
import { appendText, editorText, wordStats } from '../../static/js/console/words.js';
import { parseWordList } from '../../static/js/shared/wordlist.js';

/** ctx.t over the panels' table of one language. */
function tFor(lang) {
  const table = PANEL_STRINGS[lang];
  return (key, vars = {}) =>
    (table[key] ?? key).replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}
const t = tFor('zh-CN');

// --- polls --------------------------------------------------------------------------------

test('a valid poll form: trimmed, blank option rows skipped', () => {
  const r = validatePollForm({
    question: '  您最希望新线优先解决哪个问题？ ', options: [' 缩短通勤时间', '', '降低票价  ', '   '],
    multi: true, results: 'after_close',
  });
  assert.deepEqual(r, {
    ok: true,
    poll: { question: '您最希望新线优先解决哪个问题？', options: ['缩短通勤时间', '降低票价'], multi: true, results: 'after_close' },
  });
});

test('poll form errors name the field and the option', () => {
  const keys = (form) => validatePollForm(form).errors.map((e) => [e.key, e.index ?? null]);
  assert.deepEqual(keys({ question: ' ', options: ['a', 'b'] }), [['polls_err_question_empty', null]]);
  assert.deepEqual(keys({ question: '问'.repeat(201), options: ['a', 'b'] }), [['polls_err_question_long', null]]);
  assert.equal(validatePollForm({ question: '问'.repeat(200), options: ['a', 'b'] }).ok, true, '200 is allowed');
  assert.deepEqual(keys({ question: 'q', options: ['a', '', ''] }), [['polls_err_too_few', null]]);
  assert.deepEqual(keys({ question: 'q', options: Array.from({ length: 11 }, (_, i) => `o${i}`) }), [['polls_err_too_many', null]]);
  assert.deepEqual(keys({ question: 'q', options: ['a', 'x'.repeat(81), 'b'] }), [['polls_err_option_long', 1]]);
  assert.deepEqual(keys({ question: 'q', options: ['同意', '反对', ' 同意 '] }), [['polls_err_option_twice', 2]]);
  assert.deepEqual(keys({ question: 'q', options: ['a', 'b'], results: 'never' }), [['polls_err_results', null]]);
  // Code points, not UTF-16 units: 80 emoji fit.
  assert.equal(validatePollForm({ question: 'q', options: ['😀'.repeat(80), 'b'] }).ok, true);
});

test('tallies as bars: percent of voters, rounded, the leader marked', () => {
  const v = tallyView({ options: ['A', 'B', 'C', 'D'], tallies: [5, 1, 3, 1], ballots: 10 });
  assert.equal(v.ballots, 10);
  assert.deepEqual(v.rows.map((r) => [r.count, r.pct, r.lead]), [[5, 50, true], [1, 10, false], [3, 30, false], [1, 10, false]]);
  // Multiple choice: shares of voters may sum past 100.
  const m = tallyView({ options: ['A', 'B'], tallies: [3, 2], ballots: 3, multi: true });
  assert.deepEqual(m.rows.map((r) => r.pct), [100, 67]);
  // No votes yet (or tallies hidden): zeros, nobody leads, no division by zero.
  const z = tallyView({ options: ['A', 'B'], tallies: null, ballots: null });
  assert.deepEqual(z.rows.map((r) => [r.count, r.pct, r.lead]), [[0, 0, false], [0, 0, false]]);
  assert.equal(z.ballots, 0);
  // A tie: both lead. Missing ballot count: the sum for a single-choice poll.
  const tie = tallyView({ options: ['A', 'B', 'C'], tallies: [2, 2, 1] });
  assert.equal(tie.ballots, 5);
  assert.deepEqual(tie.rows.map((r) => r.lead), [true, true, false]);
  assert.deepEqual(tie.rows.map((r) => r.pct), [40, 40, 20]);
});

test('polls are listed newest first', () => {
  const order = pollOrder([{ id: 1, created: 10 }, { id: 3, created: 30 }, { id: 2, created: 30 }]).map((p) => p.id);
  assert.deepEqual(order, [3, 2, 1]);
});

// --- overlay --------------------------------------------------------------------------------

test('overlay URLs per widget keep the key', () => {
  const base = 'https://live.example.org/overlay/demo?key=K3q';
  assert.equal(widgetUrl(base, ''), base);
  assert.equal(widgetUrl(base, 'poll'), 'https://live.example.org/overlay/demo/poll?key=K3q');
  assert.equal(widgetUrl('/overlay/demo?key=K', 'qr'), '/overlay/demo/qr?key=K');
  assert.equal(widgetUrl('', 'qr'), '');
});

test('overlay choices and commands', () => {
  assert.equal(currentChoice({ show: null, poll: null }), 'none');
  assert.equal(currentChoice({}), 'none');
  assert.equal(currentChoice({ show: 'poll', poll: 3 }), 'poll');
  assert.equal(currentChoice({ show: 'something-new' }), 'none');
  assert.deepEqual(overlayCommand('none'), { show: null });
  assert.deepEqual(overlayCommand('poll', 4), { show: 'poll', poll: 4 });
  assert.deepEqual(overlayCommand('likes', 4), { show: 'likes' });
  const polls = [
    { id: 1, state: 'closed', created: 1 }, { id: 2, state: 'open', created: 2 },
    { id: 3, state: 'draft', created: 3 }, { id: 4, state: 'open', created: 4 },
  ];
  assert.equal(defaultPoll(polls, { show: 'poll', poll: 2 }), 2, 'the open one shown');
  assert.equal(defaultPoll(polls, { show: 'poll', poll: 1 }), 4, 'a closed one shown: the open one');
  assert.equal(defaultPoll(polls, {}), 4, 'else the newest open one');
  const closed = [{ id: 1, state: 'closed', created: 1 }, { id: 2, state: 'closed', created: 2 }];
  assert.equal(defaultPoll(closed, { show: 'poll', poll: 1 }), 2, 'no open poll: the latest');
  assert.equal(defaultPoll([{ id: 1, state: 'closed' }, { id: 2, state: 'draft' }], {}), 1, 'never a draft');
  assert.equal(defaultPoll([{ id: 2, state: 'draft' }], {}), null);
});

// --- settings --------------------------------------------------------------------------------

test('tags: one per line or comma separated, checked', () => {
  assert.deepEqual(parseTags('东城区\n西城区, 交通，教育、 医疗 \n\n').tags, ['东城区', '西城区', '交通', '教育', '医疗']);
  assert.deepEqual(parseTags('交通\n交通').errors.map((e) => e.key), ['settings_err_tag_twice']);
  assert.deepEqual(parseTags('字'.repeat(21)).errors.map((e) => e.key), ['settings_err_tag_long']);
  const many = Array.from({ length: 31 }, (_, i) => `t${i}`).join('\n');
  assert.deepEqual(parseTags(many).errors.map((e) => e.key), ['settings_err_tags_many']);
});

test('scheduled time: local datetime-local value and back', () => {
  const ms = new Date(2025, 2, 14, 19, 30).getTime();
  assert.equal(toLocalInput(ms), '2025-03-14T19:30');
  assert.equal(fromLocalInput('2025-03-14T19:30'), ms);
  assert.equal(fromLocalInput('2025-03-14T19:30:00'), ms);
  assert.equal(toLocalInput(null), '');
  assert.equal(fromLocalInput(''), null);
  assert.equal(fromLocalInput('tomorrow'), null);
});

test('settings patch: only what changed, settings as a patch', () => {
  const b = {
    title: '城市轨道交通规划', topic: '地铁新线', scheduled: null,
    settings: { moderation: true, max_len: 300, tags: ['交通'], show_names: true },
  };
  const same = { title: b.title, topic: b.topic, scheduled: '', moderation: true, max_len: 300, tags: '交通', show_names: true };
  assert.deepEqual(settingsPatch(b, same), { ok: true, fields: {}, errors: [] });
  const at = new Date(2025, 5, 1, 9, 0).getTime();
  const changed = settingsPatch(b, { ...same, title: ' 新标题 ', moderation: false, tags: '交通\n教育', scheduled: '2025-06-01T09:00' });
  assert.deepEqual(changed.fields, {
    title: '新标题', settings: { moderation: false, tags: ['交通', '教育'] }, scheduled: at,
  });
  // Clearing the time sends null; the same minute is no change.
  assert.deepEqual(settingsPatch({ ...b, scheduled: at + 20_000 }, { ...same, scheduled: '2025-06-01T09:00' }).fields, {});
  assert.deepEqual(settingsPatch({ ...b, scheduled: at }, same).fields, { scheduled: null });
  const bad = settingsPatch(b, { ...same, title: '', max_len: 5 });
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.errors.map((e) => e.key), ['settings_err_title_empty', 'settings_err_max_len']);
  assert.equal(settingsPatch(b, { ...same, max_len: 12.5 }).ok, false);
});

// --- words --------------------------------------------------------------------------------

test('word lists: parsed, counted, shown blocking words first', () => {
  const text = '\ufeff# 本场词表\n敏感词\n违禁\tblock\n\n示例\thold\n违禁\tblock\n坏\tmaybe\n';
  const parsed = parseWordList(text);
  assert.deepEqual(parsed.words, [
    { word: '敏感词', action: 'hold' }, { word: '违禁', action: 'block' }, { word: '示例', action: 'hold' },
  ]);
  assert.deepEqual(parsed.problems.map((p) => [p.line, p.kind]), [[6, 'duplicate'], [7, 'action']]);
  assert.deepEqual(wordStats(parsed.words), { total: 3, block: 1, hold: 2 });
  assert.equal(editorText(parsed.words), '违禁\tblock\n敏感词\n示例');
  // The editor's text parses back to the same list (save -> load -> save is stable).
  assert.deepEqual(parseWordList(editorText(parsed.words)).words.length, 3);
  assert.deepEqual(wordStats([]), { total: 0, block: 0, hold: 0 });
});

test('an imported file is appended on a line of its own', () => {
  assert.equal(appendText('', '甲\n乙'), '甲\n乙');
  assert.equal(appendText('  \n', '甲'), '甲');
  assert.equal(appendText('甲\n\n', '\ufeff乙\tblock'), '甲\n乙\tblock');
});

// --- audit --------------------------------------------------------------------------------

test('audit entries in readable Chinese and English', () => {
  const ts = new Date(2025, 2, 14, 9, 5, 7).getTime();
  const row = (action, target, detail) => describeEntry({ id: `${ts}-0`, ts, user: 'wang', action, target, detail }, t);
  assert.deepEqual(row('q.status', 'q:17', { from: 'pending', to: 'rejected', reason: '与主题无关' }), {
    time: '2025-03-14 09:05:07', user: 'wang', action: '更改问题状态', target: '问题 #17',
    detail: '待审核 → 未采用; 原因：与主题无关',
  });
  assert.equal(row('q.star', 'q:3', { on: false }).action, '取消加星');
  assert.equal(row('poll.state', 'poll:2', { from: 'draft', to: 'open' }).detail, '草稿 → 投票中');
  assert.equal(row('overlay', 'overlay', { show: 'poll', poll: 2 }).detail, '投票结果 #2');
  assert.equal(row('overlay', 'overlay', { show: null, poll: null }).detail, '不显示（清空）');
  assert.equal(row('bc.update', 'broadcast', { title: '新标题', settings: { moderation: false, max_len: 200 } }).detail,
    '标题：新标题; 审核：关; 字数上限：200');
  assert.equal(row('bc.state', 'broadcast', { from: 'draft', to: 'live' }).detail, '未开始 → 直播中');
  assert.equal(row('viewer.ban', 'viewer:v-7f3a', { on: true, qid: 18, removed: 2 }).detail, '依据问题 #18; 撤下 2 个问题');
  assert.equal(row('viewer.ban', 'viewer:v-7f3a', { on: false, qid: 18, removed: 0 }).action, '解除封禁');
  assert.equal(row('words.put', 'words', { count: 12, added: 2, changed: 1, removed: 0 }).detail,
    '共 12 个词（新增 2，改动 1，删除 0）');
  assert.equal(row('q.merge', 'q:18', { into: 17, from: 'pending', votes: 9 }).detail, '合并到 #17; 合并后 9 票');
  assert.equal(row('viewer.ban', 'viewer:v-7f3a', { on: true }).target, '观众 v-7f3a');
  assert.equal(row('q.edit', 'q:1', { from: 'a'.repeat(100), to: 'b' }).detail, `“${'a'.repeat(79)}…” → “b”`);
  // Unknown actions and details are shown as they are, never dropped.
  assert.deepEqual(row('future.thing', 'thing:1', { n: 2 }), {
    time: '2025-03-14 09:05:07', user: 'wang', action: 'future.thing', target: 'thing:1', detail: 'n: 2',
  });
  assert.equal(targetText('', t), '—');
  const en = describeEntry({ ts, user: 'li', action: 'poll.create', target: 'poll:4', detail: { question: 'Which day?', options: ['Mon', 'Tue'] } }, tFor('en'));
  assert.deepEqual([en.action, en.target, en.detail], ['Create poll', 'Poll #4', 'Which day? (Mon / Tue)']);
  assert.equal(timeText('nope'), '');
});

// --- strings --------------------------------------------------------------------------------

const PANEL_FILES = ['polls', 'overlay', 'settings', 'words', 'audit', 'panel-kit']
  .map((name) => readFileSync(new URL(`../../static/js/console/${name}.js`, import.meta.url), 'utf8'));

function usedKeys() {
  const found = new Set();
  for (const js of PANEL_FILES) {
    for (const m of js.matchAll(/'((?:panel|polls|overlay|settings|words|audit)_[a-z0-9_]*[a-z0-9])'/g)) found.add(m[1]);
  }
  // Keys built from a value: every value the panels can meet.
  const each = (prefix, values) => values.forEach((v) => found.add(`${prefix}${v}`));
  each('polls_results_', ['after_vote', 'after_close', 'always']);
  each('polls_state_', ['draft', 'open', 'closed']);
  each('polls_did_', ['open', 'closed']);
  each('overlay_choice_', ['question', 'poll', 'likes', 'qr', 'ticker', 'none'].flatMap((c) => [c, `${c}_hint`]));
  each('overlay_url_', ['all', 'question', 'poll', 'likes', 'viewers', 'qr', 'ticker']);
  each('settings_state_', ['draft', 'live', 'ended'].flatMap((s) => [s, `${s}_hint`]));
  each('settings_confirm_', ['live', 'ended']);
  each('settings_did_', ['live', 'ended']);
  each('words_problem_', ['action', 'too_long', 'duplicate', 'too_many']);
  each('audit_col_', ['time', 'user', 'action', 'target', 'detail']);
  each('audit_status_', ['pending', 'approved', 'on_air', 'answered', 'rejected', 'merged']);
  each('audit_poll_', ['draft', 'open', 'closed']);
  each('audit_bc_', ['draft', 'live', 'ended']);
  each('audit_target_', ['q', 'poll', 'viewer', 'broadcast', 'overlay', 'words']);
  each('audit_set_', ['title', 'topic', 'scheduled', 'moderation', 'show_names', 'max_len', 'tags']);
  each('panel_err_', ['unauthorized', 'forbidden', 'conflict', 'not_found', 'invalid', 'empty', 'too_long',
    'rate_limited', 'unavailable', 'closed', 'bad_field', 'too_big', 'internal']);
  return found;
}

test('both languages have the same panel strings, and every one the panels use', () => {
  assert.deepEqual(Object.keys(PANEL_STRINGS.en).sort(), Object.keys(PANEL_STRINGS['zh-CN']).sort());
  const have = new Set(Object.keys(PANEL_STRINGS['zh-CN']));
  assert.deepEqual([...usedKeys()].filter((k) => !have.has(k)), []);
  for (const [key, zh] of Object.entries(PANEL_STRINGS['zh-CN'])) {
    const vars = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(vars(PANEL_STRINGS.en[key]), vars(zh), `placeholders of ${key}`);
  }
});

test('panel strings never clash with the shell and queue strings', () => {
  const { own } = tables();
  for (const lang of ['zh-CN', 'en']) {
    assert.deepEqual(Object.keys(PANEL_STRINGS[lang]).filter((k) => k in own[lang]), [], lang);
  }
});

test('audit: the time as the hub wrote it in the broadcast\'s zone, whatever the browser\'s', async () => {
  const { isoText, zoneOf } = await import('../../static/js/console/audit.js');
  assert.equal(isoText('2025-03-14T09:05:07.123+08:00'), '2025-03-14 09:05:07');
  assert.equal(zoneOf('2025-03-14T09:05:07.123+08:00'), 'UTC+08:00');
  assert.equal(zoneOf('2025-03-14T01:05:07.123Z'), 'UTC');
  assert.equal(isoText('nope'), '');
  const t = (k, v) => `${k}${v ? JSON.stringify(v) : ''}`;
  const e = describeEntry({ ts: 0, at: '2025-03-14T09:05:07.123+08:00', user: 'li', action: 'q.star',
    target: 'q:1', detail: { on: true } }, t);
  assert.equal(e.time, '2025-03-14 09:05:07');
});
