/**
 * The test CLI's package directory takes a copy of the repository's dist/ only when that copy is
 * what a full build of the current inputs wrote (test/helpers/cli-build.ts): a copy with one
 * byte changed, a file added or a file missing is never taken for a current build; an unchanged
 * copy of a current dist/ is.
 */
import { appendFileSync, copyFileSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { current } from '../scripts/build-stamp.mjs';
import { currentBuild } from './helpers/cli-build.js';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

it('a copy of dist/ with one byte more, a file added or a file missing is not a current build', () => {
  const pkg = mkdtempSync(join(tmpdir(), 'gitopsc-dist-'));
  const dist = join(pkg, 'dist');
  cpSync(DIST, dist, { recursive: true });
  const validator = join('validate/compiled', readdirSync(join(dist, 'validate/compiled')).find((n) => n.endsWith('.cjs'))!);
  const restore = (rel: string) => copyFileSync(join(DIST, rel), join(dist, rel));
  // an unchanged copy is current exactly when the repository's dist/ is (after `npm ci` or `npm run build`: it is)
  expect(currentBuild(pkg)).toBe(current(ROOT));
  const cases: [string, () => void, () => void][] = [
    ['one byte more in the CLI', () => appendFileSync(join(dist, 'cli/bin.js'), ' '), () => restore('cli/bin.js')],
    ['a generated validator changed', () => appendFileSync(join(dist, validator), '\n'), () => restore(validator)],
    ['a file added', () => writeFileSync(join(dist, 'extra.js'), ''), () => rmSync(join(dist, 'extra.js'))],
    ['a file removed', () => rmSync(join(dist, 'cli/bin.js')), () => restore('cli/bin.js')],
  ];
  for (const [name, mutate, undo] of cases) {
    mutate();
    expect([name, currentBuild(pkg)]).toEqual([name, false]);
    undo();
  }
  rmSync(pkg, { recursive: true, force: true });
});
