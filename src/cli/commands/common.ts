import { discoverProject, type DiscoveredProject } from '../../config/discover.js';
import type { CommandContext, CommandResult } from '../types.js';

/** Find the project for a command, or the result that says why there is none. */
export async function findProject(ctx: CommandContext): Promise<DiscoveredProject | CommandResult> {
  const found = await discoverProject({ cwd: ctx.global.cwd, config: ctx.global.config });
  if (!found.ok) return { diagnostics: found.diagnostics };
  return found;
}

export function isResult(x: DiscoveredProject | CommandResult): x is CommandResult {
  return !('ok' in x);
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
