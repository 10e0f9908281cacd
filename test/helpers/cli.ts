/**
 * The real CLI for end-to-end tests: built once per test run (not per test file) with tsc into
 * the package directory that test/global-setup.ts provides (dist/ + package.json + links to
 * templates, schemas and node_modules), with a `gitopsc` shim on a PATH directory. The first
 * caller builds under a lock directory; concurrent test files wait for its `ready` marker.
 * Without precompiled schemas the CLI compiles them at run time, as it does whenever
 * dist/validate/compiled/ is absent.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function build(pkg: string): void {
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], {
      stdio: 'pipe',
    });
  } catch (e) {
    // type errors elsewhere still emit JavaScript (typecheck reports them); only a missing bin is fatal
    if (!existsSync(join(pkg, 'dist/cli/bin.js'))) throw e;
  }
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  for (const d of ['templates', 'schemas', 'node_modules']) symlinkSync(join(ROOT, d), join(pkg, d));
  const binDir = join(pkg, 'bin');
  mkdirSync(binDir);
  writeFileSync(join(binDir, 'gitopsc'), `#!/bin/sh\nexec "${process.execPath}" "${join(pkg, 'dist/cli/bin.js')}" "$@"\n`);
  chmodSync(join(binDir, 'gitopsc'), 0o755);
}

export function buildCli(): { bin: string; binDir: string } {
  const pkg = inject('gitopscCliDir');
  const ready = join(pkg, 'ready');
  const failed = join(pkg, 'failed');
  if (!existsSync(ready)) {
    let owner = false;
    try {
      mkdirSync(join(pkg, 'lock'));
      owner = true;
    } catch {
      // another test file is building it
    }
    if (owner) {
      try {
        build(pkg);
        writeFileSync(ready, '');
      } catch (e) {
        writeFileSync(failed, String(e));
        throw e;
      }
    } else {
      const deadline = Date.now() + 120_000;
      while (!existsSync(ready)) {
        if (existsSync(failed)) throw new Error('building the CLI failed in another test file');
        if (Date.now() > deadline) throw new Error('timed out waiting for the CLI build');
        sleep(100);
      }
    }
  }
  return { bin: join(pkg, 'dist/cli/bin.js'), binDir: join(pkg, 'bin') };
}
