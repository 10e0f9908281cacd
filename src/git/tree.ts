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
import { parseTree } from './objects.js';
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

/**
 * What `lsTree(git, commit, dir)` lists (a SHA-1 commit's regular files below `dir`, relative to
 * it, with their blob ids, in the same order: git's, depth first), read as tree objects through
 * the cat-file process the tree's blobs are read through anyway, instead of an `ls-tree`
 * process; undefined when it cannot be read that way (`dir` absent or not a tree, another
 * object format, any failure) or holds more than `maxTrees` directories (one tree read each costs
 * more than `ls-tree`'s one process from a few dozen on): the caller lists with `ls-tree`.
 */
export async function walkTree(catFile: CatFile, commit: string, dir: string, maxTrees = WALK_MAX_TREES): Promise<Map<string, string> | undefined> {
  if (!/^[0-9a-f]{40}$/.test(commit)) return undefined;
  const dec = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');
  let trees = 1;
  const walk = async (bytes: Uint8Array, at: string): Promise<[string, string][]> => {
    // counted before anything is parsed (a large tree costs no more than its scan)
    trees += subtrees(bytes);
    if (trees > maxTrees) throw new Error('a large tree');
    const parts = await Promise.all(
      parseTree(bytes).map(async (e): Promise<[string, string][]> => {
        const kind = Number.parseInt(e.mode, 8) & S_IFMT;
        const path = at + dec(e.name);
        if (kind === S_IFDIR) return walk(await catFile.tree(e.oid), `${path}/`);
        // regular files only: no symbolic links, no submodules (as lsTree keeps them)
        return kind === S_IFLNK || kind === S_IFGITLINK ? [] : [[path, e.oid]];
      }),
    );
    return parts.flat();
  };
  try {
    const top = dir ? (await catFile.namedTree(`${commit}:${dir}`)).bytes : await catFile.tree(`${commit}^{tree}`);
    return new Map(await walk(top, ''));
  } catch {
    return undefined;
  }
}

/** How many entries of a tree object are trees (mode `40000`, or `040000` as old tools wrote it), by a scan of its bytes. */
function subtrees(b: Uint8Array): number {
  let n = 0;
  for (let at = 0; at < b.length; ) {
    let m = at;
    if (b[m] === 0x30) m++; // 040000
    if (b[m] === 0x34 && b[m + 1] === 0x30 && b[m + 2] === 0x30 && b[m + 3] === 0x30 && b[m + 4] === 0x30 && b[m + 5] === 0x20) n++;
    const nul = b.indexOf(0, at);
    if (nul < 0) break;
    at = nul + 21;
  }
  return n;
}

/** the most directories walkTree reads (measured: 3,000 trees walked cost ~280 ms of CPU where `ls-tree` costs ~60) */
const WALK_MAX_TREES = 64;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFGITLINK = 0o160000;

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
