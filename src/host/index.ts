/**
 * The one door to the outside world: file system, network, environment, clock and processes.
 * Everything under src/ except this file, src/cli and the provider/git adapters is pure.
 */
export interface Host {
  /** The process's environment (read only; used for `{env: NAME}` references). */
  env: Readonly<Record<string, string | undefined>>;
  now(): Date;
  fetch: typeof globalThis.fetch;
  /** true when stderr is a terminal (progress is shown only then) */
  interactive: boolean;
  /** progress and log lines for a human, to stderr; never the machine output */
  log(line: string): void;
  /** a one-line status that replaces the previous one (terminal progress); '' clears it */
  status(text: string): void;
}

export function nodeHost(overrides: Partial<Host> = {}): Host {
  return {
    env: process.env,
    now: () => new Date(),
    fetch: globalThis.fetch.bind(globalThis),
    interactive: Boolean(process.stderr.isTTY),
    log: (line) => process.stderr.write(line + '\n'),
    status: (text) => process.stderr.write(`\r${text}\x1b[K`),
    ...overrides,
  };
}
