// Build step (the last: after compile-schemas.mjs, precompile-templates.mjs and bundle-cli.mjs): a V8 code cache beside
// each standalone validator, dist/validate/compiled/<kind>.cjs.v8cache, made after the validator
// has checked the bundled example's documents, so that it holds the functions a run compiles
// when it validates a typical file; and one beside the precompiled built-in templates
// (dist/render/precompiled/templates.cjs.v8cache: its table of functions, each compiled when it
// first renders), and one of Handlebars' one-file run time, which every render loads
// (dist/render/precompiled/handlebars.runtime.js.v8cache: node_modules is not the build's to
// write), and one beside each of the CLI's bundles (dist/cli/fast.cjs.v8cache,
// dist/cli/render.cjs.v8cache, dist/cli/main.cjs.v8cache), made after running a copy of the
// example through them.
// src/host/code-cache.ts uses one only for the very source bytes and Node it was
// made for (its header), and V8 refuses one of another V8 or other flags; without one the
// validator is required as before. Made in this process, which scripts/build.mjs starts without
// NODE_OPTIONS (V8 refuses a cache made under other flags), by the Node that builds.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODE_CACHE_SUFFIX, codeCacheHeader, FAST_BUNDLE, HANDLEBARS_RUNTIME_CACHE, MAIN_BUNDLE, RENDER_BUNDLE, runCommonJs } from '../dist/host/code-cache.js';
import { nodeHost } from '../dist/host/index.js';
import { SCHEMA_KINDS } from '../dist/validate/kinds.js';

const require = createRequire(import.meta.url);
const YAML = require('yaml');
const example = new URL('../fixtures/example/', import.meta.url);
// a source tree without fixtures/ (a trimmed checkout) still builds: the caches then hold only
// what loading compiles, not what validating the example compiles
const haveExample = existsSync(new URL('gitopsc.config.yaml', example));
if (!haveExample) console.error('code-cache: no fixtures/example/: the caches are made without validating its documents');
const doc = (rel) => YAML.parse(readFileSync(new URL(rel, example), 'utf8'));
/** what each validator checks while its cache is made: the example's documents of that kind */
const samples = {
  service: ['services/checkout.yaml', 'services/invoice-fn.yaml', 'services/ledger.yaml'],
  config: ['gitopsc.config.yaml'],
  lock: ['gitopsc.lock'],
  catalog: ['registry/catalog.yaml'],
};

/**
 * Load `file` (absolute) as src/host/code-cache.ts loads it (in require's cache: a later require of
 * it is this module); `save(out)` then writes the code cache of what it has compiled so far
 * (beside it, or at `out`).
 */
function load(file) {
  const bytes = readFileSync(file);
  const { module, script } = runCommonJs(file, bytes.toString('utf8'));
  return {
    exports: module.exports,
    save(out = `${file}${CODE_CACHE_SUFFIX}`) {
      const data = script.createCachedData();
      // atomically: a reader sees the whole cache or none (a partial one fails its data hash anyway)
      const tmp = `${out}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.concat([Buffer.from(`${codeCacheHeader(bytes, data)}\n`, 'utf8'), data]));
      renameSync(tmp, out);
    },
  };
}

/**
 * Load `rel` (under dist/; `from`: another file, absolute) as Node loads CommonJS, `exercise`
 * its exports, then write its cache (beside it, or as dist/`to`).
 */
async function cache(rel, exercise, { from, to } = {}) {
  const loaded = load(from ?? fileURLToPath(new URL(`../dist/${rel}`, import.meta.url)));
  await exercise(loaded.exports);
  loaded.save(to ? fileURLToPath(new URL(`../dist/${to}`, import.meta.url)) : undefined);
}

for (const kind of SCHEMA_KINDS) {
  await cache(`validate/compiled/${kind}.cjs`, (m) => {
    for (const rel of haveExample ? (samples[kind] ?? []) : []) if (!m.validate(doc(rel))) throw new Error(`code-cache: the example's ${rel} does not validate as ${kind}`);
  });
}
await cache('render/precompiled/templates.cjs', (m) => {
  if (typeof m.templates !== 'object') throw new Error('code-cache: templates.cjs has no table');
});
// Handlebars' one-file run time (src/render/handlebars.ts loads it for every render): its cache
// is the build's, beside the precompiled templates, used only while the installed file has the
// bytes it was made of
await cache('', (m) => {
  if (typeof m.create !== 'function') throw new Error('code-cache: the Handlebars run time has no create()');
  m.create();
}, { from: require.resolve('handlebars/dist/handlebars.runtime.js'), to: HANDLEBARS_RUNTIME_CACHE });

/**
 * `run(project, env)` on a copy of the example (without the caches `npm run example` leaves
 * beside it) in a temporary directory, removed afterwards; `env`: this environment without
 * gitopsc's own variables, NODE_OPTIONS or colour settings. Nothing when there is no example.
 */
async function inExample(run) {
  if (!haveExample) return;
  // (its real path: the memo records the cwd a run resolves to, which a symbolic link in TMPDIR would not be)
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'gitopsc-code-cache-')));
  try {
    const project = join(dir, 'example');
    cpSync(example, project, { recursive: true, filter: (p) => !/[\\/]example[\\/]\.gitopsc$/.test(p) });
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && k !== 'FORCE_COLOR' && k !== 'NO_COLOR' && !k.startsWith('GITOPSC_')));
    await run(project, env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The start-up fast path's and the render path's bundles (dist/cli/fast.cjs, dist/cli/render.cjs:
 * scripts/bundle-cli.mjs), exercised as a pre-commit hook and a developer run them: a copy of the
 * example rendered once by the CLI (which records the project memo), then one Kubernetes and one
 * Lambda service changed and rendered through the fast path (the scan handed over, the render
 * path loaded, compiling from its records), then an unchanged `render --check`. Each must succeed
 * as the CLI would. Both are in require's cache while this runs, as when the CLI loads them: the
 * render path's modules shared with the fast path are the fast path's.
 */
async function exerciseRender(m) {
  await inExample(async (project, env) => {
    const bin = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));
    const first = spawnSync(process.execPath, [bin, 'render', '--format', 'json'], { cwd: project, env, encoding: 'utf8' });
    if (first.status !== 0) throw new Error(`rendering the example exited ${first.status}: ${first.stdout}${first.stderr}`);
    const edit = (rel, from, to) => {
      const file = join(project, rel);
      const text = readFileSync(file, 'utf8');
      if (!text.includes(from)) throw new Error(`the example's ${rel} has no "${from}" to change`);
      writeFileSync(file, text.replace(from, to));
    };
    edit('services/checkout.yaml', 'replicas: 2', 'replicas: 3');
    edit('services/invoice-fn.yaml', 'timeout: 30', 'timeout: 31');
    const host = { cwd: project, env: {}, stdoutIsTTY: false, stderrIsTTY: false, handOver: true };
    const changed = m.fastRender(['render', '--format', 'json'], host) ?? (await m.renderChanged(host));
    const written = changed && changed.code === 0 ? JSON.parse(changed.stdout).written : undefined;
    if (!Array.isArray(written) || written.length === 0) throw new Error(`the render after a change wrote nothing: ${JSON.stringify(changed)}`);
    const check = m.fastRender(['render', '--check'], host);
    if (!check || check.code !== 0) throw new Error(`the unchanged render --check did not pass: ${JSON.stringify(check)}`);
  });
}

/**
 * Run an exercise of a bundle: one that fails leaves a cache of what loading and the exercise
 * compiled so far (a cache is only an optimisation), with a warning that says why.
 */
async function exercised(name, exercise, m) {
  try {
    await exercise(m);
  } catch (e) {
    console.error(`code-cache: warning: the ${name}'s cache holds less than it could: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const bundles = [FAST_BUNDLE, RENDER_BUNDLE].map((rel) => load(fileURLToPath(new URL(`../dist/${rel}`, import.meta.url))));
await exercised('render path', exerciseRender, bundles[0].exports);
for (const b of bundles) b.save();

/**
 * The full CLI's bundle (dist/cli/main.cjs): `validate`, `resolve` (the lock current) and a
 * whole `render` of a copy of the example, as the CLI runs them when the fast path does not
 * answer, each of which must exit 0.
 */
async function exerciseMain(m) {
  await inExample(async (project, env) => {
    const host = nodeHost({ env, interactive: false });
    for (const args of [['validate'], ['resolve'], ['render'], ['render', '--check', '--format', 'json']]) {
      const out = [];
      const io = { stdout: (t) => out.push(t), stderr: (t) => out.push(t), stdoutIsTTY: false, stderrIsTTY: false };
      const code = await m.main(['--cwd', project, ...args], io, host);
      if (code !== 0) throw new Error(`gitopsc ${args.join(' ')} of the example exited ${code}: ${out.join('')}`);
    }
  });
}
await cache(MAIN_BUNDLE, (m) => exercised('full CLI', exerciseMain, m));
console.error(`code caches for ${SCHEMA_KINDS.length} validators, the precompiled templates, the Handlebars run time, the fast path, the render path and the full CLI`);
