/**
 * A commit's new tree built from git objects in Node, for a temporary bare clone that only this
 * publish uses: the trees on the way to each changed path are read (one `git cat-file --batch`),
 * changed, and written back with the new blobs as loose objects. This does what `read-tree`,
 * `hash-object -w`, `update-index` and `write-tree` do over a private index, without their four
 * processes or an index of every file in the repository. SHA-1 repositories only; any case it
 * does not handle (a file where a directory must go, or the reverse) answers undefined and the
 * caller builds the tree through an index as before.
 */
import { mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { gitObjectId } from '../core/hash.js';
import type { CatFile } from './cat-file.js';
import { GitError } from './exec.js';

const TREE_MODE = '40000';

/** One entry of a tree object; `name` holds the name's bytes as a latin1 string (git names are bytes). */
export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
  /** the entry's bytes as read (written back as they are) */
  raw?: Uint8Array;
}

/** Git's binary tree format: `<mode> SP <name> NUL <20-byte id>` per entry. */
export function parseTree(bytes: Uint8Array): TreeEntry[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: TreeEntry[] = [];
  let at = 0;
  while (at < b.length) {
    const sp = b.indexOf(0x20, at);
    const nul = b.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 21 > b.length) throw new Error('malformed tree object');
    out.push({ mode: b.toString('latin1', at, sp), name: b.toString('latin1', sp + 1, nul), oid: b.toString('hex', nul + 1, nul + 21), raw: b.subarray(at, nul + 21) });
    at = nul + 21;
  }
  return out;
}

/** Whether an entry is a tree, by its mode as git reads it (octal; `40000`, or `040000` as some old tools wrote it). */
function isTree(e: TreeEntry | undefined): boolean {
  return e !== undefined && (Number.parseInt(e.mode, 8) & 0o170000) === 0o040000;
}

/** The mode git's index gives an entry of a tree it writes again (`create_ce_mode`): odd modes of old tools made canonical. */
function canonical(e: TreeEntry): TreeEntry {
  const m = Number.parseInt(e.mode, 8);
  const kind = m & 0o170000;
  const mode = kind === 0o040000 ? TREE_MODE : kind === 0o120000 ? '120000' : kind === 0o160000 ? '160000' : m & 0o100 ? '100755' : '100644';
  return mode === e.mode ? e : { mode, name: e.name, oid: e.oid };
}

/** The modes git writes in a tree (`create_ce_mode`, and trees): a tree holding only these is written back byte for byte. */
const CANONICAL_MODES = new Set([TREE_MODE, '100644', '100755', '120000', '160000']);

/** One tree entry's bytes: `<mode> SP <name> NUL <20-byte id>` (`name` as latin1 of its bytes). */
function entryBytes(mode: string, name: string, oid: string): Buffer {
  const out = Buffer.allocUnsafe(mode.length + 1 + name.length + 1 + 20);
  let at = out.write(`${mode} ${name}\0`, 0, 'latin1');
  at += out.write(oid, at, 'hex');
  if (at !== out.length) throw new Error('tree entry with a malformed id');
  return out;
}

/** Git's order of tree entries: by name bytes, a tree's name as if it ended in `/`. */
function sortKey(e: TreeEntry): string {
  return isTree(e) ? `${e.name}/` : e.name;
}

export function serializeTree(entries: readonly TreeEntry[]): Uint8Array {
  const sorted = entries.map((e) => [sortKey(e), e] as const).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)); // latin1 strings: UTF-16 order is byte order
  // one buffer (a directory of a thousand services is one tree of a thousand entries)
  let size = 0;
  for (const [, e] of sorted) size += e.mode.length + 1 + e.name.length + 1 + 20;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [, e] of sorted) {
    if (e.raw) {
      out.set(e.raw, at);
      at += e.raw.byteLength;
      continue;
    }
    at += out.write(`${e.mode} ${e.name}\0`, at, 'latin1');
    at += out.write(e.oid, at, 'hex');
  }
  if (at !== size) throw new Error('tree entry with a malformed id');
  return out;
}

export interface NewObject {
  oid: string;
  type: 'blob' | 'tree' | 'commit';
  bytes: Uint8Array;
}

interface Changes {
  /** name -> blob id to write (100644), or null to remove */
  files: Map<string, string | null>;
  dirs: Map<string, Changes>;
}

/**
 * The tree `root` (a tree-ish: `<commit>^{tree}`, or undefined for none) with `writes` (path ->
 * blob id, mode 100644) and `removes` applied; a directory left empty goes. Paths are
 * `/`-separated. Undefined when a change needs a file where a directory is, or the reverse.
 */
export async function changeTree(
  readTree: (treeish: string) => Promise<Uint8Array>,
  root: string | undefined,
  writes: ReadonlyMap<string, string>,
  removes: readonly string[],
): Promise<{ tree: string; objects: NewObject[] } | undefined> {
  const top: Changes = { files: new Map(), dirs: new Map() };
  const add = (path: string, oid: string | null) => {
    const parts = Buffer.from(path, 'utf8').toString('latin1').split('/');
    let node = top;
    for (const dir of parts.slice(0, -1)) {
      let next = node.dirs.get(dir);
      if (!next) node.dirs.set(dir, (next = { files: new Map(), dirs: new Map() }));
      node = next;
    }
    node.files.set(parts[parts.length - 1]!, oid);
  };
  for (const p of removes) add(p, null);
  for (const [p, oid] of writes) add(p, oid);
  const objects: NewObject[] = [];
  const conflict = Symbol('conflict');
  /** the new tree's id, '' when it is empty */
  const rebuild = async (treeish: string | undefined, changes: Changes): Promise<string | typeof conflict> => {
    const read = treeish ? await readTree(treeish) : undefined;
    if (read) {
      const spliced = await splice(read, changes);
      if (spliced !== undefined) return spliced;
    }
    const entries = new Map((read ? parseTree(read) : []).map((e) => [e.name, e]));
    for (const [name, oid] of changes.files) {
      const old = entries.get(name);
      if (isTree(old) || changes.dirs.has(name)) return conflict;
      if (oid === null) entries.delete(name);
      else entries.set(name, { mode: '100644', name, oid });
    }
    const subs = await Promise.all(
      [...changes.dirs].map(async ([name, sub]) => {
        const old = entries.get(name);
        if (old && !isTree(old)) return conflict;
        return [name, await rebuild(old?.oid, sub)] as const;
      }),
    );
    for (const s of subs) {
      if (s === conflict || s[1] === conflict) return conflict;
      const [name, oid] = s;
      if (oid === '') entries.delete(name);
      else entries.set(name, { mode: TREE_MODE, name, oid });
    }
    if (entries.size === 0) return '';
    const bytes = serializeTree([...entries.values()].map(canonical));
    const oid = gitObjectId('tree', bytes);
    objects.push({ oid, type: 'tree', bytes });
    return oid;
  };
  /** the new tree id, '' when it is empty */
  const finish = (out: Buffer): string => {
    if (out.length === 0) return '';
    const oid = gitObjectId('tree', out);
    objects.push({ oid, type: 'tree', bytes: out });
    return oid;
  };
  /**
   * The common case without parsing the whole tree: every change replaces or removes an entry
   * of the same kind that is there (a file by a file, a directory by a directory), and every
   * entry's mode is one git writes (so rewriting through an index would keep every other entry's
   * bytes). Git's order is then kept by replacing in place. Undefined: the general way.
   */
  const splice = async (bytes: Uint8Array, changes: Changes): Promise<string | typeof conflict | undefined> => {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const found = new Map<string, { start: number; end: number; tree: boolean; oid: string }>();
    const wanted = (name: string) => changes.files.has(name) || changes.dirs.has(name);
    let prev = '';
    for (let at = 0; at < b.length; ) {
      const sp = b.indexOf(0x20, at);
      const nul = sp < 0 ? -1 : b.indexOf(0, sp + 1);
      if (sp < 0 || nul < 0 || nul + 21 > b.length) throw new Error('malformed tree object');
      const mode = b.toString('latin1', at, sp);
      if (!CANONICAL_MODES.has(mode)) return undefined;
      const name = b.toString('latin1', sp + 1, nul);
      // in git's order, without duplicates (else rewriting through an index would sort them)
      const key = mode === TREE_MODE ? `${name}/` : name;
      if (!(prev < key)) return undefined;
      prev = key;
      if (wanted(name)) found.set(name, { start: at, end: nul + 21, tree: mode === TREE_MODE, oid: b.toString('hex', nul + 1, nul + 21) });
      at = nul + 21;
    }
    for (const [name, oid] of changes.files) {
      const old = found.get(name);
      if (changes.dirs.has(name) || (old ? old.tree : oid !== null)) return undefined; // a conflict or an addition
    }
    for (const name of changes.dirs.keys()) if (!found.get(name)?.tree) return undefined;
    const replaced = new Map<number, { end: number; entry?: Buffer }>();
    for (const [name, oid] of changes.files) {
      const old = found.get(name);
      if (old) replaced.set(old.start, { end: old.end, entry: oid === null ? undefined : entryBytes('100644', name, oid) });
    }
    const subs = await Promise.all([...changes.dirs].map(async ([name, sub]) => [name, await rebuild(found.get(name)!.oid, sub)] as const));
    for (const [name, oid] of subs) {
      if (oid === conflict) return conflict;
      const old = found.get(name)!;
      replaced.set(old.start, { end: old.end, entry: oid === '' ? undefined : entryBytes(TREE_MODE, name, oid) });
    }
    const parts: Buffer[] = [];
    let from = 0;
    for (const start of [...replaced.keys()].sort((x, y) => x - y)) {
      const r = replaced.get(start)!;
      parts.push(b.subarray(from, start));
      if (r.entry) parts.push(r.entry);
      from = r.end;
    }
    parts.push(b.subarray(from));
    return finish(Buffer.concat(parts));
  };
  const tree = await rebuild(root, top);
  if (tree === conflict) return undefined;
  // the empty tree has a well-known id (git knows it without the object; it is written anyway)
  if (tree === '') {
    const bytes = new Uint8Array(0);
    const oid = gitObjectId('tree', bytes);
    objects.push({ oid, type: 'tree', bytes });
    return { tree: oid, objects };
  }
  return { tree, objects };
}

/**
 * Whether git writes this identity as it is (ident.c strbuf_addstr_without_crud): no "crud" (a
 * control character, space, `.,:;<>"\\'`) at either end of the name or the email, and no `<`,
 * `>` or newline inside. Anything else goes through `git commit-tree`.
 */
export function plainIdent(who: { name: string; email: string }): boolean {
  const crud = (ch: string) => ch.charCodeAt(0) <= 32 || '.,:;<>"\\\''.includes(ch);
  const plain = (s: string) => s !== '' && !crud(s[0]!) && !crud(s[s.length - 1]!) && !/[<>\n]/.test(s);
  return plain(who.name) && plain(who.email);
}

/**
 * The commit object `git commit-tree <tree> [-p <parent>]... -F <message>` writes with
 * GIT_AUTHOR_* and GIT_COMMITTER_* set to `author`, unsigned, in a repository whose commit
 * encoding is UTF-8: the message as it is, the time in seconds with the local offset as git
 * prints it (`+0530`). The caller checks the conditions (plainIdent, the config).
 */
export function commitObject(c: { tree: string; parents: readonly string[]; author: { name: string; email: string }; when: Date; message: string }): NewObject {
  const seconds = Math.floor(c.when.getTime() / 1000);
  const east = -new Date(seconds * 1000).getTimezoneOffset();
  const abs = Math.abs(east);
  const zone = `${east < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  const ident = `${c.author.name} <${c.author.email}> ${seconds} ${zone}`;
  const text = `tree ${c.tree}\n${c.parents.map((p) => `parent ${p}\n`).join('')}author ${ident}\ncommitter ${ident}\n\n${c.message}`;
  const bytes = Buffer.from(text, 'utf8');
  return { oid: gitObjectId('commit', bytes), type: 'commit', bytes };
}

/** Write objects as loose objects of the repository whose object directory is `objectsDir` (each atomically; one already there is kept, its time made now). */
let tmpSeq = 0;

export async function writeLooseObjects(objectsDir: string, objects: readonly NewObject[]): Promise<void> {
  // two files with the same bytes are one object
  const unique = [...new Map(objects.map((o) => [o.oid, o])).values()];
  await Promise.all(
    unique.map(async (o) => {
      const dir = join(objectsDir, o.oid.slice(0, 2));
      const file = join(dir, o.oid.slice(2));
      // one already there is freshened, as git does (freshen_loose_object): an old unreachable
      // object the new tree names must not look prunable to a gc running meanwhile; one that
      // cannot be freshened (not ours) is kept as it is. An object only in a pack is written
      // loose again (git freshens the pack file instead): as safe from a prune
      const now = new Date();
      if (await utimes(file, now, now).then(() => true, (e: NodeJS.ErrnoException) => e.code !== 'ENOENT' && e.code !== 'ENOTDIR')) return;
      const tmp = join(dir, `tmp_obj_gitopsc_${process.pid}_${tmpSeq++}`);
      const body = Buffer.concat([Buffer.from(`${o.type} ${o.bytes.byteLength}\0`), o.bytes]);
      try {
        await mkdir(dir, { recursive: true });
        await writeFile(tmp, deflateSync(body), { mode: 0o444 });
        await rename(tmp, file);
      } catch (e) {
        await rm(tmp, { force: true }).catch(() => undefined);
        throw objectWriteError(objectsDir, o.oid, e);
      }
    }),
  );
}

/**
 * A write into the object database that failed, as the git process that would have written the
 * object reports it (GitError: the publish's diagnostic is GIT, as through `git hash-object -w`,
 * `update-index` or `commit-tree`), in git's words for a permission error.
 */
function objectWriteError(objectsDir: string, oid: string, e: unknown): GitError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? `insufficient permission for adding an object to repository database ${objectsDir}`
      : `unable to write loose object ${oid}: ${e instanceof Error ? e.message : String(e)}`;
  return new GitError(`writing object ${oid} failed: ${why}`, ['hash-object', '-w'], `error: ${why}\n`, 128);
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
  let trees = 1;
  /** a tree's files in order, a subtree's place held by the promise of its files */
  const walk = async (bytes: Uint8Array, at: string): Promise<[string, string][]> => {
    // counted before anything is parsed (a large tree costs no more than its scan)
    trees += subtrees(bytes);
    if (trees > maxTrees) throw new Error('a large tree');
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // a file, or the index of a subtree's files in `subs`
    const out: ([string, string] | number)[] = [];
    // the subtrees' paths and ids: read once the whole tree has parsed (a malformed entry after
    // one would otherwise leave its read's rejection unhandled)
    const dirs: [string, string][] = [];
    for (let i = 0; i < b.length; ) {
      const sp = b.indexOf(0x20, i);
      const nul = sp < 0 ? -1 : b.indexOf(0, sp + 1);
      if (sp < 0 || nul < 0 || nul + 21 > b.length) throw new Error('malformed tree object');
      const kind = Number.parseInt(b.toString('latin1', i, sp), 8) & S_IFMT;
      const path = at + b.toString('utf8', sp + 1, nul);
      const oid = b.toString('hex', nul + 1, nul + 21);
      i = nul + 21;
      if (kind === S_IFDIR) {
        out.push(dirs.length);
        dirs.push([path, oid]);
      } else if (kind !== S_IFLNK && kind !== S_IFGITLINK) out.push([path, oid]); // regular files only, as lsTree keeps them
    }
    if (dirs.length === 0) return out as [string, string][];
    const done = await Promise.all(dirs.map(([path, oid]) => catFile.tree(oid).then((t) => walk(t, `${path}/`))));
    const flat: [string, string][] = [];
    for (const e of out) {
      if (typeof e === 'number') for (const f of done[e]!) flat.push(f);
      else flat.push(e);
    }
    return flat;
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
