/**
 * The real CLI for end-to-end tests: built once per test file with tsc into a temp package
 * (dist/ + package.json + templates + schemas), and a `gitopsc` shim on a PATH directory.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmp } from './git.js';

const ROOT = resolve(import.meta.dirname, '../..');

export function buildCli(): { bin: string; binDir: string } {
  const pkg = tmp('gitopsc-build-');
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], {
      stdio: 'pipe',
    });
  } catch (e) {
    // type errors elsewhere still emit JavaScript; only a missing bin is fatal here
    if (!existsSync(join(pkg, 'dist/cli/bin.js'))) throw e;
  }
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  for (const d of ['templates', 'schemas', 'node_modules']) symlinkSync(join(ROOT, d), join(pkg, d));
  const bin = join(pkg, 'dist/cli/bin.js');
  const binDir = join(pkg, 'bin');
  mkdirSync(binDir);
  writeFileSync(join(binDir, 'gitopsc'), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`);
  chmodSync(join(binDir, 'gitopsc'), 0o755);
  return { bin, binDir };
}
