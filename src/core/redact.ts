/**
 * Credentials written into URLs (`https://user:password@host`), hidden before a value reaches a
 * message. Pure. A value is redacted as a whole (its userinfo is everything between `://` and
 * the last `@`, even when the password holds `/`, spaces or quotes that break URL parsing);
 * free text is redacted URL by URL.
 */

const VALUE_USERINFO = /^(\s*[A-Za-z][A-Za-z0-9+.-]*:\/\/)[^]*@/;
/** `user:password@host` without a scheme (a URL reader takes `user:` for the scheme). */
const BARE_USERINFO = /^(\s*)(?![A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s:@/]+:[^]*@/;
const TEXT_USERINFO = /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s"'<>]*@/g;

/**
 * `https://user:pw@host/x` -> `https://***@host/x`, `user:pw@host` -> `***@host`; anything else
 * unchanged.
 */
export function redactUrlValue(value: string): string {
  return value.replace(VALUE_USERINFO, '$1***@').replace(BARE_USERINFO, '$1***@');
}

/** Every `scheme://userinfo@` in a text, redacted to `scheme://***@`. */
export function redactUrlsInText(text: string): string {
  return text.replace(TEXT_USERINFO, '$1***@');
}

/** True when a URL-like value carries userinfo (`scheme://...@`). */
export function hasUrlUserinfo(value: string): boolean {
  return VALUE_USERINFO.test(value);
}
