#!/usr/bin/env node
import { main } from './main.js';

// A closed stdout (`gitopsc schema service | head -c1`) ends the output quietly, as Unix tools
// do; any other failure to write (a full disk) is a file system error (exit 4), never a stack.
let writeFailed = false;
for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || writeFailed) return;
    writeFailed = true;
    process.exitCode = 4;
    if (name === 'stdout') process.stderr.write(`gitopsc: cannot write to stdout: ${e.code ?? e.message}\n`);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = writeFailed ? 4 : code;
  },
  (e: unknown) => {
    process.stderr.write(`gitopsc: internal error (a bug): ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 5;
  },
);
