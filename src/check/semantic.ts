/**
 * Semantic checks that need the whole project but no network: unknown registries and
 * environments, duplicate services, invalid or unsatisfiable ranges, invalid regexes,
 * conflicting criteria, targets that do not fit the artifact. Pure.
 */
import { error, type Diagnostic } from '../core/diagnostics.js';
import type { ReasonFor } from '../core/reasons.js';
import type { LoadedDoc } from '../load/types.js';
import type { SelectSpec } from '../core/model.js';
import type { Project, ServiceDecl } from '../project/types.js';
import { providerPlugin, providerPlugins } from '../resolve/providers/index.js';
import { checkSelect as engineCheck, validateRegex } from '../resolve/select/index.js';
import { didYouMean as closest } from '../validate/did-you-mean.js';
import { targetOf } from '../project/effective.js';
import { targetPlugin, targetPlugins } from '../targets/index.js';

function didYouMean(word: string, options: readonly string[]): string | undefined {
  const m = closest(word, options);
  return m === undefined ? undefined : `did you mean "${m}"?`;
}


function at(doc: LoadedDoc, path: (string | number)[], target: 'key' | 'value' = 'value') {
  return { file: doc.file, ...doc.position(path, target) };
}

export function checkProject(project: Project): Diagnostic[] {
  const out: Diagnostic[] = [];
  out.push(...checkDuplicates(project.services));
  for (const decl of project.services) out.push(...checkServiceDecl(project, decl));
  out.push(...checkPolicies(project));
  return out;
}

/** checkProject's checks of one service (all of them but duplicate names and the config's policies). */
export function checkServiceDecl(project: Project, decl: ServiceDecl): Diagnostic[] {
  const out: Diagnostic[] = [];
  const registries = Object.keys(project.config.registries ?? {});
  const envNames = project.environments.map((e) => e.name);
  const { doc } = decl;
  const s = decl.data.spec;
  const service = decl.name;
  // environments the config does not declare
  for (const env of Object.keys(s.environments ?? {})) {
    if (!envNames.includes(env)) {
      out.push(error('SCHEMA', `environment "${env}" is not declared in ${project.configFile} (declared: ${envNames.join(', ')})`, { reason: 'undeclared-environment', ...at(doc, ['spec', 'environments', env], 'key'), service, hint: didYouMean(env, envNames) }));
    }
  }
  // registry names, base and overrides
  const regRefs: [string | undefined, (string | number)[]][] = [[s.artifact.registry, ['spec', 'artifact', 'registry']]];
  for (const [env, o] of Object.entries(s.environments ?? {})) regRefs.push([o.artifact?.registry, ['spec', 'environments', env, 'artifact', 'registry']]);
  for (const [reg, path] of regRefs) {
    if (reg !== undefined && !registries.includes(reg)) {
      out.push(error('UNKNOWN_REGISTRY', `registry "${reg}" is not declared in ${project.configFile}${registries.length ? ` (declared: ${registries.join(', ')})` : ''}`, { reason: 'undeclared', ...at(doc, path), service, hint: didYouMean(reg, registries) }));
    }
  }
  // every select, once per distinct path
  const selects: [SelectSpec | undefined, (string | number)[]][] = [[s.artifact.select, ['spec', 'artifact', 'select']]];
  for (const [env, o] of Object.entries(s.environments ?? {})) if (o.artifact?.select) selects.push([o.artifact.select, ['spec', 'environments', env, 'artifact', 'select']]);
  for (const [sel, path] of selects) if (sel) out.push(...checkSelect(sel, doc, path, service));
  // scan verdicts come from providers that report them (har): on another registry every version would be dropped
  for (const [env, o] of [[undefined, undefined] as const, ...Object.entries(s.environments ?? {})]) {
    const sel = env === undefined ? s.artifact.select : o?.artifact?.select;
    if (!sel?.scan) continue;
    const reg = (env === undefined ? undefined : o?.artifact?.registry) ?? s.artifact.registry;
    const type = project.config.registries?.[reg]?.type;
    if (type && !providerPlugin(type)?.traits?.scan) {
      const path = env === undefined ? ['spec', 'artifact', 'select', 'scan'] : ['spec', 'environments', env, 'artifact', 'select', 'scan'];
      const scanning = scanningTypes();
      out.push(error('SCHEMA', `select.scan needs a registry of type ${scanning} (registry "${reg}" is ${type} and reports no scan verdicts)`, { reason: 'scan-needs-har', ...at(doc, path, 'key'), service }));
    }
  }
  // the target's own checks; a target that runs an image (a Kubernetes workload) refuses files,
  // in the base and in every override
  const target = targetPlugin(targetOf(decl));
  if (target?.traits?.needsImage) {
    const formats: [unknown, (string | number)[]][] = [[s.artifact.format, ['spec', 'artifact', 'format']]];
    for (const [env, o] of Object.entries(s.environments ?? {})) formats.push([o.artifact?.format, ['spec', 'environments', env, 'artifact', 'format']]);
    const others = targetPlugins().filter((t) => !t.traits?.needsImage).map((t) => t.id).join(' or ');
    for (const [format, path] of formats) {
      if (format === 'file') out.push(error('SCHEMA', `${target.title} needs an image: format "file" is only for ${others}`, { reason: 'image-required', ...at(doc, path), service }));
    }
  }
  if (target?.checkService) out.push(...target.checkService(decl, envNames, project.config));
  return out;
}

export function checkDuplicates(services: ServiceDecl[]): Diagnostic[] {
  const byName = new Map<string, ServiceDecl[]>();
  for (const s of services) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const out: Diagnostic[] = [];
  for (const [name, decls] of byName) {
    if (decls.length < 2) continue;
    for (const d of decls) {
      const others = decls.filter((o) => o !== d);
      out.push(
        error('DUPLICATE_SERVICE', `service "${name}" is declared more than once (also in ${others.map((o) => o.file).join(', ')}); both would write ${'<env>'}/${name}/`, { reason: 'declared-twice', 
          ...at(d.doc, ['metadata', 'name']),
          service: name,
          related: others.map((o) => ({ file: o.file, ...o.doc.position(['metadata', 'name'], 'value'), message: 'also declared here' })),
        }),
      );
    }
  }
  return out;
}

/**
 * One `select`: what the selection engine cannot compile (ranges, regexes, extract templates,
 * platforms), located at the field, and criteria that contradict the strategy. Runtime inputs
 * are checked when they are applied (resolve), not here.
 */
export function checkSelect(sel: SelectSpec, doc: LoadedDoc, path: (string | number)[], service: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const strategy = sel.strategy ?? 'semver';
  const here = (field: (string | number)[]) => ({ ...at(doc, [...path, ...field]), service });
  for (const p of engineCheck(sel)) {
    if (p.code === 'RUNTIME_INPUT_REQUIRED') continue;
    const field = p.field.split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x));
    const code = p.code === 'CONFLICTING_CRITERIA' ? 'SCHEMA' : p.code;
    out.push(error(code, `select.${p.field}: ${p.message}`, { ...here(field), reason: p.reason as ReasonFor<typeof code> }));
  }
  const conflict = (field: keyof SelectSpec, applies: readonly string[]) => {
    if (sel[field] !== undefined && !applies.includes(strategy)) {
      out.push(error('SCHEMA', `select.${field} only applies to strategy ${applies.join(' and ')} (strategy is ${strategy})`, { ...here([field]), reason: 'not-allowed-here' }));
    }
  };
  conflict('range', ['semver']);
  conflict('prerelease', ['semver']);
  conflict('tag', ['exact', 'digest']);
  conflict('order', ['alphabetical', 'numerical', 'natural']);
  return out;
}

export function checkPolicies(project: Project): Diagnostic[] {
  const doc = project.configDoc;
  const out: Diagnostic[] = [];
  if (!doc) return out;
  const envNames = project.environments.map((e) => e.name);
  const registries = Object.keys(project.config.registries ?? {});
  for (const [key, policy] of Object.entries(project.config.policies ?? {})) {
    if (key !== 'production' && !envNames.includes(key)) {
      out.push(error('SCHEMA', `policies.${key}: "${key}" is neither an environment nor "production"`, { reason: 'undeclared-environment', ...at(doc, ['policies', key], 'key'), hint: didYouMean(key, [...envNames, 'production']) }));
    }
    (policy.denyTags ?? []).forEach((re, i) => {
      const r = validateRegex(re);
      if (!r.ok) out.push(error('INVALID_REGEX', `invalid regex "${re}": ${r.message}`, { ...at(doc, ['policies', key, 'denyTags', i]), reason: 'invalid-policy-regex' }));
    });
    (policy.allowedRegistries ?? []).forEach((reg, i) => {
      if (!registries.includes(reg)) out.push(error('UNKNOWN_REGISTRY', `registry "${reg}" is not declared`, { reason: 'undeclared', ...at(doc, ['policies', key, 'allowedRegistries', i]), hint: didYouMean(reg, registries) }));
    });
  }
  return out;
}

/** The registry types whose providers report scan verdicts, for messages (`har`). */
function scanningTypes(): string {
  return providerPlugins()
    .filter((p) => p.traits?.scan)
    .map((p) => p.id)
    .join(' or ');
}

/** Every target's whole-project checks (lambda: image functions pull from ECR in their region). */
export function checkTargets(project: Project): Diagnostic[] {
  return targetPlugins().flatMap((t) => t.checkProject?.(project) ?? []);
}
