/**
 * The project memo, kept like git's index: for every project file (inputs and outputs) the stat
 * data (size, mtime and ctime, inode, mode) beside its content hash, and what the last
 * successful render or check reported. A later run re-hashes only the files whose stat data
 * changed (and, by git's racy rule, files modified no earlier than the memo itself was written:
 * their stat data cannot tell a later same-size edit apart), so an unchanged project is known to
 * be up to date without reading a file's contents.
 *
 * Stat data is what the kernel gives, exactly: mode, inode, size, and mtime and ctime as whole
 * seconds and nanoseconds (`StatData`), never a rounded float. It is read without building a
 * `Stats` object per file where Node's own stat binding can be trusted (see `rawStat`), since
 * for an unchanged `render --check` of a few hundred services the objects and their Dates cost
 * more than the system calls.
 *
 * Loaded on the start-up fast path (src/cli/fast.ts) before any dependency: node builtins and
 * src/core/hash.ts (which loads node:crypto only when it first hashes) only.
 */
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, writeSync, mkdirSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../core/diagnostics.js';
import { nodeBinding } from '../core/binding.js';
import { contentHash } from '../core/hash.js';

/** The stat data the memo records of a file or directory: [mode, ino, size, mtime s, mtime ns, ctime s, ctime ns]. */
export type StatData = [mode: number, ino: number, size: number, mtimeS: number, mtimeNs: number, ctimeS: number, ctimeNs: number];

/** [content hash, ...StatData] */
export type MemoEntry = [hash: string, mode: number, ino: number, size: number, mtimeS: number, mtimeNs: number, ctimeS: number, ctimeNs: number];

/** A time as [s, ns] (the racy limit: the memo file's own mtime). */
export type Time = readonly [s: number, ns: number];

/** Directories never walked: git's, dependencies, gitopsc's own cache. */
export const MEMO_SKIP: ReadonlySet<string> = new Set(['.git', 'node_modules', '.gitopsc']);
export const MEMO_MAX_FILES = 100_000;
export const MEMO_MAX_BYTES = 256 * 1024 * 1024;
/** gitopsc's bookkeeping in an output directory (as src/write/apply.ts isInternalName): never output, never hashed */
const INTERNAL = /^\.gitopsc-(stage|journal|lock)(\..*)?$|\.gitopsc-\d+-\d+\.tmp$/;
const JOURNAL = '.gitopsc-journal';
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const STAT_FIELDS = 7;
/** where the StatData fields are in the array Node's fs binding fills (lib/internal/fs/utils.js getStatsFromBinding) */
const BINDING_INDEX = [1, 7, 8, 12, 13, 14, 15] as const;

interface RawStat {
  /** the binding's shared array after an lstat/stat of path, or undefined when there is no such file (as throwIfNoEntry: false) */
  lstat(path: string): Float64Array | undefined;
  stat(path: string): Float64Array | undefined;
  fstat(fd: number): Float64Array | undefined;
}

let raw: RawStat | null | undefined;

/**
 * Node's own fs binding (`process.binding('fs')`, `nodeBinding`), which lstatSync calls and which
 * fills one shared Float64Array instead of building a Stats object with four Dates: used only
 * where it cannot change what a run prints or may do, and only once it gave the same stat data
 * as fs.lstatSync and fs.statSync for a known path. Else
 * null: fs.lstatSync with BigInt times (exact, and slower).
 */
function rawStat(): RawStat | null {
  if (raw !== undefined) return raw;
  raw = null;
  try {
    const b = nodeBinding('fs');
    if (typeof b?.lstat !== 'function' || typeof b.stat !== 'function' || typeof b.fstat !== 'function') return raw;
    const lstat = b.lstat as (path: string, bigint: boolean, req: undefined, throwIfNoEntry: boolean) => unknown;
    const stat = b.stat as typeof lstat;
    const fstat = b.fstat as (fd: number, bigint: boolean, req: undefined, shouldThrow: boolean) => unknown;
    const cand: RawStat = {
      lstat: (path) => lstat(path, false, undefined, false) as Float64Array | undefined,
      stat: (path) => stat(path, false, undefined, false) as Float64Array | undefined,
      // (as fs.fstatSync calls it)
      fstat: (fd) => fstat(fd, false, undefined, false) as Float64Array | undefined,
    };
    const probe = process.execPath;
    const same = (a: unknown, st: BigIntStats | undefined) =>
      a instanceof Float64Array && a.length >= 16 && st !== undefined && BINDING_INDEX.every((at, i) => a[at] === fromBigInt(st)[i]);
    if (same(cand.lstat(probe), lstatSync(probe, { bigint: true, throwIfNoEntry: false })) && same(cand.stat(probe), statSync(probe, { bigint: true, throwIfNoEntry: false }))) {
      // fstat is checked on first use (fstatOf): opening a file here would cost every run a descriptor
      raw = cand;
    }
  } catch {
    raw = null;
  }
  return raw;
}

/**
 * Where this process takes stat data from: Node's fs binding when it is trusted (`rawStat`),
 * else fs.lstatSync with BigInt times. `use` sets it ('binding' still only when trusted): the
 * tests hold the two to the same answers.
 */
export function statSource(use?: 'binding' | 'fs'): 'binding' | 'fs' {
  if (use) raw = use === 'fs' ? null : undefined;
  return rawStat() ? 'binding' : 'fs';
}

const NS = 1_000_000_000n;
/** [s, ns] of a BigInt time in ns, ns in [0, 1e9) as the kernel gives it */
function splitNs(t: bigint): [number, number] {
  let sec = t / NS;
  let ns = t % NS;
  if (ns < 0n) {
    ns += NS;
    sec -= 1n;
  }
  return [Number(sec), Number(ns)];
}

function fromBigInt(st: BigIntStats): StatData {
  return [Number(st.mode), Number(st.ino), Number(st.size), ...splitNs(st.mtimeNs), ...splitNs(st.ctimeNs)];
}

/**
 * The stat data of `path` (not following a last symbolic link, unless `follow`), undefined when
 * it does not exist (ENOENT, ENOTDIR); other errors throw as fs.lstatSync's do.
 */
export function statOf(path: string, follow = false): StatData | undefined {
  const r = rawStat();
  if (r) {
    const a = follow ? r.stat(path) : r.lstat(path);
    return a && [a[1]!, a[7]!, a[8]!, a[12]!, a[13]!, a[14]!, a[15]!];
  }
  const st = follow ? statSync(path, { bigint: true, throwIfNoEntry: false }) : lstatSync(path, { bigint: true, throwIfNoEntry: false });
  return st && fromBigInt(st);
}

let fstatTrusted: boolean | undefined;

/**
 * The stat data of the open file `fd` (what `statOf` gives of its path, without looking the
 * path up): Node's fs binding once it gave fs.fstatSync's answer for this very descriptor, else
 * fs.fstatSync with BigInt times. Errors throw as fs.fstatSync's do.
 */
export function fstatOf(fd: number): StatData {
  const r = rawStat();
  if (r && fstatTrusted !== false) {
    const a = r.fstat(fd);
    if (fstatTrusted && a) return [a[1]!, a[7]!, a[8]!, a[12]!, a[13]!, a[14]!, a[15]!];
    if (fstatTrusted === undefined) {
      const exact = fromBigInt(fstatSync(fd, { bigint: true }));
      fstatTrusted = a instanceof Float64Array && a.length >= 16 && BINDING_INDEX.every((at, i) => a[at] === exact[i]);
      return exact;
    }
  }
  return fromBigInt(fstatSync(fd, { bigint: true }));
}

/** Whether a time is strictly before another. */
function before(s: number, ns: number, t: Time): boolean {
  return s < t[0] || (s === t[0] && ns < t[1]);
}

const S_IFLNK = 0o120000;
const isDir = (st: StatData) => (st[0] & S_IFMT) === S_IFDIR;
const isFile = (st: StatData) => (st[0] & S_IFMT) === S_IFREG;
/** Whether stat data (not following a last link) is a symbolic link's. */
export const isLinkStat = (st: StatData) => (st[0] & S_IFMT) === S_IFLNK;
/** Whether stat data is a regular file's. */
export const isFileStat = isFile;

export function isBookkeeping(name: string): boolean {
  return INTERNAL.test(name);
}

/**
 * Whether a recorded entry still stands for the file with this stat data, without reading it:
 * every stat field equal, and the file last modified before the memo was written (`racyFrom`,
 * the memo file's own mtime). A file modified in the same clock tick as the memo is "racily
 * clean" and must be re-hashed.
 */
export function statClean(entry: MemoEntry | undefined, st: Readonly<StatData>, racyFrom: Time | undefined): entry is MemoEntry {
  if (!entry || racyFrom === undefined || !before(st[3], st[4], racyFrom)) return false;
  for (let i = 0; i < STAT_FIELDS; i++) if (entry[i + 1] !== st[i]) return false;
  return true;
}

/** A directory's StatData and the names it held (subdirectories with a trailing `/`). */
export type DirEntry = [mode: number, ino: number, size: number, mtimeS: number, mtimeNs: number, ctimeS: number, ctimeNs: number, names: string[]];
export const NAMES = 7;

/** What a scan starts from and returns: files and directories, by relative path. */
export interface TreeState {
  entries: Map<string, MemoEntry>;
  dirs: Map<string, DirEntry>;
}

export interface TreeScan {
  /** path -> entry; undefined when the tree is over the limits or cannot be read */
  entries?: Map<string, MemoEntry>;
  /** directory path ('' for the root) -> its stat data and names */
  dirs: Map<string, DirEntry>;
  /** files whose content was read (stat data changed, new, or racy) */
  rehashed: number;
  /** directories listed again (stat data changed, new, or racy) */
  relisted: number;
  /** the first entry that could not be read, with why */
  unreadable?: { path: string; why: string };
  /** a symbolic link was seen (and not followed) */
  links: boolean;
  /** an interrupted render's journal is waiting in some directory */
  pending: boolean;
}

function errno(e: unknown): string {
  const x = e as NodeJS.ErrnoException;
  return x.code ?? x.message;
}

const STALE = 2;

/**
 * The names a scan records of a directory: its regular files and its subdirectories (with a
 * trailing `/`) not named in `skip`, leaving out gitopsc's bookkeeping; whether an interrupted
 * render's journal or a symbolic link is in it; or why it cannot be listed.
 */
function listDir(abs: string, skip: ReadonlySet<string> | undefined): { names: string[]; pending: boolean; links: boolean } | string {
  let list;
  try {
    list = readdirSync(abs, { withFileTypes: true });
  } catch (e) {
    return errno(e);
  }
  const names: string[] = [];
  let pending = false;
  let links = false;
  for (const e of list) {
    if (e.name === JOURNAL) pending = true;
    if (INTERNAL.test(e.name)) continue;
    if (e.isDirectory()) {
      if (!skip?.has(e.name)) names.push(`${e.name}/`);
    } else if (e.isFile()) names.push(e.name);
    else if (e.isSymbolicLink()) links = true;
  }
  return { names, pending, links };
}

/**
 * Walk `dir` (relative `/` paths, leaving out directories named in `skip` and gitopsc's
 * bookkeeping files), taking each file's hash from `prev` when its stat data is clean, else
 * reading and hashing it. As git's untracked cache does, a directory whose stat data is clean is
 * not listed again: the names recorded for it are used (a name added, removed or renamed in a
 * directory changes its mtime). An absent directory is an empty tree.
 */
export function scanTree(
  dir: string,
  prev: TreeState | undefined,
  racyFrom: Time | undefined,
  opts: { skip?: ReadonlySet<string>; maxFiles?: number; maxBytes?: number; prefix?: string } = {},
): TreeScan {
  const out = new Map<string, MemoEntry>();
  const dirs = new Map<string, DirEntry>();
  const max = opts.maxFiles ?? Infinity;
  const maxBytes = opts.maxBytes ?? Infinity;
  const prefix = opts.prefix ?? '';
  let bytes = 0;
  const res: TreeScan = { dirs, rehashed: 0, relisted: 0, links: false, pending: false };
  const clean = (old: DirEntry | undefined, st: StatData): old is DirEntry => {
    if (old === undefined || racyFrom === undefined || !before(st[3], st[4], racyFrom)) return false;
    for (let i = 0; i < STAT_FIELDS; i++) if (old[i] !== st[i]) return false;
    return true;
  };
  /** true: walked; false: failed (res says why); STALE: the parent's recorded names are out of date */
  const walk = (rel: string, force: boolean): boolean | typeof STALE => {
    const abs = rel ? `${dir}/${rel}` : dir;
    let st: StatData | undefined;
    try {
      st = statOf(abs, !rel);
    } catch (e) {
      res.unreadable = { path: rel || '.', why: errno(e) };
      return false;
    }
    if (!st) return rel ? STALE : true;
    if (!isDir(st)) return rel ? STALE : ((res.unreadable = { path: '.', why: 'ENOTDIR' }), false);
    const old = prev?.dirs.get(prefix + rel);
    let names: string[];
    let odd = false;
    const cached = !force && clean(old, st);
    if (cached) names = old[NAMES];
    else {
      const l = listDir(abs, opts.skip);
      if (typeof l === 'string') {
        res.unreadable = { path: rel || '.', why: l };
        return false;
      }
      res.relisted++;
      names = l.names;
      if (l.pending) res.pending = odd = true;
      if (l.links) res.links = odd = true;
    }
    // a listing with a journal or a link is never reused: the next run must see them again
    if (!odd) dirs.set(prefix + rel, [...st, names]);
    for (const name of names) {
      if (name.endsWith('/')) {
        const r = walk(rel ? `${rel}/${name.slice(0, -1)}` : name.slice(0, -1), false);
        if (r === STALE) return cached ? walk(rel, true) : ((res.unreadable = { path: rel ? `${rel}/${name}` : name, why: 'changed while scanned' }), false);
        if (!r) return false;
        continue;
      }
      const p = rel ? `${rel}/${name}` : name;
      const abs = `${dir}/${p}`;
      let data: StatData | undefined;
      try {
        data = statOf(abs);
      } catch (err) {
        res.unreadable = { path: p, why: errno(err) };
        return false;
      }
      if (!data || !isFile(data)) {
        if (cached) return walk(rel, true);
        res.unreadable = { path: p, why: 'changed while scanned' };
        return false;
      }
      const key = prefix + p;
      const known = prev?.entries.get(key);
      bytes += data[2];
      if (statClean(known, data, racyFrom)) out.set(key, known);
      else {
        let content: Buffer;
        try {
          content = readFileSync(abs);
        } catch (err) {
          res.unreadable = { path: p, why: errno(err) };
          return false;
        }
        res.rehashed++;
        // the stat data from before the read: a file changed while it was read no longer matches it
        out.set(key, [contentHash(content), ...data]);
      }
      if (out.size > max || bytes > maxBytes) return false;
    }
    return true;
  };
  if (walk('', false) === true) res.entries = out;
  return res;
}

/** The recorded stat data of one file written by this run (after a render wrote it). */
export function entryFor(file: string, hash: string): MemoEntry | undefined {
  try {
    const st = statOf(file);
    return st && [hash, ...st];
  } catch {
    return undefined;
  }
}

/**
 * The stat data of a tree a render wrote whole under `dir` (a fresh directory nothing else
 * writes to, before it is renamed into place): each file of `paths` (relative, `/`-separated,
 * plain) and each directory below `dir` that holds them, with its names as a listing gives
 * them (sorted by name, as Node's readdir returns them; a subdirectory with a trailing `/`),
 * so that the memo neither looks at each file again nor lists the directories after the
 * write. `dir` itself is left out (the rename changes it). `stats`, by index of `paths`: the
 * files' stat data as taken when they were written (`fstatOf` before closing them), so that
 * only the directories are looked at. Undefined when a path is not there as written (the
 * caller then looks as before).
 */
export function statWritten(dir: string, paths: readonly string[], stats?: readonly (StatData | undefined)[]): { files: Map<string, StatData>; dirs: Map<string, DirEntry> } | undefined {
  const files = new Map<string, StatData>();
  const names = new Map<string, Set<string>>();
  const add = (d: string, name: string) => {
    let s = names.get(d);
    if (!s) names.set(d, (s = new Set()));
    s.add(name);
    return s;
  };
  // the directory of the path before and its names: a plan's paths come sorted, so a
  // directory's files follow each other (its ancestors are then known already)
  let lastDir: string | undefined;
  let lastNames: Set<string> | undefined;
  for (let k = 0; k < paths.length; k++) {
    const p = paths[k]!;
    let i = p.lastIndexOf('/');
    const name = p.slice(i + 1);
    const st = stats?.[k] ?? statOf(`${dir}/${p}`);
    if (!st || !isFile(st) || INTERNAL.test(name)) return undefined;
    files.set(p, st);
    const d = i < 0 ? '' : p.slice(0, i);
    if (d === lastDir) {
      lastNames!.add(name);
      continue;
    }
    lastDir = d;
    lastNames = add(d, name);
    for (; i > 0; i = p.lastIndexOf('/', i - 1)) {
      const j = p.lastIndexOf('/', i - 1);
      const up = j < 0 ? '' : p.slice(0, j);
      const child = `${p.slice(j + 1, i)}/`;
      if (names.get(up)?.has(child)) break;
      add(up, child);
    }
  }
  const dirs = new Map<string, DirEntry>();
  // (listing order: by name, a subdirectory's name without its `/`)
  const byName = (a: string, b: string) => {
    const x = a.endsWith('/') ? a.slice(0, -1) : a;
    const y = b.endsWith('/') ? b.slice(0, -1) : b;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  for (const [d, set] of names) {
    if (d === '') continue;
    const st = statOf(`${dir}/${d}`);
    if (!st || !isDir(st)) return undefined;
    const list = [...set];
    // (the names come in the order of the paths, which is listing order unless a name is a
    // prefix of another: sorted only when they are not in order already)
    let sorted = true;
    for (let i = 1; i < list.length && sorted; i++) sorted = byName(list[i - 1]!, list[i]!) < 0;
    dirs.set(d, [st[0], st[1], st[2], st[3], st[4], st[5], st[6], sorted ? list : list.sort(byName)]);
  }
  return { files, dirs };
}

/** Whether two scans hold the same files with the same content. */
export function sameContent(a: ReadonlyMap<string, MemoEntry>, b: ReadonlyMap<string, MemoEntry>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k)?.[0] !== v[0]) return false;
  return true;
}

/** Whether two scans are equal down to the stat data (nothing to record again). */
export function sameStat(a: ReadonlyMap<string, MemoEntry>, b: ReadonlyMap<string, MemoEntry>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.some((x, i) => x !== v[i])) return false;
  }
  return true;
}

/** What a memo hit reports: the files and warnings of the run that recorded it. */
export interface MemoResult {
  /** output paths as shown */
  files: string[];
  /** the output directory as shown */
  out: string;
  /** the run's diagnostics (warnings and infos only) */
  warnings: unknown[];
}

/** What a memo is valid for: the key, and the cwd and --config of the run that recorded it. */
export interface MemoMeta {
  /** what else the result depends on: tool version, config file, --out */
  key: string;
  /** absolute cwd and --config of the run that recorded it: the fast path's discovery */
  cwd: string;
  config: string;
  /** absolute project root and its config file */
  root: string;
  configFile: string;
  /**
   * The output directory, when inside the project (project-relative), and the project's template
   * directory: an unchanged pass does not stat the output directory's leaf directories (but the
   * template directory and its children, and the memo's cwd). Their listings change no result
   * while nothing else changed: nothing lists a directory below the output directory but the
   * templates' loader (services and CRDs are listed without it), config discovery looks only
   * from the cwd up, and what the render owns there are files, each stat'ed; a directory
   * replaced (by a symbolic link, say) changes its parent's listing, which is stat'ed. A file
   * added there is someone else's, which render never reads. Once anything else changed, the
   * leaves are stat'ed too (`changes`): a render that now writes a new file must see one of
   * someone else's in its way. (A leaf whose permissions were changed so that it can no longer
   * be listed is therefore noticed, as the full path reports it, at the next change, not before:
   * its files are still stat'ed, and the check stands for them.)
   */
  unlisted?: Unlisted;
}

export interface Unlisted {
  out: string;
  templates?: string;
}

/** `unlisted` as a memo file's header holds it, when well formed (an output directory '' or '.' is none). */
function unlistedOf(v: unknown): Unlisted | undefined {
  const u = v as { out?: unknown; templates?: unknown } | null | undefined;
  if (typeof u !== 'object' || u === null || typeof u.out !== 'string' || u.out === '' || u.out === '.' || !isPath(u.out) || u.out.startsWith(OUT_PREFIX)) return undefined;
  if (u.templates !== undefined && (typeof u.templates !== 'string' || (u.templates !== '.' && !isPath(u.templates)))) return undefined;
  return u.templates === undefined ? { out: u.out } : { out: u.out, templates: u.templates };
}

export interface ProjectMemo extends MemoMeta {
  result: MemoResult;
  entries: Map<string, MemoEntry>;
  dirs: Map<string, DirEntry>;
  /** mtime of the memo file (racy rule); undefined for a memo not read from disk */
  written?: Time;
  /**
   * The order of the memo file this was read from (`full()`): a memo written with the same
   * paths and directory names reuses it rather than walking the names again (encodeMemo checks
   * that they are the same).
   */
  layout?: MemoLayout;
}

/** Where a memo file keeps its paths: directories then files, the first quickDirs directories and every file quick (-1: none). */
export interface MemoLayout {
  paths: readonly string[];
  nDirs: number;
  quickDirs: number;
  /** each directory's recorded names, in path order */
  names: readonly (readonly string[])[];
  /** the paths and names parts of the file, as written */
  pathBytes: Buffer;
  nameBytes: Buffer;
  /** the hashes part of the file, as written */
  hashBytes?: Buffer;
}

/**
 * The files of a memo read from its file, as a Map: each entry is made from the file's columns
 * (paths, hashes, stat data) when asked for, rather than 10,000 arrays built up front; `set` and
 * `delete` work as a Map's (an overlay), and so does iteration (column order, then keys added).
 * `hashOf` gives an entry's hash without making it. `columns` lets the memo's writer copy the
 * stat data and hashes of every entry not set since (see memoParts).
 */
export class FileEntries extends Map<string, MemoEntry> {
  private readonly index = new Map<string, number>();
  /** entries set since (replacing a column's, or new) */
  private readonly over = new Map<string, MemoEntry>();
  /** column entries deleted (a key set again after is a new one) */
  private readonly gone = new Set<number>();

  /** `paths[i]`, `hashes[i]` and stat data `stats[(statAt + i) * 7 ...]` of file i; undefined when two paths are the same */
  static of(paths: readonly string[], hashes: readonly string[], stats: Float64Array, statAt: number): FileEntries | undefined {
    const e = new FileEntries();
    e.columns = { paths, hashes, stats, statAt };
    for (let i = 0; i < paths.length; i++) e.index.set(paths[i]!, i);
    return e.index.size === paths.length ? e : undefined;
  }

  columns: { paths: readonly string[]; hashes: readonly string[]; stats: Float64Array; statAt: number } = { paths: [], hashes: [], stats: new Float64Array(0), statAt: 0 };
  /** the memo file's paths (directories, then these files) it was read with: its MemoLayout's */
  from?: readonly string[];

  private at(path: string): number | undefined {
    const i = this.index.get(path);
    return i === undefined || (this.gone.size > 0 && this.gone.has(i)) ? undefined : i;
  }

  private made(i: number): MemoEntry {
    const { hashes, stats, statAt } = this.columns;
    const o = (statAt + i) * STAT_FIELDS;
    return [hashes[i]!, stats[o]!, stats[o + 1]!, stats[o + 2]!, stats[o + 3]!, stats[o + 4]!, stats[o + 5]!, stats[o + 6]!];
  }

  /** the entries set since it was read (each replacing a column's or new), in the order set */
  changed(): ReadonlyMap<string, MemoEntry> {
    return this.over;
  }

  /** whether an entry was deleted since it was read */
  deletedAny(): boolean {
    return this.gone.size > 0;
  }

  /** the column index of a path not deleted, undefined for a path not read from the file */
  columnOf(path: string): number | undefined {
    return this.at(path);
  }

  hashOf(path: string): string | undefined {
    const o = this.over.size > 0 ? this.over.get(path) : undefined;
    if (o) return o[0];
    const i = this.at(path);
    return i === undefined ? undefined : this.columns.hashes[i];
  }

  override get(path: string): MemoEntry | undefined {
    const o = this.over.get(path);
    if (o) return o;
    const i = this.at(path);
    return i === undefined ? undefined : this.made(i);
  }

  override has(path: string): boolean {
    return this.over.has(path) || this.at(path) !== undefined;
  }

  override set(path: string, value: MemoEntry): this {
    // (a Map keeps a replaced key in its place, and puts one deleted and set again last)
    this.over.set(path, value);
    return this;
  }

  override delete(path: string): boolean {
    const had = this.over.delete(path);
    const i = this.at(path);
    if (i !== undefined) this.gone.add(i);
    return had || i !== undefined;
  }

  override clear(): void {
    this.over.clear();
    for (let i = 0; i < this.columns.paths.length; i++) this.gone.add(i);
  }

  override get size(): number {
    let n = this.columns.paths.length - this.gone.size;
    for (const k of this.over.keys()) if (this.at(k) === undefined) n++;
    return n;
  }

  override *entries(): MapIterator<[string, MemoEntry]> {
    const { paths } = this.columns;
    for (let i = 0; i < paths.length; i++) {
      if (this.gone.has(i)) continue;
      const p = paths[i]!;
      yield [p, this.over.get(p) ?? this.made(i)];
    }
    for (const [k, v] of this.over) if (this.at(k) === undefined) yield [k, v];
  }

  override *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  override *values(): MapIterator<MemoEntry> {
    for (const [, v] of this.entries()) yield v;
  }

  override [Symbol.iterator](): MapIterator<[string, MemoEntry]> {
    return this.entries();
  }

  override forEach(fn: (value: MemoEntry, key: string, map: Map<string, MemoEntry>) => void, self?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(self, v, k, this);
  }
}

/** The content hash recorded for `path` (without making its entry, for a memo read from its file). */
export function hashIn(entries: ReadonlyMap<string, MemoEntry>, path: string): string | undefined {
  return entries instanceof FileEntries ? entries.hashOf(path) : entries.get(path)?.[0];
}

export const MEMO_FILE = 'memo.json';
const FORMAT = 3;
const ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'LE' : 'BE';

/** A recorded name: one path segment (a directory's with a trailing `/`), never `.` or `..`. */
function isName(n: unknown): boolean {
  if (typeof n !== 'string') return false;
  const slash = n.indexOf('/');
  const base = slash === -1 ? n : n.slice(0, slash);
  return base !== '' && base !== '.' && base !== '..' && (slash === -1 || slash === n.length - 1);
}

/** where entries of an output directory outside the project are kept (src/build/stage.ts) */
const OUT_PREFIX = '\u0000out/';

/** A recorded path: `/`-separated names (or '' for the root); the output-dir prefix allowed in front. */
function isPath(p: string): boolean {
  const rel = p.startsWith(OUT_PREFIX) ? p.slice(OUT_PREFIX.length) : p;
  return rel === '' || (!BAD_PATH.test(rel) && !rel.includes('\u0000'));
}
/** an empty, `.` or `..` name (a leading, trailing or doubled `/` included): one linear test per path of 10,000 */
const BAD_PATH = /(?:^|\/)\.{0,2}(?:\/|$)/;

export function memoPath(root: string): string {
  return join(root, '.gitopsc', 'cache', MEMO_FILE);
}

/**
 * The memo file (`memo.json`, though only its first line is JSON). Its layout is made for the
 * unchanged path, which must know in a few milliseconds that nothing changed:
 *
 *   line 1   {"format":3,"endian","key","cwd","config","root","configFile","n":[...],"newest"} (MemoMeta)
 *   result   the result as JSON
 *   paths    every directory's path, then every file's path, `\n`-joined: first, in walk order,
 *            the directories and files a scan reaches from the root through recorded names
 *            ("quick": when every one of them is recorded and no other file is, an unchanged
 *            tree is every quick path's stat data unchanged: nothing to look up or build)
 *   hashes   the files' content hashes, `\n`-joined
 *   names    the directories' recorded names as JSON (an array per directory)
 *   pad      spaces up to an 8-byte boundary
 *   stats    StatData as float64s in this machine's byte order, per directory then per file
 *
 * with n = [result, paths, hashes, names bytes, directories, files, quick directories (-1: not
 * quick)] and newest the latest mtime [s, ns] of a quick path. It is written atomically (a
 * temporary file renamed); a memo whose size is not what its header says, whose parts do not
 * parse or have the wrong shape, is ignored whole. (No checksum: the unchanged path must not
 * load a hash; a damaged stat field or hash only makes a file be read again.)
 */
export interface MemoFile {
  meta: MemoMeta;
  /** mtime of the memo file (the racy limit) */
  written: Time;
  /** Whether it has a quick part: every file recorded is reached from the root through recorded directory listings. */
  quick: boolean;
  /** The result it recorded; undefined when it does not parse. */
  result(): MemoResult | undefined;
  /**
   * Whether the tree is as recorded by stat data alone: every quick path's stat data unchanged
   * and none modified as late as the memo was written (racy); false when not, or when the memo
   * has no quick part: then ask `full()` and scan. `cwd`: the process's working directory, when
   * known (paths are then looked up relative to it when it is the root).
   */
  unchanged(cwd?: string): boolean;
  /**
   * The quick paths whose stat data is not as recorded, or that are racily clean (modified no
   * earlier than the memo was written), by index (directories first, as in the file), in one
   * pass over every quick path; [] when the tree is unchanged (as `unchanged`: the output
   * directory's leaves, `unlisted`, not looked at then, and looked at once another path
   * changed); undefined when the memo has no quick part, or as soon as a recorded path is gone
   * (only a walk can tell the tree then: an output directory deleted, a file removed).
   */
  changes(cwd?: string): number[] | undefined;
  /**
   * The scan `scanTree(root, full(), written, opts)` would make, made from `changes` alone:
   * only the files named there are read and hashed, only the directories named there listed.
   * Undefined whenever that cannot be told without walking the tree: a directory whose names
   * changed (a file added, removed or renamed), a journal or a symbolic link in one, a path
   * that is no longer a file or directory, the limits; the caller then scans. `read`: the
   * files read again (project-relative).
   */
  rescan(changed: readonly number[], opts?: { skip?: ReadonlySet<string>; maxFiles?: number; maxBytes?: number }): { memo: ProjectMemo; scan: TreeScan; sameContent: boolean; read: string[] } | undefined;
  /**
   * The whole memo; undefined when a part of it does not parse or has the wrong shape (its
   * `result` is parsed when first read, and is undefined when it does not parse). With
   * `without` (a directory `goneDir` named), a memo without that directory and what is below
   * it (not kept: a scan from it can tell neither an unchanged tree nor a change's content).
   */
  full(without?: string): ProjectMemo | undefined;
  /**
   * The recorded directory whose absence made the last `changes` undefined, when files were
   * recorded below it (an output directory deleted): a scan needs nothing of the memo below it.
   */
  goneDir(): string | undefined;
}

/** Read the memo file of `root`; undefined when there is none or its frame is damaged. */
export function openMemo(root: string): MemoFile | undefined {
  const file = memoPath(root);
  let buf: Buffer;
  let written: Time;
  try {
    const st = statOf(file, true);
    if (!st) return undefined;
    written = [st[3], st[4]];
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  const nl = buf.indexOf(10);
  if (nl <= 0) return undefined;
  let header: MemoMeta & { format?: unknown; endian?: unknown; n?: unknown; newest?: unknown };
  try {
    header = JSON.parse(buf.toString('utf8', 0, nl)) as typeof header;
  } catch {
    return undefined;
  }
  const n = header.n;
  if (header.format !== FORMAT || header.endian !== ENDIAN || !Array.isArray(n) || n.length !== 7 || !n.every((x) => Number.isSafeInteger(x) && x >= -1)) return undefined;
  const [resultBytes, pathBytes, hashBytes, nameBytes, nDirs, nFiles, quickDirs] = n as [number, number, number, number, number, number, number];
  if (resultBytes < 0 || pathBytes < 0 || hashBytes < 0 || nameBytes < 0 || nDirs < 0 || nFiles < 0 || quickDirs > nDirs) return undefined;
  const newest = header.newest;
  const quick = quickDirs >= 0 && Array.isArray(newest) && newest.length === 2 && newest.every((x) => Number.isSafeInteger(x));
  const textStart = nl + 1;
  const textEnd = textStart + resultBytes + pathBytes + hashBytes + nameBytes;
  const statStart = Math.ceil(textEnd / 8) * 8;
  const nStats = (nDirs + nFiles) * STAT_FIELDS;
  if (buf.length !== statStart + nStats * 8) return undefined;
  if (typeof header.key !== 'string' || typeof header.cwd !== 'string' || typeof header.root !== 'string' || typeof header.config !== 'string' || typeof header.configFile !== 'string') return undefined;
  const unlisted = unlistedOf((header as { unlisted?: unknown }).unlisted);
  const meta: MemoMeta = { key: header.key, cwd: header.cwd, config: header.config, root: header.root, configFile: header.configFile, ...(unlisted ? { unlisted } : {}) };
  // each part is decoded when asked for (the unchanged path needs only the paths and the result)
  const text = (start: number, bytes: number) => () => buf.toString('utf8', start, start + bytes);
  const resultText = text(textStart, resultBytes);
  const pathText = text(textStart + resultBytes, pathBytes);
  const hashText = text(textStart + resultBytes + pathBytes, hashBytes);
  const nameText = text(textStart + resultBytes + pathBytes + hashBytes, nameBytes);
  // a Buffer of a whole file read is its own allocation, 8-aligned; a copy otherwise
  const at = buf.byteOffset + statStart;
  const stats = at % 8 === 0 ? new Float64Array(buf.buffer, at, nStats) : new Float64Array(buf.buffer.slice(at, at + nStats * 8));
  let paths: string[] | undefined;
  const allPaths = (): string[] | undefined => {
    if (paths) return paths;
    // ('' is the root's path: the text of no paths and of the root alone are both '')
    const p = nDirs + nFiles === 0 ? [] : pathText().split('\n');
    if (p.length !== nDirs + nFiles) return undefined;
    return (paths = p);
  };
  const result = (): MemoResult | undefined => {
    try {
      const r = JSON.parse(resultText()) as Partial<MemoResult> | null;
      if (!r || typeof r.out !== 'string' || !Array.isArray(r.files) || !r.files.every((f) => typeof f === 'string') || !Array.isArray(r.warnings)) return undefined;
      return r as MemoResult;
    } catch {
      return undefined;
    }
  };
  /**
   * The quick paths whose stat data differs from the recorded, or that are racy, by index (the
   * first one only with `first`); undefined when the memo has no quick part, or (without
   * `first`) once a recorded path is gone.
   */
  /** the directory the last pass found gone, by index */
  let goneAt: number | undefined;
  const pass = (cwd: string | undefined, first: boolean): number[] | undefined => {
    if (!quick) return undefined;
    const p = allPaths();
    // (none with a NUL, which a lookup would cut short: only the output-dir prefix has one, never quick)
    if (!p || p.some((x) => x.includes('\u0000'))) return undefined;
    const out: number[] = [];
    // no path is racy when the newest recorded mtime is before the memo was written
    const racy = !before((newest as number[])[0]!, (newest as number[])[1]!, written);
    const rel = cwd === root;
    goneAt = undefined;
    const below = unlisted && `${unlisted.out}/`;
    const tpl = unlisted?.templates === '.' ? '' : unlisted?.templates;
    // (where config discovery starts: the memo's cwd, project-relative, when inside the project)
    const from = meta.cwd === root ? '' : meta.cwd.startsWith(`${root}/`) ? meta.cwd.slice(root.length + 1) : undefined;
    const r = rawStat();
    if (r) {
      // One flat loop over every quick path (directories 0..quickDirs, then files nDirs..): it
      // runs before V8 has optimised anything, where each closure call per path costs more than
      // the comparison (about 2 ms of an unchanged `render --check` at N = 200). The binding's
      // shared array is compared with the recorded float64s as 32-bit words: equal doubles are
      // equal bits here (whole numbers, never NaN or -0), and comparing int32s allocates nothing.
      const q = new Int32Array(stats.buffer, stats.byteOffset, nStats * 2);
      let arr: Float64Array | undefined;
      let w: Int32Array = new Int32Array(0);
      const end = nDirs + nFiles;
      for (let k = 0; k < end; k++) {
        if (k === quickDirs) {
          k = nDirs;
          if (k === end) break;
        }
        if (below && k < quickDirs && isUnlisted(p, k, quickDirs, below, tpl, from)) continue;
        const a = k === 0 ? r.stat(root) : r.lstat(rel ? p[k]! : `${root}/${p[k]}`);
        if (a === undefined) {
          // a recorded path is gone: only a walk can say what the tree is now (a file's
          // directory not stat'ed above may be what went: looked at now)
          out.push(k);
          if (k > 0 && k < quickDirs) goneAt = k;
          else if (below && k >= nDirs) goneAt = goneParent(p, p[k]!, quickDirs, (d) => r.lstat(rel ? d : `${root}/${d}`) === undefined);
          return first ? out : undefined;
        }
        if (a !== arr) {
          arr = a;
          w = new Int32Array(a.buffer, a.byteOffset, 32);
        }
        const o = k * 14;
        // mode [1], ino [7], size [8], mtime s/ns [12, 13], ctime s/ns [14, 15]
        if (
          w[2] === q[o] && w[3] === q[o + 1] &&
          w[14] === q[o + 2] && w[15] === q[o + 3] &&
          w[16] === q[o + 4] && w[17] === q[o + 5] &&
          w[24] === q[o + 6] && w[25] === q[o + 7] &&
          w[26] === q[o + 8] && w[27] === q[o + 9] &&
          w[28] === q[o + 10] && w[29] === q[o + 11] &&
          w[30] === q[o + 12] && w[31] === q[o + 13] &&
          !(racy && !before(stats[k * STAT_FIELDS + 3]!, stats[k * STAT_FIELDS + 4]!, written))
        ) continue;
        out.push(k);
        if (first) return out;
      }
      return below && out.length > 0 ? withLeaves(p, out, rel, racy, below, tpl, from) : out;
    }
    // exact, with a BigInt stat per path
    const pathOf = (i: number) => (rel ? p[i]! : `${root}/${p[i]}`);
    /** a recorded path is gone: only a walk can say what the tree is now */
    let gone = false;
    const check = (k: number): boolean => {
      const st = k === 0 ? statOf(root, true) : statOf(pathOf(k));
      if (st && asRecorded(k, st, racy)) return true;
      gone = !st;
      out.push(k);
      if (gone && k > 0 && k < quickDirs) goneAt = k;
      return !first && !gone;
    };
    for (let i = 0; i < quickDirs; i++) {
      if (below && isUnlisted(p, i, quickDirs, below, tpl, from)) continue;
      if (!check(i)) return first ? out : undefined;
    }
    for (let i = nDirs; i < nDirs + nFiles; i++) {
      if (check(i)) continue;
      if (gone && below) goneAt = goneParent(p, p[i]!, quickDirs, (d) => statOf(rel ? d : `${root}/${d}`) === undefined);
      return first ? out : undefined;
    }
    return below && out.length > 0 ? withLeaves(p, out, rel, racy, below, tpl, from) : out;
  };
  /**
   * `out` (a pass's changes, not empty) with the leaves that pass did not stat, when theirs
   * changed too (undefined when one is gone, as a pass says it). A changed tree is rescanned from
   * these changes, and the render that follows plans its writes over that scan (the fast path
   * hands it over): a leaf's listing is then its business, since a file someone added there may
   * be in the way of one the render now writes (not gitopsc's: never overwritten).
   */
  const withLeaves = (p: readonly string[], out: number[], rel: boolean, racy: boolean, below: string, tpl: string | undefined, from: string | undefined): number[] | undefined => {
    const n = out.length;
    for (let k = 1; k < quickDirs; k++) {
      if (!isUnlisted(p, k, quickDirs, below, tpl, from)) continue;
      const st = statOf(rel ? p[k]! : `${root}/${p[k]}`);
      if (!st) {
        goneAt = k;
        return undefined;
      }
      if (!asRecorded(k, st, racy)) out.push(k);
    }
    return out.length === n ? out : out.sort((a, b) => a - b);
  };
  /** Whether path `k`'s stat data is the recorded, and (`racy`: the memo written in the tick of its newest path) it was modified before the memo was written. */
  const asRecorded = (k: number, st: Readonly<StatData>, racy: boolean): boolean => {
    for (let f = 0; f < STAT_FIELDS; f++) if (st[f] !== stats[k * STAT_FIELDS + f]) return false;
    return !(racy && !before(stats[k * STAT_FIELDS + 3]!, stats[k * STAT_FIELDS + 4]!, written));
  };
  /**
   * The memo's maps, without the paths `skip` names (each entry checked as it is taken), or
   * undefined when the memo does not hold together.
   */
  const maps = (skip?: (path: string) => boolean) => {
    const p = allPaths();
    if (!p || !p.every(isPath)) return undefined;
    const hashes = nFiles === 0 ? [] : hashText().split('\n');
    if (hashes.length !== nFiles) return undefined;
    let names: unknown;
    try {
      names = JSON.parse(nameText());
    } catch {
      return undefined;
    }
    if (!Array.isArray(names) || names.length !== nDirs) return undefined;
    const dirs = new Map<string, DirEntry>();
    let left = 0;
    for (let i = 0; i < nDirs; i++) {
      const list = names[i] as unknown;
      if (!Array.isArray(list) || !list.every(isName)) return undefined;
      if (skip?.(p[i]!)) {
        left++;
        continue;
      }
      const o = i * STAT_FIELDS;
      dirs.set(p[i]!, [stats[o]!, stats[o + 1]!, stats[o + 2]!, stats[o + 3]!, stats[o + 4]!, stats[o + 5]!, stats[o + 6]!, list as string[]]);
    }
    if (!skip) {
      // the files as columns: entries made when asked for
      const entries = FileEntries.of(p.slice(nDirs), hashes, stats, nDirs);
      if (!entries || dirs.size !== nDirs) return undefined;
      entries.from = p;
      return { p, names: names as string[][], dirs, entries };
    }
    const entries = new Map<string, MemoEntry>();
    for (let i = 0; i < nFiles; i++) {
      if (skip(p[nDirs + i]!)) {
        left++;
        continue;
      }
      const o = (nDirs + i) * STAT_FIELDS;
      entries.set(p[nDirs + i]!, [hashes[i]!, stats[o]!, stats[o + 1]!, stats[o + 2]!, stats[o + 3]!, stats[o + 4]!, stats[o + 5]!, stats[o + 6]!]);
    }
    if (dirs.size + entries.size + left !== nDirs + nFiles) return undefined;
    return { p, names: names as string[][], dirs, entries };
  };
  let fullMemo: ProjectMemo | undefined;
  /** the whole memo (made once: its maps are shared by every caller, who must not change them) */
  const full = (without?: string): ProjectMemo | undefined => {
    if (without !== undefined) return partial(without);
    if (fullMemo) return fullMemo;
    const m = maps();
    if (!m) return undefined;
    return (fullMemo = withResult({ ...meta, entries: m.entries, dirs: m.dirs, written, layout: layoutOf(m) }));
  };
  /** the result read, parsed once when first asked for (a render of a change makes its own: 6,000 paths at N = 1000) */
  let parsed: MemoResult | undefined | null = null;
  const withResult = (o: Omit<ProjectMemo, 'result'>): ProjectMemo =>
    Object.defineProperty(o, 'result', { get: () => (parsed === null ? (parsed = result()) : parsed), enumerable: true, configurable: true }) as ProjectMemo;
  /** the file's order and text, as read (`m`: its maps, whole or partial) */
  const layoutOf = (m: { p: string[]; names: string[][] }): MemoLayout => {
    const at = textStart + resultBytes;
    return { paths: m.p, nDirs, quickDirs, names: m.names, pathBytes: buf.subarray(at, at + pathBytes), nameBytes: buf.subarray(at + pathBytes + hashBytes, at + pathBytes + hashBytes + nameBytes), hashBytes: buf.subarray(at + pathBytes, at + pathBytes + hashBytes) };
  };
  /**
   * The memo without directory `d` and what is below it (its maps built for nothing else), with
   * the file's layout: a render that writes the directory again as it was (its output deleted)
   * records the same paths and names, and the memo written then keeps their order and text.
   */
  const partial = (d: string): ProjectMemo | undefined => {
    const below = `${d}/`;
    const m = maps((path) => path === d || path.startsWith(below));
    const r = m && result();
    return r && { ...meta, result: r, entries: m.entries, dirs: m.dirs, written, layout: layoutOf(m) };
  };
  const goneDir = (): string | undefined => {
    const p = goneAt === undefined ? undefined : allPaths();
    if (!p) return undefined;
    const d = p[goneAt!]!;
    // (looked at again by its absolute path: the pass may have asked relative to another cwd)
    try {
      if (statOf(`${root}/${d}`) !== undefined) return undefined;
    } catch {
      return undefined;
    }
    const below = `${d}/`;
    for (let i = nDirs; i < nDirs + nFiles; i++) if (p[i]!.startsWith(below)) return d;
    return undefined;
  };
  return {
    meta,
    written,
    quick,
    result,
    unchanged(cwd) {
      if (!quick || !before((newest as number[])[0]!, (newest as number[])[1]!, written)) return false;
      const c = pass(cwd, true);
      return c !== undefined && c.length === 0;
    },
    changes(cwd) {
      return pass(cwd, false);
    },
    rescan(changed, opts = {}) {
      const r = rescan(changed, opts);
      // the scan took the memo's maps over (see below); a scan given up leaves them half-changed
      fullMemo = undefined;
      return r;
    },
    full,
    goneDir,
  };

  function rescan(changed: readonly number[], opts: { skip?: ReadonlySet<string>; maxFiles?: number; maxBytes?: number }): ReturnType<MemoFile['rescan']> {
    const memo = full();
    const p = allPaths();
    if (!memo || !p || !quick) return undefined;
    // The scan changes the memo's own maps (copies of 10,000 entries cost more than the rest of
    // it): the memo returned shares them, and only its entries' count, result and layout still
    // say what was recorded; a later full() reads the file again.
    const entries = memo.entries;
    // the directories a scan reaches (the quick ones) and no other
    const dirs = quickDirs === nDirs ? memo.dirs : new Map<string, DirEntry>();
    if (quickDirs !== nDirs) for (let i = 0; i < quickDirs; i++) dirs.set(p[i]!, memo.dirs.get(p[i]!)!);
    let bytes = 0;
    for (let i = nDirs; i < nDirs + nFiles; i++) bytes += stats[i * STAT_FIELDS + 2]!;
    const scan: TreeScan = { entries, dirs, rehashed: 0, relisted: 0, links: false, pending: false };
    // (what sameContent(scan.entries, memo.entries) says: only the files read can differ)
    let same = true;
    /** the files read again */
    const read: string[] = [];
    try {
      for (const k of changed) {
        const rel = p[k]!;
        const abs = k === 0 ? root : `${root}/${rel}`;
        if (k < quickDirs) {
          // its stat data before its names, as a scan takes them
          const st = statOf(abs, k === 0);
          if (!st || !isDir(st)) return undefined;
          const l = listDir(abs, opts.skip);
          if (typeof l === 'string' || l.pending || l.links) return undefined;
          const was = memo.dirs.get(rel)![NAMES];
          if (l.names.length !== was.length || l.names.some((n, j) => n !== was[j])) return undefined;
          dirs.set(rel, [...st, l.names]);
          scan.relisted++;
        } else if (k >= nDirs && k < nDirs + nFiles) {
          const st = statOf(abs);
          if (!st || !isFile(st)) return undefined;
          bytes += st[2] - stats[k * STAT_FIELDS + 2]!;
          // the stat data from before the read: a file changed while it was read no longer matches it
          const hash = contentHash(readFileSync(abs));
          if (hash !== memo.entries.get(rel)![0]) same = false;
          entries.set(rel, [hash, ...st]);
          scan.rehashed++;
          read.push(rel);
        } else return undefined;
      }
    } catch {
      return undefined; // unreadable: the scan says which and why
    }
    if (entries.size > (opts.maxFiles ?? Infinity) || bytes > (opts.maxBytes ?? Infinity)) return undefined;
    // (a copy: its result still parsed only when asked for)
    const { result: _result, ...rest } = Object.getOwnPropertyDescriptors(memo);
    return { memo: withResult(Object.defineProperties({}, rest) as Omit<ProjectMemo, 'result'>), scan, sameContent: same, read };
  }
}

/**
 * Whether quick directory `k` of paths `p` is one an unchanged pass does not stat (see
 * MemoMeta's `unlisted`): below the output directory (`below`: its path and a slash), a leaf
 * (directories are in walk order: a directory's first subdirectory comes right after it), and
 * neither the template directory `tpl` ('' for the root) nor one of its children, whose listings
 * the templates' loader reads, nor the directory config discovery starts from (`cwd`, the memo's,
 * project-relative) or one holding it: discovery looks for a config file there.
 */
function isUnlisted(p: readonly string[], k: number, quickDirs: number, below: string, tpl: string | undefined, cwd: string | undefined): boolean {
  const dir = p[k]!;
  if (!dir.startsWith(below) || (k + 1 < quickDirs && p[k + 1]!.startsWith(`${dir}/`))) return false;
  if (cwd !== undefined && (cwd === dir || cwd.startsWith(`${dir}/`))) return false;
  if (tpl === undefined) return true;
  const slash = dir.lastIndexOf('/');
  return dir !== tpl && (slash < 0 ? '' : dir.slice(0, slash)) !== tpl;
}

/**
 * The index of the recorded directory holding `file` when that directory is gone (`isGone`), an
 * unchanged pass not having looked at it: an output directory deleted, for `goneDir`.
 */
function goneParent(p: readonly string[], file: string, quickDirs: number, isGone: (dir: string) => boolean): number | undefined {
  const slash = file.lastIndexOf('/');
  if (slash < 0) return undefined;
  const dir = file.slice(0, slash);
  for (let i = 1; i < quickDirs; i++) if (p[i] === dir) return isGone(dir) ? i : undefined;
  return undefined;
}

/** The memo of `root` with its maps; undefined when there is none or it is damaged (its result too). */
export function readMemo(root: string): ProjectMemo | undefined {
  const m = openMemo(root)?.full();
  return m?.result ? m : undefined;
}

/**
 * The order the memo file keeps paths in: the directories and files a scan from the root
 * reaches through recorded names first (in walk order), then the rest; and how many
 * directories are "quick" (-1 when a reached directory or file is not recorded, or a recorded
 * file is not reached: then an unchanged tree cannot be told by stat data alone).
 */
function layout(entries: ReadonlyMap<string, MemoEntry>, dirs: ReadonlyMap<string, DirEntry>): { dirOrder: string[]; fileOrder: string[]; quickDirs: number } {
  const dirOrder: string[] = [];
  const fileOrder: string[] = [];
  let quick = dirs.has('');
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const visit = (rel: string) => {
    const d = dirs.get(rel);
    if (!d || seenDirs.has(rel)) return void (quick = false);
    seenDirs.add(rel);
    dirOrder.push(rel);
    for (const name of d[NAMES]) {
      if (name.endsWith('/')) visit(rel ? `${rel}/${name.slice(0, -1)}` : name.slice(0, -1));
      else {
        const p = rel ? `${rel}/${name}` : name;
        if (!entries.has(p) || seenFiles.has(p)) quick = false;
        else {
          seenFiles.add(p);
          fileOrder.push(p);
        }
      }
    }
  };
  if (quick) visit('');
  if (seenFiles.size !== entries.size) quick = false;
  const quickDirs = quick ? dirOrder.length : -1;
  for (const k of dirs.keys()) if (!seenDirs.has(k)) dirOrder.push(k);
  for (const k of entries.keys()) if (!seenFiles.has(k)) fileOrder.push(k);
  return { dirOrder, fileOrder, quickDirs };
}

/** Whether a memo of these entries and directories has this layout: the same paths, and every directory the same names. */
function sameLayout(l: MemoLayout, entries: ReadonlyMap<string, MemoEntry>, dirs: ReadonlyMap<string, DirEntry>): boolean {
  if (dirs.size !== l.nDirs || entries.size !== l.paths.length - l.nDirs) return false;
  for (let i = 0; i < l.nDirs; i++) {
    const d = dirs.get(l.paths[i]!);
    const was = l.names[i]!;
    if (!d) return false;
    const now = d[NAMES];
    if (now !== was && (now.length !== was.length || now.some((n, j) => n !== was[j]))) return false;
  }
  // (the entries read with this layout, none deleted, as many: the same paths)
  if (entries instanceof FileEntries && entries.from === l.paths && !entries.deletedAny()) return true;
  for (let i = l.nDirs; i < l.paths.length; i++) if (!entries.has(l.paths[i]!)) return false;
  return true;
}

/** The bytes of the memo file (see openMemo); undefined for a memo the format cannot hold (a path with a newline). */
export function encodeMemo(memo: ProjectMemo): Buffer | undefined {
  const parts = memoParts(memo);
  return parts && Buffer.concat(parts);
}

/** The pieces of the memo file's bytes, in order (written as they are, without joining 1.5 MB first). */
function memoParts(memo: ProjectMemo): Buffer[] | undefined {
  const { entries, dirs } = memo;
  const kept = memo.layout && sameLayout(memo.layout, entries, dirs) ? memo.layout : undefined;
  let dirOrder: readonly string[];
  let fileOrder: readonly string[];
  let quickDirs: number;
  let pathBytes: Buffer;
  let nameBytes: Buffer;
  if (kept) {
    // the same paths and names as the file read: its order and its text stand
    dirOrder = kept.paths.slice(0, kept.nDirs);
    fileOrder = kept.paths.slice(kept.nDirs);
    quickDirs = kept.quickDirs;
    pathBytes = kept.pathBytes;
    nameBytes = kept.nameBytes;
  } else {
    const l = layout(entries, dirs);
    ({ dirOrder, fileOrder, quickDirs } = l);
    const paths = [...dirOrder, ...fileOrder];
    if (paths.some((p) => p.includes('\n'))) return undefined;
    pathBytes = Buffer.from(paths.join('\n'), 'utf8');
    nameBytes = Buffer.from(JSON.stringify(dirOrder.map((d) => dirs.get(d)![NAMES])), 'utf8');
  }
  const stats = new Float64Array((dirOrder.length + fileOrder.length) * STAT_FIELDS);
  let newest: [number, number] = [-Infinity, 0];
  const put = (k: number, st: readonly number[], from: number, isQuick: boolean) => {
    for (let f = 0; f < STAT_FIELDS; f++) stats[k * STAT_FIELDS + f] = st[from + f]!;
    const s = st[from + 3]!;
    const ns = st[from + 4]!;
    if (isQuick && (s > newest[0] || (s === newest[0] && ns > newest[1]))) newest = [s, ns];
  };
  dirOrder.forEach((d, k) => put(k, dirs.get(d)! as unknown as number[], 0, k < quickDirs));
  // the files of a memo read from this layout: the file's own hashes and stat data, with the
  // entries set since written over them
  const copied = kept && copiedFiles(kept, entries, stats, dirOrder.length);
  let hashText: Buffer;
  if (copied) {
    hashText = copied.hashText;
    if (quickDirs >= 0) {
      for (let k = dirOrder.length; k < dirOrder.length + fileOrder.length; k++) {
        const s = stats[k * STAT_FIELDS + 3]!;
        const ns = stats[k * STAT_FIELDS + 4]!;
        if (s > newest[0] || (s === newest[0] && ns > newest[1])) newest = [s, ns];
      }
    }
  } else {
    const hashes = fileOrder.map((f) => entries.get(f)![0]);
    if (hashes.some((h) => h.includes('\n'))) return undefined;
    hashText = Buffer.from(hashes.join('\n'), 'utf8');
    fileOrder.forEach((f, k) => put(dirOrder.length + k, entries.get(f)! as unknown as number[], 1, quickDirs >= 0));
  }
  const texts = [resultBytes(memo), pathBytes, hashText, nameBytes];
  const { key, cwd, config, root, configFile } = memo;
  const unlisted = unlistedOf(memo.unlisted);
  const n = [...texts.map((t) => t.length), dirOrder.length, fileOrder.length, quickDirs];
  const head = Buffer.from(`${JSON.stringify({ format: FORMAT, endian: ENDIAN, key, cwd, config, root, configFile, n, newest: quickDirs >= 0 ? newest : null, ...(unlisted ? { unlisted } : {}) })}\n`, 'utf8');
  const textEnd = head.length + texts.reduce((a, t) => a + t.length, 0);
  const pad = Buffer.alloc(Math.ceil(textEnd / 8) * 8 - textEnd, 0x20);
  return [head, ...texts, pad, Buffer.from(stats.buffer, stats.byteOffset, stats.byteLength)];
}

/** The result's bytes (written each time: making its text costs less than comparing it with a result parsed from the file). */
function resultBytes(memo: ProjectMemo): Buffer {
  return Buffer.from(JSON.stringify(memo.result), 'utf8');
}

/**
 * The files' part of a memo whose entries are the columns of the file `l` was read from
 * (FileEntries, none deleted or added): their stat data copied into `stats` from index `at` on
 * and their hashes' text copied, each entry set since written over its own (every hash the same
 * length, ASCII, no newline); undefined when that cannot be told (then every entry is written).
 */
function copiedFiles(l: MemoLayout, entries: ReadonlyMap<string, MemoEntry>, stats: Float64Array, at: number): { hashText: Buffer } | undefined {
  if (!(entries instanceof FileEntries) || entries.from !== l.paths || entries.deletedAny() || !l.hashBytes) return undefined;
  const { hashes, stats: old, statAt, paths } = entries.columns;
  const n = paths.length;
  if (n !== l.paths.length - l.nDirs || at !== statAt || n === 0) return undefined;
  const width = hashes[0]!.length;
  // n hashes of `width` characters and n - 1 newlines in as many bytes: all ASCII
  if (l.hashBytes.length !== n * (width + 1) - 1) return undefined;
  for (let i = 0; i < n; i++) if (hashes[i]!.length !== width) return undefined;
  const changed = entries.changed();
  for (const [p, e] of changed) {
    const i = entries.columnOf(p);
    if (i === undefined || e[0].length !== width || Buffer.byteLength(e[0], 'utf8') !== width || e[0].includes('\n')) return undefined;
  }
  const hashText = Buffer.from(l.hashBytes);
  stats.set(old.subarray(statAt * STAT_FIELDS, (statAt + n) * STAT_FIELDS), at * STAT_FIELDS);
  for (const [p, e] of changed) {
    const i = entries.columnOf(p)!;
    hashText.write(e[0], i * (width + 1), 'utf8');
    for (let f = 0; f < STAT_FIELDS; f++) stats[(at + i) * STAT_FIELDS + f] = e[f + 1] as number;
  }
  return { hashText };
}

/**
 * The directories a render wrote into, listed again: a memo recorded after a render holds the
 * directory listings of the scan before it, which the files written since made stale, so that
 * the next unchanged run would find them changed and scan everything. A directory is listed
 * again (its stat data taken before its names) when it is not recorded, is named in `changed`,
 * or a file recorded below it changed (mtime or ctime) no earlier than the directory's recorded
 * mtime. Only for speed: the unchanged path checks every directory's stat data anyway, so a
 * listing this leaves stale costs one full scan, never a wrong answer.
 */
export function refreshDirs(root: string, entries: ReadonlyMap<string, MemoEntry>, dirs: ReadonlyMap<string, DirEntry>, skip: ReadonlySet<string> = MEMO_SKIP, changed: ReadonlySet<string> = new Set(), touched?: ReadonlySet<string>, outRoot?: string): Map<string, DirEntry> {
  // times as s + ns/1e9: close enough for a choice that only costs time (not needed when the
  // caller knows what it touched)
  const newest = new Map<string, number>();
  if (!touched) for (const [k, e] of entries) {
    if (k.startsWith(OUT_PREFIX)) continue;
    const t = Math.max(e[4] + e[5] / 1e9, e[6] + e[7] / 1e9);
    for (let i = k.lastIndexOf('/'); ; i = k.lastIndexOf('/', i - 1)) {
      const d = i < 0 ? '' : k.slice(0, i);
      // an ancestor's newest is never older than its descendant's: stop at the first one as new
      if ((newest.get(d) ?? -Infinity) >= t) break;
      newest.set(d, t);
      if (i < 0) break;
    }
  }
  const out = new Map(dirs);
  // `touched`: only the directories on the way to one can have names this run changed (a
  // directory it made is a touched one's child, and is listed as unrecorded); the rest stand
  let toward: Set<string> | undefined;
  if (touched && changed.size === 0) {
    toward = new Set(['']);
    for (const t of touched) for (let i = t.length; i > 0; i = t.lastIndexOf('/', i - 1)) toward.add(t.slice(0, i));
  }
  // `base`: the directory walked; `prefix`: its keys' prefix ('' for the project, OUT_PREFIX for
  // an output directory outside it, whose listings only a caller's `touched` refreshes)
  const walk = (base: string, prefix: string, skipNames: ReadonlySet<string> | undefined) => {
    const visit = (rel: string): void => {
      const key = prefix + rel;
      let rec = out.get(key);
      // `touched`: the caller knows every directory it created, removed or renamed an entry in
      if (!rec || changed.has(key) || (touched ? touched.has(key) : rec[3] + rec[4] / 1e9 <= (newest.get(key) ?? -Infinity))) {
        const abs = rel ? `${base}/${rel}` : base;
        let st: StatData | undefined;
        try {
          st = statOf(abs, !rel);
        } catch {
          return;
        }
        if (!st || !isDir(st)) return;
        const l = listDir(abs, skipNames);
        if (typeof l === 'string' || l.pending || l.links) return void out.delete(key);
        out.set(key, (rec = [...st, l.names]));
      }
      for (const name of rec[NAMES]) {
        if (!name.endsWith('/')) continue;
        const sub = rel ? `${rel}/${name.slice(0, -1)}` : name.slice(0, -1);
        if (!toward || toward.has(prefix + sub) || !out.has(prefix + sub)) visit(sub);
      }
    };
    visit('');
  };
  walk(root, '', skip);
  // (as the render scanned it: scanTree with the prefix and no skip)
  if (outRoot !== undefined && touched && out.has(OUT_PREFIX)) walk(outRoot, OUT_PREFIX, undefined);
  return out;
}

/**
 * Write the memo atomically (temp file and rename); a memo that cannot be written only costs
 * time. `touched`: the directories whose entries the run changed (a render's written and
 * removed files' ancestors); the other recorded listings are kept (else refreshDirs's rule).
 */
export function writeMemo(root: string, memo: ProjectMemo, touched?: ReadonlySet<string>, outRoot?: string): void {
  const file = memoPath(root);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    // a cache directory made now changed the root's listing
    const made = mkdirSync(join(root, '.gitopsc', 'cache'), { recursive: true });
    try {
      writeFileSync(join(root, '.gitopsc', '.gitignore'), '# written by gitopsc: this cache never belongs in git\n*\n', { flag: 'wx' });
    } catch {
      /* there already */
    }
    const parts = memoParts({ ...memo, dirs: refreshDirs(root, memo.entries, memo.dirs, MEMO_SKIP, new Set(made === join(root, '.gitopsc') ? [''] : []), touched, outRoot) });
    // a memo the format cannot hold: the one there stays (every file is still checked against it)
    if (!parts) return;
    writeParts(tmp, parts);
    renameSync(tmp, file);
  } catch {
    /* a cache that cannot be written only costs time */
  }
}

/** Write `parts` one after another to a new file (truncating one left by this process). */
function writeParts(file: string, parts: readonly Buffer[]): void {
  const fd = openSync(file, 'w');
  try {
    for (const b of parts) for (let at = 0; at < b.length; ) at += writeSync(fd, b, at, b.length - at);
  } finally {
    closeSync(fd);
  }
}

let versionCache: string | undefined;

/**
 * What every cache entry depends on besides its key: the package version and the schemas
 * (a schema change must re-validate every cached file, even without a version bump).
 */
export function toolVersion(): string {
  if (versionCache) return versionCache;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const parts = [pkg.version];
  for (const kind of ['service', 'config', 'catalog', 'lock']) parts.push(readFileSync(new URL(`../../schemas/${kind}.schema.json`, import.meta.url), 'utf8'));
  return (versionCache = `${pkg.version}+${contentHash(parts.slice(1).join('\u0000')).slice(0, 12)}`);
}

/** the package version and its schemas' stat data, as `memoKey` puts them (once per process) */
let keyParts: string[] | undefined;

/**
 * The memo's key: what its result depends on besides the project's files: the version of
 * gitopsc and the stat data of its schemas (stat only, so that the unchanged path reads and
 * hashes nothing more), the config file and --out.
 */
export function memoKey(configFile: string, out: string): string {
  if (!keyParts) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const dir = fileURLToPath(new URL('../../schemas/', import.meta.url));
    keyParts = [pkg.version];
    for (const k of ['service', 'config', 'catalog', 'lock']) {
      const st = statOf(`${dir}${k}.schema.json`, true);
      if (!st) throw new Error(`${dir}${k}.schema.json: no such file`);
      keyParts.push(`${st[2]}:${st[3]}.${st[4]}:${st[1]}`);
    }
  }
  return JSON.stringify([...keyParts, configFile, out]);
}

/** A memo hit as `render` and `render --check` report it (the full path and the start-up fast path alike). */
export function memoHitResult(memo: Pick<ProjectMemo, 'result'>, check: boolean): { diagnostics: Diagnostic[]; data: Record<string, unknown>; lines: string[] } {
  const r = memo.result;
  const n = `${r.files.length} file${r.files.length === 1 ? '' : 's'}`;
  const diagnostics = r.warnings as Diagnostic[];
  if (check) return { diagnostics, data: { files: r.files, drift: 0 }, lines: [`${n} up to date`] };
  return { diagnostics, data: { files: r.files, written: [], pruned: [], rendered: 0 }, lines: [`rendered ${n} to ${r.out} (no changes)`] };
}

/**
 * A scan the start-up fast path made and could not answer from (a file's content differs from
 * the memo's: only such a scan is handed over): the full path of the same process takes it
 * instead of reading the memo and walking the tree a second time.
 */
let handedOver_: { root: string; memo: ProjectMemo; scan: TreeScan } | undefined;

export function handOver(root: string, memo: ProjectMemo, scan: TreeScan): void {
  handedOver_ = { root, memo, scan };
}

/** Whether a scan is waiting to be taken over. */
export function handedOver(): boolean {
  return handedOver_ !== undefined;
}

/** The memo and the scan handed over for `root` (once), if any. */
export function takeOver(root: string): { memo: ProjectMemo; scan: TreeScan } | undefined {
  const h = handedOver_;
  handedOver_ = undefined;
  return h && h.root === root ? h : undefined;
}
