import { dirname, join } from 'node:path';
import { cacheDirProblem, ensureCacheDir, openInputCache } from '../../build/store.js';
import { providersFor, resolveRun, type ResolveReport } from '../../api/resolve.js';
import { error, hasErrors } from '../../core/diagnostics.js';
import { fsSource } from '../../pipeline.js';
import type { ExplainBlock } from '../../resolve/resolve.js';
import { parseInputFlags } from '../../resolve/select/index.js';
import { escapingPath, reasonOf, removeStaleTemps, writeFileAtomic } from '../../host/fs.js';
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
  const cache = openInputCache(found.root);
  const inputs = parseInputFlags(opts.input ?? []);
  // a progress line on a terminal while a registry is slow, naming its host and the service
  const progress = createProgress(ctx.host, progressEnabled(ctx));
  let serviceOf: (path: string) => string | undefined = () => undefined;
  let outcome: ResolveReport;
  try {
    outcome = await resolveRun({
      source: fsSource(found.root),
      config: found,
      root: found.root,
      host: withFetchProgress(ctx.host, progress, (path) => serviceOf(path)),
      update: opts.update,
      envs: opts.env,
      inputs: inputs.ok ? inputs.inputs : {},
      explain: opts.explain,
      deadlineMs: ctx.global.registryTimeoutMs,
      cache,
      flagWording: true,
      progress: (done, total) => progress.count(done, total),
      preflight: (project) => {
        const packages = project.services.flatMap((d) =>
          [d.data.spec.artifact.package, ...Object.values(d.data.spec.environments ?? {}).map((o) => o.artifact?.package)].filter((p): p is string => Boolean(p)).map((p) => [`/${p}/`, d.name] as const),
        );
        serviceOf = (path) => packages.find(([p]) => path.includes(p))?.[1];
        const out = inputs.ok ? [] : inputs.errors.map((m) => error('USAGE', m.message, { reason: 'bad-input' }));
        // the lock is never written through a symbolic link out of the project
        const lockEscape = escapingPath(found.root, dirname(join(found.root, project.lockFile)));
        if (lockEscape) out.push(error('FILESYSTEM', `refusing to write ${project.lockFile} through ${lockEscape}: a symbolic link out of the project`, { reason: 'symlink-outside', file: project.lockFile }));
        return out;
      },
    });
  } finally {
    progress.stop();
  }
  const diagnostics = outcome.diagnostics;
  if (!outcome.lockFile || (hasErrors(diagnostics) && outcome.resolved.length === 0 && outcome.providers.length === 0)) return { diagnostics, data: { resolved: [] } };
  const lockFile = outcome.lockFile;
  const resolved = outcome.resolved.map(({ changed: _c, previous: _p, fileDigest, ...r }) => ({ ...r, ...(fileDigest ? { fileDigest } : {}) }));
  const data: Record<string, unknown> = { resolved, lock: lockFile };
  if (opts.explain) data.explain = outcome.explain;
  if (hasErrors(diagnostics) || outcome.lockText === undefined) return { diagnostics, data };
  const text = outcome.lockText;
  const lines: string[] = opts.explain ? explainLines(outcome.explain) : [];
  for (const r of outcome.resolved.filter((x) => x.changed)) {
    lines.push(`${r.service} (${r.environment}): ${r.previous ? `${r.previous.tag} -> ` : ''}${r.tag}${r.digest ? ` ${r.digest.slice(0, 19)}` : ''}`);
  }
  const n = outcome.resolved.length;
  const entries = `${n} ${n === 1 ? 'entry' : 'entries'}`;
  if (text !== outcome.previousLockText) {
    try {
      await writeFileAtomic(join(found.root, lockFile), text);
    } catch (e) {
      diagnostics.push(error('FILESYSTEM', `cannot write ${lockFile}: ${reasonOf(e)}`, { reason: 'unwritable', file: lockFile }));
      return { diagnostics, data };
    }
    lines.push(`wrote ${lockFile} (${entries}; ${outcome.resolved.filter((x) => x.changed).length} changed)`);
  } else lines.push(`${lockFile} is up to date (${entries})`);
  // temporaries of a resolve killed while writing the lock
  removeStaleTemps(dirname(join(found.root, lockFile)));
  // caches are written only by a run that succeeded, so after the lock
  await cache.save();
  try {
    ensureCacheDir(found.root);
    for (const p of outcome.providers) await p.flush?.();
  } catch {
    /* a cache that cannot be written only costs time */
  }
  data.changed = outcome.resolved.filter((x) => x.changed).map((r) => ({ service: r.service, environment: r.environment, from: r.previous ?? null, to: { tag: r.tag, digest: r.digest ?? null } }));
  return { diagnostics, data, lines };
}
