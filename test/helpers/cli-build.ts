/**
 * The build of the test CLI into a package directory (test/helpers/cli.ts says what it holds),
 * without vitest's worker API, so that test/global-setup.ts can start it in vitest's main
 * process before any worker starts (`npm test`, `test:consumers`, `test:all`), while the test
 * files that need the CLI wait for its `ready` marker (test/helpers/once.ts).
 *
 * When the repository's own dist/ is known to be current, it is copied instead of built again
 * (about 3 s of CPU and, in a whole-suite run, the first seconds of every worker): "known"
 * means the stamp scripts/build.mjs writes after a full build (its `--if-stale` check, which
 * `npm ci` and `npm install` run) names the SHA-256 of every input as they are now, this Node's
 * version, and of every file of the copy (scripts/build-stamp.mjs, shared with the build). Any
 * difference, or a stamp of another format, builds as before.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { current, stampFile } from '../../scripts/build-stamp.mjs';
import { spawnEnv } from './env.js';
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

// code-cache.mjs: the V8 code caches beside the validators, the templates and the render path's
// bundle, so that the CLI the tests spawn loads them as the shipped package does (it validates and
// renders fixtures/example while it makes them)
const CODE_CACHE = 'code-cache.mjs';
const STEPS = ['compile-schemas.mjs', 'precompile-templates.mjs', CODE_CACHE];

/** The package directory around dist/: package.json, links to templates, schemas and node_modules, the build's later steps, the `gitopsc` shim. */
function layout(pkg: string): void {
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  for (const d of ['templates', 'schemas', 'node_modules', 'fixtures']) symlinkSync(join(ROOT, d), join(pkg, d));
  mkdirSync(join(pkg, 'scripts'));
  for (const step of STEPS) copyFileSync(join(ROOT, 'scripts', step), join(pkg, 'scripts', step));
  const binDir = join(pkg, 'bin');
  mkdirSync(binDir);
  writeFileSync(join(binDir, 'gitopsc'), `#!/bin/sh\nexec "${process.execPath}" "${join(pkg, 'dist/cli/bin.cjs')}" "$@"\n`);
  chmodSync(join(binDir, 'gitopsc'), 0o755);
}

/**
 * The processes of the build, in order: esbuild into dist/, then the build's later steps run
 * from the package directory (dist/validate/compiled/, dist/render/precompiled/), then the
 * bundled CLI (scripts/bundle-cli.mjs: dist/cli/bin.js and its chunks, dist/cli/fast.cjs, render.cjs and main.cjs), then
 * the code caches, as the shipped build runs them, so that the CLI the tests spawn is the one the package ships (and each run loads a
 * handful of files, not about 120 modules: ~60 ms less CPU per process).
 */
function commands(pkg: string): [file: string, args: string[], cwd: string][] {
  const esbuild = join(ROOT, 'node_modules/.bin/esbuild');
  return [
    [esbuild, [...sources(join(ROOT, 'src')), `--outdir=${join(pkg, 'dist')}`, `--outbase=${join(ROOT, 'src')}`, '--platform=node', '--format=esm', '--target=es2022', '--log-level=error'], ROOT],
    ...STEPS.filter((step) => step !== CODE_CACHE).map((step): [string, string[], string] => [process.execPath, [join(pkg, 'scripts', step)], pkg]),
    [process.execPath, [join(ROOT, 'scripts/bundle-cli.mjs'), join(ROOT, 'src'), join(pkg, 'dist')], ROOT],
    // (after the bundle, as scripts/build.mjs runs it: the render path's bundle gets its cache too)
    [process.execPath, [join(pkg, 'scripts', CODE_CACHE)], pkg],
  ];
}

/**
 * What the build's processes run with: this process's environment without NODE_EXTRA_CA_CERTS
 * (no TLS here: ~50 ms of CPU per Node start, test/helpers/env.ts) and without NODE_OPTIONS, as
 * scripts/build.mjs runs its steps: V8 refuses a code cache made under other V8 flags, and the
 * tests spawn the CLI without them.
 */
const env = () => spawnEnv({ NODE_OPTIONS: '' });

/** Whether `copy` (a copy of the repository's dist/ in a package directory) is the output of a full build of the current inputs (scripts/build-stamp.mjs, the rule `npm run build --if-stale` uses). */
export function currentBuild(copy: string): boolean {
  return current(ROOT, copy);
}

/** The repository's dist/ copied into `pkg` when it is a current build (checked on the copy); else nothing is left there and false. */
function copyCurrentDist(pkg: string): boolean {
  const dist = join(ROOT, 'dist');
  if (!existsSync(stampFile(ROOT)) || !existsSync(dist)) return false;
  cpSync(dist, join(pkg, 'dist'), { recursive: true });
  if (currentBuild(pkg)) return true;
  rmSync(join(pkg, 'dist'), { recursive: true, force: true });
  return false;
}

const WHAT = 'building the CLI';
const TIMEOUT = 120_000;

/** Build into `pkg` unless another caller has (or is doing it): then wait for its result. Blocks this process. */
export function buildInto(pkg: string): void {
  onceIn(pkg, WHAT, TIMEOUT, () => {
    layout(pkg);
    if (copyCurrentDist(pkg)) return 'copied';
    for (const [file, args, cwd] of commands(pkg)) execFileSync(file, args, { cwd, stdio: 'pipe', env: env(), timeout: TIMEOUT });
    return '';
  });
}

/** As buildInto, without blocking this process's other work while it builds or waits. */
export async function buildIntoAsync(pkg: string): Promise<void> {
  await onceInAsync(pkg, WHAT, TIMEOUT, async () => {
    layout(pkg);
    if (copyCurrentDist(pkg)) return 'copied';
    for (const [file, args, cwd] of commands(pkg)) await run(file, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: env(), timeout: TIMEOUT });
    return '';
  });
}

/** The marker test/global-setup.ts leaves in the package directory when it has started the build itself (test/helpers/cli.ts builtCliIfReady waits for such a build). */
export const EARLY = 'early';

/**
 * Start the build in this process (test/global-setup.ts, before any worker starts): the
 * marker, then the lock taken at once (synchronously), so every test file that asks for the CLI
 * waits for this build instead of starting its own. The promise settles when the build has
 * ended; a failure is left in the `failed` marker for the test files to report.
 */
export function startBuild(pkg: string): Promise<void> {
  writeFileSync(join(pkg, EARLY), '');
  return buildIntoAsync(pkg).catch(() => {});
}
