/**
 * Redaction of secrets in anything the oci provider reports: URL userinfo, sensitive query
 * parameters, Authorization-style header values, and every secret value registered at the
 * moment it is obtained (with its base64 form, as used in Basic headers).
 */
import { redactUrlsInText } from '../../../core/redact.js';

const SENSITIVE_QUERY =
  /([?&;](?:[^=&\s#"']*(?:token|sig|signature|secret|password|passwd|key|credential|auth|code|session|state)[^=&\s#"']*)=)[^&\s#"']*/gi;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Register a secret value (ignored when too short to redact meaningfully). */
  add(value: string | undefined): void {
    if (!value || value.length < 3) return;
    this.secrets.add(value);
    this.secrets.add(Buffer.from(value, 'utf8').toString('base64'));
    this.secrets.add(encodeURIComponent(value));
  }

  addBasic(username: string, password: string): void {
    this.add(password);
    this.add(`${username}:${password}`);
  }

  redact(text: string): string {
    let out = redactUrlsInText(text);
    out = out.replace(SENSITIVE_QUERY, '$1***');
    out = out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 ***');
    const list = [...this.secrets].sort((a, b) => b.length - a.length);
    for (const s of list) out = out.split(s).join('***');
    return out;
  }
}

/** A short, single-line, printable excerpt of a response body for a diagnostic. */
export function excerpt(body: Uint8Array | string, max = 80): string {
  const text = typeof body === 'string' ? body : Buffer.from(body.subarray(0, max * 4)).toString('utf8');
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max) + '…' : flat;
}

/** A URL for a message: no userinfo, sensitive query values hidden. */
export function displayUrl(url: URL): string {
  const u = new URL(url.href);
  u.username = '';
  u.password = '';
  return u.href.replace(SENSITIVE_QUERY, '$1***');
}
