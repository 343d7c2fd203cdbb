// The join page's strings (static/join.html), in both languages.

import { createI18n } from '../shared/translate.js';

export const STRINGS = {
  'zh-CN': {
    brand: '协商在线 · 互动',
    switch_lang: 'English',
    switch_lang_label: 'Switch to English',
    page_title: '协商在线 · 加入互动',
    title: '加入直播互动',
    lead: '输入直播画面上显示的加入码，即可提问、点赞和参与投票。',
    code_label: '加入码',
    code_placeholder: '例如 7KQ2XM',
    go: '进入',
    hint: '加入码由 6 位字母和数字组成，不区分大小写。',
    empty: '请输入加入码。',
    not_found: '没有找到加入码“{code}”，请核对后再试。',
    scan_title: '扫码加入',
    scan_text: '用手机相机或微信“扫一扫”扫描直播画面上的二维码，会直接打开互动页面。',
  },
  en: {
    brand: 'Consultation Live',
    switch_lang: '中文',
    switch_lang_label: '切换到中文',
    page_title: 'Consultation Live · Join',
    title: 'Join the live Q&A',
    lead: 'Enter the join code shown on the broadcast to ask questions, like and vote.',
    code_label: 'Join code',
    code_placeholder: 'e.g. 7KQ2XM',
    go: 'Join',
    hint: 'A join code has 6 letters and digits; case does not matter.',
    empty: 'Please enter a join code.',
    not_found: 'No broadcast has the join code “{code}”. Please check it and try again.',
    scan_title: 'Scan to join',
    scan_text: 'Scan the QR code on the broadcast with your phone camera or WeChat: it opens the page directly.',
  },
};

export const { initLang, lang, setLang, t, keys } = createI18n(STRINGS);
