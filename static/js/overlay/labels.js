// The overlay's own words, in the languages of the `lang` URL parameter
// (zh-CN by default, en). Set once per page load, before the widgets are built;
// everything else on air is the broadcast's text (questions, poll, title).
import { formatCountZh } from '../shared/format.js';

export const LANGS = ['zh-CN', 'en'];

const TABLE = {
  'zh-CN': {
    question: '观众提问',
    ticker: '观众提问',
    poll: '投票',
    poll_live: '实时结果',
    poll_final: '最终结果',
    ballots: '{n} 人投票',
    answers: '{n} 条回答',
    points: '{n} 分',
    average: '平均 {n} 分',
    likes: '点赞',
    viewers: '在线',
    qr: '扫码参与提问',
    title: '正在直播',
    preview: '预览 · 未上屏',
  },
  en: {
    question: 'Question from the audience',
    ticker: 'Audience questions',
    poll: 'Poll',
    poll_live: 'Live results',
    poll_final: 'Final results',
    ballots: '{n} votes',
    answers: '{n} answers',
    points: '{n} pts',
    average: 'average {n}',
    likes: 'Likes',
    viewers: 'Watching',
    qr: 'Scan to ask a question',
    title: 'Live now',
    preview: 'Preview · not on air',
  },
};

let current = 'zh-CN';

/** Choose the language (one of LANGS; anything else keeps zh-CN). */
export function setLang(lang) {
  current = LANGS.includes(lang) ? lang : 'zh-CN';
}

export function lang() {
  return current;
}

/** The label `key`, with {name} placeholders filled from `vars`. */
export function label(key, vars = {}) {
  const text = TABLE[current][key] ?? TABLE['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

/** A count as the language writes it: 1.2万 in Chinese, 12,000 in English. */
export function count(n) {
  return current === 'en' ? Number(n).toLocaleString('en-US') : formatCountZh(n);
}
