/**
 * The library's writes to an output directory: plan what a set of rendered files changes there
 * (by content hash, honouring the `.gitopsc-owned` record as `gitopsc render` does), then apply
 * the plan atomically (locked, staged, journaled: src/write/apply.ts).
 */
import { resolve } from 'node:path';
import { error, type Diagnostic } from '../core/diagnostics.js';
import { contentHash } from '../core/hash.js';
import { applyPlan, hashTree, JOURNAL_FILE } from '../write/apply.js';
import { planOwned, RECORD_FILE } from '../write/ownership.js';
import type { WritePlan } from '../write/plan.js';
import { readInput } from '../source/errors.js';
import { fsSource } from '../source/fs.js';

export interface PlanRequest {
  /** the files to have in the directory, paths relative to it */
  files: readonly { path: string; content: string }[];
  /** the output directory (absent: empty) */
  outDir: string;
  /** overwrite (and own from now on) files gitopsc did not write */
  adopt?: boolean;
  /** prune without limit (and allow an empty render over existing output) */
  allowPrune?: boolean;
  /** the most files one run may prune (default: a quarter of the managed files, at least 5) */
  maxPrune?: number;
}

export interface PlanReport {
  plan: WritePlan;
  diagnostics: Diagnostic[];
}

export async function planRequest(req: PlanRequest): Promise<PlanReport> {
  const empty: WritePlan = { writes: [], removes: [], unchanged: 0 };
  const dir = resolve(req.outDir);
  const tree = hashTree(dir);
  if (!tree.files) return { plan: empty, diagnostics: [error('FILESYSTEM', `cannot read ${tree.unreadable?.path ?? '.'}: ${tree.unreadable?.reason ?? 'unknown error'}`, { reason: 'unreadable', file: tree.unreadable?.path ?? '.' })] };
  if (tree.pending) {
    return { plan: empty, diagnostics: [error('FILESYSTEM', 'an interrupted render left this directory half-written: run `gitopsc render` to complete it', { reason: 'interrupted-render', file: JOURNAL_FILE, line: 1, column: 1 })] };
  }
  // the ownership record, read like any input: absent, or bytes, or an unreadable file's FILESYSTEM diagnostic
  const record = await readInput(fsSource(dir), RECORD_FILE);
  if (record.problem) return { plan: empty, diagnostics: [record.problem] };
  const desired = [...req.files].map((f) => ({ path: f.path, hash: contentHash(f.content), content: f.content })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const owned = planOwned({
    desired,
    existing: tree.files,
    recordText: record.bytes ? new TextDecoder().decode(record.bytes) : undefined,
    inScope: () => true,
    // no one-time adoption by file name: the library does not know the project's template names
    adoptable: () => false,
    ...(req.adopt ? { adopt: true } : {}),
    ...(req.allowPrune ? { allowPrune: true } : {}),
    ...(req.maxPrune !== undefined ? { maxPrune: req.maxPrune } : {}),
  });
  return { plan: owned.plan, diagnostics: owned.diagnostics };
}

export async function applyRequest(req: { outDir: string; plan: WritePlan }): Promise<Diagnostic[]> {
  return applyPlan(req.outDir, req.plan);
}
