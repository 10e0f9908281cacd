/** What a Kubernetes render unit carries: its patches and where `spec.kubernetes` paths are written. Pure. */
import type { ServiceDecl } from '../../project/types.js';
import type { UnitPatch } from '../../render/kubernetes/apply-patches.js';

/** A `spec.kubernetes`-relative path's position: in the environment override when it sets it, else the base. */
export function sourceIn(decl: ServiceDecl, env: string): (rel: readonly (string | number)[]) => { line: number; column: number } {
  return (rel) => {
    let node: unknown = decl.data.spec.environments?.[env]?.kubernetes;
    for (const seg of rel) {
      if (node && typeof node === 'object' && String(seg) in node) node = (node as Record<string, unknown>)[String(seg)];
      else return decl.doc.position(['spec', 'kubernetes', ...rel], 'key');
    }
    return decl.doc.position(['spec', 'environments', env, 'kubernetes', ...rel], 'key');
  };
}

/** The service's patches, then the environment's (they add up, unlike other list overrides), with positions. */
export function patchesFor(decl: ServiceDecl, env: string): { patches?: UnitPatch[] } {
  const s = decl.data.spec;
  const lists: [unknown, (string | number)[]][] = [
    [s.kubernetes?.patches, ['spec', 'kubernetes', 'patches']],
    [s.environments?.[env]?.kubernetes?.patches, ['spec', 'environments', env, 'kubernetes', 'patches']],
  ];
  const out: UnitPatch[] = [];
  for (const [list, path] of lists) {
    if (!Array.isArray(list)) continue;
    list.forEach((p: UnitPatch, i) => {
      const here = [...path, i];
      out.push({
        target: p.target,
        ...(p.patch !== undefined ? { patch: p.patch } : {}),
        ...(p.jsonPatch !== undefined ? { jsonPatch: p.jsonPatch, opsAt: p.jsonPatch.map((_, j) => decl.doc.position([...here, 'jsonPatch', j, 'path'], 'value')) } : {}),
        at: decl.doc.position([...here, p.jsonPatch !== undefined ? 'jsonPatch' : 'patch'], 'key'),
        targetAt: decl.doc.position([...here, 'target'], 'key'),
      });
    });
  }
  return out.length ? { patches: out } : {};
}
