/**
 * The real `npm pack` (its `prepare` build included), once per test run: the first test file
 * that asks packs into the directory test/global-setup.ts provides, under a lock directory;
 * the others wait for its `ready` marker and share the tarball (test/install.consumer.test.ts,
 * test/api.pack.consumer.test.ts). So is the README's 60-second example, run as written: its `shop`
 * directory, where `npm install --save-dev` put the tarball, is the consumer directory of the
 * library tests too (one npm install of the package per run, not two).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { inject } from 'vitest';
import { onceIn, onceInAsync } from './once.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface Packed {
  /** absolute path of the tarball */
  tarball: string;
  /** what `npm pack` printed on stdout */
  stdout: string;
}

/** Run a command with the test process's environment plus `env`, npm's update check off. */
export function sh(cwd: string, cmd: string, args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env, npm_config_update_notifier: 'false' }, timeout: 540_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function packOnce(): Packed {
  const dir = join(inject('gitopscCliDir'), 'pack');
  mkdirSync(dir, { recursive: true });
  const ready = onceIn(dir, 'npm pack', 540_000, () => {
    const r = sh(ROOT, 'npm', ['pack', '--pack-destination', dir]);
    if (r.code !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
    return JSON.stringify({ tarball: join(dir, r.stdout.trim()), stdout: r.stdout } satisfies Packed);
  });
  return JSON.parse(ready) as Packed;
}

/** As sh, without blocking this process (test files run their install cases side by side). */
export function shAsync(cwd: string, cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const c = spawn(cmd, args, { cwd, env: { ...process.env, ...env, npm_config_update_notifier: 'false' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 540_000 });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** The shell lines of the README's 60-second example, comments removed. */
export function readmeExampleLines(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /## A 60-second example\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md has no sh block under "## A 60-second example"');
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

export interface ReadmeRun {
  /** the fresh directory the example ran in, holding the tarball (the example makes `shop/` there) */
  base: string;
  /** the lines run, as the README has them */
  lines: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The README's 60-second example run as written (`set -e`, then its lines) in a fresh directory
 * beside a copy of the packed tarball, once per test run; every caller gets the same result.
 */
export async function readmeExampleOnce(): Promise<ReadmeRun> {
  const base = join(inject('gitopscCliDir'), 'readme');
  mkdirSync(base, { recursive: true });
  const ready = await onceInAsync(base, 'the README example', 540_000, async () => {
    const { tarball } = packOnce();
    copyFileSync(tarball, join(base, basename(tarball)));
    const lines = readmeExampleLines();
    const r = await shAsync(base, 'bash', ['-c', ['set -e', ...lines].join('\n')], { npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' });
    return JSON.stringify({ base, lines, ...r } satisfies ReadmeRun);
  });
  return JSON.parse(ready) as ReadmeRun;
}

/**
 * The pre-commit framework's `language: node` ends its hook environment's set-up with `npm
 * install -g <the packed gitopsc>` into the environment's prefix (test/pre-commit.consumer.test.ts):
 * the same work as the global install of test/install.consumer.test.ts. The pre-commit test hands that
 * installed `gitopsc` over (its path, or the reason there is none) once it has it; the install
 * test checks it as a global install (one `npm install -g` per run instead of two, ~6 s of CPU).
 */
function globalInstallDir(): string {
  const dir = join(inject('gitopscCliDir'), 'global-install');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Called by the pre-commit test as its hook environment's set-up starts: it will hand over one result. */
export function globalInstallStarted(): void {
  writeFileSync(join(globalInstallDir(), 'started'), '');
}

/** Called by the pre-commit test: the `gitopsc` of its hook environment, or why there is none. */
export function shareGlobalInstall(result: { bin: string } | { error: string }): void {
  const dir = globalInstallDir();
  if ('bin' in result) writeFileSync(join(dir, 'ready'), result.bin);
  else writeFileSync(join(dir, 'failed'), result.error);
}

const sleepAsync = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The `gitopsc` the pre-commit test installed globally, waited for; undefined when it has none
 * to give: its set-up failed, or has not started within `startMs` (not in this run: a run of
 * some files only, or no `pre-commit` on this machine).
 */
export async function sharedGlobalInstall(startMs: number, timeoutMs: number): Promise<string | undefined> {
  const dir = globalInstallDir();
  const started = Date.now();
  while (!existsSync(join(dir, 'started'))) {
    if (Date.now() - started > startMs) return undefined;
    await sleepAsync(200);
  }
  for (;;) {
    if (existsSync(join(dir, 'ready'))) return readFileSync(join(dir, 'ready'), 'utf8');
    if (existsSync(join(dir, 'failed')) || Date.now() - started > timeoutMs) return undefined;
    await sleepAsync(200);
  }
}
