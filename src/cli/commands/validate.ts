import { cacheDirProblem, openInputCache } from '../../build/store.js';
import { compile, fsSource } from '../../pipeline.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult, plural } from './common.js';

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const cacheProblem = cacheDirProblem(found.root);
  if (cacheProblem) return { diagnostics: [cacheProblem], data: { services: [] } };
  const cache = openInputCache(found.root);
  const state = await compile(fsSource(found.root), { ...found, validateOnly: true, cache });
  if (!state.diagnostics.some((d) => d.severity === 'error')) await cache.save();
  const n = state.project?.services.length ?? 0;
  const ok = !state.diagnostics.some((d) => d.severity === 'error');
  return {
    diagnostics: state.diagnostics,
    data: { services: state.project?.services.map((s) => ({ name: s.name, file: s.file })) ?? [] },
    lines: ok ? [`${plural(n, 'service')} and ${found.configFile} are valid`] : [],
  };
}
