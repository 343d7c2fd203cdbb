// Console home, administrators only: webhooks (GET/POST/DELETE /api/webhooks)
// and their delivery log (GET /api/webhooks/log), newest attempt first. A new
// webhook's signing secret is shown once, right after it is added.

import { t } from './i18n.js';
import { $, el, errorText, formatDateTime, say } from './dom.js';

export const EVENTS = [
  'question.approved', 'question.on_air', 'question.answered', 'reply.published',
  'poll.closed', 'broadcast.started', 'broadcast.ended',
];
const LOG_LIMIT = 50;

/** The form's body: the URL, the ticked events, the broadcast (null: every one). */
export function hookBody(url, ticked, bid) {
  const trimmed = String(bid ?? '').trim();
  return { url: String(url ?? '').trim(), events: EVENTS.filter((e) => ticked.includes(e)), bid: trimmed || null };
}

export function mountWebhooks(ctx) {
  const view = { hooks: [], log: [] };

  function eventBoxes() {
    const set = $('hooks-events');
    const checked = new Set([...set.querySelectorAll('input:checked')].map((i) => i.value));
    const legend = set.querySelector('legend');
    set.replaceChildren(legend);
    for (const name of EVENTS) {
      const label = el('label', 'check');
      const box = el('input');
      box.type = 'checkbox';
      box.value = name;
      box.checked = checked.has(name);
      label.append(box, ' ', el('span', null, t(`ev_${name.replace('.', '_')}`)));
      set.append(label);
    }
  }

  async function load() {
    try {
      view.hooks = (await ctx.api('GET', '/api/webhooks'))?.webhooks ?? [];
      view.log = (await ctx.api('GET', `/api/webhooks/log?limit=${LOG_LIMIT}`))?.entries ?? [];
    } catch (err) {
      if (err.status !== 401) say($('hooks-msg'), errorText(err), 'error');
    }
    render();
  }

  function hookRow(h) {
    const tr = el('tr');
    tr.dataset.hook = h.id;
    tr.append(el('td', 'mono', h.url));
    tr.append(el('td', null, h.events.map((e) => t(`ev_${e.replace('.', '_')}`)).join('、')));
    tr.append(el('td', 'mono', h.bid ?? t('hooks_all')));
    const td = el('td');
    const remove = el('button', 'danger small', t('hooks_remove'));
    remove.type = 'button';
    remove.addEventListener('click', async () => {
      remove.disabled = true;
      try {
        await ctx.api('DELETE', `/api/webhooks/${encodeURIComponent(h.id)}`);
        await load();
      } catch (err) {
        remove.disabled = false;
        say($('hooks-msg'), errorText(err), 'error');
      }
    });
    td.append(remove);
    tr.append(td);
    return tr;
  }

  function logRow(e) {
    const tr = el('tr');
    tr.dataset.outcome = e.outcome;
    const detail = e.error || (e.status ? `HTTP ${e.status}` : '');
    for (const [text, cls] of [
      [formatDateTime(e.ts), 'nowrap'], [e.event, 'mono'], [e.broadcast, 'mono'],
      [String(e.attempt), null], [t(`outcome_${e.outcome}`), null], [`${detail} · ${e.ms} ms`, 'detail'],
    ]) tr.append(el('td', cls, text));
    return tr;
  }

  function render() {
    eventBoxes();
    $('hooks-table').hidden = !view.hooks.length;
    $('hooks-list').replaceChildren(...view.hooks.map(hookRow));
    $('hooks-log-table').hidden = !view.log.length;
    $('hooks-log-empty').hidden = view.log.length > 0;
    $('hooks-log').replaceChildren(...view.log.map(logRow));
  }

  $('hooks-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const ticked = [...$('hooks-events').querySelectorAll('input:checked')].map((i) => i.value);
    const body = hookBody($('hooks-url').value, ticked, $('hooks-bid').value);
    if (!body.events.length) {
      say($('hooks-msg'), t('hooks_pick_event'), 'error');
      return;
    }
    $('hooks-submit').disabled = true;
    try {
      const made = await ctx.api('POST', '/api/webhooks', body);
      $('hooks-secret-value').value = made.secret;
      $('hooks-secret').hidden = false;
      $('hooks-url').value = '';
      say($('hooks-msg'), t('hooks_added'), 'ok');
      await load();
    } catch (err) {
      say($('hooks-msg'), err.status === 400 ? `${t('hooks_refused')}${err.message ?? ''}` : errorText(err), 'error');
    } finally {
      $('hooks-submit').disabled = false;
    }
  });
  $('hooks-secret-done').addEventListener('click', () => {
    $('hooks-secret-value').value = '';
    $('hooks-secret').hidden = true;
  });
  $('hooks-refresh').addEventListener('click', load);
  load();
  return { redraw: render };
}
