/**
 * The pre-commit framework (issue 15, part 2), for real with the `pre-commit` on the PATH
 * (Debian 12's package is 3.0.4; .ci/run installs it): this repository's .pre-commit-hooks.yaml
 * installs with `language: node` (npm install, npm pack, npm install -g: the pack's file name
 * must be alone on stdout) and blocks a commit whose rendered output is stale; the `repo: local`
 * alternative from the README works too. Skipped, with the reason printed, only where the
 * package is not installed.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCliAsync } from './helpers/cli.js';
import { git, isolateGit, tmp } from './helpers/git.js';
import { globalInstallStarted, shareGlobalInstall } from './helpers/pack.js';
import { cli } from './helpers/project.js';

const ROOT = resolve(import.meta.dirname, '..');
const version = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' });
const available = version.status === 0;
if (!available) console.log('skipped the pre-commit tests: the `pre-commit` command is not installed (apt-get install pre-commit; .ci/run does)');

/** pre-commit with its own store (PRE_COMMIT_HOME), without blocking this process: the two cases run side by side. */
function preCommit(home: string, cwd: string, args: string[], path = process.env.PATH ?? ''): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const env = { ...process.env, PATH: path, PRE_COMMIT_HOME: home, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
    const c = spawn('pre-commit', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', (code) => done({ code: code ?? -1, out }));
  });
}

/** This working tree (tracked and new files, not ignored ones) committed into a fresh repository: the hook repository. */
function hookRepo(): { url: string; rev: string } {
  const dir = tmp('gitopsc-hooks-');
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    try {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      copyFileSync(join(ROOT, f), join(dir, f));
    } catch {
      // a file deleted in the working tree but still tracked
    }
  }
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'hooks');
  return { url: dir, rev: git(dir, 'rev-parse', 'HEAD').trim() };
}

/** A source repository made by `gitopsc init`, resolved, rendered and committed. */
async function sourceRepo(config: string): Promise<string> {
  const dir = tmp('gitopsc-src-');
  git(dir, 'init', '-q', '-b', 'main');
  expect((await cli(dir, 'init')).code).toBe(0);
  expect((await cli(dir, 'resolve')).code).toBe(0);
  expect((await cli(dir, 'render')).code).toBe(0);
  writeFileSync(join(dir, '.pre-commit-config.yaml'), config);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'init');
  return dir;
}

/** The `gitopsc` that `npm install -g` put into the hook environment (`bin/gitopsc` of a `node_env-` directory in one of the home's repositories), or why there is none. */
function hookEnvBin(home: string): { bin: string } | { error: string } {
  for (const repo of readdirSync(home)) {
    let envs: string[];
    try {
      envs = readdirSync(join(home, repo)).filter((e) => e.startsWith('node_env-'));
    } catch {
      continue; // pre-commit's own files (its database, its lock)
    }
    for (const env of envs) {
      const bin = join(home, repo, env, 'bin', 'gitopsc');
      if (existsSync(bin)) return { bin };
    }
  }
  return { error: `no node_env-*/bin/gitopsc under ${home}` };
}

function staleChange(dir: string): void {
  const f = join(dir, 'services/hello.yaml');
  writeFileSync(f, readFileSync(f, 'utf8').replace('replicas: 1', 'replicas: 2'));
  git(dir, 'add', 'services/hello.yaml');
}

describe.skipIf(!available)(`pre-commit (${version.stdout?.trim() ?? 'not installed'})`, { concurrent: true }, () => {
  // the CLI build is the repo: local case's alone: the shipped hooks' case, the run's longest
  // chain (npm install, the build, npm pack, npm install -g), does not wait for it
  beforeAll(() => isolateGit());

  it('the shipped hooks install with language: node and block a stale render', async () => {
    const home = tmp('gitopsc-pre-commit-home-');
    const hooks = hookRepo();
    const dir = await sourceRepo(`repos:
  - repo: ${hooks.url}
    rev: ${hooks.rev}
    hooks:
      - id: gitopsc-validate
      - id: gitopsc-render-check
`);
    // builds the hook environment (npm install, npm pack, npm install -g) and runs both hooks;
    // its globally installed gitopsc is handed to test/install.consumer.test.ts's global install case
    globalInstallStarted();
    let all: Awaited<ReturnType<typeof preCommit>>;
    try {
      all = await preCommit(home, dir, ['run', '--all-files']);
    } finally {
      shareGlobalInstall(hookEnvBin(home));
    }
    expect(all.out).toMatch(/gitopsc validate\.+Passed/);
    expect(all.out).toMatch(/gitopsc render --check\.+Passed/);
    expect(all.code).toBe(0);

    expect((await preCommit(home, dir, ['install'])).code).toBe(0);
    staleChange(dir);
    const blocked = spawnSync('git', ['commit', '-q', '-m', 'stale'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PRE_COMMIT_HOME: home } });
    expect(blocked.status).toBe(1);
    expect(`${blocked.stdout}${blocked.stderr}`).toMatch(/gitopsc render --check\.+Failed/);
    expect(`${blocked.stdout}${blocked.stderr}`).toContain('DRIFT');
    expect(`${blocked.stdout}${blocked.stderr}`).toContain('rendered/dev/hello/deployment.yaml');

    expect((await cli(dir, 'render')).code).toBe(0);
    git(dir, 'add', '-A');
    const ok = spawnSync('git', ['commit', '-q', '-m', 'rendered'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PRE_COMMIT_HOME: home } });
    expect(ok.status, `${ok.stdout}${ok.stderr}`).toBe(0);
  }, 900_000);

  it('the repo: local alternative from the README runs the installed gitopsc', async () => {
    const home = tmp('gitopsc-pre-commit-home-');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const local = /```yaml\n(repos:\n {2}- repo: local\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(local).toBeDefined();
    const dir = await sourceRepo(local!);
    // built or waited for without blocking the other case (test/helpers/cli.ts)
    const { binDir } = await buildCliAsync();
    // the README's entry is `npx --no-install gitopsc`: put the built CLI where npx finds it
    mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
    copyFileSync(join(binDir, 'gitopsc'), join(dir, 'node_modules/.bin/gitopsc'));
    writeFileSync(join(dir, 'package.json'), '{ "name": "src", "private": true }\n');
    const pass = await preCommit(home, dir, ['run', '--all-files']);
    expect(pass.out, pass.out).toMatch(/gitopsc render --check\.+Passed/);
    expect(pass.code).toBe(0);
    staleChange(dir);
    const fail = await preCommit(home, dir, ['run']);
    expect(fail.code).toBe(1);
    expect(fail.out).toContain('DRIFT');
  }, 300_000);
});
