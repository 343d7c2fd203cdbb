// One modal dialog for the queue's questions to the moderator: confirm a merge
// or a ban, give a rejection reason, edit a question's text.
//
// A native <dialog> (showModal: focus is trapped, Escape cancels, the page
// behind is inert), built with createElement; everything shown is text.

/**
 * Ask and wait. Resolves with the typed value ('' without an input) when
 * confirmed, null when cancelled.
 *
 * @param {object} o
 * @param {string} o.title
 * @param {string} [o.message]
 * @param {string} [o.quote] a question's text, shown as a quotation
 * @param {object} [o.input] {label, value, multiline, maxlength, placeholder, chips: [text], required}
 * @param {string} o.confirm label of the confirm button
 * @param {string} o.cancel label of the cancel button
 * @param {boolean} [o.danger] the confirm button says "careful"
 * @param {string} [o.id] an id for the dialog (tests find it by it)
 */
export function ask(o) {
  const dialog = document.createElement('dialog');
  dialog.className = 'c-dialog';
  if (o.id) dialog.id = o.id;
  const form = document.createElement('form');
  form.method = 'dialog';
  const title = document.createElement('h2');
  title.className = 'c-dialog-title';
  title.id = `${o.id ?? 'dlg'}-h`;
  title.textContent = o.title;
  dialog.setAttribute('aria-labelledby', title.id);
  form.append(title);
  if (o.message) {
    const p = document.createElement('p');
    p.className = 'c-dialog-note';
    p.textContent = o.message;
    form.append(p);
  }
  if (o.quote) {
    const q = document.createElement('blockquote');
    q.className = 'c-dialog-quote';
    q.textContent = o.quote;
    form.append(q);
  }
  let field = null;
  if (o.input) {
    const label = document.createElement('label');
    label.className = 'c-dialog-field';
    const span = document.createElement('span');
    span.textContent = o.input.label;
    field = document.createElement(o.input.multiline ? 'textarea' : 'input');
    if (!o.input.multiline) field.type = 'text';
    else field.rows = 4;
    field.name = 'value';
    field.value = o.input.value ?? '';
    if (o.input.maxlength) field.maxLength = o.input.maxlength;
    if (o.input.placeholder) field.placeholder = o.input.placeholder;
    label.append(span, field);
    form.append(label);
    if (o.input.chips?.length) {
      const chips = document.createElement('div');
      chips.className = 'c-chips';
      for (const text of o.input.chips) {
        const chip = document.createElement('button');
        chip.type = 'button';
        chip.className = 'c-chip';
        chip.textContent = text;
        chip.addEventListener('click', () => {
          field.value = text;
          field.focus();
        });
        chips.append(chip);
      }
      form.append(chips);
    }
    if (o.input.multiline) {
      // Enter makes a new line in a text area; Ctrl/Cmd+Enter saves.
      field.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit(confirmButton);
        }
      });
    }
  }
  const actions = document.createElement('div');
  actions.className = 'c-dialog-actions';
  const cancel = document.createElement('button');
  cancel.className = 'c-btn';
  // Not a submit button: Enter in the input submits with the form's first
  // submit button, which must be the confirm one.
  cancel.type = 'button';
  cancel.textContent = o.cancel;
  cancel.addEventListener('click', () => dialog.close('cancel'));
  const confirmButton = document.createElement('button');
  confirmButton.className = o.danger ? 'c-btn c-btn-danger' : 'c-btn c-btn-primary';
  confirmButton.value = 'ok';
  confirmButton.type = 'submit';
  confirmButton.textContent = o.confirm;
  actions.append(cancel, confirmButton);
  form.append(actions);
  dialog.append(form);
  document.body.append(dialog);

  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok';
      const value = field ? field.value : '';
      dialog.remove();
      resolve(ok ? value : null);
    });
    dialog.showModal();
    if (field) {
      field.focus();
      if (!o.input.multiline) field.select();
    } else {
      confirmButton.focus();
    }
  });
}
