/**
 * Vitest global setup, once per test run, in vitest's main process before any worker starts:
 *
 * - One run directory under the system temp directory, made the temp directory (TMPDIR) of the
 *   workers and so of every process they start (the CLI, git, npm, pre-commit, aws): whatever a
 *   test makes with `mkdtemp(tmpdir())`, and whatever a child process leaves in its temp
 *   directory, is inside it, and it is removed whole when the run ends. (Before, a run left
 *   about 150 directories in /tmp, among them a pre-commit home with an npm install in each.)
 *   Workers inherit the environment they are started with.
 * - One empty package directory inside it, handed to every test file through
 *   `provide`/`inject`. The first test file that needs the real CLI builds it there
 *   (test/helpers/cli.ts); the others reuse that build.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    gitopscCliDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const run = mkdtempSync(join(tmpdir(), 'gitopsc-run-'));
  // as /tmp is: the tests that run the CLI as another user (uid 65534, filesystem.test.ts,
  // publish.crash.test.ts) reach the built CLI and their projects through it, and make their temp files in it
  chmodSync(run, 0o1777);
  const cli = join(run, 'cli-build');
  mkdirSync(cli);
  process.env.TMPDIR = run;
  project.provide('gitopscCliDir', cli);
  return () => rmSync(run, { recursive: true, force: true, maxRetries: 3 });
}
