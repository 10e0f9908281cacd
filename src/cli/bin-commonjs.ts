#!/usr/bin/env node
// The `gitopsc` command (package.json's bin): this file as CommonJS (dist/cli/bin.cjs, bundled by
// scripts/bundle-cli.mjs), so that a run whose CommonJS bundles have code caches made by this
// Node starts without Node's ES module loader (about 13 ms of CPU per run). When they have none
// (a package built by another Node), the ES module entry, dist/cli/bin.js, runs instead, on its
// bundled chunks. (A bundle whose cache then turns out unusable, damaged for one, falls back to
// the file-by-file ES modules: slower, the same result.)
import { fileURLToPath } from 'node:url';
import { codeCachesForThisNode, FAST_BUNDLE, MAIN_BUNDLE, RENDER_BUNDLE } from '../host/code-cache.js';
import { internalErrorLine, start } from './start.js';

const bundles = [FAST_BUNDLE, RENDER_BUNDLE, MAIN_BUNDLE].map((rel) => fileURLToPath(new URL(`../${rel}`, import.meta.url)));
const run = codeCachesForThisNode(bundles) ? start({ fast: () => import('./fast.js'), main: () => import('./main.js') }) : import('./bin.js');
run.catch((e: unknown) => {
  process.stderr.write(internalErrorLine(e));
  process.exitCode = 5;
});
