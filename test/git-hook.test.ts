/**
 * gitopsc inside a real `.git/hooks/pre-commit` during `git commit -a`, where git exports
 * GIT_INDEX_FILE=<source>/.git/index.lock, GIT_EDITOR=:, GIT_AUTHOR_DATE, ... to the hook.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './helpers/cli.js';
import { spawnEnv } from './helpers/env.js';
import { git, head, isolateGit, makeRemote, tmp } from './helpers/git.js';
import { cli as inProcess } from './helpers/project.js';

let cli: { bin: string; binDir: string };
beforeAll(() => {
  isolateGit();
  cli = buildCli();
}, 120_000);

/** The hook of docs/git.md, as a user would paste it. */
const HOOK = `#!/bin/sh
# gitopsc: refuse a commit whose services do not validate or whose rendered output is stale
if command -v gitopsc >/dev/null 2>&1; then GITOPSC=gitopsc; else GITOPSC="npx --no-install gitopsc"; fi
$GITOPSC validate --quiet && $GITOPSC render --check --quiet
`;

/** The hook's and the bin's environment: the CLI's shim first on PATH; no NODE_EXTRA_CA_CERTS (no TLS here: ~50 ms of CPU per Node start, test/helpers/env.ts). */
function env(): NodeJS.ProcessEnv {
  return spawnEnv({ PATH: `${cli.binDir}${delimiter}${process.env.PATH ?? ''}` });
}

function gitopsc(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [cli.bin, ...args], { cwd, env: env(), encoding: 'utf8' });
}

function commitAll(cwd: string, message: string) {
  return spawnSync('git', ['commit', '-a', '-q', '-m', message], { cwd, env: env(), encoding: 'utf8' });
}

let template: string | undefined;
/**
 * A source repository made by `gitopsc init`, resolved, rendered and committed: made once per
 * file (the CLI in this process: the set-up, not what these tests are about), then copied
 * whole (.git included) for each test.
 */
async function sourceProject(): Promise<string> {
  if (!template) {
    const dir = tmp();
    git(dir, 'init', '-q');
    expect((await inProcess(dir, 'init')).code).toBe(0);
    expect((await inProcess(dir, 'resolve')).code).toBe(0);
    expect((await inProcess(dir, 'render')).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'project');
    template = dir;
  }
  const dir = tmp();
  cpSync(template, dir, { recursive: true });
  expect(git(dir, 'status', '--porcelain')).toBe('');
  return dir;
}

function bumpReplicas(dir: string, n: number): void {
  const p = join(dir, 'services/hello.yaml');
  writeFileSync(p, readFileSync(p, 'utf8').replace(/replicas: \d+/, `replicas: ${n}`));
}

describe('the pre-commit hook', () => {
  it('passes `git commit -a` of a rendered change and blocks a stale render; the deploy repo is untouched', { timeout: 180_000 }, async () => {
    const src = await sourceProject();
    const { work: deploy, head: deployHead } = makeRemote({ 'README.md': '# deploy\n' });
    writeFileSync(join(src, '.git/hooks/pre-commit'), HOOK);
    chmodSync(join(src, '.git/hooks/pre-commit'), 0o755);

    // a service change committed without rendering: the hook refuses, nothing is committed
    bumpReplicas(src, 3);
    const before = head(src);
    const stale = commitAll(src, 'replicas 3 without render');
    expect(stale.status).toBe(1);
    expect(stale.stdout + stale.stderr).toContain('DRIFT');
    expect(head(src)).toBe(before);

    // rendered (in this process: the hook's run is what is tested): the hook passes and the commit succeeds
    expect((await inProcess(src, 'render')).code).toBe(0);
    const ok = commitAll(src, 'replicas 3');
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(git(src, 'log', '-1', '--format=%s').trim()).toBe('replicas 3');
    expect(git(src, 'status', '--porcelain')).toBe('');
    expect(head(deploy)).toBe(deployHead);
    expect(git(deploy, 'status', '--porcelain')).toBe('');
  });

  it('publish and diff run from a hook do not leak GIT_INDEX_FILE into the other repository', { timeout: 180_000 }, async () => {
    const src = await sourceProject();
    const { work: deploy } = makeRemote({ 'README.md': '# deploy\n' });
    const hook = `#!/bin/sh
set -e
env | grep '^GIT_INDEX_FILE=' > "${join(src, '.git/hook-env')}"
gitopsc diff --base HEAD --format markdown > "${join(src, '.git/hook-diff.md')}"
gitopsc publish --repo "${deploy}" --quiet
`;
    writeFileSync(join(src, '.git/hooks/pre-commit'), hook);
    chmodSync(join(src, '.git/hooks/pre-commit'), 0o755);
    bumpReplicas(src, 4);
    expect((await inProcess(src, 'render')).code).toBe(0);

    const changed = git(src, 'diff', '--name-only').trim().split('\n').sort();
    expect(changed).toContain('services/hello.yaml');
    const r = commitAll(src, 'replicas 4');
    expect(r.stderr).not.toMatch(/\berror [A-Z]|fatal:/);
    expect(r.status).toBe(0);
    // git really did hand the hook its temporary index
    expect(readFileSync(join(src, '.git/hook-env'), 'utf8')).toMatch(/GIT_INDEX_FILE=.*index\.lock/);
    // the source commit holds exactly the user's change
    expect(git(src, 'show', '--name-only', '--format=', 'HEAD').trim().split('\n').sort()).toEqual(changed);
    expect(git(src, 'status', '--porcelain')).toBe('');
    // the deployment commit is whole and its working tree clean
    expect(git(deploy, 'log', '-1', '--format=%s').trim()).toMatch(/^gitopsc: /);
    expect(git(deploy, 'show', 'HEAD:dev/hello/deployment.yaml')).toContain('replicas: 4');
    expect(git(deploy, 'status', '--porcelain')).toBe('');
    execFileSync('git', ['fsck', '--no-dangling'], { cwd: deploy, stdio: 'pipe' });
    execFileSync('git', ['fsck', '--no-dangling'], { cwd: src, stdio: 'pipe' });
    const md = readFileSync(join(src, '.git/hook-diff.md'), 'utf8');
    expect(md).toContain('`rendered/dev/hello/deployment.yaml`');
    expect(md).toMatch(/^\+ +replicas: 4$/m);
  });
});

describe('the CLI end to end', () => {
  // the first publish runs the built bin (as the hooks above do); the rest runs main() in this
  // process (exit code and streams as the bin gives them, without a Node start per step)
  it('publishes twice (second makes no commit), then a version bump with trailers, and diffs it', { timeout: 300_000 }, async () => {
    const src = await sourceProject();
    const { bare, work: deploy } = makeRemote({ 'README.md': '# deploy\n' });
    const spawned = gitopsc(src, 'publish', '--repo', deploy, '--push');
    expect(spawned.status).toBe(0);
    expect(spawned.stdout).toMatch(/^committed [0-9a-f]{7} to /);
    const first = head(deploy);
    expect(head(bare, 'main')).toBe(first);
    let r = await inProcess(src, 'publish', '--repo', deploy, '--push');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nothing to publish');
    expect(head(deploy)).toBe(first);

    // a new version in the catalog, picked up by resolve --update
    const cat = join(src, 'registry/catalog.yaml');
    writeFileSync(
      cat,
      readFileSync(cat, 'utf8').replace(
        '    - tag: "2.0.0"',
        `    - tag: "1.3.0"\n      digest: sha256:${'13'.repeat(32)}\n    - tag: "2.0.0"`,
      ),
    );
    expect((await inProcess(src, 'resolve', '--update')).code).toBe(0);
    expect((await inProcess(src, 'render')).code).toBe(0);

    const diff = await inProcess(src, 'diff', '--format', 'markdown', '--exit-code');
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('| hello | dev | `1.1.0@sha256:111111111111` | `1.3.0@sha256:131313131313` |');
    expect(diff.stdout).toContain('```diff');
    expect((await inProcess(src, 'diff')).code).toBe(0);

    git(src, 'commit', '-q', '-am', 'hello 1.3.0');
    // a dirty deploy tree is refused with nothing changed
    writeFileSync(join(deploy, 'dev/hello/deployment.yaml'), 'hand edit\n');
    r = await inProcess(src, 'publish', '--repo', deploy, '--format', 'json');
    expect(r.code).toBe(4);
    const refused = (JSON.parse(r.stdout) as { diagnostics: { code: string; reason: string; message: string }[] }).diagnostics;
    expect(refused.map((d) => [d.code, d.reason])).toEqual([['GIT', 'dirty-worktree']]);
    // the dirty file is named
    expect(refused.map((d) => d.message).join('\n')).toContain('dev/hello/deployment.yaml');
    expect(head(deploy)).toBe(first);
    git(deploy, 'checkout', '--', '.');

    r = await inProcess(src, 'publish', '--repo', deploy, '--push');
    expect(r.stdout + r.stderr).toContain('pushed to origin/main');
    expect(r.code).toBe(0);
    const msg = git(bare, 'log', '-1', '--format=%B', 'main');
    expect(msg).toContain('- hello/dev: 1.1.0@sha256:111111111111 -> 1.3.0@sha256:131313131313');
    expect(msg).toContain(`Gitopsc-Source-Commit: ${head(src)}`);
    expect(msg).toContain(`Gitopsc-Source: ${src}`);
    expect(msg).toMatch(/^Gitopsc-Artifact: hello\/prod registry\.example\.com\/demo\/hello:1\.3\.0@sha256:(13){32}$/m);
    // a fresh clone of the remote already holds it all
    const json = JSON.parse((await inProcess(src, 'publish', '--repo', bare, '--push', '--format', 'json')).stdout) as { ok: boolean; publish: { committed: boolean } };
    expect(json).toMatchObject({ ok: true, publish: { committed: false } });
  });
});
