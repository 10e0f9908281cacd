/**
 * Apply a unit's patches (base ones first, then the environment's) to its rendered Kubernetes
 * resources. A patch that selects nothing, or fails, is a PATCH diagnostic at the patch in the
 * service file. Patched files are re-emitted canonically. Pure.
 */
import { error, type Diagnostic, type Position } from '../../core/diagnostics.js';
import type { RenderedFile } from '../../core/types.js';
import { emitYaml } from '../../core/emit.js';
import { applyJsonPatch, isBuiltinApiVersion, PatchError, strategicMerge, type JsonPatchOp } from './patch.js';
import { lazy } from '../../core/lazy.js';
import { imageProblem } from '../../core/image.js';

const Y = lazy<typeof import('yaml')>('yaml');

export interface UnitPatch {
  target: { kind: string; name?: string };
  patch?: Record<string, unknown>;
  jsonPatch?: JsonPatchOp[];
  /** where the patch, its target and each JSON patch operation are written */
  at: Position;
  targetAt: Position;
  opsAt?: Position[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function applyPatches(files: RenderedFile[], patches: readonly UnitPatch[], where: { file: string; service: string; environment: string }): { files: RenderedFile[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const docs = files.map((f) => (f.path.endsWith('.json') ? undefined : (Y().parse(f.content) as unknown)));
  const changed = new Set<number>();
  const at = (p: Position, hint?: string) => ({ file: where.file, line: p.line, column: p.column, service: where.service, environment: where.environment, ...(hint ? { hint } : {}) });
  for (const p of patches) {
    const hits: number[] = [];
    docs.forEach((d, i) => {
      if (isObj(d) && d.kind === p.target.kind && (p.target.name === undefined || (isObj(d.metadata) && d.metadata.name === p.target.name))) hits.push(i);
    });
    if (hits.length === 0) {
      const rendered = docs.filter(isObj).map((d) => `${String(d.kind)}/${isObj(d.metadata) ? String(d.metadata.name) : '?'}`);
      diagnostics.push(
        error('PATCH', `patch targets nothing: no rendered ${p.target.kind}${p.target.name !== undefined ? ` named "${p.target.name}"` : ''} for ${where.service} in ${where.environment}`, { reason: 'targets-nothing', ...at(p.targetAt, rendered.length ? `rendered: ${rendered.join(', ')}` : undefined) }),
      );
      continue;
    }
    for (const i of hits) {
      const doc = docs[i] as Obj;
      try {
        const next = p.jsonPatch ? applyJsonPatch(doc, p.jsonPatch) : strategicMerge(doc, p.patch, isBuiltinApiVersion(doc.apiVersion));
        if (!isObj(next)) throw new PatchError('the patched resource is no longer a mapping');
        if (next.kind !== doc.kind || next.apiVersion !== doc.apiVersion) throw new PatchError('a patch cannot change apiVersion or kind');
        // an image a patch brings in follows the sidecar rule: a valid, pinned reference (else a
        // patch would silently put `nginx:latest` where the resolved, policy-checked image was)
        const before = new Set(images(doc));
        for (const image of images(next)) {
          if (before.has(image)) continue;
          const problem = typeof image === 'string' ? imageProblem(image) : { message: 'a container image must be a string' };
          if (problem) throw new PatchError(problem.message);
        }
        docs[i] = next;
        changed.add(i);
      } catch (e) {
        if (!(e instanceof PatchError)) throw e;
        const pos = e.op !== undefined && p.opsAt?.[e.op] ? p.opsAt[e.op]! : p.at;
        diagnostics.push(error('PATCH', `patch on ${p.target.kind}${p.target.name !== undefined ? ` "${p.target.name}"` : ''} failed: ${e.message}`, { reason: 'failed', ...at(pos) }));
      }
    }
  }
  return { files: files.map((f, i) => (changed.has(i) ? { ...f, content: emitYaml(docs[i]) } : f)), diagnostics };
}

/** Every container image in a resource (`containers`, `initContainers`, `ephemeralContainers` at any depth). */
function images(doc: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(doc)) for (const x of doc) images(x, out);
  else if (isObj(doc)) {
    for (const [k, v] of Object.entries(doc)) {
      if ((k === 'containers' || k === 'initContainers' || k === 'ephemeralContainers') && Array.isArray(v)) {
        for (const c of v) if (isObj(c) && 'image' in c) out.push(c.image);
      }
      images(v, out);
    }
  }
  return out;
}
