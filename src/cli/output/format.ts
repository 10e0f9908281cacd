/**
 * Output formats: one function per format behind one shape. Pure: they return the text that
 * goes to stdout; the CLI prints it.
 */
import type { Diagnostic } from '../../diagnostics.js';
import { sortDiagnostics } from '../../diagnostics.js';
import type { CommandResult } from '../types.js';

export type Format = 'text' | 'json' | 'github';

export function location(d: Diagnostic): string {
  if (!d.file) return '';
  return `${d.file}${d.line ? `:${d.line}` : ''}${d.line && d.column ? `:${d.column}` : ''} `;
}

export function textDiagnostic(d: Diagnostic): string {
  const scope = d.environment && d.service && !d.message.includes(`(${d.environment})`) ? ` [${d.service}/${d.environment}]` : '';
  let line = `${location(d)}${d.severity} ${d.code} ${d.message}${scope}`;
  if (d.hint) line += `\n  hint: ${d.hint}`;
  for (const r of d.related ?? []) line += `\n  ${r.file ?? ''}${r.line ? `:${r.line}` : ''}${r.column ? `:${r.column}` : ''} ${r.message}`;
  return line;
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

export function formatResult(format: Format, result: CommandResult, opts: { quiet: boolean }): Rendered {
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
  const out: string[] = [];
  if (!opts.quiet) out.push(...(result.lines ?? []));
  const s = summary(diags);
  const err = [...diags.map(textDiagnostic), ...(s ? [s] : [])];
  // Diagnostics go to stdout, as compilers and linters print them (tsc, eslint).
  return { stdout: [...out, ...err].map((l) => l + '\n').join('') + (result.stdout ?? ''), stderr: '' };
}

function jsonDiagnostic(d: Diagnostic): Record<string, unknown> {
  return {
    code: d.code,
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
