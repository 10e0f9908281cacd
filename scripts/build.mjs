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
// "Current" is scripts/build-stamp.mjs's rule (every input's and every dist/ file's SHA-256 as
// the last full build recorded them; any doubt builds in full), which the tests' CLI build
// shares. The stamp lives in node_modules/.cache/, never in the package.
//
// Nothing is printed on stdout (tsc's own output is sent to stderr): `npm pack` prints the
// tarball's name alone there, and pre-commit reads it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { current, inputs, stampFile, stampOf, walk } from './build-stamp.mjs';
import { bundleCli } from './bundle-cli.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = stampFile(ROOT);

function run(args, env = process.env) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: ['inherit', 2, 2] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (process.argv.includes('--if-stale') && current(ROOT)) {
  console.error('gitopsc build: dist/ is current (node_modules/.cache/gitopsc-build/stamp.json), not rebuilt');
  process.exit(0);
}

const before = inputs(ROOT);
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const sources = walk(ROOT, 'src').filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'));
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
await bundleCli({ src: join(ROOT, 'src'), dist: join(ROOT, 'dist') });
// after the bundle (its render path gets a cache too); without NODE_OPTIONS: V8 accepts a code
// cache only under the flags it was made with, and the CLI's users run without the builder's
run(['scripts/code-cache.mjs'], Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS')));
// the stamp only when no input changed while building (generate-schemas.mjs may rewrite
// schemas/: then this build's inputs are the rewritten ones, and the next build is a full one)
const after = inputs(ROOT);
if (after !== null && JSON.stringify(before) === JSON.stringify(after)) {
  mkdirSync(dirname(STAMP), { recursive: true });
  writeFileSync(`${STAMP}.tmp`, JSON.stringify(stampOf(after, ROOT)));
  renameSync(`${STAMP}.tmp`, STAMP);
}
