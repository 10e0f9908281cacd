/** Applying a write plan: atomic, never through a symbolic link, never outside the directory. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/write/apply.js';
import { contentHash } from '../src/hash.js';
import { planWrites } from '../src/write/plan.js';

const file = (path: string, content: string) => ({ path, content, hash: contentHash(content) });

describe('applyPlan', () => {
  it('writes a fresh tree and then only what changed, pruning what is gone', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gitopsc-write-')), 'out');
    const first = planWrites([file('dev/a/x.yaml', 'a: 1\n'), file('dev/b/y.yaml', 'b: 1\n')], new Map());
    expect(await applyPlan(dir, first)).toEqual([]);
    const plan = planWrites([file('dev/a/x.yaml', 'a: 2\n')], new Map([['dev/a/x.yaml', contentHash('a: 1\n')], ['dev/b/y.yaml', contentHash('b: 1\n')]]));
    expect(plan.writes.map((w) => [w.path, w.kind])).toEqual([['dev/a/x.yaml', 'change']]);
    expect(plan.removes).toEqual(['dev/b/y.yaml']);
    expect(await applyPlan(dir, plan)).toEqual([]);
    expect(readdirSync(join(dir, 'dev'))).toEqual(['a']);
  });

  it.each([
    ['the output directory', (root: string, elsewhere: string) => symlinkSync(elsewhere, join(root, 'out'))],
    ['a directory inside it', (root: string, elsewhere: string) => (mkdirSync(join(root, 'out')), writeFileSync(join(root, 'out', 'keep'), ''), symlinkSync(elsewhere, join(root, 'out', 'dev')))],
  ])('refuses to write through a symbolic link at %s', async (_what, link) => {
    const root = mkdtempSync(join(tmpdir(), 'gitopsc-write-'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'gitopsc-elsewhere-'));
    link(root, elsewhere);
    const diags = await applyPlan(join(root, 'out'), planWrites([file('dev/a/x.yaml', 'a: 1\n')], new Map()));
    expect(diags.map((d) => d.code)).toEqual(['FILESYSTEM']);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('refuses paths that leave the directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-write-'));
    const diags = await applyPlan(join(dir, 'out'), planWrites([file('../escape.yaml', 'x: 1\n')], new Map()));
    expect(diags.map((d) => d.code)).toEqual(['FILESYSTEM']);
    expect(existsSync(join(dir, 'escape.yaml'))).toBe(false);
  });
});
