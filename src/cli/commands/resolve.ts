import { dirname, join } from 'node:path';
import { cacheDirProblem, ensureCacheDir, openInputCache } from '../../cache/store.js';
import { providersFor, usedRegistries } from '../../api/resolve.js';
import { error, hasErrors, type Diagnostic } from '../../core/diagnostics.js';
import { checkProject } from '../../check/semantic.js';
import { checkLambdaImages } from '../../check/lambda.js';
import { fsSource, loadLock } from '../../pipeline.js';
import { loadProject } from '../../project/load.js';
import { serializeLock } from '../../resolve/lock.js';
import { resolveProject, type ExplainBlock } from '../../resolve/resolve.js';
import { parseInputFlags, unreadInputs } from '../../resolve/select/index.js';
import { escapingPath, removeStaleTemps, writeFileAtomic } from '../../host/fs.js';
import { reasonOf } from '../../host/fs.js';
import { createProgress, progressEnabled, withFetchProgress } from '../output/progress.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult } from './common.js';

export { providersFor };

export interface ResolveOptions {
  update?: boolean | string[];
  env?: string[];
  input?: string[];
  explain?: boolean;
}

function explainLines(blocks: ExplainBlock[]): string[] {
  const out: string[] = [];
  for (const b of blocks) {
    out.push(`${b.service} (${b.environment}) ${b.package}: ${b.result ? `selected ${b.result}` : 'nothing selected'}`);
    for (const c of b.candidates) out.push(`  ${c.kept ? '+' : '-'} ${c.tag}  ${c.reason}`);
  }
  return out;
}

export async function run(ctx: CommandContext, opts: ResolveOptions): Promise<CommandResult> {
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const cacheProblem = cacheDirProblem(found.root);
  if (cacheProblem) return { diagnostics: [cacheProblem], data: { resolved: [] } };
  const source = fsSource(found.root);
  const cache = openInputCache(found.root);
  const loaded = await loadProject(source, found, { cache });
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  const project = loaded.project;
  if (!project) return { diagnostics, data: { resolved: [] } };
  diagnostics.push(...checkProject(project), ...checkLambdaImages(project));
  const inputs = parseInputFlags(opts.input ?? []);
  if (!inputs.ok) diagnostics.push(...inputs.errors.map((m) => error('USAGE', m.message, { reason: 'bad-input' })));
  else {
    // a value that no service reads would be ignored: a usage error, like an unknown --env
    const readers = project.services.map((d) => ({
      service: d.name,
      selects: [d.data.spec.artifact.select, ...Object.values(d.data.spec.environments ?? {}).map((o) => o.artifact?.select)],
    }));
    diagnostics.push(...unreadInputs(inputs.inputs, readers).map((m) => error('USAGE', m.message, { reason: 'unused-input' })));
  }
  const envNames = project.environments.map((e) => e.name);
  for (const e of opts.env ?? []) if (!envNames.includes(e)) diagnostics.push(error('USAGE', `--env ${e} is not an environment of this project (${envNames.join(', ')})`, { reason: 'unknown-environment' }));
  const updateList = Array.isArray(opts.update) ? opts.update : [];
  for (const s of updateList) if (!project.services.some((d) => d.name === s)) diagnostics.push(error('USAGE', `--update ${s}: no service is named ${s}`, { reason: 'unknown-service' }));
  // the lock is never written through a symbolic link out of the project
  const lockEscape = escapingPath(found.root, dirname(join(found.root, project.lockFile)));
  if (lockEscape) diagnostics.push(error('FILESYSTEM', `refusing to write ${project.lockFile} through ${lockEscape}: a symbolic link out of the project`, { reason: 'symlink-outside', file: project.lockFile }));
  if (hasErrors(diagnostics)) return { diagnostics, data: { resolved: [] } };

  const lockRead = await loadLock(source, project.lockFile, cache, { lenient: true });
  // an unreadable lock is an error, never an absent one (every service would be re-pinned); a
  // conflicted lock is not re-resolved from scratch behind the user's back: they pick a side first
  if (lockRead.unreadable || lockRead.conflict) return { diagnostics: [...diagnostics, ...lockRead.diagnostics], data: { resolved: [] } };
  diagnostics.push(...lockRead.diagnostics.map((d) => ({ ...d, severity: 'warning' as const, message: `${d.message} (the entry will be resolved again)` })));
  const used = usedRegistries(project);
  // a progress line on a terminal while a registry is slow, naming its host and the service
  const progress = createProgress(ctx.host, progressEnabled(ctx));
  const packages = project.services.flatMap((d) =>
    [d.data.spec.artifact.package, ...Object.values(d.data.spec.environments ?? {}).map((o) => o.artifact?.package)].filter((p): p is string => Boolean(p)).map((p) => [`/${p}/`, d.name] as const),
  );
  const serviceOf = (path: string) => packages.find(([p]) => path.includes(p))?.[1];
  const providers = await providersFor(withFetchProgress(ctx.host, progress, serviceOf), found.root, project, used, ctx.global.registryTimeoutMs);
  let outcome: Awaited<ReturnType<typeof resolveProject>>;
  try {
    outcome = await resolveProject(project, lockRead.lock, providers, {
      update: opts.update === true ? true : updateList.length ? new Set(updateList) : false,
      inputs: inputs.ok ? inputs.inputs : {},
      envs: opts.env,
      explain: opts.explain,
      progress: (done, total) => progress.count(done, total),
    });
  } finally {
    progress.stop();
  }
  diagnostics.push(...outcome.diagnostics);
  const resolved = outcome.resolved.map(({ changed: _c, previous: _p, fileDigest, ...r }) => ({ ...r, ...(fileDigest ? { fileDigest } : {}) }));
  const data: Record<string, unknown> = { resolved, lock: project.lockFile };
  if (opts.explain) data.explain = outcome.explain;
  if (hasErrors(diagnostics)) return { diagnostics, data };
  const text = serializeLock(outcome.lock);
  const lines: string[] = opts.explain ? explainLines(outcome.explain) : [];
  for (const r of outcome.resolved.filter((x) => x.changed)) {
    lines.push(`${r.service} (${r.environment}): ${r.previous ? `${r.previous.tag} -> ` : ''}${r.tag}${r.digest ? ` ${r.digest.slice(0, 19)}` : ''}`);
  }
  const n = outcome.resolved.length;
  const entries = `${n} ${n === 1 ? 'entry' : 'entries'}`;
  if (text !== lockRead.text) {
    try {
      await writeFileAtomic(join(found.root, project.lockFile), text);
    } catch (e) {
      diagnostics.push(error('FILESYSTEM', `cannot write ${project.lockFile}: ${reasonOf(e)}`, { reason: 'unwritable', file: project.lockFile }));
      return { diagnostics, data };
    }
    lines.push(`wrote ${project.lockFile} (${entries}; ${outcome.resolved.filter((x) => x.changed).length} changed)`);
  } else lines.push(`${project.lockFile} is up to date (${entries})`);
  // temporaries of a resolve killed while writing the lock
  removeStaleTemps(dirname(join(found.root, project.lockFile)));
  // caches are written only by a run that succeeded, so after the lock
  await cache.save();
  try {
    ensureCacheDir(found.root);
    for (const p of providers.values()) await p.flush?.();
  } catch {
    /* a cache that cannot be written only costs time */
  }
  data.changed = outcome.resolved.filter((x) => x.changed).map((r) => ({ service: r.service, environment: r.environment, from: r.previous ?? null, to: { tag: r.tag, digest: r.digest ?? null } }));
  return { diagnostics, data, lines };
}
