/**
 * The on-disk cache (host side). Everything lives in one directory, `.gitopsc/` at the project
 * root, which users may delete at any time; it ignores itself for git (a `.gitignore` holding
 * `*`, as pytest, ruff and mypy do), and it is never read or written through a symbolic link
 * that leaves the project. A cache never
 * changes output: entries are keyed by a hash of every input that can change what they stand
 * for, and a corrupt, unreadable or foreign-version file is ignored and rebuilt.
 */
import { contentHash } from '../core/hash.js';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { error, type Diagnostic } from '../core/diagnostics.js';
import { escapingPath, removeStaleTemps, tmpName } from '../host/fs.js';
import { toolVersion } from './memo.js';

export { toolVersion };

export const CACHE_DIR = '.gitopsc';
const FORMAT = 1;
const MAX_ENTRIES = 50_000;

export function cacheDirOf(root: string): string {
  return join(root, CACHE_DIR, 'cache');
}

/**
 * FILESYSTEM when `.gitopsc/` (or its `cache/`) is a symbolic link out of the project: caches
 * are then neither read nor written, and commands refuse to run rather than write elsewhere.
 */
export function cacheDirProblem(root: string): Diagnostic | undefined {
  const out = escapingPath(root, cacheDirOf(root));
  if (out === undefined) return undefined;
  return error('FILESYSTEM', `refusing to use the cache directory ${CACHE_DIR}/: ${out} is a symbolic link out of the project`, { file: `${CACHE_DIR}/`, reason: 'symlink-outside' });
}

/** Make `.gitopsc/cache/` and the `.gitignore` that keeps `.gitopsc/` out of git. */
export function ensureCacheDir(root: string): void {
  mkdirSync(cacheDirOf(root), { recursive: true });
  try {
    writeFileSync(join(root, CACHE_DIR, '.gitignore'), '# written by gitopsc: this cache never belongs in git\n*\n', { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/**
 * A cache file written by temp file + rename (readers see the old or the new bytes), with
 * synchronous calls: a render saves a few caches once, and a promise's round trip through the
 * thread pool only adds waiting on a busy machine.
 */
function writeAtomic(file: string, content: string): void {
  removeStaleTemps(dirname(file));
  const tmp = tmpName(file);
  try {
    writeFileSync(tmp, content, { flag: 'wx' });
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

export interface JsonCache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
  /** Write the entries used or set in this run (atomically), when anything changed. */
  save(): Promise<void>;
}

/**
 * File format: one JSON header line `{"format","version","checksum"}`, then the entries as JSON.
 * The checksum covers the entries text, so a truncated, bit-rotted or hand-edited cache is
 * ignored whole instead of being believed. `onlyUsed`: a save keeps only the entries this run
 * read or set (the per-service records, which a project's next state replaces).
 */
export function openJsonCache<T>(root: string, name: string, version: string, opts: { onlyUsed?: boolean } = {}): JsonCache<T> {
  const file = join(cacheDirOf(root), `${name}.json`);
  let entries: Record<string, T> = {};
  const refused = cacheDirProblem(root) !== undefined;
  try {
    if (refused) throw new Error('refused');
    const text = readFileSync(file, 'utf8');
    const nl = text.indexOf('\n');
    const header = JSON.parse(text.slice(0, nl)) as { format?: unknown; version?: unknown; checksum?: unknown };
    const body = text.slice(nl + 1);
    if (nl > 0 && header.format === FORMAT && header.version === version && header.checksum === contentHash(body)) {
      const parsed = JSON.parse(body) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) entries = parsed as Record<string, T>;
    }
  } catch {
    /* absent, corrupt or foreign: start empty */
  }
  const used = new Set<string>();
  let dirty = false;
  return {
    get(key) {
      const v = Object.prototype.hasOwnProperty.call(entries, key) ? entries[key] : undefined;
      if (v !== undefined) used.add(key);
      return v;
    },
    set(key, value) {
      entries[key] = value;
      used.add(key);
      dirty = true;
    },
    async save() {
      if (!dirty || refused) return;
      // Entries other commands use stay; past a bound, only this run's entries are kept.
      const keys = Object.keys(entries);
      const some = opts.onlyUsed || keys.length > MAX_ENTRIES;
      // (every entry kept: the entries as they are, rather than a copy of thousands of keys)
      let out = entries;
      if (some) {
        out = {};
        for (const k of keys) if (used.has(k)) out[k] = entries[k]!;
      }
      try {
        const body = JSON.stringify(out);
        ensureCacheDir(root);
        writeAtomic(file, `${JSON.stringify({ format: FORMAT, version, checksum: contentHash(body) })}\n${body}`);
      } catch {
        /* a cache that cannot be written only costs time */
      }
    },
  };
}

/**
 * The cache of validated inputs (`kind:contentHash` -> data), shared by every command. Static
 * catalogs (large, needed only by validate and resolve) live in their own file, read only when
 * a catalog is asked for, so that `render` never parses them; so do the config and the lock
 * (`project.json`, only the versions the last run read), so that a render whose services come
 * from their records (src/pipeline.ts) does not parse every service's cached data.
 */
export function openInputCache(root: string): JsonCache<unknown> {
  const shards = new Map<string, JsonCache<unknown>>();
  const shard = (key: string): JsonCache<unknown> => {
    const name = key.startsWith('catalog:') ? 'catalogs' : key.startsWith('config:') || key.startsWith('lock:') ? 'project' : 'inputs';
    let c = shards.get(name);
    if (!c) shards.set(name, (c = openJsonCache<unknown>(root, name, toolVersion(), { onlyUsed: name === 'project' })));
    return c;
  };
  return {
    get: (key) => shard(key).get(key),
    set: (key, value) => shard(key).set(key, value),
    save: async () => {
      for (const c of shards.values()) await c.save();
    },
  };
}

/**
 * A view of a cache whose `set` of a value equal (as JSON) to the stored one is a no-op, so that
 * a run that learns nothing new does not rewrite the file (`diff` and `publish` of a change
 * seen before set again what their records and unit outcomes already hold).
 */
export function unlessEqual<C extends { get(key: string): unknown; set(key: string, value: unknown): void }>(cache: C): C {
  const view = Object.create(cache) as C;
  view.get = (key) => cache.get(key);
  view.set = (key, value) => {
    const old = cache.get(key);
    if (old !== undefined && JSON.stringify(old) === JSON.stringify(value)) return;
    cache.set(key, value);
  };
  return view;
}
