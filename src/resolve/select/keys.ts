/**
 * Sort keys for the non-semver strategies: exact decimals, Harness Alphanum ("natural"),
 * RFC 3339 timestamps to the nanosecond, and platform matching. Pure, no I/O.
 */
import { compareBytes } from './version.js';

export interface Decimal {
  negative: boolean;
  /** integer digits without leading zeros ('0' for zero) */
  int: string;
  /** fraction digits without trailing zeros */
  frac: string;
}

/**
 * The decimal forms Go's `strconv.ParseFloat` reads (Flux's numerical policy): an optional sign,
 * digits with an optional fraction (`1.5`, `5.`, `.5`) and an optional exponent (`1e3`, `2E-2`).
 * Not read: hexadecimal floats, `Inf`, `NaN`, underscores, and exponents beyond float64's range.
 */
const DECIMAL_RE = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d{1,4}))?$/;
const MAX_EXPONENT = 400;

/** A decimal number (`42`, `-3`, `1.50`, `0007`, `-90.29`, `1e3`), compared exactly; undefined if not one. */
export function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL_RE.exec(text);
  if (!m) return undefined;
  const exp = Number(m[5] ?? '0');
  if (Math.abs(exp) > MAX_EXPONENT) return undefined;
  const intDigits = m[2] ?? '';
  const fracDigits = m[3] ?? m[4] ?? '';
  // move the decimal point by the exponent
  const digits = intDigits + fracDigits;
  let point = intDigits.length + exp;
  let all = digits;
  if (point < 0) {
    all = '0'.repeat(-point) + all;
    point = 0;
  } else if (point > all.length) all = all.padEnd(point, '0');
  const int = (all.slice(0, point) || '0').replace(/^0+(?=\d)/, '');
  const frac = all.slice(point).replace(/0+$/, '');
  const zero = /^0*$/.test(int) && frac === '';
  return { negative: m[1] === '-' && !zero, int: zero ? '0' : int, frac };
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  if (a.negative !== b.negative) return a.negative ? -1 : 1;
  let mag = Math.sign(a.int.length - b.int.length);
  if (mag === 0) mag = a.int < b.int ? -1 : a.int > b.int ? 1 : 0;
  if (mag === 0) {
    const n = Math.max(a.frac.length, b.frac.length);
    const fa = a.frac.padEnd(n, '0');
    const fb = b.frac.padEnd(n, '0');
    mag = fa < fb ? -1 : fa > fb ? 1 : 0;
  }
  return a.negative ? -mag : mag;
}

const CHUNK_RE = /\d+|\D+/g;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Harness Alphanum order: strings split into digit and non-digit chunks; two digit chunks compare
 * by length, then digit by digit (so `010` > `9`); other chunks bytewise. When every chunk of the
 * shorter string is equal, the longer string wins (`1.2.3-rc1` > `1.2.3`).
 */
export function compareNatural(a: string, b: string): number {
  const ca = a.match(CHUNK_RE) ?? [];
  const cb = b.match(CHUNK_RE) ?? [];
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i] as string;
    const y = cb[i] as string;
    let r: number;
    if (isDigit(x.charCodeAt(0)) && isDigit(y.charCodeAt(0))) {
      r = Math.sign(x.length - y.length) || (x < y ? -1 : x > y ? 1 : 0);
    } else {
      r = compareBytes(x, y);
    }
    if (r !== 0) return r;
  }
  return Math.sign(a.length - b.length);
}

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/** An RFC 3339 timestamp as nanoseconds since the epoch (exact); undefined if unparsable. */
export function parseTimestamp(text: string | undefined): bigint | undefined {
  if (typeof text !== 'string') return undefined;
  const m = TIME_RE.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCDate() !== d && s !== 60) return undefined; // 2024-02-30
  let seconds = BigInt(ms / 1000);
  if (m[9]) {
    const offset = BigInt(Number(m[10]) * 3600 + Number(m[11]) * 60);
    seconds = m[9] === '+' ? seconds - offset : seconds + offset;
  }
  const nanos = BigInt((m[7] ?? '').slice(0, 9).padEnd(9, '0'));
  return seconds * 1_000_000_000n + nanos;
}
