/**
 * `publish --push` to a local bare repository: instead of `git clone`, a temporary bare
 * repository of its own whose objects are the deployment repository's (objects/info/alternates,
 * as `git clone --shared` makes), holding only the published branch (src/git/deployment.ts
 * sharedClone). It publishes what a real clone publishes, and falls back to a clone where it
 * does not fit (an empty repository, a new branch, a repository format with extensions).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCommitConfig, parseRepoConfig, readBranchRef, repoConfig } from '../src/git/deployment.js';
import { cleanGitEnv } from '../src/git/env.js';
import { Git } from '../src/git/exec.js';
import { readHead, readRefFile } from '../src/git/refs.js';
import { plainIdent } from '../src/git/objects.js';
import { contentHash, sha256Hex } from '../src/core/hash.js';
import { serializeRecord } from '../src/write/ownership.js';
import { nextState, serializeState, STATE_FILE } from '../src/git/state.js';
import { publish, type PublishOptions } from '../src/git/publish.js';
import type { CompileResult } from '../src/pipeline.js';
import { compileResult, git, head, isolateGit, makeRemote, tmp } from './helpers/git.js';

beforeAll(() => isolateGit());

const source = { url: 'https://example.com/acme/gitops-source.git', commit: 'a'.repeat(40) };

interface Seen {
  alternates: boolean;
  refs: string;
  head: string;
}

/** The temporary repository a publish pushes from: whether it borrows objects, its refs, and the branch its HEAD names (the HEAD file as git wrote it: a bare repository's HEAD is always symbolic there) */
function inspect(dir: string): Seen {
  const symbolic = /^ref: (\S+)\n$/.exec(readFileSync(join(dir, 'HEAD'), 'utf8'));
  return { alternates: existsSync(join(dir, 'objects/info/alternates')), refs: git(dir, 'for-each-ref', '--format=%(refname)').trim(), head: symbolic?.[1] ?? 'not symbolic' };
}

function run(result: CompileResult, opts: Partial<PublishOptions> & { repo: string }, seen: Seen[], whilePushing?: (attempt: number) => Promise<void>) {
  return publish(
    { result, environments: result.environments, source, whilePushing },
    {
      cwd: process.cwd(),
      env: process.env,
      lockTimeoutMs: 5_000,
      push: true,
      beforePush: async (_attempt, dir) => {
        seen.push(inspect(dir));
      },
      ...opts,
    },
  );
}

describe('publish --push to a local bare repository without a clone', () => {
  it('publishes through a shared temporary repository holding only the branch, as a clone does, and retries a rejected push', async () => {
    const { bare, work } = makeRemote({ 'README.md': '# deploy\n' });
    git(work, 'push', '-q', 'origin', 'main:env/dev', 'main:other');
    const seen: Seen[] = [];
    const pushes: number[] = [];
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), {
      repo: bare,
      branch: 'env/dev',
      beforePush: async (attempt, dir) => {
        seen.push(inspect(dir));
        if (attempt === 1) {
          // someone else moves the branch: the push is rejected, fetched and retried
          git(work, 'fetch', '-q', 'origin');
          git(work, 'checkout', '-q', '-b', 'dev-side', 'origin/env/dev');
          writeFileSync(join(work, 'README.md'), '# moved\n');
          git(work, 'commit', '-q', '-am', 'someone else');
          git(work, 'push', '-q', 'origin', 'dev-side:env/dev');
        }
      },
    }, seen, async (attempt) => {
      // while git pushes (the caller saves its caches then): once per attempt
      pushes.push(attempt);
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.pushed).toBe(true);
    expect(r.attempts).toBe(2);
    expect(pushes).toEqual([1, 2]);
    expect(seen[0]).toEqual({ alternates: true, refs: 'refs/heads/env/dev', head: 'refs/heads/env/dev' });
    expect(head(bare, 'env/dev')).toBe(r.commit);
    expect(git(bare, 'log', '--format=%s', 'env/dev').trim().split('\n')).toEqual(['gitopsc: checkout 1.0.0 in dev', 'someone else', 'initial']);
    expect(git(bare, 'show', 'env/dev:dev/checkout/deployment.yaml')).toContain('checkout:1.0.0@');
    expect(head(bare, 'other')).toBe(head(bare, 'main'));
    expect(() => git(bare, 'fsck', '--strict', '--no-dangling')).not.toThrow();

    // the default branch (the repository's HEAD), then nothing to publish
    const seen2: Seen[] = [];
    const m = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo: bare }, seen2);
    expect(m.diagnostics).toEqual([]);
    expect(m.branch).toBe('main');
    expect(seen2[0]).toEqual({ alternates: true, refs: 'refs/heads/main', head: 'refs/heads/main' });
    expect(head(bare, 'main')).toBe(m.commit);
    const again = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo: bare }, []);
    expect(again.diagnostics).toEqual([]);
    expect(again.committed).toBe(false);
    expect(() => git(bare, 'fsck', '--strict', '--no-dangling')).not.toThrow();
  });

  it('the same commit tree as a publish from a real clone (a file:// URL)', async () => {
    const a = makeRemote({ 'README.md': '# deploy\n' }).bare;
    const b = makeRemote({ 'README.md': '# deploy\n' }).bare;
    const rounds: Record<string, Record<string, string>>[] = [{ checkout: { dev: '1.0.0', prod: '1.0.0' } }, { checkout: { dev: '1.1.0' }, cart: { dev: '2.0.0' } }];
    for (const services of rounds) {
      const seen: Seen[] = [];
      const x = await run(compileResult(services), { repo: a, path: 'clusters/eu' }, seen);
      const y = await run(compileResult(services), { repo: `file://${b}`, path: 'clusters/eu' }, []);
      expect([x.diagnostics, y.diagnostics]).toEqual([[], []]);
      expect(seen[0]?.alternates).toBe(true);
      expect(x.files).toEqual(y.files);
      expect(git(a, 'rev-parse', 'main^{tree}')).toBe(git(b, 'rev-parse', 'main^{tree}'));
    }
  });

  it('clones where a shared repository does not fit: a new branch, an empty repository, a format with extensions, a shallow repository', async () => {
    // a new branch (--create-branch): cloned, and the branch starts from the default branch
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const seen: Seen[] = [];
    const n = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: bare, branch: 'env/new', createBranch: true }, seen);
    expect(n.diagnostics).toEqual([]);
    expect(seen[0]?.alternates).toBe(false);
    expect(git(bare, 'rev-list', '--count', 'env/new').trim()).toBe('2');

    // an empty repository
    const empty = join(tmp(), 'empty.git');
    git(join(empty, '..'), 'init', '-q', '--bare', '-b', 'main', empty);
    const seenEmpty: Seen[] = [];
    const e = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: empty }, seenEmpty);
    expect(e.diagnostics).toEqual([]);
    expect(seenEmpty[0]?.alternates).toBe(false);
    expect(git(empty, 'ls-tree', '-r', '--name-only', 'main')).toContain('dev/checkout/deployment.yaml');

    // a repository whose config names an extension this does not read: cloned
    const ext = makeRemote({ 'README.md': '# deploy\n' }).bare;
    const config = readFileSync(join(ext, 'config'), 'utf8');
    writeFileSync(join(ext, 'config'), config.replace(/repositoryformatversion = 0/, 'repositoryformatversion = 1') + '[extensions]\n\tnoop = true\n');
    const seenExt: Seen[] = [];
    const x = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: ext }, seenExt);
    expect(x.diagnostics).toEqual([]);
    expect(seenExt[0]?.alternates).toBe(false);
    expect(head(ext, 'main')).toBe(x.commit);

    // a shallow repository: cloned
    const deep = makeRemote({ 'README.md': '# deploy\n' });
    git(deep.work, 'commit', '-q', '--allow-empty', '-m', 'second');
    git(deep.work, 'push', '-q', 'origin', 'main');
    const shallow = join(tmp(), 'shallow.git');
    git(join(shallow, '..'), 'clone', '-q', '--bare', '--depth', '1', `file://${deep.bare}`, shallow);
    const seenShallow: Seen[] = [];
    const s = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: shallow }, seenShallow);
    expect(s.diagnostics).toEqual([]);
    expect(seenShallow[0]?.alternates).toBe(false);
    expect(head(shallow, 'main')).toBe(s.commit);
  });
});

describe('the commit of a publish from a temporary repository, written in process', () => {
  it('is the commit `git commit-tree` writes for the same tree, parent, identity, time and message', async () => {
    const { bare, head: parent } = makeRemote({ 'README.md': '# deploy\n' });
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: bare, author: 'Deploy Bot <bot@example.com>' }, []);
    expect(r.diagnostics).toEqual([]);
    const text = git(bare, 'cat-file', 'commit', r.commit!);
    const [headers = '', ...body] = text.split('\n\n');
    const author = /^author (.*) (\d+) ([+-]\d{4})$/m.exec(headers);
    expect(author?.[1]).toBe('Deploy Bot <bot@example.com>');
    expect(/^committer (.*)$/m.exec(headers)?.[1]).toBe(`${author?.[1]} ${author?.[2]} ${author?.[3]}`);
    // the local offset as git prints it
    const ident = { GIT_AUTHOR_NAME: 'Deploy Bot', GIT_AUTHOR_EMAIL: 'bot@example.com', GIT_COMMITTER_NAME: 'Deploy Bot', GIT_COMMITTER_EMAIL: 'bot@example.com' };
    const gitVar = execFileSync('git', ['var', 'GIT_COMMITTER_IDENT'], { cwd: bare, env: { ...process.env, ...ident }, encoding: 'utf8' }).trim();
    expect(gitVar.split(' ').pop()).toBe(author?.[3]);
    const date = `${author?.[2]} ${author?.[3]}`;
    const again = execFileSync('git', ['commit-tree', git(bare, 'rev-parse', `${r.commit}^{tree}`).trim(), '-p', parent], {
      cwd: bare,
      env: { ...process.env, ...ident, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      input: body.join('\n\n'),
      encoding: 'utf8',
    }).trim();
    expect(again).toBe(r.commit);
    expect(() => git(bare, 'fsck', '--strict', '--no-dangling')).not.toThrow();
  });

  it.each<[string, number, string, { sign: boolean; plain: boolean }]>([
    ['nothing set', 1, '', { sign: false, plain: true }],
    ['commit.gpgsign true', 0, 'commit.gpgsign true\n', { sign: true, plain: true }],
    ['no value is true', 0, 'commit.gpgsign\n', { sign: true, plain: true }],
    ['the last value wins', 0, 'commit.gpgsign yes\ncommit.gpgsign off\n', { sign: false, plain: true }],
    ['an integer', 0, 'commit.gpgsign 2\n', { sign: true, plain: true }],
    ['unreadable: false, through git', 0, 'commit.gpgsign maybe\n', { sign: false, plain: false }],
    ['UTF-8 named', 0, 'i18n.commitencoding utf8\n', { sign: false, plain: true }],
    ['another encoding: through git', 0, 'i18n.commitencoding ISO-8859-1\n', { sign: false, plain: false }],
    ['git failed', 128, '', { sign: false, plain: false }],
  ])('parseCommitConfig: %s', (_, code, out, want) => {
    expect(parseCommitConfig(code, out)).toEqual(want);
  });

  it.each<[string, number, string, { origin: boolean; looseObjects: boolean; sign: boolean; plain: boolean }]>([
    ['nothing set', 1, '', { origin: false, looseObjects: true, sign: false, plain: true }],
    ['origin by its url', 0, 'remote.origin.url /srv/deploy.git\n', { origin: true, looseObjects: true, sign: false, plain: true }],
    ['origin by a fetch refspec only', 0, 'remote.origin.fetch +refs/heads/*:refs/remotes/origin/*\n', { origin: true, looseObjects: true, sign: false, plain: true }],
    ['core.sharedRepository group', 0, 'core.sharedrepository group\n', { origin: false, looseObjects: false, sign: false, plain: true }],
    ['core.sharedRepository umask', 0, 'core.sharedrepository umask\n', { origin: false, looseObjects: true, sign: false, plain: true }],
    ['core.sharedRepository with no value (true)', 0, 'core.sharedrepository\n', { origin: false, looseObjects: false, sign: false, plain: true }],
    ['core.fsync', 0, 'core.fsync objects\n', { origin: false, looseObjects: false, sign: false, plain: true }],
    ['core.fsyncObjectFiles', 0, 'core.fsyncobjectfiles false\n', { origin: false, looseObjects: false, sign: false, plain: true }],
    ['all at once', 0, 'commit.gpgsign true\nremote.origin.url x\ni18n.commitencoding latin1\n', { origin: true, looseObjects: true, sign: true, plain: false }],
    ['git failed', 128, '', { origin: false, looseObjects: false, sign: false, plain: false }],
  ])('parseRepoConfig: %s', (_, code, out, want) => {
    expect(parseRepoConfig(code, out)).toEqual(want);
  });

  it('repoConfig reads the keys from git: origin (not origin2), signing, shared repository', async () => {
    const { work } = makeRemote({ 'README.md': '# deploy\n' });
    const ask = () => repoConfig(new Git(work, cleanGitEnv(process.env)));
    expect(await ask()).toEqual({ origin: true, looseObjects: true, sign: false, plain: true });
    git(work, 'config', 'commit.gpgsign', 'true');
    git(work, 'config', 'core.sharedRepository', 'group');
    git(work, 'remote', 'rename', 'origin', 'origin2');
    expect(await ask()).toEqual({ origin: false, looseObjects: false, sign: true, plain: true });
  });

  it.each<[string, boolean]>([
    ['Deploy Bot <bot@example.com>', true],
    ['gitopsc <gitopsc@localhost>', true],
    ['Ünïcødé Nämé <u@example.com>', true],
    ['J. Doe. <j@example.com>', false],
    ['"Quoted" <q@example.com>', false],
    ['Name <e@example.com.>', false],
  ])('plainIdent: %s', (s, want) => {
    const m = /^(.*) <(.*)>$/.exec(s)!;
    expect(plainIdent({ name: m[1]!, email: m[2]! })).toBe(want);
  });
});

describe('the state memo of publish', () => {
  it('a state known to come out the same is not parsed again; a change of artifacts is still seen and recorded', async () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const memo = new Map<string, unknown>();
    const stateMemo = { get: (k: string) => memo.get(k), set: (k: string, v: string) => void memo.set(k, v) };
    const go = (services: Record<string, Record<string, string>>) =>
      publish({ result: compileResult(services), environments: ['dev', 'prod'], source, stateMemo }, { cwd: process.cwd(), env: process.env, lockTimeoutMs: 5_000, push: true, repo: bare });
    const a = await go({ checkout: { dev: '1.0.0', prod: '1.0.0' } });
    expect(a.diagnostics).toEqual([]);
    const stateOid = () => git(bare, 'rev-parse', 'main:.gitopsc/artifacts.json').trim();
    // the state just written is known to be what the same artifacts write again
    expect([...memo.keys()].filter((k) => k.startsWith(`state:${stateOid()}:`))).toHaveLength(1);
    // a file change only: the state is taken as it is (a memo hit), nothing about artifacts in the commit
    const b = await go({ checkout: { dev: '1.0.0', prod: '1.0.0' }, cart: { dev: '2.0.0', prod: '2.0.0' } });
    expect(b.artifacts.map((x) => `${x.status} ${x.service}/${x.environment}`)).toEqual(['added cart/dev', 'added cart/prod']);
    const before = stateOid();
    const c = await go({ checkout: { dev: '1.0.0', prod: '1.0.0' }, cart: { dev: '2.0.0', prod: '2.0.0' } });
    expect(c.committed).toBe(false);
    expect(stateOid()).toBe(before);
    // a version bump after a memo hit: seen, in the message and the state
    const d = await go({ checkout: { dev: '1.1.0', prod: '1.0.0' }, cart: { dev: '2.0.0', prod: '2.0.0' } });
    expect(d.artifacts.map((x) => `${x.status} ${x.service}/${x.environment}`)).toEqual(['changed checkout/dev']);
    expect(git(bare, 'show', 'main:.gitopsc/artifacts.json')).toContain('"tag": "1.1.0"');
    // the same commit trees as publishes without a memo
    const plain = makeRemote({ 'README.md': '# deploy\n' }).bare;
    for (const services of [{ checkout: { dev: '1.0.0', prod: '1.0.0' } }, { checkout: { dev: '1.0.0', prod: '1.0.0' }, cart: { dev: '2.0.0', prod: '2.0.0' } }, { checkout: { dev: '1.1.0', prod: '1.0.0' }, cart: { dev: '2.0.0', prod: '2.0.0' } }] as Record<string, Record<string, string>>[]) {
      const r = await publish({ result: compileResult(services), environments: ['dev', 'prod'], source }, { cwd: process.cwd(), env: process.env, lockTimeoutMs: 5_000, push: true, repo: plain });
      expect(r.diagnostics).toEqual([]);
    }
    expect(git(plain, 'rev-parse', 'main^{tree}')).toBe(git(bare, 'rev-parse', 'main^{tree}'));
  });

  it('a state known by what its artifacts follow from (artifactsKey) is decided without listing the artifacts; another key lists them', async () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const memo = new Map<string, unknown>();
    const stateMemo = { get: (k: string) => memo.get(k), set: (k: string, v: string) => void memo.set(k, v) };
    let listed = 0;
    const go = (services: Record<string, Record<string, string>>, artifactsKey: string) => {
      const r = compileResult(services);
      const result = {
        files: r.files,
        get artifacts() {
          listed++;
          return r.artifacts;
        },
      };
      return publish({ result, environments: ['dev', 'prod'], source, stateMemo, artifactsKey }, { cwd: process.cwd(), env: process.env, lockTimeoutMs: 5_000, push: true, repo: bare });
    };
    const one = { checkout: { dev: '1.0.0', prod: '1.0.0' } };
    expect((await go(one, 'k1')).diagnostics).toEqual([]);
    const stateOid = () => git(bare, 'rev-parse', 'main:.gitopsc/artifacts.json').trim();
    expect([...memo.keys()].filter((k) => k.startsWith(`state-in:${stateOid()}:`))).toHaveLength(1);
    // the same key: not listed, nothing to commit
    listed = 0;
    const same = await go(one, 'k1');
    expect([same.committed, same.artifacts, listed]).toEqual([false, [], 0]);
    // another key (the lock changed): listed, the change seen and written
    const bumped = await go({ checkout: { dev: '1.1.0', prod: '1.0.0' } }, 'k2');
    expect(listed).toBeGreaterThan(0);
    expect(bumped.artifacts.map((x) => `${x.status} ${x.service}/${x.environment}`)).toEqual(['changed checkout/dev']);
    expect(git(bare, 'show', 'main:.gitopsc/artifacts.json')).toContain('"tag": "1.1.0"');
    // a state known only by its artifacts is learnt by the key too
    const plainMemo = [...memo.keys()].filter((k) => k.startsWith('state-in:'));
    for (const k of plainMemo) memo.delete(k);
    listed = 0;
    expect((await go({ checkout: { dev: '1.1.0', prod: '1.0.0' } }, 'k3')).committed).toBe(false);
    expect(listed).toBeGreaterThan(0);
    listed = 0;
    expect((await go({ checkout: { dev: '1.1.0', prod: '1.0.0' } }, 'k3')).committed).toBe(false);
    expect(listed).toBe(0);
  });

  it("--branch-template's {hash} names the writes by path (the plan's order, whatever order the units come in), then the state", async () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    // unit order (web, then api) is not path order (dev/api, dev/web, ...)
    const result = compileResult({ web: { dev: '1.0.0', prod: '1.0.0' }, api: { dev: '2.0.0', prod: '2.0.0' } });
    const r = await publish({ result, environments: ['dev', 'prod'], source }, { cwd: process.cwd(), env: process.env, lockTimeoutMs: 5_000, dryRun: true, branchTemplate: 'g/{hash}', repo: bare });
    expect(r.diagnostics).toEqual([]);
    const record = serializeRecord(result.files.map((f) => f.path));
    const state = serializeState(nextState([], result.artifacts, ['dev', 'prod']));
    const byPath = [...result.files.map((f) => [f.path, f.content]), ['.gitopsc-owned', record]].sort(([a], [b]) => (a! < b! ? -1 : 1));
    const key = [...byPath, [STATE_FILE, state]].map(([p, c]) => `${p}\0${contentHash(c!)}`).join('\n');
    expect(r.prBranch).toBe(`g/${sha256Hex(key).slice(0, 8)}`);
  });
});

describe('readBranchRef: a bare repository\'s branch read from its ref files, as git reads it', () => {
  it('loose, packed, by HEAD, absent; undefined (ask git) for a symbolic ref, a name that is not plain, a worktree', () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const tip = head(bare, 'main');
    git(bare, 'branch', 'release/v1', tip);
    git(bare, 'branch', 'packed', tip);
    git(bare, 'pack-refs', '--all'); // every branch packed
    git(bare, 'branch', '-f', 'loose', tip); // one loose again
    git(bare, 'symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
    const cases: [string | undefined, { name: string; commit?: string } | undefined][] = [
      ['main', { name: 'main', commit: tip }],
      ['packed', { name: 'packed', commit: tip }],
      ['release/v1', { name: 'release/v1', commit: tip }],
      ['loose', { name: 'loose', commit: tip }],
      [undefined, { name: 'main', commit: tip }],
      ['nope', { name: 'nope' }],
      ['main/x', { name: 'main/x' }],
      ['alias', undefined],
      ['a..b', undefined],
      ['.hidden', undefined],
      ['x.lock', undefined],
    ];
    for (const [branch, want] of cases) expect([branch, readBranchRef(bare, branch)]).toEqual([branch, want]);
    // what git lists agrees wherever the files answer
    const answered = cases.filter(([branch, want]) => want?.commit !== undefined && branch !== undefined);
    expect(git(bare, 'rev-parse', ...answered.map(([branch]) => `refs/heads/${branch}`)).trim().split('\n')).toEqual(answered.map(([, want]) => want!.commit));
    writeFileSync(join(bare, 'commondir'), '.\n');
    expect(readBranchRef(bare, 'main')).toBeUndefined();
  });
});

describe('readHead and readRefFile: a working repository\'s HEAD and refs read from their files, as git reads them', () => {
  it('on a branch (loose, packed), unborn, detached; undefined (ask git) for a worktree, extensions, HEAD naming a ref outside refs/heads', () => {
    const { work } = makeRemote({ 'README.md': '# deploy\n' });
    const gitDir = join(work, '.git');
    const tip = head(work);
    // what git says: symbolic-ref and rev-parse
    const asGit = () => {
      const ref = execFileSync('git', ['symbolic-ref', '-q', 'HEAD'], { cwd: work, encoding: 'utf8' }).trim();
      return { ref, commit: head(work) };
    };
    expect(readHead(gitDir)).toEqual({ ref: 'refs/heads/main', commit: tip });
    expect(readHead(gitDir)).toEqual(asGit());
    expect(readRefFile(gitDir, 'refs/remotes/origin/main')).toEqual({ commit: tip });
    expect(readRefFile(gitDir, 'refs/remotes/origin/nope')).toEqual({});
    git(work, 'pack-refs', '--all');
    expect(existsSync(join(gitDir, 'refs/heads/main'))).toBe(false);
    expect(readHead(gitDir)).toEqual(asGit());
    expect(readRefFile(gitDir, 'refs/remotes/origin/main')).toEqual({ commit: tip });
    // refs that are not plain names: ask git
    expect(readRefFile(gitDir, 'refs/heads/a..b')).toBeUndefined();
    expect(readRefFile(gitDir, 'refs/heads/.hidden')).toBeUndefined();
    expect(readRefFile(gitDir, 'HEAD')).toBeUndefined();
    // a branch that is a symbolic link (the old form of a symbolic ref, which git still reads: its
    // target is a ref name, relative to the git directory): ask git, also when the link dangles
    mkdirSync(join(gitDir, 'refs/heads'), { recursive: true });
    symlinkSync('refs/heads/main', join(gitDir, 'refs/heads/lnk2'));
    expect(execFileSync('git', ['rev-parse', '--verify', '-q', 'refs/heads/lnk2'], { cwd: work, encoding: 'utf8' }).trim()).toBe(tip);
    expect(readRefFile(gitDir, 'refs/heads/lnk2')).toBeUndefined();
    symlinkSync('refs/heads/nope', join(gitDir, 'refs/heads/lnk3'));
    expect(readRefFile(gitDir, 'refs/heads/lnk3')).toBeUndefined();
    rmSync(join(gitDir, 'refs/heads/lnk2'));
    rmSync(join(gitDir, 'refs/heads/lnk3'));
    // unborn
    git(work, 'checkout', '-q', '--orphan', 'fresh');
    expect(readHead(gitDir)).toEqual({ ref: 'refs/heads/fresh' });
    git(work, 'checkout', '-q', '-f', 'main');
    // detached
    git(work, 'checkout', '-q', '--detach');
    expect(readHead(gitDir)).toEqual({ commit: tip });
    git(work, 'checkout', '-q', 'main');
    // a symbolic HEAD outside refs/heads, a symbolic branch
    writeFileSync(join(gitDir, 'HEAD'), 'ref: refs/remotes/origin/main\n');
    expect(readHead(gitDir)).toBeUndefined();
    git(work, 'symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
    writeFileSync(join(gitDir, 'HEAD'), 'ref: refs/heads/alias\n');
    expect(readHead(gitDir)).toBeUndefined();
    writeFileSync(join(gitDir, 'HEAD'), 'ref: refs/heads/main\n');
    // a HEAD that is a symbolic link (as old git wrote it)
    renameSync(join(gitDir, 'HEAD'), join(gitDir, 'HEAD.file'));
    symlinkSync('refs/heads/main', join(gitDir, 'HEAD'));
    expect(readHead(gitDir)).toBeUndefined();
    rmSync(join(gitDir, 'HEAD'));
    renameSync(join(gitDir, 'HEAD.file'), join(gitDir, 'HEAD'));
    expect(readHead(gitDir)).toEqual(asGit());
    // a linked worktree's git directory
    git(work, 'worktree', 'add', '-q', '-b', 'wt', join(work, '..', 'wt'));
    expect(readHead(join(gitDir, 'worktrees', 'wt'))).toBeUndefined();
    // a repository format with extensions
    git(work, 'config', 'extensions.worktreeConfig', 'true');
    expect(readHead(gitDir)).toBeUndefined();
  });
});
