// The front-end kit: one HTTP client with one error shape (shared/api.js, with
// an injected fetch), and no page keeping its own copy of the kit.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';

import { ApiError, createApi } from '../../static/js/shared/api.js';

/** A fetch answering `status` with `body` (JSON when an object), recording the requests. */
function fakeFetch(status, body, headers = {}) {
  const requests = [];
  const fetch = async (path, init) => {
    requests.push({ path, ...init });
    if (status === 0) throw new TypeError('Failed to fetch');
    const json = typeof body === 'object' && body !== null;
    const all = { 'content-type': json ? 'application/json' : 'text/plain', ...headers };
    return {
      ok: status >= 200 && status < 300,
      status,
      statusText: `status ${status}`,
      headers: { get: (name) => all[name.toLowerCase()] ?? null },
      json: async () => body,
      text: async () => String(body),
    };
  };
  return { fetch, requests };
}

test('api: JSON in and out, the CSRF token on writes only', async () => {
  const { fetch, requests } = fakeFetch(200, { ok: true });
  const api = createApi({ getCsrf: () => 'tok', fetch });
  assert.deepEqual(await api('POST', '/api/x', { a: 1 }), { ok: true });
  assert.equal(requests[0].headers['X-CSRF-Token'], 'tok');
  assert.equal(requests[0].headers['Content-Type'], 'application/json');
  assert.equal(requests[0].body, '{"a":1}');
  assert.equal(requests[0].credentials, 'same-origin');
  await api('GET', '/api/y');
  assert.equal('X-CSRF-Token' in requests[1].headers, false);
  await api('PUT', '/api/words', '一个词\n');
  assert.equal(requests[2].headers['Content-Type'], 'text/plain; charset=utf-8');
});

test('api: every failure is one ApiError shape', async () => {
  const cases = [
    [fakeFetch(0, null), { status: 0, code: 'network' }],
    [fakeFetch(409, { error: 'conflict', message: 'taken' }), { status: 409, code: 'conflict', message: 'taken' }],
    [fakeFetch(429, { error: 'rate_limited', message: 'slow' }, { 'retry-after': '7' }),
      { status: 429, code: 'rate_limited', retryAfter: 7 }],
    [fakeFetch(502, 'Bad Gateway'), { status: 502, code: 'http_502' }],
  ]; // prettier-ignore
  for (const [{ fetch }, want] of cases) {
    const api = createApi({ fetch, onUnauthorized: null });
    const err = await api('GET', '/api/z').then(() => null, (e) => e);
    assert.ok(err instanceof ApiError, JSON.stringify(want));
    for (const [k, v] of Object.entries(want)) assert.equal(err[k], v, k);
  }
});

test('api: a 401 runs onUnauthorized (the login page by default), unless the page handles it', async () => {
  let sent = 0;
  const { fetch } = fakeFetch(401, { error: 'unauthorized', message: 'log in' });
  const api = createApi({ fetch, onUnauthorized: () => sent++ });
  await assert.rejects(api('GET', '/api/me'), (e) => e.status === 401);
  assert.equal(sent, 1);
  const quiet = createApi({ fetch, onUnauthorized: null });
  await assert.rejects(quiet('POST', '/api/login', {}), (e) => e.code === 'unauthorized');
});

function jsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = new URL(name, dir);
    if (statSync(path).isDirectory()) out.push(...jsFiles(new URL(`${name}/`, dir)));
    else if (name.endsWith('.js')) out.push(path);
  }
  return out;
}

test('no page keeps its own copy of the kit', () => {
  const root = new URL('../../static/js/', import.meta.url);
  const copies = [];
  for (const path of jsFiles(root)) {
    const rel = path.pathname.slice(root.pathname.length);
    const text = readFileSync(path, 'utf8');
    if (rel === 'shared/dom.js' || rel === 'shared/api.js') continue;
    if (/function (setText|el|copyText)\s*\(|const \$ =/.test(text)) copies.push(`${rel}: a DOM helper`);
    if (/\bfetch\(/.test(text)) copies.push(`${rel}: fetch outside shared/api.js`);
    if (/querySelectorAll\('\[data-i18n/.test(text)) copies.push(`${rel}: the data-i18n binder`);
  }
  assert.deepEqual(copies, []);
});
