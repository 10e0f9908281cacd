/**
 * The architecture, checked on the real import graph of src/ (read with the TypeScript
 * scanner's import reader, `ts.preProcessFile`: static imports, `import type`, `export ... from`,
 * dynamic `import()`, `import('x').T` and `import x = require()`):
 * - layers (the table in ARCHITECTURE.md, "## Layers") only point down, and there are no cycles;
 * - one content hash: `createHash` appears only in src/core/hash.ts;
 * - one I/O door: node:fs, node:child_process, process.env, process.cwd(), Date.now() and
 *   `new Date()` appear only in the host layer and the host adapters listed below;
 * - tests never write process.env (they pass an env to the spawned CLI or inject a Host).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/**
 * Modules that are host adapters: they may touch fs, processes, env and clock themselves,
 * besides src/host/. Everything else gets the outside world through a `Host` or a function
 * passed in. Keep this list short; ARCHITECTURE.md ("One I/O door") names the same modules.
 */
const HOST_ADAPTERS: readonly string[] = [
  'src/host/', // the door itself
  'src/source/fs.ts', // the working tree as a ProjectSource
  'src/write/apply.ts', // locked, journaled, atomic writes of the output directory
  'src/git/', // git processes, the publish lock and journal
  'src/resolve/providers/oci/auth.ts', // docker config and credential helpers
  'src/resolve/providers/oci/cache.ts', // the registry response cache on disk
  'src/stage/s3.ts', // the AWS SDK client (its own credential chain reads the environment)
  'src/build/', // the build stage's output trees and caches (directory, git tree)
  'src/cli/bin.ts', // the process entry as an ES module (bin-commonjs.ts: as CommonJS); both run start.ts
  'src/cli/bin-commonjs.ts',
  'src/cli/start.ts', // the process entry's work: argv, exit code, stdio, and the start-up fast path's environment
  'src/cli/fast.ts', // the start-up fast path of an unchanged render (src/build's; reads stat data before anything loads)
];

/** The one content hash. */
const HASH_MODULE = 'src/core/hash.ts';

const FS_MODULES = new Set(['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process']);

/** Every .ts file under dir (not declarations, not installed packages). */
function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') walk(p, out);
    }
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const rel = (abs: string): string => relative(ROOT, abs).split('\\').join('/');

interface ParsedFile {
  file: string; // relative to ROOT, with forward slashes
  imports: { spec: string; line: number }[];
  text: string;
  /** The syntax tree, made on first use (the import graph needs none). */
  node: () => ts.SourceFile;
}

/**
 * Every module specifier of a file, with its line: imports (also `import type`), `export ... from`,
 * `import()`, `import('x').T`, `import x = require()` (and `require()`). The TypeScript
 * scanner's import reader (what tsc's module resolution starts from): about a sixth of the CPU
 * of a full parse per file, and the same specifiers and lines on every file of src/.
 */
function importSpecs(text: string): { spec: string; line: number }[] {
  // where each line starts, with TypeScript's line breaks (LF, CRLF, CR, U+2028, U+2029)
  const starts = [0];
  for (const m of text.matchAll(/\r\n?|[\n\u2028\u2029]/g)) starts.push(m.index + m[0].length);
  const lineOf = (pos: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  return ts.preProcessFile(text, true, true).importedFiles.map((r) => ({ spec: r.fileName, line: lineOf(r.pos) }));
}

const syntaxTree = (abs: string, text: string): ts.SourceFile => ts.createSourceFile(abs, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);

function parse(abs: string): ParsedFile {
  const text = readFileSync(abs, 'utf8');
  let node: ts.SourceFile | undefined;
  return { file: rel(abs), imports: importSpecs(text), text, node: () => (node ??= syntaxTree(abs, text)) };
}

/**
 * Whether a file's text has every whole word of one of `sets`: the syntax checks below parse only
 * such files. An identifier the checks look for (`process`, `env`, `createHash`, ...) is such a
 * word in the text wherever it is written (`\b` holds around any identifier token), so a file
 * without them cannot hold what the check finds.
 */
const mayHold = (text: string, ...sets: string[][]): boolean => sets.some((words) => words.every((w) => new RegExp(`\\b${w}\\b`).test(text)));

/** `./x.js` from src/a/b.ts -> src/a/x.ts (or src/a/x/index.ts); undefined for packages. */
function resolveSpec(from: string, spec: string, known: ReadonlySet<string>): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = rel(resolve(ROOT, dirname(from), spec));
  for (const c of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, `${base}/index.ts`]) if (known.has(c)) return c;
  return undefined;
}

interface Layer {
  rank: number;
  name: string;
  paths: string[];
}

/** The "## Layers" table of ARCHITECTURE.md: `| rank | layer | paths | ... |`. */
function readLayers(): Layer[] {
  const md = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const section = md.split(/^## Layers$/m)[1]?.split(/^## /m)[0] ?? '';
  const layers: Layer[] = [];
  for (const line of section.split('\n')) {
    const m = /^\|\s*(\d+)\s*\|\s*([\w-]+)\s*\|([^|]*)\|/.exec(line);
    if (m) layers.push({ rank: Number(m[1]), name: m[2]!, paths: [...m[3]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!) });
  }
  return layers;
}

/** The layer of a file: the row whose path matches it most specifically. */
function layerOf(file: string, layers: readonly Layer[]): Layer | undefined {
  let best: { layer: Layer; len: number } | undefined;
  for (const layer of layers)
    for (const p of layer.paths) {
      const hit = p.endsWith('/') ? file.startsWith(p) : file === p;
      if (hit && (!best || p.length > best.len)) best = { layer, len: p.length };
    }
  return best?.layer;
}

/** Strongly connected components with more than one file (or a file importing itself). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  return out;
}

const isHostAdapter = (file: string): boolean => HOST_ADAPTERS.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p));

/** `process.env`, `process.cwd()`, `Date.now()`, `new Date()` (the clock; `new Date(x)` only parses). */
function outsideWorld(sf: ts.SourceFile): { what: string; line: number }[] {
  const found: { what: string; line: number }[] = [];
  const at = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression)) {
      const o = n.expression.text;
      const p = n.name.text;
      if (o === 'process' && (p === 'env' || p === 'cwd' || p === 'chdir')) found.push({ what: `process.${p}`, line: at(n) });
      if (o === 'Date' && p === 'now') found.push({ what: 'Date.now', line: at(n) });
    }
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'Date' && !n.arguments?.length) found.push({ what: 'new Date()', line: at(n) });
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

const srcFiles = walk(SRC).map(parse);
const known = new Set(srcFiles.map((f) => f.file));
const graph = new Map<string, string[]>();
const importLines = new Map<string, number>();
for (const f of srcFiles) {
  const targets: string[] = [];
  for (const i of f.imports) {
    const t = resolveSpec(f.file, i.spec, known);
    if (t) {
      targets.push(t);
      importLines.set(`${f.file}\0${t}`, i.line);
    }
  }
  graph.set(f.file, [...new Set(targets)]);
}

describe('layers (ARCHITECTURE.md "## Layers")', () => {
  const layers = readLayers();

  it('the table is read, ranks are distinct and the paths exist or are reserved for new modules', () => {
    expect(layers.length).toBeGreaterThan(10);
    expect(new Set(layers.map((l) => l.rank)).size).toBe(layers.length);
    expect(layers[0]!.name).toBe('core');
  });

  it('every source file belongs to a layer', () => {
    expect(srcFiles.filter((f) => !layerOf(f.file, layers)).map((f) => f.file)).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('imports only point down', () => {
    const upward: string[] = [];
    for (const [from, tos] of graph) {
      const a = layerOf(from, layers);
      for (const to of tos) {
        const b = layerOf(to, layers);
        if (a && b && b.rank > a.rank) upward.push(`${from}:${importLines.get(`${from}\0${to}`)} (${a.name}) -> ${to} (${b.name})`);
      }
    }
    expect(upward.sort()).toEqual([]);
  });

  it('the checker sees what it must see (a cycle, an upward import, a dynamic and a type import)', () => {
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
    expect(importSpecs("import type { A } from './a.js';\nexport * from './b.js';\nconst m = await import('./c.js');\ntype T = import('./d.js').T;\nimport e = require('./e.js');\n")).toEqual([
      { spec: './a.js', line: 1 },
      { spec: './b.js', line: 2 },
      { spec: './c.js', line: 3 },
      { spec: './d.js', line: 4 },
      { spec: './e.js', line: 5 },
    ]);
    expect(importSpecs("// a\r\n/* b\r c\u2028 */ import './f.js';\n")).toEqual([{ spec: './f.js', line: 4 }]);
    expect(mayHold('const e = process\n  .env;', ['process', 'env'])).toBe(true);
    expect(mayHold('const e = processes.environment;', ['process', 'env'])).toBe(false);
    expect(layerOf('src/resolve/select/range.ts', layers)?.name).toBe('select');
    expect(layerOf('src/resolve/lock.ts', layers)?.name).toBe('resolve');
  });
});

describe('one content hash', () => {
  it(`createHash appears only in ${HASH_MODULE}`, () => {
    const bad: string[] = [];
    for (const f of srcFiles) {
      if (f.file === HASH_MODULE || !mayHold(f.text, ['createHash'], ['createHmac'])) continue;
      const node = f.node();
      const visit = (n: ts.Node): void => {
        if (ts.isIdentifier(n) && (n.text === 'createHash' || n.text === 'createHmac')) bad.push(`${f.file}:${node.getLineAndCharacterOfPosition(n.getStart()).line + 1}`);
        ts.forEachChild(n, visit);
      };
      visit(node);
    }
    expect([...new Set(bad)]).toEqual([]);
  });
});

describe('one I/O door', () => {
  it('only the host layer and the listed host adapters import node:fs or node:child_process', () => {
    const bad = srcFiles.filter((f) => !isHostAdapter(f.file)).flatMap((f) => f.imports.filter((i) => FS_MODULES.has(i.spec)).map((i) => `${f.file}:${i.line} ${i.spec}`));
    expect(bad).toEqual([]);
  });

  it('only the host layer and the listed host adapters read process.env, process.cwd(), Date.now() or new Date()', () => {
    const bad = srcFiles.filter((f) => !isHostAdapter(f.file) && mayHold(f.text, ['process'], ['Date'])).flatMap((f) => outsideWorld(f.node()).map((w) => `${f.file}:${w.line} ${w.what}`));
    expect(bad).toEqual([]);
  });

  it('every listed host adapter is a path under src/ that exists, or one a layer row reserves', () => {
    const layers = readLayers();
    for (const p of HOST_ADAPTERS) {
      const exists = p.endsWith('/') ? srcFiles.some((f) => f.file.startsWith(p)) || layers.some((l) => l.paths.includes(p)) : known.has(p);
      expect(exists, p).toBe(true);
    }
  });
});

describe('tests never write process.env', () => {
  /**
   * The one exception left: isolateGit() gives every git the tests start (directly, through the
   * CLI, from hooks) a private global config by setting GIT_CONFIG_GLOBAL/GIT_CONFIG_NOSYSTEM and
   * dropping inherited GIT_* once per worker. Replacing it means an env passed to each of those
   * spawns (13 test files); until then it is named here rather than hidden. And the global
   * setup, which runs once in vitest's main process before any worker starts: it sets the
   * workers' TMPDIR to the run's own directory (removed when the run ends), not a test's env.
   */
  const ENV_WRITERS = ['test/helpers/git.ts', 'test/global-setup.ts'];

  /** `process.env.X = ...`, `process.env[X] ??= ...`, `delete process.env.X`, `Object.assign(process.env, ...)`, `vi.stubEnv(...)`. */
  function envWrites(sf: ts.SourceFile): number[] {
    const lines: number[] = [];
    const at = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
    const isEnv = (n: ts.Node): boolean => ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'process' && n.name.text === 'env';
    const onEnv = (n: ts.Node): boolean => isEnv(n) || ((ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n)) && isEnv(n.expression));
    const visit = (n: ts.Node): void => {
      if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && onEnv(n.left)) lines.push(at(n));
      if (ts.isDeleteExpression(n) && onEnv(n.expression)) lines.push(at(n));
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
        const callee = n.expression.getText(sf);
        if (callee === 'Object.assign' && n.arguments[0] && isEnv(n.arguments[0])) lines.push(at(n));
        if (callee === 'vi.stubEnv' || callee === 'vi.unstubAllEnvs') lines.push(at(n));
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    return lines;
  }

  it('finds the writes it must find', () => {
    const sf = ts.createSourceFile('t.ts', "process.env.A = '1';\ndelete process.env['B'];\nObject.assign(process.env, {});\nvi.stubEnv('C', 'x');\nprocess.env.D ??= 'y';\nconst e = { ...process.env };\nf(process.env.E);\n", ts.ScriptTarget.ES2022, true);
    expect(envWrites(sf)).toEqual([1, 2, 3, 4, 5]);
  });

  it('no test file or test helper assigns, deletes or stubs process.env', () => {
    const bad: string[] = [];
    for (const abs of walk(join(ROOT, 'test'))) {
      if (ENV_WRITERS.includes(rel(abs))) continue;
      const text = readFileSync(abs, 'utf8');
      // a write names process and env, or is vi.stubEnv / vi.unstubAllEnvs
      if (!mayHold(text, ['process', 'env'], ['stubEnv'], ['unstubAllEnvs'])) continue;
      for (const line of envWrites(syntaxTree(abs, text))) bad.push(`${rel(abs)}:${line}`);
    }
    expect(bad).toEqual([]);
  });
});
