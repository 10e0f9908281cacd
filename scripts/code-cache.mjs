// Build step (after compile-schemas.mjs and precompile-templates.mjs): a V8 code cache beside
// each standalone validator, dist/validate/compiled/<kind>.cjs.v8cache, made after the validator
// has checked the bundled example's documents, so that it holds the functions a run compiles
// when it validates a typical file; and one beside the precompiled built-in templates
// (dist/render/precompiled/templates.cjs.v8cache: its table of functions, each compiled when it
// first renders), and one of Handlebars' one-file run time, which every render loads
// (dist/render/precompiled/handlebars.runtime.js.v8cache: node_modules is not the build's to
// write). src/host/code-cache.ts uses one only for the very source bytes and Node it was
// made for (its header), and V8 refuses one of another V8 or other flags; without one the
// validator is required as before. Made in this process, which scripts/build.mjs starts without
// NODE_OPTIONS (V8 refuses a cache made under other flags), by the Node that builds.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { CODE_CACHE_SUFFIX, codeCacheHeader, HANDLEBARS_RUNTIME_CACHE, wrapCommonJs } from '../dist/host/code-cache.js';
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
 * Load `rel` (under dist/; `from`: another file, absolute) as Node loads CommonJS, `exercise`
 * its exports, then write its cache (beside it, or as dist/`to`).
 */
function cache(rel, exercise, { from, to } = {}) {
  const file = from ?? fileURLToPath(new URL(`../dist/${rel}`, import.meta.url));
  const out = to ? fileURLToPath(new URL(`../dist/${to}`, import.meta.url)) : `${file}${CODE_CACHE_SUFFIX}`;
  const bytes = readFileSync(file);
  const script = new Script(wrapCommonJs(bytes.toString('utf8')), { filename: file });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  exercise(module.exports);
  const data = script.createCachedData();
  // atomically: a reader sees the whole cache or none (a partial one fails its data hash anyway)
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat([Buffer.from(`${codeCacheHeader(bytes, data)}\n`, 'utf8'), data]));
  renameSync(tmp, out);
}

for (const kind of SCHEMA_KINDS) {
  cache(`validate/compiled/${kind}.cjs`, (m) => {
    for (const rel of haveExample ? (samples[kind] ?? []) : []) if (!m.validate(doc(rel))) throw new Error(`code-cache: the example's ${rel} does not validate as ${kind}`);
  });
}
cache('render/precompiled/templates.cjs', (m) => {
  if (typeof m.templates !== 'object') throw new Error('code-cache: templates.cjs has no table');
});
// Handlebars' one-file run time (src/render/handlebars.ts loads it for every render): its cache
// is the build's, beside the precompiled templates, used only while the installed file has the
// bytes it was made of
cache('', (m) => {
  if (typeof m.create !== 'function') throw new Error('code-cache: the Handlebars run time has no create()');
  m.create();
}, { from: require.resolve('handlebars/dist/handlebars.runtime.js'), to: HANDLEBARS_RUNTIME_CACHE });
console.error(`code caches for ${SCHEMA_KINDS.length} validators, the precompiled templates and the Handlebars run time`);
