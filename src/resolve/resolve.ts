/**
 * The resolver: for every (service, environment), keep a fresh lock entry or select a version
 * through the registry's provider. Provider calls are the only I/O and go through the Provider
 * interface; everything else here is deterministic. Repositories shared by several services or
 * environments are listed once per run.
 */
import { error, type Diagnostic } from '../core/diagnostics.js';
import type { LockEntry, PinnedArtifact, SelectSpec, VersionInfo } from '../core/model.js';
import { effectiveService, type EffectiveService } from '../project/effective.js';
import type { Project, ServiceDecl } from '../project/types.js';
import type { Provider, ProviderFailure, ProviderResult } from './provider.js';
import { fingerprint, lockKey, type Lock } from './lock.js';
import { checkPolicy, policiesFor } from './policy.js';
import { applyRuntimeInputs, choose, needsMetadata, prefilter, type TraceEntry } from './select/index.js';

export interface ResolveOptions {
  /** re-resolve: true = all services, a set = those services */
  update?: boolean | Set<string>;
  /** --input values (`service.field` or `field`) */
  inputs: Record<string, string>;
  /** environments to resolve (default all) */
  envs?: string[];
  explain?: boolean;
  progress?: (done: number, total: number) => void;
}

export interface ResolvedRow extends PinnedArtifact {
  strategy: string;
  /** true when the entry was (re)selected in this run, false when kept from the lock */
  changed: boolean;
  previous?: { tag: string; digest?: string };
}

export interface ExplainBlock {
  service: string;
  environment: string;
  package: string;
  candidates: TraceEntry[];
  result?: string;
}

export interface ResolveOutcome {
  lock: Lock;
  resolved: ResolvedRow[];
  explain: ExplainBlock[];
  diagnostics: Diagnostic[];
}

interface Unit {
  decl: ServiceDecl;
  env: string;
  eff: EffectiveService;
}

function wantsUpdate(update: ResolveOptions['update'], service: string): boolean {
  return update === true || (update instanceof Set && update.has(service));
}

const INPUT_RE = /^<\+input>/;
function hasRuntimeInput(sel: SelectSpec | undefined): boolean {
  return Boolean(sel && ((sel.tag && INPUT_RE.test(sel.tag)) || (sel.range && INPUT_RE.test(sel.range))));
}

function explicitInputs(service: string, inputs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ['tag', 'range']) {
    const v = inputs[`${service}.${f}`] ?? inputs[f];
    if (v !== undefined) out[f] = v;
  }
  return out;
}

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ka = Object.keys(a ?? {}).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a![k] === b[k]);
}

export async function resolveProject(project: Project, lock: Lock, providers: Map<string, Provider>, opts: ResolveOptions): Promise<ResolveOutcome> {
  const envs = project.environments.filter((e) => !opts.envs || opts.envs.includes(e.name));
  const units: Unit[] = [];
  for (const decl of project.services) for (const e of envs) units.push({ decl, env: e.name, eff: effectiveService(decl, e.name) });

  const next: Lock = new Map(lock);
  // drop entries of services or environments that no longer exist
  const live = new Set(project.services.flatMap((d) => project.environments.map((e) => lockKey(d.name, e.name))));
  for (const k of [...next.keys()]) if (!live.has(k)) next.delete(k);

  const tagLists = new Map<string, Promise<ProviderResult<string[]>>>();
  const listTags = (provider: Provider, registry: string, pkg: string) => {
    const k = `${registry}\u0000${pkg}`;
    let p = tagLists.get(k);
    if (!p) tagLists.set(k, (p = provider.listTags(pkg)));
    return p;
  };

  const diagnostics: Diagnostic[] = [];
  const resolved: ResolvedRow[] = [];
  const explain: ExplainBlock[] = [];
  let done = 0;
  await Promise.all(
    units.map(async (u) => {
      const r = await resolveUnit(project, u, lock, providers, opts, listTags);
      diagnostics.push(...r.diagnostics);
      if (r.explain) explain.push(r.explain);
      if (r.entry) {
        next.set(lockKey(u.decl.name, u.env), r.entry);
        const prev = lock.get(lockKey(u.decl.name, u.env));
        const { fingerprint: _f, created: _c, labels: _l, input: _i, scanStatus: _s, staged: _st, ...pinned } = r.entry;
        resolved.push({
          ...pinned,
          changed: r.changed,
          ...(prev && (prev.tag !== r.entry.tag || prev.digest !== r.entry.digest) ? { previous: { tag: prev.tag, digest: prev.digest } } : {}),
        });
      }
      opts.progress?.(++done, units.length);
    }),
  );
  const byKey = (a: { service: string; environment: string }, b: { service: string; environment: string }) =>
    a.service < b.service ? -1 : a.service > b.service ? 1 : a.environment < b.environment ? -1 : a.environment > b.environment ? 1 : 0;
  resolved.sort(byKey);
  explain.sort(byKey);
  return { lock: next, resolved, explain, diagnostics };
}

async function resolveUnit(
  project: Project,
  u: Unit,
  lock: Lock,
  providers: Map<string, Provider>,
  opts: ResolveOptions,
  listTags: (p: Provider, registry: string, pkg: string) => Promise<ProviderResult<string[]>>,
): Promise<{ entry?: LockEntry; changed: boolean; diagnostics: Diagnostic[]; explain?: ExplainBlock }> {
  const { decl, env, eff } = u;
  const service = decl.name;
  const artifact = eff.artifact;
  const at = (path: (string | number)[], target: 'key' | 'value' = 'key') => ({ file: decl.file, ...decl.doc.position(path, target), service, environment: env });
  const fp = fingerprint(artifact);
  const existing = lock.get(lockKey(service, env));
  const select = artifact.select ?? {};
  const runtime = hasRuntimeInput(select);
  const given = runtime ? explicitInputs(service, opts.inputs) : {};
  const fresh =
    existing &&
    existing.fingerprint === fp &&
    !wantsUpdate(opts.update, service) &&
    (!runtime || Object.keys(given).length === 0 || sameRecord(existing.input, given));
  const provider = providers.get(artifact.registry);
  if (fresh && !opts.explain) {
    // A registry that knows approval state (har) is asked again: a locked version may have been
    // quarantined, or its scan verdict changed, since it was selected.
    if (provider?.listed) {
      const live = await provider.listed(existing.package, existing.tag);
      if (!live.ok) return { changed: false, diagnostics: [{ ...error(live.failure.code, `${service} (${env}): ${live.failure.message}`, { ...at(eff.artifactPath), reason: live.failure.reason }), severity: live.failure.severity ?? 'error' } as Diagnostic] };
      const gone: Diagnostic[] = live.value
        ? []
        : [{ ...error('TAG_NOT_FOUND', `${service} (${env}): the locked version ${existing.package}:${existing.tag} is no longer listed in registry "${existing.registry}"; \`gitopsc resolve --update ${service}\` selects another`, { ...at(eff.artifactPath), reason: 'locked-version-gone' }), severity: 'warning' as const }];
      return { entry: existing, changed: false, diagnostics: [...gone, ...checkPolicy(project, decl, existing, eff.artifactPath, live.value ?? { tag: existing.tag })] };
    }
    return { entry: existing, changed: false, diagnostics: checkPolicy(project, decl, existing, eff.artifactPath) };
  }

  let effective: SelectSpec = select;
  let input: Record<string, string> | undefined;
  if (runtime) {
    const r = applyRuntimeInputs(select, service, opts.inputs);
    if (!r.ok) return { changed: false, diagnostics: [error('RUNTIME_INPUT_REQUIRED', r.message, { ...at(eff.selectPath), reason: r.reason })] };
    effective = r.select;
    input = {};
    if (select.tag && INPUT_RE.test(select.tag) && effective.tag !== undefined) input.tag = effective.tag;
    if (select.range && INPUT_RE.test(select.range) && effective.range !== undefined) input.range = effective.range;
  }

  if (!provider) return { changed: false, diagnostics: [] }; // UNKNOWN_REGISTRY is reported by the semantic check
  const fail = (f: ProviderFailure) =>
    ({ changed: false, diagnostics: [{ ...error(f.code, `${service} (${env}): ${f.message}`, { ...at(eff.artifactPath), reason: f.reason }), severity: f.severity ?? 'error' } as Diagnostic] });

  const tags = await listTags(provider, artifact.registry, artifact.package);
  if (!tags.ok) return fail(tags.failure);
  const warnings: Diagnostic[] = (tags.warnings ?? []).map((w) => ({ ...error(w.code, w.message, { ...at(eff.artifactPath), reason: w.reason }), severity: 'warning' as const }));

  const pre = prefilter(tags.value, effective);
  const policyLabels = policiesFor(project, env).some(([, p]) => p.requireLabels);
  const labelPairs: [string, string][] = [...Object.entries(effective.labels ?? {}), ...policiesFor(project, env).flatMap(([, p]) => Object.entries(p.requireLabels ?? {}))];
  // har generic packages: versions without the named file are dropped (with a reason), not fatal
  const fileFilter = project.config.registries?.[artifact.registry]?.type === 'har' && (artifact.format ?? 'image') === 'file' && artifact.file ? artifact.file : undefined;
  const platform = effective.platform;
  const strategy = effective.strategy ?? 'semver';
  // exact and digest need the tag's digest before choosing (a pinned digest is compared): one HEAD
  // (policies read labels of the chosen version only: they never change the selection)
  const filterMeta = needsMetadata(effective) || fileFilter !== undefined;
  const needMeta = filterMeta || ((strategy === 'exact' || strategy === 'digest') && pre.kept.length <= 1);
  let candidates: VersionInfo[] = [];
  // Approval state from the listing (har): quarantined versions and versions whose scan verdict
  // is not wanted are never described (HAR refuses to serve quarantined content); they go to
  // `choose` as listed, which drops them with the reason.
  let describeTags = pre.kept;
  if (needMeta && provider.listed) {
    describeTags = [];
    for (const tag of pre.kept) {
      const l = await provider.listed(artifact.package, tag);
      if (!l.ok) return fail(l.failure);
      const info = l.value;
      if (info && (info.quarantined || (effective.scan && !(info.scanStatus && effective.scan.includes(info.scanStatus))))) candidates.push(info);
      else describeTags.push(tag);
    }
  }
  if (needMeta) {
    // Metadata costs a manifest and a config blob per tag. `prefilter` keeps tags best first, so
    // unless every candidate must be seen (newest-build, --explain), fetch in that order and stop
    // at the first batch in which a candidate passes the platform and label filters.
    const all = strategy === 'newest-build' || opts.explain;
    const batch = all ? Math.max(1, describeTags.length) : 8;
    for (let i = 0; i < describeTags.length; i += batch) {
      const described = await Promise.all(describeTags.slice(i, i + batch).map((t) => provider.describe(artifact.package, t, { metadata: filterMeta || Boolean(policyLabels), platform, file: artifact.file, labelPairs })));
      for (const d of described) {
        if (!d.ok) {
          if (d.failure.code === 'TAG_NOT_FOUND') continue; // deleted between listing and fetching
          return fail(d.failure);
        }
        candidates.push(d.value);
      }
      if (!all && choose(candidates, effective, { pkg: artifact.package, ...(fileFilter ? { file: fileFilter } : {}) }).ok) break;
    }
  } else if (provider.listed) {
    // approval state (quarantine, scan verdict) comes with the listing: no describe needed
    for (const tag of pre.kept) {
      const l = await provider.listed(artifact.package, tag);
      if (!l.ok) return fail(l.failure);
      candidates.push(l.value ?? { tag });
    }
  } else {
    candidates = pre.kept.map((tag) => ({ tag }));
  }
  const outcome = choose(candidates, effective, { pkg: artifact.package, prefilter: pre, ...(fileFilter ? { file: fileFilter } : {}) });
  const explainBlock: ExplainBlock | undefined = opts.explain
    ? { service, environment: env, package: artifact.package, candidates: outcome.explain, result: outcome.ok ? outcome.version.tag : undefined }
    : undefined;
  if (!outcome.ok) {
    return { changed: false, explain: explainBlock, diagnostics: [...warnings, error(outcome.code, outcome.message, { ...at(outcome.code === 'NO_CANDIDATES' ? (select.range !== undefined ? [...eff.selectPath, 'range'] : eff.selectPath) : [...eff.selectPath, 'tag']), reason: outcome.reason })] };
  }
  let version = outcome.version;
  if (!needMeta || version.digest === undefined) {
    const d = await provider.describe(artifact.package, version.tag, { metadata: Boolean(policyLabels), platform, file: artifact.file, labelPairs });
    if (!d.ok) return fail(d.failure);
    version = { ...d.value, ...version, digest: d.value.digest, files: d.value.files };
  }
  const entry: LockEntry = {
    service,
    environment: env,
    registry: artifact.registry,
    package: artifact.package,
    tag: version.tag,
    strategy,
    fingerprint: fp,
  };
  if (version.digest) entry.digest = version.digest;
  if (version.created) entry.created = version.created;
  if (version.labels && Object.keys(version.labels).length) entry.labels = version.labels;
  if (input && Object.keys(input).length) entry.input = input;
  if (version.versionId) entry.versionId = version.versionId;
  if (version.scanStatus) entry.scanStatus = version.scanStatus;
  const diagnostics: Diagnostic[] = [...warnings];
  if ((artifact.format ?? 'image') === 'file' && artifact.file) {
    const file = version.files?.find((f) => f.name === artifact.file);
    if (file) entry.fileDigest = file.digest;
    else if (version.files) {
      return { changed: false, explain: explainBlock, diagnostics: [error('TAG_NOT_FOUND', `${artifact.package}:${version.tag} has no file named ${artifact.file} (files: ${version.files.map((f) => f.name).join(', ') || 'none'})`, { ...at([...eff.artifactPath, 'file']), reason: 'no-such-file' })] };
    }
  }
  if (fresh) {
    // --explain alone never changes the lock: it shows what a fresh selection would see
    const live = provider.listed ? await provider.listed(existing.package, existing.tag) : undefined;
    const liveInfo = live?.ok ? (live.value ?? { tag: existing.tag }) : undefined;
    return { entry: existing, changed: false, diagnostics: [...diagnostics, ...checkPolicy(project, decl, existing, eff.artifactPath, liveInfo)], explain: explainBlock };
  }
  diagnostics.push(...checkPolicy(project, decl, entry, eff.artifactPath, provider.listed ? version : undefined));
  const same = existing && existing.tag === entry.tag && existing.digest === entry.digest && existing.fileDigest === entry.fileDigest;
  // what `gitopsc stage` recorded stays valid while the pinned bytes are the same
  if (same && existing.staged) entry.staged = existing.staged;
  return { entry, changed: !same, diagnostics, explain: explainBlock };
}
