/**
 * The stat memo of the project's own files for `diff` and `publish` (as git's index does for
 * its working tree): per file read, the stat data beside its content hash and its git blob id
 * (`.gitopsc/cache/worktree.json`; the blob id -> content hash pairs go to `blobs.json`, in the
 * form of src/git/tree.ts's blob memo). A later run that finds a file's stat data unchanged takes
 * its content hash without reading it, so that compile() takes the service from its record
 * (src/pipeline.ts RecordsOptions.hashOf); and a git revision's blob ids name content hashes
 * (the base side of `diff` takes its records without reading a blob).
 *
 * Only an optimisation: an entry is believed only for a regular file (never through a last
 * symbolic link) whose every stat field is as recorded and which was last modified before the
 * memo was written (git's racy rule, src/build/memo.ts statClean). A record taken by a hash is
 * checked again against the bytes when its unit renders (CompileState.prepare); any doubt and
 * the file is read.
 */
import { join, sep } from 'node:path';
import { contentHash, gitBlobId } from '../core/hash.js';
import type { ProjectSource } from '../core/types.js';
import { statClean, statOf, type MemoEntry, type StatData, type Time } from './memo.js';
import { recallBlob, rememberBlob, type BlobHashMemo } from '../git/tree.js';
import { cacheDirOf, openFlatCache, type JsonCache } from './store.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const NAME = 'worktree';
/** a relative path that join() keeps as it is: `/`-separated segments, none empty, `.` or `..` (POSIX separators) */
const PLAIN_REL = sep === '/' ? /^(?!\.\.?(?:\/|$))[^/\0]+(?:\/(?!\.\.?(?:\/|$))[^/\0]+)*$/ : /^$/;
const VERSION = '3';

function isEntry(v: unknown): v is MemoEntry {
  if (!Array.isArray(v) || v.length !== 8 || typeof v[0] !== 'string') return false;
  for (let i = 1; i < 8; i++) if (typeof v[i] !== 'number') return false;
  return true;
}

export interface SourceStat {
  /** the source to compile from: the given one, whose reads of regular files are recorded */
  source: ProjectSource;
  /** a file's content hash when its stat data says it is as recorded (undefined: read it) */
  hashOf(rel: string): string | undefined;
  /** the content hash of a git blob whose bytes a recorded file held */
  blobHash(oid: string): string | undefined;
  /** the bytes read through `source` in this run, by path */
  readBytes(rel: string): Uint8Array | undefined;
  save(): Promise<void>;
}

/**
 * Pure over a store, the stat function and the racy limit (tests inject them). Keys:
 * `f:<path>` -> [content hash, ...StatData] (src/build/memo.ts MemoEntry); the blob ids of the
 * files read go to `blobs` (default: the same store).
 */
export function sourceStat(
  root: string,
  base: ProjectSource,
  store: Pick<JsonCache<unknown>, 'get' | 'set' | 'save'>,
  racyFrom: Time | undefined,
  stat: (abs: string) => StatData | undefined = (p) => statOf(p),
  blobs: BlobHashMemo = store,
): SourceStat {
  const read = new Map<string, Uint8Array>();
  // (a plain relative path is joined by concatenation: path.join normalises, per file of the project)
  const under = root.endsWith(sep) ? root : root + sep;
  const lstat = (rel: string): StatData | undefined => {
    try {
      const st = stat(PLAIN_REL.test(rel) ? under + rel : join(root, rel));
      return st && (st[0] & S_IFMT) === S_IFREG ? st : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    source: {
      ...base,
      read: async (rel) => {
        // stat before the read: a change after it makes the stat data differ next time (or racy)
        const st = lstat(rel);
        const bytes = await base.read(rel);
        if (bytes) {
          read.set(rel, bytes);
          const hash = contentHash(bytes);
          if (st && st[2] === bytes.byteLength && store.get(`f:${rel}`)?.toString() !== [hash, ...st].toString()) store.set(`f:${rel}`, [hash, ...st] satisfies MemoEntry);
          const oid = gitBlobId(bytes);
          rememberBlob(blobs, oid, hash);
        }
        return bytes;
      },
    },
    hashOf: (rel) => {
      const v = store.get(`f:${rel}`);
      if (!isEntry(v)) return undefined;
      const st = lstat(rel);
      return st && statClean(v, st, racyFrom) ? v[0] : undefined;
    },
    blobHash: (oid) => recallBlob(blobs, oid),
    readBytes: (rel) => read.get(rel),
    save: () => store.save(),
  };
}

/**
 * The memo of `root` (`.gitopsc/cache/worktree.json`); its racy limit is the file's mtime as it
 * was read. `blobs` is the run's `blobs.json` cache, saved by the caller.
 */
export function openSourceStat(root: string, base: ProjectSource, blobs: BlobHashMemo): SourceStat {
  let racyFrom: Time | undefined;
  try {
    const st = statOf(join(cacheDirOf(root), `${NAME}.json`), true);
    if (st) racyFrom = [st[3], st[4]];
  } catch {
    /* no memo: every file is read */
  }
  const cache = openFlatCache(root, NAME, `gitopsc-worktree ${VERSION}`);
  return sourceStat(root, base, cache, racyFrom, undefined, blobs);
}

/**
 * `.gitopsc/cache/blobs.json`: git blob id -> content hash of the project's own files (those
 * this memo read), shared by diff (a base revision's services by blob id) and publish: a flat
 * cache (openFlatCache). Format 3: the deployment trees' blobs and publish's state memo went to
 * their own files (an older file, which held them, is ignored once).
 */
export function openBlobMemo(root: string): JsonCache<unknown> {
  return openFlatCache(root, 'blobs', 'gitopsc-blobs 3');
}

/**
 * `.gitopsc/cache/tree-blobs.json`: git blob id -> content hash of the files of the deployment
 * trees publish listed or wrote (6,000 at 1,000 services x 3 environments), apart from the
 * project's (`diff` never reads these).
 */
export function openTreeBlobMemo(root: string): JsonCache<unknown> {
  return openFlatCache(root, 'tree-blobs', 'gitopsc-tree-blobs 1');
}
