/**
 * The library API as a consumer gets it (issue 9, part 4): the packed package (one `npm pack`
 * per test run, shared with test/install.consumer.test.ts) installed in a fresh directory (the `shop`
 * directory of the README's 60-second example, where `npm install --save-dev` put it: one
 * install per run, shared with test/install.consumer.test.ts; the consumer is an ES module package in
 * a subdirectory of it, which Node and tsc resolve `gitopsc` from as from any), imported as
 * `gitopsc` from a plain .mjs script, its declarations type-checked by the project's tsc under
 * moduleResolution node16 and bundler, and the README's example compiled and run.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readmeExampleOnce, sh } from './helpers/pack.js';

const ROOT = resolve(import.meta.dirname, '..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const GOLDEN = join(ROOT, 'fixtures/example/rendered');
let dir: string;
let pkg: string;

/** Every file under `root`, relative, `/`-separated, leaving out gitopsc's ownership record. */
function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (e.name !== '.gitopsc-owned') out.set(p, readFileSync(join(root, p), 'utf8'));
    }
  };
  walk('');
  return out;
}

function node(cwd: string, args: string[]) {
  return sh(cwd, process.execPath, args);
}

/** As `node`, without blocking this process (the tsc runs go side by side). */
function nodeAsync(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 540_000 });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

type Resolution = 'node16' | 'bundler';

/** A tsconfig for the consumer with the given module resolution (emitting JavaScript with `emit`); returns its file name. */
function tsconfig(cwd: string, files: string[], moduleResolution: Resolution, opts: { emit: boolean; skipLibCheck: boolean }): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      module: moduleResolution === 'node16' ? 'node16' : 'esnext',
      moduleResolution,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: opts.skipLibCheck,
      // TypeScript's own lib.*.d.ts say nothing about gitopsc's declarations (3-4 s of CPU)
      skipDefaultLibCheck: true,
      noEmit: !opts.emit,
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules/@types')],
    },
    files,
  };
  const name = `tsconfig.${moduleResolution}.json`;
  writeFileSync(join(cwd, name), JSON.stringify(config, null, 2));
  return name;
}

interface TscBuild {
  code: number;
  /** everything tsc printed */
  out: string;
  /** the error lines of each project, by the project tsc said it was building when it printed them */
  errors: Record<Resolution, string[]>;
  /** the projects tsc built */
  built: Resolution[];
}

/** A consumer using every export and the main types, with two mistakes tsc must refuse. */
const CONSUMER = `
  import { applyWrites, CODES, compile, diff, fsSource, hasErrors, nodeHost, planWrites, resolve } from 'gitopsc';
  import type { CompileResult, Diagnostic, DiffResult, Host, Provider, ProjectSource, RenderedFile, ResolveResult, WritePlan } from 'gitopsc';

  const host: Host = nodeHost({ log: () => {}, status: () => {} });
  const provider: Provider = {
    listTags: async () => ({ ok: true, value: ['1.0.0'] }),
    describe: async (_pkg, tag) => ({ ok: true, value: { tag, digest: 'sha256:' + '0'.repeat(64) } }),
    reference: (pkg) => 'registry.example.com/' + pkg,
  };
  const source: ProjectSource = fsSource('.');
  const result: CompileResult = await compile({ source, envs: ['dev'] });
  const files: RenderedFile[] = result.files;
  const first: Diagnostic | undefined = result.diagnostics[0];
  const line: number | undefined = first?.line;
  const code: (typeof CODES)[number] | undefined = first?.code;
  const resolved: ResolveResult = await resolve({ cwd: '.', host, providers: new Map([['har', provider]]), update: ['checkout'] });
  const text: string | undefined = resolved.lockText;
  const planned = await planWrites({ files, outDir: 'out', maxPrune: 3 });
  const plan: WritePlan = planned.plan;
  if (!hasErrors(planned.diagnostics)) await applyWrites({ outDir: 'out', plan });
  const changes: DiffResult = diff({ files: [], artifacts: [] }, result, { base: 'empty', head: 'now' });
  console.log(line, code, text, changes.changed);
  // @ts-expect-error compile takes an options object, not a path
  await compile('.');
  // @ts-expect-error a Diagnostic's code is one of CODES
  const bad: Diagnostic = { code: 'NOPE', severity: 'error', message: '' };
  console.log(bad);
`;

/** The README's Library API example. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const example = /## Library API\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toContain("from 'gitopsc'");
  return example!;
}

let build: Promise<TscBuild> | undefined;
/**
 * The project's tsc over both consumer programs in one process (`tsc -b`, which parses the
 * files the two share once: Node's types, gitopsc's declarations; ~30% less CPU than two tsc
 * runs): moduleResolution node16, skipLibCheck off (the package's declarations are checked
 * too), over the consumer and the README example, which it compiles to render.js; and
 * moduleResolution bundler over the consumer. Each project's errors are told apart by tsc's
 * `--verbose` lines that name the project it is building.
 */
function tscBuild(): Promise<TscBuild> {
  if (build) return build;
  writeFileSync(join(dir, 'consumer-node16.ts'), CONSUMER);
  writeFileSync(join(dir, 'render.ts'), readmeExample());
  writeFileSync(join(dir, 'consumer-bundler.ts'), CONSUMER);
  const projects = [tsconfig(dir, ['consumer-node16.ts', 'render.ts'], 'node16', { emit: true, skipLibCheck: false }), tsconfig(dir, ['consumer-bundler.ts'], 'bundler', { emit: false, skipLibCheck: true })];
  return (build = nodeAsync(dir, [TSC, '-b', '--verbose', ...projects]).then(({ code, stdout, stderr }) => {
    const out = stdout + stderr;
    const errors: TscBuild['errors'] = { node16: [], bundler: [] };
    const built: Resolution[] = [];
    let current: Resolution | undefined;
    for (const line of out.split('\n')) {
      const project = /Building project '.*tsconfig\.(node16|bundler)\.json'/.exec(line)?.[1] as Resolution | undefined;
      if (project) built.push((current = project));
      else if (/error TS\d+/.test(line)) errors[current ?? 'node16'].push(line);
    }
    return { code, out, errors, built };
  }));
}

beforeAll(async () => {
  const readme = await readmeExampleOnce();
  expect(readme.code, `${readme.stdout}\n${readme.stderr}`).toBe(0);
  const shop = join(readme.base, 'shop');
  pkg = join(shop, 'node_modules/gitopsc');
  expect(existsSync(join(pkg, 'package.json'))).toBe(true);
  dir = join(shop, 'consumer');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  cpSync(join(ROOT, 'fixtures/example'), join(dir, 'example'), { recursive: true, filter: (p) => !p.includes(join('example', '.gitopsc')) });
}, 600_000);

describe('the packed package as a library', () => {
  it('exports the package root and package.json, and nothing deeper', () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const out = { pkg: require('gitopsc/package.json').name };
      try { await import('gitopsc/dist/pipeline.js'); out.deep = 'imported'; } catch (e) { out.deep = e.code; }
      out.exports = Object.keys(await import('gitopsc')).sort();
      console.log(JSON.stringify(out));`;
    writeFileSync(join(dir, 'surface.mjs'), script);
    const r = node(dir, ['surface.mjs']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      pkg: 'gitopsc',
      deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      exports: ['CODES', 'applyWrites', 'compile', 'diff', 'fsSource', 'hasErrors', 'nodeHost', 'planWrites', 'resolve'],
    });
  });

  it('a plain .mjs script compiles the bundled example in memory: the golden files, no diagnostics', () => {
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      import { join } from 'node:path';
      import { compile, diff, hasErrors, nodeHost, resolve } from 'gitopsc';
      const cwd = process.argv[2];
      const fromDir = await compile({ cwd });
      // the same project from a ProjectSource held in memory
      const files = new Map();
      const walk = (rel) => { for (const e of readdirSync(join(cwd, rel), { withFileTypes: true })) {
        const p = rel ? rel + '/' + e.name : e.name;
        if (e.isDirectory()) walk(p); else files.set(p, readFileSync(join(cwd, p)));
      } };
      walk('');
      const source = { describe: 'memory', list: async () => [...files.keys()].sort(), read: async (p) => files.get(p) };
      const fromMemory = await compile({ source });
      const resolved = await resolve({ cwd, host: nodeHost({ log() {}, status() {} }) });
      console.log(JSON.stringify({
        diagnostics: fromDir.diagnostics, errors: hasErrors(fromDir.diagnostics), environments: fromDir.environments, outputDir: fromDir.outputDir,
        files: Object.fromEntries(fromDir.files.map((f) => [f.path, f.content])),
        artifacts: fromDir.artifacts.length,
        memoryDiff: diff(fromDir, fromMemory).changed, memoryDiagnostics: fromMemory.diagnostics,
        resolve: { diagnostics: resolved.diagnostics, lockFile: resolved.lockFile, same: resolved.lockText === resolved.previousLockText, entries: resolved.resolved.length },
      }));`;
    writeFileSync(join(dir, 'compile.mjs'), script);
    const r = node(dir, ['compile.mjs', join(dir, 'example')]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown> & { files: Record<string, string> };
    expect(out.diagnostics).toEqual([]);
    expect(out.errors).toBe(false);
    expect(out.environments).toEqual(['dev', 'staging', 'prod']);
    expect(out.outputDir).toBe('rendered');
    expect(new Map(Object.entries(out.files))).toEqual(tree(GOLDEN));
    expect(out.artifacts).toBe(9);
    expect(out.memoryDiff).toBe(false);
    expect(out.memoryDiagnostics).toEqual([]);
    // the example's lock is current: resolve (offline, a static catalog) gives the same text
    expect(out.resolve).toEqual({ diagnostics: [], lockFile: 'gitopsc.lock', same: true, entries: 9 });
  });

  it('a user mistake is a diagnostic with code and position, not an exception', () => {
    const broken = join(dir, 'broken');
    cpSync(join(ROOT, 'fixtures/example'), broken, { recursive: true, filter: (p) => !p.includes(join('example', '.gitopsc')) });
    const svc = join(broken, 'services/checkout.yaml');
    const text = readFileSync(svc, 'utf8');
    expect(text.split('\n')[13]).toBe('    replicas: 2');
    writeFileSync(svc, text.replace('    replicas: 2\n', '    replicas: two\n'));
    writeFileSync(join(dir, 'broken.mjs'), `import { compile } from 'gitopsc';\nconst r = await compile({ cwd: process.argv[2] });\nconsole.log(JSON.stringify(r.diagnostics.map(({ code, severity, file, line, column }) => ({ code, severity, file, line, column }))));\nconsole.log(r.files.length);`);
    const r = node(dir, ['broken.mjs', broken]);
    expect(r.code, r.stderr).toBe(0);
    const [diags, files] = r.stdout.trim().split('\n');
    expect(JSON.parse(diags!)).toEqual([{ code: 'SCHEMA', severity: 'error', file: 'services/checkout.yaml', line: 14, column: 15 }]);
    expect(files).toBe('0');
  });

  it('ships a declaration for every module the API declarations import, and none that points into src/', () => {
    const seen = new Set<string>();
    const queue = [join(pkg, 'dist/index.d.ts')];
    const packages = new Set<string>();
    while (queue.length) {
      const f = queue.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      expect(existsSync(f), relative(pkg, f)).toBe(true);
      // block comments out (doc comments quote imports); `/// <reference>` lines stay
      const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const m of text.matchAll(/(?:from\s+|import\(|<reference\s+(?:path|types)=)\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        // nothing refers to the TypeScript sources, which are not shipped
        expect(spec, relative(pkg, f)).not.toMatch(/(^|\/)src\/|\.ts$/);
        if (spec.startsWith('.')) queue.push(join(dirname(f), spec).replace(/\.js$/, '.d.ts'));
        else packages.add(spec);
      }
    }
    // the public declarations need nothing but Node's own types
    expect([...packages].filter((p) => !p.startsWith('node:'))).toEqual([]);
    const index = readFileSync(join(pkg, 'dist/index.d.ts'), 'utf8');
    for (const name of ['Diagnostic', 'Provider', 'Host', 'ProjectSource', 'RenderedFile', 'CompileResult', 'WritePlan', 'DiffResult', 'CompileOptions', 'ResolveOptions', 'ResolveResult', 'PlanWritesOptions']) {
      expect(index, name).toMatch(new RegExp(`export (type|interface) ${name}\\b`));
    }
    // every export carries its documentation into the declarations
    const undocumented = index.split('\n').flatMap((l, i, all) => (/^export (declare )?(function|const|type|interface)/.test(l) && !/\*\/\s*$/.test(all[i - 1] ?? '') ? [l] : []));
    expect(undocumented).toEqual([]);
  });

  it.concurrent('a TypeScript consumer type-checks against the declarations (moduleResolution node16, declarations checked too)', async () => {
    const r = await tscBuild();
    expect(r.built, r.out).toContain('node16');
    expect(r.errors.node16, r.out).toEqual([]);
    expect(r.code, r.out).toBe(0);
  }, 300_000);

  it.concurrent('a TypeScript consumer type-checks against the declarations (moduleResolution bundler)', async () => {
    const r = await tscBuild();
    expect(r.built, r.out).toContain('bundler');
    expect(r.errors.bundler, r.out).toEqual([]);
    expect(r.code, r.out).toBe(0);
  }, 300_000);

  it.concurrent("the README's Library API example compiles against the package and runs", async () => {
    const built = await tscBuild();
    expect(built.errors.node16, built.out).toEqual([]);
    expect(built.code, built.out).toBe(0);
    const r = node(dir, ['render.js', join(dir, 'example')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('28 files, 9 artifacts in dev, staging, prod\n29 written, 0 pruned, 0 unchanged\n');
    expect(tree(join(dir, 'out'))).toEqual(tree(GOLDEN));
    // a second run changes nothing
    expect(node(dir, ['render.js', join(dir, 'example')]).stdout).toBe('28 files, 9 artifacts in dev, staging, prod\n0 written, 0 pruned, 29 unchanged\n');
  }, 300_000);
});
