/**
 * Semver ranges with Masterminds v3 (>= 3.4) semantics, as Flux, Argo CD Image Updater and Kargo
 * read them. Implemented here rather than with node-semver, which differs on prereleases
 * (per OR-group opt-in), `!=`, `,` as AND, `=>`/`=<`/`~>`, carets on 0.x partials and padding.
 *
 * Each comparator compiles to an interval of versions (bounds carry prerelease identifiers, so
 * "below 1.3.0 and all its prereleases" is `< 1.3.0-0`), or the complement of one (`!=`).
 */
import { compareVersions, makeVersion, MAX_UINT64, parsePrerelease, type Version } from './version.js';

export interface Bound {
  v: Version;
  inclusive: boolean;
}

export type Operator = '' | '=' | '!=' | '>' | '<' | '>=' | '<=' | '~' | '^';

export interface Comparator {
  /** the comparator as written, e.g. `>=1.2` */
  text: string;
  op: Operator;
  /** undefined = unbounded */
  lo?: Bound;
  hi?: Bound;
  /** true for `!=`: matches what lies outside [lo, hi] */
  negate: boolean;
  /** the comparator's version has a prerelease (opts its OR-group in to prereleases) */
  hasPrerelease: boolean;
}

export interface RangeGroup {
  comparators: Comparator[];
  hasPrerelease: boolean;
}

export interface Range {
  text: string;
  /** OR of AND-groups */
  groups: RangeGroup[];
}

export type RangeParse = { ok: true; range: Range } | { ok: false; message: string };

export type PrereleaseMode = 'include' | 'exclude' | undefined;

/** `ok`, or why the version does not satisfy the range. */
export type RangeMatch = 'ok' | 'out-of-range' | 'prerelease';

const OPERATOR_RE = /(!=|>=|=>|<=|=<|~>|[=<>~^])?[ \t\n\r]*/y;
const PART = '(\\d+|[xX*])';
const IDENT = '[0-9A-Za-z-]+';
const DOTTED = `${IDENT}(?:\\.${IDENT})*`;
const CV_RE = new RegExp(`v?${PART}(?:\\.${PART})?(?:\\.${PART})?(?:-(${DOTTED}))?(?:\\+(${DOTTED}))?`, 'y');
const WS = /[ \t\n\r]/;

interface PartialVersion {
  text: string;
  /** how many leading numeric parts before the first wildcard or missing part: 0..3 */
  level: 0 | 1 | 2 | 3;
  con: Version;
}

const isX = (s: string | undefined): boolean => s === undefined || s === 'x' || s === 'X' || s === '*';

function readPartial(text: string, pos: number): { pv: PartialVersion; end: number } | { error: string } {
  CV_RE.lastIndex = pos;
  const m = CV_RE.exec(text);
  if (!m) return { error: `expected a version at "${text.slice(pos) || '(end)'}"` };
  const end = CV_RE.lastIndex;
  if (end < text.length && !WS.test(text[end] as string) && text[end] !== ',') {
    return { error: `unexpected "${text.slice(end)}" after "${m[0]}"` };
  }
  const pre = parsePrerelease(m[4]);
  if (!pre) return { error: `invalid prerelease in "${m[0]}"` };
  const parts = [m[1], m[2], m[3]];
  if (parts.some((p) => p !== undefined && !isX(p) && BigInt(p) > MAX_UINT64)) {
    return { error: `"${m[0]}" has a number above 2^64-1, which Masterminds (Flux, Argo CD, Kargo) refuses` };
  }
  let level: 0 | 1 | 2 | 3 = 3;
  for (let i = 0; i < 3; i++) {
    if (isX(parts[i])) {
      level = i as 0 | 1 | 2;
      break;
    }
  }
  const num = (i: number): bigint => (i < level ? BigInt(parts[i] as string) : 0n);
  return { pv: { text: m[0], level, con: makeVersion(num(0), num(1), num(2), pre) }, end };
}

/** The lowest version of a MAJOR.MINOR.PATCH tuple: `x.y.z-0`. */
const floor = (major: bigint, minor: bigint, patch: bigint): Bound => ({ v: makeVersion(major, minor, patch, ['0']), inclusive: false });

function tildeUpper(pv: PartialVersion): Bound | undefined {
  const c = pv.con;
  if (pv.level === 0) return undefined;
  if (pv.level === 3 && c.major === 0n && c.minor === 0n && c.patch === 0n) return undefined; // ~0.0.0 = >=0.0.0
  if (pv.level === 1) return floor(c.major + 1n, 0n, 0n);
  return floor(c.major, c.minor + 1n, 0n);
}

function caretUpper(pv: PartialVersion): Bound | undefined {
  const c = pv.con;
  if (pv.level === 0) return undefined;
  if (c.major > 0n || pv.level === 1) return floor(c.major + 1n, 0n, 0n);
  if (c.minor > 0n || pv.level === 2) return floor(0n, c.minor + 1n, 0n);
  return floor(0n, 0n, c.patch + 1n);
}

function makeComparator(opText: string, pv: PartialVersion, text: string): Comparator {
  const op: Operator = opText === '=>' ? '>=' : opText === '=<' ? '<=' : opText === '~>' ? '~' : (opText as Operator);
  const c = pv.con;
  const lower: Bound = { v: c, inclusive: true };
  const base = { text, op, negate: false, hasPrerelease: c.prerelease.length > 0 };
  switch (op) {
    case '':
    case '=':
    case '!=': {
      // a partial or wildcard equality is a tilde range (Masterminds: `1.2` = `=1.2` = `~1.2`)
      let lo: Bound | undefined;
      let hi: Bound | undefined;
      if (pv.level === 3) {
        lo = lower;
        hi = { v: c, inclusive: true };
      } else if (pv.level > 0) {
        lo = lower;
        hi = tildeUpper(pv);
      }
      return { ...base, lo, hi, negate: op === '!=' };
    }
    case '>':
      if (pv.level === 1) return { ...base, lo: { ...floor(c.major + 1n, 0n, 0n), inclusive: true } };
      if (pv.level === 2) return { ...base, lo: { ...floor(c.major, c.minor + 1n, 0n), inclusive: true } };
      return { ...base, lo: { v: c, inclusive: false } };
    case '>=':
      return { ...base, lo: lower };
    case '<':
      return { ...base, hi: { v: c, inclusive: false } };
    case '<=':
      if (pv.level === 0) return { ...base };
      if (pv.level === 1) return { ...base, hi: floor(c.major + 1n, 0n, 0n) };
      if (pv.level === 2) return { ...base, hi: floor(c.major, c.minor + 1n, 0n) };
      return { ...base, hi: { v: c, inclusive: true } };
    case '~':
      return { ...base, lo: lower, hi: tildeUpper(pv) };
    case '^':
      return { ...base, lo: lower, hi: caretUpper(pv) };
  }
}

type GroupParse = { ok: true; group: RangeGroup; hyphenAtStart: boolean; hyphenAtEnd: boolean } | { ok: false; message: string };

function parseGroup(text: string): GroupParse {
  const comparators: Comparator[] = [];
  let pos = 0;
  // how the comparator being read was separated from the one before, and what that one was
  let sep: 'none' | 'space' | 'comma' = 'none';
  let prevHyphen = false;
  let hyphenAtStart = false;
  let hyphenAtEnd = false;
  const skipWs = (): boolean => {
    const start = pos;
    while (pos < text.length && WS.test(text[pos] as string)) pos++;
    return pos > start;
  };
  skipWs();
  if (pos >= text.length) return { ok: false, message: 'empty constraint' };
  for (;;) {
    const start = pos;
    OPERATOR_RE.lastIndex = pos;
    const om = OPERATOR_RE.exec(text);
    const opText = om?.[1] ?? '';
    pos = OPERATOR_RE.lastIndex;
    const r = readPartial(text, pos);
    if ('error' in r) return { ok: false, message: r.error };
    pos = r.end;
    const hadWs = skipWs();
    // hyphen range: `A - B` (spaces required around the hyphen, no operators)
    if (opText === '' && hadWs && text[pos] === '-' && pos + 1 < text.length && WS.test(text[pos + 1] as string)) {
      pos++;
      skipWs();
      const r2 = readPartial(text, pos);
      if ('error' in r2) return { ok: false, message: r2.error };
      const hyphenText = text.slice(start, r2.end);
      // Masterminds rewrites "A - B" with the whitespace before it into ">= A, <= B", which glues
      // it to a comparator separated by spaces only: Flux, Argo CD and Kargo refuse the range.
      if (sep === 'space' && !prevHyphen) {
        return { ok: false, message: `the hyphen range "${hyphenText}" follows a comparator separated by spaces only, which Masterminds (Flux, Argo CD, Kargo) refuses; separate them with a comma` };
      }
      if (start === 0) hyphenAtStart = true;
      comparators.push(makeComparator('>=', r.pv, hyphenText));
      comparators.push(makeComparator('<=', r2.pv, hyphenText));
      pos = r2.end;
      if (pos === text.length) hyphenAtEnd = true;
      const ws2 = skipWs();
      prevHyphen = true;
      if (pos >= text.length) break;
      if (text[pos] === ',') {
        pos++;
        skipWs();
        sep = 'comma';
      } else if (!ws2) return { ok: false, message: `unexpected "${text.slice(pos)}"` };
      else sep = 'space';
      continue;
    }
    comparators.push(makeComparator(opText, r.pv, text.slice(start, r.end)));
    prevHyphen = false;
    if (pos >= text.length) break;
    if (text[pos] === ',') {
      pos++;
      skipWs();
      sep = 'comma';
      if (pos >= text.length) return { ok: false, message: 'dangling ","' };
    } else if (!hadWs) return { ok: false, message: `unexpected "${text.slice(pos)}"` };
    else sep = 'space';
  }
  return { ok: true, group: { comparators, hasPrerelease: comparators.some((c) => c.hasPrerelease) }, hyphenAtStart, hyphenAtEnd };
}

/** Parses a Masterminds v3 range. Errors are data. */
export function parseRange(text: string): RangeParse {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, message: 'empty range' };
  const groups: RangeGroup[] = [];
  const parts = text.split('||');
  for (const [i, part] of parts.entries()) {
    const g = parseGroup(part);
    if (!g.ok) return { ok: false, message: `invalid range "${text}": ${g.message}` };
    // Masterminds reads "|" as part of a version in its hyphen-range rewrite, so "A - B||C" and
    // "C||A - B" fall apart there: Flux, Argo CD and Kargo refuse them
    if ((g.hyphenAtStart && i > 0) || (g.hyphenAtEnd && i < parts.length - 1)) {
      return { ok: false, message: `invalid range "${text}": a hyphen range next to "||" without a space, which Masterminds (Flux, Argo CD, Kargo) refuses; write spaces around "||"` };
    }
    groups.push(g.group);
  }
  return { ok: true, range: { text, groups } };
}

/** The range `*`: every release (prereleases per the usual rule). */
export const ANY_RANGE: Range = (() => {
  const r = parseRange('*');
  if (!r.ok) throw new Error('unreachable');
  return r.range;
})();

function aboveLower(v: Version, lo: Bound | undefined): boolean {
  if (!lo) return true;
  const c = compareVersions(v, lo.v);
  return c > 0 || (c === 0 && lo.inclusive);
}

function belowUpper(v: Version, hi: Bound | undefined): boolean {
  if (!hi) return true;
  const c = compareVersions(v, hi.v);
  return c < 0 || (c === 0 && hi.inclusive);
}

function comparatorContains(c: Comparator, v: Version): boolean {
  if (c.negate && !c.lo && !c.hi) return false; // `!=*`
  const inside = aboveLower(v, c.lo) && belowUpper(v, c.hi);
  return c.negate ? !inside : inside;
}

/**
 * Whether `v` satisfies the range. A prerelease satisfies an OR-group only if the group names a
 * prerelease (then any prerelease in its numeric range qualifies); `include` admits every
 * prerelease, `exclude` none.
 */
export function matchRange(range: Range, v: Version, prerelease?: PrereleaseMode): RangeMatch {
  let blockedByPrerelease = false;
  for (const g of range.groups) {
    if (!g.comparators.every((c) => comparatorContains(c, v))) continue;
    if (v.prerelease.length === 0) return 'ok';
    if (prerelease === 'include') return 'ok';
    if (prerelease !== 'exclude' && g.hasPrerelease) return 'ok';
    blockedByPrerelease = true;
  }
  return blockedByPrerelease ? 'prerelease' : 'out-of-range';
}

const isMinimal = (v: Version): boolean =>
  v.major === 0n && v.minor === 0n && v.patch === 0n && v.prerelease.length === 1 && v.prerelease[0] === '0';

/**
 * False only when the range provably matches no version at all (e.g. `>2 <1`). `!=` comparators
 * are ignored (conservative), and prerelease gaps are not reasoned about.
 */
export function rangeSatisfiable(range: Range): boolean {
  return range.groups.some((g) => {
    let lo: Bound | undefined;
    let hi: Bound | undefined;
    for (const c of g.comparators) {
      if (c.negate) {
        if (!c.lo && !c.hi) return false;
        continue;
      }
      if (c.lo) {
        const cmp = lo ? compareVersions(c.lo.v, lo.v) : 1;
        if (!lo || cmp > 0 || (cmp === 0 && !c.lo.inclusive)) lo = c.lo;
      }
      if (c.hi) {
        const cmp = hi ? compareVersions(c.hi.v, hi.v) : -1;
        if (!hi || cmp < 0 || (cmp === 0 && !c.hi.inclusive)) hi = c.hi;
      }
    }
    if (hi && !hi.inclusive && isMinimal(hi.v)) return false;
    if (!lo || !hi) return true;
    const cmp = compareVersions(lo.v, hi.v);
    return cmp < 0 || (cmp === 0 && lo.inclusive && hi.inclusive);
  });
}
