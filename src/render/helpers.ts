/**
 * The value helpers a template may call, as plain functions over values (the Handlebars
 * wiring is in handlebars.ts). The names follow Sprig, the library Helm charts use, with the
 * value first as Handlebars helpers take it: Helm's `{{ .Values.x | trunc 63 }}` is
 * `{{trunc spec.x 63}}` here. A helper that gets a value it cannot use throws HelperError,
 * which the engine reports as a TEMPLATE diagnostic at the call.
 */
import { emitJsonValue } from '../core/emit.js';
import { sha256Hex } from '../core/hash.js';

export class HelperError extends Error {}

function need(name: string, v: unknown): void {
  if (v === undefined || v === null) throw new HelperError(`{{${name}}}: the value is undefined (a missing variable or field)`);
}

/** A scalar as text: strings as they are, numbers and booleans in their usual form. */
export function text(name: string, v: unknown): string {
  need(name, v);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new HelperError(`{{${name}}}: ${v} is not a finite number`);
    return String(v);
  }
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  throw new HelperError(`{{${name}}}: an object or list is not text (use {{json x}} or {{yaml x}} to serialise it)`);
}

function int(name: string, v: unknown): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new HelperError(`{{${name}}}: ${JSON.stringify(v) ?? String(v)} is not an integer`);
  return n;
}

/** Hex SHA-256 of a string's UTF-8 bytes; of an object or list, of its canonical (key-sorted) JSON. */
export function sha256(v: unknown): string {
  need('sha256', v);
  const data = typeof v === 'object' ? emitJsonValue(v) : text('sha256', v);
  return sha256Hex(data);
}

/** The first `n` characters (code points); with a negative `n`, the last `-n`, as Sprig's trunc. */
export function trunc(v: unknown, n: unknown): string {
  const chars = [...text('trunc', v)];
  const k = int('trunc', n);
  if (k >= 0) return chars.slice(0, k).join('');
  return chars.slice(Math.max(0, chars.length + k)).join('');
}

/** Every occurrence of `from` replaced by `to` (literal strings, not patterns). */
export function replace(v: unknown, from: unknown, to: unknown): string {
  const s = text('replace', v);
  const f = text('replace', from);
  if (f === '') throw new HelperError('{{replace}}: the text to replace is empty');
  return s.split(f).join(text('replace', to));
}

export function trimPrefix(v: unknown, prefix: unknown): string {
  const s = text('trimPrefix', v);
  const p = text('trimPrefix', prefix);
  return p && s.startsWith(p) ? s.slice(p.length) : s;
}

export function trimSuffix(v: unknown, suffix: unknown): string {
  const s = text('trimSuffix', v);
  const p = text('trimSuffix', suffix);
  return p && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
}

export function trim(v: unknown): string {
  return text('trim', v).trim();
}

/** Base64 (RFC 4648, padded) of a string's UTF-8 bytes. */
export function b64enc(v: unknown): string {
  return Buffer.from(text('b64enc', v), 'utf8').toString('base64');
}

/**
 * Helm's `quote`: there is nothing to escape here (values never change the structure), so
 * strings pass unchanged; a number or boolean becomes its text, as Helm's quote makes it a string.
 */
export function quote(v: unknown): string {
  return text('quote', v);
}

/**
 * Go-style formatting for the verbs charts use: `%s` `%v` (text), `%d` (integer), `%f` `%.Nf`
 * (fixed point), `%q` (double-quoted), `%x` (hex of an integer, or of a string's bytes), `%%`;
 * a width and `0`/`-` flags (`%05d`, `%-8s`). Too few or too many arguments is an error.
 */
export function printf(format: unknown, args: unknown[]): string {
  const f = text('printf', format);
  let i = 0;
  const next = (verb: string): unknown => {
    if (i >= args.length) throw new HelperError(`{{printf}}: %${verb} has no argument (${args.length} given)`);
    return args[i++];
  };
  const out = f.replace(/%([-0]*)(\d*)(?:\.(\d+))?([a-zA-Z%])/g, (m, flags: string, width: string, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    let s: string;
    switch (verb) {
      case 's':
      case 'v': {
        const a = next(verb);
        s = typeof a === 'object' && a !== null ? emitJsonValue(a) : text('printf', a);
        if (prec !== undefined) s = [...s].slice(0, Number(prec)).join('');
        break;
      }
      case 'd':
        s = String(int('printf', next(verb)));
        break;
      case 'f': {
        const a = next(verb);
        const n = typeof a === 'string' && a.trim() !== '' ? Number(a) : a;
        if (typeof n !== 'number' || !Number.isFinite(n)) throw new HelperError(`{{printf}}: %f needs a number, got ${JSON.stringify(a)}`);
        s = n.toFixed(prec === undefined ? 6 : Number(prec));
        break;
      }
      case 'q':
        s = JSON.stringify(text('printf', next(verb)));
        break;
      case 'x': {
        const a = next(verb);
        s = typeof a === 'number' ? int('printf', a).toString(16) : Buffer.from(text('printf', a), 'utf8').toString('hex');
        break;
      }
      default:
        throw new HelperError(`{{printf}}: unsupported verb ${m} (use %s, %v, %d, %f, %q, %x or %%)`);
    }
    const w = width ? Number(width) : 0;
    const len = [...s].length;
    if (len < w) {
      if (flags.includes('-')) s += ' '.repeat(w - len);
      else if (flags.includes('0') && 'dfx'.includes(verb)) s = s.startsWith('-') ? '-' + s.slice(1).padStart(w - 1, '0') : s.padStart(w, '0');
      else s = ' '.repeat(w - len) + s;
    }
    return s;
  });
  if (i < args.length) throw new HelperError(`{{printf}}: ${args.length - i} argument(s) left over (the format uses ${i})`);
  return out;
}
