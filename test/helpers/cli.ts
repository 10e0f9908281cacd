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
 * of compiling every schema on every start, and bundles dist/cli/bin.js as the package does
 * (scripts/bundle-cli.mjs). The shipped build itself (scripts/build.mjs
 * through `npm pack`'s prepare) is exercised by test/install.consumer.test.ts, test/api.pack.consumer.test.ts
 * and test/pre-commit.consumer.test.ts.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { promisify } from 'node:util';
import { onceIn, onceInAsync } from './once.js';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** Every source file of the build (tsconfig.build.json: src/**\/*.ts without tests). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

// code-cache.mjs: the V8 code caches beside the validators and the templates, so that the CLI the
// tests spawn loads them as the shipped package does (it validates fixtures/example while it makes them)
const STEPS = ['compile-schemas.mjs', 'precompile-templates.mjs', 'code-cache.mjs'];

/** The package directory around dist/: package.json, links to templates, schemas and node_modules, the build's later steps, the `gitopsc` shim. */
function layout(pkg: string): void {
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  for (const d of ['templates', 'schemas', 'node_modules', 'fixtures']) symlinkSync(join(ROOT, d), join(pkg, d));
  mkdirSync(join(pkg, 'scripts'));
  for (const step of STEPS) copyFileSync(join(ROOT, 'scripts', step), join(pkg, 'scripts', step));
  const binDir = join(pkg, 'bin');
  mkdirSync(binDir);
  writeFileSync(join(binDir, 'gitopsc'), `#!/bin/sh\nexec "${process.execPath}" "${join(pkg, 'dist/cli/bin.js')}" "$@"\n`);
  chmodSync(join(binDir, 'gitopsc'), 0o755);
}

/**
 * The processes of the build, in order: esbuild into dist/, then the build's later steps run
 * from the package directory (dist/validate/compiled/, dist/render/precompiled/), then the
 * shipped build's last step, the bundled CLI (scripts/bundle-cli.mjs: dist/cli/bin.js and its
 * chunks), so that the CLI the tests spawn is the one the package ships (and each run loads a
 * handful of files, not about 120 modules: ~60 ms less CPU per process).
 */
function commands(pkg: string): [file: string, args: string[], cwd: string][] {
  const esbuild = join(ROOT, 'node_modules/.bin/esbuild');
  return [
    [esbuild, [...sources(join(ROOT, 'src')), `--outdir=${join(pkg, 'dist')}`, `--outbase=${join(ROOT, 'src')}`, '--platform=node', '--format=esm', '--target=es2022', '--log-level=error'], ROOT],
    ...STEPS.map((step): [string, string[], string] => [process.execPath, [join(pkg, 'scripts', step)], pkg]),
    [process.execPath, [join(ROOT, 'scripts/bundle-cli.mjs'), join(ROOT, 'src'), join(pkg, 'dist')], ROOT],
  ];
}

export interface BuiltCli {
  bin: string;
  binDir: string;
}

const built = (pkg: string): BuiltCli => ({ bin: join(pkg, 'dist/cli/bin.js'), binDir: join(pkg, 'bin') });

export function buildCli(): BuiltCli {
  const pkg = inject('gitopscCliDir');
  onceIn(pkg, 'building the CLI', 120_000, () => {
    layout(pkg);
    for (const [file, args, cwd] of commands(pkg)) execFileSync(file, args, { cwd, stdio: 'pipe' });
    return '';
  });
  return built(pkg);
}

/** The CLI when this run's build of it has ended (never waits, never builds): else undefined. */
export function builtCliIfReady(): BuiltCli | undefined {
  const pkg = inject('gitopscCliDir');
  return existsSync(join(pkg, 'ready')) ? built(pkg) : undefined;
}

/** As buildCli, blocking neither the caller's other cases (concurrent tests) while it builds nor while it waits for another file's build. */
export async function buildCliAsync(): Promise<BuiltCli> {
  const pkg = inject('gitopscCliDir');
  await onceInAsync(pkg, 'building the CLI', 120_000, async () => {
    layout(pkg);
    for (const [file, args, cwd] of commands(pkg)) await run(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return '';
  });
  return built(pkg);
}
