/**
 * The one door to the outside world: file system, processes, network, environment and clock.
 * Library code takes a `Host` (or one of the functions of src/host/fs.ts, src/host/package.ts)
 * and never reaches for node:fs, process.env, process.cwd() or Date.now() itself; the
 * architecture test lists the few host adapters besides this directory (ARCHITECTURE.md,
 * "One I/O door"). Tests inject a Host (`nodeHost({ env: {...} })`) instead of mutating
 * process.env.
 */
import { escapingPath, lstatOrAbsent, pathExists, readText, realPath, statOrAbsent, writeFileAtomic } from './fs.js';
import { processAlive } from './process.js';

/** The file system, as the library uses it outside a ProjectSource. */
export interface HostFs {
  pathExists(path: string): boolean;
  statOrAbsent: typeof statOrAbsent;
  lstatOrAbsent: typeof lstatOrAbsent;
  realPath(path: string): string;
  readText(path: string): string;
  writeFileAtomic(path: string, content: string): Promise<void>;
  /** the first path from `target` up that is a symbolic link out of `root` */
  escapingPath(root: string, target: string): string | undefined;
}

export interface Host {
  /** The process's environment (read only; used for `{env: NAME}` references). */
  env: Readonly<Record<string, string | undefined>>;
  /** The clock. */
  now(): Date;
  /** The directory relative paths start from (the CLI's default `--cwd`). */
  cwd(): string;
  fetch: typeof globalThis.fetch;
  fs: HostFs;
  /** Processes: this one's id, and whether another process of this machine still runs. */
  pid: number;
  processAlive(pid: number): boolean;
  /** true when stderr is a terminal (progress is shown only then) */
  interactive: boolean;
  /** progress and log lines for a human, to stderr; never the machine output */
  log(line: string): void;
  /** a one-line status that replaces the previous one (terminal progress); '' clears it */
  status(text: string): void;
}

export const nodeFs: HostFs = { pathExists, statOrAbsent, lstatOrAbsent, realPath, readText, writeFileAtomic, escapingPath };

/** The real host: this process. `overrides` replace parts (tests pass their own `env`, clock, fetch). */
export function nodeHost(overrides: Partial<Host> = {}): Host {
  return {
    env: process.env,
    now: () => new Date(),
    cwd: () => process.cwd(),
    fetch: globalThis.fetch.bind(globalThis),
    fs: nodeFs,
    pid: process.pid,
    processAlive,
    interactive: Boolean(process.stderr.isTTY),
    log: (line) => process.stderr.write(line + '\n'),
    status: (text) => process.stderr.write(`\r${text}\x1b[K`),
    ...overrides,
  };
}
