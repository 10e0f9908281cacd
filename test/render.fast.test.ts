/**
 * The start-up fast path (src/cli/fast.ts): an unchanged `render`/`render --check` answered from
 * the project memo prints what the full CLI prints, byte for byte, in every format; anything
 * changed or unknown goes to the full CLI.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MEMO_SKIP, memoPath, openMemo, readMemo, scanTree, statOf } from '../src/build/memo.js';
import { tmp } from './helpers/git.js';
import { fastRender, renderChanged, sameProject } from '../src/cli/fast.js';
import { readTree } from './helpers/read-tree.js';
import { buildCli } from './helpers/cli.js';
import { spawnEnv } from './helpers/env.js';
import { baseProject, cli, cliWithEnv, makeProject, writeFiles } from './helpers/project.js';

/** A project whose render has warnings (a kind no schema knows), so the memo replays diagnostics. */
function project(): string {
  const files = baseProject();
  files['gitopsc.config.yaml'] += 'templates: tpl\n';
  files['tpl/kubernetes/widget.yaml.hbs'] = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {{service.name}}\n';
  return makeProject(files);
}

const host = (env: Record<string, string | undefined> = {}) => ({ cwd: '/', env, stdoutIsTTY: false, stderrIsTTY: false });
const VARIANTS: string[][] = [
  ['render'],
  ['render', '--check'],
  ['render', '--check', '--format', 'json'],
  ['render', '--format', 'json'],
  ['render', '--check', '--format', 'github'],
  ['--quiet', 'render', '--check'],
  ['render', '--no-color', '--format=text'],
];

describe('the start-up fast path', () => {
  let dir: string;
  let bin: string;
  beforeAll(async () => {
    bin = buildCli().bin;
    dir = project();
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const first = await cli(dir, 'render', '--format', 'json');
    expect(first.code).toBe(0);
    expect(first.json.diagnostics.map((d) => d.code)).toContain('MANIFEST_INVALID');
  }, 180_000);

  it.each(VARIANTS)('%j prints what the full CLI prints, byte for byte', async (...args) => {
    const full = await cli(dir, ...args);
    const fast = fastRender(['--cwd', dir, ...args], host(process.env));
    expect(fast).toEqual({ stdout: full.stdout, stderr: full.stderr, code: full.code });
    expect(full.stdout + full.stderr).toContain('MANIFEST_INVALID');
  });

  // the real bin (its fast path) against the full CLI run in this process (main(), as the cases above)
  it('colours as the full CLI does (FORCE_COLOR)', async () => {
    const env = spawnEnv({ FORCE_COLOR: '1', NO_COLOR: '' });
    const full = await cliWithEnv(env, dir, 'render', '--check');
    const fast = spawnSync(process.execPath, [bin, 'render', '--check'], { cwd: dir, env, encoding: 'utf8' });
    expect(full.stderr).toContain('\u001b[');
    expect([fast.stdout, fast.stderr, fast.status]).toEqual([full.stdout, full.stderr, full.code]);
    expect(fastRender(['render', '--check'], { ...host(env), cwd: dir })).toEqual({ stdout: full.stdout, stderr: full.stderr, code: full.code });
  });

  it('the real bin answers from the memo (json, text) as the full CLI does', async () => {
    for (const args of [['render', '--check', '--format', 'json'], ['render']]) {
      const env = spawnEnv({ NO_COLOR: '1' });
      const full = await cliWithEnv(env, dir, ...args);
      // the memo the full run left answers this cwd and these flags: the bin takes its fast path
      expect(fastRender(args, { ...host(env), cwd: dir }), args.join(' ')).toBeDefined();
      const fast = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, encoding: 'utf8' });
      expect([fast.stdout, fast.stderr, fast.status], args.join(' ')).toEqual([full.stdout, full.stderr, full.code]);
    }
    // the documented switch (README): the bin without its fast path prints the same
    const off = spawnSync(process.execPath, [bin, 'render', '--check', '--format', 'json'], { cwd: dir, env: spawnEnv({ NO_COLOR: '1', GITOPSC_NO_FAST_PATH: '1' }), encoding: 'utf8' });
    const full = await cliWithEnv({ ...process.env, NO_COLOR: '1' }, dir, 'render', '--check', '--format', 'json');
    expect([off.stdout, off.stderr, off.status]).toEqual([full.stdout, full.stderr, full.code]);
  });

  it('a touched but unchanged file is re-hashed once and recorded again; a changed one goes to the full CLI', async () => {
    const svc = join(dir, 'services/web.yaml');
    const text = readFileSync(svc, 'utf8');
    const later = new Date(Date.now() + 5_000);
    utimesSync(svc, later, later);
    expect(fastRender(['--cwd', dir, 'render', '--check'], host())?.code).toBe(0);
    expect(fastRender(['--cwd', dir, 'render', '--check'], host())?.code).toBe(0);
    writeFileSync(svc, text.replace('replicas: 2', 'replicas: 3'));
    expect(fastRender(['--cwd', dir, 'render', '--check'], host())).toBeUndefined();
    const drift = await cli(dir, 'render', '--check', '--format', 'json');
    expect(drift.json.diagnostics.map((d) => d.code)).toContain('DRIFT');
    writeFiles(dir, { 'services/web.yaml': text });
    // a new file anywhere in the project (even one gitopsc does not read) is a miss
    await cli(dir, 'render', '--check');
    expect(fastRender(['--cwd', dir, 'render', '--check'], host())).toBeDefined();
    writeFiles(dir, { 'notes.txt': 'x\n' });
    expect(fastRender(['--cwd', dir, 'render', '--check'], host())).toBeUndefined();
  });

  it('a render records its output and template directories: a file someone adds in a leaf of the output is not looked at, a template added there is', async () => {
    await cli(dir, 'render');
    const memo = openMemo(dir)!;
    expect(memo.meta.unlisted).toEqual({ out: 'rendered', templates: 'tpl' });
    const leaf = memo.result()!.files.find((f) => f.startsWith('rendered/dev/'))!.split('/').slice(0, -1).join('/');
    // (the memo dated later than its files: none racily clean, whatever the clock's tick)
    const later = new Date(Date.now() + 10_000);
    utimesSync(memoPath(dir), later, later);
    writeFiles(dir, { [`${leaf}/notes.yaml`]: 'x: 1\n' });
    // answered from the memo, which does not name the file (asked before the full CLI, which records it)
    expect(openMemo(dir)!.changes()).toEqual([]);
    const fast = fastRender(['--cwd', dir, 'render', '--check'], host());
    const full = await cli(dir, 'render', '--check');
    expect(full.code).toBe(0);
    expect(fast).toEqual({ stdout: full.stdout, stderr: full.stderr, code: 0 });
    rmSync(join(dir, leaf, 'notes.yaml'));
    await cli(dir, 'render');
    // the same directory as the project's template directory: every template is looked for
    writeFiles(dir, { 'gitopsc.config.yaml': readFileSync(join(dir, 'gitopsc.config.yaml'), 'utf8').replace('templates: tpl', `templates: ${leaf}`) });
    writeFiles(dir, { [`${leaf}/kubernetes/widget.yaml.hbs`]: readFileSync(join(dir, 'tpl/kubernetes/widget.yaml.hbs'), 'utf8') });
    expect((await cli(dir, 'render')).code).toBe(0);
    expect(openMemo(dir)!.meta.unlisted).toEqual({ out: 'rendered', templates: leaf });
    expect(fastRender(['--cwd', dir, 'render', '--check'], host())?.code).toBe(0);
    writeFiles(dir, { [`${leaf}/kubernetes/gadget.yaml.hbs`]: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{service.name}}-gadget\n' });
    expect(fastRender(['--cwd', dir, 'render', '--check'], host())).toBeUndefined();
    expect((await cli(dir, 'render', '--check', '--format', 'json')).json.diagnostics.map((d) => d.code)).toContain('DRIFT');
    // as it was
    rmSync(join(dir, leaf, 'kubernetes'), { recursive: true });
    writeFiles(dir, { 'gitopsc.config.yaml': readFileSync(join(dir, 'gitopsc.config.yaml'), 'utf8').replace(`templates: ${leaf}`, 'templates: tpl') });
    expect((await cli(dir, 'render')).code).toBe(0);
    expect(fastRender(['--cwd', dir, 'render', '--check'], host())?.code).toBe(0);
  });

  it('a render leaves a memo whose every file is reached through recorded listings (taken again after its writes)', async () => {
    rmSync(join(dir, 'rendered'), { recursive: true, force: true });
    expect((await cli(dir, 'render')).code).toBe(0);
    const memo = openMemo(dir)!;
    expect(memo.quick).toBe(true);
    expect(memo.full()!.entries.size).toBeGreaterThan(3);
    // the tree was written whole and renamed in (its stat data taken before the rename): every
    // directory and file recorded as a scan of the project now finds it
    const scan = scanTree(dir, undefined, undefined, { skip: MEMO_SKIP });
    expect(new Map([...memo.full()!.dirs].sort())).toEqual(new Map([...scan.dirs].sort()));
    expect(new Map([...memo.full()!.entries].sort())).toEqual(new Map([...scan.entries!].sort()));
  });

  it('a render records the output directory as its unlocking leaves it (the lock came and went), and every directory as it is', async () => {
    const svc = join(dir, 'services/web.yaml');
    const text = readFileSync(svc, 'utf8');
    writeFileSync(svc, text.replace('replicas: 2', 'replicas: 4'));
    expect((await cli(dir, 'render')).code).toBe(0);
    const memo = openMemo(dir)!.full()!;
    for (const [p, d] of memo.dirs) expect(d.slice(0, 7), p).toEqual(statOf(p ? join(dir, p) : dir, !p));
    writeFileSync(svc, text);
    expect((await cli(dir, 'render')).code).toBe(0);
  });

  it('a render that makes new directories, then one that prunes them, records every directory as it is (the listings it changed taken again, no other)', async () => {
    const svc = join(dir, 'services/web.yaml');
    const extra = join(dir, 'services/web2.yaml');
    writeFileSync(extra, readFileSync(svc, 'utf8').replace('name: web', 'name: web2'));
    expect((await cli(dir, 'resolve')).code).toBe(0);
    for (const step of ['added', 'removed']) {
      // (a service's files pruned: more than the guard lets go by default)
      const r = await cli(dir, 'render', '--format', 'json', ...(step === 'removed' ? ['--allow-prune'] : []));
      expect(r.code, step).toBe(0);
      expect([...(r.json.written as string[]), ...(r.json.pruned as string[])].some((p) => p.includes('/web2/')), step).toBe(true);
      // (the memo dated later than its files: none racily clean, whatever the clock's tick)
      const later = new Date(Date.now() + 10_000);
      utimesSync(memoPath(dir), later, later);
      const file = openMemo(dir)!;
      // the next run finds nothing changed by stat data alone, and every directory a scan
      // reaches is recorded as the scan finds it (a pruned one may stay recorded, unreached)
      expect([file.quick, file.changes()], step).toEqual([true, []]);
      const memo = file.full()!;
      const scan = scanTree(dir, undefined, undefined, { skip: MEMO_SKIP });
      expect(new Map([...scan.dirs].sort().map(([p]) => [p, memo.dirs.get(p)])), step).toEqual(new Map([...scan.dirs].sort()));
      rmSync(extra, { force: true });
      expect((await cli(dir, 'resolve')).code).toBe(0);
    }
  });

  it('a memo recorded from another directory or with flags it does not know runs the full CLI', async () => {
    await cli(dir, 'render');
    expect(fastRender(['--cwd', dir, 'render'], host())).toBeDefined();
    expect(fastRender(['--cwd', join(dir, 'services'), 'render'], host())).toBeUndefined();
    expect(fastRender(['--cwd', dir, 'render', '--env', 'dev'], host())).toBeUndefined();
    expect(fastRender(['--cwd', dir, '--config', 'gitopsc.config.yaml', 'render'], host())).toBeUndefined();
  });
});

describe('a render after a change, continued from the fast path\'s scan (renderChanged)', () => {
  // two copies of one project: one rendered through the fast path's continuation, one by the full CLI
  let a: string;
  let b: string;
  beforeAll(async () => {
    a = project();
    b = project();
    for (const d of [a, b]) {
      expect((await cli(d, 'resolve')).code).toBe(0);
      expect((await cli(d, 'render')).code).toBe(0);
    }
  }, 180_000);

  const edit = (replace: (text: string) => string) => {
    for (const d of [a, b]) writeFileSync(join(d, 'services/web.yaml'), replace(readFileSync(join(d, 'services/web.yaml'), 'utf8')));
  };
  const hostOf = () => ({ ...host(process.env), handOver: true });

  // each step changes the service, then runs the same command both ways (in this order: each leaves the next its state)
  it.each<[string, (text: string) => string, string[], number]>([
    ['an edit, rendered (json)', (t) => t.replace('replicas: 2', 'replicas: 3'), ['render', '--format', 'json'], 0],
    ['an edit, checked (drift, json)', (t) => t.replace('replicas: 3', 'replicas: 4'), ['render', '--check', '--format', 'json'], 1],
    ['the edit checked, now rendered (text)', (t) => t, ['render'], 0],
    ['a schema error (json)', (t) => t.replace('replicas: 4', 'replicas: four'), ['render', '--format', 'json'], 1],
    ['put back, rendered (github)', (t) => t.replace('replicas: four', 'replicas: 2'), ['render', '--format', 'github'], 0],
  ])('%s: what the full CLI prints and writes, byte for byte', async (_what, change, args, code) => {
    edit(change);
    expect(fastRender(['--cwd', a, ...args], hostOf())).toBeUndefined();
    const continued = await renderChanged(hostOf());
    const full = await cli(b, ...args);
    expect(continued).toEqual({ stdout: full.stdout, stderr: full.stderr, code: full.code });
    expect(full.code).toBe(code);
    expect(readTree(join(a, 'rendered'))).toEqual(readTree(join(b, 'rendered')));
    // nothing is left for a later run to continue
    expect(await renderChanged(hostOf())).toBeUndefined();
  });

  it('the real bin continues as the full CLI renders (text, json)', async () => {
    const bin = buildCli().bin;
    for (const [n, args] of [[6, ['render']], [7, ['render', '--format', 'json']]] as const) {
      edit((t) => t.replace(/replicas: \d+/, `replicas: ${n}`));
      const env = spawnEnv({ NO_COLOR: '1' });
      const fast = spawnSync(process.execPath, [bin, ...args], { cwd: a, env, encoding: 'utf8' });
      // the full CLI in this process
      const full = await cliWithEnv(env, b, ...args);
      expect([fast.stdout, fast.stderr, fast.status], args.join(' ')).toEqual([full.stdout, full.stderr, full.code]);
      expect(fast.stdout).toMatch(/[1-9] written|"written": \[\s*"/);
      expect(readTree(join(a, 'rendered'))).toEqual(readTree(join(b, 'rendered')));
    }
  });

  it('continues nothing without a hand-over (the fast path answered, or was asked not to hand over)', async () => {
    expect(fastRender(['--cwd', a, 'render'], hostOf())).toBeDefined();
    expect(await renderChanged(hostOf())).toBeUndefined();
    edit((t) => t.replace(/replicas: \d+/, 'replicas: 5'));
    expect(fastRender(['--cwd', a, 'render'], host(process.env))).toBeUndefined();
    expect(await renderChanged(hostOf())).toBeUndefined();
  });
});

describe('a render after a change, where someone added a file in a leaf of the output (not looked at while nothing changed)', () => {
  it('is refused where the render would write over that file, as the full CLI refuses it; the file is kept', async () => {
    const a = project();
    const b = project();
    const hostOf = () => ({ ...host(process.env), handOver: true });
    const svc = (d: string) => join(d, 'services/web.yaml');
    const text = readFileSync(svc(a), 'utf8');
    expect(text).toContain('    service: { port: 80, targetPort: http }\n');
    for (const d of [a, b]) {
      expect((await cli(d, 'resolve')).code).toBe(0);
      // no Service for web: its leaf holds no service.yaml of gitopsc's
      writeFileSync(svc(d), text.replace('    service: { port: 80, targetPort: http }\n', ''));
      expect((await cli(d, 'render')).code).toBe(0);
    }
    expect(openMemo(a)!.meta.unlisted).toEqual({ out: 'rendered', templates: 'tpl' });
    const leaf = openMemo(a)!.result()!.files.find((f) => f.startsWith('rendered/dev/web/'))!.split('/').slice(0, -1).join('/');
    const mine = '# a hand-written Service, not gitopsc\'s\napiVersion: v1\nkind: Service\nmetadata:\n  name: mine\n';
    for (const d of [a, b]) writeFileSync(join(d, leaf, 'service.yaml'), mine);
    // unchanged otherwise: the file is nobody's business of render
    expect(fastRender(['--cwd', a, 'render', '--check'], host())?.code).toBe(0);
    // the Service back: the render now writes a service.yaml there
    for (const d of [a, b]) writeFileSync(svc(d), text);
    expect(fastRender(['--cwd', a, 'render'], hostOf())).toBeUndefined();
    const continued = await renderChanged(hostOf());
    const full = await cli(b, 'render');
    expect(full.stderr).toContain('was not written by gitopsc');
    expect(continued).toEqual({ stdout: full.stdout, stderr: full.stderr, code: full.code });
    for (const d of [a, b]) expect(readFileSync(join(d, leaf, 'service.yaml'), 'utf8')).toBe(mine);
  });
});

describe('sameProject: when a continued render may skip config discovery', () => {
  // discovery from the root looks only at the root's files: a config read from a data file there,
  // and no file there read again (the scan saw no name added or removed anywhere)
  it.each<[string, string[], boolean]>([
    ['gitopsc.config.yaml', ['services/web.yaml'], true],
    ['gitopsc.config.yml', ['services/web.yaml', 'services/api.yaml'], true],
    ['.gitopscrc', [], true],
    ['.gitopscrc.json', ['a/b/c.yaml'], true],
    ['gitopsc.config.yaml', ['gitopsc.config.yaml'], false],
    ['gitopsc.config.yaml', ['services/web.yaml', 'package.json'], false],
    ['gitopsc.config.yaml', ['.gitopscrc'], false],
    ['gitopsc.config.yaml', ['gitopsc.lock'], false],
    ['package.json', ['services/web.yaml'], false],
    ['gitopsc.config.js', ['services/web.yaml'], false],
    ['gitopsc.config.ts', [], false],
    ['sub/gitopsc.config.yaml', [], false],
  ])('config %s, files read again %j: %s', (configFile, read, want) => {
    expect(sameProject({ configFile }, read)).toBe(want);
  });
});

describe('render --out a directory outside the project', () => {
  it('an in-place change leaves the memo with the output directory as the render left it (its journal and staging came and went there)', async () => {
    const dir = makeProject(baseProject());
    const out = tmp('gitopsc-out-');
    expect((await cli(dir, 'resolve')).code).toBe(0);
    expect((await cli(dir, 'render', '--out', out)).code).toBe(0);
    const svc = join(dir, 'services/web.yaml');
    writeFileSync(svc, readFileSync(svc, 'utf8').replace('replicas: 2', 'replicas: 3'));
    const r = await cli(dir, 'render', '--out', out, '--format', 'json');
    expect(r.code).toBe(0);
    expect((r.json.written as string[]).length).toBeGreaterThan(0);
    expect(r.json.pruned).toEqual([]);
    // (the memo dated later than its files: none racily clean, whatever the clock's tick)
    const later = new Date(Date.now() + 10_000);
    utimesSync(memoPath(dir), later, later);
    const memo = readMemo(dir)!;
    const scan = scanTree(out, undefined, undefined, { prefix: '\u0000out/' });
    expect(scan.dirs.size).toBeGreaterThan(1);
    expect(new Map([...scan.dirs].sort().map(([p]) => [p, memo.dirs.get(p)]))).toEqual(new Map([...scan.dirs].sort()));
  });
});
