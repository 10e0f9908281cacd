#!/usr/bin/env node
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`gitopsc: internal error (a bug): ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 5;
  },
);
