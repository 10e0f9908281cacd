import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { openInputCache, openJsonCache, toolVersion } from '../../cache/store.js';
import { error, hasErrors } from '../../diagnostics.js';
import { compile, fsSource } from '../../pipeline.js';
import { applyPlan, readTreeHashes } from '../../write/apply.js';
import { contentHash, planWrites, type DesiredFile } from '../../write/plan.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult, plural } from './common.js';

export interface RenderOptions {
  env?: string[];
  out?: string;
  check?: boolean;
}

/** What a unit rendered last time: [path, content hash] per file, keyed by the unit's input key. */
type RenderCacheEntry = [string, string][];

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The 1-based number of the first line where two texts differ. */
export function firstDifference(a: string, b: string): number {
  const x = a.split('\n');
  const y = b.split('\n');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i + 1;
}

function isEntry(v: unknown): v is RenderCacheEntry {
  return Array.isArray(v) && v.every((x) => Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string');
}

export async function run(ctx: CommandContext, opts: RenderOptions): Promise<CommandResult> {
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const inputs = openInputCache(found.root);
  const state = await compile(fsSource(found.root), { ...found, envs: opts.env, lazy: true, cache: inputs });
  const diagnostics = [...state.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics, data: { files: [] } };
  const outDir = opts.out ? resolve(ctx.global.cwd, opts.out) : join(found.root, state.outputDir);
  // how output paths are shown: project-relative when the output is inside the project
  const rel = relative(found.root, outDir).split('\\').join('/');
  const prefix = rel.startsWith('..') || isAbsolute(rel) ? `${outDir}/` : rel ? `${rel}/` : '';
  const shown = (p: string) => prefix + p;

  // Render only the units whose inputs changed or whose files on disk differ; the cache
  // remembers the content hash each unit produced for its exact inputs.
  const existing = readTreeHashes(outDir);
  const cache = openJsonCache<RenderCacheEntry>(found.root, 'render', toolVersion());
  const desired: DesiredFile[] = [];
  let rendered = 0;
  for (const unit of state.units) {
    const cached = cache.get(unit.key);
    if (isEntry(cached) && cached.every(([p, h]) => existing.get(p) === h)) {
      for (const [path, hash] of cached) desired.push({ path, hash });
      continue;
    }
    const r = unit.render();
    rendered++;
    diagnostics.push(...r.diagnostics);
    if (hasErrors(r.diagnostics)) continue;
    const files = r.files.map((f) => ({ path: f.path, hash: contentHash(f.content), content: f.content }));
    cache.set(unit.key, files.map((f) => [f.path, f.hash]));
    desired.push(...files);
  }
  diagnostics.push(...state.templateDiagnostics());
  if (hasErrors(diagnostics)) return { diagnostics, data: { files: [] } };

  desired.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const envDirs = (opts.env ?? state.environments).map((e) => `${e}/`);
  const plan = planWrites(desired, existing, (p) => !opts.env || envDirs.some((d) => p.startsWith(d)));
  const files = desired.map((f) => shown(f.path));
  if (opts.check) {
    for (const w of plan.writes) {
      if (w.kind === 'add') diagnostics.push(error('DRIFT', 'missing: a fresh render would write this file', { file: shown(w.path), line: 1, column: 1 }));
      else {
        const line = firstDifference(readText(join(outDir, w.path)), w.content);
        diagnostics.push(error('DRIFT', `differs from a fresh render from line ${line} on`, { file: shown(w.path), line, column: 1 }));
      }
    }
    for (const r of plan.removes) diagnostics.push(error('DRIFT', 'would be pruned: no service renders this file', { file: shown(r), line: 1, column: 1 }));
    const drift = plan.writes.length + plan.removes.length;
    // --check writes nothing, not even its caches
    return { diagnostics, data: { files, drift }, lines: drift ? [] : [`${plural(desired.length, 'file')} up to date`] };
  }
  diagnostics.push(...(await applyPlan(outDir, plan)));
  if (!hasErrors(diagnostics)) {
    // caches are written only by a run that succeeded
    await inputs.save();
    await cache.save();
  }
  const changed = plan.writes.length + plan.removes.length;
  return {
    diagnostics,
    data: { files, written: plan.writes.map((w) => shown(w.path)), pruned: plan.removes.map(shown), rendered },
    lines: [`rendered ${plural(desired.length, 'file')} to ${shown('') || '.'} (${changed ? `${plan.writes.length} written, ${plan.removes.length} pruned` : 'no changes'})`],
  };
}
