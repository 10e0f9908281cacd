/**
 * The stat memo of diff and publish (src/build/source-stat.ts): an unchanged file's content
 * hash comes from its stat data without a read; any change of stat data, a racily clean file,
 * a symbolic link or a damaged entry means a read. And `diff` built on it shows every edit,
 * also one that keeps the file's size and mtime.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffProject } from '../src/build/diff.js';
import { openBlobMemo, openSourceStat, sourceStat } from '../src/build/source-stat.js';
import { statOf, type Time } from '../src/build/memo.js';
import { contentHash, gitBlobId } from '../src/core/hash.js';
import type { ProjectSource } from '../src/core/types.js';
import { compile, fsSource } from '../src/pipeline.js';
import { compareResults } from '../src/diff/compare.js';
import { toJson } from '../src/diff/format-json.js';
import { git, isolateGit, tmp } from './helpers/git.js';

beforeAll(() => isolateGit());

/**
 * The example project in `dir` (without its rendered output and the caches `npm run example`
 * leaves beside it), with this .gitignore, committed as `base` on main.
 */
function committedExample(dir: string, gitignore: string): void {
  cpSync(join(import.meta.dirname, '..', 'fixtures', 'example'), dir, { recursive: true, filter: (p) => !p.includes(`${join('example', 'rendered')}`) && !p.includes(`${join('example', '.gitopsc')}`) });
  writeFileSync(join(dir, '.gitignore'), gitignore);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
}

/** An in-memory JsonCache. */
function store(init: Record<string, unknown> = {}) {
  const m = new Map(Object.entries(init));
  return { m, get: (k: string) => m.get(k), set: (k: string, v: unknown) => void m.set(k, v), save: () => Promise.resolve() };
}

/** fsSource that logs each read. */
function counting(root: string, log: string[]): ProjectSource {
  const fs = fsSource(root);
  return { ...fs, read: (rel) => (log.push(rel), fs.read(rel)) };
}

const later: Time = [Number.MAX_SAFE_INTEGER, 0];

describe('sourceStat', () => {
  it('a file read once is known by its stat data afterwards: no read, the same hash, its blob id named', async () => {
    const root = tmp();
    writeFileSync(join(root, 'a.yaml'), 'a: 1\n');
    const st = store();
    const log: string[] = [];
    const first = sourceStat(root, counting(root, log), st, undefined);
    expect(first.hashOf('a.yaml')).toBeUndefined(); // nothing recorded yet
    const bytes = await first.source.read('a.yaml');
    expect(first.readBytes('a.yaml')).toBe(bytes);
    const second = sourceStat(root, counting(root, log), st, later);
    expect(second.hashOf('a.yaml')).toBe(contentHash('a: 1\n'));
    expect(second.blobHash(gitBlobId(new TextEncoder().encode('a: 1\n')))).toBe(contentHash('a: 1\n'));
    expect(second.blobHash('0'.repeat(40))).toBeUndefined();
    expect(log).toEqual(['a.yaml']);
  });

  it.each([
    ['the content changes (size, mtime and ctime change)', (f: string) => writeFileSync(f, 'a: 22\n')],
    ['the same size and mtime, other bytes (ctime changes)', (f: string) => {
      const { atime, mtime } = statSync(f);
      writeFileSync(f, 'a: 2\n');
      utimesSync(f, atime, mtime);
    }],
    ['the file is replaced by a symbolic link to the same bytes', (f: string) => {
      writeFileSync(`${f}.real`, 'a: 1\n');
      rmSync(f);
      symlinkSync(`${f}.real`, f);
    }],
    ['the file is removed', (f: string) => rmSync(f)],
  ])('%s: the hash is not believed', async (_, change) => {
    const root = tmp();
    const file = join(root, 'a.yaml');
    writeFileSync(file, 'a: 1\n');
    const st = store();
    await sourceStat(root, fsSource(root), st, undefined).source.read('a.yaml');
    change(file);
    expect(sourceStat(root, fsSource(root), st, later).hashOf('a.yaml')).toBeUndefined();
  });

  it('a file modified no earlier than the memo was written is racily clean: read again', async () => {
    const root = tmp();
    writeFileSync(join(root, 'a.yaml'), 'a: 1\n');
    const st = store();
    await sourceStat(root, fsSource(root), st, undefined).source.read('a.yaml');
    const m = statOf(join(root, 'a.yaml'))!;
    expect(sourceStat(root, fsSource(root), st, [m[3], m[4]]).hashOf('a.yaml')).toBeUndefined(); // same tick
    expect(sourceStat(root, fsSource(root), st, [m[3], m[4] + 1]).hashOf('a.yaml')).toBe(contentHash('a: 1\n'));
  });

  it('a symbolic link is read every time, never recorded; a damaged entry is ignored', async () => {
    const root = tmp();
    writeFileSync(join(root, 'real.yaml'), 'a: 1\n');
    symlinkSync(join(root, 'real.yaml'), join(root, 'link.yaml'));
    const st = store({ 'f:b.yaml': ['x', 'not', 'stat'] });
    writeFileSync(join(root, 'b.yaml'), 'b: 1\n');
    const s = sourceStat(root, fsSource(root), st, undefined);
    expect(new TextDecoder().decode(await s.source.read('link.yaml'))).toBe('a: 1\n');
    expect(st.m.has('f:link.yaml')).toBe(false);
    expect(sourceStat(root, fsSource(root), st, later).hashOf('link.yaml')).toBeUndefined();
    expect(sourceStat(root, fsSource(root), st, later).hashOf('b.yaml')).toBeUndefined();
  });
});

describe('openBlobMemo: blobs.json', () => {
  const file = (root: string) => join(root, '.gitopsc/cache/blobs.json');
  it('keeps entries between runs; a damaged, older or foreign file is ignored whole', async () => {
    const root = tmp();
    const a = openBlobMemo(root);
    expect(a.get('blob:1')).toBeUndefined();
    a.set('blob:1', 'h1');
    a.set('state:x:y', 'same');
    await a.save();
    const b = openBlobMemo(root);
    expect([b.get('blob:1'), b.get('state:x:y'), b.get('blob:2')]).toEqual(['h1', 'same', undefined]);
    const good = readFileSync(file(root), 'utf8');
    expect(good.split('\n')[1]).toBe('["blob:1","h1","state:x:y","same"]');
    // nothing new: not written again
    const st = statSync(file(root));
    await b.save();
    expect(statSync(file(root)).mtimeMs).toBe(st.mtimeMs);
    for (const bad of [
      good.replace('"h1"', '"h9"'), // edited: the checksum differs
      good.slice(0, -3), // truncated
      '{"format":1,"version":"1","checksum":"x"}\n{"blob:1":"h1"}', // the JsonCache format of before
      'not json\n[]',
    ]) {
      writeFileSync(file(root), bad);
      expect(openBlobMemo(root).get('blob:1')).toBeUndefined();
    }
  });
});

describe('openSourceStat: worktree.json, a flat cache', () => {
  it('an entry recorded by a run is believed by the next (no read); an older worktree.json is ignored (a read)', async () => {
    const root = tmp();
    writeFileSync(join(root, 'a.yaml'), 'a: 1\n');
    const log: string[] = [];
    const old = Date.now() / 1000 - 10;
    utimesSync(join(root, 'a.yaml'), old, old);
    const first = openSourceStat(root, counting(root, log), openBlobMemo(root));
    await first.source.read('a.yaml');
    await first.save();
    const head = readFileSync(join(root, '.gitopsc/cache/worktree.json'), 'utf8').split('\n')[0]!;
    expect(JSON.parse(head).format).toBe('gitopsc-worktree 3');
    expect(openSourceStat(root, counting(root, log), openBlobMemo(root)).hashOf('a.yaml')).toBe(contentHash('a: 1\n'));
    writeFileSync(join(root, '.gitopsc/cache/worktree.json'), '{"format":1,"version":"2","checksum":"x"}\n{}');
    expect(openSourceStat(root, counting(root, log), openBlobMemo(root)).hashOf('a.yaml')).toBeUndefined();
  });
});

describe('diff with the stat memo', () => {
  it('shows every edit of a service file, also one that keeps its size and mtime, as a diff without caches does', async () => {
    const dir = tmp();
    committedExample(dir, '.gitopsc/\nrendered/\n');
    mkdirSync(join(dir, '.gitopsc'), { recursive: true });
    const run = async () => {
      const r = await diffProject({ root: dir, configFile: 'gitopsc.config.yaml', base: 'HEAD', env: process.env });
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      return r;
    };
    expect((await run()).diff?.files).toEqual([]);
    expect((await run()).diff?.files).toEqual([]); // from the memo: nothing read, nothing rendered
    expect(readFileSync(join(dir, '.gitopsc/cache/worktree.json'), 'utf8')).toContain('"f:services/checkout.yaml"');

    const svc = join(dir, 'services/checkout.yaml');
    const text = readFileSync(svc, 'utf8');
    expect(text).toContain('replicas: 2');
    const { atime, mtime } = statSync(svc);
    writeFileSync(svc, text.replace('replicas: 2', 'replicas: 3')); // same size
    utimesSync(svc, atime, mtime); // same mtime
    const r = await run();
    expect(r.diff?.files.map((f) => f.path)).toEqual(['staging/checkout/deployment.yaml']);
    expect(r.rendered).toBe(4); // staging and prod (replicas under an HPA: other inputs, the same bytes), on each side

    // the same bytes through a diff that has no cache at all
    const fresh = tmp();
    cpSync(dir, fresh, { recursive: true, filter: (p) => !p.includes('.gitopsc') });
    const plain = await diffProject({ root: fresh, configFile: 'gitopsc.config.yaml', base: 'HEAD', env: process.env });
    expect(JSON.stringify(plain.diff)).toBe(JSON.stringify(r.diff));
  });
});

describe('diff --base: the repository and the base commit from one git process', () => {
  const project = (dir: string) => cpSync(join(import.meta.dirname, '..', 'fixtures', 'example'), dir, { recursive: true, filter: (p) => !p.includes(`${join('example', 'rendered')}`) && !p.includes(`${join('example', '.gitopsc')}`) });

  it('a project in a subdirectory compares with the base; a base that is not a commit is GIT bad-base; outside a repository GIT not-a-repository', async () => {
    const top = tmp();
    project(join(top, 'deploy', 'app'));
    writeFileSync(join(top, '.gitignore'), '.gitopsc/\n');
    git(top, 'init', '-q', '-b', 'main');
    git(top, 'add', '-A');
    git(top, 'commit', '-q', '-m', 'base');
    const root = join(top, 'deploy', 'app');
    const svc = join(root, 'services/checkout.yaml');
    writeFileSync(svc, readFileSync(svc, 'utf8').replace('replicas: 2', 'replicas: 3'));
    const ok = await diffProject({ root, configFile: 'gitopsc.config.yaml', base: 'HEAD', env: process.env });
    expect(ok.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(ok.diff?.files.map((f) => f.path)).toEqual(['staging/checkout/deployment.yaml']);

    for (const base of ['nope', 'HEAD:services', '--all']) {
      const bad = await diffProject({ root, configFile: 'gitopsc.config.yaml', base, env: process.env });
      expect(bad.diagnostics.map((d) => [d.code, d.reason])).toEqual([['GIT', 'bad-base']]);
    }

    const outside = tmp();
    project(outside);
    for (const base of ['HEAD', undefined]) {
      const r = await diffProject({ root: outside, configFile: 'gitopsc.config.yaml', base, env: process.env });
      expect(r.diagnostics.map((d) => [d.code, d.reason])).toEqual([['GIT', 'not-a-repository']]);
    }
  });
});

describe('diff lists artifacts only when what they follow from differs (artifactsKeyOf)', () => {
  it.each([
    ['a service edited, the lock and registries the same: no artifact change', (dir: string) => {
      const svc = join(dir, 'services/checkout.yaml');
      writeFileSync(svc, readFileSync(svc, 'utf8').replace('replicas: 2', 'replicas: 3'));
    }, 0],
    ['a registry host changed: every artifact\'s image changes', (dir: string) => {
      const cfg = join(dir, 'gitopsc.config.yaml');
      writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('host: pkg.harness.io', 'host: mirror.example.com'));
    }, 1],
  ])('%s; the same diff as comparing two full compiles', async (_name, edit, changes) => {
    const dir = tmp();
    committedExample(dir, '.gitopsc/\n');
    const baseCopy = tmp();
    cpSync(dir, baseCopy, { recursive: true, filter: (p) => !p.includes('.git') });
    edit(dir);
    const ref = { configFile: 'gitopsc.config.yaml' };
    const [b, h] = [await compile(fsSource(baseCopy), ref), await compile(fsSource(dir), ref)];
    const want = compareResults(b, h, { base: 'HEAD (x)', head: 'working tree' });
    expect(want.artifacts.length > 0).toBe(changes > 0);
    for (let run = 0; run < 2; run++) {
      const r = await diffProject({ root: dir, configFile: 'gitopsc.config.yaml', base: 'HEAD', env: process.env });
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(JSON.stringify(toJson({ ...r.diff!, baseLabel: 'HEAD (x)' }))).toBe(JSON.stringify(toJson(want)));
    }
  });
});

describe('diff keeps the base revision\'s blob ids it read', () => {
  it('a blobs.json without them (deleted, or of an older format) gets them from the blobs read: the next diff takes the base\'s records by blob id', async () => {
    const dir = tmp();
    committedExample(dir, '.gitopsc/\n');
    const run = () => diffProject({ root: dir, configFile: 'gitopsc.config.yaml', base: 'HEAD', env: process.env });
    expect((await run()).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    rmSync(join(dir, '.gitopsc/cache/blobs.json'));
    expect((await run()).diff?.files).toEqual([]); // the working tree's files from worktree.json: none read
    const memo = openBlobMemo(dir);
    const oid = git(dir, 'rev-parse', 'HEAD:services/checkout.yaml').trim();
    expect(memo.get(`blob:${oid}`)).toBe(contentHash(readFileSync(join(dir, 'services/checkout.yaml'))));
  });
});
