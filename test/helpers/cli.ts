/**
 * The real CLI for end-to-end tests: built once per test run (not per test file) into the
 * package directory that test/global-setup.ts provides (dist/ + package.json + links to
 * templates, schemas and node_modules), with a `gitopsc` shim on a PATH directory. The first
 * caller builds under a lock directory; concurrent test files wait for its `ready` marker.
 *
 * The build transpiles src/ file by file with esbuild, as the package's own build
 * (scripts/build.mjs) does, without tsc's declarations (the CLI needs none), then runs the
 * package's build steps scripts/compile-schemas.mjs and scripts/precompile-templates.mjs, so
 * the test CLI loads precompiled validators and templates as the shipped package does instead
 * of compiling every schema on every start. The shipped build itself (scripts/build.mjs
 * through `npm pack`'s prepare) is exercised by test/install.test.ts, test/api.pack.test.ts
 * and test/pre-commit.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { onceIn } from './once.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Every source file of the build (tsconfig.build.json: src/**\/*.ts without tests). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function build(pkg: string): void {
  const esbuild = join(ROOT, 'node_modules/.bin/esbuild');
  execFileSync(esbuild, [...sources(join(ROOT, 'src')), `--outdir=${join(pkg, 'dist')}`, `--outbase=${join(ROOT, 'src')}`, '--platform=node', '--format=esm', '--target=es2022', '--log-level=error'], {
    stdio: 'pipe',
  });
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  for (const d of ['templates', 'schemas', 'node_modules']) symlinkSync(join(ROOT, d), join(pkg, d));
  // the build's later steps, run from the package directory: dist/validate/compiled/, dist/render/precompiled/
  mkdirSync(join(pkg, 'scripts'));
  for (const step of ['compile-schemas.mjs', 'precompile-templates.mjs']) {
    copyFileSync(join(ROOT, 'scripts', step), join(pkg, 'scripts', step));
    execFileSync(process.execPath, [join(pkg, 'scripts', step)], { cwd: pkg, stdio: 'pipe' });
  }
  const binDir = join(pkg, 'bin');
  mkdirSync(binDir);
  writeFileSync(join(binDir, 'gitopsc'), `#!/bin/sh\nexec "${process.execPath}" "${join(pkg, 'dist/cli/bin.js')}" "$@"\n`);
  chmodSync(join(binDir, 'gitopsc'), 0o755);
}

export function buildCli(): { bin: string; binDir: string } {
  const pkg = inject('gitopscCliDir');
  onceIn(pkg, 'building the CLI', 120_000, () => {
    build(pkg);
    return '';
  });
  return { bin: join(pkg, 'dist/cli/bin.js'), binDir: join(pkg, 'bin') };
}
