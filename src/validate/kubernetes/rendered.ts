/**
 * Every rendered Kubernetes resource (built-in and project templates, after patches) checked
 * against the API schema of the configured version and the project's CRDs. A problem is a
 * MANIFEST_INVALID diagnostic at the rendered file's line, with the service-file line that
 * produced the value as a related location where there is one. Pure.
 */
import { error, warning, type Diagnostic, type Position } from '../../core/diagnostics.js';
import { readCanonical } from '../../load/canonical.js';
import { fastLoad } from '../../load/fast.js';
import { loadYaml } from '../../load/yaml.js';
import type { JsonPath } from '../../load/types.js';
import type { RenderedFile } from '../../core/types.js';
import { lazy } from '../../core/lazy.js';
import { validateResource, type ApiSchema, type Problem } from './api-schema.js';
import { validateCustom, type CrdSet } from './crd.js';

const Y = lazy<typeof import('yaml')>('yaml');

export interface ManifestChecker {
  schema: ApiSchema;
  crds: CrdSet;
  /** project-relative output directory, for the rendered file's path in diagnostics */
  outputDir: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const PROBES: Record<string, string> = { readinessProbe: 'readiness', livenessProbe: 'liveness', startupProbe: 'startup' };

function containerField(rest: JsonPath): JsonPath {
  const [f, ...more] = rest;
  if (typeof f === 'string' && PROBES[f]) return ['probes', PROBES[f]!, ...more];
  if (f === 'env') return ['env'];
  return rest;
}

/** Where in `spec.kubernetes` a rendered field comes from, for the built-in templates. */
export function sourceOf(kind: unknown, path: JsonPath): JsonPath | undefined {
  const p = [...path];
  if (kind === 'Deployment') {
    if (p[0] === 'spec' && p[1] === 'template' && p[2] === 'spec') {
      const [, , , f, i, ...rest] = p;
      if (f === 'containers' && typeof i === 'number') return i === 0 ? containerField(rest) : ['pod', 'containers', i - 1, ...containerField(rest)];
      if (f === 'initContainers' && typeof i === 'number') return ['pod', 'initContainers', i, ...containerField(rest)];
      if (f === 'imagePullSecrets' || f === 'serviceAccountName') return [f];
      return f === undefined ? ['pod'] : ['pod', ...p.slice(3)];
    }
    if (p[0] === 'spec' && p[1] === 'template' && p[2] === 'metadata') return ['pod', ...p.slice(3)];
    if (p[0] === 'spec' && typeof p[1] === 'string' && ['strategy', 'minReadySeconds', 'revisionHistoryLimit', 'replicas'].includes(p[1])) return p.slice(1);
    return undefined;
  }
  const block: Record<string, string> = { Service: 'service', Ingress: 'ingress', HorizontalPodAutoscaler: 'autoscaling', PodDisruptionBudget: 'disruptionBudget', ServiceAccount: 'serviceAccount' };
  return typeof kind === 'string' && block[kind] ? [block[kind]] : undefined;
}

/** The data of a rendered file: canonical output (the built-ins') in one pass, else the fast reader, else the full parser. */
function parse(text: string): unknown {
  return readCanonical(text) ?? fastLoad('rendered', text)?.data ?? (Y().parse(text) as unknown);
}

export function checkRenderedFiles(
  files: readonly RenderedFile[],
  checker: ManifestChecker,
  origin: { file: string; service: string; environment: string; source?: (rel: JsonPath) => Position | undefined },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const f of files) {
    if (!/\.ya?ml$/.test(f.path)) continue;
    const doc = parse(f.content);
    const where = `${checker.outputDir}/${f.path}`;
    const at = { service: origin.service, environment: origin.environment };
    if (!isObj(doc)) {
      out.push(error('MANIFEST_INVALID', 'a rendered resource must be a mapping', { reason: 'not-a-mapping', file: where, line: 1, column: 1, ...at }));
      continue;
    }
    let problems: Problem[] | undefined = validateCustom(checker.crds, doc);
    if (!problems) {
      const v = validateResource(checker.schema, doc);
      if (!v.known) {
        out.push(
          warning('MANIFEST_INVALID', `no schema for ${String(doc.apiVersion)} ${String(doc.kind)} in Kubernetes ${checker.schema.version} or the project's CRDs: not checked`, { reason: 'no-schema', 
            file: where,
            line: 1,
            column: 1,
            ...at,
            hint: 'add its CustomResourceDefinition to the `kubernetes.crds` directory',
          }),
        );
        continue;
      }
      problems = v.problems;
    }
    if (!problems.length) continue;
    const loaded = loadYaml(where, new TextEncoder().encode(f.content)).doc;
    for (const p of problems) {
      const pos = loaded?.position(p.path, 'key') ?? { line: 1, column: 1 };
      const name = p.path.length ? p.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').slice(1).replace(/\.\[/g, '[') : '(resource)';
      const rel = sourceOf(doc.kind, p.path);
      const src = rel && origin.source?.(rel);
      out.push(
        error('MANIFEST_INVALID', `${String(doc.kind)} ${name}: ${p.message} (Kubernetes ${checker.schema.version} API)`, { reason: 'api-schema', 
          file: where,
          ...pos,
          ...at,
          ...(src ? { related: [{ file: origin.file, ...src, message: 'the value comes from here' }] } : {}),
        }),
      );
    }
  }
  return out;
}
