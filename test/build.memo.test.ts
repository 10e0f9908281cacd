/**
 * The project memo (src/build/memo.ts): stat data like git's index, the racy rule, directories
 * not listed again, and the memo file. Pure functions over temp directories; no CLI.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeMemo, entryFor, FileEntries, fstatOf, handOver, isBookkeeping, memoPath, openMemo, takeOver, readMemo, refreshDirs, sameContent, scanTree, statClean, statOf, statSource, statWritten, writeMemo, type DirEntry, type MemoEntry, type ProjectMemo, type StatData, type Time } from '../src/build/memo.js';
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

const FUTURE: Time = [Number.MAX_SAFE_INTEGER, 0];
/** [hash, mode, ino, size, mtime s, mtime ns, ctime s, ctime ns] */
const entry = (over: Partial<Record<number, unknown>> = {}): MemoEntry => Object.assign(['h', 33188, 7, 10, 1000, 250, 2000, 500], over) as MemoEntry;
const dir = (names: string[], mtimeS = 5000): DirEntry => [16877, 3, 60, mtimeS, 0, mtimeS, 0, names];

describe('statClean: when a recorded hash stands for a file without reading it', () => {
  const st: StatData = [33188, 7, 10, 1000, 250, 2000, 500];
  it.each<[string, MemoEntry | undefined, Time | undefined, boolean]>([
    ['every field equal, modified before the memo was written', entry(), [1000, 251], true],
    ['every field equal, modified a second before the memo', entry(), [1001, 0], true],
    ['no entry', undefined, [1001, 0], false],
    ['size differs', entry({ 3: 11 }), [1001, 0], false],
    ['mtime differs', entry({ 4: 999 }), [1001, 0], false],
    ['mtime differs by a nanosecond', entry({ 5: 251 }), [1001, 0], false],
    ['ctime differs (a same-size edit with the mtime put back)', entry({ 6: 2001 }), [1001, 0], false],
    ['ctime differs by a nanosecond', entry({ 7: 501 }), [1001, 0], false],
    ['inode differs (replaced by a rename)', entry({ 2: 8 }), [1001, 0], false],
    ['mode differs', entry({ 1: 33261 }), [1001, 0], false],
    ['racy: modified in the tick the memo was written', entry(), [1000, 250], false],
    ['racy: modified after the memo was written', entry(), [1000, 249], false],
    ['racy: modified a second after the memo was written', entry(), [999, 900], false],
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
    const b = statOf(join(dir, 'b.yaml'))!;
    const racyFrom: Time = [b[3], b[4]];
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
    // (a directory recorded after its files changed: not listed again when written)
    dirs: new Map([['', dir(['a.yaml', 'sub/'])]]),
  });

  it('round-trips, with its own mtime as the racy limit', () => {
    const root = tree({});
    mkdirSync(join(root, '.gitopsc/cache'), { recursive: true });
    writeMemo(root, memo(root));
    const back = readMemo(root)!;
    // (a memo read back keeps its files as the file's columns: compared as a plain Map)
    expect({ ...back, entries: new Map(back.entries), written: undefined, layout: undefined }).toEqual({ ...memo(root), written: undefined });
    const st = statSync(memoPath(root), { bigint: true });
    expect(back.written).toEqual([Number(st.mtimeNs / 1_000_000_000n), Number(st.mtimeNs % 1_000_000_000n)]);
    expect(readFileSync(join(root, '.gitopsc/.gitignore'), 'utf8')).toContain('*');
  });

  it.each<[string, (bytes: Buffer) => Buffer]>([
    ['truncated', (b) => b.subarray(0, -5)],
    ['longer', (b) => Buffer.concat([b, Buffer.from('\n')])],
    ['a header of another length', (b) => Buffer.from(b.toString('latin1').replace('"k"', '"kk"'), 'latin1')],
    ['no header', (b) => b.subarray(b.indexOf(10) + 1)],
    ['another format', (b) => Buffer.from(b.toString('latin1').replace('"format":3', '"format":2'), 'latin1')],
    ['another byte order', (b) => Buffer.from(b.toString('latin1').replace(/"endian":"(LE|BE)"/, (_m, e: string) => `"endian":"${e === 'LE' ? 'BE' : 'LE'}"`), 'latin1')],
  ])('is ignored when %s', (_what, damage) => {
    const root = tree({});
    writeMemo(root, memo(root));
    writeFileSync(memoPath(root), damage(readFileSync(memoPath(root))));
    expect(openMemo(root)).toBeUndefined();
    expect(readMemo(root)).toBeUndefined();
  });

  it.each<[string, (m: ProjectMemo) => ProjectMemo]>([
    ['a directory name that climbs out', (m) => ({ ...m, dirs: new Map([['', dir(['a.yaml', '../'])]]) })],
    ['a name with a slash inside', (m) => ({ ...m, dirs: new Map([['', dir(['a.yaml', 'a/b'])]]) })],
    ['a path that climbs out', (m) => ({ ...m, entries: new Map([['../a.yaml', entry()]]) })],
    ['a path that climbs out below', (m) => ({ ...m, entries: new Map([['sub/../../a.yaml', entry()]]) })],
    ['a path with a dot name', (m) => ({ ...m, entries: new Map([['sub/./a.yaml', entry()]]) })],
    ['a path with an empty name', (m) => ({ ...m, entries: new Map([['sub//a.yaml', entry()]]) })],
    ['an absolute path', (m) => ({ ...m, entries: new Map([['/a.yaml', entry()]]) })],
    ['a path ending in a slash', (m) => ({ ...m, entries: new Map([['sub/', entry()]]) })],
    ['a path with a NUL', (m) => ({ ...m, entries: new Map([['sub/a\u0000.yaml', entry()]]) })],
    ['files that are not strings', (m) => ({ ...m, result: { ...m.result, files: [1 as unknown as string] } })],
  ])('is not believed with %s', (_what, damage) => {
    const root = tree({});
    mkdirSync(join(root, '.gitopsc/cache'), { recursive: true });
    writeFileSync(memoPath(root), encodeMemo(damage(memo(root)))!);
    expect(openMemo(root)).toBeDefined();
    expect(readMemo(root)).toBeUndefined();
  });

  it('parses its result only when asked: one that is not a result leaves the maps of full() and a rescan usable, and readMemo refuses the memo', () => {
    const root = tree({ 'a.yaml': 'a\n' });
    const m = memo(root);
    writeMemo(root, { ...m, entries: scanTree(root, undefined, undefined).entries!, result: { ...m.result, files: [1 as unknown as string] } });
    const file = openMemo(root)!;
    expect(file.result()).toBeUndefined();
    const full = file.full()!;
    expect([...full.entries.keys()]).toEqual(['a.yaml']);
    expect(full.result).toBeUndefined();
    expect(readMemo(root)).toBeUndefined();
    // and a good one is the one written, read once
    writeMemo(root, { ...m, entries: scanTree(root, undefined, undefined).entries! });
    const good = openMemo(root)!.full()!;
    expect(good.result).toEqual(m.result);
    expect(good.result).toBe(good.result);
  });

  it('is not written for a path the format cannot hold (a newline in a name); the one there stays', () => {
    const root = tree({});
    writeMemo(root, memo(root));
    const before = readFileSync(memoPath(root));
    writeMemo(root, { ...memo(root), entries: new Map([['a\nb.yaml', entry()]]) });
    expect(readFileSync(memoPath(root))).toEqual(before);
  });
});

describe('stat data', () => {
  afterEach(() => void statSource('binding'));
  it('is Node\'s own binding here (trusted), and the same from fs.lstatSync: a file, a directory, a link, the root followed, none', () => {
    expect(statSource()).toBe('binding');
    const root = tree({ 'a.yaml': 'a\n', 'sub/b.yaml': 'b\n' });
    symlinkSync('a.yaml', join(root, 'link.yaml'));
    const cases: [string, boolean][] = [[join(root, 'a.yaml'), false], [join(root, 'sub'), false], [join(root, 'link.yaml'), false], [join(root, 'link.yaml'), true], [join(root, 'none'), false], [join(root, 'a.yaml/x'), false]];
    const look = ([p, follow]: [string, boolean]) => {
      try {
        return statOf(p, follow);
      } catch (e) {
        return (e as NodeJS.ErrnoException).code;
      }
    };
    const binding = cases.map(look);
    statSource('fs');
    expect(cases.map(look)).toEqual(binding);
    expect(binding.map((st) => (typeof st === 'object' ? st.length : st))).toEqual([7, 7, 7, 7, undefined, 'ENOTDIR']);
    const st = statSync(join(root, 'a.yaml'), { bigint: true });
    expect(binding[0]).toEqual([Number(st.mode), Number(st.ino), 2, Number(st.mtimeNs / 1_000_000_000n), Number(st.mtimeNs % 1_000_000_000n), Number(st.ctimeNs / 1_000_000_000n), Number(st.ctimeNs % 1_000_000_000n)]);
  });
});

describe.each(['binding', 'fs'] as const)('the unchanged check (stat data alone, no maps), stat data from %s', (source) => {
  beforeEach(() => void statSource(source));
  afterEach(() => void statSource('binding'));
  const SKIP = new Set(['.gitopsc']);
  const record = (root: string): ProjectMemo => {
    const scan = scanTree(root, undefined, undefined, { skip: SKIP });
    const m: ProjectMemo = { key: 'k', cwd: root, config: '', root, configFile: 'c.yaml', result: { files: [], out: '.', warnings: [] }, entries: scan.entries!, dirs: scan.dirs };
    writeMemo(root, m);
    return m;
  };
  /** the memo file's own mtime put forward, as if written a while after the files (else they are all racy) */
  const later = (root: string) => {
    const t = new Date(Date.now() + 10_000);
    utimesSync(memoPath(root), t, t);
  };

  it('holds for an unchanged tree, and not for a racy memo or a touched, added or removed file', () => {
    const root = tree({ 'a.yaml': 'a\n', 'sub/b.yaml': 'b\n', 'sub/deep/c.yaml': 'c\n' });
    const tick = new Date(Date.now() + 5_000);
    utimesSync(join(root, 'sub/b.yaml'), tick, tick);
    record(root);
    utimesSync(memoPath(root), tick, tick);
    expect(openMemo(root)!.unchanged()).toBe(false); // written in the tick of a file: racy
    later(root);
    expect(openMemo(root)!.unchanged()).toBe(true);
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'sub/b.yaml'), past, past);
    expect(openMemo(root)!.unchanged()).toBe(false);
    record(root);
    later(root);
    expect(openMemo(root)!.unchanged()).toBe(true);
    writeFileSync(join(root, 'sub/deep/new.yaml'), 'n\n');
    expect(openMemo(root)!.unchanged()).toBe(false);
    rmSync(join(root, 'sub/deep/new.yaml'));
    record(root);
    later(root);
    expect(openMemo(root)!.unchanged()).toBe(true);
    rmSync(join(root, 'a.yaml'));
    expect(openMemo(root)!.unchanged()).toBe(false);
  });

  describe('the output directory\'s leaf directories (unlisted): not stat\'ed, but near the templates', () => {
    const FILES = { 'svc.yaml': 's\n', 'out/dev/a.yaml': 'a\n', 'out/prod/a.yaml': 'a\n', 'out/tpl/kubernetes/t.hbs': 't\n', 'out/tpl/x/y.yaml': 'y\n', 'out/tpl/x/deeper/z.yaml': 'z\n' };
    const withUnlisted = (root: string, unlisted: ProjectMemo['unlisted'], cwd = root) => {
      const scan = scanTree(root, undefined, undefined, { skip: SKIP });
      writeMemo(root, { key: 'k', cwd, config: '', root, configFile: 'c.yaml', result: { files: [], out: 'out', warnings: [] }, entries: scan.entries!, dirs: scan.dirs, ...(unlisted ? { unlisted } : {}) });
      later(root);
    };

    it.each<[string, string, boolean]>([
      // a leaf below the output directory: someone else's file, which no render reads
      ['a file added in a leaf below the output directory', 'out/dev/stray.yaml', true],
      ['a directory added in a leaf below the output directory', 'out/prod/sub/stray.yaml', true],
      // the output directory's own listing, and a directory with subdirectories, are stat'ed
      ['a file added in the output directory itself', 'out/stray.yaml', false],
      ['a file added in a directory with subdirectories', 'out/tpl/x/stray.yaml', false],
      // the templates' loader lists the template directory and its children
      ['a template added', 'out/tpl/kubernetes/new.hbs', false],
      ['a file added in the template directory', 'out/tpl/new.yaml', false],
      ['a file added at the root', 'new.yaml', false],
    ])('%s (%s): unchanged %s', (_name, added, want) => {
      const root = tree(FILES);
      withUnlisted(root, { out: 'out', templates: 'out/tpl' });
      expect(openMemo(root)!.meta.unlisted).toEqual({ out: 'out', templates: 'out/tpl' });
      expect(openMemo(root)!.unchanged()).toBe(true);
      mkdirSync(join(root, added, '..'), { recursive: true });
      writeFileSync(join(root, added), 'n\n');
      expect(openMemo(root)!.unchanged()).toBe(want);
      expect(openMemo(root)!.changes()?.length === 0).toBe(want);
      // without the record, every directory is stat'ed
      const again = tree(FILES);
      withUnlisted(again, undefined);
      mkdirSync(join(again, added, '..'), { recursive: true });
      writeFileSync(join(again, added), 'n\n');
      expect(openMemo(again)!.unchanged()).toBe(false);
    });

    it('an owned file changed or gone in a leaf, or the leaf replaced by a link to itself moved, is a change; a leaf deleted is goneDir', () => {
      const root = tree(FILES);
      withUnlisted(root, { out: 'out' });
      writeFileSync(join(root, 'out/dev/a.yaml'), 'b\n');
      expect(openMemo(root)!.unchanged()).toBe(false);
      withUnlisted(root, { out: 'out' });
      rmSync(join(root, 'out/dev/a.yaml'));
      expect(openMemo(root)!.unchanged()).toBe(false);
      writeFileSync(join(root, 'out/dev/a.yaml'), 'a\n');
      withUnlisted(root, { out: 'out' });
      // the files' own stat data unchanged (moved with their directory): the parent's listing tells
      const away = mkdtempSync(join(tmpdir(), 'gitopsc-moved-'));
      renameSync(join(root, 'out/dev'), join(away, 'dev'));
      symlinkSync(join(away, 'dev'), join(root, 'out/dev'));
      expect(openMemo(root)!.unchanged()).toBe(false);
      rmSync(join(root, 'out/dev'));
      renameSync(join(away, 'dev'), join(root, 'out/dev'));
      withUnlisted(root, { out: 'out' });
      expect(openMemo(root)!.unchanged()).toBe(true);
      rmSync(join(root, 'out/prod'), { recursive: true });
      const m = openMemo(root)!;
      expect(m.changes()).toBeUndefined();
      expect(m.goneDir()).toBe('out/prod');
    });

    it('once another path changed, the leaves are looked at too: a rescan then lists a leaf someone added a file to', () => {
      const root = tree(FILES);
      withUnlisted(root, { out: 'out' });
      writeFileSync(join(root, 'out/dev/stray.yaml'), 'n\n');
      expect(openMemo(root)!.changes()).toEqual([]);
      // a render of this change plans its writes over the scan made from these changes: the file in out/dev must be in it
      writeFileSync(join(root, 'svc.yaml'), 'changed\n');
      const m = openMemo(root)!;
      const c = m.changes()!;
      const paths = m.full()!.layout!.paths;
      expect(c.map((i) => paths[i])).toEqual(['out/dev', 'svc.yaml']);
      expect(c).toEqual([...c].sort((a, b) => a - b));
      expect(m.rescan(c, { skip: SKIP })).toBeUndefined();
      // an empty leaf gone, with another change: gone, as before
      rmSync(join(root, 'out/dev/stray.yaml'));
      mkdirSync(join(root, 'out/empty'));
      withUnlisted(root, { out: 'out' });
      expect(openMemo(root)!.changes()).toEqual([]);
      rmSync(join(root, 'out/empty'), { recursive: true });
      writeFileSync(join(root, 'svc.yaml'), 'changed again\n');
      const g = openMemo(root)!;
      expect(g.changes()).toBeUndefined();
    });

    it('the leaf config discovery starts from (the memo\'s cwd) is looked at: a config file added there is a change', () => {
      const root = tree(FILES);
      withUnlisted(root, { out: 'out' }, join(root, 'out/dev'));
      expect(openMemo(root)!.unchanged()).toBe(true);
      writeFileSync(join(root, 'out/dev/gitopsc.config.yaml'), 'services: ["*.yaml"]\n');
      expect(openMemo(root)!.unchanged()).toBe(false);
      // another leaf still is not
      rmSync(join(root, 'out/dev/gitopsc.config.yaml'));
      withUnlisted(root, { out: 'out' }, join(root, 'out/dev'));
      writeFileSync(join(root, 'out/prod/gitopsc.config.yaml'), 'services: ["*.yaml"]\n');
      expect(openMemo(root)!.unchanged()).toBe(true);
    });

    it.each([[{ out: '' }], [{ out: '.' }], [{ out: 'a/../b' }], [{ out: 'out', templates: 3 }], [{ out: 7 }], ['out']])('a header with unlisted %j is read as none', (bad) => {
      const root = tree(FILES);
      withUnlisted(root, bad as ProjectMemo['unlisted']);
      expect(openMemo(root)!.meta.unlisted).toBeUndefined();
      writeFileSync(join(root, 'out/dev/stray.yaml'), 'n\n');
      expect(openMemo(root)!.unchanged()).toBe(false);
    });
  });

  it('reads back the maps it was written from, which a scan then finds clean', () => {
    const root = tree({ 'a.yaml': 'a\n', 'sub/b.yaml': 'b\n' });
    const m = record(root);
    later(root);
    const full = openMemo(root)!.full()!;
    expect(new Map(full.entries)).toEqual(new Map(m.entries));
    expect([...full.dirs.keys()].sort()).toEqual([...m.dirs.keys()].sort());
    const scan = scanTree(root, full, full.written, { skip: SKIP });
    expect([scan.rehashed, scan.relisted, scan.entries!.size]).toEqual([0, 0, 2]);
  });

  it('holds after files were written into new directories since the scan (their listings are taken again)', () => {
    const root = tree({ 'svc.yaml': 's\n' });
    const scan = scanTree(root, undefined, undefined, { skip: SKIP });
    const entries = new Map(scan.entries!);
    for (const p of ['out/dev/a.yaml', 'out/dev/b.yaml', 'out/prod/a.yaml']) {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), p);
      entries.set(p, entryFor(join(root, p), 'h')!);
    }
    expect([...refreshDirs(root, entries, scan.dirs, SKIP).keys()].sort()).toEqual(['', 'out', 'out/dev', 'out/prod']);
    writeMemo(root, { key: 'k', cwd: root, config: '', root, configFile: 'c.yaml', result: { files: [], out: '.', warnings: [] }, entries, dirs: scan.dirs });
    later(root);
    expect(openMemo(root)!.unchanged()).toBe(true);
  });

  it('given the directories a render touched, lists again only those, and leaves every directory as a fresh scan finds it', () => {
    const root = tree({ 'svc.yaml': 's\n', 'out/dev/a/x.yaml': 'x', 'out/dev/b/x.yaml': 'x', 'out/prod/a/x.yaml': 'x', 'other/deep/y.yaml': 'y' });
    const scan = scanTree(root, undefined, undefined, { skip: SKIP });
    const entries = new Map(scan.entries!);
    // a render: one file rewritten by a rename, one in a new directory, one removed with its directory
    const written = ['out/dev/a/x.yaml', 'out/dev/c/x.yaml'];
    mkdirSync(join(root, 'out/dev/c'));
    for (const p of written) {
      writeFileSync(join(root, `${p}.tmp`), 'new');
      renameSync(join(root, `${p}.tmp`), join(root, p));
      entries.set(p, entryFor(join(root, p), 'h')!);
    }
    rmSync(join(root, 'out/prod/a'), { recursive: true });
    entries.delete('out/prod/a/x.yaml');
    const touched = new Set(['', 'out', 'out/dev', 'out/dev/a', 'out/dev/c', 'out/prod', 'out/prod/a']);
    const byTouched = refreshDirs(root, entries, scan.dirs, SKIP, new Set(), touched);
    const fresh = scanTree(root, undefined, undefined, { skip: SKIP }).dirs;
    for (const [d, e] of fresh) expect([d, byTouched.get(d)]).toEqual([d, e]);
    // an untouched directory keeps its recorded entry (the very one: not listed again)
    expect(byTouched.get('other/deep')).toBe(scan.dirs.get('other/deep'));
    expect(byTouched.get('out/dev')![7]).toEqual(expect.arrayContaining(['a/', 'b/', 'c/']));
    expect(byTouched.get('out/dev/c')![7]).toEqual(['x.yaml']);
    expect(byTouched.get('out/prod')![7]).toEqual([]);
  });

  it('takes the stat data of a tree written whole before its rename: what a scan of the renamed tree finds, names in listing order', () => {
    const root = tree({ 'svc.yaml': 's\n' });
    const tmp = join(root, '.out.tmp');
    // names whose path order differs from their name order ('a-c' before 'a/' by path, after 'a' by name)
    const paths = ['a-c/x.yaml', 'a/b/y.yaml', 'a/b/z.yaml', 'a/x.yaml', 'top.json'];
    for (const p of paths) {
      mkdirSync(join(tmp, p, '..'), { recursive: true });
      writeFileSync(join(tmp, p), p);
    }
    const got = statWritten(tmp, paths)!;
    renameSync(tmp, join(root, 'out'));
    const scan = scanTree(join(root, 'out'), undefined, undefined, { skip: SKIP });
    expect([...got.dirs.keys()].sort()).toEqual([...scan.dirs.keys()].filter((d) => d !== '').sort());
    for (const [d, e] of got.dirs) expect([d, e]).toEqual([d, scan.dirs.get(d)]);
    for (const [p, st] of got.files) expect([p, ['h', ...st]]).toEqual([p, ['h', ...scan.entries!.get(p)!.slice(1)]]);
    expect(got.files.size).toBe(paths.length);
    // a path not there as written: nothing is told
    expect(statWritten(join(root, 'out'), [...paths, 'a/gone.yaml'])).toBeUndefined();
  });

  it('takes the files\' stat data from their descriptors as written (fstatOf, binding or fs): what a scan of the renamed tree finds', () => {
    for (const source of ['binding', 'fs'] as const) {
      statSource(source);
      const root = tree({ 'svc.yaml': 's\n' });
      const tmp = join(root, '.out.tmp');
      const paths = ['a-c/x.yaml', 'a/b/y.yaml', 'a/b/z.yaml', 'a/x.yaml', 'top.json'];
      const stats: StatData[] = [];
      for (const [i, p] of paths.entries()) {
        mkdirSync(join(tmp, p, '..'), { recursive: true });
        const fd = openSync(join(tmp, p), 'wx');
        writeSync(fd, p);
        stats[i] = fstatOf(fd);
        closeSync(fd);
        expect(stats[i], p).toEqual(statOf(join(tmp, p)));
      }
      // given stat data stands for the file: no file is looked at by path (one given for a path not there is believed)
      const got = statWritten(tmp, [...paths, 'gone.yaml'], [...stats, stats[0]!])!;
      expect(got.files.get('gone.yaml')).toEqual(stats[0]);
      got.files.delete('gone.yaml');
      renameSync(tmp, join(root, 'out'));
      const scan = scanTree(join(root, 'out'), undefined, undefined, { skip: SKIP });
      for (const [d, e] of got.dirs) expect([d, e]).toEqual([d, scan.dirs.get(d)]);
      for (const [p, st] of got.files) expect([p, ['h', ...st]]).toEqual([p, ['h', ...scan.entries!.get(p)!.slice(1)]]);
      expect(got.files.size).toBe(paths.length);
    }
    statSource('binding');
  });

  it('does not hold where a recorded file is not reached from the root (the maps are then scanned)', () => {
    const root = tree({ 'a.yaml': 'a\n' });
    const m = record(root);
    writeMemo(root, { ...m, entries: new Map([...m.entries, ['gone/x.yaml', entry()]]) });
    later(root);
    const f = openMemo(root)!;
    expect(f.unchanged()).toBe(false);
    expect(f.full()!.entries.size).toBe(2);
  });
});

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

describe.each(['binding', 'fs'] as const)('the scan made from the stat pass alone (changes, rescan), stat data from %s', (source) => {
  beforeEach(() => void statSource(source));
  afterEach(() => void statSource('binding'));
  const SKIP = new Set(['.gitopsc']);
  const OPTS = { skip: SKIP };
  const FILES = { 'a.yaml': 'a: 1\n', 'services/s1.yaml': 's1\n', 'services/s2.yaml': 's2\n', 'out/dev/s1/d.yaml': 'd1\n', 'out/dev/s2/d.yaml': 'd2\n' };
  /** a memo of the tree as it is, written a while after its files (none racy unless `racy`) */
  const recorded = (root: string, racy = false) => {
    const scan = scanTree(root, undefined, undefined, OPTS);
    writeMemo(root, { key: 'k', cwd: root, config: '', root, configFile: 'c.yaml', result: { files: [], out: '.', warnings: [] }, entries: scan.entries!, dirs: scan.dirs });
    if (!racy) {
      const t = new Date(Date.now() + 10_000);
      utimesSync(memoPath(root), t, t);
    }
  };
  const past = new Date(Date.now() - 60_000);

  // what changed -> whether the stat pass alone can tell (else the caller scans)
  it.each<[string, (root: string) => void, boolean]>([
    ['nothing', () => {}, true],
    ['a file edited in place (same size)', (r) => writeFileSync(join(r, 'services/s1.yaml'), 's9\n'), true],
    ['a file edited in place (another size)', (r) => writeFileSync(join(r, 'services/s1.yaml'), 'longer: s1\n'), true],
    ['two files edited, one of them an output', (r) => (writeFileSync(join(r, 'services/s2.yaml'), 'x\n'), writeFileSync(join(r, 'out/dev/s2/d.yaml'), 'y\n')), true],
    ['a file touched, its content the same', (r) => utimesSync(join(r, 'a.yaml'), past, past), true],
    ['a file replaced by a rename (as editors save): its directory listed again', (r) => (writeFileSync(join(r, 'services/.s1.tmp'), 'new\n'), renameSync(join(r, 'services/.s1.tmp'), join(r, 'services/s1.yaml'))), true],
    ['a file added', (r) => writeFileSync(join(r, 'services/s3.yaml'), 's3\n'), false],
    ['a file removed', (r) => rmSync(join(r, 'services/s2.yaml')), false],
    ['a directory added', (r) => mkdirSync(join(r, 'out/prod')), false],
    ['a file replaced by a directory', (r) => (rmSync(join(r, 'a.yaml')), mkdirSync(join(r, 'a.yaml'))), false],
    ['a symbolic link added', (r) => symlinkSync('a.yaml', join(r, 'services/link.yaml')), false],
    ['an interrupted render\'s journal', (r) => writeFileSync(join(r, 'out/.gitopsc-journal'), '{}'), false],
  ])('%s', (_what, change, told) => {
    const root = tree(FILES);
    recorded(root);
    change(root);
    const file = openMemo(root)!;
    // (the cwd given is the process's: its paths are looked up from the root)
    const changed = file.changes();
    const quick = changed && file.rescan(changed, OPTS);
    const full = file.full()!;
    const scan = scanTree(root, full, full.written, OPTS);
    if (!told) {
      expect(quick).toBeUndefined();
      return;
    }
    expect(changed).toBeDefined();
    expect(quick).toBeDefined();
    // exactly what a scan from the memo finds, reading only what changed
    expect(new Map(quick!.scan.entries)).toEqual(new Map(scan.entries));
    expect(quick!.scan.dirs).toEqual(scan.dirs);
    expect([quick!.scan.rehashed, quick!.scan.relisted, quick!.scan.links, quick!.scan.pending]).toEqual([scan.rehashed, scan.relisted, false, false]);
    // the memo it was made from (whose maps the scan took over: a later full() reads the file again)
    const { entries: _e, dirs: _d, ...was } = full;
    expect(quick!.memo).toEqual({ ...was, entries: quick!.scan.entries, dirs: quick!.scan.dirs });
    expect(quick!.sameContent).toBe(sameContent(scan.entries!, full.entries));
    expect(file.unchanged()).toBe(changed!.length === 0);
  });

  it.each<[string, string | undefined]>([
    ['out', 'out'],
    ['out/dev/s2', 'out/dev/s2'],
    ['services', 'services'],
  ])('a directory removed (%s): the scan from the memo without it is the scan from the whole memo', (dir, gone) => {
    const root = tree(FILES);
    recorded(root);
    rmSync(join(root, dir), { recursive: true });
    const file = openMemo(root)!;
    expect(file.changes()).toBeUndefined();
    expect(file.goneDir()).toBe(gone);
    const without = file.full(gone)!;
    expect([...without.entries.keys(), ...without.dirs.keys()].filter((p) => p === dir || p.startsWith(`${dir}/`))).toEqual([]);
    const whole = file.full()!;
    const a = scanTree(root, without, without.written, OPTS);
    const b = scanTree(root, whole, whole.written, OPTS);
    expect([a.entries, a.dirs, a.rehashed, a.relisted]).toEqual([b.entries, b.dirs, b.rehashed, b.relisted]);
  });

  it('no directory is told gone when the pass looked from another cwd', () => {
    const root = tree(FILES);
    recorded(root);
    // (relative paths from the process's cwd, which is not the root: every path looks gone)
    const file = openMemo(root)!;
    expect(file.changes(root)).toBeUndefined();
    expect(file.goneDir()).toBeUndefined();
  });

  it('re-hashes every file of a racy memo (written in the tick of its files)', () => {
    const root = tree(FILES);
    const tick = new Date(Date.now() + 5_000);
    for (const p of Object.keys(FILES)) utimesSync(join(root, p), tick, tick);
    recorded(root, true);
    utimesSync(memoPath(root), tick, tick);
    const file = openMemo(root)!;
    const changed = file.changes()!;
    expect(changed.length).toBe(file.full()!.entries.size);
    const quick = file.rescan(changed, OPTS)!;
    const scan = scanTree(root, file.full(), file.full()!.written, OPTS);
    expect(new Map(quick.scan.entries)).toEqual(new Map(scan.entries));
    expect([quick.scan.rehashed, quick.scan.relisted]).toEqual([scan.rehashed, scan.relisted]);
  });

  it('stops the pass at a recorded path that is gone (a removed file, a deleted output directory): the caller walks the tree', () => {
    for (const gone of ['services/s2.yaml', 'out']) {
      const root = tree(FILES);
      recorded(root);
      rmSync(join(root, gone), { recursive: true });
      const file = openMemo(root)!;
      expect(file.changes()).toBeUndefined();
      expect(file.unchanged()).toBe(false);
    }
  });

  it('keeps to the limits: over them, the caller scans (and finds the tree over them too)', () => {
    const root = tree(FILES);
    recorded(root);
    writeFileSync(join(root, 'services/s1.yaml'), 'x'.repeat(1000));
    const file = openMemo(root)!;
    expect(file.rescan(file.changes()!, { ...OPTS, maxBytes: 500 })).toBeUndefined();
    expect(scanTree(root, file.full(), file.full()!.written, { ...OPTS, maxBytes: 500 }).entries).toBeUndefined();
    expect(file.rescan(file.changes()!, { ...OPTS, maxBytes: 2000 })).toBeDefined();
  });

  it('is not made from a memo whose files are not all reached from the root', () => {
    const root = tree(FILES);
    const scan = scanTree(root, undefined, undefined, OPTS);
    writeMemo(root, { key: 'k', cwd: root, config: '', root, configFile: 'c.yaml', result: { files: [], out: '.', warnings: [] }, entries: new Map([...scan.entries!, ['gone/x.yaml', entry()]]), dirs: scan.dirs });
    expect(openMemo(root)!.changes()).toBeUndefined();
  });
});

describe('writing a memo read from a file', () => {
  const SKIP = new Set(['.gitopsc']);
  it('gives the bytes a fresh layout gives, whether the paths and names are the same or not', () => {
    const root = tree({ 'a.yaml': 'a\n', 'sub/b.yaml': 'b\n', 'sub/deep/c.yaml': 'c\n' });
    const scan = scanTree(root, undefined, undefined, { skip: SKIP });
    writeMemo(root, { key: 'k', cwd: root, config: '', root, configFile: 'c.yaml', result: { files: ['x'], out: '.', warnings: [] }, entries: scan.entries!, dirs: scan.dirs });
    const full = openMemo(root)!.full()!;
    expect(full.layout).toBeDefined();
    const fresh = (m: ProjectMemo) => encodeMemo({ ...m, layout: undefined });
    // the same paths, another hash and stat data, another result
    const entries = new Map(full.entries);
    entries.set('sub/b.yaml', ['other', ...full.entries.get('sub/b.yaml')!.slice(1)] as MemoEntry);
    const same = { ...full, entries, result: { files: ['x', 'y'], out: '.', warnings: [] } };
    expect(encodeMemo(same)).toEqual(fresh(same));
    // a file added (and its directory's names): the layout is made again
    const more = new Map(entries);
    more.set('sub/d.yaml', entry());
    const dirs = new Map(full.dirs);
    dirs.set('sub', [...full.dirs.get('sub')!.slice(0, 7), ['b.yaml', 'd.yaml', 'deep/']] as DirEntry);
    for (const m of [{ ...same, entries: more }, { ...same, entries: more, dirs }, { ...same, dirs }]) expect(encodeMemo(m)).toEqual(fresh(m));
    // a file left out
    const fewer = new Map(entries);
    fewer.delete('a.yaml');
    expect(encodeMemo({ ...same, entries: fewer })).toEqual(fresh({ ...same, entries: fewer }));
  });

  it('a memo read without a removed directory keeps the file\'s layout: the directory written again as it was gives the bytes a fresh layout gives, its text reused', () => {
    const root = tree({ 'a.yaml': 'a\n', 'out/dev/s1/x.yaml': 'x\n', 'out/dev/s2/y.yaml': 'y\n', 'out/prod/s1/x.yaml': 'x\n' });
    const scan = scanTree(root, undefined, undefined, { skip: SKIP });
    writeMemo(root, { key: 'k', cwd: root, config: '', root, configFile: 'c.yaml', result: { files: ['x'], out: '.', warnings: [] }, entries: scan.entries!, dirs: scan.dirs });
    const before = readFileSync(memoPath(root));
    rmSync(join(root, 'out'), { recursive: true });
    const file = openMemo(root)!;
    expect(file.changes()).toBeUndefined();
    const without = file.full(file.goneDir())!;
    expect(without.layout).toBeDefined();
    // the directory back as it was (the same paths and names): the same order and text
    const entries = new Map(without.entries);
    for (const [p, e] of scan.entries!) if (p.startsWith('out')) entries.set(p, e);
    const again = { ...without, entries, dirs: new Map([...without.dirs, ...[...scan.dirs].filter(([d]) => d.startsWith('out'))]) };
    const bytes = encodeMemo(again)!;
    expect(bytes).toEqual(encodeMemo({ ...again, layout: undefined }));
    expect(bytes.subarray(bytes.indexOf(10)).equals(before.subarray(before.indexOf(10)))).toBe(true);
    // written back otherwise (a name less): the layout is made again
    entries.delete('out/dev/s2/y.yaml');
    const dirs = new Map(again.dirs);
    dirs.set('out/dev/s2', [...again.dirs.get('out/dev/s2')!.slice(0, 7), []] as unknown as DirEntry);
    expect(encodeMemo({ ...again, entries, dirs })).toEqual(encodeMemo({ ...again, entries, dirs, layout: undefined }));
  });
});

describe('the files of a memo read from its file (FileEntries)', () => {
  const SKIP = new Set(['.gitopsc']);
  /** a memo written and read back: its entries are the file's columns */
  function readBack() {
    const root = tree({ 'a.yaml': 'a\n', 'sub/b.yaml': 'b\n', 'sub/deep/c.yaml': 'c\n', 'z.yaml': 'z\n' });
    const scan = scanTree(root, undefined, undefined, { skip: SKIP });
    writeMemo(root, { key: 'k', cwd: root, config: '', root, configFile: 'c.yaml', result: { files: ['x'], out: '.', warnings: [] }, entries: scan.entries!, dirs: scan.dirs });
    const full = openMemo(root)!.full()!;
    expect(full.entries).toBeInstanceOf(FileEntries);
    return full;
  }
  const other = (e: MemoEntry, hash: string, size = 99): MemoEntry => [hash, e[1], e[2], size, e[4], e[5], e[6], e[7]];

  it('each operation gives what a Map gives: get, has, size, order', () => {
    const ops: [string, (m: Map<string, MemoEntry>) => unknown][] = [
      ['set existing', (m) => m.set('sub/b.yaml', other(m.get('sub/b.yaml')!, 'H'))],
      ['set new', (m) => m.set('new.yaml', entry())],
      ['delete', (m) => m.delete('a.yaml')],
      ['delete absent', (m) => m.delete('nope.yaml')],
      ['set deleted again', (m) => m.set('a.yaml', entry({ 0: 'again' }))],
      ['delete new', (m) => m.delete('new.yaml')],
      ['delete replaced', (m) => m.delete('sub/b.yaml')],
      ['clear', (m) => m.clear()],
      ['set after clear', (m) => m.set('z.yaml', entry())],
    ];
    const full = readBack();
    const lazy = full.entries;
    const plain = new Map(lazy);
    const view = (m: Map<string, MemoEntry>) => ({ size: m.size, order: [...m], keys: [...m.keys()], values: [...m.values()], has: ['a.yaml', 'sub/b.yaml', 'new.yaml', 'z.yaml', 'nope.yaml'].map((k) => [m.has(k), m.get(k)]) });
    expect(view(lazy)).toEqual(view(plain));
    for (const [what, op] of ops) {
      const a = op(lazy);
      const b = op(plain);
      expect(typeof a === 'boolean' ? a : 'map', what).toEqual(typeof b === 'boolean' ? b : 'map');
      expect(view(lazy), what).toEqual(view(plain));
      const seen: string[] = [];
      lazy.forEach((_v, k) => seen.push(k));
      expect(seen, what).toEqual([...plain.keys()]);
    }
  });

  it('written after changes, gives the bytes of the same memo with a plain Map', () => {
    const cases: [string, (m: Map<string, MemoEntry>) => void][] = [
      ['unchanged', () => {}],
      ['hashes and stat data of two files set', (m) => {
        m.set('sub/b.yaml', other(m.get('sub/b.yaml')!, m.get('a.yaml')![0], 5));
        m.set('z.yaml', other(m.get('z.yaml')!, m.get('sub/deep/c.yaml')![0], 6));
      }],
      ['a hash of another width (every entry written)', (m) => m.set('a.yaml', other(m.get('a.yaml')!, 'short'))],
      ['a hash with a non-ASCII character', (m) => m.set('a.yaml', other(m.get('a.yaml')!, `${m.get('a.yaml')![0].slice(0, 26)}é`))],
      ['an entry deleted and set again', (m) => {
        const e = m.get('a.yaml')!;
        m.delete('a.yaml');
        m.set('a.yaml', e);
      }],
    ];
    for (const [what, change] of cases) {
      const full = readBack();
      change(full.entries);
      const plain = { ...full, entries: new Map(full.entries) };
      expect(encodeMemo(full), what).toEqual(encodeMemo(plain));
      expect(encodeMemo(full), what).toEqual(encodeMemo({ ...plain, layout: undefined }));
    }
    // the result: the file's own bytes only for the same files, out and warnings
    const full = readBack();
    for (const result of [{ ...full.result }, { ...full.result, files: ['y'] }, { ...full.result, files: [] }, { ...full.result, out: './' }, { ...full.result, warnings: [{ code: 'W' }] }, { files: ['x'], warnings: [], out: '.' }, { ...full.result, extra: 1 }]) {
      const m = { ...full, result: result as ProjectMemo['result'] };
      expect(encodeMemo(m), JSON.stringify(result)).toEqual(encodeMemo({ ...m, layout: undefined }));
    }
  });
});
