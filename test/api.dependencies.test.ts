/**
 * Dependencies that earn their place (issue 9, part 5): every runtime dependency in
 * package.json is imported by a source file under src/, nothing under src/ imports a package
 * that is not a runtime dependency, and every devDependency is used by a script, a test, a
 * config or a tool; the tools only tests use have their own manifest (test/package.json, kept
 * out of what an install from the repository installs), each imported by a test. Reads files only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

interface Manifest {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

function filesUnder(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'fixtures' && e.name !== 'golden') walk(p);
      } else if (ext.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** The package a module specifier names (`@scope/name/sub` -> `@scope/name`), or undefined for relative paths and Node built-ins. */
export function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || spec.startsWith('#')) return undefined;
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

/** Every module specifier a file imports, re-exports, requires or resolves (static and dynamic); comments are left out. */
export function specifiers(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/[^\n]*/g, '$1');
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\bresolve\s*\(\s*)(['"])([^'"\n]+)\1/g;
  for (const m of text.matchAll(re)) out.push(m[2]!);
  return out;
}

/** package -> the files that import it. */
function importsOf(files: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of files) {
    for (const spec of specifiers(readFileSync(join(ROOT, f), 'utf8'))) {
      const pkg = packageOf(spec);
      if (pkg) out.set(pkg, [...(out.get(pkg) ?? []), f]);
    }
  }
  return out;
}

describe('the import scanner', () => {
  it.each([
    ["import { parse } from 'yaml';", ['yaml']],
    ["import type { Stats } from 'node:fs';", []],
    ["const { S3Client } = await import('@aws-sdk/client-s3');", ['@aws-sdk/client-s3']],
    ["export { x } from './x.js';", []],
    ["import 'picocolors';", ['picocolors']],
    ["const a = require('ajv/dist/standalone');", ['ajv']],
    ["createRequire(import.meta.url).resolve('yaml-language-server/bin/yaml-language-server')", ['yaml-language-server']],
    ["import { readFileSync } from 'fs';", []],
    ["/** `import { compile } from 'gitopsc'` */\n// import x from 'left-pad'\nconst u = 'https://x'; import y from 'yaml';", ['yaml']],
  ])('%s', (text, want) => {
    expect(specifiers(text).map(packageOf).filter(Boolean)).toEqual(want);
  });
});

describe('package.json dependencies', () => {
  const src = importsOf(filesUnder('src', /\.ts$/));

  it('every runtime dependency is imported by a source file under src/', () => {
    const unused = Object.keys(manifest.dependencies).filter((d) => !src.has(d));
    expect(unused).toEqual([]);
  });

  it('nothing under src/ imports a package that is not a runtime dependency', () => {
    const undeclared = [...src].filter(([p]) => !(p in manifest.dependencies)).map(([p, files]) => `${p} (${files.join(', ')})`);
    expect(undeclared).toEqual([]);
  });

  it('every devDependency is used by a script, a test, a config or a tool', () => {
    const tooling = importsOf([
      ...filesUnder('test', /\.(ts|mts|mjs|js)$/),
      ...filesUnder('bench', /\.(ts|mts|mjs|js)$/),
      ...filesUnder('scripts', /\.(ts|mts|mjs|js)$/),
      ...readdirSync(ROOT).filter((f) => /\.config\.(ts|js|mjs|cjs)$/.test(f)),
    ]);
    const scripts = [...Object.values(manifest.scripts), readFileSync(join(ROOT, '.ci/run'), 'utf8')].join('\n');
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { types?: string[] } };
    const binsOf = (dep: string): string[] => {
      let bin: string | Record<string, string> | undefined;
      try {
        bin = (JSON.parse(readFileSync(join(ROOT, 'node_modules', dep, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> }).bin;
      } catch {
        return []; // not installed: no bin of it can run
      }
      return typeof bin === 'string' ? [dep.split('/').pop()!] : Object.keys(bin ?? {});
    };
    const why = (dep: string): string | undefined => {
      if (tooling.has(dep)) return `imported by ${tooling.get(dep)![0]}`;
      const bin = binsOf(dep).find((b) => new RegExp(`(^|[\\s;&|(])(npx\\s+)?${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'm').test(scripts));
      if (bin) return `its bin ${bin} runs in a script`;
      if (dep.startsWith('@types/') && tsconfig.compilerOptions.types?.includes(dep.slice('@types/'.length))) return 'tsconfig types';
      // pinned on purpose: the test runner's own bundler (ARCHITECTURE.md, Dependencies)
      const vitest = JSON.parse(readFileSync(join(ROOT, 'node_modules/vitest/package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      if (dep === 'vite' && vitest.dependencies?.vite) return 'vitest runs on it';
      return undefined;
    };
    const unused = Object.keys(manifest.devDependencies).filter((d) => why(d) === undefined);
    expect(unused).toEqual([]);
  });

  it('every test tool (test/package.json) is imported by a test, has its lock entry and is not a root dependency too', () => {
    const tools = JSON.parse(readFileSync(join(ROOT, 'test/package.json'), 'utf8')) as { private?: boolean; type?: string; dependencies?: Record<string, string>; devDependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(join(ROOT, 'test/package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    // never published; test files are ES modules as under the root manifest
    expect([tools.private, tools.type, tools.dependencies]).toEqual([true, 'module', undefined]);
    const tests = importsOf(filesUnder('test', /\.(ts|mts|mjs|js)$/));
    const names = Object.keys(tools.devDependencies);
    expect(names.filter((d) => !tests.has(d))).toEqual([]);
    expect(names.filter((d) => lock.packages[`node_modules/${d}`]?.version === undefined)).toEqual([]);
    expect(names.filter((d) => d in manifest.dependencies || d in manifest.devDependencies)).toEqual([]);
  });
});
