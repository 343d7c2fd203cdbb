// The console home's form logic, pure (node --test): the create-broadcast body,
// times for <input type="datetime-local">, overlay URLs, generated passwords.
// Limits come from server/domain/broadcast.py (through the generated
// contract.js) and server/auth.py; the hub checks again and its answer wins.

import {
  MAX_LEN_RANGE,
  MAX_TAGS,
  TAG_MAX_LEN as TAG_MAX,
  TITLE_MAX_LEN as TITLE_MAX,
  TOPIC_MAX_LEN as TOPIC_MAX,
} from '../shared/contract.js';

export const BID_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
export { MAX_LEN_RANGE, MAX_TAGS, TAG_MAX, TITLE_MAX, TOPIC_MAX };
export const USER_RE = /^[a-z0-9_.-]{1,32}$/;
export const PASSWORD_MIN = 10;
export const WIDGETS = ['question', 'poll', 'likes', 'viewers', 'qr', 'ticker'];

function codePoints(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/** Tags typed as a list: separated by commas (either width), 、, semicolons or new lines. */
export function parseTags(text) {
  const seen = new Set();
  for (const part of String(text ?? '').split(/[,，、;；\n\r]+/)) {
    const tag = part.trim();
    if (tag) seen.add(tag);
  }
  return [...seen];
}

const pad = (n) => String(n).padStart(2, '0');

/** The value of a datetime-local input ("2025-03-14T19:30") as Unix ms in the browser's zone. */
export function localInputToMs(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(String(value ?? ''));
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const date = new Date(y, mo - 1, d, h, mi, s || 0, 0);
  // Date() rolls "02-30" over into March: a value it had to roll is not a date.
  if (Number.isNaN(date.getTime()) || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date.getTime();
}

/** Unix ms as the value of a datetime-local input, in the browser's zone. */
export function msToLocalInput(ms) {
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * The POST /api/broadcasts body from the form's raw values, or {error, field}
 * with an i18n key. `f`: {id, title, topic, scheduled, moderation, maxLen,
 * tags, showNames} as read from the inputs (strings and booleans).
 */
export function broadcastBody(f) {
  const id = String(f.id ?? '').trim().toLowerCase();
  if (id && !BID_RE.test(id)) return { error: 'err_bid', field: 'id' };
  const title = String(f.title ?? '').trim();
  if (!title) return { error: 'err_title_empty', field: 'title' };
  if (codePoints(title) > TITLE_MAX) return { error: 'err_title_long', field: 'title' };
  const topic = String(f.topic ?? '').trim();
  if (codePoints(topic) > TOPIC_MAX) return { error: 'err_topic_long', field: 'topic' };
  let scheduled = null;
  if (String(f.scheduled ?? '').trim()) {
    scheduled = localInputToMs(f.scheduled);
    if (scheduled === null) return { error: 'err_scheduled', field: 'scheduled' };
  }
  const maxLen = Number(String(f.maxLen ?? '').trim() || '300');
  if (!Number.isInteger(maxLen) || maxLen < MAX_LEN_RANGE[0] || maxLen > MAX_LEN_RANGE[1]) {
    return { error: 'err_max_len', field: 'max_len' };
  }
  const tags = parseTags(f.tags);
  if (tags.length > MAX_TAGS) return { error: 'err_tags_many', field: 'tags' };
  if (tags.some((tag) => codePoints(tag) > TAG_MAX)) return { error: 'err_tag_long', field: 'tags' };
  const body = {
    title,
    topic,
    settings: { moderation: Boolean(f.moderation), max_len: maxLen, tags, show_names: Boolean(f.showNames) },
  };
  if (id) body.id = id;
  if (scheduled !== null) body.scheduled = scheduled;
  return { body };
}

/**
 * The overlay URLs for the broadcast software: the all-widgets page first,
 * then one per widget (docs/obs.md), all with the same key.
 */
export function overlayUrls(overlay) {
  if (!overlay) return [];
  let url;
  try {
    url = new URL(overlay);
  } catch {
    return [];
  }
  const out = [{ widget: null, url: url.href }];
  const base = url.pathname.replace(/\/+$/, '');
  for (const widget of WIDGETS) {
    const one = new URL(url.href);
    one.pathname = `${base}/${widget}`;
    out.push({ widget, url: one.href });
  }
  return out;
}

// No 0/O, 1/l/I: a generated password is read aloud or copied by hand.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * A random password of `length` characters; `random(n)` returns n random bytes
 * (crypto.getRandomValues in the page). Rejection sampling keeps it uniform.
 */
export function generatePassword(random, length = 16) {
  const limit = 256 - (256 % ALPHABET.length);
  let out = '';
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte < limit) out += ALPHABET[byte % ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}
