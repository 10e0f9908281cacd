// The build's stamp: what scripts/build.mjs records after a full build and what both its
// `--if-stale` check and the tests' CLI build (test/helpers/cli-build.ts, which copies dist/
// instead of building when it is current) compare, in one place so that the two cannot name
// different inputs. "Current" means: the stamp names the SHA-256 of every input (src/,
// schemas/, scripts/, templates/, the example documents code-cache.mjs validates, the
// tsconfigs, package.json, the installed dependency tree as npm records it in
// node_modules/.package-lock.json, TypeScript's version), Node's version, and every file under
// dist/, and all of them are still the same. Any doubt (no stamp, another format, a missing
// fixed input, one byte changed anywhere, a file added to or removed from dist/) is "not current".
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const STAMP_FORMAT = 1;
const INPUT_DIRS = ['src', 'schemas', 'scripts', 'templates', 'fixtures/example/services', 'fixtures/example/registry'];
/** the rest of the documents code-cache.mjs validates while it makes the caches (absent in a trimmed tree) */
const SAMPLE_FILES = ['fixtures/example/gitopsc.config.yaml', 'fixtures/example/gitopsc.lock'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'node_modules/.package-lock.json', 'node_modules/typescript/package.json'];

/** Where the stamp of the repository at `root` lives: node_modules/.cache/, never in the package. */
export function stampFile(root) {
  return join(root, 'node_modules/.cache/gitopsc-build/stamp.json');
}

/** Every file under `base`/`dir` (as `dir/...`, `/`-separated, sorted); [] when it does not exist. */
export function walk(base, dir) {
  const abs = join(base, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(base, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/** path -> SHA-256 of its bytes under `base`, for every file of `files` (a missing one throws). */
export function digests(base, files) {
  return Object.fromEntries(files.map((f) => [f, createHash('sha256').update(readFileSync(join(base, f))).digest('hex')]));
}

/** The inputs' fingerprint of the repository at `root`; null when one of the fixed inputs is missing (then never current). */
export function inputs(root) {
  if (!INPUT_FILES.every((f) => existsSync(join(root, f)))) return null;
  const files = [...INPUT_DIRS.flatMap((d) => walk(root, d)), ...SAMPLE_FILES.filter((f) => existsSync(join(root, f))), ...INPUT_FILES];
  return { node: process.version, files: digests(root, files) };
}

/** The stamp's record of a build: these inputs, and the files under `outBase`/dist. */
export function stampOf(before, outBase) {
  return { format: STAMP_FORMAT, inputs: before, outputs: digests(outBase, walk(outBase, 'dist')) };
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Whether the dist/ under `outBase` (the repository's own, or a copy of it) is what the last
 * full build of the repository at `root` wrote from its inputs as they are now.
 */
export function current(root, outBase = root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile(root), 'utf8'));
  } catch {
    return false;
  }
  if (stamp?.format !== STAMP_FORMAT) return false;
  const now = inputs(root);
  if (now === null || !same(now, stamp.inputs)) return false;
  try {
    return same(digests(outBase, walk(outBase, 'dist')), stamp.outputs);
  } catch {
    return false;
  }
}
