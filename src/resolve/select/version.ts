/**
 * Semantic versions as tags carry them: parsing (strict and loose) and SemVer 2.0 precedence.
 * Numbers are BigInt (exact up to 2^64-1, the peers' limit, above which a tag is not a version).
 * Pure, no I/O.
 */

export interface Version {
  major: bigint;
  minor: bigint;
  patch: bigint;
  /** prerelease identifiers, e.g. ['rc', '10'] */
  prerelease: readonly string[];
  /** build metadata (ignored for precedence) */
  build: string;
  /** the text this was parsed from */
  original: string;
}

export interface ParseVersionOptions {
  /** default true: exactly MAJOR.MINOR.PATCH; false also accepts `1` and `1.2` */
  strict?: boolean;
}

const IDENT = '[0-9A-Za-z-]+';
const DOTTED = `${IDENT}(?:\\.${IDENT})*`;
const STRICT_RE = new RegExp(`^v?(\\d+)\\.(\\d+)\\.(\\d+)(?:-(${DOTTED}))?(?:\\+(${DOTTED}))?$`);
const LOOSE_RE = new RegExp(`^v?(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:-(${DOTTED}))?(?:\\+(${DOTTED}))?$`);
const NUMERIC = /^\d+$/;

/** 2^64-1: the largest MAJOR, MINOR or PATCH Masterminds (Flux, Argo CD, Kargo) reads. */
export const MAX_UINT64 = 2n ** 64n - 1n;

/** Splits and validates prerelease identifiers: numeric identifiers must not have leading zeros. */
export function parsePrerelease(text: string | undefined): string[] | undefined {
  if (text === undefined || text === '') return [];
  const ids = text.split('.');
  for (const id of ids) {
    if (id === '') return undefined;
    if (NUMERIC.test(id) && id.length > 1 && id.startsWith('0')) return undefined;
  }
  return ids;
}

/**
 * Parses a tag as a version. Strict (default): MAJOR.MINOR.PATCH, optional lowercase `v`,
 * zero-padded numbers allowed (`2025.02.03`), prerelease and build allowed. Loose: also `1` and `1.2`.
 */
export function parseVersion(tag: string, opts: ParseVersionOptions = {}): Version | undefined {
  const strict = opts.strict ?? true;
  const m = (strict ? STRICT_RE : LOOSE_RE).exec(tag);
  if (!m) return undefined;
  const prerelease = parsePrerelease(m[4]);
  if (!prerelease) return undefined;
  const [major, minor, patch] = [m[1], m[2], m[3]].map((x) => BigInt(x ?? '0')) as [bigint, bigint, bigint];
  // Masterminds reads each number as a uint64: Flux, Argo CD and Kargo skip a tag beyond it
  if (major > MAX_UINT64 || minor > MAX_UINT64 || patch > MAX_UINT64) return undefined;
  return {
    major,
    minor,
    patch,
    prerelease,
    build: m[5] ?? '',
    original: tag,
  };
}

export function makeVersion(major: bigint, minor: bigint, patch: bigint, prerelease: readonly string[] = []): Version {
  return { major, minor, patch, prerelease, build: '', original: `${major}.${minor}.${patch}${prerelease.length ? '-' + prerelease.join('.') : ''}` };
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIdentifier(a: string, b: string): number {
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) return cmpBig(BigInt(a), BigInt(b));
  if (an) return -1;
  if (bn) return 1;
  return compareBytes(a, b);
}

/** SemVer 2.0 prerelease precedence; an empty list (a release) ranks above any prerelease. */
export function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  if (a.length === 0) return 1;
  if (b.length === 0) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifier(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return Math.sign(a.length - b.length);
}

/** SemVer 2.0 precedence: -1, 0 or 1. Build metadata is ignored. */
export function compareVersions(a: Version, b: Version): number {
  return cmpBig(a.major, b.major) || cmpBig(a.minor, b.minor) || cmpBig(a.patch, b.patch) || comparePrerelease(a.prerelease, b.prerelease);
}

/**
 * Compares strings by their UTF-8 bytes (= code point order), never by locale.
 * UTF-16 code unit order differs only where a surrogate meets a BMP character at or above U+E000.
 */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return Math.sign(a.length - b.length);
}
