// Pure helpers of the join page: what was typed, and which code the URL says
// was not found. The page is only served again for a code the server did not
// know (GET /j?code=X or /j/X answered 404); a known code redirected.

/** A typed code as the server reads it: no spaces or dashes, upper case, at most 16 characters. */
export function cleanCode(raw) {
  return String(raw ?? '').replace(/[\s\-_]+/g, '').toUpperCase().slice(0, 16);
}

/** The code this URL looked up in vain, or '' on the plain join page. */
export function missedCode(pathname, search) {
  const fromPath = /^\/j\/([^/]+)$/.exec(pathname ?? '');
  let raw = '';
  if (fromPath) {
    try {
      raw = decodeURIComponent(fromPath[1]);
    } catch {
      raw = fromPath[1];
    }
  } else if ((pathname ?? '') === '/j') {
    raw = new URLSearchParams(search ?? '').get('code') ?? '';
  }
  return cleanCode(raw);
}
