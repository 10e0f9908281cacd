import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { crc32 } from '../src/core/hash.js';
import { BIN_COMMONJS, CODE_CACHE_SUFFIX, codeCacheHeader, FAST_BUNDLE, MAIN_BUNDLE, RENDER_BUNDLE, requireCached, requireGenerated, usedCodeCache, wrapCommonJs } from '../src/host/code-cache.js';
import { buildCliAsync } from './helpers/cli.js';
import { spawnEnv } from './helpers/env.js';

const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'gitopsc-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// a generated module as the validators are: "use strict", exports, a require of a dependency, a lazily compiled inner function
const source = (answer: string) =>
  `"use strict";\nconst path = require("node:path");\nfunction check(x) { return typeof x === "number" && x > ${answer} ? "${answer}:" + path.basename(__filename) : false; }\nmodule.exports = check;\nmodule.exports.validate = check;\nmodule.exports.dir = __dirname;\n`;

type Header = (source: Buffer, data: Buffer) => string;

/** The header's probe as a Node started with another V8 flag makes it. */
function otherFlagsProbe(): string {
  const script = `process.stdout.write(new (require('node:vm').Script)(${JSON.stringify(`/* probe ${'0'.repeat(9)} */`)}).createCachedData().toString('base64'))`;
  const r = spawnSync(process.execPath, ['--stack-size=2000', '-e', script], { encoding: 'utf8', env: spawnEnv({ NODE_OPTIONS: '' }) });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}
const buildHeader: Header = (source, data) => codeCacheHeader(source, data);

/**
 * A cache of `text` as the build makes it: run, exercised, then its code cache written with the
 * header; `damage` changes V8's data after the header was made of it (as a disk or copy error would).
 */
function makeCache(file: string, text: string, header: Header = buildHeader, damage?: (data: Buffer) => Buffer): void {
  const script = new Script(wrapCommonJs(text), { filename: file });
  const module = { exports: {} as { validate(x: unknown): unknown } };
  (script.runInThisContext() as (...a: unknown[]) => void).call(module.exports, module.exports, require, module, file, dir);
  module.exports.validate(100);
  const data = script.createCachedData();
  const head = header(Buffer.from(text, 'utf8'), data);
  writeFileSync(`${file}${CODE_CACHE_SUFFIX}`, Buffer.concat([Buffer.from(`${head}\n`), damage ? damage(Buffer.from(data)) : data]));
}

type Mod = { validate(x: unknown): unknown; dir: string };

describe('host/code-cache: a generated CommonJS file loads through its V8 code cache only when it is for these bytes', () => {
  it('a cache made of the very source is used, and the module is what require gives', () => {
    const file = join(dir, 'a.cjs');
    writeFileSync(file, source('41'));
    makeCache(file, source('41'));
    const m = requireGenerated(file) as Mod;
    expect(usedCodeCache()).toBe(true);
    expect([m.validate(42), m.validate(41), m.validate('x'), m.dir]).toEqual(['41:a.cjs', false, false, dir]);
    expect(m.validate).toBe(m);
    // loaded once, as require loads: in require's cache (a later require or load is this module)
    expect(requireGenerated(file)).toBe(m);
    expect(require(file)).toBe(m);
    expect(require.cache[file]?.loaded).toBe(true);
  });

  it('a file changed after its cache was made (same length) loads from its source: the cache is not used', () => {
    const file = join(dir, 'b.cjs');
    makeCache(file, source('41'));
    // the same length: V8's own check of the source is its length only
    writeFileSync(file, source('51'));
    const m = requireGenerated(file) as Mod;
    expect(usedCodeCache()).toBe(false);
    expect([m.validate(45), m.validate(52)]).toEqual([false, '51:b.cjs']);
  });

  it.each<[string, string, string, Header, ((d: Buffer) => Buffer) | undefined]>([
    ['another Node', 'c1.cjs', '7', (t, d) => buildHeader(t, d).replace(process.version, 'v0.0.0'), undefined],
    ['a header that is not JSON', 'c2.cjs', '7', () => 'not a header', undefined],
    ['another format', 'c3.cjs', '8', (t, d) => buildHeader(t, d).replace(/"format":\d+/, '"format":1'), undefined],
    // never handed to V8: release builds of Node do not check a code cache's checksum (a flipped byte crashed the process)
    ['V8 data with one byte flipped', 'c4.cjs', '9', buildHeader, (d) => (d.writeUInt8(d.readUInt8(d.length >> 1) ^ 0xff, d.length >> 1), d)],
    ['V8 data cut short', 'c5.cjs', '9', buildHeader, (d) => d.subarray(0, d.length - 1)],
    // V8 would refuse it only after compiling the source without it: the probe made beside it tells first
    // (whether a run may take the CRC-32 from zlib's binding: the build says, and a header that does not say is refused)
    ['a header without direct', 'c7.cjs', '9', (t, d) => buildHeader(t, d).replace(/"direct":(?:true|false),/, ''), undefined],
    ['a cache made under other V8 flags', 'c6.cjs', '9', (t, d) => buildHeader(t, d).replace(/"probe":"[^"]+","probeSum":"[^"]+"/, () => { const p = otherFlagsProbe(); return `"probe":"${p}","probeSum":"${crc32(Buffer.from(p, 'base64'))}"`; }), undefined],

  ])('%s: the cache is not used, the module is the source\'s', (_name, name, n, header, damage) => {
    const file = join(dir, name);
    writeFileSync(file, source(n));
    makeCache(file, source(n), header, damage);
    const m = requireGenerated(file) as Mod;
    expect(usedCodeCache()).toBe(false);
    expect([m.validate(Number(n) + 1), m.validate(Number(n))]).toEqual([`${n}:${name}`, false]);
  });

  it('a header whose CRC-32s were made without zlib\'s binding (direct: false) is used, checked through node:zlib', () => {
    const file = join(dir, 'd1.cjs');
    writeFileSync(file, source('31'));
    makeCache(file, source('31'), (t, d) => buildHeader(t, d).replace(/"direct":true,/, '"direct":false,'));
    expect(readFileSync(`${file}${CODE_CACHE_SUFFIX}`, 'latin1')).toContain('"direct":false,');
    const m = requireGenerated(file) as Mod;
    expect(usedCodeCache()).toBe(true);
    expect(m.validate(32)).toBe('31:d1.cjs');
  });

  it('a cache kept elsewhere (the build\'s cache of a dependency\'s file) is used for the bytes it was made of, and not once they change', () => {
    const other = mkdtempSync(join(dir, 'elsewhere-'));
    const [used, changed] = [join(dir, 'e1.cjs'), join(dir, 'e2.cjs')];
    for (const file of [used, changed]) {
      writeFileSync(file, source('61'));
      makeCache(file, source('61'));
      renameSync(`${file}${CODE_CACHE_SUFFIX}`, join(other, `${basename(file)}.v8cache`));
    }
    // the same length: V8's own check of the source is its length only
    writeFileSync(changed, source('71'));
    const m = requireGenerated(used, join(other, 'e1.cjs.v8cache')) as Mod;
    expect(usedCodeCache()).toBe(true);
    expect([m.validate(62), m.validate(61)]).toEqual(['61:e1.cjs', false]);
    expect(require(used)).toBe(m);
    const n = requireGenerated(changed, join(other, 'e2.cjs.v8cache')) as Mod;
    expect(usedCodeCache()).toBe(false);
    expect([n.validate(62), n.validate(72)]).toEqual([false, '71:e2.cjs']);
  });

  it('a probe whose bytes do not have the header\'s CRC-32 (probeSum) is never handed to V8, and the cache is not used', () => {
    const file = join(dir, 'p1.cjs');
    writeFileSync(file, source('5'));
    // one byte of the probe's V8 data changed (past its magic number, where V8's own check would not look)
    makeCache(file, source('5'), (t, d) =>
      buildHeader(t, d).replace(/"probe":"([^"]+)"/, (_m, p: string) => {
        const bytes = Buffer.from(p, 'base64');
        bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0x01, bytes.length - 1);
        return `"probe":"${bytes.toString('base64')}"`;
      }),
    );
    const vm = process.getBuiltinModule('node:vm');
    const spy = vi.spyOn(vm, 'Script');
    try {
      const m = requireGenerated(file) as Mod;
      expect(usedCodeCache()).toBe(false);
      expect(m.validate(6)).toBe('5:p1.cjs');
      expect(spy.mock.calls.filter((c) => (c[1] as { cachedData?: unknown } | undefined)?.cachedData !== undefined)).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });

  it('requireCached: through a cache made of the very bytes, else nothing is loaded (the caller loads its other form)', () => {
    const [withCache, changed, without] = [join(dir, 'f1.cjs'), join(dir, 'f2.cjs'), join(dir, 'f3.cjs')];
    for (const file of [withCache, changed, without]) writeFileSync(file, source('81'));
    makeCache(withCache, source('81'));
    makeCache(changed, source('81'));
    // the same length: V8's own check of the source is its length only
    writeFileSync(changed, source('91'));
    const m = requireCached(withCache) as Mod;
    expect(usedCodeCache()).toBe(true);
    expect([m.validate(82), m.validate(81)]).toEqual(['81:f1.cjs', false]);
    expect(require(withCache)).toBe(m);
    for (const file of [changed, without]) {
      expect(requireCached(file)).toBeUndefined();
      expect(usedCodeCache()).toBe(false);
      expect(require.cache[file]).toBeUndefined();
    }
  });

  it('without a cache file it is required as before (and a missing file fails as require does)', () => {
    const file = join(dir, 'd.cjs');
    writeFileSync(file, source('3'));
    expect((requireGenerated(file) as Mod).validate(4)).toBe('3:d.cjs');
    expect(usedCodeCache()).toBe(false);
    expect(() => requireGenerated(join(dir, 'absent.cjs'))).toThrow(/Cannot find module/);
  });
});

describe("the build's caches of the CLI's bundles", () => {
  it('are beside dist/cli/fast.cjs, render.cjs and main.cjs, a Node process of this version uses each, and the render path shares the fast path\'s modules', async () => {
    const { bin } = await buildCliAsync();
    const dist = join(dirname(bin), '..');
    // as src/cli/bin.ts loads the fast path for `render [--check]`, and the fast path the render path
    const script = [
      `import { requireGenerated, usedCodeCache, FAST_BUNDLE, MAIN_BUNDLE, RENDER_BUNDLE } from ${JSON.stringify(pathToFileURL(join(dist, 'host/code-cache.js')).href)};`,
      `const fast = requireGenerated(${JSON.stringify(dist)} + '/' + FAST_BUNDLE);`,
      `const used = [usedCodeCache()];`,
      `const render = requireGenerated(${JSON.stringify(dist)} + '/' + RENDER_BUNDLE);`,
      `used.push(usedCodeCache());`,
      `const main = requireGenerated(${JSON.stringify(dist)} + '/' + MAIN_BUNDLE);`,
      `used.push(usedCodeCache());`,
      `console.log(JSON.stringify([typeof fast.fastRender, typeof fast.renderChanged, typeof render.renderProject, typeof render.renderAt, typeof main.main, used]));`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: spawnEnv({ NODE_OPTIONS: '' }) });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['function', 'function', 'function', 'function', 'function', [true, true, true]]);
    // the render path takes the memo module (which holds the scan the fast path hands over) and
    // every other module the fast path holds from the fast path, not from a copy of its own
    const text = readFileSync(join(dist, RENDER_BUNDLE), 'utf8');
    for (const m of ['src/build/memo.ts', 'src/core/diagnostics.ts', 'src/host/code-cache.ts']) {
      const at = text.indexOf(`gitopsc-fast:${m}`);
      expect(at, m).toBeGreaterThan(0);
      expect(text.slice(at, at + 300)).toContain('require("./fast.cjs")');
    }
    expect(text).not.toMatch(/^function handOver\(/m);
  });
});

describe("the CLI's bundles at run time", () => {
  /** A copy of the example without its rendered output and the caches `npm run example` leaves beside it. */
  function example(): string {
    const project = realpathSync(mkdtempSync(join(dir, 'example-')));
    cpSync(join(import.meta.dirname, '../fixtures/example'), project, { recursive: true, filter: (p) => !p.includes(join('example', '.gitopsc')) && !p.includes(join('example', 'rendered')) });
    return project;
  }

  /**
   * A package of this run's test CLI to spoil: its dist/ and package.json copied, the rest linked
   * (as test/helpers/cli-build.ts lays it out; never the shared directory's other contents, which
   * other workers write).
   */
  function packageCopy(bin: string): string {
    const pkg = join(dirname(bin), '../..');
    const copy = mkdtempSync(join(dir, 'pkg-'));
    cpSync(join(pkg, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(pkg, 'package.json'), join(copy, 'package.json'));
    for (const d of ['templates', 'schemas', 'node_modules', 'fixtures']) symlinkSync(realpathSync(join(pkg, d)), join(copy, d));
    return copy;
  }

  /** The CLI run in `project` with the CommonJS modules it loaded (listed at exit). */
  function runListing(cli: string, project: string, args: string[], nodeArgs: string[] = []): { status: number | null; stdout: string; stderr: string; modules: string[] } {
    const loaded = join(project, '..', `${basename(project)}.loaded.json`);
    const preload = join(project, '..', `${basename(project)}.preload.cjs`);
    writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(Object.keys(require.cache))));\n`);
    const r = spawnSync(process.execPath, [...nodeArgs, '--require', preload, cli, '--format', 'json', ...args], { cwd: project, encoding: 'utf8', env: spawnEnv({ NODE_OPTIONS: '' }) });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules: JSON.parse(readFileSync(loaded, 'utf8')) as string[] };
  }

  it('the render path takes the scan the fast path hands over (one memo module), both through their caches', async () => {
    const { bin } = await buildCliAsync();
    const dist = join(dirname(bin), '..');
    const project = example();
    expect(spawnSync(process.execPath, [bin, 'render'], { cwd: project, encoding: 'utf8', env: spawnEnv({ NODE_OPTIONS: '' }) }).status).toBe(0);
    const svc = join(project, 'services/checkout.yaml');
    writeFileSync(svc, readFileSync(svc, 'utf8').replace('replicas: 2', 'replicas: 3'));
    // in a process of its own: the fast path's bundle, then the render path's (which the fast path
    // then takes from require's cache, as bin.ts's run does after a change)
    const script = [
      `import { requireGenerated, usedCodeCache, FAST_BUNDLE, RENDER_BUNDLE } from ${JSON.stringify(pathToFileURL(join(dist, 'host/code-cache.js')).href)};`,
      `const fast = requireGenerated(${JSON.stringify(dist)} + '/' + FAST_BUNDLE);`,
      `const cached = [usedCodeCache()];`,
      `requireGenerated(${JSON.stringify(dist)} + '/' + RENDER_BUNDLE);`,
      `cached.push(usedCodeCache());`,
      `const memo = Object.values(fast).find((ns) => ns && typeof ns.handedOver === 'function');`,
      `const host = { cwd: ${JSON.stringify(project)}, env: {}, stdoutIsTTY: false, stderrIsTTY: false, handOver: true };`,
      `const first = fast.fastRender(['render', '--format', 'json'], host);`,
      `const handed = memo.handedOver();`,
      `const r = await fast.renderChanged(host);`,
      `console.log(JSON.stringify([cached, first === undefined, handed, memo.handedOver(), r.code, JSON.parse(r.stdout).written]));`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: spawnEnv({ NODE_OPTIONS: '' }) });
    expect(r.stderr).toBe('');
    // handed over by the fast path, taken over by the render path: the same memo module
    expect(JSON.parse(r.stdout)).toEqual([[true, true], true, true, false, 0, ['rendered/staging/checkout/deployment.yaml']]);
  });

  it('are strict, as the ES modules they are made of', async () => {
    const { bin } = await buildCliAsync();
    for (const rel of [FAST_BUNDLE, RENDER_BUNDLE, MAIN_BUNDLE]) expect(readFileSync(join(dirname(bin), '..', rel), 'utf8').startsWith('"use strict";\n'), rel).toBe(true);
  });

  it('a render path bundle that is missing, damaged or of another build: the full CLI renders the change', async () => {
    const { bin } = await buildCliAsync();
    const copy = packageCopy(bin);
    const cli = join(copy, 'dist', BIN_COMMONJS);
    const file = join(copy, 'dist', RENDER_BUNDLE);
    const text = readFileSync(file, 'utf8');
    const project = example();
    expect(runListing(cli, project, ['render']).status).toBe(0);
    const svc = join(project, 'services/checkout.yaml');
    const spoiled: [string, () => void][] = [
      ['missing', () => rmSync(file)],
      ['damaged', () => writeFileSync(file, text.slice(0, 5000))],
      [
        'of another build',
        () => {
          const other = text.replace(/(var bundleId = ")[0-9a-f]{16}"/, `$1${'0'.repeat(16)}"`);
          expect(other).not.toBe(text);
          writeFileSync(file, other);
        },
      ],
    ];
    // (its code cache stays: the entry runs on the bundles, and the fast path finds the render path spoiled)
    for (const [i, [name, spoil]] of spoiled.entries()) {
      spoil();
      writeFileSync(svc, readFileSync(svc, 'utf8').replace(/replicas: \d+/, `replicas: ${3 + i}`));
      const r = runListing(cli, project, ['render']);
      expect([r.status, JSON.parse(r.stdout).written], name).toEqual([0, ['rendered/staging/checkout/deployment.yaml']]);
      expect(readFileSync(join(project, 'rendered/staging/checkout/deployment.yaml'), 'utf8'), name).toContain(`replicas: ${3 + i}`);
      // the fast path ran from its bundle, and the full CLI's bundle rendered
      expect(r.modules, name).toEqual(expect.arrayContaining([join(copy, 'dist', FAST_BUNDLE), join(copy, 'dist', MAIN_BUNDLE)]));
    }
  });

  it('a Node with other V8 flags runs the ES modules (no bundle loaded: V8 would refuse their caches), with the same output', async () => {
    const { bin } = await buildCliAsync();
    const project = example();
    const bundle = (m: string) => /[\\/]cli[\\/](fast|render|main)\.cjs$/.test(m);
    const runs = [[], ['--stack-size=2000']].flatMap((nodeArgs) => [runListing(bin, project, ['validate'], nodeArgs), runListing(bin, project, ['render'], nodeArgs), runListing(bin, project, ['render', '--check'], nodeArgs)]);
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(runs.map((r) => r.modules.some(bundle))).toEqual([true, true, true, false, false, false]);
    // (validate and the unchanged check print the same bytes either way)
    expect([runs[3]!.stdout, runs[5]!.stdout]).toEqual([runs[0]!.stdout, runs[2]!.stdout]);
  });

  it('a package whose bundles have no code cache for this Node runs the ES modules (no bundle loaded), with the same output', async () => {
    const { bin } = await buildCliAsync();
    const copy = packageCopy(bin);
    for (const rel of [FAST_BUNDLE, RENDER_BUNDLE, MAIN_BUNDLE]) rmSync(join(copy, 'dist', `${rel}${CODE_CACHE_SUFFIX}`));
    const out: [number | null, string, string][][] = [];
    for (const cli of [bin, join(copy, 'dist', BIN_COMMONJS)]) {
      const project = example();
      const runs = [runListing(cli, project, ['validate']), runListing(cli, project, ['render']), runListing(cli, project, ['render', '--check'])];
      out.push(runs.map((r): [number | null, string, string] => [r.status, r.stdout, r.stderr]));
      const bundles = runs.flatMap((r) => r.modules.filter((m) => /[\\/]cli[\\/](fast|render|main)\.cjs$/.test(m)));
      expect(bundles.length > 0, cli).toBe(cli === bin);
    }
    expect(out[1]).toEqual(out[0]);
    expect(out[0]!.map((r) => r[0])).toEqual([0, 0, 0]);
  });
});

describe("the build's cache of Handlebars' one-file run time", () => {
  it('is at the path the render module loads it from (one constant), and a Node process of this version uses it', async () => {
    const { bin } = await buildCliAsync();
    const dist = join(dirname(bin), '..');
    // as src/render/handlebars.ts asks for it: the installed run time, the cache at HANDLEBARS_RUNTIME_CACHE under dist/
    const script = [
      `import { createRequire } from 'node:module';`,
      `import { requireGenerated, usedCodeCache, HANDLEBARS_RUNTIME_CACHE } from ${JSON.stringify(pathToFileURL(join(dist, 'host/code-cache.js')).href)};`,
      `const runtime = createRequire(${JSON.stringify(join(dist, 'render/handlebars.js'))}).resolve('handlebars/dist/handlebars.runtime.js');`,
      `const m = requireGenerated(runtime, ${JSON.stringify(dist)} + '/' + HANDLEBARS_RUNTIME_CACHE);`,
      `console.log(JSON.stringify([typeof m.create, usedCodeCache()]));`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: spawnEnv({ NODE_OPTIONS: '' }) });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['function', true]);
  });
});
