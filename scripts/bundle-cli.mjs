// The bundled CLI (dist/cli/bin.js and its chunks), made from src/ into a dist/ that already
// holds the file-by-file modules: the last step of the build (scripts/build.mjs), and of the
// test suite's CLI build (test/helpers/cli.ts), so that the CLI the tests run is the one the
// package ships, bundled the same way.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

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
export async function bundleCli({ src, dist }) {
  const cliDir = join(dist, 'cli');
  for (const f of readdirSync(cliDir)) if (CHUNK.test(f)) rmSync(join(cliDir, f));
  const { templateCode } = await import(pathToFileURL(join(dist, 'render/handlebars.js')).href);
  const metaUrl = {
    name: 'import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        let text = readFileSync(args.path, 'utf8');
        if (text.includes('import.meta.url')) {
          const own = join(dist, relative(src, args.path)).replace(/\.ts$/, '.js');
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
    plugins: [metaUrl, dependencies],
    // a bundled CommonJS dependency requires node builtins: the `require` it is given
    banner: { js: "import { createRequire as __gitopscCreateRequire } from 'node:module';\nconst require = __gitopscCreateRequire(import.meta.url);" },
    logLevel: 'error',
  });
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
