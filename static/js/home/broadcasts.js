// Console home: the broadcasts list, the create form, and the links panel of
// the selected broadcast (viewer link, join code, QR code, overlay URLs).
//
// The list comes from GET /api/broadcasts (no keys in it); the links panel
// reads GET /api/broadcasts/<bid> once per broadcast (it holds the overlay
// key). Titles and topics are untrusted text: textContent only.

import { t } from './i18n.js';
import { $, copyRow, el, errorText, formatDateTime, say, setText } from './dom.js';
import { broadcastBody, overlayUrls } from './form.js';

// Live first, then drafts, then ended; newest first within each.
const STATE_ORDER = { live: 0, draft: 1, ended: 2 };

export function sortBroadcasts(list) {
  return [...list].sort(
    (a, b) =>
      (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || (b.created ?? 0) - (a.created ?? 0),
  );
}

export function mountBroadcasts(ctx) {
  const view = {
    list: [],
    loaded: false,
    selected: null, // bid whose links are shown
    mode: 'none', // 'detail' | 'create' | 'none': what the side column shows
    details: new Map(), // bid -> GET /api/broadcasts/<bid>
    detailSig: '',
    createMsg: null, // {key, vars, kind} or {text, kind}
  };
  const form = $('create-form');
  const fields = {
    id: $('bc-id'), title: $('bc-title'), topic: $('bc-topic'), scheduled: $('bc-scheduled'),
    moderation: $('bc-moderation'), max_len: $('bc-max-len'), tags: $('bc-tags'), show_names: $('bc-show-names'),
  };

  async function load() {
    try {
      const data = await ctx.api('GET', '/api/broadcasts');
      view.list = sortBroadcasts(data?.broadcasts ?? []);
      view.loaded = true;
      if (view.mode === 'none') {
        if (view.list.length) {
          select(view.list[0].id, { focus: false });
          return;
        }
        view.mode = 'create';
      }
      render();
    } catch (err) {
      if (err.status !== 401) ctx.toast(errorText(err), 'error');
    }
  }

  function render() {
    renderList();
    renderSide();
  }

  function renderList() {
    $('bc-loading').hidden = view.loaded;
    $('bc-table').hidden = !view.list.length;
    $('bc-empty').hidden = !view.loaded || view.list.length > 0;
    $('bc-list').replaceChildren(...view.list.map(row));
  }

  function row(b) {
    const tr = el('tr');
    tr.dataset.bid = b.id;
    if (b.id === view.selected && view.mode === 'detail') tr.setAttribute('aria-current', 'true');
    const title = b.title || b.id;

    const name = el('td', 'bc-name-cell');
    name.dataset.label = t('col_title');
    name.append(el('span', 'bc-name', title));
    if (b.topic) name.append(el('span', 'bc-topic', b.topic));
    name.append(el('code', 'bc-id', b.id));

    const state = el('td');
    state.dataset.label = t('col_state');
    const pill = el('span', 'pill', t(`state_${b.state}`));
    pill.dataset.state = b.state ?? '';
    state.append(pill);
    if (b.rehearsal) state.append(el('span', 'pill pill-warn', t('rehearsal')));

    const scheduled = el('td', 'nowrap', formatDateTime(b.scheduled));
    scheduled.dataset.label = t('col_scheduled');
    const created = el('td', 'nowrap', formatDateTime(b.created));
    created.dataset.label = t('col_created');

    const actions = el('td', 'row-actions');
    actions.dataset.label = t('col_actions');
    const links = el('button', 'ghost small', t('show_links'));
    links.type = 'button';
    links.dataset.action = 'links';
    links.setAttribute('aria-label', t('show_links_label', { title }));
    links.addEventListener('click', () => select(b.id, { focus: true }));
    const open = el('a', 'ghost small link-button', t('open_console'));
    open.href = `/console/${encodeURIComponent(b.id)}`;
    open.setAttribute('aria-label', t('open_console_label', { title }));
    actions.append(links, open);

    tr.append(name, state, scheduled, created, actions);
    return tr;
  }

  // --- the side column: create form or links panel --------------------------------

  function renderSide() {
    $('create').hidden = view.mode !== 'create';
    $('detail').hidden = view.mode !== 'detail';
    $('bc-new').setAttribute('aria-expanded', String(view.mode === 'create'));
    const m = view.createMsg;
    say($('create-msg'), m ? m.text ?? t(m.key, m.vars) : '', m?.kind ?? 'info');
    if (view.mode === 'detail') renderDetail();
  }

  async function select(bid, { focus }) {
    view.selected = bid;
    view.mode = 'detail';
    render();
    if (focus) $('detail-h').focus();
    if (!view.details.has(bid)) {
      say($('detail-msg'), t('loading'));
      try {
        view.details.set(bid, await ctx.api('GET', `/api/broadcasts/${encodeURIComponent(bid)}`));
        say($('detail-msg'), '');
      } catch (err) {
        if (err.status !== 401) say($('detail-msg'), `${t('detail_failed')}: ${errorText(err)}`, 'error');
      }
      if (view.selected === bid) renderDetail();
    }
  }

  function renderDetail() {
    const bid = view.selected;
    const d = view.details.get(bid);
    const b = d ?? view.list.find((x) => x.id === bid) ?? { id: bid };
    const title = b.title || bid;
    setText($('detail-h'), title);
    const state = $('detail-state');
    state.dataset.state = b.state ?? '';
    setText(state, b.state ? t(`state_${b.state}`) : '');
    state.hidden = !b.state;
    $('detail-rehearsal').hidden = !b.rehearsal;
    setText($('detail-id'), bid);
    const consoleLink = $('detail-console');
    consoleLink.href = `/console/${encodeURIComponent(bid)}`;
    consoleLink.setAttribute('aria-label', t('open_console_label', { title }));
    $('detail-report').href = `/report/${encodeURIComponent(bid)}`;

    // The rows below are rebuilt only when what they show changes: rebuilding
    // would reset a "copied" confirmation and the reader's selection.
    const links = d?.links ?? {};
    const sig = JSON.stringify([bid, title, links, document.documentElement.lang]);
    if (sig === view.detailSig) return;
    view.detailSig = sig;

    const qrPath = `/qr/${encodeURIComponent(bid)}.svg`;
    const qr = $('detail-qr');
    qr.hidden = !d?.join;
    if (d?.join) {
      // Same origin and relative: links.qr carries the public base URL, which
      // need not be how this moderator reaches the hub.
      if (qr.getAttribute('src') !== qrPath) qr.src = qrPath;
      qr.alt = t('qr_alt', { title, url: links.join ?? '' });
    } else {
      qr.removeAttribute('src');
    }
    $('detail-qr-download').href = qrPath;
    $('detail-qr-download').hidden = !d?.join;
    setText($('detail-join'), d?.join ?? t('none'));

    const rows = [];
    if (links.viewer) rows.push(copyRow(t('link_viewer'), links.viewer, { open: true }));
    if (links.join) rows.push(copyRow(t('link_join'), links.join));
    $('detail-links').replaceChildren(...rows);

    const overlays = overlayUrls(links.overlay);
    $('detail-overlay').replaceChildren(...overlays.slice(0, 1).map((o) => copyRow(t('overlay_all'), o.url)));
    $('detail-widgets').replaceChildren(
      ...overlays.slice(1).map((o) => copyRow(t(`widget_${o.widget}`), o.url)),
    );
    renderDelete(b);
  }

  // --- delete (administrators; never a live broadcast) -----------------------------

  const removeBtn = $('detail-delete');
  let armed = null; // bid armed by a first click; a second click deletes

  function renderDelete(b) {
    $('detail-danger').hidden = !ctx.me.admin || b.state === 'live';
    armed = null;
    setText(removeBtn, t('bc_delete'));
  }

  removeBtn.addEventListener('click', async () => {
    const bid = view.selected;
    if (!bid) return;
    if (armed !== bid) {
      armed = bid;
      setText(removeBtn, t('bc_delete_confirm'));
      return;
    }
    const b = view.list.find((x) => x.id === bid) ?? { id: bid };
    removeBtn.disabled = true;
    try {
      await ctx.api('DELETE', `/api/broadcasts/${encodeURIComponent(bid)}`);
      ctx.toast(t('bc_deleted', { title: b.title || bid }), 'ok');
      view.details.delete(bid);
      view.selected = null;
      view.mode = 'none';
      view.detailSig = '';
      await load();
    } catch (err) {
      if (err.status !== 401) say($('detail-msg'), errorText(err), 'error');
    } finally {
      removeBtn.disabled = false;
      armed = null;
    }
  });

  // --- create ---------------------------------------------------------------------

  function openCreate() {
    view.mode = 'create';
    view.createMsg = null;
    render();
    fields.title.focus();
  }

  function closeCreate() {
    view.mode = view.selected ? 'detail' : 'none';
    view.createMsg = null;
    render();
    $('bc-new').focus();
  }

  function markInvalid(name) {
    for (const [key, input] of Object.entries(fields)) {
      if (key === name) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
    if (name && fields[name]) fields[name].focus();
  }

  async function submit(event) {
    event.preventDefault();
    const submitButton = $('create-submit');
    if (submitButton.disabled) return;
    const parsed = broadcastBody({
      id: fields.id.value, title: fields.title.value, topic: fields.topic.value,
      scheduled: fields.scheduled.value, moderation: fields.moderation.checked,
      maxLen: fields.max_len.value, tags: fields.tags.value, showNames: fields.show_names.checked,
    });
    if (parsed.error) {
      view.createMsg = { key: parsed.error, kind: 'error' };
      renderSide();
      markInvalid(parsed.field);
      return;
    }
    submitButton.disabled = true;
    submitButton.textContent = t('create_sending');
    try {
      const created = await ctx.api('POST', '/api/broadcasts', parsed.body);
      const { body } = parsed;
      view.details.set(created.id, {
        id: created.id, title: body.title, topic: body.topic, state: 'draft', settings: body.settings,
        scheduled: body.scheduled ?? null, created: Date.now(), ...created,
      });
      form.reset();
      markInvalid(null);
      view.createMsg = null;
      ctx.toast(t('created', { title: body.title }), 'ok');
      await load();
      await select(created.id, { focus: true });
    } catch (err) {
      if (err.status === 409) {
        view.createMsg = { key: 'err_bid_taken', kind: 'error' };
        renderSide();
        markInvalid('id');
      } else if (err.status !== 401) {
        view.createMsg = { text: errorText(err), kind: 'error' };
        renderSide();
      }
    } finally {
      submitButton.disabled = false;
      submitButton.textContent = t('create_submit');
    }
  }

  $('bc-new').addEventListener('click', openCreate);
  $('create-cancel').addEventListener('click', closeCreate);
  $('bc-refresh').addEventListener('click', () => {
    view.details.clear();
    view.detailSig = '';
    load().then(() => view.selected && view.mode === 'detail' && select(view.selected, { focus: false }));
  });
  form.addEventListener('submit', submit);
  for (const input of Object.values(fields)) {
    input.addEventListener('input', () => input.removeAttribute('aria-invalid'));
  }
  load();

  return {
    redraw() {
      view.detailSig = '';
      render();
    },
  };
}
