// What an OBS operator sees when the overlay cannot work (a wrong or rotated
// key, an unknown broadcast, an address without its key): a panel in the
// middle of the frame, in Chinese and English, that hides itself after
// NOTICE_MS so that a mistake seen in the preview does not stay on air.
// The browser console keeps the details (docs/obs.md).

import { el } from '../shared/dom.js';

export const NOTICE_MS = 8000;

// Close code (or page problem) -> [zh-CN, en].
export const NOTICES = {
  4401: ['大屏密钥错误或已更换：请从控制台重新复制大屏地址',
    'Wrong or rotated overlay key: copy the overlay URL again from the console'],
  4404: ['没有这场直播：请检查地址中的直播编号',
    'No such broadcast: check the broadcast id in the URL'],
  nokey: ['地址缺少 ?key=：请从控制台复制大屏地址',
    'The URL has no ?key=: copy the overlay URL from the console'],
  noid: ['这不是大屏地址：请从控制台复制',
    'Not an overlay address: copy it from the console'],
};

/** Show the notice for `what` (a key of NOTICES); it removes itself after `ms`. */
export function showNotice(what, { ms = NOTICE_MS, root = document.body } = {}) {
  const lines = NOTICES[what];
  if (!lines) return null;
  root.querySelector('.xs-notice')?.remove();
  const box = el('div', 'xs-notice', null, el('p', 'xs-notice-zh', lines[0]),
    el('p', 'xs-notice-en', lines[1])); // prettier-ignore
  box.setAttribute('role', 'alert');
  root.append(box);
  setTimeout(() => box.remove(), ms);
  return box;
}
