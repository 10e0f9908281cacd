/**
 * The build's standalone schema validators (and precompiled built-in templates) for the library
 * code the tests run in process.
 *
 * src/validate/schema.ts loads `./compiled/<kind>.cjs` beside itself (dist/validate/compiled/,
 * written by scripts/compile-schemas.mjs) and uses it only when it was built from the very
 * schema text it validates (its `schemaHash`); else it compiles the schema with ajv, which
 * takes 2-4 s of CPU for the first service and config schemas in a fresh process. Run from
 * src/ by vitest there is no such file beside it, so each of the three workers compiled every
 * schema (about 11 s of CPU per run). Here the require of `./compiled/<kind>.cjs` from that one
 * module is pointed at the test CLI's build (test/helpers/cli.ts, made once per run and holding
 * the same build step's output for the same sources) once that build has ended (never started
 * here; waited for when test/global-setup.ts started it, else, before it has ended, the schema
 * is compiled as before), so in-process runs
 * load the validators as the shipped package does. The hash check still decides: a schema with
 * run-time plug-ins' fragments is compiled as before. test/schema.compiled.test.ts holds the
 * standalone validators to the run-time compiled ones. The same holds for the built-in templates
 * src/render/handlebars.ts loads from `./precompiled/templates.cjs` (keyed by their source, the
 * Handlebars version and the code that made them: anything else is compiled as before;
 * test/template.precompiled.test.ts holds both to the same bytes).
 */
import Module from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { builtCliIfReady } from './cli.js';

const SRC = resolve(import.meta.dirname, '../../src');
/** The modules that load build output beside themselves, and what they load (relative to themselves, in dist/ as in src/) */
const LOADS = new Map([
  [join(SRC, 'validate/schema.ts'), /^\.\/compiled\/[a-z-]+\.cjs$/],
  [join(SRC, 'render/handlebars.ts'), /^\.\/precompiled\/templates\.cjs$/],
]);

interface ModuleInternals {
  _resolveFilename(this: unknown, request: string, parent: { filename?: string } | undefined, ...rest: unknown[]): string;
}

let installed = false;

/** Once per worker (test/setup.ts calls it before every file). */
export function usePrecompiledBuildOutput(): void {
  if (installed) return;
  installed = true;
  const internals = Module as unknown as ModuleInternals;
  const original = internals._resolveFilename;
  internals._resolveFilename = function (request, parent, ...rest) {
    const from = parent?.filename;
    const cli = from !== undefined && LOADS.get(from)?.test(request) ? builtCliIfReady() : undefined;
    // the same file of the test CLI's package directory (dist/cli/bin.cjs: dist/ is two levels up)
    if (cli) return join(dirname(cli.bin), '..', relative(SRC, dirname(from!)), request);
    return original.call(this, request, parent, ...rest);
  };
}
