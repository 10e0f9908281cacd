/**
 * The real CLI for end-to-end tests: built once per test run (not per test file) into the
 * package directory that test/global-setup.ts provides (dist/ + package.json + links to
 * templates, schemas and node_modules), with a `gitopsc` shim on a PATH directory. The first
 * caller (test/global-setup.ts in a whole-suite run, else the first test file that asks)
 * builds under a lock directory; concurrent test files wait for its `ready` marker. The build
 * itself is in test/helpers/cli-build.ts.
 *
 * The build transpiles src/ file by file with esbuild, as the package's own build
 * (scripts/build.mjs) does, without tsc's declarations (the CLI needs none), then runs the
 * package's build steps scripts/compile-schemas.mjs and scripts/precompile-templates.mjs, so
 * the test CLI loads precompiled validators and templates as the shipped package does instead
 * of compiling every schema on every start, and bundles the CLI (dist/cli/bin.cjs, package.json's bin) as the package does
 * (scripts/bundle-cli.mjs). The shipped build itself (scripts/build.mjs
 * through `npm pack`'s prepare) is exercised by test/install.consumer.test.ts, test/api.pack.consumer.test.ts
 * and test/pre-commit.consumer.test.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { buildInto, buildIntoAsync, EARLY } from './cli-build.js';

export interface BuiltCli {
  bin: string;
  binDir: string;
}

// (package.json's bin: the `gitopsc` command as a user's shell runs it)
const built = (pkg: string): BuiltCli => ({ bin: join(pkg, 'dist/cli/bin.cjs'), binDir: join(pkg, 'bin') });

export function buildCli(): BuiltCli {
  const pkg = inject('gitopscCliDir');
  buildInto(pkg);
  return built(pkg);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The CLI once this run's build of it has ended, else undefined; never builds. When
 * test/global-setup.ts started the build (its `early` marker: another process, vitest's main
 * one, builds it, so waiting here cannot wait on itself), waits for it to end (blocking this
 * worker, as loading what it makes is the point: compiling the schemas instead costs each
 * worker 2-4 s of CPU); undefined if it failed or took longer than `waitMs`. Without that
 * marker (a run of chosen files) it never waits.
 */
export function builtCliIfReady(waitMs = 120_000): BuiltCli | undefined {
  const pkg = inject('gitopscCliDir');
  const ready = join(pkg, 'ready');
  if (existsSync(ready)) return built(pkg);
  if (!existsSync(join(pkg, EARLY))) return undefined;
  const deadline = Date.now() + waitMs;
  while (!existsSync(ready)) {
    if (existsSync(join(pkg, 'failed')) || Date.now() > deadline) return undefined;
    sleep(25);
  }
  return built(pkg);
}

/** As buildCli, blocking neither the caller's other cases (concurrent tests) while it builds nor while it waits for another file's build. */
export async function buildCliAsync(): Promise<BuiltCli> {
  const pkg = inject('gitopscCliDir');
  await buildIntoAsync(pkg);
  return built(pkg);
}
