// Where the login page may send the browser afterwards: a path on this site only.
// Pure (node --test). The server's redirect puts the page asked for in `next`;
// anyone can craft a link with any `next`, so it is checked here, on the client,
// where the redirect happens (no open redirect).

export const DEFAULT_NEXT = '/console';
const MAX_LEN = 2000;
// Browsers drop tabs and newlines from URLs and read "\" as "/", so "/\evil.org"
// or "/\t/evil.org" would become the scheme-relative "//evil.org".
const UNSAFE = /[\u0000-\u0020\u007f\\]/;
const PROBE = 'https://same-origin.invalid';

/**
 * `raw` if it is a relative path starting with exactly one "/" that stays on
 * this origin (never "//host", "/\host" or any scheme such as "https:"), and is not
 * the login page itself (a loop); else DEFAULT_NEXT.
 */
export function safeNext(raw, fallback = DEFAULT_NEXT) {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_LEN) return fallback;
  if (raw[0] !== '/' || raw[1] === '/' || UNSAFE.test(raw)) return fallback;
  let url;
  try {
    url = new URL(raw, PROBE);
  } catch {
    return fallback;
  }
  if (url.origin !== PROBE) return fallback;
  if (url.pathname === '/login' || url.pathname.startsWith('/login/')) return fallback;
  return url.pathname + url.search + url.hash;
}

/** The login URL that brings the reader back to `path` (the current page) afterwards. */
export function loginUrl(path) {
  const next = safeNext(path, '');
  return next ? `/login?next=${encodeURIComponent(next)}` : '/login';
}
