/**
 * `output.kustomization: true`: a `kustomization.yaml` per environment (listing its services)
 * and per service (listing exactly its rendered Kubernetes resources), so that
 * `kubectl kustomize <out>/<env>` and an Argo CD or Flux application on that path work as they
 * are. Lambda output is never listed. Pure.
 */
import { emitYaml } from '../core/emit.js';
import type { RenderedFile } from '../core/types.js';
import { targetPlugin } from '../targets/index.js';

export const KUSTOMIZATION = 'kustomization.yaml';
const HEADER = '# written by gitopsc (output.kustomization: true); do not edit\n';

export interface UnitOutput {
  environment: string;
  service: string;
  target: string;
  /** rendered paths relative to the output root: `<env>/<service>/<name>` */
  paths: readonly string[];
}

function kustomization(resources: string[]): string {
  return HEADER + emitYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: resources.sort() });
}

/** The generated files for `environments` (every one gets its file, also with no services). */
export function kustomizationFiles(units: readonly UnitOutput[], environments: readonly string[]): { path: string; content: string }[] {
  const out: { path: string; content: string }[] = [];
  const byEnv = new Map<string, string[]>(environments.map((e) => [e, []]));
  for (const u of units) {
    if (!targetPlugin(u.target)?.traits?.kustomize || !byEnv.has(u.environment)) continue;
    const dir = `${u.environment}/${u.service}/`;
    const names = u.paths.filter((p) => p.startsWith(dir) && /\.(ya?ml|json)$/.test(p)).map((p) => p.slice(dir.length)).filter((n) => !n.includes('/') && n !== KUSTOMIZATION);
    if (names.length === 0) continue;
    out.push({ path: `${dir}${KUSTOMIZATION}`, content: kustomization(names) });
    byEnv.get(u.environment)!.push(u.service);
  }
  for (const [env, services] of byEnv) out.push({ path: `${env}/${KUSTOMIZATION}`, content: kustomization(services) });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The kustomization files as rendered files (no service; the environment is the first path segment), as diff and the library list them. */
export function kustomizationRenderedFiles(units: readonly UnitOutput[], environments: readonly string[]): RenderedFile[] {
  return kustomizationFiles(units, environments).map((k) => ({ path: k.path, content: k.content, service: '', environment: k.path.split('/')[0]! }));
}

/** Each unit's output paths, from the files a whole render produced (in unit order). */
export function unitOutputs(units: readonly Pick<UnitOutput, 'service' | 'environment' | 'target'>[], files: readonly RenderedFile[]): UnitOutput[] {
  const byUnit = new Map<string, { service: string; environment: string; target: UnitOutput['target']; paths: string[] }>();
  for (const u of units) byUnit.set(`${u.service}\0${u.environment}`, { service: u.service, environment: u.environment, target: u.target, paths: [] });
  for (const f of files) byUnit.get(`${f.service}\0${f.environment}`)?.paths.push(f.path);
  return [...byUnit.values()];
}
