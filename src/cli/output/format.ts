/**
 * Output formats: one function per format behind one shape. Pure: they return the text for
 * stdout and for stderr; the CLI prints it. Text: results on stdout, diagnostics on stderr (as
 * kubectl, helm and git do), so `gitopsc render --stdout | kubectl apply -f -` and
 * `gitopsc schema service > file` stay clean. json and github: one document on stdout.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { error, sortDiagnostics } from '../../core/diagnostics.js';
import type { CommandResult } from '../types.js';
import { palette, type Palette } from './color.js';

export type Format = 'text' | 'json' | 'github';

export function location(d: Diagnostic): string {
  if (!d.file) return '';
  return `${d.file}${d.line ? `:${d.line}` : ''}${d.line && d.column ? `:${d.column}` : ''} `;
}

const PLAIN = palette(false);

export function textDiagnostic(d: Diagnostic, c: Palette = PLAIN): string {
  const scope = d.environment && d.service && !d.message.includes(`(${d.environment})`) ? ` [${d.service}/${d.environment}]` : '';
  const sev = d.severity === 'error' ? c.red(c.bold(d.severity)) : d.severity === 'warning' ? c.yellow(c.bold(d.severity)) : c.cyan(d.severity);
  const loc = location(d);
  let line = `${loc ? c.bold(loc.slice(0, -1)) + ' ' : ''}${sev} ${c.dim(d.code)} ${d.message}${scope}`;
  if (d.hint) line += `\n  ${c.cyan('hint:')} ${d.hint}`;
  for (const r of d.related ?? []) line += `\n  ${r.file ?? ''}${r.line ? `:${r.line}` : ''}${r.column ? `:${r.column}` : ''} ${r.message}`;
  return line;
}

/** Unified-diff lines coloured as git colours them. */
export function colorDiff(text: string, c: Palette): string {
  if (!c.isColorSupported) return text;
  return text
    .split('\n')
    .map((l) => (l.startsWith('+++') || l.startsWith('---') ? c.bold(l) : l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l.startsWith('@@') ? c.cyan(l) : l))
    .join('\n');
}

function summary(diags: readonly Diagnostic[]): string | undefined {
  const e = diags.filter((d) => d.severity === 'error').length;
  const w = diags.filter((d) => d.severity === 'warning').length;
  if (!e && !w) return undefined;
  return `${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}`;
}

/** GitHub workflow commands need `%`, CR, LF escaped, and `,` `:` in properties. */
function ghData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function ghProp(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export interface Rendered {
  stdout: string;
  stderr: string;
}

export interface FormatOptions {
  quiet: boolean;
  /** colours for stdout and stderr (text format only; off by default) */
  out?: Palette;
  err?: Palette;
}

export function formatResult(format: Format, result: CommandResult, opts: FormatOptions): Rendered {
  const diags = sortDiagnostics(result.diagnostics);
  if (format === 'json') {
    const ok = !diags.some((d) => d.severity === 'error');
    const obj = { ok, diagnostics: diags.map(jsonDiagnostic), ...(result.data ?? {}) };
    return { stdout: JSON.stringify(obj, null, 2) + '\n', stderr: '' };
  }
  if (format === 'github') {
    const lines = diags.map((d) => {
      const kind = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'notice';
      const props = [d.file && `file=${ghProp(d.file)}`, d.line && `line=${d.line}`, d.column && `col=${d.column}`, `title=${ghProp(d.code)}`].filter(Boolean).join(',');
      return `::${kind} ${props}::${ghData(d.message + (d.hint ? ` (${d.hint})` : ''))}`;
    });
    const human = opts.quiet ? [] : (result.lines ?? []);
    return { stdout: [...lines, ...human].map((l) => l + '\n').join('') + (result.stdout ?? ''), stderr: '' };
  }
  const oc = opts.out ?? PLAIN;
  const ec = opts.err ?? PLAIN;
  const out: string[] = [];
  if (!opts.quiet) out.push(...(result.lines ?? []));
  const s = summary(diags);
  const err = [...diags.map((d) => textDiagnostic(d, ec)), ...(s ? [ec.bold(s)] : [])];
  const raw = result.stdout ?? '';
  return {
    stdout: out.map((l) => l + '\n').join('') + (result.stdoutKind === 'diff' ? colorDiff(raw, oc) : raw),
    stderr: err.map((l) => l + '\n').join(''),
  };
}

function jsonDiagnostic(d: Diagnostic): Record<string, unknown> {
  return {
    code: d.code,
    // an extension of contract section 6: the stable rule id (docs/diagnostics.md), null where none is set
    reason: d.reason ?? null,
    severity: d.severity,
    message: d.message,
    file: d.file ?? null,
    line: d.line ?? null,
    column: d.column ?? null,
    service: d.service ?? null,
    environment: d.environment ?? null,
    ...(d.hint ? { hint: d.hint } : {}),
    ...(d.related ? { related: d.related } : {}),
  };
}

/** How the CLI reports an exception (a bug in gitopsc, exit 5): its message, and its stack with `--debug`. */
export function internalError(e: unknown, debug: boolean): Diagnostic {
  const err = e instanceof Error ? e : new Error(String(e));
  return error('INTERNAL', `internal error (a bug in gitopsc, please report it): ${err.message}${debug ? `\n${err.stack}` : ' (run with --debug for the stack)'}`, { reason: 'exception' });
}
