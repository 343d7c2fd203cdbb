// The one HTTP client of every page: same-origin cookies, the session's CSRF
// token on every state-changing call, every failure as one ApiError shape
// ({status, code, message, retryAfter}: a network failure is status 0, code
// "network"), and a 401 sending the reader to the login page (and back
// afterwards) unless the page says what a 401 means to it.

import { loginUrl } from './safe-next.js';

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message || code);
    this.status = status; // HTTP status, 0 when the request never got an answer
    this.code = code; // the hub's error code ("not_found", "conflict"...) or "network"
    this.retryAfter = retryAfter; // seconds, from Retry-After
  }
}

const SAFE = new Set(['GET', 'HEAD']);

/** Send the browser to the login page, to come back to this page afterwards. */
export function toLogin(where = globalThis.location) {
  where.assign(loginUrl(where.pathname + where.search));
}

/**
 * An api(method, path, body) function. `body`: an object (sent as JSON), a
 * string (sent as text/plain) or undefined. Resolves the parsed JSON (or text);
 * rejects with ApiError. `getCsrf()` returns the token from /api/me;
 * `onUnauthorized` runs on a 401 (null: the caller handles it, e.g. the login
 * form, where a 401 is a wrong password); `fetch` is injectable for tests.
 */
export function createApi({ getCsrf = () => '', onUnauthorized = toLogin, fetch = globalThis.fetch } = {}) {
  return async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (!SAFE.has(method)) headers['X-CSRF-Token'] = getCsrf();
    let payload;
    if (typeof body === 'string') {
      headers['Content-Type'] = 'text/plain; charset=utf-8';
      payload = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, {
        method, headers, body: payload, credentials: 'same-origin', cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'network', 'network error');
    }
    const type = response.headers.get('content-type') ?? '';
    let data = null;
    try {
      data = type.includes('json') ? await response.json() : await response.text();
    } catch {
      data = null;
    }
    if (response.ok) return data;
    if (response.status === 401 && onUnauthorized) onUnauthorized();
    const retry = Number(response.headers.get('retry-after'));
    throw new ApiError(
      response.status,
      (data && typeof data === 'object' && data.error) || `http_${response.status}`,
      (data && typeof data === 'object' && data.message) || response.statusText,
      Number.isFinite(retry) && retry > 0 ? retry : null,
    );
  };
}

/**
 * One same-origin JSON call for pages that branch on the answer rather than
 * catch (the follow-up pages): resolves {status, ok, data} — data is the parsed
 * JSON on success, or the hub's error body {error, message} on a refusal —
 * through the one client above (a network failure is status 0). A 401 is the
 * caller's to handle.
 */
export async function callJson(path, { method = 'GET', body, csrf, fetch } = {}) {
  const api = createApi({ getCsrf: () => csrf ?? '', onUnauthorized: null, ...(fetch ? { fetch } : {}) });
  try {
    return { status: 200, ok: true, data: await api(method, path, body) };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { status: err.status, ok: false, data: { error: err.code, message: err.message } };
  }
}

/** A fresh command id. */
export function cid() {
  return Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
}
