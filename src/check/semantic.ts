/**
 * Semantic checks that need the whole project but no network: unknown registries and
 * environments, duplicate services, invalid or unsatisfiable ranges, invalid regexes,
 * conflicting criteria, targets that do not fit the artifact. Pure.
 */
import { error, type Diagnostic } from '../diagnostics.js';
import type { LoadedDoc } from '../load/types.js';
import type { SelectSpec } from '../model.js';
import { effectiveService } from '../project/effective.js';
import type { Project, ServiceDecl } from '../project/types.js';
import { parseRange, rangeSatisfiable, validateRegex } from '../resolve/select/index.js';
import { didYouMean as closest } from '../validate/did-you-mean.js';

function didYouMean(word: string, options: readonly string[]): string | undefined {
  const m = closest(word, options);
  return m === undefined ? undefined : `did you mean "${m}"?`;
}

const INPUT = /^<\+input>/;

function at(doc: LoadedDoc, path: (string | number)[], target: 'key' | 'value' = 'value') {
  return { file: doc.file, ...doc.position(path, target) };
}

export function checkProject(project: Project): Diagnostic[] {
  const out: Diagnostic[] = [];
  out.push(...checkDuplicates(project.services));
  const registries = Object.keys(project.config.registries ?? {});
  const envNames = project.environments.map((e) => e.name);
  for (const decl of project.services) {
    const { doc } = decl;
    const s = decl.data.spec;
    const service = decl.name;
    // environments the config does not declare
    for (const env of Object.keys(s.environments ?? {})) {
      if (!envNames.includes(env)) {
        out.push(error('SCHEMA', `environment "${env}" is not declared in ${project.configFile} (declared: ${envNames.join(', ')})`, { ...at(doc, ['spec', 'environments', env], 'key'), service, hint: didYouMean(env, envNames) }));
      }
    }
    // registry names, base and overrides
    const regRefs: [string | undefined, (string | number)[]][] = [[s.artifact.registry, ['spec', 'artifact', 'registry']]];
    for (const [env, o] of Object.entries(s.environments ?? {})) regRefs.push([o.artifact?.registry, ['spec', 'environments', env, 'artifact', 'registry']]);
    for (const [reg, path] of regRefs) {
      if (reg !== undefined && !registries.includes(reg)) {
        out.push(error('UNKNOWN_REGISTRY', `registry "${reg}" is not declared in ${project.configFile}${registries.length ? ` (declared: ${registries.join(', ')})` : ''}`, { ...at(doc, path), service, hint: didYouMean(reg, registries) }));
      }
    }
    // every select, once per distinct path
    const selects: [SelectSpec | undefined, (string | number)[]][] = [[s.artifact.select, ['spec', 'artifact', 'select']]];
    for (const [env, o] of Object.entries(s.environments ?? {})) if (o.artifact?.select) selects.push([o.artifact.select, ['spec', 'environments', env, 'artifact', 'select']]);
    for (const [sel, path] of selects) if (sel) out.push(...checkSelect(sel, doc, path, service));
    // target vs artifact format, per environment
    for (const env of envNames) {
      const eff = effectiveService(decl, env);
      if (eff.target === 'kubernetes' && eff.artifact.format === 'file') {
        out.push(error('SCHEMA', 'a Kubernetes workload needs an image: format "file" is only for lambda', { ...at(doc, [...eff.artifactPath, 'format']), service, environment: env }));
        break;
      }
    }
  }
  out.push(...checkPolicies(project));
  return out;
}

function checkDuplicates(services: ServiceDecl[]): Diagnostic[] {
  const byName = new Map<string, ServiceDecl[]>();
  for (const s of services) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const out: Diagnostic[] = [];
  for (const [name, decls] of byName) {
    if (decls.length < 2) continue;
    for (const d of decls) {
      const others = decls.filter((o) => o !== d);
      out.push(
        error('DUPLICATE_SERVICE', `service "${name}" is declared more than once (also in ${others.map((o) => o.file).join(', ')}); both would write ${'<env>'}/${name}/`, {
          ...at(d.doc, ['metadata', 'name']),
          service: name,
          related: others.map((o) => ({ file: o.file, ...o.doc.position(['metadata', 'name'], 'value'), message: 'also declared here' })),
        }),
      );
    }
  }
  return out;
}

export function checkSelect(sel: SelectSpec, doc: LoadedDoc, path: (string | number)[], service: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const strategy = sel.strategy ?? 'semver';
  const here = (field: string) => ({ ...at(doc, [...path, field]), service });
  if (sel.range !== undefined && !INPUT.test(sel.range)) {
    const r = parseRange(sel.range);
    if (!r.ok) out.push(error('INVALID_RANGE', `invalid semver range "${sel.range}": ${r.message}`, here('range')));
    else if (!rangeSatisfiable(r.range)) out.push(error('INVALID_RANGE', `semver range "${sel.range}" can never be satisfied`, here('range')));
  }
  if (sel.regex !== undefined) {
    const r = validateRegex(sel.regex);
    if (!r.ok) out.push(error('INVALID_REGEX', `invalid regex "${sel.regex}": ${r.message}`, here('regex')));
  }
  (sel.ignore ?? []).forEach((re, i) => {
    const r = validateRegex(re);
    if (!r.ok) out.push(error('INVALID_REGEX', `invalid regex "${re}": ${r.message}`, { ...at(doc, [...path, 'ignore', i]), service }));
  });
  // conflicting criteria
  const conflict = (field: string, why: string) => out.push(error('SCHEMA', `select.${field} ${why}`, here(field)));
  if (sel.range !== undefined && strategy !== 'semver') conflict('range', `only applies to strategy semver (strategy is ${strategy})`);
  if (sel.tag !== undefined && strategy !== 'exact' && strategy !== 'digest') conflict('tag', `only applies to strategies exact and digest (strategy is ${strategy})`);
  if ((strategy === 'exact' || strategy === 'digest') && sel.tag === undefined) out.push(error('SCHEMA', `strategy ${strategy} needs select.tag`, { ...at(doc, [...path, 'strategy']), service }));
  if (sel.digest !== undefined && strategy !== 'exact') conflict('digest', `only applies to strategy exact (strategy is ${strategy})`);
  if (sel.order !== undefined && !['alphabetical', 'numerical', 'natural'].includes(strategy)) conflict('order', `only applies to alphabetical, numerical and natural (strategy is ${strategy})`);
  if (sel.extract !== undefined && sel.regex === undefined) conflict('extract', 'needs select.regex to extract from');
  if (sel.prerelease !== undefined && strategy !== 'semver') conflict('prerelease', `only applies to strategy semver (strategy is ${strategy})`);
  if (sel.extract !== undefined && sel.regex !== undefined) {
    const r = validateRegex(sel.regex);
    if (r.ok) {
      const groups = groupNames(r.re);
      for (const m of sel.extract.matchAll(/\$(?:\{(\w+)\}|(\w+))/g)) {
        const g = m[1] ?? m[2]!;
        if (!groups.has(g)) out.push(error('INVALID_REGEX', `extract refers to group "${g}", which the regex does not define`, here('extract')));
      }
    }
  }
  return out;
}

function groupNames(re: RegExp): Set<string> {
  const names = new Set<string>();
  const count = new RegExp(`${re.source}|`).exec('')!.length - 1;
  for (let i = 1; i <= count; i++) names.add(String(i));
  for (const m of re.source.matchAll(/\(\?<([A-Za-z_]\w*)>/g)) names.add(m[1]!);
  names.add('0');
  return names;
}

function checkPolicies(project: Project): Diagnostic[] {
  const doc = project.configDoc;
  const out: Diagnostic[] = [];
  if (!doc) return out;
  const envNames = project.environments.map((e) => e.name);
  const registries = Object.keys(project.config.registries ?? {});
  for (const [key, policy] of Object.entries(project.config.policies ?? {})) {
    if (key !== 'production' && !envNames.includes(key)) {
      out.push(error('SCHEMA', `policies.${key}: "${key}" is neither an environment nor "production"`, { ...at(doc, ['policies', key], 'key'), hint: didYouMean(key, [...envNames, 'production']) }));
    }
    (policy.denyTags ?? []).forEach((re, i) => {
      const r = validateRegex(re);
      if (!r.ok) out.push(error('INVALID_REGEX', `invalid regex "${re}": ${r.message}`, at(doc, ['policies', key, 'denyTags', i])));
    });
    (policy.allowedRegistries ?? []).forEach((reg, i) => {
      if (!registries.includes(reg)) out.push(error('UNKNOWN_REGISTRY', `registry "${reg}" is not declared`, { ...at(doc, ['policies', key, 'allowedRegistries', i]), hint: didYouMean(reg, registries) }));
    });
  }
  return out;
}
