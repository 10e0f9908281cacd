/**
 * publish's in-process tree building (src/git/objects.ts) against git's own: the same changes
 * applied through an index (`read-tree`, `hash-object -w`, `update-index`, `write-tree`, what
 * publish did before and still does where this cannot) give the same tree id, and the loose
 * objects written pass `git fsck`. Table-driven over git's entry order, nested and new
 * directories, directories left empty, modes kept, and the cases handed back to the index.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CatFile } from '../src/git/cat-file.js';
import { Git } from '../src/git/exec.js';
import { lsTree } from '../src/git/source.js';
import { changeTree, commitObject, parseTree, serializeTree, walkTree, writeLooseObjects } from '../src/git/objects.js';
import { gitObjectId } from '../src/core/hash.js';
import { beginDeployment, publish, type PublishOptions } from '../src/git/publish.js';
import type { CompileResult } from '../src/pipeline.js';
import { compileResult, git, isolateGit, makeRemote, tmp } from './helpers/git.js';

beforeAll(() => isolateGit());

/** A bare repository whose one commit holds the files (`mode` 755 and symlinks on request). */
function repo(files: Record<string, string>, extra: { exec?: string[]; links?: Record<string, string> } = {}): { bare: string; head: string } {
  const work = tmp();
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(work, p, '..'), { recursive: true });
    writeFileSync(join(work, p), c);
  }
  for (const p of extra.exec ?? []) chmodSync(join(work, p), 0o755);
  for (const [p, target] of Object.entries(extra.links ?? {})) symlinkSync(target, join(work, p));
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'base');
  const bare = tmp();
  git(bare, 'clone', '-q', '--bare', work, 'repo.git');
  const dir = join(bare, 'repo.git');
  return { bare: dir, head: git(dir, 'rev-parse', 'HEAD').trim() };
}

/** The tree git builds for the same change through a private index. */
function viaIndex(dir: string, head: string, writes: Record<string, string>, removes: string[]): string {
  const env = { ...process.env, GIT_INDEX_FILE: join(tmp(), 'index') };
  const run = (args: string[], input?: string) => execFileSync('git', args, { cwd: dir, env, input, encoding: 'utf8' });
  run(['read-tree', head]);
  const info: string[] = [];
  // every written file's blob by one `git hash-object -w` (the bytes as they are, as from stdin; one oid a line)
  const paths = Object.keys(writes);
  if (paths.length > 0) {
    const staged = tmp();
    const files = paths.map((p, i) => (writeFileSync(join(staged, String(i)), writes[p]!), join(staged, String(i))));
    const oids = run(['hash-object', '-w', '--no-filters', '--', ...files]).trim().split('\n');
    paths.forEach((p, i) => info.push(`100644 ${oids[i]}\t${p}`));
  }
  for (const p of removes) info.push(`0 ${'0'.repeat(40)}\t${p}`);
  run(['update-index', '-z', '--index-info'], info.join('\0') + '\0');
  return run(['write-tree']).trim();
}

async function inProcess(dir: string, head: string, writes: Record<string, string>, removes: string[]) {
  const cat = new CatFile(dir, process.env as Record<string, string>);
  try {
    const blobs = Object.entries(writes).map(([path, c]) => ({ path, bytes: Buffer.from(c), oid: gitObjectId('blob', Buffer.from(c)), type: 'blob' as const }));
    const r = await changeTree((t) => cat.tree(t), `${head}^{tree}`, new Map(blobs.map((b) => [b.path, b.oid])), removes);
    if (r) await writeLooseObjects(join(dir, 'objects'), [...blobs, ...r.objects]);
    return r;
  } finally {
    cat.close();
  }
}

const BASE = {
  'README.md': '# deploy\n',
  'dev/web/deployment.yaml': 'a: 1\n',
  'dev/web/service.yaml': 's: 1\n',
  'dev/api/deployment.yaml': 'b: 1\n',
  'prod/web/deployment.yaml': 'c: 1\n',
  // git's order: "a-b" < "a.b" < "a" (a tree sorts as "a/") < "a0" < "a_"
  'order/a-b': '1\n',
  'order/a.b': '2\n',
  'order/a/x': '3\n',
  'order/a0': '4\n',
  'order/a_': '5\n',
  'ünï/côdé.yaml': 'u: 1\n',
};

describe('changeTree (publish builds its tree in process)', () => {
  // one repository for the table (objects are content-addressed: the cases cannot disturb each other)
  let shared: { bare: string; head: string } | undefined;
  const sharedRepo = () => (shared ??= repo({ ...BASE, 'bin/run.sh': '#!/bin/sh\n' }, { exec: ['bin/run.sh'], links: { 'dev/link': 'web/deployment.yaml' } }));

  it.each<[string, Record<string, string>, string[]]>([
    ['one file changed', { 'dev/web/deployment.yaml': 'a: 2\n' }, []],
    ['files added in a new directory and beside a tree of the same prefix', { 'staging/web/deployment.yaml': 'n: 1\n', 'order/a.c': '6\n', 'order/a/y': '7\n', 'order/a1/z': '8\n' }, []],
    ['a file removed', {}, ['dev/web/service.yaml']],
    ['two new files with the same bytes (one object)', { 'dev/x/deployment.yaml': 'same\n', 'prod/x/deployment.yaml': 'same\n' }, []],
    ['every file of a directory removed: it goes, and its parent when empty', {}, ['dev/api/deployment.yaml', 'prod/web/deployment.yaml']],
    ['a path that is not there removed (a no-op)', {}, ['nope/x.yaml']],
    ['writes and removes at every depth, non-ASCII names', { 'README.md': '# new\n', 'ünï/côdé.yaml': 'u: 2\n', 'dev/web/hpa.yaml': 'h: 1\n' }, ['order/a-b', 'order/a/x']],
    ['the executable file and the symbolic link beside a change keep their modes', { 'dev/web/deployment.yaml': 'a: 3\n' }, []],
  ])('%s: the tree git would build, objects that pass fsck', async (_, writes, removes) => {
    const { bare, head } = sharedRepo();
    // written first (git's index then finds the objects there: fsck reads the ones written here)
    const got = await inProcess(bare, head, writes, removes);
    expect(() => git(bare, 'fsck', '--strict', '--no-dangling')).not.toThrow();
    expect(got?.tree).toBe(viaIndex(bare, head, writes, removes));
  });

  it('removing every file gives the empty tree, as git does', async () => {
    const { bare, head } = repo({ 'a/b.yaml': '1\n', 'c.yaml': '2\n' });
    const got = await inProcess(bare, head, {}, ['a/b.yaml', 'c.yaml']);
    expect(got?.tree).toBe(viaIndex(bare, head, {}, ['a/b.yaml', 'c.yaml']));
    expect(got?.tree).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['a file where a directory is', { 'dev/web': 'x\n' }, []],
    ['a directory where a file is', { 'README.md/x': 'x\n' }, []],
    ['a directory removed as if a file', {}, ['dev/web']],
  ])('%s: handed back (undefined), nothing written', async (_, writes, removes) => {
    const { bare, head } = sharedRepo();
    expect(await inProcess(bare, head, writes, removes)).toBeUndefined();
  });

  it('modes old tools wrote (100664, 040000) are made canonical in the trees written again, as git\'s index does', async () => {
    const { bare, head } = sharedRepo();
    const raw = (entries: [string, string, string][]) =>
      Buffer.concat(entries.map(([mode, name, oid]) => Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(oid, 'hex')])));
    const hashLiterally = (bytes: Buffer) => execFileSync('git', ['hash-object', '-t', 'tree', '-w', '--literally', '--stdin'], { cwd: bare, input: bytes, encoding: 'utf8' }).trim();
    const blob = git(bare, 'rev-parse', `${head}:README.md`).trim();
    const sub = hashLiterally(raw([['100664', 'x.yaml', blob]]));
    const top = hashLiterally(raw([['100664', 'a.yaml', blob], ['040000', 'old', sub], ['100644', 'z.yaml', blob]]));
    const commit = execFileSync('git', ['commit-tree', top, '-m', 'odd modes'], { cwd: bare, encoding: 'utf8' }).trim();
    for (const [writes, removes] of [[{ 'z.yaml': 'new\n' }, []], [{ 'old/y.yaml': 'new\n' }, ['old/x.yaml']]] as [Record<string, string>, string[]][]) {
      const got = await inProcess(bare, commit, writes, removes);
      expect(got?.tree).toBe(viaIndex(bare, commit, writes, removes));
    }
  });

  it('walkTree lists what ls-tree lists, in its order: regular files only (no link, no submodule), below a directory, non-ASCII names', async () => {
    const { bare, head } = sharedRepo();
    // a submodule entry (a gitlink) beside the files, and a file with an old tool's mode
    const env = { ...process.env, GIT_INDEX_FILE: join(tmp(), 'index') };
    const run = (args: string[]) => execFileSync('git', args, { cwd: bare, env, encoding: 'utf8' }).trim();
    run(['read-tree', head]);
    run(['update-index', '--add', '--cacheinfo', `160000,${head},dev/sub`]);
    const commit = run(['commit-tree', run(['write-tree']), '-p', head, '-m', 'with a submodule']);
    const cat = new CatFile(bare, process.env as Record<string, string>);
    try {
      const git = new Git(bare, process.env as Record<string, string>);
      for (const dir of ['', 'dev', 'order', 'ünï']) {
        const walked = await walkTree(cat, commit, dir);
        expect([dir, walked && [...walked]]).toEqual([dir, [...(await lsTree(git, commit, dir))]]);
      }
      expect([...(await walkTree(cat, commit, ''))!.keys()]).not.toContain('dev/sub');
      // not a directory there: handed back to ls-tree; so is a tree of more directories than it walks
      for (const dir of ['nope', 'README.md']) expect(await walkTree(cat, commit, dir)).toBeUndefined();
      expect(await walkTree(cat, commit, '', 3)).toBeUndefined();
      expect(await walkTree(cat, commit, 'dev', 3)).toBeDefined();
    } finally {
      cat.close();
    }
  });

  it('walkTree of a malformed tree reads nothing of it and leaves no rejection unhandled (ls-tree has the say)', async () => {
    const { bare, head } = sharedRepo();
    const blob = git(bare, 'rev-parse', `${head}:README.md`).trim();
    // a tree entry naming a blob, then an entry cut short
    const bytes = Buffer.concat([Buffer.from('40000 sub\0'), Buffer.from(blob, 'hex'), Buffer.from('100644 zz')]);
    const tree = execFileSync('git', ['hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], { cwd: bare, input: bytes, encoding: 'utf8' }).trim();
    const commit = git(bare, 'commit-tree', tree, '-m', 'malformed').trim();
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const cat = new CatFile(bare, process.env as Record<string, string>);
    try {
      expect(await walkTree(cat, commit, '')).toBeUndefined();
      // every read asked for so far has been answered (one process, answers in order), and the turn is over
      await cat.blob(blob);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      cat.close();
    }
  });

  it('writeLooseObjects freshens an object it finds already written, as git does (a gc running meanwhile keeps it)', async () => {
    const { bare } = sharedRepo();
    const bytes = Buffer.from(`freshen ${process.pid} ${Date.now()}\n`);
    const blob = { oid: gitObjectId('blob', bytes), type: 'blob' as const, bytes };
    await writeLooseObjects(join(bare, 'objects'), [blob]);
    const file = join(bare, 'objects', blob.oid.slice(0, 2), blob.oid.slice(2));
    expect(git(bare, 'cat-file', '-p', blob.oid)).toBe(bytes.toString());
    // an old unreachable object, as `git prune --expire=2.weeks.ago` would remove it
    const old = new Date('2001-01-01T00:00:00Z');
    utimesSync(file, old, old);
    const before = Date.now();
    await writeLooseObjects(join(bare, 'objects'), [blob]);
    expect(statSync(file).mtimeMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(git(bare, 'cat-file', '-p', blob.oid)).toBe(bytes.toString());
  });

  it('parseTree and serializeTree round-trip a tree git wrote', async () => {
    const { bare, head } = sharedRepo();
    const cat = new CatFile(bare, process.env as Record<string, string>);
    try {
      for (const t of [`${head}^{tree}`, `${head}:order`, `${head}:ünï`]) {
        const bytes = await cat.tree(t);
        expect(Buffer.from(serializeTree(parseTree(bytes))).equals(Buffer.from(bytes))).toBe(true);
        // written from the fields (as a changed entry is), not from the bytes read
        expect(Buffer.from(serializeTree(parseTree(bytes).map(({ mode, name, oid }) => ({ mode, name, oid })))).equals(Buffer.from(bytes))).toBe(true);
      }
      await expect(cat.tree(`${head}:README.md`)).rejects.toThrow(/not a tree/);
    } finally {
      cat.close();
    }
  });
});

describe('publish --push to a bare repository, read ahead and built in process', () => {
  const source = { url: 'https://example.com/acme/source.git', commit: 'a'.repeat(40) };
  const input = (result: CompileResult) => ({ result, environments: result.environments, source });

  it('gives the commit tree a publish through an index gives, below --path too, round after round', async () => {
    const files = { 'README.md': '# deploy\n', 'clusters/eu/keep.txt': 'hand-written\n', 'clusters/us/dev/x/deployment.yaml': 'other\n' };
    const ahead = makeRemote(files).bare;
    const plain = makeRemote(files).bare;
    const rounds: Record<string, Record<string, string>>[] = [
      { checkout: { dev: '1.0.0', prod: '1.0.0' }, cart: { dev: '2.0.0' } },
      { checkout: { dev: '1.1.0', prod: '1.0.0' } }, // one file changed, a service removed (its directory goes)
    ];
    const work = tmp();
    git(work, 'clone', '-q', plain, 'w');
    // a working clone whose config asks git to write its objects (any core.fsyncObjectFiles):
    // publish goes through a private index there, not in process
    git(join(work, 'w'), 'config', 'core.fsyncObjectFiles', 'false');
    for (const services of rounds) {
      const result = compileResult(services);
      const opts = (repo: string): PublishOptions => ({ repo, push: true, path: 'clusters/eu', cwd: process.cwd(), env: process.env, lockTimeoutMs: 5_000 });
      // read ahead (beginDeployment: clone, branches and the tip's listing while the caller compiles), the tree built in process
      const a = await publish(input(result), opts(ahead), beginDeployment(opts(ahead)));
      expect(a.diagnostics).toEqual([]);
      expect(a.pushed).toBe(true);
      // the reference: a plain publish whose tree goes through git's index (a local working clone)
      const b = await publish(input(result), { ...opts(join(work, 'w')), push: true });
      expect(b.diagnostics).toEqual([]);
      expect(git(ahead, 'rev-parse', 'main^{tree}')).toBe(git(plain, 'rev-parse', 'main^{tree}'));
      expect(a.files).toEqual(b.files);
    }
    expect(git(ahead, 'ls-tree', '-r', '--name-only', 'main')).toContain('clusters/eu/keep.txt');
    expect(git(ahead, 'ls-tree', '-r', '--name-only', 'main')).not.toContain('clusters/eu/dev/cart/deployment.yaml');
    expect(() => git(ahead, 'fsck', '--strict', '--no-dangling')).not.toThrow();
  });

  it('a listing read ahead for another --path is not used', async () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const result = compileResult({ checkout: { dev: '1.0.0' } });
    const opts: PublishOptions = { repo: bare, push: true, path: 'a', cwd: process.cwd(), env: process.env, lockTimeoutMs: 5_000 };
    expect((await publish(input(result), opts)).pushed).toBe(true);
    // opened for --path b: same repository and branch, so the clone is reused, the listing is not
    const r = await publish(input(compileResult({ checkout: { dev: '1.1.0' } })), opts, beginDeployment({ ...opts, path: 'b' }));
    expect(r.diagnostics).toEqual([]);
    expect(r.files.map((f) => `${f.status} ${f.path}`)).toEqual(['changed dev/checkout/deployment.yaml']);
    expect(git(bare, 'ls-tree', '-r', '--name-only', 'main').split('\n').filter((p) => p.startsWith('b/'))).toEqual([]);
  });
});

describe('commitObject', () => {
  // what a publish's --message and --author may hold, as people and bots (Flux's) write them
  const cases: [string, { name: string; email: string }, string][] = [
    ['no final newline', { name: 'Deploy Bot', email: 'bot@example.com' }, 'x'],
    ['CRLF lines', { name: 'fluxcdbot', email: 'fluxcdbot@users.noreply.github.com' }, 'a\r\nb\r\n'],
    ['blank lines at the end', { name: 'José Álvarez', email: 'jose@example.es' }, 'trailing\n\n\n'],
    ['a comment line kept', { name: 'Jane Q. Doe', email: 'jane@example.com' }, '# comment\nbody\n'],
    ['trailers', { name: 'CI (prod)', email: 'ci@example.com' }, 'deploy checkout to dev\n\nGitopsc-Source: https://example.com/a.git@abc\n'],
  ];
  // one repository for the table (objects are content-addressed: the cases cannot disturb each other)
  let shared: { bare: string; tree: string; parent: string } | undefined;
  const sharedRepo = () => {
    if (shared) return shared;
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const [tree, parent] = git(bare, 'rev-parse', 'main^{tree}', 'main').trim().split('\n') as [string, string];
    return (shared = { bare, tree, parent });
  };
  it.each(cases)('is the object `git commit-tree` writes: %s', (_, author, message) => {
    const { bare, tree, parent } = sharedRepo();
    const c = commitObject({ tree, parents: [parent], author, when: new Date(1_765_000_000_123), message });
    const env = { ...process.env, GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email, GIT_AUTHOR_DATE: '@1765000000', GIT_COMMITTER_DATE: '@1765000000' };
    const oid = execFileSync('git', ['commit-tree', tree, '-p', parent], { cwd: bare, env, input: message, encoding: 'utf8' }).trim();
    expect(c.oid).toBe(oid);
    expect(Buffer.from(c.bytes).equals(execFileSync('git', ['cat-file', 'commit', oid], { cwd: bare }))).toBe(true);
  });
});
