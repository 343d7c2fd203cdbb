// DOM helpers of the follow-up pages: untrusted text only ever goes through
// textContent; links only for http(s) URLs.

/** An element with a class and text (textContent). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
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

/** JSON of a same-origin GET or POST (with the CSRF header when given). */
export async function api(path, { method = 'GET', body, csrf } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (csrf) headers['x-csrf-token'] = csrf;
  const r = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await r.json();
  } catch {
    data = null;
  }
  return { status: r.status, ok: r.ok, data };
}

/** A fresh command id. */
export function cid() {
  return Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
}
