/**
 * What a command gets and returns. Commands never print and never exit: they return
 * diagnostics, machine data (merged into the `--format json` object) and human lines;
 * the output formatter (src/cli/output/*) prints them and src/cli/main.ts picks the exit code.
 */
import type { Diagnostic, ExitCode } from '../core/diagnostics.js';
import type { Host } from '../host/index.js';

export interface GlobalOptions {
  cwd: string;
  config?: string;
  format: 'text' | 'json' | 'github';
  quiet: boolean;
  color: boolean;
  debug: boolean;
  /** `--registry-timeout <seconds>`: the overall registry deadline of the run, in ms */
  registryTimeoutMs?: number;
}

export interface CommandContext {
  host: Host;
  global: GlobalOptions;
}

export interface CommandResult {
  diagnostics: Diagnostic[];
  /** extra top-level fields of the JSON object (`resolved`, `files`, ...) */
  data?: Record<string, unknown>;
  /** lines for a human on stdout in text format (not printed with --quiet or json) */
  lines?: string[];
  /** raw text printed to stdout as is in text format, e.g. a markdown diff or a schema */
  stdout?: string;
  /** what `stdout` holds: `diff` is coloured as a unified diff on a terminal */
  stdoutKind?: 'diff';
  /** overrides the exit code derived from diagnostics (e.g. `diff --exit-code`) */
  exitCode?: ExitCode;
}
