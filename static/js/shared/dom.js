// The DOM helpers every page shares. Text goes into the page only through
// textContent and attributes, never parsed as HTML: none of these can turn
// data into markup (docs/architecture.md, "Untrusted text").

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** <tag class="className">text</tag>, with `children` appended (nodes; null skipped). */
export function el(tag, className, text, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = String(text);
  for (const child of children) if (child != null && child !== false) node.append(child);
  return node;
}

/** Set text only when it changed (no needless layout; screen readers and selection stay calm). */
export function setText(node, text) {
  const s = String(text ?? '');
  if (node.textContent !== s) node.textContent = s;
}

/**
 * Put the current language's strings into every element of `root` marked
 * data-i18n (its text), data-i18n-placeholder or data-i18n-aria-label, and
 * set the document's language. `t` and `lang` come from the page's table
 * (shared/translate.js createI18n).
 */
export function bindI18n({ t, lang }, root = document) {
  document.documentElement.lang = lang();
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) {
    node.setAttribute('placeholder', t(node.dataset.i18nPlaceholder));
  }
  for (const node of root.querySelectorAll('[data-i18n-aria-label]')) {
    node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
  }
}

/**
 * Copy `text`: the async clipboard where allowed (https, localhost), else a
 * selection copied from `input` (or from a textarea made for it, off screen).
 * Resolves whether it worked.
 */
export async function copyText(text, input = null) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // not a secure context (http on a LAN address) or no permission
  }
  const field = input ?? el('textarea');
  if (!input) {
    field.value = text;
    field.readOnly = true;
    // The CSSOM, which the pages' CSP allows (no style attribute).
    field.style.setProperty('position', 'fixed');
    field.style.setProperty('opacity', '0');
    document.body.append(field);
  }
  field.select();
  let done = false;
  try {
    done = document.execCommand('copy');
  } catch {
    done = false;
  }
  if (!input) field.remove();
  return done;
}

/** A link to an http(s) URL (rel noopener); any other URL becomes plain text. */
export function safeLink(url, label) {
  const href = String(url ?? '');
  if (!/^https?:\/\//i.test(href)) return el('span', 'link-text', href);
  const a = el('a', 'link', label ?? href);
  a.href = href;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  return a;
}
