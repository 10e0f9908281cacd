/**
 * Vitest global setup: one empty package directory per test run, handed to every test file
 * through `provide`/`inject`. The first test file that needs the real CLI builds it there
 * (test/helpers/cli.ts); the others reuse that build. Removed when the run ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    gitopscCliDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'gitopsc-build-'));
  project.provide('gitopscCliDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
