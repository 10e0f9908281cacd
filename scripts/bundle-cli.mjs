// The bundled CLI (dist/cli/bin.js and its chunks, and its CommonJS bundles), made from src/ into
// a dist/ that already holds the file-by-file modules: a step of the build (scripts/build.mjs,
// before the code caches), and of the test suite's CLI build (test/helpers/cli-build.ts), so that
// the CLI the tests run is the one the package ships, bundled the same way.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** the bundled CLI's chunks beside dist/cli/bin.js (`bin-<hash>.js`), made by bundleCli */
const CHUNK = /^bin-[A-Z0-9]{8}\.js$/;

/**
 * The CLI's ES module entry (dist/cli/bin.js, which the `gitopsc` command, dist/cli/bin.cjs, hands
 * over to when the CommonJS bundles below have no code cache for this Node) bundled with the modules of ours it
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
export async function bundleCli({ src, dist }) {
  const cliDir = join(dist, 'cli');
  // (the fast path's and the render path's CommonJS bundles, their code caches beside them)
  const { FAST_BUNDLE, RENDER_BUNDLE, MAIN_BUNDLE, BIN_COMMONJS, CODE_CACHE_SUFFIX } = await import(pathToFileURL(join(dist, 'host/code-cache.js')).href);
  for (const f of readdirSync(cliDir)) if (CHUNK.test(f)) rmSync(join(cliDir, f));
  for (const f of [FAST_BUNDLE, RENDER_BUNDLE, MAIN_BUNDLE, BIN_COMMONJS]) for (const suffix of ['', CODE_CACHE_SUFFIX]) rmSync(join(dist, `${f}${suffix}`), { force: true });
  const { templateCode } = await import(pathToFileURL(join(dist, 'render/handlebars.js')).href);
  /** `import.meta.url` of each module, made relative to the output file's own URL (`selfUrl`: an expression) */
  const metaUrl = (selfUrl) => ({
    name: 'import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/, namespace: 'file' }, (args) => {
        let text = readFileSync(args.path, 'utf8');
        if (text.includes('import.meta.url')) {
          const own = join(dist, relative(src, args.path)).replace(/\.ts$/, '.js');
          const rel = relative(cliDir, own).split(sep).join('/');
          text = text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, ${selfUrl}).href`);
        }
        return { contents: text, loader: 'ts' };
      });
    },
  });
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
    // paths in the output (comments, chunk hashes) are relative to the directory above src/
    absWorkingDir: dirname(src),
    entryPoints: [join(src, 'cli/bin.ts')],
    outdir: cliDir,
    bundle: true,
    splitting: true,
    chunkNames: 'bin-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'es2022',
    define: { GITOPSC_TEMPLATE_CODE: JSON.stringify(templateCode()) },
    plugins: [metaUrl('import.meta.url'), dependencies],
    // a bundled CommonJS dependency requires node builtins: the `require` it is given
    banner: { js: "import { createRequire as __gitopscCreateRequire } from 'node:module';\nconst require = __gitopscCreateRequire(import.meta.url);" },
    logLevel: 'error',
  });
  await bundleCommonJs({ src, dist, fast: FAST_BUNDLE, render: RENDER_BUNDLE, main: MAIN_BUNDLE, bin: BIN_COMMONJS, templateCode: templateCode(), plugins: [metaUrl('__gitopscSelf'), dependencies] });
}

/**
 * The start-up fast path and the render path as two CommonJS files, which src/cli/start.ts loads
 * for `render [--check]`, and the full CLI as a third, each through the V8 code cache
 * scripts/code-cache.mjs writes beside it
 * (src/host/code-cache.ts): ES modules are parsed, compiled and linked again on every run (Node 20
 * keeps no compile cache for them), about 50-70 ms of CPU of a render after one change. Two files,
 * so that an unchanged `render --check` deserialises only the fast path's code:
 *
 * - `fast` (dist/cli/fast.cjs): src/cli/fast.ts and what it imports, exporting fast.ts's exports
 *   and each of its modules as a namespace (`__gitopsc<N>`). Its dynamic imports of the render
 *   path load `render` through its code cache (requireGenerated).
 * - `render` (dist/cli/render.cjs): the build stage (renderProject) and src/cli/commands/render.ts
 *   (renderAt), whose imports of a module `fast` holds are that module of `fast` (required
 *   from beside it): one instance of each, so that the scan the fast path hands over, the memo's
 *   classes and every module's state are the same ones.
 *
 * - `main` (dist/cli/main.cjs): the full CLI (src/cli/main.ts), for every other run.
 *
 * Dynamic imports become requires (a vm.Script has no ES module loader). The library uses the ES
 * modules, and so does the CLI when a bundle cannot be loaded.
 */
async function bundleCommonJs({ src, dist, fast, render, main, bin, templateCode, plugins }) {
  const esbuild = require('esbuild');
  const common = {
    absWorkingDir: dirname(src),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'es2022',
    supported: { 'dynamic-import': false },
    define: { GITOPSC_TEMPLATE_CODE: JSON.stringify(templateCode) },
    // strict, as the ES modules they are made of run (esbuild adds no "use strict" to CommonJS it makes of them)
    banner: { js: `"use strict";\nconst __gitopscSelf = require('node:url').pathToFileURL(__filename).href;` },
    logLevel: 'error',
  };
  // what fast.ts imports of the render path, by module: renderAt (config discovery, which loads
  // cosmiconfig) only when it is called, as its ES module is imported only then
  const renderEntries = { [join(src, 'build/stage.ts')]: 'renderProject', [join(src, 'cli/commands/render.ts')]: 'renderAt' };
  const lazyEntries = new Set([join(src, 'cli/commands/render.ts')]);
  const relativeTo = (from, to) => {
    const r = relative(dirname(join(dist, from)), join(dist, to)).split(sep).join('/');
    return r.startsWith('.') ? r : `./${r}`;
  };
  // fast.ts's dynamic imports of the render path: `render`, through its code cache
  const renderPath = {
    name: 'render-path',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const target = join(args.resolveDir, args.path).replace(/\.js$/, '.ts');
        if (!(target in renderEntries)) return { errors: [{ text: `${args.path}: a dynamic import the fast path's bundle does not know (scripts/bundle-cli.mjs)` }] };
        return { path: 'render', namespace: 'gitopsc-render-path' };
      });
      // (a render path of another build, whose modules would be wired to other namespaces of this
      // one, is refused: fast.ts then leaves the render to the full CLI)
      b.onLoad({ filter: /.*/, namespace: 'gitopsc-render-path' }, () => ({
        contents: [
          `const { requireGenerated } = require(${JSON.stringify(join(src, 'host/code-cache.ts'))});`,
          `const file = require('node:path').join(__dirname, ${JSON.stringify(relativeTo(fast, render))});`,
          `const m = requireGenerated(file);`,
          `if (m.bundleId !== ${JSON.stringify(bundleId)}) throw new Error(file + ' is not of the build of ' + __filename);`,
          `module.exports = m;`,
        ].join('\n'),
        loader: 'js',
        resolveDir: src,
      }));
    },
  };
  // the modules `fast` holds: the ones its entry reaches
  let bundleId = '';
  const probe = await esbuild.build({ ...common, entryPoints: [join(src, 'cli/fast.ts')], write: false, metafile: true, plugins: [...plugins, renderPath] });
  const held = Object.keys(probe.metafile.inputs).filter((p) => !p.includes(':') && p.endsWith('.ts'));
  const shared = held.map((p) => join(dirname(src), p));
  const index = new Map(shared.map((p, i) => [p, i]));
  // what the two bundles are of: the modules `fast` holds, in its order, and their sources (the
  // same in any checkout); `render` carries it, and `fast` loads only a `render` that does
  const id = createHash('sha256');
  for (const [i, p] of held.entries()) id.update(`${p}\0`).update(readFileSync(shared[i])).update('\0');
  bundleId = id.digest('hex').slice(0, 16);
  await esbuild.build({
    ...common,
    stdin: {
      contents: [`export * from ${JSON.stringify(join(src, 'cli/fast.ts'))};`, ...shared.map((p, i) => `export * as __gitopsc${i} from ${JSON.stringify(p)};`)].join('\n'),
      resolveDir: src,
      sourcefile: 'fast-bundle.ts',
      loader: 'ts',
    },
    outfile: join(dist, fast),
    plugins: [...plugins, renderPath],
  });
  // `render`: a module `fast` holds is required from it
  const SKIP = Symbol('resolving');
  const fromFast = {
    name: 'from-fast',
    setup(b) {
      b.onResolve({ filter: /^\./ }, async (args) => {
        if (args.namespace === 'gitopsc-fast') return { path: args.path, external: true };
        if (args.pluginData === SKIP) return undefined;
        const r = await b.resolve(args.path, { resolveDir: args.resolveDir, importer: args.importer, kind: args.kind, pluginData: SKIP });
        if (r.errors.length > 0) return { errors: r.errors };
        // (named by its path under the directory above src/, as the output's comments name files)
        return index.has(r.path) ? { path: relative(dirname(src), r.path).split(sep).join('/'), namespace: 'gitopsc-fast' } : { path: r.path };
      });
      b.onLoad({ filter: /.*/, namespace: 'gitopsc-fast' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(relativeTo(render, fast))}).__gitopsc${index.get(join(dirname(src), args.path))};\n`,
        loader: 'js',
      }));
    },
  };
  await esbuild.build({
    ...common,
    stdin: {
      contents: Object.entries(renderEntries)
        .map(([file, name]) => (lazyEntries.has(file) ? `export async function ${name}(...args) {\n  return (await import(${JSON.stringify(file)})).${name}(...args);\n}` : `export { ${name} } from ${JSON.stringify(file)};`))
        .concat(`export const bundleId = ${JSON.stringify(bundleId)};`)
        .join('\n'),
      resolveDir: src,
      sourcefile: 'render-bundle.ts',
      loader: 'ts',
    },
    outfile: join(dist, render),
    plugins: [...plugins, fromFast],
  });
  // `main`: the full CLI, every command (their modules initialised when first imported), for
  // every run the fast path does not answer; a process loads it beside `fast` only when `render`
  // falls through to it, which then hands nothing over
  await esbuild.build({ ...common, entryPoints: [join(src, 'cli/main.ts')], outfile: join(dist, main), plugins });
  // the `gitopsc` command (package.json's bin): src/cli/bin-commonjs.ts as CommonJS beside them;
  // its dynamic imports (the ES module entry and fallbacks beside it) stay imports
  const esmBeside = {
    name: 'esm-beside',
    setup(b) {
      b.onResolve({ filter: /^\.\/(bin|fast|main)\.js$/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined));
    },
  };
  await esbuild.build({ ...common, supported: {}, entryPoints: [join(src, 'cli/bin-commonjs.ts')], outfile: join(dist, bin), plugins: [esmBeside, ...plugins] });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // `node scripts/bundle-cli.mjs <src> <dist>`
  const [src, dist] = process.argv.slice(2);
  if (!src || !dist) {
    console.error('usage: node scripts/bundle-cli.mjs <src dir> <dist dir>');
    process.exit(2);
  }
  await bundleCli({ src, dist });
}
