/**
 * The project memo (src/build/memo.ts): stat data like git's index, the racy rule, directories
 * not listed again, and the memo file. Pure functions over temp directories; no CLI.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { handOver, isBookkeeping, memoPath, takeOver, readMemo, scanTree, statClean, writeMemo, type MemoEntry, type ProjectMemo } from '../src/build/memo.js';
import { isInternalName } from '../src/write/apply.js';
import { fastArgs } from '../src/cli/fast.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gitopsc-memo-'));
  dirs.push(dir);
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

const FUTURE = 1n << 80n;
const entry = (over: Partial<Record<number, unknown>> = {}): MemoEntry => Object.assign(['h', 10, '1000', '2000', '7', 33188], over) as MemoEntry;

describe('statClean: when a recorded hash stands for a file without reading it', () => {
  const st = [10, '1000', '2000', '7', 33188] as const;
  it.each<[string, MemoEntry | undefined, bigint | undefined, boolean]>([
    ['every field equal, modified before the memo was written', entry(), 1001n, true],
    ['no entry', undefined, 1001n, false],
    ['size differs', entry({ 1: 11 }), 1001n, false],
    ['mtime differs', entry({ 2: '999' }), 1001n, false],
    ['ctime differs (a same-size edit with the mtime put back)', entry({ 3: '2001' }), 1001n, false],
    ['inode differs (replaced by a rename)', entry({ 4: '8' }), 1001n, false],
    ['mode differs', entry({ 5: 33261 }), 1001n, false],
    ['racy: modified in the tick the memo was written', entry(), 1000n, false],
    ['racy: modified after the memo was written', entry(), 999n, false],
    ['no memo write time', entry(), undefined, false],
  ])('%s', (_what, e, racyFrom, want) => {
    expect(statClean(e, st, racyFrom)).toBe(want);
  });
});

describe('scanTree', () => {
  it('hashes every file once, then reads and lists nothing while nothing changed', () => {
    const dir = tree({ 'a.yaml': 'a: 1\n', 'sub/b.yaml': 'b: 2\n', 'sub/deep/c.yaml': 'c\n' });
    const first = scanTree(dir, undefined, undefined);
    expect([...first.entries!.keys()].sort()).toEqual(['a.yaml', 'sub/b.yaml', 'sub/deep/c.yaml']);
    expect([first.rehashed, first.relisted]).toEqual([3, 3]);
    const again = scanTree(dir, { entries: first.entries!, dirs: first.dirs }, FUTURE);
    expect([again.rehashed, again.relisted]).toEqual([0, 0]);
    expect(again.entries).toEqual(first.entries);
  });

  it('re-hashes only a changed file, and one modified no earlier than the memo (racy)', () => {
    const dir = tree({ 'a.yaml': 'a: 1\n', 'b.yaml': 'b: 2\n' });
    const first = scanTree(dir, undefined, undefined);
    const prev = { entries: first.entries!, dirs: first.dirs };
    writeFileSync(join(dir, 'a.yaml'), 'a: 10\n');
    const changed = scanTree(dir, prev, FUTURE);
    expect(changed.rehashed).toBe(1);
    expect(changed.entries!.get('a.yaml')![0]).not.toBe(first.entries!.get('a.yaml')![0]);
    expect(changed.entries!.get('b.yaml')).toBe(first.entries!.get('b.yaml'));
    // a memo written in the same tick as b.yaml's mtime: b.yaml is read again
    const racyFrom = statSync(join(dir, 'b.yaml'), { bigint: true }).mtimeNs;
    expect(scanTree(dir, { entries: changed.entries!, dirs: changed.dirs }, racyFrom).rehashed).toBeGreaterThanOrEqual(1);
  });

  it('sees a same-size edit whose mtime was put back (ctime)', () => {
    const dir = tree({ 'a.yaml': 'a: 1\n' });
    const before = statSync(join(dir, 'a.yaml'));
    const first = scanTree(dir, undefined, undefined);
    writeFileSync(join(dir, 'a.yaml'), 'a: 2\n');
    utimesSync(join(dir, 'a.yaml'), before.atime, before.mtime);
    const again = scanTree(dir, { entries: first.entries!, dirs: first.dirs }, FUTURE);
    expect(again.rehashed).toBe(1);
    expect(again.entries!.get('a.yaml')![0]).not.toBe(first.entries!.get('a.yaml')![0]);
  });

  it('lists a directory again when a name is added or removed in it, and only that one', () => {
    const dir = tree({ 'x/a.yaml': 'a\n', 'y/b.yaml': 'b\n' });
    const first = scanTree(dir, undefined, undefined);
    writeFileSync(join(dir, 'x/new.yaml'), 'n\n');
    rmSync(join(dir, 'y/b.yaml'));
    const again = scanTree(dir, { entries: first.entries!, dirs: first.dirs }, FUTURE);
    expect(again.relisted).toBe(2);
    expect([...again.entries!.keys()].sort()).toEqual(['x/a.yaml', 'x/new.yaml']);
  });

  it('leaves out skipped directories and bookkeeping files; reports links and a journal, never reusing their listing', () => {
    const dir = tree({ 'a.yaml': 'a\n', 'node_modules/m.js': 'm\n', 'out/.gitopsc-lock': '1\n', 'out/.x.yaml.gitopsc-1-2.tmp': 't\n', 'out/y.yaml': 'y\n' });
    const first = scanTree(dir, undefined, undefined, { skip: new Set(['node_modules']) });
    expect([...first.entries!.keys()].sort()).toEqual(['a.yaml', 'out/y.yaml']);
    expect([first.links, first.pending]).toEqual([false, false]);
    symlinkSync('a.yaml', join(dir, 'link.yaml'));
    writeFileSync(join(dir, 'out/.gitopsc-journal'), '{}');
    const prev = { entries: first.entries!, dirs: first.dirs };
    const odd = scanTree(dir, prev, FUTURE, { skip: new Set(['node_modules']) });
    expect([odd.links, odd.pending]).toEqual([true, true]);
    expect(odd.dirs.has('')).toBe(false);
    expect(odd.dirs.has('out')).toBe(false);
    expect(scanTree(dir, { entries: odd.entries!, dirs: odd.dirs }, FUTURE, { skip: new Set(['node_modules']) })).toMatchObject({ links: true, pending: true });
  });

  it('an absent directory is an empty tree', () => {
    expect(scanTree('/nonexistent/gitopsc-memo', undefined, undefined).entries).toEqual(new Map());
  });

  it.each(['.gitopsc-lock', '.gitopsc-journal', '.gitopsc-stage', '.a.yaml.gitopsc-12-3.tmp', 'a.yaml', '.gitopsc-owned', 'gitopsc-lock'])('bookkeeping names agree with the writer: %s', (name) => {
    expect(isBookkeeping(name)).toBe(isInternalName(name));
  });
});

describe('the memo file', () => {
  const memo = (root: string): ProjectMemo => ({
    key: 'k',
    cwd: root,
    config: '',
    root,
    configFile: 'gitopsc.config.yaml',
    result: { files: ['rendered/a.yaml'], out: 'rendered/', warnings: [] },
    entries: new Map([['a.yaml', entry()]]),
    dirs: new Map([['', ['1', '2', '3', ['a.yaml', 'sub/']]]]),
  });

  it('round-trips, with its own mtime as the racy limit', () => {
    const root = tree({});
    writeMemo(root, memo(root));
    const back = readMemo(root)!;
    expect({ ...back, writtenNs: undefined }).toEqual({ ...memo(root), writtenNs: undefined });
    expect(back.writtenNs).toBe(statSync(memoPath(root), { bigint: true }).mtimeNs);
    expect(readFileSync(join(root, '.gitopsc/.gitignore'), 'utf8')).toContain('*');
  });

  it.each<[string, (text: string) => string]>([
    ['truncated', (t) => t.slice(0, -5)],
    ['a body of another length', (t) => t.replace('"k"', '"kk"')],
    ['no header', (t) => t.slice(t.indexOf('\n') + 1)],
    ['a directory name that climbs out', (t) => fixLength(t.replace('"sub/"', '"../"'))],
    ['a name with a slash inside', (t) => fixLength(t.replace('"sub/"', '"a/b"'))],
    ['files that are not strings', (t) => fixLength(t.replace('["rendered/a.yaml"]', '[1]'))],
  ])('is ignored when %s', (_what, damage) => {
    const root = tree({});
    writeMemo(root, memo(root));
    writeFileSync(memoPath(root), damage(readFileSync(memoPath(root), 'utf8')));
    expect(readMemo(root)).toBeUndefined();
  });
});

function fixLength(text: string): string {
  const nl = text.indexOf('\n');
  const body = text.slice(nl + 1);
  return `${JSON.stringify({ ...JSON.parse(text.slice(0, nl)), length: body.length })}\n${body}`;
}

describe('fastArgs: the command lines the start-up fast path answers', () => {
  it.each<[string[], ReturnType<typeof fastArgs>]>([
    [['render'], { check: false, format: 'text', quiet: false, color: true }],
    [['render', '--check'], { check: true, format: 'text', quiet: false, color: true }],
    [['--format', 'json', 'render', '--check'], { check: true, format: 'json', quiet: false, color: true }],
    [['render', '--format=github', '--quiet', '--no-color'], { check: false, format: 'github', quiet: true, color: false }],
    [['--cwd', '/p', 'render', '--config', 'c.yaml'], { check: false, format: 'text', quiet: false, color: true, cwd: '/p', config: 'c.yaml' }],
  ])('%j', (argv, want) => {
    expect(fastArgs(argv)).toEqual(want);
  });

  it.each([
    [[]],
    [['validate']],
    [['render', '--env', 'dev']],
    [['render', '--out', 'x']],
    [['render', '--stdout']],
    [['render', '--adopt']],
    [['render', '--allow-prune']],
    [['render', '--max-prune', '3']],
    [['render', '--check', '--check']],
    [['render', 'render']],
    [['render', '--format', 'yaml']],
    [['render', '--format']],
    [['render', '--cwd', '--check']],
    [['render', '--help']],
    [['render', '--debug']],
    [['render', '-h']],
    [['--version']],
  ])('%j runs the full CLI', (argv) => {
    expect(fastArgs(argv)).toBeUndefined();
  });
});

describe('handing a scan over from the fast path to the full path', () => {
  it('is taken once, and only for the same root', () => {
    const dir = tree({ 'a.yaml': 'a\n' });
    const scan = scanTree(dir, undefined, undefined);
    const memo = { key: 'k', cwd: dir, config: '', root: dir, configFile: 'c.yaml', result: { files: [], out: '.', warnings: [] }, entries: new Map(), dirs: new Map() };
    handOver(dir, memo, scan);
    expect(takeOver(`${dir}/other`)).toBeUndefined();
    handOver(dir, memo, scan);
    expect(takeOver(dir)?.scan).toBe(scan);
    expect(takeOver(dir)).toBeUndefined();
  });
});
