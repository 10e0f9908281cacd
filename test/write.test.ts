/** Applying a write plan: atomic, never through a symbolic link, never outside the directory. */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan, openOutput, type ApplyObserver } from '../src/write/apply.js';
import { contentHash } from '../src/core/hash.js';
import { planWrites } from '../src/write/plan.js';

/** The pid of a process that has exited (a shell that prints its own pid: no Node start for it). */
const deadPid = (): string => spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();

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

  it('writes bytes as they are, beside text, in a fresh tree and through the journal', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gitopsc-write-')), 'out');
    const text = 'v: "é – 雪 🚀"\n'.repeat(5000);
    const bytes = Buffer.from(`x${text}`, 'utf8').subarray(1);
    const first = planWrites<string | Uint8Array>([{ path: 'dev/a/x.yaml', hash: contentHash(bytes), content: bytes }, file('dev/b/y.yaml', 'b: 1\n')], new Map());
    expect(await applyPlan(dir, first)).toEqual([]);
    expect(readFileSync(join(dir, 'dev/a/x.yaml'), 'utf8')).toBe(text);
    expect(readFileSync(join(dir, 'dev/b/y.yaml'), 'utf8')).toBe('b: 1\n');
    const again = Buffer.from('a: 2\n');
    const plan = planWrites<string | Uint8Array>([{ path: 'dev/a/x.yaml', hash: contentHash(again), content: again }], new Map([['dev/a/x.yaml', contentHash(bytes)]]), false);
    expect(await applyPlan(dir, plan)).toEqual([]);
    expect(readFileSync(join(dir, 'dev/a/x.yaml'), 'utf8')).toBe('a: 2\n');
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

describe('applyPlan: which paths it writes (a name of its own bookkeeping anywhere is refused)', () => {
  it.each<[string, boolean]>([
    ['dev/a/x.yaml', true],
    ['a.gitopsc-stage/x.yaml', true],
    ['dev/.gitopsc-stage/x.yaml', false],
    ['.gitopsc-journal', false],
    ['dev/.gitopsc-lock.123.4', false],
    ['dev/.gitopsc-stagex/x.yaml', true],
    ['dev/.gitopsc-stage.x/y.yaml', false],
    ['dev/x.gitopsc-12-3.tmp', false],
    ['dev/x.gitopsc-12-3.tmp/y.yaml', false],
    ['dev/x.gitopsc-12-3.tmpz/y.yaml', true],
    ['dev/.gitopsc-stage.a\nb/y.yaml', true],
    ['dev/./x.yaml', true],
    ['dev/../x.yaml', true],
    ['../x.yaml', false],
    ['dev//x.yaml', true],
  ])('%j: written %s', async (path, written) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gitopsc-write-')), 'out');
    const diags = await applyPlan(dir, planWrites([file(path, 'x: 1\n')], new Map()));
    expect(diags.map((d) => d.code)).toEqual(written ? [] : ['FILESYSTEM']);
  });
});

describe('applyPlan: the whole tree switches at once (issue 8 item 2)', () => {
  const out = () => join(mkdtempSync(join(tmpdir(), 'gitopsc-write-')), 'out');
  const tree = (dir: string) => {
    const m = new Map<string, string>();
    for (const p of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (!lstatSync(join(dir, p)).isDirectory()) m.set(p, readFileSync(join(dir, p), 'utf8'));
    }
    return m;
  };
  const OLD = [file('dev/a/x.yaml', 'a: 1\n'), file('dev/b/y.yaml', 'b: 1\n')];
  const existingOf = (files: { path: string; hash: string }[]) => new Map(files.map((f) => [f.path, f.hash]));

  it('a journal left by a killed run is rolled forward by the next one; staging without a journal is rolled back', async () => {
    // forward: the journal was written and one of two renames had happened
    const dir = out();
    expect(await applyPlan(dir, planWrites(OLD, new Map()))).toEqual([]);
    mkdirSync(join(dir, '.gitopsc-stage/dev/a'), { recursive: true });
    writeFileSync(join(dir, '.gitopsc-stage/dev/a/x.yaml'), 'a: 2\n');
    writeFileSync(join(dir, 'dev/c.yaml'), 'c: 2\n');
    writeFileSync(join(dir, '.gitopsc-journal'), JSON.stringify({ gitopscJournal: 1, writes: ['dev/a/x.yaml', 'dev/c.yaml'], removes: ['dev/b/y.yaml'] }));
    const opened = await openOutput(dir);
    expect([opened.diagnostics, opened.session?.recovered]).toEqual([[], 'forward']);
    opened.session!.release();
    expect(tree(dir)).toEqual(new Map([['dev/a/x.yaml', 'a: 2\n'], ['dev/c.yaml', 'c: 2\n']]));

    // back: files were being staged, no journal yet
    const dir2 = out();
    expect(await applyPlan(dir2, planWrites(OLD, new Map()))).toEqual([]);
    mkdirSync(join(dir2, '.gitopsc-stage/dev/a'), { recursive: true });
    writeFileSync(join(dir2, '.gitopsc-stage/dev/a/x.yaml'), 'a: 2\n');
    const again = await openOutput(dir2);
    expect(again.session?.recovered).toBe('back');
    again.session!.release();
    expect(tree(dir2)).toEqual(new Map([['dev/a/x.yaml', 'a: 1\n'], ['dev/b/y.yaml', 'b: 1\n']]));
  });

  it('a journal naming paths outside the directory is refused, and nothing is touched', async () => {
    const dir = out();
    expect(await applyPlan(dir, planWrites(OLD, new Map()))).toEqual([]);
    writeFileSync(join(dir, '.gitopsc-journal'), JSON.stringify({ gitopscJournal: 1, writes: [], removes: ['../victim'] }));
    writeFileSync(join(dir, '../victim'), 'keep\n');
    const opened = await openOutput(dir);
    expect(opened.diagnostics.map((d) => d.code)).toEqual(['FILESYSTEM']);
    expect(readFileSync(join(dir, '../victim'), 'utf8')).toBe('keep\n');
  });

  it('files the plan does not name survive untouched; the directory itself is never replaced (a mount point could not be)', async () => {
    const dir = out();
    mkdirSync(dir);
    const inode = lstatSync(dir).ino;
    writeFileSync(join(dir, 'kustomization.yaml'), 'mine\n');
    expect(await applyPlan(dir, planWrites(OLD, new Map()))).toEqual([]);
    const plan = planWrites([file('dev/a/x.yaml', 'a: 2\n')], existingOf(OLD));
    expect(await applyPlan(dir, plan)).toEqual([]);
    expect(tree(dir)).toEqual(new Map([['dev/a/x.yaml', 'a: 2\n'], ['kustomization.yaml', 'mine\n']]));
    expect(lstatSync(dir).ino).toBe(inode);
  });

  it('a lock held by a live process makes the next run wait, then fail with FILESYSTEM; a dead holder\'s lock is taken over', async () => {
    const dir = out();
    mkdirSync(dir);
    writeFileSync(join(dir, '.gitopsc-lock'), JSON.stringify({ pid: process.pid, host: hostname() }));
    const busy = await openOutput(dir, { waitMs: 100 });
    expect(busy.diagnostics.map((d) => d.code)).toEqual(['FILESYSTEM']);
    // a pid that is not running: spawn a process and let it exit
    const dead = deadPid();
    writeFileSync(join(dir, '.gitopsc-lock'), JSON.stringify({ pid: Number(dead), host: hostname() }));
    const taken = await openOutput(dir, { waitMs: 100 });
    expect(taken.diagnostics).toEqual([]);
    taken.session!.release();
    expect(existsSync(join(dir, '.gitopsc-lock'))).toBe(false);
  });
});

describe('stale temporaries of killed runs are removed', () => {
  it('a journal being written and lock temporaries of dead processes are removed by the next run', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gitopsc-write-')), 'out');
    expect(await applyPlan(dir, planWrites([file('dev/a/x.yaml', 'a: 1\n')], new Map()))).toEqual([]);
    const dead = deadPid();
    writeFileSync(join(dir, '.gitopsc-journal.tmp'), '{"gitopscJour');
    writeFileSync(join(dir, `.gitopsc-lock.${dead}.1`), '{}');
    const opened = await openOutput(dir);
    expect(opened.session?.recovered).toBe('back');
    opened.session!.release();
    expect(readdirSync(dir)).toEqual(['dev']);
  });

  it('a first render writes its tree beside the absent directory and renames it in once; a killed one leaves only that tree, removed by the next run', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'gitopsc-write-'));
    const dir = join(parent, 'out');
    const plan = planWrites([file('dev/a/x.yaml', 'a: 1\n'), file('prod/a/x.yaml', 'a: 2\n')], new Map());
    // the observer sees the whole tree under its temporary name, before the rename
    const seen: string[][] = [];
    const observer: ApplyObserver = { written: (tmp) => void seen.push([tmp, ...readdirSync(tmp, { recursive: true }).map(String).sort()]) };
    expect(await applyPlan(dir, plan, undefined, observer)).toEqual([]);
    expect(seen).toEqual([[expect.stringMatching(/\/\.out\.gitopsc-\d+-\d+\.tmp$/), 'dev', 'dev/a', 'dev/a/x.yaml', 'prod', 'prod/a', 'prod/a/x.yaml']]);
    expect(observer.fresh).toBe(true);
    expect(readdirSync(parent)).toEqual(['out']);
    expect(readdirSync(dir).sort()).toEqual(['dev', 'prod']);
    expect(readFileSync(join(dir, 'prod/a/x.yaml'), 'utf8')).toBe('a: 2\n');
    // what a first render killed before its rename leaves: a whole temporary tree, no output
    const dead = deadPid();
    const dir2 = join(parent, 'out2');
    mkdirSync(join(parent, `.out2.gitopsc-${dead}-1.tmp`, 'dev', 'a'), { recursive: true });
    writeFileSync(join(parent, `.out2.gitopsc-${dead}-1.tmp`, 'dev', 'a', 'x.yaml'), 'a: 1\n');
    const opened = await openOutput(dir2);
    expect(opened.diagnostics).toEqual([]);
    opened.session!.release();
    expect(readdirSync(parent).sort()).toEqual(['out']);
    expect(await applyPlan(dir2, plan)).toEqual([]);
    expect(readdirSync(parent).sort()).toEqual(['out', 'out2']);
  });

  it('a first render whose directory appears meanwhile goes through the journal and keeps what is there', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'gitopsc-write-'));
    const dir = join(parent, 'out');
    const opened = await openOutput(dir);
    expect(opened.session?.locked).toBe(false);
    // another run made the directory after this one looked
    mkdirSync(dir);
    writeFileSync(join(dir, 'README'), 'hand-written\n');
    const observer: ApplyObserver = {};
    expect(await applyPlan(dir, planWrites([file('dev/a/x.yaml', 'a: 1\n')], new Map()), opened.session, observer)).toEqual([]);
    opened.session!.release();
    expect(observer.fresh).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(['README', 'dev']);
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('resolve removes the lock temporaries of a resolve that was killed', async () => {
    const { baseProject, cli, makeProject } = await import('./helpers/project.js');
    const dir = makeProject(baseProject());
    const dead = deadPid();
    writeFileSync(join(dir, `.gitopsc.lock.gitopsc-${dead}-1.tmp`), 'lockVersion: 1\n');
    expect((await cli(dir, 'resolve')).code).toBe(0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('planWrites', () => {
  it('takes a file the caller found present (same path and hash) as unchanged without looking it up; it is still wanted', () => {
    class Logged extends Map<string, string> {
      looked: string[] = [];
      override get(k: string) {
        this.looked.push(k);
        return super.get(k);
      }
    }
    const existing = new Logged([['a.yaml', 'h1'], ['b.yaml', 'h2'], ['c.yaml', 'h3']]);
    const plan = planWrites([{ path: 'a.yaml', hash: 'h1', present: true }, { path: 'b.yaml', hash: 'h9', content: 'b' }], existing);
    expect(existing.looked).toEqual(['b.yaml']);
    expect(plan.unchanged).toBe(1);
    expect(plan.writes.map((w) => [w.path, w.kind])).toEqual([['b.yaml', 'change']]);
    expect(plan.removes).toEqual(['c.yaml']);
  });
});
