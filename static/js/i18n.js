// Every string a person reads on the viewer page, in one table per language.
// zh-CN is the default; English is selectable and remembered on the device.
// Pure: no DOM here (viewer.js puts the strings into the page as text).

export const LANGS = ['zh-CN', 'en'];
export const DEFAULT_LANG = 'zh-CN';
const STORE_KEY = 'xs:lang';

const STRINGS = {
  'zh-CN': {
    brand: '协商在线 · 互动',
    switch_lang: 'English',
    switch_lang_label: 'Switch to English',
    loading: '正在加载…',
    viewers: '{n} 人在线',
    state_draft: '即将开始',
    state_live: '直播中',
    state_ended: '已结束',
    // connection
    conn_connecting: '连接中…',
    conn_open: '已连接',
    conn_waiting: '网络中断，正在重连…',
    conn_closed: '连接已断开',
    reload: '刷新页面',
    close_4401: '无法确认你的身份，请刷新页面。',
    close_4401_limited: '该网络下的新观众过多，请稍后刷新再试。',
    close_4403: '你已被禁止在本场直播中互动。',
    close_4404: '这场直播不存在或已被删除。',
    close_4400: '页面与服务器通信出错，请刷新页面。',
    close_1009: '页面与服务器通信出错，请刷新页面。',
    close_other: '连接已断开，请刷新页面。',
    ended_banner: '本场直播已结束，感谢参与。以下是最终结果。',
    // on air
    on_air: '正在回答',
    // ask
    ask_title: '我要提问',
    ask_label: '你的问题',
    ask_placeholder: '写下你想问的问题…',
    ask_count: '{n}/{max}',
    ask_count_label: '已输入 {n} 字，上限 {max} 字',
    ask_over: '超出 {n} 字',
    name_label: '称呼（可选）',
    name_placeholder: '匿名',
    name_hidden_note: '本场不公开显示称呼',
    tag_label: '区域 / 领域（可选）',
    tag_none: '不选择',
    ask_submit: '提交问题',
    ask_sending: '提交中…',
    ask_done_pending: '已提交，等待审核',
    ask_done_public: '已发布',
    ask_offline: '已保存，联网后自动提交',
    err_empty: '请先写下你的问题',
    err_too_long: '问题太长了，请精简到 {max} 字以内',
    err_duplicate: '你已经提过这个问题了',
    err_rate_limited: '提问太频繁了，请稍等一会儿再试',
    err_closed: '直播已结束，不能再提问',
    err_banned: '你已被禁止在本场直播中提问',
    err_invalid: '所选的区域 / 领域无效，请重新选择',
    err_generic: '提交失败，请稍后再试',
    // mine
    mine_title: '我的提问',
    status_sending: '提交中',
    status_pending: '待审核',
    status_approved: '已公开',
    status_on_air: '正在回答',
    status_answered: '已回答',
    status_rejected: '未展示',
    reason: '原因：{reason}',
    // list
    list_title: '大家的提问',
    sort_label: '排序',
    sort_top: '热门',
    sort_new: '最新',
    new_items: '{n} 条新提问',
    reorder: '更新排序',
    list_empty: '还没有公开的提问，来提第一个吧',
    anonymous: '匿名',
    upvote_label: '赞同这个问题，目前 {n} 票',
    upvote_on_label: '已赞同，目前 {n} 票，再点一次撤回',
    upvote_failed: '操作没有成功，请重试',
    answered: '已回答',
    // likes
    like_label: '点赞',
    likes_unit: '赞',
    like_total_label: '共 {n} 个赞',
    // polls
    poll: '投票',
    poll_open: '进行中',
    poll_closed: '已结束',
    poll_multi: '可多选',
    poll_single: '单选',
    poll_submit: '投票',
    poll_sending: '提交中…',
    poll_voted: '你已投票',
    poll_wait_close: '你已投票，结果将在投票结束后公布',
    poll_hidden: '结果将在投票结束后公布',
    poll_ballots: '共 {n} 人投票',
    poll_votes: '{n} 票',
    poll_choose: '请先选择一项',
    poll_already: '你已经投过票了',
    poll_closed_err: '投票已结束',
    poll_failed: '投票失败，请重试',
    mine_choice: '（你的选择）',
  },
  en: {
    brand: 'Xieshang Live',
    switch_lang: '中文',
    switch_lang_label: '切换到中文',
    loading: 'Loading…',
    viewers: '{n} watching',
    state_draft: 'Starting soon',
    state_live: 'Live',
    state_ended: 'Ended',
    conn_connecting: 'Connecting…',
    conn_open: 'Connected',
    conn_waiting: 'Offline, reconnecting…',
    conn_closed: 'Disconnected',
    reload: 'Reload',
    close_4401: 'We could not recognise this device. Please reload the page.',
    close_4401_limited: 'Too many new viewers on this network. Please reload later.',
    close_4403: 'You can no longer take part in this broadcast.',
    close_4404: 'This broadcast does not exist or was removed.',
    close_4400: 'Something went wrong talking to the server. Please reload.',
    close_1009: 'Something went wrong talking to the server. Please reload.',
    close_other: 'The connection was closed. Please reload.',
    ended_banner: 'This broadcast has ended. Thank you for taking part. Final results below.',
    on_air: 'Now answering',
    ask_title: 'Ask a question',
    ask_label: 'Your question',
    ask_placeholder: 'Type your question…',
    ask_count: '{n}/{max}',
    ask_count_label: '{n} of {max} characters',
    ask_over: '{n} over the limit',
    name_label: 'Name (optional)',
    name_placeholder: 'Anonymous',
    name_hidden_note: 'Names are not shown publicly in this broadcast',
    tag_label: 'District / topic (optional)',
    tag_none: 'None',
    ask_submit: 'Submit',
    ask_sending: 'Sending…',
    ask_done_pending: 'Submitted, awaiting review',
    ask_done_public: 'Published',
    ask_offline: 'Saved; it will be sent when you are back online',
    err_empty: 'Please type your question first',
    err_too_long: 'Too long: please keep it within {max} characters',
    err_duplicate: 'You have already asked this question',
    err_rate_limited: 'Too many questions; please wait a moment',
    err_closed: 'The broadcast has ended; questions are closed',
    err_banned: 'You can no longer ask questions in this broadcast',
    err_invalid: 'That district / topic is not available; please choose again',
    err_generic: 'Could not submit; please try again',
    mine_title: 'My questions',
    status_sending: 'Sending',
    status_pending: 'Awaiting review',
    status_approved: 'Public',
    status_on_air: 'Being answered',
    status_answered: 'Answered',
    status_rejected: 'Not shown',
    reason: 'Reason: {reason}',
    list_title: 'Questions',
    sort_label: 'Sort',
    sort_top: 'Top',
    sort_new: 'Newest',
    new_items: '{n} new questions',
    reorder: 'Update order',
    list_empty: 'No public questions yet. Ask the first one!',
    anonymous: 'Anonymous',
    upvote_label: 'Upvote this question, {n} votes',
    upvote_on_label: 'Upvoted, {n} votes; tap again to withdraw',
    upvote_failed: 'That did not work; please try again',
    answered: 'Answered',
    like_label: 'Like',
    likes_unit: 'likes',
    like_total_label: '{n} likes in total',
    poll: 'Poll',
    poll_open: 'Open',
    poll_closed: 'Closed',
    poll_multi: 'Choose any',
    poll_single: 'Choose one',
    poll_submit: 'Vote',
    poll_sending: 'Sending…',
    poll_voted: 'You voted',
    poll_wait_close: 'You voted; results are shown when the poll closes',
    poll_hidden: 'Results are shown when the poll closes',
    poll_ballots: '{n} voted',
    poll_votes: '{n} votes',
    poll_choose: 'Please choose an option first',
    poll_already: 'You have already voted',
    poll_closed_err: 'This poll is closed',
    poll_failed: 'Could not vote; please try again',
    mine_choice: ' (your choice)',
  },
};

let current = DEFAULT_LANG;

/** The language in use: the one chosen on this device, else zh-CN. */
export function initLang(storage = globalThis.localStorage) {
  let saved = null;
  try {
    saved = storage?.getItem(STORE_KEY) ?? null;
  } catch {
    // private mode: storage can throw
  }
  current = LANGS.includes(saved) ? saved : DEFAULT_LANG;
  return current;
}

export function lang() {
  return current;
}

export function setLang(next, storage = globalThis.localStorage) {
  current = LANGS.includes(next) ? next : DEFAULT_LANG;
  try {
    storage?.setItem(STORE_KEY, current);
  } catch {
    // not remembered, still switched
  }
  return current;
}

/** The string `key` in the current language, with {name} placeholders filled in. */
export function t(key, vars = {}) {
  const table = STRINGS[current] ?? STRINGS[DEFAULT_LANG];
  const text = table[key] ?? STRINGS[DEFAULT_LANG][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Every key of every language (tests: the tables must not drift apart). */
export function keys(language) {
  return Object.keys(STRINGS[language] ?? {});
}
