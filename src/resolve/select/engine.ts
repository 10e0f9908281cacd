/**
 * The selection engine: contract section 3. Pure: tag names and metadata in, a decision and its
 * explanation out. Order of work: ignore -> regex -> strategy parse and range (prefilter, tag names
 * only) -> platform -> labels -> strategy (choose, needs metadata for some criteria). The filters
 * commute, so the name-only ones run before any metadata is fetched.
 */
import type { SelectSpec, Strategy, VersionInfo } from '../../core/model.js';
import type { ReasonFor } from '../../core/reasons.js';
import { isRuntimeInput } from './inputs.js';
import { compareDecimal, compareNatural, parseDecimal, parsePlatform, parseTimestamp, platformMatches, type Decimal, type Platform } from './keys.js';
import { ANY_RANGE, matchRange, parseRange, rangeSatisfiable, type Range } from './range.js';
import { expandTemplate, validateExtract, validateRegex, type TemplatePart, type UserRegex } from './regex.js';
import { compareBytes, compareVersions, parseVersion, type Version } from './version.js';

export interface TraceEntry {
  tag: string;
  kept: boolean;
  reason: string;
}

export interface PrefilterStats {
  /** distinct tags listed */
  listed: number;
  /** not valid tag syntax */
  invalid: number;
  ignored: number;
  /** dropped because they do not match `regex` */
  unmatched: number;
  /** parsable for the strategy (semver: valid versions; numerical: numbers) */
  parsed: number;
  /** what `parsed` counts, for messages: `semver`, `numeric`, ... */
  parsedLabel: string;
  /** in range / kept after the name-only steps */
  kept: number;
  /** semver only: dropped only because they are prereleases */
  prereleaseDropped: number;
  /** up to 3 best parsable tags before the range (strategy order), for NO_CANDIDATES */
  highest: string[];
  /** exact and digest: whether the requested tag was listed */
  requestedListed?: boolean;
}

export interface PrefilterResult {
  /** kept tags, best first when the strategy can rank by name (semver, numerical, ...) */
  kept: string[];
  /** one entry per distinct listed tag */
  trace: TraceEntry[];
  stats: PrefilterStats;
  /** the criteria themselves are invalid (should have been caught by validate) */
  problem?: SelectProblem;
}

export type SelectionFailureCode = 'NO_CANDIDATES' | 'TAG_NOT_FOUND' | 'DIGEST_MISMATCH' | 'INVALID_RANGE' | 'INVALID_REGEX' | 'RUNTIME_INPUT_REQUIRED' | 'SCHEMA';

export type SelectionOutcome =
  | { ok: true; version: VersionInfo; explain: TraceEntry[] }
  | { ok: false; code: SelectionFailureCode; reason: ReasonFor<SelectionFailureCode>; message: string; explain: TraceEntry[] };

export interface SelectProblem {
  code: 'INVALID_RANGE' | 'INVALID_REGEX' | 'CONFLICTING_CRITERIA' | 'RUNTIME_INPUT_REQUIRED' | 'SCHEMA';
  /** the reason id of the diagnostic it becomes (CONFLICTING_CRITERIA is SCHEMA) */
  reason: ReasonFor<'INVALID_RANGE' | 'INVALID_REGEX' | 'RUNTIME_INPUT_REQUIRED' | 'SCHEMA'>;
  /** the offending field under `select`, e.g. `range`, `ignore.1` */
  field: string;
  message: string;
}

export interface ChooseContext {
  /** package name for messages */
  pkg?: string;
  /** the prefilter run over the full tag list: its counts and dropped tags go into the outcome */
  prefilter?: PrefilterResult;
  /** format: file: described versions (those with `files`) without this file are dropped */
  file?: string;
}

// The OCI tag grammar, plus `+` so that generic artifact versions (static catalogs, generic
// registries) keep their SemVer build metadata; OCI registries never list such tags.
const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$/;
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';

export function isValidTag(tag: unknown): tag is string {
  return typeof tag === 'string' && OCI_TAG.test(tag);
}

interface Compiled {
  strategy: Strategy;
  range: Range;
  rangeText?: string;
  prerelease?: 'include' | 'exclude';
  strict: boolean;
  regex?: UserRegex;
  regexSrc?: string;
  extract?: TemplatePart[];
  ignore: { src: string; re: UserRegex }[];
  order: 'asc' | 'desc';
  platform?: Platform;
  labels: [string, string][];
  scan?: string[];
  tag?: string;
  digest?: string;
}

/** Checks the criteria without any tag: range syntax and satisfiability, regexes, extract, platform. */
export function checkSelect(select: SelectSpec): SelectProblem[] {
  return compile(select).problems;
}

function compile(select: SelectSpec): { compiled?: Compiled; problems: SelectProblem[] } {
  const problems: SelectProblem[] = [];
  const strategy: Strategy = select.strategy ?? 'semver';
  let range = ANY_RANGE;
  if (select.range !== undefined) {
    if (isRuntimeInput(select.range)) {
      problems.push({ code: 'RUNTIME_INPUT_REQUIRED', reason: 'not-applied', field: 'range', message: `range is a runtime input (${select.range}) that was not applied` });
    } else {
      const r = parseRange(select.range);
      if (!r.ok) problems.push({ code: 'INVALID_RANGE', reason: 'invalid-range', field: 'range', message: r.message });
      else if (!rangeSatisfiable(r.range)) problems.push({ code: 'INVALID_RANGE', reason: 'unsatisfiable', field: 'range', message: `range "${select.range}" can never match any version` });
      else range = r.range;
    }
  }
  let regex: UserRegex | undefined;
  if (select.regex !== undefined) {
    const r = validateRegex(select.regex);
    if (!r.ok) problems.push({ code: 'INVALID_REGEX', reason: 'invalid-regex', field: 'regex', message: r.message });
    else regex = r.re;
  }
  let extract: TemplatePart[] | undefined;
  if (select.extract !== undefined) {
    if (select.regex === undefined) {
      problems.push({ code: 'CONFLICTING_CRITERIA', reason: 'conflicting-criteria', field: 'extract', message: 'extract needs a regex whose groups it uses' });
    } else if (regex) {
      const e = validateExtract(select.extract, regex);
      if (!e.ok) problems.push({ code: 'INVALID_REGEX', reason: 'invalid-extract', field: 'extract', message: e.message });
      else extract = e.parts;
    }
  }
  const ignore: { src: string; re: UserRegex }[] = [];
  (select.ignore ?? []).forEach((src, i) => {
    const r = validateRegex(src);
    if (!r.ok) problems.push({ code: 'INVALID_REGEX', reason: 'invalid-regex', field: `ignore.${i}`, message: r.message });
    else ignore.push({ src, re: r.re });
  });
  let platform: Platform | undefined;
  if (select.platform !== undefined) {
    platform = parsePlatform(select.platform);
    if (!platform) problems.push({ code: 'SCHEMA', reason: 'invalid-platform', field: 'platform', message: `platform "${select.platform}" is not os/arch[/variant]` });
  }
  if ((strategy === 'exact' || strategy === 'digest') && select.tag !== undefined && isRuntimeInput(select.tag)) {
    problems.push({ code: 'RUNTIME_INPUT_REQUIRED', reason: 'not-applied', field: 'tag', message: `tag is a runtime input (${select.tag}) that was not applied` });
  }
  if (problems.length > 0) return { problems };
  return {
    problems,
    compiled: {
      strategy,
      range,
      ...(select.range !== undefined ? { rangeText: select.range } : {}),
      ...(select.prerelease ? { prerelease: select.prerelease } : {}),
      strict: select.strictSemver ?? true,
      ...(regex ? { regex, regexSrc: select.regex } : {}),
      ...(extract ? { extract } : {}),
      ignore,
      order: select.order ?? 'asc',
      ...(platform ? { platform } : {}),
      labels: Object.entries(select.labels ?? {}).sort(([a], [b]) => compareBytes(a, b)),
      ...(select.scan?.length ? { scan: [...select.scan] } : {}),
      ...(select.tag !== undefined ? { tag: select.tag } : {}),
      ...(select.digest !== undefined ? { digest: select.digest } : {}),
    },
  };
}

/** Whether the criteria need per-tag metadata (created, labels, platforms) beyond tag names. */
export function needsMetadata(select: SelectSpec): boolean {
  return select.strategy === 'newest-build' || !!select.platform || Object.keys(select.labels ?? {}).length > 0;
}

type Key =
  | { kind: 'semver'; v: Version }
  | { kind: 'decimal'; d: Decimal }
  | { kind: 'string'; s: string }
  | { kind: 'time'; t: bigint }
  | { kind: 'none' };

interface Classified {
  ok: boolean;
  reason: string;
  /** parsable for the strategy (counts toward `parsed`, may still be out of range) */
  parsed: boolean;
  prerelease?: boolean;
  key: Key;
}

const NONE: Key = { kind: 'none' };

/** The name-only steps for one tag. */
function classify(tag: string, c: Compiled): Classified {
  // a negative number is a version of a generic artifact (static catalogs), as Flux reads it
  const negativeNumber = c.strategy === 'numerical' && tag.startsWith('-') && isValidTag(tag.slice(1)) && parseDecimal(tag) !== undefined;
  if (!isValidTag(tag) && !negativeNumber) return { ok: false, parsed: false, reason: 'not a valid tag', key: NONE };
  for (const ig of c.ignore) {
    if (ig.re.test(tag)) return { ok: false, parsed: false, reason: `ignored by /${ig.src}/`, key: NONE };
  }
  let sortKey = tag;
  if (c.regex) {
    // groups only when extract needs them: a plain test is the cheaper, DFA-only path
    const m = c.extract ? c.regex.exec(tag) : c.regex.test(tag);
    if (!m) return { ok: false, parsed: false, reason: 'does not match regex', key: NONE };
    if (c.extract && typeof m === 'object') sortKey = expandTemplate(c.extract, m);
  }
  switch (c.strategy) {
    case 'semver': {
      const v = parseVersion(sortKey, { strict: c.strict });
      const shown = sortKey === tag ? '' : ` (key "${sortKey}")`;
      if (!v) return { ok: false, parsed: false, reason: `not semver${shown}`, key: NONE };
      const key: Key = { kind: 'semver', v };
      const r = matchRange(c.range, v, c.prerelease);
      if (r === 'out-of-range') return { ok: false, parsed: true, reason: `out of range${shown}`, key };
      if (r === 'prerelease') return { ok: false, parsed: true, prerelease: true, reason: `prerelease not allowed${shown}`, key };
      return { ok: true, parsed: true, reason: 'kept', key };
    }
    case 'numerical': {
      const d = parseDecimal(sortKey);
      if (!d) return { ok: false, parsed: false, reason: `not a number${sortKey === tag ? '' : ` (key "${sortKey}")`}`, key: NONE };
      return { ok: true, parsed: true, reason: 'kept', key: { kind: 'decimal', d } };
    }
    case 'alphabetical':
    case 'natural':
      return { ok: true, parsed: true, reason: 'kept', key: { kind: 'string', s: sortKey } };
    case 'newest-build':
      return { ok: true, parsed: true, reason: 'kept', key: NONE };
    case 'exact':
    case 'digest':
      if (tag !== c.tag) return { ok: false, parsed: false, reason: `not the requested tag`, key: NONE };
      return { ok: true, parsed: true, reason: 'kept', key: NONE };
  }
}

/** Compares two ranked candidates: > 0 when `a` is better. Ties go to the bytewise-greater tag. */
function better(c: Compiled, a: { tag: string; key: Key }, b: { tag: string; key: Key }): number {
  let r = 0;
  const ka = a.key;
  const kb = b.key;
  if (ka.kind === 'semver' && kb.kind === 'semver') r = compareVersions(ka.v, kb.v);
  else if (ka.kind === 'decimal' && kb.kind === 'decimal') r = compareDecimal(ka.d, kb.d) * (c.order === 'desc' ? -1 : 1);
  else if (ka.kind === 'time' && kb.kind === 'time') r = ka.t < kb.t ? -1 : ka.t > kb.t ? 1 : 0;
  else if (ka.kind === 'string' && kb.kind === 'string') {
    r = c.strategy === 'natural' ? compareNatural(ka.s, kb.s) : compareBytes(ka.s, kb.s) * (c.order === 'desc' ? -1 : 1);
  }
  return r || compareBytes(a.tag, b.tag);
}

function parsedLabel(s: Strategy): string {
  switch (s) {
    case 'semver':
      return 'semver';
    case 'numerical':
      return 'numeric';
    default:
      return 'parsed';
  }
}

function emptyStats(c: Compiled | undefined, strategy: Strategy): PrefilterStats {
  return {
    listed: 0,
    invalid: 0,
    ignored: 0,
    unmatched: 0,
    parsed: 0,
    parsedLabel: parsedLabel(c?.strategy ?? strategy),
    kept: 0,
    prereleaseDropped: 0,
    highest: [],
  };
}

function insertTop(top: { tag: string; key: Key }[], item: { tag: string; key: Key }, c: Compiled, n = 3): void {
  let i = top.length;
  while (i > 0 && better(c, item, top[i - 1] as { tag: string; key: Key }) > 0) i--;
  if (i < n) {
    top.splice(i, 0, item);
    if (top.length > n) top.pop();
  }
}

/**
 * The steps that need only tag names: drop invalid tags, `ignore`, keep `regex`, parse for the
 * strategy, range and prerelease filter. Never an error for a tag that does not parse.
 */
export function prefilter(tags: readonly string[], select: SelectSpec): PrefilterResult {
  const { compiled: c, problems } = compile(select);
  const stats = emptyStats(c, select.strategy ?? 'semver');
  const trace: TraceEntry[] = [];
  if (!c) {
    const seen = new Set(tags);
    stats.listed = seen.size;
    return { kept: [], trace, stats, ...(problems[0] ? { problem: problems[0] } : {}) };
  }
  const seen = new Set<string>();
  const kept: { tag: string; key: Key }[] = [];
  const top: { tag: string; key: Key }[] = [];
  const rankable = c.strategy !== 'newest-build' && c.strategy !== 'exact' && c.strategy !== 'digest';
  for (const tag of tags) {
    if (seen.has(tag)) continue;
    seen.add(tag);
    stats.listed++;
    if (c.tag !== undefined && tag === c.tag) stats.requestedListed = true;
    const r = classify(tag, c);
    if (r.reason === 'not a valid tag') stats.invalid++;
    else if (r.reason.startsWith('ignored by')) stats.ignored++;
    else if (r.reason === 'does not match regex') stats.unmatched++;
    if (r.parsed) {
      stats.parsed++;
      if (rankable) insertTop(top, { tag, key: r.key }, c);
    }
    if (r.prerelease) stats.prereleaseDropped++;
    trace.push({ tag: String(tag), kept: r.ok, reason: r.reason });
    if (r.ok) kept.push({ tag, key: r.key });
  }
  if (c.tag !== undefined && (c.strategy === 'exact' || c.strategy === 'digest')) stats.requestedListed = !!stats.requestedListed;
  stats.kept = kept.length;
  stats.highest = top.map((t) => t.tag);
  if (rankable) kept.sort((a, b) => better(c, b, a));
  else kept.sort((a, b) => compareBytes(b.tag, a.tag));
  trace.sort((a, b) => compareBytes(a.tag, b.tag));
  return { kept: kept.map((k) => k.tag), trace, stats };
}

/** The creation time newest-build orders by; undefined when the version has none. */
export function createdOf(v: VersionInfo, platform?: Platform): bigint | undefined {
  const ann = v.annotations?.[CREATED_ANNOTATION];
  if (ann !== undefined) {
    const t = parseTimestamp(ann);
    if (t !== undefined) return t;
  }
  const children = (v.platforms ?? []).filter((p) => p.created !== undefined && (!platform || platformMatches(platform, p)));
  let best: bigint | undefined;
  for (const p of children) {
    const t = parseTimestamp(p.created);
    if (t !== undefined && (best === undefined || t > best)) best = t;
  }
  if (best !== undefined) return best;
  return parseTimestamp(v.created);
}

function normDigest(d: string | undefined): string | undefined {
  return d === undefined ? undefined : d.trim().toLowerCase();
}

function describeCriteria(c: Compiled): string {
  let s: string;
  if (c.strategy === 'semver') s = `"${c.rangeText ?? '*'}"`;
  else s = `strategy ${c.strategy}${c.order === 'desc' && (c.strategy === 'alphabetical' || c.strategy === 'numerical') ? ' (order desc)' : ''}`;
  if (c.regexSrc !== undefined) s += ` with regex /${c.regexSrc}/`;
  if (c.platform) s += ` on ${c.platform.text}`;
  if (c.labels.length) s += ` with labels ${c.labels.map(([k, v]) => `${k}=${v}`).join(',')}`;
  if (c.scan) s += ` with scan ${c.scan.join('|')}`;
  return s;
}

interface ChooseCounts {
  /** quarantined versions: tag and reason */
  quarantined?: [string, string | undefined][];
  scan?: number;
  file?: number;
  platform?: number;
  labels?: number;
  timed?: number;
}

function noCandidatesMessage(pkg: string, c: Compiled, s: PrefilterStats, counts: ChooseCounts): string {
  const parts = [`${s.listed} listed`];
  if (s.invalid) parts.push(`${s.invalid} invalid`);
  if (c.ignore.length) parts.push(`${s.ignored} ignored`);
  if (c.regex) parts.push(`${s.listed - s.invalid - s.ignored - s.unmatched} match regex`);
  if (c.strategy === 'semver' || c.strategy === 'numerical') parts.push(`${s.parsed} ${s.parsedLabel}`);
  if (c.strategy === 'semver') {
    parts.push(`${s.kept} in range`);
    if (s.prereleaseDropped) parts.push(`${s.prereleaseDropped} prerelease${s.prereleaseDropped === 1 ? '' : 's'} excluded`);
  }
  if (counts.quarantined?.length) {
    const q = counts.quarantined;
    const shown = q.slice(0, 3).map(([t, r]) => `${t}${r ? `: ${r}` : ''}`).join('; ');
    parts.push(`${q.length} quarantined (${shown}${q.length > 3 ? '; ...' : ''})`);
  }
  if (counts.scan !== undefined) parts.push(`${counts.scan} with scan ${c.scan?.join('|') ?? ''}`);
  if (counts.file !== undefined) parts.push(`${counts.file} with the file`);
  if (counts.platform !== undefined) parts.push(`${counts.platform} for ${c.platform?.text ?? ''}`);
  if (counts.labels !== undefined) parts.push(`${counts.labels} with the labels`);
  if (counts.timed !== undefined) parts.push(`${counts.timed} with a creation time`);
  const word = c.order === 'desc' && (c.strategy === 'alphabetical' || c.strategy === 'numerical') ? 'lowest' : 'highest';
  const highest = s.highest.length ? `; ${word} ${s.highest.join(', ')}` : '';
  return `no tag of ${pkg} matches ${describeCriteria(c)} (${parts.join(', ')}${highest})`;
}

/**
 * Applies platform and labels filters and the strategy to described candidates and picks one.
 * The tag-name steps are re-applied (idempotent), so candidates need not come from prefilter.
 */
export function choose(candidates: readonly VersionInfo[], select: SelectSpec, ctx: ChooseContext = {}): SelectionOutcome {
  const pkg = ctx.pkg ?? 'the package';
  const { compiled: c, problems } = compile(select);
  if (!c) {
    const p = problems[0] as SelectProblem;
    const code = p.code === 'CONFLICTING_CRITERIA' ? 'SCHEMA' : p.code;
    return { ok: false, code, reason: p.reason, message: `select.${p.field}: ${p.message}`, explain: [] };
  }
  const byTag = new Map<string, VersionInfo>();
  for (const v of candidates) if (!byTag.has(v.tag)) byTag.set(v.tag, v);
  const local = prefilter([...byTag.keys()], select);
  const stats = ctx.prefilter?.stats ?? local.stats;
  const dropped: TraceEntry[] = local.trace.filter((t) => !t.kept);
  if (ctx.prefilter) {
    for (const t of ctx.prefilter.trace) if (!t.kept && !byTag.has(t.tag)) dropped.push(t);
  }

  const counts: ChooseCounts = {};
  let untimed = 0;
  let timed = 0;
  const survivors: { tag: string; key: Key; v: VersionInfo }[] = [];
  for (const tag of local.kept) {
    const v = byTag.get(tag) as VersionInfo;
    const r = classify(tag, c);
    let key = r.key;
    if (v.quarantined) {
      dropped.push({ tag, kept: false, reason: `quarantined${v.quarantineReason ? `: ${v.quarantineReason}` : ''}` });
      (counts.quarantined ??= []).push([tag, v.quarantineReason]);
      continue;
    }
    if (c.scan) {
      if (!v.scanStatus || !c.scan.includes(v.scanStatus)) {
        dropped.push({ tag, kept: false, reason: v.scanStatus ? `scan ${v.scanStatus} not in ${c.scan.join('|')}` : 'no scan verdict' });
        continue;
      }
      counts.scan = (counts.scan ?? 0) + 1;
    }
    if (ctx.file !== undefined && v.files) {
      const want = ctx.file;
      if (!v.files.some((f) => f.name === want)) {
        dropped.push({ tag, kept: false, reason: `no file named ${want}` });
        continue;
      }
      counts.file = (counts.file ?? 0) + 1;
    }
    if (c.platform) {
      const want = c.platform;
      if (!(v.platforms ?? []).some((p) => platformMatches(want, p))) {
        dropped.push({ tag, kept: false, reason: `platform ${want.text} missing` });
        continue;
      }
      counts.platform = (counts.platform ?? 0) + 1;
    }
    if (c.labels.length) {
      const bad = c.labels.find(([k, val]) => v.labels?.[k] !== val);
      if (bad) {
        const [k, val] = bad;
        dropped.push({ tag, kept: false, reason: v.labels?.[k] === undefined ? `label ${k} missing` : `label ${k}!=${val}` });
        continue;
      }
      counts.labels = (counts.labels ?? 0) + 1;
    }
    if (c.strategy === 'newest-build') {
      const t = createdOf(v, c.platform);
      if (t === undefined) {
        dropped.push({ tag, kept: false, reason: 'no creation time' });
        untimed++;
        continue;
      }
      timed++;
      key = { kind: 'time', t };
    }
    survivors.push({ tag, key, v });
  }
  if (c.scan && counts.scan === undefined) counts.scan = 0;
  if (ctx.file !== undefined && counts.file === undefined && byTag.size > 0 && [...byTag.values()].some((v) => v.files)) counts.file = 0;
  if (c.platform && counts.platform === undefined) counts.platform = 0;
  if (c.labels.length && counts.labels === undefined) counts.labels = 0;
  if (untimed > 0) counts.timed = timed;

  dropped.sort((a, b) => compareBytes(a.tag, b.tag) || compareBytes(a.reason, b.reason));
  survivors.sort((a, b) => better(c, b, a));
  const best = survivors[0];

  if (!best) {
    if (c.strategy === 'exact' || c.strategy === 'digest') {
      const listed = ctx.prefilter ? !!ctx.prefilter.stats.requestedListed : byTag.has(c.tag ?? '');
      if (!listed) {
        return { ok: false, code: 'TAG_NOT_FOUND', reason: 'not-listed', message: `tag "${c.tag ?? ''}" of ${pkg} not found (${stats.listed} tags listed)`, explain: dropped };
      }
      const why = dropped.find((d) => d.tag === c.tag)?.reason ?? 'filtered out';
      return { ok: false, code: 'NO_CANDIDATES', reason: 'tag-dropped', message: `tag "${c.tag ?? ''}" of ${pkg} exists but was dropped: ${why}`, explain: dropped };
    }
    return { ok: false, code: 'NO_CANDIDATES', reason: 'none-left', message: noCandidatesMessage(pkg, c, stats, counts), explain: dropped };
  }

  // newest-build: say which time each version was ranked by when the provider knows several
  const timeNote = (v: VersionInfo): string => (c.strategy === 'newest-build' && v.createdSource ? ` (time from ${v.createdSource}${v.created ? ` ${v.created}` : ''})` : '');
  const ranked: TraceEntry[] = survivors.map((s, i) => ({
    tag: s.tag,
    kept: i === 0,
    reason:
      (i === 0 ? 'selected' : c.order === 'desc' && (c.strategy === 'alphabetical' || c.strategy === 'numerical') ? `higher than ${best.tag} (order desc)` : c.strategy === 'newest-build' ? `older than ${best.tag}` : `lower than ${best.tag}`) +
      timeNote(s.v),
  }));
  const explain = [...ranked, ...dropped];

  if (c.strategy === 'exact' && c.digest !== undefined && normDigest(best.v.digest) !== normDigest(c.digest)) {
    const have = best.v.digest ?? 'no known digest';
    return { ok: false, code: 'DIGEST_MISMATCH', reason: 'pinned-digest', message: `tag "${best.tag}" of ${pkg} has digest ${have}, expected ${c.digest}`, explain };
  }
  return { ok: true, version: best.v, explain };
}

/** prefilter + choose in one go, when all metadata is in hand (static provider, tests). */
export function selectFromVersions(pkg: string, versions: readonly VersionInfo[], select: SelectSpec): SelectionOutcome {
  const pre = prefilter(
    versions.map((v) => v.tag),
    select,
  );
  if (pre.problem) return choose([], select, { pkg, prefilter: pre });
  const byTag = new Map<string, VersionInfo>();
  for (const v of versions) if (!byTag.has(v.tag)) byTag.set(v.tag, v);
  const candidates = pre.kept.map((t) => byTag.get(t) as VersionInfo);
  return choose(candidates, select, { pkg, prefilter: pre });
}
