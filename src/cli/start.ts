import { fstatSync, writeSync } from 'node:fs';
import { FAST_BUNDLE, MAIN_BUNDLE, requireCached } from '../host/code-cache.js';
import type { FastRun } from './fast.js';

/** Where a run's modules come from when their CommonJS bundle cannot be loaded: ES modules (bin.ts: the bundled chunks; bin-commonjs.ts: the file-by-file modules). */
export interface EsmModules {
  fast(): Promise<typeof import('./fast.js')>;
  main(): Promise<typeof import('./main.js')>;
}

// A closed stdout (`gitopsc schema service | head -c1`) ends the output quietly, as Unix tools
// do; any other failure to write (a full disk) is a file system error (exit 4), never a stack.
let writeFailed = false;
const failed = (name: 'stdout' | 'stderr', e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE' || writeFailed) return;
  writeFailed = true;
  process.exitCode = 4;
  if (name === 'stdout') process.stderr.write(`gitopsc: cannot write to stdout: ${e.code ?? e.message}\n`);
};
const guarded = new Set<string>();
const stream = (name: 'stdout' | 'stderr') => {
  const s = process[name];
  if (!guarded.has(name)) {
    guarded.add(name);
    s.on('error', (e: NodeJS.ErrnoException) => failed(name, e));
  }
  return s;
};

/** whether some output went through a stream (written asynchronously: the process must drain it before it ends) */
let streamed = false;

/**
 * The fast path's output, written straight to the file descriptor: process.stdout would load
 * Node's stream modules first, which costs an unchanged `render --check` more than its work. A
 * non-blocking pipe that is full (EAGAIN) gets the rest through the stream, which waits for it.
 */
function writeOut(name: 'stdout' | 'stderr', text: string): void {
  if (!text) return;
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(name === 'stdout' ? 1 : 2, bytes, at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        streamed = true;
        stream(name).write(bytes.subarray(at));
      } else failed(name, e as NodeJS.ErrnoException);
      return;
    }
  }
}

/**
 * Whether a standard stream is a terminal, asked of process.stdout/stderr only for a character
 * device (a pipe or a file, as in a hook or CI, is not a terminal; asking the stream loads it).
 */
function isTTY(name: 'stdout' | 'stderr'): boolean {
  try {
    if (!fstatSync(name === 'stdout' ? 1 : 2).isCharacterDevice()) return false;
  } catch {
    /* the stream will tell */
  }
  return Boolean(stream(name).isTTY);
}

/** What the process prints for an exception it did not expect (exit 5), in place of a stack. */
export function internalErrorLine(e: unknown): string {
  return `gitopsc: internal error (a bug): ${e instanceof Error ? e.message : String(e)}\n`;
}

/**
 * One of the CLI's CommonJS bundles (scripts/bundle-cli.mjs: the fast path, the full CLI) loaded
 * through the V8 code cache the build made of it, instead of ES modules parsed, compiled and
 * linked again on every run (Node 20 keeps no compile cache for them); its ES module when there
 * is no such cache for this Node, or the bundle cannot be loaded.
 */
async function bundled<T>(rel: string, esm: () => Promise<T>): Promise<T> {
  try {
    const m = requireCached(process.getBuiltinModule('node:url').fileURLToPath(new URL(`../${rel}`, import.meta.url))) as T | undefined;
    if (m) return m;
  } catch {
    /* the ES module */
  }
  return esm();
}

/**
 * The `gitopsc` command: src/cli/bin.ts (an ES module, dist/cli/bin.js) and
 * src/cli/bin-commonjs.ts (package.json's bin, dist/cli/bin.cjs) run it with the ES modules to
 * fall back on.
 */
export async function start(esm: EsmModules): Promise<void> {
  const argv = process.argv.slice(2);

  // An unchanged `render [--check]` is answered from the project memo before the CLI's
  // dependencies are loaded (src/cli/fast.ts); anything else, or any doubt, runs the full CLI.
  // Other commands do not load it.
  let fast: FastRun | undefined;
  if (argv.includes('render') && !process.env.GITOPSC_NO_FAST_PATH) {
    let module: typeof import('./fast.js') | undefined;
    // (whether a stream is a terminal is looked at only when colour depends on it)
    const env = {
      cwd: process.cwd(),
      env: process.env,
      get stdoutIsTTY() {
        return isTTY('stdout');
      },
      get stderrIsTTY() {
        return isTTY('stderr');
      },
      handOver: true,
    };
    try {
      module = await bundled(FAST_BUNDLE, esm.fast);
      fast = module.fastRender(argv, env);
    } catch {
      fast = undefined;
    }
    // a project whose files changed since the memo: rendered from the scan the fast path made,
    // as the full CLI renders it, without loading the CLI's command table (src/cli/fast.ts)
    if (!fast && module) {
      try {
        fast = await module.renderChanged(env);
      } catch (e) {
        // (it reports its own exceptions as the CLI does: this is one in printing them)
        fast = { stdout: '', stderr: internalErrorLine(e), code: 5 };
      }
    }
  }

  if (fast) {
    writeOut('stdout', fast.stdout);
    writeOut('stderr', fast.stderr);
    process.exitCode = writeFailed ? 4 : fast.code;
    // Everything is done and written (synchronously: every file, cache and the memo, and the
    // output to its descriptor): the process ends now instead of first letting V8 finish
    // collecting a heap that ending discards (after a render of a change, a scavenge and a
    // mark-compact it had scheduled: tens of ms of CPU). Output that went through a stream is
    // left to drain as usual.
    if (!streamed) process.exit();
  } else {
    stream('stdout');
    stream('stderr');
    bundled(MAIN_BUNDLE, esm.main)
      .then(({ main }) => main(argv))
      .then(
        (code) => {
          process.exitCode = writeFailed ? 4 : code;
        },
        (e: unknown) => {
          process.stderr.write(internalErrorLine(e));
          process.exitCode = 5;
        },
      );
  }
}
