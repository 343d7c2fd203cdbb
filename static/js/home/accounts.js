// Console home, administrators only: moderator accounts (list, add with a
// generated or typed password, reset a password, remove).
//
// A password made here is shown once, in the page, and kept nowhere: not in
// storage, not in the URL, not in a log. Reset and remove ask for a second
// click on the same row instead of a dialog (no confirm(): it blocks the tab
// for every other moderator action in the page).

import { t } from './i18n.js';
import { $, copyText, el, errorText, formatDateTime, say } from './dom.js';
import { PASSWORD_MIN, USER_RE, generatePassword } from './form.js';

const CONFIRM_MS = 6000; // a "confirm" button goes back to normal after this

const randomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

export function mountAccounts(ctx) {
  const view = {
    list: [],
    confirming: null, // {user, action}
    confirmTimer: null,
    msg: null, // {key, vars, kind} | {text, kind}
    secret: null, // {key, user, password}: the one-time password on show
  };
  const form = $('acc-form');
  const userInput = $('acc-user');
  const pwInput = $('acc-pw');

  async function load() {
    try {
      const data = await ctx.api('GET', '/api/moderators');
      view.list = data?.moderators ?? [];
      render();
    } catch (err) {
      if (err.status !== 401) show({ text: errorText(err), kind: 'error' });
    }
  }

  function show(msg) {
    view.msg = msg;
    const m = view.msg;
    say($('acc-msg'), m ? m.text ?? t(m.key, m.vars) : '', m?.kind ?? 'info');
  }

  function render() {
    const rows = view.list.map(row);
    if (rows.length === 0) {
      const tr = el('tr');
      const td = el('td', 'empty', t('acc_empty'));
      td.colSpan = 4;
      tr.append(td);
      rows.push(tr);
    }
    $('acc-list').replaceChildren(...rows);
    renderSecret();
    show(view.msg);
    $('acc-pw-field').hidden = mode() !== 'typed';
  }

  function row(m) {
    const tr = el('tr');
    tr.dataset.user = m.username;
    const self = m.username === ctx.me.user;
    const name = el('td', 'mono');
    name.dataset.label = t('col_user');
    name.append(el('span', 'acc-name', m.username));
    if (self) name.append(el('span', 'muted', t('you')));
    const role = el('td');
    role.dataset.label = t('col_role');
    const pill = el('span', m.admin ? 'pill pill-admin' : 'pill', t(m.admin ? 'role_admin' : 'role_moderator'));
    role.append(pill);
    const created = el('td', 'nowrap', formatDateTime(m.created));
    created.dataset.label = t('col_created');
    const actions = el('td', 'row-actions');
    actions.dataset.label = t('col_actions');
    actions.append(actionButton(m.username, 'reset'));
    if (!self) actions.append(actionButton(m.username, 'remove'));
    tr.append(name, role, created, actions);
    return tr;
  }

  function actionButton(user, action) {
    const confirming = view.confirming?.user === user && view.confirming?.action === action;
    const label = confirming ? t(`acc_confirm_${action}`) : t(action === 'reset' ? 'acc_reset' : 'acc_remove');
    const button = el('button', confirming ? 'danger small' : 'ghost small', label);
    button.type = 'button';
    button.dataset.action = action;
    button.setAttribute('aria-label', confirming ? label : t(`acc_${action}_label`, { user }));
    button.addEventListener('click', () => onAction(user, action));
    return button;
  }

  function onAction(user, action) {
    const confirming = view.confirming?.user === user && view.confirming?.action === action;
    clearTimeout(view.confirmTimer);
    if (!confirming) {
      view.confirming = { user, action };
      view.confirmTimer = setTimeout(() => {
        view.confirming = null;
        render();
      }, CONFIRM_MS);
      render();
      focusAction(user, action);
      return;
    }
    view.confirming = null;
    if (action === 'reset') reset(user);
    else remove(user);
  }

  function focusAction(user, action) {
    const tr = [...$('acc-list').children].find((r) => r.dataset.user === user);
    tr?.querySelector(`[data-action="${action}"]`)?.focus();
  }

  async function reset(user) {
    const password = generatePassword(randomBytes);
    try {
      await ctx.api('POST', `/api/moderators/${encodeURIComponent(user)}`, { password });
      view.secret = { key: 'secret_reset', user, password };
      show({ key: 'acc_reset_done', vars: { user }, kind: 'ok' });
      render();
      $('acc-secret-value').focus();
    } catch (err) {
      if (err.status !== 401) show({ text: errorText(err), kind: 'error' });
      render();
    }
  }

  async function remove(user) {
    try {
      await ctx.api('DELETE', `/api/moderators/${encodeURIComponent(user)}`);
      if (view.secret?.user === user) view.secret = null;
      show({ key: 'acc_removed', vars: { user }, kind: 'ok' });
      await load();
      $('acc-user').focus();
    } catch (err) {
      if (err.status !== 401) show({ text: errorText(err), kind: 'error' });
      render();
    }
  }

  function mode() {
    return form.querySelector('input[name="pwmode"]:checked')?.value ?? 'generate';
  }

  async function add(event) {
    event.preventDefault();
    const button = $('acc-submit');
    if (button.disabled) return;
    const username = userInput.value.trim().toLowerCase();
    userInput.removeAttribute('aria-invalid');
    pwInput.removeAttribute('aria-invalid');
    if (!USER_RE.test(username)) {
      userInput.setAttribute('aria-invalid', 'true');
      show({ key: 'err_user', kind: 'error' });
      userInput.focus();
      return;
    }
    const typed = mode() === 'typed';
    const password = typed ? pwInput.value : generatePassword(randomBytes);
    if (password.length < PASSWORD_MIN) {
      pwInput.setAttribute('aria-invalid', 'true');
      show({ key: 'err_pw_short', kind: 'error' });
      pwInput.focus();
      return;
    }
    button.disabled = true;
    button.textContent = t('acc_adding');
    try {
      await ctx.api('POST', '/api/moderators', { username, password, admin: $('acc-admin').checked });
      // A typed password is already known to the admin; only a generated one is shown.
      view.secret = typed ? null : { key: 'secret_new', user: username, password };
      form.reset();
      show({ key: 'acc_added', vars: { user: username }, kind: 'ok' });
      await load();
      if (view.secret) $('acc-secret-value').focus();
    } catch (err) {
      if (err.status === 409) {
        userInput.setAttribute('aria-invalid', 'true');
        show({ key: 'err_user_taken', kind: 'error' });
        userInput.focus();
      } else if (err.status !== 401) {
        show({ text: errorText(err), kind: 'error' });
      }
    } finally {
      button.disabled = false;
      button.textContent = t('acc_add');
      render();
    }
  }

  function renderSecret() {
    const box = $('acc-secret');
    box.hidden = !view.secret;
    const value = $('acc-secret-value');
    if (!view.secret) {
      value.value = '';
      $('acc-secret-text').textContent = '';
      return;
    }
    $('acc-secret-text').textContent = t(view.secret.key, { user: view.secret.user });
    value.value = view.secret.password;
  }

  form.addEventListener('submit', add);
  for (const radio of form.querySelectorAll('input[name="pwmode"]')) {
    radio.addEventListener('change', () => {
      $('acc-pw-field').hidden = mode() !== 'typed';
      if (mode() === 'typed') pwInput.focus();
    });
  }
  $('acc-secret-value').addEventListener('focus', (e) => e.target.select());
  $('acc-secret-copy').addEventListener('click', async () => {
    const ok = await copyText($('acc-secret-value').value, $('acc-secret-value'));
    show({ key: ok ? 'copied' : 'copy_failed', kind: ok ? 'ok' : 'error' });
  });
  $('acc-secret-done').addEventListener('click', () => {
    view.secret = null;
    render();
    userInput.focus();
  });
  load();

  return { redraw: render };
}
