/**
 * `gitopsc diff [--base REF] [--format text|markdown|json] [--env E]... [--exit-code]`:
 * render the base revision (from git objects) and the working tree, and compare. The work is
 * src/build/diff.ts's (only the units whose inputs differ are rendered); this parses and formats.
 */
import { EXIT } from '../../core/diagnostics.js';
import { diffProject } from '../../build/diff.js';
import { toJson } from '../../diff/format-json.js';
import { formatMarkdown } from '../../diff/format-markdown.js';
import { formatText } from '../../diff/format-text.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult } from './common.js';

export interface DiffOptions {
  base?: string;
  /** markdown is asked for with the global --format (the CLI accepts it for diff only) */
  format?: 'text' | 'markdown' | 'json';
  env?: string[];
  exitCode?: boolean;
  /** markdown size cap (default 60,000 characters) */
  maxChars?: number;
}

export async function run(ctx: CommandContext, opts: DiffOptions = {}): Promise<CommandResult> {
  const format = opts.format ?? ((ctx.global.format as string) === 'markdown' ? 'markdown' : ctx.global.format === 'json' ? 'json' : 'text');
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const r = await diffProject({ root: found.root, configFile: found.configFile, configData: found.configData, configKey: found.configKey, base: opts.base, envs: opts.env, env: ctx.host.env });
  const diagnostics = r.diagnostics;
  const diff = r.diff;
  if (!diff) return { diagnostics };
  const exitCode = opts.exitCode && diff.changed ? EXIT.user : undefined;
  const result: CommandResult = { diagnostics, data: { diff: toJson(diff) } };
  if (exitCode !== undefined) result.exitCode = exitCode;
  if (format === 'markdown') result.stdout = formatMarkdown(diff, { maxChars: opts.maxChars });
  else if (format === 'text') {
    result.stdout = formatText(diff);
    result.stdoutKind = 'diff';
  }
  return result;
}
