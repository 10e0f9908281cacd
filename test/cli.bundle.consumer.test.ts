/**
 * The `gitopsc` command of the packed package is the bundled CLI (scripts/bundle-cli.mjs, a step of scripts/build.mjs):
 * dist/cli/bin.js and its chunks beside it, and the CommonJS bundles of the fast path, the render
 * path and the full CLI (dist/cli/fast.cjs, render.cjs, main.cjs, with their code caches), which
 * import nothing of the file-by-file modules, and
 * which render the bundled example to the golden bytes with the build's precompiled built-in
 * templates (a bundle prints the template code with renamed identifiers, which must not make it
 * miss the precompiled table and compile the templates on every run) and Handlebars' one-file
 * run time.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN_COMMONJS, CODE_CACHE_SUFFIX, FAST_BUNDLE, HANDLEBARS_RUNTIME_CACHE, MAIN_BUNDLE, RENDER_BUNDLE } from '../src/host/code-cache.js';
import { readmeExampleOnce } from './helpers/pack.js';

const ROOT = resolve(import.meta.dirname, '..');
let pkg: string;

beforeAll(async () => {
  // the README example's shop/ installed the packed tarball (test/helpers/pack.ts, once per run)
  const readme = await readmeExampleOnce();
  expect(readme.code, readme.stderr).toBe(0);
  pkg = join(readme.base, 'shop/node_modules/gitopsc');
}, 600_000);

/** Every file under dir, relative, sorted. */
function files(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as { name: string; parentPath: string; isFile(): boolean }[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('the bundled CLI of the packed package', () => {
  it('is dist/cli/bin.js and its chunks, importing only each other, node builtins and dependencies (commander bundled)', () => {
    const cli = join(pkg, 'dist/cli');
    const chunks = readdirSync(cli).filter((f) => /^bin-[A-Z0-9]{8}\.js$/.test(f));
    expect(chunks.length).toBeGreaterThan(0);
    const deps = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    for (const f of ['bin.js', ...chunks]) {
      const text = readFileSync(join(cli, f), 'utf8');
      const specifiers = [...text.matchAll(/(?:^|[\s;])(?:import|export)\s*(?:[\w*{},\s$]*?from\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm)].map((m) => m[1] ?? m[2]!);
      for (const s of specifiers) {
        // (commander, the full CLI's option parser, is bundled: scripts/build.mjs)
        const ok = /^\.\/bin-[A-Z0-9]{8}\.js$/.test(s) || s.startsWith('node:') || deps.some((d) => d !== 'commander' && (s === d || s.startsWith(`${d}/`)));
        expect(ok, `${f} imports ${s}`).toBe(true);
      }
    }
    // the fast path's, the render path's and the full CLI's CommonJS bundles: node builtins,
    // dependencies (commander bundled) and (the render path) the fast path beside it; no dynamic import (each runs as a vm.Script, which has
    // no ES module loader); the code cache beside each
    for (const rel of [FAST_BUNDLE, RENDER_BUNDLE, MAIN_BUNDLE]) {
      const bundle = readFileSync(join(pkg, 'dist', rel), 'utf8');
      const required = [...bundle.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
      expect(required.length).toBeGreaterThan(0);
      const beside = rel === RENDER_BUNDLE ? [`./${basename(FAST_BUNDLE)}`] : [];
      for (const s of required) expect(s.startsWith('node:') || beside.includes(s) || deps.some((d) => d !== 'commander' && (s === d || s.startsWith(`${d}/`))), `${rel} requires ${s}`).toBe(true);
      expect(bundle).not.toMatch(/\bimport\s*\(/);
      expect(existsSync(join(pkg, 'dist', `${rel}${CODE_CACHE_SUFFIX}`))).toBe(true);
    }
    // the `gitopsc` command (package.json's bin) is the CommonJS entry: node builtins only, and
    // dynamic imports of the ES module entry and fallbacks beside it
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(manifest.bin).toEqual({ gitopsc: `dist/${BIN_COMMONJS}` });
    const entry = readFileSync(join(pkg, 'dist', BIN_COMMONJS), 'utf8');
    expect(entry.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect([...entry.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!).filter((s) => !s.startsWith('node:'))).toEqual([]);
    expect([...entry.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!).sort()).toEqual(['./bin.js', './fast.js', './main.js']);
  });

  it('renders the bundled example to the golden bytes from the precompiled templates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-bundle-'));
    try {
      const project = join(dir, 'example');
      cpSync(join(ROOT, 'fixtures/example'), project, { recursive: true });
      rmSync(join(project, 'rendered'), { recursive: true, force: true });
      rmSync(join(project, '.gitopsc'), { recursive: true, force: true });
      // the CommonJS modules the run loaded (Handlebars, the precompiled table), listed at exit
      const loaded = join(dir, 'loaded.json');
      const preload = join(dir, 'preload.mjs');
      writeFileSync(
        preload,
        `import { createRequire } from 'node:module';\nimport { writeFileSync } from 'node:fs';\nconst r = createRequire(import.meta.url);\nprocess.on('exit', () => writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(Object.keys(r.cache))));\n`,
      );
      const r = spawnSync(process.execPath, ['--import', preload, join(pkg, 'dist', BIN_COMMONJS), 'render', '--format', 'json'], { cwd: project, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const golden = join(ROOT, 'fixtures/example/rendered');
      const out = join(project, 'rendered');
      const want = files(golden);
      expect(files(out).filter((f) => f !== '.gitopsc-owned')).toEqual(want.filter((f) => f !== '.gitopsc-owned'));
      for (const f of want) if (f !== '.gitopsc-owned') expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(golden, f), 'utf8'));
      const modules = JSON.parse(readFileSync(loaded, 'utf8')) as string[];
      // a first render (no memo yet) is the full CLI's: its bundle, from the package
      expect(modules).toContain(join(pkg, 'dist', MAIN_BUNDLE));
      // the precompiled table ran (required, or from its V8 code cache, which src/host/code-cache.ts
      // leaves in require.cache as require does), and the package holds the cache beside it
      const table = join('dist', 'render', 'precompiled', 'templates.cjs');
      expect(modules.some((m) => m.endsWith(table))).toBe(true);
      expect(existsSync(join(pkg, `${table}.v8cache`))).toBe(true);
      // so does the build's cache of Handlebars' one-file run time, which every render loads
      expect(existsSync(join(pkg, 'dist', HANDLEBARS_RUNTIME_CACHE))).toBe(true);
      // the compiler is loaded only to compile a template the table does not hold; the run time
      // is Handlebars' one-file build (src/render/handlebars.ts), not its ~25 CommonJS modules
      expect(modules.filter((m) => m.includes(`${sep}handlebars${sep}`)).map((m) => m.slice(m.lastIndexOf(`${sep}handlebars${sep}`) + 1))).toEqual([join('handlebars', 'dist', 'handlebars.runtime.js')]);

      // one service changed: the fast path hands its scan to the render path (both bundles, from
      // the package), which knows the project without config discovery (cosmiconfig not loaded)
      // and renders what changed alone (dev sets its own replicas, prod scales automatically)
      const svc = join(project, 'services/checkout.yaml');
      writeFileSync(svc, readFileSync(svc, 'utf8').replace('replicas: 2', 'replicas: 3'));
      const again = spawnSync(process.execPath, ['--import', preload, join(pkg, 'dist', BIN_COMMONJS), 'render', '--format', 'json'], { cwd: project, encoding: 'utf8' });
      expect(again.status, again.stderr).toBe(0);
      expect((JSON.parse(again.stdout) as { written: string[] }).written).toEqual(['rendered/staging/checkout/deployment.yaml']);
      const second = JSON.parse(readFileSync(loaded, 'utf8')) as string[];
      for (const rel of [FAST_BUNDLE, RENDER_BUNDLE]) expect(second, rel).toContain(join(pkg, 'dist', rel));
      expect(second.filter((m) => m.includes(`${sep}cosmiconfig${sep}`))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
