// The build (`npm run build`): JavaScript to dist/, the plug-ins' parts of the JSON Schemas
// (generate-schemas.mjs), the standalone validators (compile-schemas.mjs) and their V8 code
// caches (code-cache.mjs), the precompiled built-in templates (precompile-templates.mjs).
//
// The JavaScript is esbuild's, one ES2022 module per source file (src/**/*.ts without tests,
// as tsconfig.build.json selects them), in well under a second; the declarations are tsc's
// (`--emitDeclarationOnly --noCheck`: the same .d.ts files, without type-checking the
// program first). A tsc emit of both took 10-12 s of CPU, most of it the checker: import
// elision and declaration emit made it check every file. Type errors are `npm run
// typecheck`'s job (CI runs it before the tests); the test suite runs on esbuild's modules too.
//
// `--if-stale` (the `prepare` script) skips a build whose output is known to be current: the
// pre-commit framework's `language: node` runs `prepare` twice on one checkout (`npm install`,
// then `npm pack`), as `npm ci` then `npm pack` do in CI, and a build costs about 5 s of CPU.
// "Current" means: a stamp written after the last full build names the SHA-256 of every input
// (src/, schemas/, scripts/, templates/, the tsconfigs, package.json, the installed dependency tree as npm
// records it in node_modules/.package-lock.json, TypeScript's version, Node's version) and of
// every file under dist/, and all of them are still the same. Any doubt (no stamp, a stamp of
// another format, a missing input, one byte changed anywhere, a file added to or removed from
// dist/) builds in full. The stamp lives in node_modules/.cache/, never in the package.
//
// Nothing is printed on stdout (tsc's own output is sent to stderr): `npm pack` prints the
// tarball's name alone there, and pre-commit reads it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from './bundle-cli.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(ROOT, 'node_modules/.cache/gitopsc-build/stamp.json');
const FORMAT = 1;
const INPUT_DIRS = ['src', 'schemas', 'scripts', 'templates', 'fixtures/example/services', 'fixtures/example/registry'];
/** the rest of the documents code-cache.mjs validates while it makes the caches (absent in a trimmed tree) */
const SAMPLE_FILES = ['fixtures/example/gitopsc.config.yaml', 'fixtures/example/gitopsc.lock'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'node_modules/.package-lock.json', 'node_modules/typescript/package.json'];

/** Every file under `dir` (relative to ROOT, `/`-separated, sorted); [] when it does not exist. */
function walk(dir) {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/** path -> SHA-256 of its bytes, for every file of `files` (a missing one throws). */
function digests(files) {
  return Object.fromEntries(files.map((f) => [f, createHash('sha256').update(readFileSync(join(ROOT, f))).digest('hex')]));
}

/** The inputs' fingerprint; null when one of the fixed inputs is missing (then never skip). */
function inputs() {
  if (!INPUT_FILES.every((f) => existsSync(join(ROOT, f)))) return null;
  const files = [...INPUT_DIRS.flatMap(walk), ...SAMPLE_FILES.filter((f) => existsSync(join(ROOT, f))), ...INPUT_FILES];
  return { node: process.version, files: digests(files) };
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function current() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return false;
  }
  if (stamp?.format !== FORMAT) return false;
  const now = inputs();
  if (now === null || !same(now, stamp.inputs)) return false;
  return same(digests(walk('dist')), stamp.outputs);
}

function run(args, env = process.env) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: ['inherit', 2, 2] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (process.argv.includes('--if-stale') && current()) {
  console.error('gitopsc build: dist/ is current (node_modules/.cache/gitopsc-build/stamp.json), not rebuilt');
  process.exit(0);
}

const before = inputs();
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const sources = walk('src').filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'));
require('esbuild').buildSync({
  absWorkingDir: ROOT,
  entryPoints: sources,
  outdir: 'dist',
  outbase: 'src',
  platform: 'node',
  format: 'esm',
  target: 'es2022',
  logLevel: 'error',
});
run([tsc, '-p', 'tsconfig.build.json', '--emitDeclarationOnly', '--noCheck']);
run(['scripts/generate-schemas.mjs']);
run(['scripts/compile-schemas.mjs']);
run(['scripts/precompile-templates.mjs']);
// without NODE_OPTIONS: V8 accepts a code cache only under the flags it was made with, and the
// CLI's users run without the builder's
run(['scripts/code-cache.mjs'], Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS')));
await bundleCli({ src: join(ROOT, 'src'), dist: join(ROOT, 'dist') });
// the stamp only when no input changed while building (generate-schemas.mjs may rewrite
// schemas/: then this build's inputs are the rewritten ones, and the next build is a full one)
const after = inputs();
if (after !== null && same(before, after)) {
  mkdirSync(dirname(STAMP), { recursive: true });
  writeFileSync(`${STAMP}.tmp`, JSON.stringify({ format: FORMAT, inputs: after, outputs: digests(walk('dist')) }));
  renameSync(`${STAMP}.tmp`, STAMP);
}
