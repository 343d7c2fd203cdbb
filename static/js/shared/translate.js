// The language machinery every page shares: zh-CN by default, English
// selectable, the choice remembered on the device under one key (so the
// viewer page, the console and the login page agree). Each page keeps its own
// string tables (i18n.js, admin-i18n.js, console-i18n.js) and gets its
// functions from createI18n. Pure: no DOM here.

export const LANGS = ['zh-CN', 'en'];
export const DEFAULT_LANG = 'zh-CN';
const STORE_KEY = 'xs:lang';

/**
 * The language functions over `strings` ({'zh-CN': {...}, en: {...}}):
 * initLang, lang, setLang, t(key, vars) and keys(language).
 */
export function createI18n(strings) {
  let current = DEFAULT_LANG;

  /** The language in use: the one chosen on this device, else zh-CN. */
  function initLang(storage = globalThis.localStorage) {
    let saved = null;
    try {
      saved = storage?.getItem(STORE_KEY) ?? null;
    } catch {
      // private mode: storage can throw
    }
    current = LANGS.includes(saved) ? saved : DEFAULT_LANG;
    return current;
  }

  function lang() {
    return current;
  }

  function setLang(next, storage = globalThis.localStorage) {
    current = LANGS.includes(next) ? next : DEFAULT_LANG;
    try {
      storage?.setItem(STORE_KEY, current);
    } catch {
      // not remembered, still switched
    }
    return current;
  }

  /** The string `key` in the current language, {name} placeholders filled in; the key itself if unknown. */
  function t(key, vars = {}) {
    const table = strings[current] ?? strings[DEFAULT_LANG];
    const text = table[key] ?? strings[DEFAULT_LANG][key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name) => (name in (vars ?? {}) ? String(vars[name]) : m));
  }

  /** Every key of a language (tests: the tables must not drift apart). */
  function keys(language) {
    return Object.keys(strings[language] ?? {});
  }

  return { initLang, lang, setLang, t, keys };
}
