/**
 * `gitopsc context SERVICE [--env E]`: the template context of a service in each environment,
 * exactly as its templates see it (as `helm template --debug` shows Helm users their values).
 * Offline, from the lock: `artifact` holds the locked tag and digest.
 */
import { error, hasErrors } from '../../core/diagnostics.js';
import { compile, fsSource } from '../../pipeline.js';
import { emitYaml } from '../../core/emit.js';
import { didYouMean } from '../../validate/did-you-mean.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult } from './common.js';

export interface ContextOptions {
  env?: string[];
}

export async function run(ctx: CommandContext, service: string, opts: ContextOptions): Promise<CommandResult> {
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const state = await compile(fsSource(found.root), { ...found, envs: opts.env, lazy: true });
  const names = state.project?.services.map((s) => s.name) ?? [];
  if (state.project && !names.includes(service)) {
    const dym = didYouMean(service, names);
    return { diagnostics: [error('USAGE', `no service named "${service}"${dym ? ` (did you mean "${dym}"?)` : ''}; services: ${names.join(', ')}`, { reason: 'unknown-service' })] };
  }
  // only the problems of this service (and the project's own) stop it
  const diagnostics = state.diagnostics.filter((d) => d.service === undefined || d.service === service);
  if (hasErrors(diagnostics)) return { diagnostics };
  const decl = state.project!.services.find((s) => s.name === service)!;
  const contexts = state.units
    .filter((u) => u.service === service)
    .map((u) => ({ service, environment: u.environment, target: decl.data.spec.kubernetes ? 'kubernetes' : 'lambda', context: u.context() }));
  const text = contexts.map((c) => `# ${c.service} in ${c.environment} (${c.target} templates)\n${emitYaml(c.context)}`).join('---\n');
  return { diagnostics, data: { contexts }, stdout: text };
}
