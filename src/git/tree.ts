/**
 * A revision's tree below a directory as an output tree (src/build/tree-types.ts's
 * OutputTree, structurally): what `publish` plans its writes against. Listing is one
 * `git ls-tree -r`; blobs are read through one `git cat-file --batch`. Files are compared by
 * the one content hash (src/core/hash.ts); a blob id only names what was hashed before, so a
 * memo from blob id to content hash spares reading unchanged files again.
 */
import { error, type Diagnostic } from '../core/diagnostics.js';
import { contentHash } from '../core/hash.js';
import { CatFile } from './cat-file.js';
import type { Git } from './exec.js';
import { walkTree } from './objects.js';
import { lsTree } from './source.js';

/** blob id -> content hash (a JsonCache from src/cache/store.ts fits) */
export interface BlobHashMemo {
  get(oid: string): unknown;
  set(oid: string, hash: string): void;
}

export interface GitTree {
  describe: string;
  /** path (relative to the directory) -> blob id, every regular file */
  oids: ReadonlyMap<string, string>;
  /** content hashes of the files (those `only` keeps, default all), or a problem */
  hashes(only?: (path: string) => boolean): Promise<{ files: Map<string, string> } | { problem: Diagnostic }>;
  read(path: string): Promise<string | undefined>;
  bytes(path: string): Promise<Uint8Array | undefined>;
}

export interface GitTreeOptions {
  memo?: BlobHashMemo;
  catFile?: CatFile;
  /** the listing of `commit` below the directory, read ahead (`lsTree`); listed again if it failed */
  listing?: Promise<Map<string, string>>;
}

const MEMO_PREFIX = 'blob:';

/**
 * Remember the content hash of a blob written from bytes in hand (the next read of a tree
 * holding it need not read it). A pair the memo holds already is not set again: a publish of
 * blobs written before leaves the memo (and its file) as it is.
 */
export function rememberBlob(memo: BlobHashMemo | undefined, oid: string, hash: string): void {
  if (memo && memo.get(MEMO_PREFIX + oid) !== hash) memo.set(MEMO_PREFIX + oid, hash);
}

/** The content hash remembered for a blob, or undefined. */
export function recallBlob(memo: BlobHashMemo | undefined, oid: string): string | undefined {
  const known = memo?.get(MEMO_PREFIX + oid);
  return typeof known === 'string' ? known : undefined;
}

/** The tree of `commit` below `dir` (`''`: the top); an absent commit is an empty tree. */
export async function gitTree(git: Git, commit: string | undefined, dir: string, opts: GitTreeOptions = {}): Promise<GitTree> {
  const blobs = opts.catFile ?? new CatFile(git.cwd, git.env);
  const oids = !commit
    ? new Map<string, string>()
    : opts.listing
      ? await opts.listing.catch(() => lsTree(git, commit, dir))
      : ((await walkTree(blobs, commit, dir)) ?? (await lsTree(git, commit, dir)));
  const dec = new TextDecoder();
  const bytes = (path: string): Promise<Uint8Array | undefined> => {
    const oid = oids.get(path);
    return oid ? blobs.blob(oid) : Promise.resolve(undefined);
  };
  const describe = `${commit ? commit.slice(0, 7) : '(empty)'}${dir ? `:${dir}` : ''}`;
  return {
    describe,
    oids,
    bytes,
    read: async (path) => {
      const b = await bytes(path);
      return b === undefined ? undefined : dec.decode(b);
    },
    hashes: async (only) => {
      const files = new Map<string, string>();
      const misses: [string, string][] = [];
      for (const [path, oid] of oids) {
        if (only && !only(path)) continue;
        const known = recallBlob(opts.memo, oid);
        if (known !== undefined) files.set(path, known);
        else misses.push([path, oid]);
      }
      let datas: Uint8Array[];
      try {
        datas = await Promise.all(misses.map(([, oid]) => blobs.blob(oid)));
      } catch (e) {
        return { problem: error('GIT', `cannot read ${describe}: ${e instanceof Error ? e.message : String(e)}`, { reason: 'command-failed' }) };
      }
      misses.forEach(([path, oid], i) => {
        const h = contentHash(datas[i]!);
        files.set(path, h);
        rememberBlob(opts.memo, oid, h);
      });
      return { files };
    },
  };
}
