// The most active viewers of the last minutes, by pseudonym, with a ban button
// (GET /api/broadcasts/<bid>/viewers). It is how a moderator stops a viewer
// who floods upvotes or votes without ever asking a question: the hub counts
// every viewer's actions per minute and a socket it closed for abuse counts
// as a hundred. Moderators see pseudonyms only; `viewer.ban` takes one.

import { ask } from './dialog.js';
import { el } from '../shared/dom.js';

const REFRESH_MS = 10_000; // while the box is on screen
const ROWS = 10;

/** The box's rows from the endpoint's answer (pure: tested under node --test). */
export function activeRows(res, limit = ROWS) {
  const viewers = Array.isArray(res?.viewers) ? res.viewers : [];
  return viewers
    .filter((v) => typeof v?.viewer === 'string' && Number.isFinite(v?.actions))
    .slice(0, limit)
    .map((v) => ({ viewer: v.viewer, actions: v.actions, banned: v.banned === true }));
}

/** A box that keeps itself fresh; `node` is placed by the queue's side column. */
export function mountActiveViewers(ctx) {
  const t = ctx.t;
  const url = `/api/broadcasts/${encodeURIComponent(ctx.bid)}/viewers`;
  const node = el('section', 'qs-box qs-active');
  node.setAttribute('aria-labelledby', 'qs-active-h');
  const head = el('h2', 'qs-h');
  head.id = 'qs-active-h';
  const refresh = el('button', 'c-btn c-btn-small', '');
  refresh.type = 'button';
  const list = el('ul', 'qs-list');
  const status = el('p', 'qs-empty');
  node.append(head, list, status, refresh);
  let minutes = 5;
  let rows = [];
  let seq = 0;

  function draw() {
    head.textContent = t('side_active', { n: minutes });
    refresh.textContent = t('active_refresh');
    list.replaceChildren(...rows.map((r) => {
      const li = el('li', 'qs-ban qs-active-row');
      li.dataset.viewer = r.viewer;
      li.append(el('span', 'q-asker-id', r.viewer), el('span', 'qs-ban-q', t('active_actions', { n: r.actions })));
      if (r.banned) {
        li.append(el('span', 'q-badge q-badge-banned', t('badge_banned')));
      } else {
        const b = el('button', 'c-btn c-btn-small c-btn-danger', t('act_ban_viewer'));
        b.type = 'button';
        b.dataset.viewer = r.viewer;
        li.append(b);
      }
      return li;
    }));
    status.hidden = rows.length > 0;
    status.textContent = t('side_active_none');
  }

  async function load() {
    const mine = ++seq;
    try {
      const res = await ctx.api('GET', url);
      if (mine !== seq) return;
      minutes = Number.isFinite(res?.minutes) ? res.minutes : minutes;
      rows = activeRows(res);
    } catch (err) {
      if (mine !== seq) return;
      rows = [];
    }
    draw();
  }

  async function ban(viewer) {
    const ok = await ask({
      id: 'ban-viewer-dialog', title: t('ban_viewer_title', { viewer }), message: t('ban_note'),
      confirm: t('act_ban_viewer'), cancel: t('cancel'), danger: true,
    });
    if (ok === null) return;
    try {
      const result = await ctx.send('viewer.ban', { viewer, on: true });
      ctx.toast(t('banned', { n: result.removed?.length ?? 0 }), 'ok');
    } catch (err) {
      ctx.toast(t('err_generic', { message: err?.message ?? String(err?.code ?? err) }), 'error');
    }
    load();
  }

  list.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-viewer]');
    if (button) ban(button.dataset.viewer);
  });
  refresh.addEventListener('click', load);
  const timer = setInterval(() => {
    if (node.isConnected && !document.hidden) load();
  }, REFRESH_MS);
  draw();
  load();
  return {
    node,
    redraw: draw,
    unmount() {
      clearInterval(timer);
    },
  };
}
