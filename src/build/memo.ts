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
export function statClean(entry: MemoEntry | undefined, st: readonly [number, string, string, string, number], racyFrom: bigint | undefined): entry is MemoEntry {
  if (!entry) return false;
  if (entry[1] !== st[0] || entry[2] !== st[1] || entry[3] !== st[2] || entry[4] !== st[3] || entry[5] !== st[4]) return false;
  return racyFrom !== undefined && BigInt(entry[2]) < racyFrom;
}

export interface TreeScan {
  /** path -> entry; undefined when the tree is over the limits or cannot be read */
  entries?: Map<string, MemoEntry>;
  /** files whose content was read (stat data changed, new, or racy) */
  rehashed: number;
  /** the first entry that could not be read, with why */
  unreadable?: { path: string; reason: string };
  /** a symbolic link was seen (and not followed) */
  links: boolean;
  /** an interrupted render's journal is waiting in some directory */
  pending: boolean;
}

function reason(e: unknown): string {
  const x = e as NodeJS.ErrnoException;
  return x.code ?? x.message;
}

/**
 * Walk `dir` (relative `/` paths, leaving out directories named in `skip` and gitopsc's
 * bookkeeping files), taking each file's hash from `prev` when its stat data is clean, else
 * reading and hashing it. An absent directory is an empty tree.
 */
export function scanTree(
  dir: string,
  prev: ReadonlyMap<string, MemoEntry> | undefined,
  racyFrom: bigint | undefined,
  opts: { skip?: ReadonlySet<string>; maxFiles?: number; maxBytes?: number; prefix?: string } = {},
): TreeScan {
  const out = new Map<string, MemoEntry>();
  const max = opts.maxFiles ?? Infinity;
  const maxBytes = opts.maxBytes ?? Infinity;
  const prefix = opts.prefix ?? '';
  let bytes = 0;
  const res: TreeScan = { rehashed: 0, links: false, pending: false };
  const walk = (rel: string): boolean => {
    let names;
    try {
      names = readdirSync(rel ? join(dir, rel) : dir, { withFileTypes: true });
    } catch (e) {
      if (rel === '' && (e as NodeJS.ErrnoException).code === 'ENOENT') return true;
      res.unreadable = { path: rel || '.', reason: reason(e) };
      return false;
    }
    for (const e of names) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === JOURNAL) res.pending = true;
      if (INTERNAL.test(e.name)) continue;
      if (e.isDirectory()) {
        if (!opts.skip?.has(e.name) && !walk(p)) return false;
      } else if (e.isFile()) {
        const abs = join(dir, p);
        let st: BigIntStats;
        try {
          st = lstatSync(abs, { bigint: true });
        } catch (err) {
          res.unreadable = { path: p, reason: reason(err) };
          return false;
        }
        const data = statData(st);
        const key = prefix + p;
        const old = prev?.get(key);
        bytes += data[0];
        if (statClean(old, data, racyFrom)) out.set(key, old);
        else {
          let content: Buffer;
          try {
            content = readFileSync(abs);
          } catch (err) {
            res.unreadable = { path: p, reason: reason(err) };
            return false;
          }
          res.rehashed++;
          // stat again: a file changed while it was read gets stat data that no longer matches
          out.set(key, [contentHash(content), ...statData(lstatSync(abs, { bigint: true }))]);
        }
        if (out.size > max || bytes > maxBytes) return false;
      } else if (e.isSymbolicLink()) res.links = true;
    }
    return true;
  };
  if (walk('')) res.entries = out;
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
  /** mtime of the memo file in ns (racy rule); undefined for a memo not read from disk */
  writtenNs?: bigint;
}

export const MEMO_FILE = 'memo.json';
const FORMAT = 2;

export function memoPath(root: string): string {
  return join(root, '.gitopsc', 'cache', MEMO_FILE);
}

/**
 * The memo file: one JSON header line `{"format","checksum"}`, then the body. The checksum covers
 * the body, so a truncated or edited memo is ignored whole. Undefined when absent or not valid.
 */
export function readMemo(root: string): ProjectMemo | undefined {
  const file = memoPath(root);
  try {
    const st = statSync(file, { bigint: true });
    const text = readFileSync(file, 'utf8');
    const nl = text.indexOf('\n');
    if (nl <= 0) return undefined;
    const header = JSON.parse(text.slice(0, nl)) as { format?: unknown; checksum?: unknown };
    const body = text.slice(nl + 1);
    if (header.format !== FORMAT || header.checksum !== contentHash(body)) return undefined;
    const m = JSON.parse(body) as Omit<ProjectMemo, 'entries' | 'writtenNs'> & { entries: Record<string, MemoEntry> };
    if (!m || typeof m.key !== 'string' || typeof m.cwd !== 'string' || typeof m.root !== 'string' || !m.result || !Array.isArray(m.result.files)) return undefined;
    return { ...m, entries: new Map(Object.entries(m.entries)), writtenNs: st.mtimeNs };
  } catch {
    return undefined;
  }
}

/** Write the memo atomically (temp file and rename); a memo that cannot be written only costs time. */
export function writeMemo(root: string, memo: ProjectMemo): void {
  const file = memoPath(root);
  const { writtenNs: _w, entries, ...rest } = memo;
  const body = JSON.stringify({ ...rest, entries: Object.fromEntries(entries) });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(join(root, '.gitopsc', 'cache'), { recursive: true });
    try {
      writeFileSync(join(root, '.gitopsc', '.gitignore'), '# written by gitopsc: this cache never belongs in git\n*\n', { flag: 'wx' });
    } catch {
      /* there already */
    }
    writeFileSync(tmp, `${JSON.stringify({ format: FORMAT, checksum: contentHash(body) })}\n${body}`);
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

/** The memo's key: what its result depends on besides the files. */
export function memoKey(configFile: string, out: string): string {
  return JSON.stringify([toolVersion(), configFile, out]);
}
