/**
 * The real `npm pack` (its `prepare` build included), once per test run: the first test file
 * that asks packs into the directory test/global-setup.ts provides, under a lock directory;
 * the others wait for its `ready` marker and share the tarball (test/install.test.ts,
 * test/api.pack.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { onceIn } from './once.js';

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
