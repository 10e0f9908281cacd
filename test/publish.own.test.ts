/**
 * Issue 12 (ownership, prune guard, --dry-run, --branch-template, --sign) through `gitopsc
 * publish`, against real git repositories: a deployment repository holding hand-written files
 * beside rendered ones.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyOf, git, head, isolateGit, makeRemote, makeRepo, tmp, writeFiles } from './helpers/git.js';
import { baseProject, cli, cliWithEnv } from './helpers/project.js';

beforeAll(() => isolateGit());

const HAND = {
  'README.md': '# deployments\n',
  'prod/kustomization.yaml': 'resources: [web]\n',
  'apps/web-prod.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-prod\n',
};

// a Lambda function renders three files per environment (issue 13), a Deployment two
const LAMBDA = ['function.json', 'update-function-code.json', 'update-function-configuration.json'];
const RENDERED = ['dev', 'prod'].flatMap((env) => [...LAMBDA.map((n) => `${env}/fn/${n}`), `${env}/web/deployment.yaml`, `${env}/web/service.yaml`]);
const FN = RENDERED.filter((p) => p.includes('/fn/'));

/** A resolved project (made and resolved once for this file, then copied). */
async function project(): Promise<string> {
  const { root } = await copyOf('publish.own: a resolved project', async (root) => {
    writeFiles(join(root, 'project'), baseProject());
    expect((await cli(join(root, 'project'), 'resolve')).code).toBe(0);
  });
  return join(root, 'project');
}

/**
 * A resolved project published once into a deployment repository holding the hand-written
 * files (made once for this file, then copied): the project, the repository and that first
 * publish's diagnostics.
 */
async function published(): Promise<{ dir: string; repo: string; diagnostics: unknown }> {
  const { root, value } = await copyOf('publish.own: published once', async (root) => {
    const dir = join(root, 'project');
    writeFiles(dir, baseProject());
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const repo = makeRepo(HAND, join(root, 'repo'));
    const r = await cli(dir, 'publish', '--repo', repo, '--format', 'json');
    expect(r.code).toBe(0);
    return r.json.diagnostics;
  });
  return { dir: join(root, 'project'), repo: join(root, 'repo'), diagnostics: value };
}

const tree = (repo: string, rev = 'HEAD') => git(repo, 'ls-tree', '-r', '--name-only', rev).trim().split('\n');
type Pub = { committed: boolean; commit: string | null; pushed: boolean; prBranch: string | null; message: string | null; files: { path: string; status: string }[]; stat: { path: string }[]; wouldRemove?: string[] };
const pub = (r: { json: Record<string, unknown> }) => r.json.publish as Pub;

describe('publish owns only what it wrote', () => {
  it('keeps hand-written files through add, change and delete of services', async () => {
    const { dir, repo, diagnostics } = await published();
    expect(diagnostics).toEqual([]);
    expect(tree(repo)).toEqual(expect.arrayContaining(['.gitopsc-owned', 'dev/web/deployment.yaml', 'prod/fn/function.json', ...Object.keys(HAND)]));
    unlinkSync(join(dir, 'services/fn.yaml'));
    // 6 of 10 managed files go: more than the default --max-prune (5), so the removal is allowed explicitly
    const del = await cli(dir, 'publish', '--repo', repo, '--allow-prune', '--format', 'json');
    expect(del.json.diagnostics).toEqual([]);
    expect(pub(del).files.map((f) => `${f.status} ${f.path}`)).toEqual(FN.map((p) => `removed ${p}`));
    for (const [p, c] of Object.entries(HAND)) expect(git(repo, 'show', `HEAD:${p}`)).toBe(c);
    expect(git(repo, 'show', 'HEAD:.gitopsc-owned')).not.toContain('fn/');
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('refuses to overwrite a committed file it did not write (FILESYSTEM, exit 4, no commit) unless --adopt', async () => {
    const dir = await project();
    const repo = makeRepo({ ...HAND, 'dev/web/service.yaml': 'hand: written\n', '.gitopsc-owned': '# record\n' });
    const before = head(repo);
    const r = await cli(dir, 'publish', '--repo', repo, '--format', 'json');
    expect(r.code).toBe(4);
    expect(r.json.diagnostics.map((d) => [d.code, d.file])).toEqual([['FILESYSTEM', 'dev/web/service.yaml']]);
    expect(head(repo)).toBe(before);
    const adopted = await cli(dir, 'publish', '--repo', repo, '--adopt', '--format', 'json');
    expect(adopted.code).toBe(0);
    expect(git(repo, 'show', 'HEAD:dev/web/service.yaml')).toContain('kind: Service');
  });

  it('a typo in the services glob: validate says SCHEMA; publish refuses to empty production, listing what would go', async () => {
    const { dir, repo, diagnostics } = await published();
    expect(diagnostics).toEqual([]);
    const cfg = join(dir, 'gitopsc.config.yaml');
    const original = readFileSync(cfg, 'utf8');
    writeFileSync(cfg, original + 'services:\n  - servics/*.yaml\n');
    const v = await cli(dir, 'validate', '--format', 'json');
    expect(v.json.diagnostics.map((d) => [d.code, d.line])).toEqual([['SCHEMA', 11]]);
    expect((await cli(dir, 'publish', '--repo', repo, '--format', 'json')).code).toBe(1);
    // zero services without a SCHEMA error: every file excluded
    writeFileSync(cfg, original + 'services:\n  - services/*.yaml\n  - "!services/*"\n');
    const before = head(repo);
    const r = await cli(dir, 'publish', '--repo', repo, '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['PRUNE_GUARD']);
    expect(r.json.diagnostics.filter((d) => d.severity === 'info').map((d) => d.file)).toEqual(RENDERED);
    expect(pub(r).wouldRemove).toEqual(RENDERED);
    expect(head(repo)).toBe(before);
    const allowed = await cli(dir, 'publish', '--repo', repo, '--allow-prune', '--format', 'json');
    expect(allowed.code).toBe(0);
    expect(tree(repo).filter((p) => /^(dev|prod)\/\w+\//.test(p))).toEqual([]);
    expect(git(repo, 'show', 'HEAD:prod/kustomization.yaml')).toBe(HAND['prod/kustomization.yaml']);
  });

  it('--max-prune limits one publish', async () => {
    const { dir, repo, diagnostics } = await published();
    expect(diagnostics).toEqual([]);
    unlinkSync(join(dir, 'services/fn.yaml'));
    // deleting fn removes its 6 files (3 per environment): 5 is one too few, 6 is enough
    expect((await cli(dir, 'publish', '--repo', repo, '--max-prune', '5', '--format', 'json')).code).toBe(1);
    expect((await cli(dir, 'publish', '--repo', repo, '--max-prune', '6', '--format', 'json')).code).toBe(0);
  });

  it('a bad --max-prune is a usage error before the deployment repository is contacted', async () => {
    const dir = await project();
    // a transport that leaves a mark when git connects: the clone of an ssh URL would run it
    const mark = join(tmp(), 'connected');
    const ssh = join(tmp(), 'ssh.sh');
    writeFileSync(ssh, `#!/bin/sh\ntouch '${mark}'\nexit 1\n`, { mode: 0o755 });
    const r = await cliWithEnv({ ...process.env, GIT_SSH_COMMAND: ssh }, dir, 'publish', '--repo', 'ssh://git@deploy.invalid/acme/deploy.git', '--push', '--max-prune', 'lots', '--format', 'json');
    expect(r.code).toBe(2);
    expect(r.json.diagnostics).toMatchObject([{ code: 'USAGE', reason: 'bad-option' }]);
    expect(existsSync(mark)).toBe(false);
  });
});

describe('publish --dry-run', () => {
  it('prints the message, trailers, files and diff stat, and changes nothing', async () => {
    const dir = await project();
    const { bare, work, head: start } = makeRemote(HAND);
    const before = { head: start, remote: start, status: git(work, 'status', '--porcelain'), refs: git(work, 'for-each-ref') };
    for (const repo of [work, bare]) {
      const r = await cli(dir, 'publish', '--repo', repo, '--dry-run', '--push', '--format', 'json');
      expect(r.json.diagnostics).toEqual([]);
      const p = pub(r);
      expect(p.committed).toBe(false);
      expect(p.message).toContain('Gitopsc-Artifact: web/dev ');
      expect(p.files.map((f) => f.path)).toEqual(RENDERED);
      expect(p.stat).toHaveLength(10);
    }
    const text = await cli(dir, 'publish', '--repo', work, '--dry-run');
    expect(text.stdout).toContain('Gitopsc-Source:');
    expect(text.stdout).toMatch(/10 files changed, \d+ insertions\(\+\), 0 deletions\(-\)/);
    expect({ head: head(work), remote: head(bare, 'main'), status: git(work, 'status', '--porcelain'), refs: git(work, 'for-each-ref') }).toEqual(before);
  });
});

describe('publish --branch-template', () => {
  it('pushes one branch per publish and writes the pull-request description; the base branch does not move', async () => {
    const dir = await project();
    const { bare, work, head: main } = makeRemote(HAND);
    const desc = join(tmp(), 'pr.md');
    expect((await cli(dir, 'publish', '--repo', work, '--branch-template', 'gitopsc/{env}', '--format', 'json')).code).toBe(2); // needs --push
    const r = await cli(dir, 'publish', '--repo', bare, '--push', '--env', 'dev', '--branch-template', 'gitopsc/{env}/{service}', '--pr-description', desc, '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(r.code).toBe(0);
    const p = pub(r);
    expect(p.prBranch).toBe('gitopsc/dev/2-services');
    expect(p.pushed).toBe(true);
    expect(head(bare, 'main')).toBe(main);
    expect(head(bare, 'gitopsc/dev/2-services')).toBe(p.commit);
    expect(git(bare, 'rev-parse', `${p.commit}^`).trim()).toBe(main);
    const md = readFileSync(desc, 'utf8');
    expect(md).toContain('<!-- gitopsc-diff -->');
    expect(md).toContain('dev/web/deployment.yaml');
    // a one-service change gets its own branch name
    const svc = join(dir, 'services/web.yaml');
    writeFileSync(svc, readFileSync(svc, 'utf8').replace('replicas: 2', 'replicas: 3'));
    unlinkSync(desc);
    // publish into main first so that only web changes
    expect((await cli(dir, 'publish', '--repo', work, '--env', 'dev', '--push')).code).toBe(0);
    writeFileSync(svc, readFileSync(svc, 'utf8').replace('replicas: 3', 'replicas: 4'));
    const one = await cli(dir, 'publish', '--repo', work, '--push', '--env', 'dev', '--branch-template', 'gitopsc/{env}/{service}', '--pr-description', desc, '--format', 'json');
    expect(one.json.diagnostics).toEqual([]);
    expect(pub(one).prBranch).toBe('gitopsc/dev/web');
    expect(existsSync(desc)).toBe(true);
    // nothing to change: exit 0, no branch, no description: the CI job opens no pull request
    unlinkSync(desc);
    writeFileSync(svc, readFileSync(svc, 'utf8').replace('replicas: 4', 'replicas: 3'));
    const none = await cli(dir, 'publish', '--repo', work, '--push', '--env', 'dev', '--branch-template', 'gitopsc/{env}/{service}', '--pr-description', desc, '--format', 'json');
    expect(none.code).toBe(0);
    expect(pub(none).pushed).toBe(false);
    expect(existsSync(desc)).toBe(false);
  });
});

describe('publish --sign', () => {
  it('signs with an ssh key (gpg.format ssh) and git verify-commit accepts it', async () => {
    const dir = await project();
    const repo = makeRepo(HAND);
    const keys = tmp();
    const key = join(keys, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bot', '-f', key]);
    const allowed = join(keys, 'allowed_signers');
    writeFileSync(allowed, `gitopsc@localhost namespaces="git" ${readFileSync(`${key}.pub`, 'utf8')}`);
    git(repo, 'config', 'gpg.format', 'ssh');
    git(repo, 'config', 'user.signingkey', key);
    git(repo, 'config', 'gpg.ssh.allowedSignersFile', allowed);
    const r = await cli(dir, 'publish', '--repo', repo, '--sign', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    execFileSync('git', ['verify-commit', 'HEAD'], { cwd: repo, stdio: 'pipe' }); // throws unless the signature is good
    expect(git(repo, 'log', '-1', '--format=%G?').trim()).toBe('G');
    // without a key configured, --sign fails and commits nothing
    const other = makeRepo(HAND);
    const before = head(other);
    const bad = await cli(dir, 'publish', '--repo', other, '--sign', '--format', 'json');
    expect(bad.code).toBe(4);
    expect(head(other)).toBe(before);
  });
});
