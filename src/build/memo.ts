/**
 * The project memo, kept like git's index: for every project file (inputs and outputs) the stat
 * data (size, mtime and ctime in ns, inode, mode) beside its content hash, and what the last
 * successful render or check reported. A later run re-hashes only the files whose stat data
 * changed (and, by git's racy rule, files modified no earlier than the memo itself was written:
 * their stat data cannot tell a later same-size edit apart), so an unchanged project is known to
 * be up to date without reading a file's contents.
 *
 * Loaded on the start-up fast path (src/build/fast.ts) before any dependency: node builtins and
 * src/core/hash.ts only.
 */
import { lstatSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, mkdirSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { contentHash } from '../core/hash.js';

/** [content hash, size, mtimeNs, ctimeNs, ino, mode] (the big numbers as decimal strings) */
export type MemoEntry = [hash: string, size: number, mtimeNs: string, ctimeNs: string, ino: string, mode: number];

/** Directories never walked: git's, dependencies, gitopsc's own cache. */
export const MEMO_SKIP: ReadonlySet<string> = new Set(['.git', 'node_modules', '.gitopsc']);
export const MEMO_MAX_FILES = 100_000;
export const MEMO_MAX_BYTES = 256 * 1024 * 1024;
/** gitopsc's bookkeeping in an output directory (as src/write/apply.ts isInternalName): never output, never hashed */
const INTERNAL = /^\.gitopsc-(stage|journal|lock)(\..*)?$|\.gitopsc-\d+-\d+\.tmp$/;
const JOURNAL = '.gitopsc-journal';

export function isBookkeeping(name: string): boolean {
  return INTERNAL.test(name);
}

/** The stat data of a file as the memo records it (without the hash). */
export function statData(st: BigIntStats): [size: number, mtimeNs: string, ctimeNs: string, ino: string, mode: number] {
  return [Number(st.size), String(st.mtimeNs), String(st.ctimeNs), String(st.ino), Number(st.mode)];
}

/**
 * Whether a recorded entry still stands for the file with this stat data, without reading it:
 * every stat field equal, and the file last modified before the memo was written (`racyFrom`,
 * the memo file's own mtime in ns). A file modified in the same clock tick as the memo is
 * "racily clean" and must be re-hashed.
 */
export function statClean(entry: MemoEntry | undefined, st: readonly [number, string, string, string, number], racyFrom: bigint | undefined, mtimeNs: bigint = BigInt(st[1])): entry is MemoEntry {
  if (!entry || racyFrom === undefined || mtimeNs >= racyFrom) return false;
  return entry[1] === st[0] && entry[2] === st[1] && entry[3] === st[2] && entry[4] === st[3] && entry[5] === st[4];
}

/** A directory's [mtimeNs, ctimeNs, ino] and the names it held (subdirectories with a trailing `/`). */
export type DirEntry = [mtimeNs: string, ctimeNs: string, ino: string, names: string[]];

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
 * Walk `dir` (relative `/` paths, leaving out directories named in `skip` and gitopsc's
 * bookkeeping files), taking each file's hash from `prev` when its stat data is clean, else
 * reading and hashing it. As git's untracked cache does, a directory whose stat data is clean is
 * not listed again: the names recorded for it are used (a name added, removed or renamed in a
 * directory changes its mtime). An absent directory is an empty tree.
 */
export function scanTree(
  dir: string,
  prev: TreeState | undefined,
  racyFrom: bigint | undefined,
  opts: { skip?: ReadonlySet<string>; maxFiles?: number; maxBytes?: number; prefix?: string } = {},
): TreeScan {
  const out = new Map<string, MemoEntry>();
  const dirs = new Map<string, DirEntry>();
  const max = opts.maxFiles ?? Infinity;
  const maxBytes = opts.maxBytes ?? Infinity;
  const prefix = opts.prefix ?? '';
  let bytes = 0;
  const res: TreeScan = { dirs, rehashed: 0, relisted: 0, links: false, pending: false };
  const clean = (old: DirEntry | undefined, st: BigIntStats): old is DirEntry =>
    old !== undefined && racyFrom !== undefined && old[0] === String(st.mtimeNs) && old[1] === String(st.ctimeNs) && old[2] === String(st.ino) && st.mtimeNs < racyFrom;
  /** true: walked; false: failed (res says why); STALE: the parent's recorded names are out of date */
  const walk = (rel: string, force: boolean): boolean | typeof STALE => {
    const abs = rel ? `${dir}/${rel}` : dir;
    let st: BigIntStats | undefined;
    try {
      st = rel ? lstatSync(abs, { bigint: true, throwIfNoEntry: false }) : statSync(abs, { bigint: true, throwIfNoEntry: false });
    } catch (e) {
      res.unreadable = { path: rel || '.', why: errno(e) };
      return false;
    }
    if (!st) return rel ? STALE : true;
    if (!st.isDirectory()) return rel ? STALE : ((res.unreadable = { path: '.', why: 'ENOTDIR' }), false);
    const old = prev?.dirs.get(prefix + rel);
    let names: string[];
    let odd = false;
    const cached = !force && clean(old, st);
    if (cached) names = old[3];
    else {
      let list;
      try {
        list = readdirSync(abs, { withFileTypes: true });
      } catch (e) {
        res.unreadable = { path: rel || '.', why: errno(e) };
        return false;
      }
      res.relisted++;
      names = [];
      for (const e of list) {
        if (e.name === JOURNAL) res.pending = odd = true;
        if (INTERNAL.test(e.name)) continue;
        if (e.isDirectory()) {
          if (!opts.skip?.has(e.name)) names.push(`${e.name}/`);
        } else if (e.isFile()) names.push(e.name);
        else if (e.isSymbolicLink()) res.links = odd = true;
      }
    }
    // a listing with a journal or a link is never reused: the next run must see them again
    if (!odd) dirs.set(prefix + rel, [String(st.mtimeNs), String(st.ctimeNs), String(st.ino), names]);
    for (const name of names) {
      if (name.endsWith('/')) {
        const r = walk(rel ? `${rel}/${name.slice(0, -1)}` : name.slice(0, -1), false);
        if (r === STALE) return cached ? walk(rel, true) : ((res.unreadable = { path: rel ? `${rel}/${name}` : name, why: 'changed while scanned' }), false);
        if (!r) return false;
        continue;
      }
      const p = rel ? `${rel}/${name}` : name;
      const abs = `${dir}/${p}`;
      let fst: BigIntStats | undefined;
      try {
        fst = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
      } catch (err) {
        res.unreadable = { path: p, why: errno(err) };
        return false;
      }
      if (!fst || !fst.isFile()) {
        if (cached) return walk(rel, true);
        res.unreadable = { path: p, why: 'changed while scanned' };
        return false;
      }
      const data = statData(fst);
      const key = prefix + p;
      const known = prev?.entries.get(key);
      bytes += data[0];
      if (statClean(known, data, racyFrom, fst.mtimeNs)) out.set(key, known);
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
    return [hash, ...statData(lstatSync(file, { bigint: true }))];
  } catch {
    return undefined;
  }
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

export interface ProjectMemo {
  /** what else the result depends on: tool version, config file, --out */
  key: string;
  /** absolute cwd and --config of the run that recorded it: the fast path's discovery */
  cwd: string;
  config: string;
  /** absolute project root and its config file */
  root: string;
  configFile: string;
  result: MemoResult;
  entries: Map<string, MemoEntry>;
  dirs: Map<string, DirEntry>;
  /** mtime of the memo file in ns (racy rule); undefined for a memo not read from disk */
  writtenNs?: bigint;
}

export const MEMO_FILE = 'memo.json';
const FORMAT = 2;

/** A recorded name: one path segment (a directory's with a trailing `/`), never `.` or `..`. */
function isName(n: unknown): boolean {
  if (typeof n !== 'string') return false;
  const slash = n.indexOf('/');
  const base = slash === -1 ? n : n.slice(0, slash);
  return base !== '' && base !== '.' && base !== '..' && (slash === -1 || slash === n.length - 1);
}

export function memoPath(root: string): string {
  return join(root, '.gitopsc', 'cache', MEMO_FILE);
}

/**
 * The memo file: one JSON header line `{"format","length"}`, then the body. It is written
 * atomically (a temporary file renamed), and a memo whose body is not as long as the header says,
 * does not parse or has the wrong shape is ignored whole. (No checksum: the unchanged path must
 * not load a hash; a damaged stat field or hash only makes a file be read again.)
 */
export function readMemo(root: string): ProjectMemo | undefined {
  const file = memoPath(root);
  try {
    const st = statSync(file, { bigint: true });
    const text = readFileSync(file, 'utf8');
    const nl = text.indexOf('\n');
    if (nl <= 0) return undefined;
    const header = JSON.parse(text.slice(0, nl)) as { format?: unknown; length?: unknown };
    const body = text.slice(nl + 1);
    if (header.format !== FORMAT || header.length !== body.length) return undefined;
    const m = JSON.parse(body) as Omit<ProjectMemo, 'entries' | 'dirs' | 'writtenNs'> & { entries: Record<string, MemoEntry>; dirs: Record<string, DirEntry> };
    if (!m || typeof m.key !== 'string' || typeof m.cwd !== 'string' || typeof m.root !== 'string' || typeof m.config !== 'string' || typeof m.configFile !== 'string') return undefined;
    const r = m.result as Partial<MemoResult> | undefined;
    if (!r || typeof r.out !== 'string' || !Array.isArray(r.files) || !r.files.every((f) => typeof f === 'string') || !Array.isArray(r.warnings)) return undefined;
    if (!m.entries || typeof m.entries !== 'object' || !m.dirs || typeof m.dirs !== 'object') return undefined;
    const entries = new Map(Object.entries(m.entries));
    for (const e of entries.values()) if (!Array.isArray(e) || typeof e[0] !== 'string') return undefined;
    const dirs = new Map(Object.entries(m.dirs));
    for (const d of dirs.values()) if (!Array.isArray(d) || !Array.isArray(d[3]) || !d[3].every(isName)) return undefined;
    return { ...m, entries, dirs, writtenNs: st.mtimeNs };
  } catch {
    return undefined;
  }
}

/** Write the memo atomically (temp file and rename); a memo that cannot be written only costs time. */
export function writeMemo(root: string, memo: ProjectMemo): void {
  const file = memoPath(root);
  const { writtenNs: _w, entries, dirs, ...rest } = memo;
  const body = JSON.stringify({ ...rest, entries: Object.fromEntries(entries), dirs: Object.fromEntries(dirs) });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(join(root, '.gitopsc', 'cache'), { recursive: true });
    try {
      writeFileSync(join(root, '.gitopsc', '.gitignore'), '# written by gitopsc: this cache never belongs in git\n*\n', { flag: 'wx' });
    } catch {
      /* there already */
    }
    writeFileSync(tmp, `${JSON.stringify({ format: FORMAT, length: body.length })}\n${body}`);
    renameSync(tmp, file);
  } catch {
    /* a cache that cannot be written only costs time */
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

/**
 * The memo's key: what its result depends on besides the project's files: the version of
 * gitopsc and the stat data of its schemas (stat only, so that the unchanged path reads and
 * hashes nothing more), the config file and --out.
 */
export function memoKey(configFile: string, out: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const schemas = ['service', 'config', 'catalog', 'lock'].map((k) => {
    const st = statSync(new URL(`../../schemas/${k}.schema.json`, import.meta.url), { bigint: true });
    return `${st.size}:${st.mtimeNs}:${st.ino}`;
  });
  return JSON.stringify([pkg.version, ...schemas, configFile, out]);
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
 * A scan the start-up fast path made and could not answer from (a file changed): the full path
 * of the same process takes it instead of reading the memo and walking the tree a second time.
 */
let handedOver: { root: string; memo: ProjectMemo; scan: TreeScan } | undefined;

export function handOver(root: string, memo: ProjectMemo, scan: TreeScan): void {
  handedOver = { root, memo, scan };
}

/** The memo and the scan handed over for `root` (once), if any. */
export function takeOver(root: string): { memo: ProjectMemo; scan: TreeScan } | undefined {
  const h = handedOver;
  handedOver = undefined;
  return h && h.root === root ? h : undefined;
}
