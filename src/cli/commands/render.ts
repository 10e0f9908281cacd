import { isAbsolute, join, relative, resolve } from 'node:path';
import { error } from '../../diagnostics.js';
import { compile, fsSource } from '../../pipeline.js';
import { applyPlan, readTree } from '../../write/apply.js';
import { planWrites } from '../../write/plan.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult, plural } from './common.js';

export interface RenderOptions {
  env?: string[];
  out?: string;
  check?: boolean;
}

export async function run(ctx: CommandContext, opts: RenderOptions): Promise<CommandResult> {
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const state = await compile(fsSource(found.root), { ...found, envs: opts.env });
  const diagnostics = [...state.diagnostics];
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics, data: { files: [] } };
  const outDir = opts.out ? resolve(ctx.global.cwd, opts.out) : join(found.root, state.outputDir);
  const shown = (p: string) => {
    const abs = join(outDir, p);
    const r = relative(found.root, abs).split('\\').join('/');
    return r.startsWith('..') || isAbsolute(r) ? abs : r;
  };
  const envDirs = (opts.env ?? state.environments).map((e) => `${e}/`);
  const existing = await readTree(outDir);
  const plan = planWrites(state.files, existing, (p) => !opts.env || envDirs.some((d) => p.startsWith(d)));
  const files = state.files.map((f) => shown(f.path));
  if (opts.check) {
    for (const w of plan.writes) diagnostics.push(error('DRIFT', w.kind === 'add' ? 'missing: a fresh render would write this file' : 'differs from a fresh render', { file: shown(w.path) }));
    for (const r of plan.removes) diagnostics.push(error('DRIFT', 'would be pruned: no service renders this file', { file: shown(r) }));
    const drift = plan.writes.length + plan.removes.length;
    return { diagnostics, data: { files, drift: drift }, lines: drift ? [] : [`${plural(state.files.length, 'file')} up to date`] };
  }
  diagnostics.push(...(await applyPlan(outDir, plan)));
  const changed = plan.writes.length + plan.removes.length;
  return {
    diagnostics,
    data: { files, written: plan.writes.map((w) => shown(w.path)), pruned: plan.removes.map(shown) },
    lines: [`rendered ${plural(state.files.length, 'file')} to ${shown('') || '.'} (${changed ? `${plan.writes.length} written, ${plan.removes.length} pruned` : 'no changes'})`],
  };
}
