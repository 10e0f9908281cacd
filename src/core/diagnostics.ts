/**
 * Diagnostics: user mistakes and environment failures are data, never exceptions.
 * Every diagnostic about a user file carries a project-relative file and a 1-based line and column.
 */
import type { Reason, ReasonFor } from './reasons.js';

/** Stable codes from the contract (never reworded), plus codes we added. */
export const CODES = [
  'YAML_SYNTAX',
  'SCHEMA',
  'DUPLICATE_SERVICE',
  'UNKNOWN_REGISTRY',
  'INVALID_RANGE',
  'INVALID_REGEX',
  'NO_CANDIDATES',
  'TAG_NOT_FOUND',
  'DIGEST_MISMATCH',
  'RUNTIME_INPUT_REQUIRED',
  'POLICY_VIOLATION',
  'PACKAGE_NOT_FOUND',
  'LOCK_STALE',
  'DRIFT',
  'TEMPLATE',
  'REGISTRY_UNAVAILABLE',
  'REGISTRY_AUTH',
  'GIT',
  'FILESYSTEM',
  'KUBERNETES',
  'PATCH',
  'MANIFEST_INVALID',
  /** info: `render --stdout` left out files that are not YAML (Lambda configs) */
  'NOT_YAML',
  'CONFIG_NOT_FOUND',
  'USAGE',
  'INTERNAL',
  'PRUNE_GUARD',
  'STAGE',
] as const;

export type Code = (typeof CODES)[number];
export type Severity = 'error' | 'warning' | 'info';

export interface Position {
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

export interface RelatedLocation extends Partial<Position> {
  file?: string;
  message: string;
}

export interface Diagnostic {
  code: Code;
  /**
   * The rule that gave it: a stable kebab-case id, unique per code (src/core/reasons.ts,
   * docs/diagnostics.md). Tests and tools match on code + reason, never on the message.
   */
  reason?: Reason;
  severity: Severity;
  message: string;
  /** Project-relative path with `/` separators. */
  file?: string;
  line?: number;
  column?: number;
  service?: string;
  environment?: string;
  /** A short suggestion ("did you mean ...", "quote it"). */
  hint?: string;
  related?: RelatedLocation[];
}

/** Where a diagnostic is and which rule of code `C` gave it (TypeScript checks the pair). */
export type DiagnosticAt<C extends Code = Code> = Omit<Partial<Diagnostic>, 'code' | 'reason'> & { reason?: ReasonFor<C> };

export function error<C extends Code>(code: C, message: string, at: DiagnosticAt<C> = {}): Diagnostic {
  return { code, severity: 'error', message, ...at };
}

export function warning<C extends Code>(code: C, message: string, at: DiagnosticAt<C> = {}): Diagnostic {
  return { code, severity: 'warning', message, ...at };
}

export function info<C extends Code>(code: C, message: string, at: DiagnosticAt<C> = {}): Diagnostic {
  return { code, severity: 'info', message, ...at };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** Exit codes, section 7 of the contract. */
export const EXIT = { ok: 0, user: 1, usage: 2, registry: 3, io: 4, internal: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code a set of diagnostics calls for: the most severe class of error wins. */
export function exitCodeFor(diags: readonly Diagnostic[]): ExitCode {
  const errs = diags.filter((d) => d.severity === 'error');
  if (errs.length === 0) return EXIT.ok;
  const codes = new Set(errs.map((d) => d.code));
  if (codes.has('INTERNAL')) return EXIT.internal;
  if (codes.has('USAGE') || codes.has('CONFIG_NOT_FOUND')) return EXIT.usage;
  if (codes.has('GIT') || codes.has('FILESYSTEM')) return EXIT.io;
  if (codes.has('REGISTRY_UNAVAILABLE') || codes.has('REGISTRY_AUTH') || codes.has('STAGE')) return EXIT.registry;
  return EXIT.user;
}

/** Stable order for output: file, line, column, code. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort(
    (a, b) =>
      cmp(a.file ?? '\uffff', b.file ?? '\uffff') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      cmp(a.code, b.code) ||
      cmp(a.message, b.message),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
