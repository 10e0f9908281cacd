/**
 * The project memo, kept like git's index: for every project file (inputs and outputs) the stat
 * data (size, mtime and ctime, inode, mode) beside its content hash, and what the last
 * successful render or check reported. A later run re-hashes only the files whose stat data
 * changed (and, by git's racy rule, files modified no earlier than the memo itself was written:
 * their stat data cannot tell a later same-size edit apart), so an unchanged project is known to
 * be up to date without reading a file's contents.
 *
 * Times are the milliseconds (with their fraction) of Node's plain `Stats` (`mtimeMs`,
 * `ctimeMs`), not BigInt nanoseconds: Node computes them from the kernel's seconds and
 * nanoseconds the same way every time, so an unchanged file gives the same numbers; two times
 * the doubles cannot tell apart lie less than a microsecond apart, closer than a file can be
 * stat-ed, read and written again; and rounding keeps order, so the racy rule stays on the safe
 * side.
 *
 * Loaded on the start-up fast path (src/cli/fast.ts) before any dependency: node builtins and
 * src/core/hash.ts (which loads node:crypto only when it first hashes) only.
 */
import { lstatSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, mkdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { contentHash } from '../core/hash.js';

/** The stat data the memo records of a file: [size, mtimeMs, ctimeMs, ino, mode]. */
export type StatData = [size: number, mtimeMs: number, ctimeMs: number, ino: number, mode: number];

/** [content hash, size, mtimeMs, ctimeMs, ino, mode] */
export type MemoEntry = [hash: string, size: number, mtimeMs: number, ctimeMs: number, ino: number, mode: number];

/** Directories never walked: git's, dependencies, gitopsc's own cache. */
export const MEMO_SKIP: ReadonlySet<string> = new Set(['.git', 'node_modules', '.gitopsc']);
export const MEMO_MAX_FILES = 100_000;
export const MEMO_MAX_BYTES = 256 * 1024 * 1024;
/** gitopsc's bookkeeping in an output directory (as src/write/apply.ts isInternalName): never output, never hashed */
const INTERNAL = /^\.gitopsc-(stage|journal|lock)(\..*)?$|\.gitopsc-\d+-\d+\.tmp$/;
const JOURNAL = '.gitopsc-journal';
const NO_THROW = { throwIfNoEntry: false } as const;

export function isBookkeeping(name: string): boolean {
  return INTERNAL.test(name);
}

/** The stat data of a file as the memo records it (without the hash). */
export function statData(st: Stats): StatData {
  return [st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode];
}

/**
 * Whether a recorded entry still stands for the file with this stat data, without reading it:
 * every stat field equal, and the file last modified before the memo was written (`racyFrom`,
 * the memo file's own mtime in ms). A file modified in the same clock tick as the memo is
 * "racily clean" and must be re-hashed.
 */
export function statClean(entry: MemoEntry | undefined, st: Readonly<StatData>, racyFrom: number | undefined): entry is MemoEntry {
  if (!entry || racyFrom === undefined || !(st[1] < racyFrom)) return false;
  return entry[1] === st[0] && entry[2] === st[1] && entry[3] === st[2] && entry[4] === st[3] && entry[5] === st[4];
}

/** A directory's [mtimeMs, ctimeMs, ino] and the names it held (subdirectories with a trailing `/`). */
export type DirEntry = [mtimeMs: number, ctimeMs: number, ino: number, names: string[]];

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
  racyFrom: number | undefined,
  opts: { skip?: ReadonlySet<string>; maxFiles?: number; maxBytes?: number; prefix?: string } = {},
): TreeScan {
  const out = new Map<string, MemoEntry>();
  const dirs = new Map<string, DirEntry>();
  const max = opts.maxFiles ?? Infinity;
  const maxBytes = opts.maxBytes ?? Infinity;
  const prefix = opts.prefix ?? '';
  let bytes = 0;
  const res: TreeScan = { dirs, rehashed: 0, relisted: 0, links: false, pending: false };
  const clean = (old: DirEntry | undefined, st: Stats): old is DirEntry =>
    old !== undefined && racyFrom !== undefined && old[0] === st.mtimeMs && old[1] === st.ctimeMs && old[2] === st.ino && st.mtimeMs < racyFrom;
  /** true: walked; false: failed (res says why); STALE: the parent's recorded names are out of date */
  const walk = (rel: string, force: boolean): boolean | typeof STALE => {
    const abs = rel ? `${dir}/${rel}` : dir;
    let st: Stats | undefined;
    try {
      st = rel ? lstatSync(abs, NO_THROW) : statSync(abs, NO_THROW);
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
    if (!odd) dirs.set(prefix + rel, [st.mtimeMs, st.ctimeMs, st.ino, names]);
    for (const name of names) {
      if (name.endsWith('/')) {
        const r = walk(rel ? `${rel}/${name.slice(0, -1)}` : name.slice(0, -1), false);
        if (r === STALE) return cached ? walk(rel, true) : ((res.unreadable = { path: rel ? `${rel}/${name}` : name, why: 'changed while scanned' }), false);
        if (!r) return false;
        continue;
      }
      const p = rel ? `${rel}/${name}` : name;
      const abs = `${dir}/${p}`;
      let fst: Stats | undefined;
      try {
        fst = lstatSync(abs, NO_THROW);
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
    return [hash, ...statData(lstatSync(file))];
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
}

export interface ProjectMemo extends MemoMeta {
  result: MemoResult;
  entries: Map<string, MemoEntry>;
  dirs: Map<string, DirEntry>;
  /** mtime of the memo file in ms (racy rule); undefined for a memo not read from disk */
  writtenMs?: number;
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

/** A recorded path: `/`-separated names (or '' for the root); the output-dir prefix allowed in front. */
function isPath(p: string): boolean {
  const rel = p.startsWith(OUT_PREFIX) ? p.slice(OUT_PREFIX.length) : p;
  return rel === '' || rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
/** where entries of an output directory outside the project are kept (src/build/stage.ts) */
const OUT_PREFIX = '\u0000out/';

export function memoPath(root: string): string {
  return join(root, '.gitopsc', 'cache', MEMO_FILE);
}

/**
 * The memo file (`memo.json`, though only its first line is JSON). Its layout is made for the
 * unchanged path, which must know in a few milliseconds that nothing changed:
 *
 *   line 1   {"format":3,"endian","key","cwd","config","root","configFile","n":[...]} (MemoMeta)
 *   result   the result as JSON
 *   paths    every directory's path, then every file's path, `\n`-joined: first, in walk order,
 *            the directories and files a scan reaches from the root through recorded names
 *            ("quick": when every one of them is recorded and no other file is, an unchanged
 *            tree is every quick path's stat data unchanged: nothing to look up or build)
 *   hashes   the files' content hashes, `\n`-joined
 *   names    the directories' recorded names as JSON (an array per directory)
 *   pad      spaces up to an 8-byte boundary
 *   stats    float64s in this machine's byte order: [mtimeMs, ctimeMs, ino] per directory, then
 *            [size, mtimeMs, ctimeMs, ino, mode] per file
 *
 * with n = [result, paths, hashes, names bytes, directories, files, quick directories (-1: not
 * quick)]. It is written atomically (a temporary file renamed); a memo whose size is not what
 * its header says, whose parts do not parse or have the wrong shape, is ignored whole. (No
 * checksum: the unchanged path must not load a hash; a damaged stat field or hash only makes a
 * file be read again.)
 */
export interface MemoFile {
  meta: MemoMeta;
  /** mtime of the memo file in ms (the racy limit) */
  writtenMs: number;
  /** Whether it has a quick part: every file recorded is reached from the root through recorded directory listings. */
  quick: boolean;
  /** The result it recorded; undefined when it does not parse. */
  result(): MemoResult | undefined;
  /**
   * Whether the tree is as recorded by stat data alone (every quick directory and file clean
   * by the racy rule), without building the memo's maps; false when it is not, or when the memo
   * has no quick part: then ask `full()` and scan.
   */
  unchanged(): boolean;
  /** The whole memo; undefined when a part of it does not parse or has the wrong shape. */
  full(): ProjectMemo | undefined;
}

/** Read the memo file of `root`; undefined when there is none or its frame is damaged. */
export function openMemo(root: string): MemoFile | undefined {
  const file = memoPath(root);
  let buf: Buffer;
  let writtenMs: number;
  try {
    writtenMs = statSync(file).mtimeMs;
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  const nl = buf.indexOf(10);
  if (nl <= 0) return undefined;
  let header: MemoMeta & { format?: unknown; endian?: unknown; n?: unknown };
  try {
    header = JSON.parse(buf.toString('utf8', 0, nl)) as typeof header;
  } catch {
    return undefined;
  }
  const n = header.n;
  if (header.format !== FORMAT || header.endian !== ENDIAN || !Array.isArray(n) || n.length !== 7 || !n.every((x) => Number.isSafeInteger(x) && x >= -1)) return undefined;
  const [resultBytes, pathBytes, hashBytes, nameBytes, nDirs, nFiles, quickDirs] = n as [number, number, number, number, number, number, number];
  if (resultBytes < 0 || pathBytes < 0 || hashBytes < 0 || nameBytes < 0 || nDirs < 0 || nFiles < 0 || quickDirs > nDirs) return undefined;
  const textStart = nl + 1;
  const textEnd = textStart + resultBytes + pathBytes + hashBytes + nameBytes;
  const statStart = Math.ceil(textEnd / 8) * 8;
  const nStats = nDirs * 3 + nFiles * 5;
  if (buf.length !== statStart + nStats * 8) return undefined;
  if (typeof header.key !== 'string' || typeof header.cwd !== 'string' || typeof header.root !== 'string' || typeof header.config !== 'string' || typeof header.configFile !== 'string') return undefined;
  const meta: MemoMeta = { key: header.key, cwd: header.cwd, config: header.config, root: header.root, configFile: header.configFile };
  let offset = textStart;
  const part = (bytes: number) => buf.toString('utf8', offset, (offset += bytes));
  const resultText = part(resultBytes);
  const pathText = part(pathBytes);
  const hashText = part(hashBytes);
  const nameText = part(nameBytes);
  // a Buffer of a whole file read is its own allocation, 8-aligned; a copy otherwise
  const at = buf.byteOffset + statStart;
  const stats = at % 8 === 0 ? new Float64Array(buf.buffer, at, nStats) : new Float64Array(buf.buffer.slice(at, at + nStats * 8));
  let paths: string[] | undefined;
  const allPaths = (): string[] | undefined => {
    if (paths) return paths;
    // ('' is the root's path: the text of no paths and of the root alone are both '')
    const p = nDirs + nFiles === 0 ? [] : pathText.split('\n');
    if (p.length !== nDirs + nFiles) return undefined;
    return (paths = p);
  };
  const result = (): MemoResult | undefined => {
    try {
      const r = JSON.parse(resultText) as Partial<MemoResult> | null;
      if (!r || typeof r.out !== 'string' || !Array.isArray(r.files) || !r.files.every((f) => typeof f === 'string') || !Array.isArray(r.warnings)) return undefined;
      return r as MemoResult;
    } catch {
      return undefined;
    }
  };
  return {
    meta,
    writtenMs,
    quick: quickDirs >= 0,
    result,
    unchanged() {
      if (quickDirs < 0) return false;
      const p = allPaths();
      if (!p) return false;
      const racyFrom = writtenMs;
      for (let i = 0; i < quickDirs; i++) {
        const rel = p[i]!;
        const st = rel ? lstatSync(`${root}/${rel}`, NO_THROW) : statSync(root, NO_THROW);
        const s = i * 3;
        if (!st || !st.isDirectory() || st.mtimeMs !== stats[s] || st.ctimeMs !== stats[s + 1] || st.ino !== stats[s + 2] || !(st.mtimeMs < racyFrom)) return false;
      }
      const base = nDirs * 3;
      for (let i = 0; i < nFiles; i++) {
        const st = lstatSync(`${root}/${p[nDirs + i]!}`, NO_THROW);
        const s = base + i * 5;
        if (!st || st.size !== stats[s] || st.mtimeMs !== stats[s + 1] || st.ctimeMs !== stats[s + 2] || st.ino !== stats[s + 3] || st.mode !== stats[s + 4] || !(st.mtimeMs < racyFrom)) return false;
      }
      return true;
    },
    full() {
      const r = result();
      const p = allPaths();
      if (!r || !p || !p.every(isPath)) return undefined;
      const hashes = nFiles === 0 ? [] : hashText.split('\n');
      if (hashes.length !== nFiles) return undefined;
      let names: unknown;
      try {
        names = JSON.parse(nameText);
      } catch {
        return undefined;
      }
      if (!Array.isArray(names) || names.length !== nDirs) return undefined;
      const dirs = new Map<string, DirEntry>();
      for (let i = 0; i < nDirs; i++) {
        const list = names[i] as unknown;
        if (!Array.isArray(list) || !list.every(isName)) return undefined;
        dirs.set(p[i]!, [stats[i * 3]!, stats[i * 3 + 1]!, stats[i * 3 + 2]!, list as string[]]);
      }
      const entries = new Map<string, MemoEntry>();
      const base = nDirs * 3;
      for (let i = 0; i < nFiles; i++) {
        const s = base + i * 5;
        entries.set(p[nDirs + i]!, [hashes[i]!, stats[s]!, stats[s + 1]!, stats[s + 2]!, stats[s + 3]!, stats[s + 4]!]);
      }
      if (dirs.size !== nDirs || entries.size !== nFiles) return undefined;
      return { ...meta, result: r, entries, dirs, writtenMs };
    },
  };
}

/** The memo of `root` with its maps; undefined when there is none or it is damaged. */
export function readMemo(root: string): ProjectMemo | undefined {
  return openMemo(root)?.full();
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
    for (const name of d[3]) {
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

/** The bytes of the memo file (see openMemo); undefined for a memo the format cannot hold (a path with a newline). */
export function encodeMemo(memo: ProjectMemo): Buffer | undefined {
  const { entries, dirs } = memo;
  const { dirOrder, fileOrder, quickDirs } = layout(entries, dirs);
  const paths = [...dirOrder, ...fileOrder];
  if (paths.some((p) => p.includes('\n'))) return undefined;
  const hashes = fileOrder.map((f) => entries.get(f)![0]);
  if (hashes.some((h) => h.includes('\n'))) return undefined;
  const texts = [JSON.stringify(memo.result), paths.join('\n'), hashes.join('\n'), JSON.stringify(dirOrder.map((d) => dirs.get(d)![3]))].map((t) => Buffer.from(t, 'utf8'));
  const stats = new Float64Array(dirOrder.length * 3 + fileOrder.length * 5);
  let i = 0;
  for (const d of dirOrder) {
    const e = dirs.get(d)!;
    stats[i++] = e[0];
    stats[i++] = e[1];
    stats[i++] = e[2];
  }
  for (const f of fileOrder) {
    const e = entries.get(f)!;
    for (let k = 1; k <= 5; k++) stats[i++] = e[k] as number;
  }
  const { key, cwd, config, root, configFile } = memo;
  const n = [...texts.map((t) => t.length), dirOrder.length, fileOrder.length, quickDirs];
  const head = Buffer.from(`${JSON.stringify({ format: FORMAT, endian: ENDIAN, key, cwd, config, root, configFile, n })}\n`, 'utf8');
  const textEnd = head.length + texts.reduce((a, t) => a + t.length, 0);
  const pad = Buffer.alloc(Math.ceil(textEnd / 8) * 8 - textEnd, 0x20);
  return Buffer.concat([head, ...texts, pad, Buffer.from(stats.buffer, stats.byteOffset, stats.byteLength)]);
}

/**
 * The directories a render wrote into, listed again: a memo recorded after a render holds the
 * directory listings of the scan before it, which the files written since made stale, so that
 * the next unchanged run would find them changed and scan everything. A directory is listed
 * again (its stat data taken before its names) when it is not recorded, or when a file recorded
 * below it changed (mtime or ctime) no earlier than the directory's recorded mtime. Only for
 * speed: the unchanged path checks every directory's stat data anyway, so a listing this leaves
 * stale costs one full scan, never a wrong answer.
 */
export function refreshDirs(root: string, entries: ReadonlyMap<string, MemoEntry>, dirs: ReadonlyMap<string, DirEntry>, skip: ReadonlySet<string> = MEMO_SKIP, changed: ReadonlySet<string> = new Set()): Map<string, DirEntry> {
  const newest = new Map<string, number>();
  for (const [k, e] of entries) {
    if (k.startsWith(OUT_PREFIX)) continue;
    const t = Math.max(e[2], e[3]);
    for (let i = k.lastIndexOf('/'); ; i = k.lastIndexOf('/', i - 1)) {
      const d = i < 0 ? '' : k.slice(0, i);
      // an ancestor's newest is never older than its descendant's: stop at the first one as new
      if ((newest.get(d) ?? -Infinity) >= t) break;
      newest.set(d, t);
      if (i < 0) break;
    }
  }
  const out = new Map(dirs);
  const visit = (rel: string, depth: number): void => {
    let rec = out.get(rel);
    if (!rec || changed.has(rel) || rec[0] <= (newest.get(rel) ?? -Infinity)) {
      const abs = rel ? `${root}/${rel}` : root;
      let st: Stats | undefined;
      try {
        st = rel ? lstatSync(abs, NO_THROW) : statSync(abs, NO_THROW);
      } catch {
        return;
      }
      if (!st?.isDirectory()) return;
      const l = listDir(abs, skip);
      if (typeof l === 'string' || l.pending || l.links) return void out.delete(rel);
      out.set(rel, (rec = [st.mtimeMs, st.ctimeMs, st.ino, l.names]));
    }
    if (depth > 256) return;
    for (const name of rec[3]) if (name.endsWith('/')) visit(rel ? `${rel}/${name.slice(0, -1)}` : name.slice(0, -1), depth + 1);
  };
  visit('', 0);
  return out;
}

/** Write the memo atomically (temp file and rename); a memo that cannot be written only costs time. */
export function writeMemo(root: string, memo: ProjectMemo): void {
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
    const bytes = encodeMemo({ ...memo, dirs: refreshDirs(root, memo.entries, memo.dirs, MEMO_SKIP, new Set(made === join(root, '.gitopsc') ? [''] : [])) });
    // a memo the format cannot hold: the one there stays (every file is still checked against it)
    if (!bytes) return;
    writeFileSync(tmp, bytes);
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
    const st = statSync(new URL(`../../schemas/${k}.schema.json`, import.meta.url));
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
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
