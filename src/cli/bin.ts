#!/usr/bin/env node
import type { FastRun } from './fast.js';

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

const argv = process.argv.slice(2);

// An unchanged `render [--check]` is answered from the project memo before the CLI's
// dependencies are loaded (src/cli/fast.ts); anything else, or any doubt, runs the full CLI.
// Other commands do not load it.
let fast: FastRun | undefined;
if (argv.includes('render') && !process.env.GITOPSC_NO_FAST_PATH) {
  try {
    const { fastRender } = await import('./fast.js');
    fast = fastRender(argv, { cwd: process.cwd(), env: process.env, stdoutIsTTY: Boolean(process.stdout.isTTY), stderrIsTTY: Boolean(process.stderr.isTTY), handOver: true });
  } catch {
    fast = undefined;
  }
}

if (fast) {
  if (fast.stdout) process.stdout.write(fast.stdout);
  if (fast.stderr) process.stderr.write(fast.stderr);
  process.exitCode = writeFailed ? 4 : fast.code;
} else {
  import('./main.js')
    .then(({ main }) => main(argv))
    .then(
      (code) => {
        process.exitCode = writeFailed ? 4 : code;
      },
      (e: unknown) => {
        process.stderr.write(`gitopsc: internal error (a bug): ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 5;
      },
    );
}
