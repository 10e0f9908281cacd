/**
 * The on-disk cache (host side). Everything lives in one directory, `.gitopsc/` at the project
 * root, which users may delete at any time; it ignores itself for git (a `.gitignore` holding
 * `*`, as pytest, ruff and mypy do), and it is never read or written through a symbolic link
 * that leaves the project. A cache never
 * changes output: entries are keyed by a hash of every input that can change what they stand
 * for, and a corrupt, unreadable or foreign-version file is ignored and rebuilt.
 */
import { contentHash, contentHashOf } from '../core/hash.js';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { error, type Diagnostic } from '../core/diagnostics.js';
import { escapingPath, removeStaleTemps, tmpName } from '../host/fs.js';
import { toolVersion } from './memo.js';

export { toolVersion };

export const CACHE_DIR = '.gitopsc';
const FORMAT = 1;
const MAX_ENTRIES = 50_000;
/** the share of unused records `services.json` may keep (see openJsonCache's `slack`) */
export const SERVICES_SLACK = 0.125;

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
function writeAtomic(file: string, content: string | readonly Uint8Array[]): void {
  removeStaleTemps(dirname(file));
  const tmp = tmpName(file);
  try {
    if (typeof content === 'string') writeFileSync(tmp, content, { flag: 'wx' });
    else {
      // the parts one after another, without joining them first
      const fd = openSync(tmp, 'wx');
      try {
        for (const b of content) for (let at = 0; at < b.length; ) at += writeSync(fd, b, at, b.length - at);
      } finally {
        closeSync(fd);
      }
    }
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
 * Caches laid out flat: the entries as one JSON array of each key and its value after each
 * other, read into a Map, instead of one JSON object (whose thousands of keys JSON.parse
 * internalizes one by one): the unit outcomes and the per-service records, which a render
 * after a change reads whole (at N = 1000, 3,000 and 1,000 entries: parsed and looked up in
 * about a third of the time).
 */
const FLAT_LAYOUT: ReadonlySet<string> = new Set(['units', 'services']);
const FLAT_FORMAT = 2;

/**
 * File format: one JSON header line `{"format","version","checksum"}`, then the entries as JSON
 * (an object, or for the caches of FLAT_LAYOUT an array of keys and values: format 2).
 * The checksum covers the entries text, so a truncated, bit-rotted or hand-edited cache is
 * ignored whole instead of being believed. `onlyUsed`: a save keeps only the entries this run
 * read or set (the per-service records, which a project's next state replaces); with `slack`,
 * up to that fraction of them more may stay unused rather than the file be written whole
 * (a run that only added keys appends them: after one service changed, its one new record
 * instead of a thousand written again; past the bound, the unused are dropped).
 */
export function openJsonCache<T>(root: string, name: string, version: string, opts: { onlyUsed?: boolean; slack?: number } = {}): JsonCache<T> {
  const file = join(cacheDirOf(root), `${name}.json`);
  const flat = FLAT_LAYOUT.has(name);
  const format = flat ? FLAT_FORMAT : FORMAT;
  const entries = new Map<string, T>();
  let record: Record<string, T> = {};
  const has = flat ? (key: string) => entries.has(key) : (key: string) => Object.prototype.hasOwnProperty.call(record, key);
  /** the entries' bytes as read: a save that only adds keys appends them to these */
  let readBody: Buffer | undefined;
  const refused = cacheDirProblem(root) !== undefined;
  try {
    if (refused) throw new Error('refused');
    // (the checksum is of the entries' bytes as written: hashed as read, decoded once)
    const bytes = readFileSync(file);
    const nl = bytes.indexOf(10);
    const header = JSON.parse(bytes.toString('utf8', 0, nl)) as { format?: unknown; version?: unknown; checksum?: unknown };
    if (nl > 0 && header.format === format && header.version === version && header.checksum === contentHash(bytes.subarray(nl + 1))) {
      const parsed = JSON.parse(bytes.toString('utf8', nl + 1)) as unknown;
      if (flat) {
        // (a key twice: the entries are not the text's, which a save must not append to)
        if (readFlat(parsed, entries as Map<string, unknown>)) readBody = bytes.subarray(nl + 1);
      } else if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        record = parsed as Record<string, T>;
        readBody = bytes.subarray(nl + 1);
      }
    }
  } catch {
    /* absent, corrupt or foreign: start empty */
  }
  const used = new Set<string>();
  let dirty = false;
  /** the keys set in this run that the file did not hold, in order; undefined once one it held is set */
  let added: Set<string> | undefined = new Set();
  const valueOf = flat ? (key: string) => entries.get(key) : (key: string) => record[key];
  return {
    get(key) {
      const v = has(key) ? valueOf(key) : undefined;
      if (v !== undefined) used.add(key);
      return v;
    },
    set(key, value) {
      if (added && !added.has(key)) {
        if (has(key)) added = undefined;
        else added.add(key);
      }
      if (flat) entries.set(key, value);
      else record[key] = value;
      used.add(key);
      dirty = true;
    },
    async save() {
      if (refused) return;
      // (a cache that keeps only the entries used is written again when it holds more others than its slack)
      const keys = dirty || opts.onlyUsed ? (flat ? [...entries.keys()] : Object.keys(record)) : [];
      const unused = opts.onlyUsed ? keys.length - used.size : 0;
      const spare = opts.onlyUsed ? Math.floor(used.size * (opts.slack ?? 0)) : 0;
      if (!dirty && unused <= spare) return;
      // Entries other commands use stay; past a bound, only this run's entries are kept.
      const some = unused > spare || keys.length > MAX_ENTRIES;
      const kept = some ? keys.filter((k) => used.has(k)) : keys;
      try {
        // Only keys added to every entry read: the text read, with theirs appended (what
        // JSON.stringify of the entries gives: the keys read, in order, then the keys added).
        const more = added && [...added].map((k): [string, unknown] => [k, valueOf(k)]);
        const appended = !some && more && readBody ? appendEntries(readBody, keys.length - more.length === 0, more, flat) : undefined;
        const parts = appended ?? [Buffer.from(flat ? flatText(kept, entries) : JSON.stringify(some ? pick(record, kept) : record), 'utf8')];
        ensureCacheDir(root);
        writeAtomic(file, [Buffer.from(`${JSON.stringify({ format, version, checksum: contentHashOf(parts) })}\n`, 'utf8'), ...parts]);
      } catch {
        /* a cache that cannot be written only costs time */
      }
    },
  };
}

/**
 * The flat layout's entries (one JSON array of each key and its value after each other) into
 * `into`; nothing when `parsed` is not that (not an array, an odd length, a key not a string).
 * Whether the entries are the text's exactly (false also when a key came twice).
 */
function readFlat(parsed: unknown, into: Map<string, unknown>): boolean {
  if (!Array.isArray(parsed) || parsed.length % 2 !== 0) return false;
  for (let i = 0; i < parsed.length; i += 2) if (typeof parsed[i] !== 'string') return false;
  for (let i = 0; i < parsed.length; i += 2) into.set(parsed[i] as string, parsed[i + 1]);
  return into.size * 2 === parsed.length;
}

function pick<T>(record: Record<string, T>, keys: readonly string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of keys) out[k] = record[k]!;
  return out;
}

/** The flat layout's text of these keys' entries (a value with no JSON text is left out, as JSON.stringify leaves out such a property). */
function flatText(keys: readonly string[], entries: ReadonlyMap<string, unknown>): string {
  const out: unknown[] = [];
  for (const k of keys) {
    const v = entries.get(k);
    if (v !== undefined) out.push(k, v);
  }
  return JSON.stringify(out);
}

/**
 * The text of the entries read (`body`, as JSON.stringify wrote it: `{...}`, or `[...]` flat)
 * with `more` appended, in parts; undefined when a value has no JSON text.
 */
function appendEntries(body: Buffer, empty: boolean, more: [string, unknown][], flat = false): Buffer[] | undefined {
  const [open, close] = flat ? [0x5b, 0x5d] : [0x7b, 0x7d];
  if (body.length < 2 || body[0] !== open || body[body.length - 1] !== close || (empty && body.length !== 2)) return undefined;
  const texts: string[] = [];
  for (const [k, v] of more) {
    const s = JSON.stringify(v) as string | undefined;
    if (s === undefined) return undefined;
    texts.push(`${JSON.stringify(k)}${flat ? ',' : ':'}${s}`);
  }
  return [body.subarray(0, body.length - 1), Buffer.from(`${empty ? '' : ','}${texts.join(',')}${flat ? ']' : '}'}`, 'utf8')];
}

/** The input cache: validated inputs by `kind:contentHash`, and a lock's entries one service at a time. */
export interface InputStore extends JsonCache<unknown> {
  /**
   * The lock data cached under `key` with `services` holding only `service`'s entries (or none,
   * when the lock has none for it), read and checked without parsing the other services'; undefined when
   * not cached (or damaged).
   */
  lockPart(key: string, service: string): unknown;
}

/** past this many entries, a save keeps only those this run used */
const FLAT_MAX = 50_000;

/**
 * A cache file laid out to be read fast: a header line `{"format":<format>,"checksum":...}`
 * (the checksum of the bytes after it), then one JSON array holding each key and its value
 * after each other, kept in a Map (an object with a property per key, as JsonCache writes,
 * parses and looks up several times slower: every key is internalized). A damaged, foreign or
 * older file is ignored whole. Saved only when an entry was set; past FLAT_MAX entries, only
 * those this run used are kept.
 */
export function openFlatCache(root: string, name: string, format: string): JsonCache<unknown> {
  const file = join(cacheDirOf(root), `${name}.json`);
  const entries = new Map<string, unknown>();
  const used = new Set<string>();
  const refused = cacheDirProblem(root) !== undefined;
  let dirty = false;
  try {
    if (refused) throw new Error('refused');
    const buf = readFileSync(file);
    const nl = buf.indexOf(10);
    const header = JSON.parse(buf.toString('utf8', 0, nl)) as { format?: unknown; checksum?: unknown };
    const body = buf.subarray(nl + 1);
    if (nl > 0 && header.format === format && header.checksum === contentHash(body)) {
      readFlat(JSON.parse(body.toString('utf8')) as unknown, entries);
      // (a value JSON could only write as null stands for none)
      for (const [k, v] of entries) if (v === null) entries.delete(k);
    }
  } catch {
    /* absent, damaged or of another format: start empty */
  }
  return {
    get(key) {
      const v = entries.get(key);
      if (v !== undefined && entries.size > FLAT_MAX) used.add(key);
      return v;
    },
    set(key, value) {
      if (value === undefined) return;
      entries.set(key, value);
      used.add(key);
      dirty = true;
    },
    async save() {
      if (!dirty || refused) return;
      const keys = entries.size <= FLAT_MAX ? [...entries.keys()] : [...entries.keys()].filter((k) => used.has(k));
      try {
        const body = flatText(keys, entries);
        ensureCacheDir(root);
        writeAtomic(file, `${JSON.stringify({ format, checksum: contentHash(body) })}\n${body}`);
        dirty = false;
      } catch {
        /* a cache that cannot be written only costs time */
      }
    },
  };
}

/**
 * The cache of validated inputs (`kind:contentHash` -> data), shared by every command. Static
 * catalogs (large, needed only by validate and resolve) live in their own file, read only when
 * a catalog is asked for, so that `render` never parses them; so do the config (`project.json`)
 * and the lock (`lock.json`, laid out per service: see openLockCache), each keeping only the
 * versions the last run read, so that a render whose services come from their records
 * (src/pipeline.ts) parses neither every service's cached data nor the whole lock.
 */
export function openInputCache(root: string): InputStore {
  const shards = new Map<string, JsonCache<unknown>>();
  let lock: LockCache | undefined;
  const locks = () => (lock ??= openLockCache(root, toolVersion()));
  const shard = (key: string): JsonCache<unknown> => {
    if (key.startsWith('lock:')) return locks();
    const name = key.startsWith('catalog:') ? 'catalogs' : key.startsWith('config:') ? 'project' : 'inputs';
    let c = shards.get(name);
    if (!c) shards.set(name, (c = openJsonCache<unknown>(root, name, toolVersion(), { onlyUsed: name === 'project' })));
    return c;
  };
  return {
    get: (key) => shard(key).get(key),
    set: (key, value) => shard(key).set(key, value),
    lockPart: (key, service) => locks().part(key, service),
    save: async () => {
      for (const c of shards.values()) await c.save();
      await lock?.save();
    },
  };
}

interface LockCache extends JsonCache<unknown> {
  part(key: string, service: string): unknown;
}

/** One cached lock in `lock.json`: its top-level keys in order, the values other than `services`, and where each service's entries are. */
interface LockIndexEntry {
  keys: string[];
  rest: Record<string, unknown>;
  /** [service, start, length, checksum of `service` NUL text] per service, in the lock's order; absent when `services` is not a mapping (then in rest) */
  parts?: [string, number, number, string][];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The lock's cache file, `lock.json`, laid out so that one service's entries are read alone:
 *
 *   line 1   {"format","version","checksum"}: the checksum covers line 2
 *   line 2   the index: cache key -> LockIndexEntry (top-level keys, the other values, and each
 *            service's [name, start, length, checksum] in the text below)
 *   rest     each service's entries as JSON, one after another (the index gives byte offsets)
 *
 * Opening it reads the first two lines only; a service's part is read at its offset when asked
 * for, and believed only when its own checksum (of its name and text) matches, so a damaged part,
 * index or offset only makes the lock be read again; `get` reads the file whole and checks and
 * parses every part (the same data as the whole lock's JSON). Only the keys this run read or set
 * are kept.
 */
function openLockCache(root: string, version: string): LockCache {
  const file = join(cacheDirOf(root), 'lock.json');
  let index: Record<string, LockIndexEntry> = {};
  /** where the parts start in the file (bytes); -1: no usable file */
  let bodyAt = -1;
  /** the file's bytes, once read whole (`get`) */
  let whole: Buffer | undefined;
  const refused = cacheDirProblem(root) !== undefined;
  try {
    if (refused) throw new Error('refused');
    // the header and the index only: the parts are read when asked for
    const fd = openSync(file, 'r');
    let head = Buffer.alloc(64 * 1024);
    let got = 0;
    let nl2 = -1;
    try {
      for (;;) {
        const n = readSync(fd, head, got, head.length - got, got);
        got += n;
        const nl = head.subarray(0, got).indexOf(10);
        nl2 = nl < 0 ? -1 : head.subarray(0, got).indexOf(10, nl + 1);
        if (nl2 >= 0 || n === 0) break;
        if (got === head.length) head = Buffer.concat([head, Buffer.alloc(head.length)]);
      }
    } finally {
      closeSync(fd);
    }
    const nl = head.indexOf(10);
    if (nl > 0 && nl2 > nl) {
      const header = JSON.parse(head.toString('utf8', 0, nl)) as { format?: unknown; version?: unknown; checksum?: unknown };
      const indexText = head.toString('utf8', nl + 1, nl2);
      if (header.format === FORMAT && header.version === version && header.checksum === contentHash(indexText)) {
        const parsed = JSON.parse(indexText) as unknown;
        if (isPlainObject(parsed)) {
          index = parsed as Record<string, LockIndexEntry>;
          bodyAt = nl2 + 1;
        }
      }
    }
  } catch {
    /* absent, corrupt or foreign: start empty */
  }
  /** `length` bytes of the parts from `start`, as text; undefined when the file has fewer */
  const bytesAt = (start: number, length: number): string | undefined => {
    if (bodyAt < 0) return undefined;
    try {
      if (whole) return whole.length >= bodyAt + start + length ? whole.toString('utf8', bodyAt + start, bodyAt + start + length) : undefined;
      const buf = Buffer.alloc(length);
      const fd = openSync(file, 'r');
      try {
        let got = 0;
        for (let n = 1; got < length && n > 0; got += n) n = readSync(fd, buf, got, length - got, bodyAt + start + got);
        return got === length ? buf.toString('utf8') : undefined;
      } finally {
        closeSync(fd);
      }
    } catch {
      return undefined;
    }
  };
  const readWhole = () => {
    if (!whole && bodyAt >= 0) {
      try {
        whole = readFileSync(file);
      } catch {
        bodyAt = -1;
      }
    }
  };
  /** values set in this run, by key */
  const set = new Map<string, unknown>();
  const used = new Set<string>();
  let dirty = false;
  const entryOf = (key: string): LockIndexEntry | undefined => {
    const e = Object.prototype.hasOwnProperty.call(index, key) ? index[key] : undefined;
    if (!isPlainObject(e) || !Array.isArray(e.keys) || !e.keys.every((k) => typeof k === 'string') || !isPlainObject(e.rest)) return undefined;
    if (e.parts !== undefined && (!Array.isArray(e.parts) || !e.keys.includes('services'))) return undefined;
    return e;
  };
  /** a part's text when it is what its checksum says */
  const partText = (p: unknown): string | undefined => {
    if (!Array.isArray(p) || p.length !== 4) return undefined;
    const [name, start, length, sum] = p as unknown[];
    if (typeof name !== 'string' || typeof sum !== 'string' || !Number.isSafeInteger(start) || !Number.isSafeInteger(length) || (start as number) < 0 || (length as number) < 0) return undefined;
    const s = bytesAt(start as number, length as number);
    return s !== undefined && contentHash(`${name}\u0000${s}`) === sum ? s : undefined;
  };
  /** the data of an entry with only the parts `only` names (every part without it), as one JSON text parsed */
  const data = (e: LockIndexEntry, only?: string): unknown => {
    let services = '';
    if (e.parts) {
      const texts: string[] = [];
      for (const p of e.parts) {
        if (only !== undefined && (!Array.isArray(p) || p[0] !== only)) continue;
        const s = partText(p);
        if (s === undefined) return undefined;
        texts.push(`${JSON.stringify(p[0])}:${s}`);
      }
      services = `{${texts.join(',')}}`;
    }
    const fields = e.keys.map((k) => {
      if (k === 'services' && e.parts) return `${JSON.stringify(k)}:${services}`;
      return Object.prototype.hasOwnProperty.call(e.rest, k) ? `${JSON.stringify(k)}:${JSON.stringify(e.rest[k])}` : undefined;
    });
    if (fields.some((f) => f === undefined)) return undefined;
    try {
      return JSON.parse(`{${fields.join(',')}}`) as unknown;
    } catch {
      return undefined;
    }
  };
  const get = (key: string): unknown => {
    if (set.has(key)) {
      used.add(key);
      return set.get(key);
    }
    const e = entryOf(key);
    // (every part: the file is read whole once)
    if (e?.parts) readWhole();
    const v = e && data(e);
    if (v !== undefined) used.add(key);
    return v;
  };
  return {
    get,
    set(key, value) {
      set.set(key, value);
      used.add(key);
      dirty = true;
    },
    part(key, service) {
      if (set.has(key)) return get(key);
      const e = entryOf(key);
      const v = e && data(e, service);
      if (v !== undefined) used.add(key);
      return v;
    },
    async save() {
      if (!dirty || refused) return;
      const out: Record<string, LockIndexEntry> = {};
      const texts: string[] = [];
      let at = 0;
      for (const key of used) {
        const value = set.has(key) ? set.get(key) : get(key);
        if (!isPlainObject(value)) continue;
        const rest: Record<string, unknown> = {};
        const services = value.services;
        const split = isPlainObject(services);
        for (const k of Object.keys(value)) if (!(split && k === 'services')) rest[k] = value[k];
        const entry: LockIndexEntry = { keys: Object.keys(value), rest };
        if (split) {
          entry.parts = Object.keys(services).map((name) => {
            // (JSON data: every value has a text)
            const s = JSON.stringify(services[name]) ?? 'null';
            texts.push(s);
            const bytes = Buffer.byteLength(s, 'utf8');
            const part: [string, number, number, string] = [name, at, bytes, contentHash(`${name}\u0000${s}`)];
            at += bytes;
            return part;
          });
        }
        out[key] = entry;
      }
      try {
        const indexText = JSON.stringify(out);
        ensureCacheDir(root);
        writeAtomic(file, `${JSON.stringify({ format: FORMAT, version, checksum: contentHash(indexText) })}\n${indexText}\n${texts.join('')}`);
      } catch {
        /* a cache that cannot be written only costs time */
      }
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
