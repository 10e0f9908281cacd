import { discoverProject, type DiscoveredProject } from '../../config/discover.js';
import type { CommandContext, CommandResult } from '../types.js';

/** Find the project for a command, or the result that says why there is none. */
export function findProject(ctx: CommandContext): Promise<DiscoveredProject | CommandResult> {
  return findProjectAt(ctx.global);
}

/** The project that `--cwd` and `--config` name, or the diagnostics of not finding it. */
export async function findProjectAt(where: { cwd: string; config?: string }): Promise<DiscoveredProject | CommandResult> {
  const found = await discoverProject({ cwd: where.cwd, config: where.config });
  if (!found.ok) return { diagnostics: found.diagnostics };
  return found;
}

export function isResult(x: DiscoveredProject | CommandResult): x is CommandResult {
  return !('ok' in x);
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
