/**
 * Vitest global setup, once per test run, in vitest's main process before any worker starts:
 *
 * - One run directory, made the temp directory (TMPDIR) of the workers and so of every process
 *   they start (the CLI, git, npm, pre-commit, aws): whatever a test makes with
 *   `mkdtemp(tmpdir())`, and whatever a child process leaves in its temp directory, is inside
 *   it, and it is removed whole when the run ends. (Before, a run left about 150 directories in
 *   /tmp, among them a pre-commit home with an npm install in each.) Workers inherit the
 *   environment they are started with.
 * - That directory is in memory (/dev/shm, a tmpfs, as the test registries' storage already is)
 *   when it is there with room, not on the disk the system temp directory usually is: a run
 *   creates, syncs and removes tens of thousands of files (git repositories, three npm
 *   installs, the pre-commit hook environment). Measured on this machine (ext4 on a virtual
 *   disk): an npm install of the packed package 3.0-3.6 s of system time in /tmp, 1.7 s in
 *   /dev/shm; seven git and publish test files 82-96 s of CPU and 116-162 s of wall time in
 *   /tmp, 74-75 s and 72-97 s in /dev/shm (load 9). A TMPDIR set by the caller is kept.
 * - One empty package directory inside it, handed to every test file through
 *   `provide`/`inject`, where the real CLI is built once (test/helpers/cli.ts). A run of the
 *   package.json scripts (GITOPSC_TESTS set: the whole suite) starts that build here, before
 *   any worker starts, in child processes of this one: the test files that spawn the CLI wait
 *   for it, and so does the first schema validation of each worker, which then loads the
 *   build's validators instead of compiling the schemas (test/helpers/precompiled.ts). A run of
 *   chosen files (`npx vitest run test/<file>`) leaves it to the first file that needs the CLI.
 */
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startBuild } from './helpers/cli-build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    gitopscCliDir: string;
  }
}

/** Free space a run needs at most (the pre-commit hook environment's npm install alone is ~150 MB), with a margin. */
const RUN_BYTES = 2 * 1024 ** 3;

/** Where the run directory goes: the caller's TMPDIR; else /dev/shm when it is a writable directory with room; else the system temp directory. */
function runParent(): string {
  if (process.env.TMPDIR) return tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK | constants.X_OK);
    const fs = statfsSync('/dev/shm');
    if (fs.bavail * fs.bsize >= RUN_BYTES) return '/dev/shm';
  } catch {
    // no /dev/shm (macOS), or not ours to write
  }
  return tmpdir();
}

export default function setup(project: TestProject): () => Promise<void> {
  const run = mkdtempSync(join(runParent(), 'gitopsc-run-'));
  // as /tmp is: the tests that run the CLI as another user (uid 65534, filesystem.test.ts,
  // publish.crash.test.ts) reach the built CLI and their projects through it, and make their temp files in it
  chmodSync(run, 0o1777);
  const cli = join(run, 'cli-build');
  mkdirSync(cli);
  process.env.TMPDIR = run;
  project.provide('gitopscCliDir', cli);
  const building = process.env.GITOPSC_TESTS ? startBuild(cli) : Promise.resolve();
  return async () => {
    await building; // its processes write into the run directory
    rmSync(run, { recursive: true, force: true, maxRetries: 3 });
  };
}
