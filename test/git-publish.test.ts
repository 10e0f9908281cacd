import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, renameSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../src/core/hash.js';
import { publish, type PublishOptions } from '../src/git/publish.js';
import type { CompileResult } from '../src/pipeline.js';
import { compileResult, copyOf, git, head, isolateGit, makeRemote, makeRepo, otherClone, tmp, writeFiles } from './helpers/git.js';

beforeAll(() => isolateGit());

const source = { url: 'https://example.com/acme/gitops-source.git', commit: 'a'.repeat(40) };

function run(result: CompileResult, opts: Partial<PublishOptions> & { repo: string }) {
  return publish(
    { result, environments: result.environments, source },
    { cwd: process.cwd(), env: process.env, lockTimeoutMs: 5_000, ...opts },
  );
}

function status(dir: string): string {
  return git(dir, 'status', '--porcelain=v1', '--untracked-files=all');
}

describe('publish into a local deployment repository', () => {
  it('commits the rendered files, then makes no commit when nothing changed', async () => {
    const repo = makeRepo({ 'README.md': '# deploy\n' });
    const first = await run(compileResult({ checkout: { dev: '1.0.0', prod: '1.0.0' } }), { repo });
    expect(first.diagnostics).toEqual([]);
    expect(first.committed).toBe(true);
    expect(head(repo)).toBe(first.commit);
    expect(readFileSync(join(repo, 'prod/checkout/deployment.yaml'), 'utf8')).toContain('acme/checkout:1.0.0@sha256:');
    expect(existsSync(join(repo, '.gitopsc/artifacts.json'))).toBe(true);
    expect(status(repo)).toBe(''); // working tree and index follow the new commit
    // the message, the identities and the trailer as git parses it, from one git log
    const [msg, idents, trailer] = git(repo, 'log', '-1', '--format=%B%x00%an <%ae>|%cn <%ce>%x00%(trailers:key=Gitopsc-Source-Commit,valueonly)').split('\0') as [string, string, string];
    expect(msg).toContain('- checkout/dev: added 1.0.0@sha256:');
    expect(msg).toContain('Gitopsc-Source: https://example.com/acme/gitops-source.git');
    expect(msg).toContain(`Gitopsc-Source-Commit: ${source.commit}`);
    expect(msg.match(/^Gitopsc-Artifact: /gm)).toHaveLength(2);
    expect(idents).toBe('gitopsc <gitopsc@localhost>|gitopsc <gitopsc@localhost>');
    // trailers parse as trailers
    expect(trailer.trim()).toBe(source.commit);

    const before = first.commit; // HEAD, as read above
    const second = await run(compileResult({ checkout: { dev: '1.0.0', prod: '1.0.0' } }), { repo });
    expect(second.diagnostics).toEqual([]);
    expect(second.committed).toBe(false);
    expect(head(repo)).toBe(before);
    expect(git(repo, 'rev-list', '--count', 'HEAD').trim()).toBe('2');
  });

  it('records old -> new tag@digest and one trailer per changed artifact on a version bump', async () => {
    const repo = makeRepo({ 'README.md': '# deploy\n' });
    await run(compileResult({ checkout: { dev: '1.0.0', prod: '1.0.0' }, cart: { dev: '2.0.0', prod: '2.0.0' } }), { repo });
    const bump = await run(compileResult({ checkout: { dev: '1.1.0', prod: '1.0.0' }, cart: { dev: '2.0.0', prod: '2.0.0' } }), {
      repo,
      author: 'Deploy Bot <bot@example.com>',
    });
    expect(bump.diagnostics).toEqual([]);
    expect(bump.committed).toBe(true);
    const [msg, author] = git(repo, 'log', '-1', '--format=%B%x00%an <%ae>').split('\0') as [string, string];
    expect(msg.split('\n')[0]).toBe('gitopsc: checkout/dev 1.0.0 -> 1.1.0');
    expect(msg).toMatch(/- checkout\/dev: 1\.0\.0@sha256:[0-9a-f]{12} -> 1\.1\.0@sha256:[0-9a-f]{12} \(1 file\)/);
    expect(msg).not.toContain('checkout/prod');
    const arts = msg.match(/^Gitopsc-Artifact: .*$/gm);
    expect(arts).toHaveLength(1);
    expect(arts?.[0]).toMatch(/^Gitopsc-Artifact: checkout\/dev registry\.example\.com\/acme\/checkout:1\.1\.0@sha256:[0-9a-f]{64}$/);
    expect(author.trim()).toBe('Deploy Bot <bot@example.com>');
    expect(git(repo, 'show', '--stat', '--format=', 'HEAD')).toContain('dev/checkout/deployment.yaml');
  });

  it('fills a --message template and still appends the trailers', async () => {
    const repo = await setup();
    const r = await run(compileResult({ checkout: { dev: '1.2.0' } }), {
      repo,
      message: 'deploy {services} to {environments} from {sourceCommitShort}\n\n{artifacts} {{literal}}',
    });
    expect(r.diagnostics).toEqual([]);
    const msg = git(repo, 'log', '-1', '--format=%B');
    expect(msg).toMatch(/^deploy checkout to dev from aaaaaaa\n\ncheckout\/dev 1\.0\.0@sha256:\w{12} -> 1\.2\.0@sha256:\w{12} \{literal\}\n\nGitopsc-Source: /);
    const bad = await run(compileResult({ checkout: { dev: '1.3.0' } }), { repo, message: '{nope}' });
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['USAGE']);
  });

  it('prunes a deleted service only inside the managed environment directories', async () => {
    const repo = makeRepo({ 'README.md': '# deploy\n', 'infra/namespace.yaml': 'kind: Namespace\n', 'staging/keep.yaml': 'x: 1\n' });
    await run(compileResult({ checkout: { dev: '1.0.0', prod: '1.0.0' }, cart: { dev: '2.0.0', prod: '2.0.0' } }), { repo });
    const r = await run(compileResult({ checkout: { dev: '1.0.0', prod: '1.0.0' } }), { repo });
    expect(r.diagnostics).toEqual([]);
    expect(r.committed).toBe(true);
    expect(r.files.filter((f) => f.status === 'removed').map((f) => f.path)).toEqual([
      'dev/cart/deployment.yaml',
      'dev/cart/service.yaml',
      'prod/cart/deployment.yaml',
      'prod/cart/service.yaml',
    ]);
    expect(existsSync(join(repo, 'dev/cart'))).toBe(false);
    expect(existsSync(join(repo, 'dev/checkout/deployment.yaml'))).toBe(true);
    expect(readFileSync(join(repo, 'infra/namespace.yaml'), 'utf8')).toBe('kind: Namespace\n');
    expect(existsSync(join(repo, 'staging/keep.yaml'))).toBe(true);
    expect(git(repo, 'log', '-1', '--format=%B')).toContain('- cart/dev: removed (was 2.0.0@sha256:');
    expect(status(repo)).toBe('');
  });

  it('writes under --path and creates a branch when asked', async () => {
    const repo = makeRepo({ 'README.md': '# deploy\n' });
    const missing = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo, branch: 'env/dev' });
    expect(missing.diagnostics.map((d) => d.code)).toEqual(['USAGE']);
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo, branch: 'env/dev', createBranch: true, path: 'clusters/eu' });
    expect(r.diagnostics).toEqual([]);
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('env/dev');
    expect(existsSync(join(repo, 'clusters/eu/dev/checkout/deployment.yaml'))).toBe(true);
    expect(git(repo, 'ls-tree', '-r', '--name-only', 'main')).not.toContain('clusters');
  });
});

/**
 * A local deployment repository after its first publish (checkout 1.0.0 in dev): made once for
 * this file by that publish, then copied for each case that starts there.
 */
async function setup(): Promise<string> {
  const { root, value } = await copyOf('git-publish: checkout 1.0.0 in dev', async (root) => {
    const repo = makeRepo({ 'README.md': '# deploy\n' }, join(root, 'repo'));
    expect((await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo })).diagnostics).toEqual([]);
    return head(repo);
  });
  setupHead = value;
  return join(root, 'repo');
}
/** HEAD of the repository setup() gave last (a copy has the template's refs), read by git once for this file. */
let setupHead = '';

describe('publish refuses an unsafe deployment repository, changing nothing', () => {

  it('refuses a dirty managed path and names the files', async () => {
    const repo = await setup();
    const before = setupHead;
    writeFileSync(join(repo, 'dev/checkout/deployment.yaml'), 'edited by hand\n');
    writeFiles(repo, { 'dev/checkout/extra.yaml': 'untracked\n' });
    const r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo });
    expect(r.committed).toBe(false);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'GIT', reason: 'dirty-worktree', severity: 'error' });
    // the dirty files are named
    expect(r.diagnostics[0]?.message).toContain('dev/checkout/deployment.yaml');
    expect(r.diagnostics[0]?.message).toContain('dev/checkout/extra.yaml');
    expect(head(repo)).toBe(before);
    expect(readFileSync(join(repo, 'dev/checkout/deployment.yaml'), 'utf8')).toBe('edited by hand\n');
    expect(readFileSync(join(repo, 'dev/checkout/service.yaml'), 'utf8')).toContain('kind: Service');
  });

  it('allows unrelated local edits outside the managed paths and keeps them', async () => {
    const repo = await setup();
    writeFileSync(join(repo, 'README.md'), '# local edit\n');
    const r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo });
    expect(r.diagnostics).toEqual([]);
    expect(r.committed).toBe(true);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('# local edit\n');
    expect(git(repo, 'show', '--name-only', '--format=', 'HEAD')).not.toContain('README.md');
  });

  it('refuses staged changes, a merge in progress and a detached HEAD', async () => {
    const repo = await setup();
    const before = setupHead;
    writeFileSync(join(repo, 'README.md'), '# staged\n');
    git(repo, 'add', 'README.md');
    let r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo });
    expect(r.diagnostics[0]).toMatchObject({ code: 'GIT', reason: 'staged-changes' });
    expect(r.diagnostics[0]?.message).toContain('README.md');
    git(repo, 'reset', '-q', '--hard');

    writeFileSync(join(repo, '.git/MERGE_HEAD'), before + '\n');
    r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo });
    expect(r.diagnostics[0]).toMatchObject({ code: 'GIT', reason: 'operation-in-progress' });
    git(repo, 'merge', '--abort');

    git(repo, 'checkout', '-q', '--detach');
    r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo });
    expect(r.diagnostics[0]).toMatchObject({ code: 'GIT', reason: 'detached-head' });
    expect(head(repo)).toBe(before);
    r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo, allowDetached: true });
    expect(r.diagnostics).toEqual([]);
    expect(r.committed).toBe(true);
    expect(head(repo, 'main')).toBe(before);
  });

  it('one status names both: a managed path renamed out of its directory is dirty; before the first commit, anything in the index is staged', async () => {
    const repo = await setup();
    git(repo, 'mv', 'dev/checkout/service.yaml', 'service.yaml');
    let r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo });
    expect(r.diagnostics.map((d) => [d.code, d.reason])).toEqual([['GIT', 'dirty-worktree']]);
    expect(r.diagnostics[0]?.message).toContain('service.yaml');
    const fresh = tmp();
    git(fresh, 'init', '-q');
    writeFiles(fresh, { 'README.md': '# deploy\n' });
    git(fresh, 'add', 'README.md');
    r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo: fresh });
    expect(r.diagnostics.map((d) => [d.code, d.reason])).toEqual([['GIT', 'staged-changes']]);
    expect(r.diagnostics[0]?.message).toContain('README.md');
  });

  it('a rename in the working tree (git add -N of the new name) outside the managed paths is neither dirty nor staged', async () => {
    const repo = await setup();
    writeFiles(repo, { 'docs/notes.txt': Array.from({ length: 100 }, (_, i) => `${i + 1}\n`).join('') });
    git(repo, 'add', 'docs/notes.txt');
    git(repo, 'commit', '-q', '-m', 'docs');
    renameSync(join(repo, 'docs/notes.txt'), join(repo, 'docs/renamed.txt'));
    git(repo, 'add', '-N', 'docs/renamed.txt');
    expect(git(repo, 'status', '--porcelain=v1')).toBe(' R docs/notes.txt -> docs/renamed.txt\n');
    const r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo });
    expect(r.diagnostics).toEqual([]);
    expect(r.committed).toBe(true);
    expect(git(repo, 'show', '--name-only', '--format=', 'HEAD')).not.toContain('docs/');
  });

  it('a staged commit of a submodule whose .gitmodules says ignore = all is not a staged change (as git diff --cached HEAD), one of any other submodule is', async () => {
    const repo = await setup();
    const sub = makeRepo({ 'f.txt': 'x\n' });
    git(repo, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'vendor/sub');
    git(repo, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'vendor/other');
    git(repo, 'config', '-f', '.gitmodules', 'submodule.vendor/sub.ignore', 'all');
    git(repo, 'add', '.gitmodules');
    git(repo, 'commit', '-q', '-m', 'submodules');
    for (const s of ['vendor/sub', 'vendor/other']) {
      writeFiles(join(repo, s), { 'g.txt': 'y\n' });
      git(join(repo, s), 'add', 'g.txt');
      git(join(repo, s), 'commit', '-q', '-m', 'new');
    }
    git(repo, 'add', 'vendor/sub');
    expect(git(repo, 'diff', '--cached', '--name-only', 'HEAD')).toBe('');
    const r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo });
    expect(r.diagnostics).toEqual([]);
    expect(r.committed).toBe(true);
    git(repo, 'add', 'vendor/other');
    const other = await run(compileResult({ checkout: { dev: '1.2.0' } }), { repo });
    expect(other.diagnostics.map((d) => [d.code, d.reason])).toEqual([['GIT', 'staged-changes']]);
    expect(other.diagnostics[0]?.message).toContain('vendor/other');
    expect(other.diagnostics[0]?.message).not.toContain('vendor/sub');
  });

  it('a second publish waits for the lock, or fails naming the holder', async () => {
    const repo = await setup();
    const before = setupHead;
    const lockPath = join(repo, '.git/gitopsc-publish.lock');
    writeFileSync(lockPath, JSON.stringify({ pid: process.pid, host: hostname(), started: '2024-01-01T00:00:00Z', command: 'gitopsc publish' }));
    const r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo, lockTimeoutMs: 300 });
    expect(r.diagnostics[0]).toMatchObject({ code: 'GIT', reason: 'locked' });
    // the holder is named
    expect(r.diagnostics[0]?.message).toContain(`pid ${process.pid} on ${hostname()}`);
    expect(head(repo)).toBe(before);
    expect(status(repo)).toBe('');

    // released while waiting: the second one goes ahead
    setTimeout(() => unlinkSync(lockPath), 200);
    const late = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo, lockTimeoutMs: 5_000 });
    expect(late.diagnostics).toEqual([]);
    expect(late.committed).toBe(true);
  });

  it('two publishes at once run one after the other, each a whole commit', async () => {
    const repo = await setup();
    const [a, b] = await Promise.all([
      run(compileResult({ checkout: { dev: '2.0.0' }, cart: { dev: '1.0.0' } }), { repo }),
      run(compileResult({ checkout: { dev: '3.0.0' } }), { repo }),
    ]);
    expect([...a.diagnostics, ...b.diagnostics]).toEqual([]);
    expect(a.committed && b.committed).toBe(true);
    expect(git(repo, 'rev-list', '--count', 'HEAD').trim()).toBe('4');
    expect(status(repo)).toBe('');
    expect(existsSync(join(repo, '.git/gitopsc-publish.lock'))).toBe(false);
    // the tree is exactly one of the two renders
    const tree = git(repo, 'ls-tree', '-r', '--name-only', 'HEAD');
    const deployment = readFileSync(join(repo, 'dev/checkout/deployment.yaml'), 'utf8');
    if (tree.includes('dev/cart/')) expect(deployment).toContain(':2.0.0@');
    else expect(deployment).toContain(':3.0.0@');
  });
});

describe('publish --push', () => {
  it('clones a remote, commits and pushes; a second run pushes nothing', async () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: bare, push: true });
    expect(r.diagnostics).toEqual([]);
    expect(r.pushed).toBe(true);
    expect(head(bare, 'main')).toBe(r.commit);
    const again = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: bare, push: true });
    expect(again.diagnostics).toEqual([]);
    expect(again.committed).toBe(false);
    expect(again.pushed).toBe(false);
    expect(head(bare, 'main')).toBe(r.commit);
  });

  it('publishes into an empty remote and onto a new branch', async () => {
    const root = tmp();
    const bare = join(root, 'empty.git');
    git(root, 'init', '-q', '--bare', bare);
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: bare, push: true });
    expect(r.diagnostics).toEqual([]);
    expect(r.pushed).toBe(true);
    expect(git(bare, 'ls-tree', '-r', '--name-only', 'main')).toContain('dev/checkout/deployment.yaml');
    const b = await run(compileResult({ checkout: { dev: '1.0.0', prod: '1.0.0' } }), { repo: bare, push: true, branch: 'env/prod', createBranch: true });
    expect(b.diagnostics).toEqual([]);
    expect(git(bare, 'rev-list', '--count', 'env/prod').trim()).toBe('2');
    const again = await run(compileResult({ checkout: { dev: '1.0.0', prod: '1.0.0' } }), { repo: bare, push: true, branch: 'env/prod' });
    expect(again.diagnostics).toEqual([]);
    expect(again.committed).toBe(false);
  });

  it('publishes from a bare temporary clone of only the branch (no checkout), to a URL too', async () => {
    const { bare, work } = makeRemote({ 'README.md': '# deploy\n' });
    git(work, 'checkout', '-q', '-b', 'env/dev');
    git(work, 'commit', '-q', '--allow-empty', '-m', 'history');
    git(work, 'push', '-q', 'origin', 'env/dev', 'main:other');
    const seen: { bare: string; shallow: string; refs: string }[] = [];
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), {
      repo: `file://${bare}`,
      branch: 'env/dev',
      push: true,
      beforePush: async (attempt, dir) => {
        const [isBare, shallow] = git(dir, 'rev-parse', '--is-bare-repository', '--is-shallow-repository').trim().split('\n');
        seen.push({ bare: isBare!, shallow: shallow!, refs: git(dir, 'for-each-ref', '--format=%(refname)').trim() });
        // someone else moves the branch: the push is rejected, fetched into the shallow clone and retried
        if (attempt === 1) {
          writeFiles(work, { 'README.md': '# moved\n' });
          git(work, 'commit', '-q', '-am', 'someone else');
          git(work, 'push', '-q', 'origin', 'env/dev');
        }
      },
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.pushed).toBe(true);
    expect(r.attempts).toBe(2);
    expect(seen[0]).toEqual({ bare: 'true', shallow: 'true', refs: 'refs/heads/env/dev' });
    expect(head(bare, 'env/dev')).toBe(r.commit);
    expect(git(bare, 'log', '--format=%s', 'env/dev').trim().split('\n')).toEqual(['gitopsc: checkout 1.0.0 in dev', 'someone else', 'history', 'initial']);
    expect(git(bare, 'show', 'env/dev:dev/checkout/deployment.yaml')).toContain('checkout:1.0.0@');
    const [other, main] = git(bare, 'rev-parse', 'other', 'main').trim().split('\n');
    expect(other).toBe(main);
  });

  it('an unreachable URL is GIT, and its credentials are never shown', async () => {
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: 'http://bot:s3cret-token@127.0.0.1:1/deploy.git', branch: 'main', push: true });
    expect(r.diagnostics.map((d) => [d.code, d.reason])).toEqual([['GIT', 'command-failed']]);
    expect(JSON.stringify(r)).not.toContain('s3cret');
    expect(r.diagnostics[0]!.message).toContain('http://127.0.0.1:1/deploy.git');
  });

  it('remembers the content hash of every blob it writes, so the next publish reads none of them', async () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const memo = new Map<string, string>();
    const blobMemo = { get: (k: string) => memo.get(k), set: (k: string, v: string) => void memo.set(k, v) };
    const result = compileResult({ checkout: { dev: '1.0.0', prod: '1.0.0' }, cart: { dev: '2.0.0' } });
    const r = await publish({ result, environments: result.environments, source, blobMemo }, { cwd: process.cwd(), env: process.env, repo: bare, push: true });
    expect(r.pushed).toBe(true);
    const written = git(bare, 'ls-tree', '-r', '--format=%(objectname) %(path)', 'main').trim().split('\n').filter((l) => !l.endsWith(' README.md'));
    expect(written.length).toBeGreaterThanOrEqual(5); // 3 deployments, the record and the state
    for (const line of written) {
      const [oid, path] = line.split(' ') as [string, string];
      expect([path, memo.get(`blob:${oid}`)]).toEqual([path, contentHash(git(bare, 'cat-file', 'blob', oid))]);
    }
  });

  it('refuses to publish into a fresh clone without --push', async () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: bare });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['USAGE']);
  });

  it('retries a rejected push on top of the moved branch', async () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const other = otherClone(bare);
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), {
      repo: bare,
      push: true,
      beforePush: async (attempt) => {
        if (attempt === 1) other.move('# moved by someone else\n', 'someone else');
      },
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.pushed).toBe(true);
    expect(r.attempts).toBe(2);
    const log = git(bare, 'log', '--format=%s', 'main').trim().split('\n');
    expect(log).toEqual(['gitopsc: checkout 1.0.0 in dev', 'someone else', 'initial']);
    expect(git(bare, 'show', 'main:README.md')).toBe('# moved by someone else\n');
    expect(git(bare, 'show', 'main:dev/checkout/deployment.yaml')).toContain('checkout:1.0.0@');
  });

  it('fails clearly when the branch keeps moving', async () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const other = otherClone(bare);
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), {
      repo: bare,
      push: true,
      pushAttempts: 3,
      beforePush: async (attempt) => other.move(`# moved ${attempt}\n`, `move ${attempt}`),
    });
    expect(r.pushed).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ code: 'GIT', reason: 'push-rejected' });
    expect(git(bare, 'log', '--format=%s', '-1', 'main').trim()).toBe('move 3');
  });

  it('pushes from a local checkout and fast-forwards it first', async () => {
    const { bare, work } = makeRemote({ 'README.md': '# deploy\n' });
    otherClone(bare).move('# newer\n', 'newer');
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: work, push: true });
    expect(r.diagnostics).toEqual([]);
    expect(r.attempts).toBe(1);
    expect(head(bare, 'main')).toBe(head(work));
    expect(readFileSync(join(work, 'README.md'), 'utf8')).toBe('# newer\n');
  });

  it('fast-forwards a checkout whose index is stale for files touched with unchanged content', async () => {
    const { bare, work } = makeRemote({ 'README.md': '# deploy\n' });
    otherClone(bare).move('# newer\n', 'newer');
    // copied or touched, bytes the same: the index's stat data no longer matches the file
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(work, 'README.md'), later, later);
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: work, push: true });
    expect(r.diagnostics).toEqual([]);
    expect(head(bare, 'main')).toBe(head(work));
    expect(readFileSync(join(work, 'README.md'), 'utf8')).toBe('# newer\n');
    expect(status(work)).toBe('');
  });
});

/** Sections added to the repository's config file, as `git config <key> <value>` adds them (no git process per key). */
function config(repo: string, sections: string): void {
  appendFileSync(join(repo, '.git/config'), sections);
}

describe('publish signing', () => {
  it('signs when git is configured to (ssh format)', async () => {
    const { execFileSync } = await import('node:child_process');
    const repo = makeRepo({ 'README.md': '# deploy\n' });
    const key = join(tmp(), 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    config(repo, `[gpg]\n\tformat = ssh\n[user]\n\tsigningkey = ${key}\n[commit]\n\tgpgsign = true\n`);
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo });
    expect(r.diagnostics).toEqual([]);
    expect(git(repo, 'cat-file', '-p', 'HEAD')).toContain('-----BEGIN SSH SIGNATURE-----');
    const unsigned = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo, sign: false });
    expect(unsigned.committed).toBe(true);
    expect(git(repo, 'cat-file', '-p', 'HEAD')).not.toContain('SIGNATURE');
  });

  it('fails fast, changing nothing, when the signer wants a terminal', async () => {
    const repo = makeRepo({ 'README.md': '# deploy\n' });
    const signer = join(tmp(), 'signer.sh');
    // a signer that asks for a passphrase on the terminal, as pinentry-curses would
    writeFileSync(signer, '#!/bin/sh\nread pass < /dev/tty || exit 2\nexit 0\n', { mode: 0o755 });
    config(repo, `[gpg]\n\tprogram = ${signer}\n[commit]\n\tgpgsign = true\n`);
    const before = head(repo);
    const started = Date.now();
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.committed).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ code: 'GIT', reason: 'commit-failed' });
    expect(head(repo)).toBe(before);
    expect(status(repo)).toBe('');
  });
});

/**
 * The git processes a publish into a working repository starts, seen through a `git` earlier on
 * PATH that logs its arguments and runs the real one (git's own children, such as upload-pack,
 * run from git's exec path and are not logged).
 */
let realGit: string | undefined;
function countingGit(): { env: NodeJS.ProcessEnv; commands: () => string[] } {
  const bin = tmp();
  const log = join(bin, 'log');
  realGit ??= execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const real = realGit;
  writeFileSync(join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$1" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  return {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    commands: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).sort() : []),
  };
}

describe('the git processes of a publish into a working repository', () => {
  it('--push: one rev-parse opens it, refs are read from their files, the commit is built in process', async () => {
    const { bare, work } = makeRemote({ 'README.md': '# deploy\n' });
    const counted = countingGit();
    const r = await run(compileResult({ checkout: { dev: '1.0.0' } }), { repo: work, push: true, env: counted.env });
    expect(r.diagnostics).toEqual([]);
    expect(r.pushed).toBe(true);
    const [workHead, originMain] = git(work, 'rev-parse', 'HEAD', 'origin/main').trim().split('\n');
    expect(head(bare, 'main')).toBe(workHead);
    expect(originMain).toBe(workHead);
    expect(status(work)).toBe('');
    // were 23 before: rev-parse x8, symbolic-ref x2, diff, remote, config, ls-tree, read-tree x2, hash-object, update-index, write-tree, commit-tree, update-ref x2, ...
    expect(counted.commands()).toEqual(['cat-file', 'config', 'fetch', 'push', 'read-tree', 'rev-parse', 'status', 'update-ref']);
    expect(git(work, 'fsck', '--strict', '--no-dangling')).toBe('');
  });

  it.each<[string, (repo: string) => string, string[]]>([
    ['a linked worktree (objects in the common directory): through an index', (repo) => {
      git(repo, 'worktree', 'add', '-q', '-b', 'wt', join(repo, '..', 'wt'));
      return join(repo, '..', 'wt');
    }, ['hash-object', 'update-index', 'write-tree', 'commit-tree']],
    ['core.sharedRepository: through an index (git sets the permissions)', (repo) => (git(repo, 'config', 'core.sharedRepository', 'group'), repo), ['hash-object', 'update-index', 'write-tree', 'commit-tree']],
    ['core.sharedRepository umask (git\'s default): in process', (repo) => (git(repo, 'config', 'core.sharedRepository', 'umask'), repo), []],
    ['a repository extension (extensions.worktreeConfig): through an index', (repo) => (git(repo, 'config', 'core.repositoryFormatVersion', '1'), git(repo, 'config', 'extensions.worktreeConfig', 'true'), repo), ['hash-object', 'update-index', 'write-tree', 'commit-tree']],
    ['core.fsync: through an index (git syncs)', (repo) => (git(repo, 'config', 'core.fsync', 'loose-object'), repo), ['hash-object', 'update-index', 'write-tree', 'commit-tree']],
    ['i18n.commitEncoding: the tree in process, the commit through git', (repo) => (git(repo, 'config', 'i18n.commitEncoding', 'ISO-8859-1'), repo), ['commit-tree']],
    ['packed refs, plain config: in process', (repo) => (git(repo, 'pack-refs', '--all'), repo), []],
  ])('%s', async (_, prepare, through) => {
    const dir = prepare(await setup());
    const before = setupHead; // prepare adds a worktree on the same commit, config, packed refs
    const counted = countingGit();
    const r = await run(compileResult({ checkout: { dev: '1.1.0' } }), { repo: dir, env: counted.env });
    expect(r.diagnostics).toEqual([]);
    expect(r.committed).toBe(true);
    expect(git(dir, 'rev-parse', 'HEAD', 'HEAD~1').trim().split('\n')).toEqual([r.commit, before]);
    expect(readFileSync(join(dir, 'dev/checkout/deployment.yaml'), 'utf8')).toContain('checkout:1.1.0@');
    expect(status(dir)).toBe('');
    // objects written in process pass fsck (those git wrote through its index need no check here)
    if (!through.includes('write-tree')) expect(git(dir, 'fsck', '--strict', '--no-dangling')).toBe('');
    const seen = counted.commands();
    for (const c of ['hash-object', 'update-index', 'write-tree', 'commit-tree']) expect([c, seen.includes(c)]).toEqual([c, through.includes(c)]);
  });
});
