// The build (`npm run build`): JavaScript to dist/, the plug-ins' parts of the JSON Schemas
// (generate-schemas.mjs), the standalone validators (compile-schemas.mjs), the precompiled
// built-in templates (precompile-templates.mjs).
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
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(ROOT, 'node_modules/.cache/gitopsc-build/stamp.json');
const FORMAT = 1;
const INPUT_DIRS = ['src', 'schemas', 'scripts', 'templates'];
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
  const files = [...INPUT_DIRS.flatMap(walk), ...INPUT_FILES];
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

/** the bundled CLI's chunks beside dist/cli/bin.js (`bin-<hash>.js`), made by bundleCli */
const CHUNK = /^bin-[A-Z0-9]{8}\.js$/;

/**
 * The CLI as the `gitopsc` command runs it: dist/cli/bin.js bundled with the modules of ours it
 * reaches (dependencies stay imports from node_modules), split at its dynamic imports into
 * chunks beside it (dist/cli/bin-<hash>.js), so that the start-up fast path still loads only
 * what it needs and a render loads a handful of files instead of about 120 modules (resolving,
 * reading and linking each cost more than compiling them: ~50 ms of CPU per run). The
 * file-by-file modules stay for the library API (`gitopsc`, its declarations) and the build
 * steps. Every output file is in dist/cli/, so each module's `import.meta.url` is rewritten to
 * the URL of its own file-by-file module (`new URL('../render/handlebars.js', import.meta.url)`):
 * paths to templates/, schemas/, package.json and the precompiled code resolve as before. The
 * precompiled built-in templates are keyed by the text of the code that made them
 * (src/render/handlebars.ts templateCode), which a bundle may print with renamed identifiers:
 * the bundle is given the file-by-file module's text of the same source.
 */
async function bundleCli() {
  const cliDir = join(ROOT, 'dist/cli');
  for (const f of readdirSync(cliDir)) if (CHUNK.test(f)) rmSync(join(cliDir, f));
  const { templateCode } = await import(pathToFileURL(join(ROOT, 'dist/render/handlebars.js')).href);
  const src = join(ROOT, 'src');
  const metaUrl = {
    name: 'import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        let text = readFileSync(args.path, 'utf8');
        if (text.includes('import.meta.url')) {
          const own = join(ROOT, 'dist', relative(src, args.path)).replace(/\.ts$/, '.js');
          const rel = relative(cliDir, own).split(sep).join('/');
          text = text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
        }
        return { contents: text, loader: 'ts' };
      });
    },
  };
  // Dependencies stay imports from node_modules, except commander (the full CLI's option parser):
  // importing it from ESM loads its CommonJS files one by one, ~20 ms of CPU more than its
  // code bundled here (the same version's code, which node_modules still holds for the library).
  const dependencies = {
    name: 'dependencies',
    setup(b) {
      // bare specifiers: commander's own code is bundled, every other package (and node builtins) imported
      b.onResolve({ filter: /^[^./]/ }, (args) => (/^commander(\/|$)/.test(args.path) ? undefined : { path: args.path, external: true }));
    },
  };
  await require('esbuild').build({
    absWorkingDir: ROOT,
    entryPoints: ['src/cli/bin.ts'],
    outdir: 'dist/cli',
    bundle: true,
    splitting: true,
    chunkNames: 'bin-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'es2022',
    define: { GITOPSC_TEMPLATE_CODE: JSON.stringify(templateCode()) },
    plugins: [metaUrl, dependencies],
    // a bundled CommonJS dependency requires node builtins: the `require` it is given
    banner: { js: "import { createRequire as __gitopscCreateRequire } from 'node:module';\nconst require = __gitopscCreateRequire(import.meta.url);" },
    logLevel: 'error',
  });
}

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['inherit', 2, 2] });
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
await bundleCli();
// the stamp only when no input changed while building (generate-schemas.mjs may rewrite
// schemas/: then this build's inputs are the rewritten ones, and the next build is a full one)
const after = inputs();
if (after !== null && same(before, after)) {
  mkdirSync(dirname(STAMP), { recursive: true });
  writeFileSync(`${STAMP}.tmp`, JSON.stringify({ format: FORMAT, inputs: after, outputs: digests(walk('dist')) }));
  renameSync(`${STAMP}.tmp`, STAMP);
}
