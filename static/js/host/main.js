// The host view: /host/<bid>?key=... on the presenter's tablet or prompter.
// Read-only: it sends nothing but its hello (with the host key) and pings.
// Large text of the on-air question, the next three of the run-down, the open
// poll and the clock in the broadcast's time zone (docs/obs.md, "Host view").

import { HubSocket } from '../shared/socket.js';
import { applyMessage } from '../shared/state.js';
import { CLOSE } from '../shared/contract.js';
import { $, el, setText } from '../shared/dom.js';
import { clockText, initialHostState, nextCards, onAirCard, openPoll, questionOnScreen } from './model.js';

const WORDS = {
  'zh-CN': {
    title: '主持人视图', on_air: '正在回答', nothing: '暂无上屏问题', next: '接下来',
    next_none: '备播单为空', poll: '投票进行中', votes: '{n} 票', ballots: '{n} 人投票',
    hidden: '当前场景不显示提问', upvotes: '{n} 人附议',
    open: '已连接', waiting: '连接中断，正在重连…', connecting: '正在连接…',
    bad_key: '主持人视图的链接无效或已更换：请向导播索取新链接。', gone: '没有这场直播。',
  },
  en: {
    title: 'Host view', on_air: 'On air', nothing: 'No question on air', next: 'Up next',
    next_none: 'The run-down is empty', poll: 'Poll open', votes: '{n} votes', ballots: '{n} voted',
    hidden: 'The current scene hides questions', upvotes: '{n} upvotes',
    open: 'Connected', waiting: 'Connection lost, reconnecting…', connecting: 'Connecting…',
    bad_key: 'This host view link is wrong or was replaced: ask the producer for the new one.',
    gone: 'No such broadcast.',
  },
};

function main() {
  const url = new URL(globalThis.location.href);
  const lang = (url.searchParams.get('lang') ?? '').toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
  const w = WORDS[lang];
  const t = (k, vars = {}) => w[k].replace(/\{(\w+)\}/g, (_, v) => String(vars[v] ?? ''));
  document.documentElement.lang = lang;
  document.title = `${t('title')} · 协商在线`;
  const bid = decodeURIComponent(url.pathname.split('/').filter(Boolean)[1] ?? '');
  const key = url.searchParams.get('key');
  const meta = document.querySelector('meta[name="xs-tz"]');
  const tz = { name: meta?.getAttribute('content') || 'Asia/Shanghai', offset: meta?.dataset.offset ?? 480 };

  setText($('h-label'), t('title'));
  setText($('h-air-label'), t('on_air'));
  setText($('h-next-label'), t('next'));
  setText($('h-poll-label'), t('poll'));
  const body = document.body;
  const status = $('h-status');
  const fatal = (text) => {
    body.dataset.status = 'closed';
    setText($('h-error'), text);
    $('h-error').hidden = false;
  };
  const tick = () => setText($('h-clock'), clockText(Date.now(), tz));
  tick();
  setInterval(tick, 1000);
  if (!bid || !key) {
    fatal(t('bad_key'));
    return;
  }

  let state = initialHostState();
  let drawn = '';
  const render = () => {
    setText($('h-show'), state.broadcast?.title ?? '');
    const air = onAirCard(state);
    const next = nextCards(state);
    const poll = openPoll(state);
    const sig = JSON.stringify([air, next, poll, questionOnScreen(state)]);
    if (sig === drawn) return;
    drawn = sig;
    const airBox = $('h-air');
    airBox.classList.toggle('is-empty', !air);
    setText($('h-air-text'), air ? air.text : t('nothing'));
    setText($('h-air-name'), air ? air.name : '');
    setText($('h-air-tag'), air?.tag ?? '');
    $('h-air-tag').hidden = !air?.tag;
    setText($('h-air-votes'), air ? t('upvotes', { n: air.votes }) : '');
    $('h-air-hidden').hidden = !air || questionOnScreen(state);
    setText($('h-air-hidden'), t('hidden'));
    const list = $('h-next');
    list.replaceChildren(...next.map((q) => el('li', 'h-next-item', null,
      el('p', 'h-next-text', q.text),
      el('p', 'h-next-meta', null, el('span', 'h-name', q.name),
        ...(q.tag ? [el('span', 'h-tag', q.tag)] : []), el('span', 'h-votes', t('upvotes', { n: q.votes })))))); // prettier-ignore
    if (!next.length) list.replaceChildren(el('li', 'h-next-none', t('next_none')));
    const pollBox = $('h-poll');
    pollBox.hidden = !poll;
    if (poll) {
      setText($('h-poll-q'), poll.question);
      setText($('h-poll-ballots'), t('ballots', { n: poll.ballots }));
      $('h-poll-options').replaceChildren(...poll.options.map((o) => el('li', 'h-poll-option', null,
        el('span', 'h-poll-text', o.text), el('span', 'h-poll-pct', `${o.pct}%`)))); // prettier-ignore
    }
  };

  const socket = new HubSocket({
    bid,
    role: 'overlay',
    key,
    onMessage(msg) {
      if (msg.type !== 'snapshot' && msg.type !== 'events') return;
      state = applyMessage(state, msg);
      render();
    },
    onStatus(s) {
      body.dataset.status = s.state;
      setText(status, t(s.state === 'open' ? 'open' : s.state === 'waiting' ? 'waiting' : 'connecting'));
      if (s.state === 'closed' && s.terminal) {
        fatal(s.code === CLOSE.NOT_FOUND ? t('gone') : t('bad_key'));
        state = initialHostState();
        drawn = '';
        render();
      }
    },
  });
  socket.connect();
}

main();
