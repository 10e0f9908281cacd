import { openInputCache } from '../../build/store.js';
import { error, hasErrors, type Diagnostic } from '../../core/diagnostics.js';
import { checkProject } from '../../check/semantic.js';
import { fsSource, loadLock } from '../../pipeline.js';
import { loadProject } from '../../project/load.js';
import { auditLock } from '../../resolve/audit.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult } from './common.js';
import { providersFor } from './resolve.js';

export interface AuditOptions {
  env?: string[];
}

/** `gitopsc audit`: re-check every locked version against its registry; writes nothing. */
export async function run(ctx: CommandContext, opts: AuditOptions): Promise<CommandResult> {
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const source = fsSource(found.root);
  const cache = openInputCache(found.root);
  const loaded = await loadProject(source, found, { cache });
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  const project = loaded.project;
  if (!project) return { diagnostics, data: { audited: [] } };
  diagnostics.push(...checkProject(project));
  const envNames = project.environments.map((e) => e.name);
  for (const e of opts.env ?? []) if (!envNames.includes(e)) diagnostics.push(error('USAGE', `--env ${e} is not an environment of this project (${envNames.join(', ')})`, { reason: 'unknown-environment' }));
  if (hasErrors(diagnostics)) return { diagnostics, data: { audited: [] } };
  const lockRead = await loadLock(source, project.lockFile, cache);
  diagnostics.push(...lockRead.diagnostics);
  const used = new Set([...lockRead.lock.values()].map((e) => e.registry));
  const providers = await providersFor(ctx.host, found.root, project, used, ctx.global.registryTimeoutMs);
  const outcome = await auditLock(project, lockRead.lock, providers, { envs: opts.env });
  diagnostics.push(...outcome.diagnostics);
  const lines = outcome.rows.map(
    (r) =>
      `${r.service} (${r.environment}) ${r.package}:${r.tag}: ${r.status}${r.quarantined ? ` (quarantined${r.quarantineReason ? `: ${r.quarantineReason}` : ''})` : ''}${r.scanStatus ? ` scan ${r.scanStatus}` : ''}`,
  );
  const bad = outcome.rows.filter((r) => r.status !== 'ok').length;
  lines.push(`audited ${outcome.rows.length} locked version${outcome.rows.length === 1 ? '' : 's'}; ${bad} with findings`);
  return { diagnostics, data: { audited: outcome.rows, lock: project.lockFile }, lines };
}
