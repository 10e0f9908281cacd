import { resolve } from 'node:path';
import { error } from '../../core/diagnostics.js';
import { isDiagnostic, parseMaxPrune, renderProject, streamProject, type RenderRequest } from '../../build/stage.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, findProjectAt, isResult } from './common.js';

export { firstDifference, parseMaxPrune, readRecord } from '../../build/stage.js';

export interface RenderOptions {
  env?: string[];
  out?: string;
  check?: boolean;
  /** overwrite files gitopsc did not write, and own them from now on */
  adopt?: boolean;
  allowPrune?: boolean;
  maxPrune?: string | number;
  /** print the rendered YAML documents as one stream on stdout; write nothing */
  stdout?: boolean;
}

/** `render --stdout`: the YAML stream on stdout, nothing written (src/build/stage.ts streamProject). */
export async function renderStream(ctx: CommandContext, opts: RenderOptions): Promise<CommandResult> {
  const clash = opts.check ? '--check' : opts.out !== undefined ? '--out' : ctx.global.format !== 'text' ? `--format ${ctx.global.format}` : undefined;
  if (clash) return { diagnostics: [error('USAGE', `render --stdout prints YAML on stdout: it cannot be combined with ${clash}`, { reason: 'conflicting-options' })] };
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  return streamProject(found, opts.env);
}

/** `render` and `render --check`: options in, one call to the build stage (src/build/stage.ts), its result out. */
export async function run(ctx: CommandContext, opts: RenderOptions): Promise<CommandResult> {
  if (opts.stdout) return renderStream(ctx, opts);
  const maxPrune = parseMaxPrune(opts.maxPrune);
  if (isDiagnostic(maxPrune)) return { diagnostics: [maxPrune] };
  return renderAt(ctx.global, {
    env: opts.env,
    out: opts.out ? resolve(ctx.global.cwd, opts.out) : undefined,
    check: opts.check,
    adopt: opts.adopt,
    allowPrune: opts.allowPrune,
    maxPrune,
  });
}

/**
 * `run`'s work once its options are read: the project that `--cwd` and `--config` name, then
 * the build stage's render. The start-up fast path (src/cli/fast.ts) continues a render after a
 * change through it too.
 */
export async function renderAt(where: { cwd: string; config?: string }, opts: Omit<RenderRequest, 'project' | 'cwd' | 'config'>): Promise<CommandResult> {
  const found = await findProjectAt(where);
  if (isResult(found)) return found;
  return renderProject({ project: found, cwd: where.cwd, config: where.config, ...opts });
}
