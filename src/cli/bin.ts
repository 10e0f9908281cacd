#!/usr/bin/env node
// The `gitopsc` command as an ES module (dist/cli/bin.js, bundled with its chunks by
// scripts/bundle-cli.mjs): package.json's bin, dist/cli/bin.cjs, runs it when the CLI's CommonJS
// bundles have no code cache for this Node; its ES module fallbacks are the bundled chunks.
import { start } from './start.js';

await start({ fast: () => import('./fast.js'), main: () => import('./main.js') });
