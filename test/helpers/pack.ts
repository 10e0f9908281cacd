/**
 * The real `npm pack` (its `prepare` build included), once per test run: the first test file
 * that asks packs into the directory test/global-setup.ts provides, under a lock directory;
 * the others wait for its `ready` marker and share the tarball (test/install.test.ts,
 * test/api.pack.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

export interface Packed {
  /** absolute path of the tarball */
  tarball: string;
  /** what `npm pack` printed on stdout */
  stdout: string;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Run a command with the test process's environment plus `env`, npm's update check off. */
export function sh(cwd: string, cmd: string, args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env, npm_config_update_notifier: 'false' }, timeout: 540_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function packOnce(): Packed {
  const dir = join(inject('gitopscCliDir'), 'pack');
  mkdirSync(dir, { recursive: true });
  const ready = join(dir, 'ready.json');
  const failed = join(dir, 'failed');
  if (existsSync(ready)) return JSON.parse(readFileSync(ready, 'utf8')) as Packed;
  let owner = false;
  try {
    mkdirSync(join(dir, 'lock'));
    owner = true;
  } catch {
    // another test file is packing
  }
  if (owner) {
    const r = sh(ROOT, 'npm', ['pack', '--pack-destination', dir]);
    if (r.code !== 0) {
      writeFileSync(failed, r.stderr);
      throw new Error(`npm pack failed: ${r.stderr}`);
    }
    const packed: Packed = { tarball: join(dir, r.stdout.trim()), stdout: r.stdout };
    writeFileSync(ready, JSON.stringify(packed));
    return packed;
  }
  const deadline = Date.now() + 540_000;
  while (!existsSync(ready)) {
    if (existsSync(failed)) throw new Error(`npm pack failed in another test file: ${readFileSync(failed, 'utf8')}`);
    if (Date.now() > deadline) throw new Error('timed out waiting for npm pack');
    sleep(100);
  }
  return JSON.parse(readFileSync(ready, 'utf8')) as Packed;
}
