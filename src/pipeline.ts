/**
 * The offline compiler pipeline over a ProjectSource, shared by validate, render, diff and
 * publish: load config -> load services -> validate -> check -> lock -> render units.
 * It reads only through the source; writing is the caller's (src/write).
 */
import { tagProblem } from './core/image.js';
import { checkDuplicates, checkPolicies, checkServiceDecl, checkTargets } from './check/semantic.js';
import { contentHash } from './core/hash.js';
import { error, hasErrors, type Diagnostic } from './core/diagnostics.js';
import type { LockEntry } from './core/model.js';
import { effectiveService } from './project/effective.js';
import { cachedDoc, loadCatalogs, loadChecked, loadFrame, loadServiceFile, type ConfigRef, type InputCache } from './project/load.js';
import type { Project, ServiceDecl } from './project/types.js';
import { apiSchema, supportedVersions } from './validate/kubernetes/api-schema.js';
import { loadCrds } from './validate/kubernetes/crd.js';
import type { ManifestChecker } from './validate/kubernetes/rendered.js';
import { buildContext, imageReference, type RenderUnit } from './render/context.js';
import { createTemplateEngine } from './render/handlebars.js';
import { compileTemplates, renderUnit, type TemplateSet, type TemplateSource } from './render/render.js';
import { builtinTemplates, projectTemplates } from './render/templates.js';
import { conflictMarker, fingerprint, lockKey, parseLock, type Lock } from './resolve/lock.js';
import { validateLock } from './validate/index.js';
import type { LoadedDoc } from './load/types.js';
import { checkPolicy } from './resolve/policy.js';
import { referenceFor } from './resolve/reference.js';
import { BUILTIN_TARGETS, targetPlugin, targetPlugins } from './targets/index.js';
import { BUILTIN_PROVIDERS, providerPlugins } from './resolve/providers/index.js';
import { readInput, UnreadableError } from './source/errors.js';

const DEFAULT_KUBERNETES_VERSION = '1.32';

export type { CompileResult, ProjectSource, RenderedFile, ResolvedArtifact, SourceProblem } from './core/types.js';
import type { CompileResult, ProjectSource, RenderedFile, ResolvedArtifact } from './core/types.js';

export { fsSource } from './source/fs.js';

export interface CompileOptions extends ConfigRef {
  /** environments to render (default: all) */
  envs?: string[];
  /** stop after validation (no lock, no render) */
  validateOnly?: boolean;
  /** do not render: return `units` to render on demand (the render command's cache) */
  lazy?: boolean;
  /** validated inputs by content hash (src/cache/store.ts) */
  cache?: InputCache;
  /**
   * Per-service records (with `lazy`, the built-in plug-ins and a YAML/JSON config): a service
   * whose file and every shared input (config, lock, templates, CRDs, `envs`) are as a record
   * says is not loaded again; its units render after `prepare`. The result is the one a compile
   * without records gives: with an error anywhere, it is that compile.
   */
  records?: RecordsOptions;
}

export interface CompileState extends CompileResult {
  project?: Project;
  /** the lock's entries (with records, only when the whole lock was parsed: not when the services loaded took their own entries alone) */
  lock?: Lock;
  /** the lock file's bytes as read (undefined when absent) */
  lockText?: string;
  /** the content hash of the lock file's bytes as read (undefined when absent): what `lockText` holds, without decoding it */
  lockHash?: string;
  /** every unit, rendered or not (with `lazy`, `files` stays empty and units render on demand) */
  units: UnitJob[];
  /** template compile errors, once the templates were compiled (lazily with `lazy`) */
  templateDiagnostics(): Diagnostic[];
  /** the file names the templates render (`deployment.yaml`, `function.json`, ...): the ownership adoption rule */
  outputNames(): string[];
  /**
   * Make these units renderable: a unit taken from a record renders once its service file was
   * loaded again. False when a file changed since it was hashed: compile again without records.
   * With records, `project.services` holds only the services loaded.
   */
  prepare?(units: readonly UnitJob[]): Promise<boolean>;
}

export interface LockRead {
  lock: Lock;
  text?: string;
  /** the lock as loaded, for positions (absent when it does not parse) */
  doc?: LoadedDoc;
  /** the lock has merge-conflict markers */
  conflict?: boolean;
  /** the lock exists but cannot be read: an error, never an absent lock */
  unreadable?: boolean;
  diagnostics: Diagnostic[];
}

/**
 * The lock file: merge-conflict markers, YAML, then its JSON Schema (`gitopsc schema lock`).
 * A lock with any error yields no entries: it is never rendered.
 */
export async function loadLock(source: ProjectSource, file: string, cache?: InputCache, opts: { lenient?: boolean } = {}): Promise<LockRead> {
  return lockFrom(file, await readInput(source, file), cache, opts);
}

const LOCK_MAX_BYTES = 64 * 1024 * 1024;

/** loadLock over the lock's bytes as read. */
function lockFrom(file: string, read: { bytes?: Uint8Array; problem?: Diagnostic }, cache?: InputCache, opts: { lenient?: boolean } = {}): LockRead {
  // an unreadable lock is an error, never an absent one (resolve would re-pin every service)
  const { bytes, problem } = read;
  if (problem) return { lock: new Map(), diagnostics: [problem], unreadable: true };
  if (!bytes) return { lock: new Map(), diagnostics: [] };
  const text = new TextDecoder().decode(bytes);
  const marker = conflictMarker(file, text);
  if (marker) return { lock: new Map(), text, conflict: true, diagnostics: [marker] };
  const r = loadChecked('lock', file, bytes, validateLock, cache, { maxBytes: LOCK_MAX_BYTES });
  if (!r.doc) return { lock: new Map(), text, diagnostics: r.diagnostics };
  const p = parseLock(r.doc);
  // lenient (resolve): keep the entries that are well-formed, so that one bad entry is resolved
  // again without re-pinning every other service
  if (opts.lenient) return { lock: p.lock, text, doc: r.doc, diagnostics: r.diagnostics.length ? r.diagnostics : p.diagnostics };
  if (hasErrors(r.diagnostics)) return { lock: new Map(), text, doc: r.doc, diagnostics: r.diagnostics };
  return { lock: hasErrors(p.diagnostics) ? new Map() : p.lock, text, doc: r.doc, diagnostics: [...r.diagnostics, ...p.diagnostics] };
}

/**
 * Parsed locks by file and content hash, for the process: `diff` compiles the base and the
 * head, which nearly always share their lock (a LockRead is never changed once made).
 */
const lockReads = new Map<string, LockRead>();
function lockParsed(file: string, read: { bytes?: Uint8Array; problem?: Diagnostic }, hash: string | null, cache?: InputCache): LockRead {
  if (hash === null || read.problem) return lockFrom(file, read, cache);
  const key = `${file}\u0000${hash}`;
  let r = lockReads.get(key);
  if (!r) {
    if (lockReads.size >= 2) lockReads.clear();
    lockReads.set(key, (r = lockFrom(file, read, cache)));
  } else if (cache && r.doc && r.diagnostics.length === 0 && cache.get(`lock:${hash}`) === undefined) {
    // what loadChecked would have cached had it read the lock (the input cache is the next process's)
    cache.set(`lock:${hash}`, r.doc.data);
  }
  return r;
}

/** A lock entry must name its service's registry and package (a hand edit that the fingerprint cannot see). */
function checkEntryTarget(entry: LockEntry, artifact: { registry: string; package: string }, lockFile: string, doc: LoadedDoc | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const key of ['registry', 'package'] as const) {
    if (entry[key] === artifact[key]) continue;
    const pos = doc?.position(['services', entry.service, entry.environment, key], 'value') ?? { line: 1, column: 1 };
    out.push(
      error('SCHEMA', `lock entry ${entry.service}/${entry.environment} has ${key} "${entry[key]}" but the service uses "${artifact[key]}"`, {
        reason: 'lock-mismatch',
        file: lockFile,
        ...pos,
        service: entry.service,
        environment: entry.environment,
        hint: 'run `gitopsc resolve` to rewrite the entry',
      }),
    );
  }
  return out;
}

/** Template sources: the built-ins, overridden or extended by the project's template directory. */
export async function loadTemplateSources(source: ProjectSource, project: Project, files?: readonly string[]): Promise<TemplateSource[]> {
  const own = project.templatesDir ? await projectTemplates(source, project.templatesDir, files ?? (await source.list())) : [];
  return [...builtinTemplates(), ...own];
}


/**
 * Compiled template sets by their sources, for the process: `diff` compiles the base and the
 * head, which nearly always share their templates (a set is read-only once compiled).
 */
const templateSets = new Map<string, TemplateSet>();
function compiledTemplates(sources: TemplateSource[]): TemplateSet {
  const key = JSON.stringify(sources.map((t) => [t.target, t.name, t.file, t.source, t.output ?? null, Boolean(t.canonical), Boolean(t.builtin)]));
  let set = templateSets.get(key);
  if (!set) {
    if (templateSets.size >= 4) templateSets.clear();
    templateSets.set(key, (set = compileTemplates(createTemplateEngine(), sources)));
  }
  return set;
}

// bumped when rendering semantics change, so that cached units from an older engine re-render
const VERSION_SALT = 'gitopsc-render-2';

/**
 * The checks of rendered Kubernetes output: the API schema of the configured version (loaded on
 * first use) and the project's CRDs (read now, through the source). `key` enters the cache key.
 */
async function loadKubernetesChecks(source: ProjectSource, project: Project): Promise<{ checker: () => ManifestChecker | undefined; key: string; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const version = project.config.kubernetes?.version ?? DEFAULT_KUBERNETES_VERSION;
  const supported = supportedVersions();
  if (!supported.includes(version)) {
    const pos = project.configDoc ? { file: project.configDoc.file, ...project.configDoc.position([...project.configPath, 'kubernetes', 'version'], 'value') } : {};
    diagnostics.push(error('SCHEMA', `kubernetes.version ${version} is not available: gitopsc ships the API schema of Kubernetes ${supported.join(', ')}`, { ...pos, reason: 'unsupported-version' }));
  }
  const crdFiles: { file: string; text: string }[] = [];
  if (project.crdsDir) {
    const prefix = project.crdsDir === '.' ? '' : `${project.crdsDir}/`;
    for (const f of await source.list([project.outputDir])) {
      if (!f.startsWith(prefix) || !/\.ya?ml$/.test(f)) continue;
      const bytes = await source.read(f);
      if (bytes) crdFiles.push({ file: f, text: new TextDecoder().decode(bytes) });
    }
  }
  const crds = loadCrds(crdFiles);
  diagnostics.push(...crds.diagnostics);
  let checker: ManifestChecker | undefined;
  return {
    key: contentHash(JSON.stringify([version, crdFiles])),
    diagnostics,
    checker: () => {
      const schema = apiSchema(version);
      return schema ? (checker ??= { schema, crds: crds.crds, outputDir: project.outputDir }) : undefined;
    },
  };
}

/** What one service renders in one environment, from its lock entry (render and validate's template tries alike). */
function unitFor(project: Project, decl: ServiceDecl, env: Project['environments'][number], eff: ReturnType<typeof effectiveService>, entry: LockEntry): RenderUnit {
  const registry = project.config.registries?.[eff.artifact.registry];
  return {
    service: decl.name,
    file: decl.file,
    environment: env,
    labels: decl.data.metadata.labels ?? {},
    target: eff.target,
    spec: eff.spec,
    artifact: { registry: eff.artifact.registry, package: eff.artifact.package, format: eff.artifact.format ?? 'image', file: eff.artifact.file, reference: referenceFor(registry, eff.artifact.package) },
    lock: entry,
    // what the target adds (kubernetes: patches and positions; lambda: outputs, region, mirror)
    ...targetPlugin(eff.target)?.unit({ project, decl, env: env.name, spec: eff.spec, package: eff.artifact.package }),
  };
}

/** Render the project's own templates for every unit with a current lock entry; their TEMPLATE diagnostics. */
async function probeTemplates(source: ProjectSource, project: Project, set: TemplateSet, cache?: InputCache): Promise<Diagnostic[]> {
  const own = set.templates.filter((t) => !t.canonical);
  if (own.length === 0) return [];
  const lockRead = await loadLock(source, project.lockFile, cache);
  if (lockRead.diagnostics.length) return [];
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const decl of project.services) {
    for (const env of project.environments) {
      const eff = effectiveService(decl, env.name);
      const entry = lockRead.lock.get(lockKey(decl.name, env.name));
      if (!entry || entry.fingerprint !== fingerprint(eff.artifact)) continue;
      const unit = unitFor(project, decl, env, eff, entry);
      for (const d of renderUnit({ templates: own, diagnostics: [] }, unit).diagnostics) {
        const key = `${d.file}:${d.line}:${d.column}:${d.service}:${d.environment}`;
        if (!seen.has(key)) out.push(d);
        seen.add(key);
      }
    }
  }
  return out;
}

/** One (service, environment) to render; `key` changes exactly when its output can change. */
export interface UnitJob {
  key: string;
  service: string;
  environment: string;
  target: string;
  render(): { files: RenderedFile[]; diagnostics: Diagnostic[] };
  /** the template context of this unit (what `gitopsc context` prints) */
  context(): Record<string, unknown>;
}

/**
 * What compile() found for one service file under one set of shared inputs (`RecordsOptions`):
 * its diagnostics phase by phase and its units' keys. Plain data (kept in
 * `.gitopsc/cache/services.json` by src/build); a compile that reuses it reports exactly what
 * computing it again would.
 */
export interface ServiceRecord {
  file: string;
  /** the file's content hash */
  hash: string;
  /** metadata.name */
  name: string;
  /** loading and validating the file */
  load: Diagnostic[];
  /** checkProject's checks of this service */
  check: Diagnostic[];
  /** the targets' project checks of this service */
  targets: Diagnostic[];
  /** the lock entries of its units (stale, mismatched, policies, tags) */
  lock: Diagnostic[];
  /** its units; each pins its lock entry (the artifact: the entry names the service's registry and package) */
  units: { key: string; environment: string; target: string }[];
}

/** A key-value store of records (src/build keeps one on disk). */
export interface RecordStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export interface RecordsOptions {
  store: RecordStore;
  /** a file's content hash when known without reading it (the project memo's stat data) */
  hashOf?: (rel: string) => string | undefined;
}

/** A record's unit could not be rendered from the file as it is now (it changed during the run): compile again without records. */
export class StaleRecordError extends Error {
  constructor(readonly file: string) {
    super(`${file} changed while it was compiled`);
  }
}

// bumped when what a record holds changes
const RECORD_SALT = 'gitopsc-records-2';

function isRecord(v: unknown, file: string, hash: string): v is ServiceRecord {
  const r = v as ServiceRecord | undefined;
  return (
    typeof r === 'object' &&
    r !== null &&
    r.file === file &&
    r.hash === hash &&
    typeof r.name === 'string' &&
    [r.load, r.check, r.targets, r.lock, r.units].every(Array.isArray) &&
    r.units.every((u) => typeof u?.key === 'string' && typeof u.environment === 'string' && typeof u.target === 'string')
  );
}

/** What a unit pins: its lock entry and the rendered image reference. */
function artifactOf(service: string, environment: string, entry: LockEntry, reference: string): ResolvedArtifact {
  return {
    service,
    environment,
    registry: entry.registry,
    package: entry.package,
    tag: entry.tag,
    digest: entry.digest,
    fileDigest: entry.fileDigest,
    ...(entry.versionId ? { versionId: entry.versionId } : {}),
    image: imageReference(reference, entry.tag, entry.digest),
  };
}

/** Records are used only with the built-in plug-ins: their project checks are per service, and their code is the tool's. */
function builtinPlugins(): boolean {
  const targets = targetPlugins();
  const providers = providerPlugins();
  return targets.length === BUILTIN_TARGETS.length && targets.every((t, i) => t === BUILTIN_TARGETS[i]) && providers.length === BUILTIN_PROVIDERS.length && providers.every((p, i) => p === BUILTIN_PROVIDERS[i]);
}

/** One service file as this compile sees it: from a record, or loaded now. */
interface ServiceWork {
  file: string;
  /** set when the file loaded (fresh) or its record was taken */
  name?: string;
  record?: ServiceRecord;
  /** loaded now */
  decl?: ServiceDecl;
  hash?: string;
  load: Diagnostic[];
  check: Diagnostic[];
  targets: Diagnostic[];
}

export async function compile(source: ProjectSource, opts: CompileOptions): Promise<CompileState> {
  try {
    return await compileOnce(source, opts);
  } catch (e) {
    // a file changed between its hash and its read: compile it the plain way
    if (e instanceof StaleRecordError && opts.records) return compileOnce(source, { ...opts, records: undefined });
    throw e;
  }
}

async function compileOnce(source: ProjectSource, opts: CompileOptions): Promise<CompileState> {
  let set: TemplateSet | undefined;
  const empty = {
    outputDir: 'rendered',
    environments: [] as string[],
    files: [] as RenderedFile[],
    artifacts: [] as ResolvedArtifact[],
    units: [] as UnitJob[],
    templateDiagnostics: () => set?.diagnostics ?? [],
    outputNames: () => [] as string[],
  };
  const records = opts.records && !opts.validateOnly && opts.configData === undefined && builtinPlugins() ? opts.records : undefined;
  const loaded = await loadFrame(source, opts, { cache: opts.cache });
  if (!loaded.frame) return { ...empty, diagnostics: loaded.diagnostics };
  const frame = loaded.frame;
  const project = frame.project;
  const environments = project.environments.map((e) => e.name);
  const base = { ...empty, outputDir: project.outputDir, environments, project };

  // the shared inputs every service's outcome depends on: templates, CRDs and the lock (read
  // now, reported in their place below)
  const templateFiles = project.templatesDir ? await source.list() : [];
  let sources: TemplateSource[] = builtinTemplates();
  let templateProblem: Diagnostic | undefined;
  try {
    sources = await loadTemplateSources(source, project, templateFiles);
  } catch (e) {
    if (!(e instanceof UnreadableError)) throw e;
    templateProblem = e.diagnostic();
  }
  const templates = (): TemplateSet => (set ??= compiledTemplates(sources));
  const kube = await loadKubernetesChecks(source, project);
  const templateHash = contentHash(JSON.stringify([sources.map((t) => [t.target, t.name, t.file, t.source]), kube.key]));
  const lockInput = await readInput(source, project.lockFile);
  const lockHash = lockInput.bytes ? contentHash(lockInput.bytes) : null;
  let lockRead: LockRead | undefined;
  const lockOf = (): LockRead => (lockRead ??= lockParsed(project.lockFile, lockInput, lockHash, opts.cache));
  // records hold for exactly these shared inputs (the tool version is the store's)
  const shared =
    records && frame.configHash && !lockInput.problem
      ? contentHash(JSON.stringify([RECORD_SALT, opts.configFile, opts.configKey ?? null, frame.configHash, lockHash, templateHash, opts.envs ?? null]))
      : undefined;
  const recordKey = (file: string, hash: string) => `s:${shared}:${file}:${hash}`;
  // Template sources known to compile without a diagnostic (a record of their output names):
  // then only the templates of the targets rendered are compiled, when a unit renders.
  const namesOf = (t: TemplateSet) => [...new Set(t.templates.map((x) => x.name))].sort();
  const templatesKey = records && !templateProblem ? `t:${templateHash}` : undefined;
  const knownNames = templatesKey ? records!.store.get(templatesKey) : undefined;
  const clean = Array.isArray(knownNames) && knownNames.every((n) => typeof n === 'string') ? (knownNames as string[]) : undefined;
  base.outputNames = () => (!set && clean ? [...clean] : namesOf(templates()));
  base.templateDiagnostics = () => {
    if (!set) return [];
    if (templatesKey && set.diagnostics.length === 0) records!.store.set(templatesKey, namesOf(set));
    return set.diagnostics;
  };
  const templatesOf = (target: string): TemplateSet => set ?? (clean ? compiledTemplates(sources.filter((t) => t.target === target)) : templates());

  // the service files: a record when one holds for the file's content, else loaded now
  const works: ServiceWork[] = frame.files.map((file) => ({ file, load: [], check: [], targets: [] }));
  const take = (w: ServiceWork, hash: string | undefined): boolean => {
    if (!shared || hash === undefined) return false;
    const r = records!.store.get(recordKey(w.file, hash));
    if (!isRecord(r, w.file, hash)) return false;
    w.record = r;
    w.name = r.name;
    w.hash = hash;
    return true;
  };
  const toRead = works.filter((w) => !take(w, records?.hashOf?.(w.file)));
  const reads = await Promise.all(toRead.map(async (w) => ({ w, ...(await readInput(source, w.file)) })));
  // a few files changed among services known by their records: the records are their cache (the
  // input cache would be rewritten whole for them)
  const serviceCache = shared && reads.length <= 16 && reads.length < works.length ? undefined : opts.cache;
  for (const { w, bytes, problem } of reads) {
    if (problem) w.load.push(problem);
    if (!bytes) continue;
    const hash = contentHash(bytes);
    if (take(w, hash)) continue;
    const r = loadServiceFile(w.file, bytes, serviceCache);
    w.load.push(...r.diagnostics);
    if (!r.decl) continue;
    w.decl = r.decl;
    w.name = r.decl.name;
    w.hash = hash;
  }
  const decls = works.flatMap((w) => (w.decl ? [w.decl] : []));
  project.services = decls;
  const reused = works.some((w) => w.record);
  // a record is only ever written by a compile without errors: with records, an error anywhere
  // means the plain compile, whose diagnostics are the reference
  const plain = async (): Promise<CompileState> => compileOnce(source, { ...opts, records: undefined });

  // validate checks the static catalogs too (render works from the lock alone)
  const catalogDiagnostics = opts.validateOnly ? await loadCatalogs(source, project, opts.cache) : [];
  const diagnostics = [...frame.diagnostics];
  for (const w of works) diagnostics.push(...(w.record?.load ?? w.load));
  diagnostics.push(...catalogDiagnostics, ...frame.late);
  for (const env of opts.envs ?? []) {
    if (!environments.includes(env)) diagnostics.push(error('USAGE', `--env ${env} is not an environment of this project (${environments.join(', ')})`, { reason: 'unknown-environment' }));
  }
  // whole-project checks: duplicate names, then each service's, then the config's policies
  const named = works.filter((w) => w.name !== undefined);
  if (reused) {
    if (new Set(named.map((w) => w.name)).size !== named.length) return plain();
  } else diagnostics.push(...checkDuplicates(decls));
  for (const w of works) if (w.decl) w.check = checkServiceDecl(project, w.decl);
  for (const w of works) diagnostics.push(...(w.record?.check ?? w.check));
  diagnostics.push(...checkPolicies(project));
  // the targets' project checks are per service for the built-in targets (a record keeps its part)
  if (records) {
    for (const w of works) if (w.decl) w.targets = checkTargets({ ...project, services: [w.decl] });
    for (const w of works) diagnostics.push(...(w.record?.targets ?? w.targets));
  } else diagnostics.push(...checkTargets(project));
  if (templateProblem) diagnostics.push(templateProblem);
  // Lambda output can go to its own root below the output directory (output.lambdaDir)
  if (!opts.lazy || opts.validateOnly) diagnostics.push(...templates().diagnostics);
  diagnostics.push(...kube.diagnostics);
  if (hasErrors(diagnostics)) return reused ? plain() : { ...base, diagnostics };
  const lockKnown = shared ? (records!.store.get(`g:${shared}`) as { lock?: unknown } | undefined) : undefined;
  const lockDiagnostics = reused && Array.isArray(lockKnown?.lock) ? (lockKnown.lock as Diagnostic[]) : lockOf().diagnostics;
  // The lock entries of a service loaded now: when the lock's diagnostics came from a record
  // (none: records are written only by compiles without errors, for exactly these lock bytes),
  // its own part of the lock is parsed alone; else the whole lock, as read.
  let lockLoaded: ReturnType<typeof loadChecked> | undefined;
  const lockFor = (service: string): { lock: Lock; doc?: LoadedDoc } => {
    if (lockRead || lockDiagnostics.length > 0 || !lockInput.bytes || lockInput.problem) return lockOf();
    // the cache's copy of this service's part of the lock alone, when it keeps one
    const part = lockHash !== null && !lockLoaded ? opts.cache?.lockPart?.(`lock:${lockHash}`, service) : undefined;
    if (part !== undefined) {
      const doc = cachedDoc(project.lockFile, lockInput.bytes, part, { maxBytes: LOCK_MAX_BYTES });
      const p = parseLock(doc, service);
      if (p.diagnostics.length === 0) return { lock: p.lock, doc };
    }
    const r = (lockLoaded ??= loadChecked('lock', project.lockFile, lockInput.bytes, validateLock, opts.cache, { maxBytes: LOCK_MAX_BYTES }));
    if (!r.doc || r.diagnostics.length > 0) return lockOf();
    const p = parseLock(r.doc, service);
    return p.diagnostics.length > 0 ? lockOf() : { lock: p.lock, doc: r.doc };
  };
  diagnostics.push(...lockDiagnostics);
  if (lockInput.problem) return { ...base, diagnostics };
  if (opts.validateOnly) {
    const lockRead = lockOf();
    // validate checks the lock as an input (syntax, schema, registries and packages), not its freshness
    for (const decl of project.services) {
      for (const env of project.environments) {
        const entry = lockRead.lock.get(lockKey(decl.name, env.name));
        if (entry) diagnostics.push(...checkEntryTarget(entry, effectiveService(decl, env.name).artifact, project.lockFile, lockRead.doc));
      }
    }
    // Project templates are also tried against every service and environment the lock has a
    // current entry for (in memory): a field one service lacks fails validate, not only render.
    if (!hasErrors(diagnostics)) diagnostics.push(...(await probeTemplates(source, project, templates(), opts.cache)));
    return { ...base, diagnostics };
  }

  const lockFailed = hasErrors(lockDiagnostics);
  const envs = project.environments.filter((e) => !opts.envs || opts.envs.includes(e.name));
  /** The lock checks, units and artifacts of a loaded service. */
  const unitsOf = (decl: ServiceDecl): { lock: Diagnostic[]; units: UnitJob[]; artifacts: ResolvedArtifact[] } => {
    const out = { lock: [] as Diagnostic[], units: [] as UnitJob[], artifacts: [] as ResolvedArtifact[] };
    if (lockFailed) return out; // reported above; a failing lock is never rendered
    const { lock, doc: lockDoc } = lockFor(decl.name);
    for (const env of envs) {
      const eff = effectiveService(decl, env.name);
      const at = () => ({ file: decl.file, ...decl.doc.position(eff.artifactPath, 'key'), service: decl.name, environment: env.name });
      const entry = lock.get(lockKey(decl.name, env.name));
      if (!entry) {
        out.lock.push(error('LOCK_STALE', `${decl.name} (${env.name}) has no entry in ${project.lockFile}: run \`gitopsc resolve\``, { ...at(), reason: 'no-entry' }));
        continue;
      }
      if (entry.fingerprint !== fingerprint(eff.artifact)) {
        out.lock.push(error('LOCK_STALE', `${decl.name} (${env.name}): the selection criteria changed since ${project.lockFile} was written: run \`gitopsc resolve\``, { ...at(), reason: 'criteria-changed' }));
        continue;
      }
      const target = checkEntryTarget(entry, eff.artifact, project.lockFile, lockDoc);
      out.lock.push(...target);
      if (target.length) continue;
      out.lock.push(...checkPolicy(project, decl, entry, eff.artifactPath));
      const badTag = targetPlugin(eff.target)?.traits?.imageTag ? tagProblem(entry.tag) : undefined;
      if (badTag) {
        out.lock.push(error('KUBERNETES', `${decl.name} (${env.name}): ${badTag.message}; the rendered image reference would be invalid`, { reason: badTag.reason, ...at(), ...(badTag.hint ? { hint: badTag.hint } : {}) }));
        continue;
      }
      const unit = unitFor(project, decl, env, eff, entry);
      const reference = unit.artifact.reference;
      const { file: _file, ...inputs } = unit;
      // where the target's files go (lambda: output.lambdaDir)
      const outputPrefix = targetPlugin(eff.target)?.outputPrefix?.(project) ?? '';
      out.units.push({
        key: contentHash(VERSION_SALT + templateHash + outputPrefix + JSON.stringify(inputs)),
        service: decl.name,
        environment: env.name,
        target: eff.target,
        render: () => renderUnit(templatesOf(eff.target), unit, outputPrefix, kube.checker),
        context: () => buildContext(unit),
      });
      out.artifacts.push(artifactOf(decl.name, env.name, entry, reference));
    }
    return out;
  };
  /** A record's units: they render once `prepare` has loaded the service again. */
  const materialized = new Map<string, UnitJob[]>();
  const recordOf = new Map<UnitJob, ServiceRecord>();
  const unitsFromRecord = (rec: ServiceRecord): UnitJob[] =>
    rec.units.map((u, i) => {
      const job = (): UnitJob => {
        const j = materialized.get(rec.file)?.[i];
        if (!j || j.key !== u.key || j.environment !== u.environment) throw new StaleRecordError(rec.file);
        return j;
      };
      const unit: UnitJob = { key: u.key, service: rec.name, environment: u.environment, target: u.target, render: () => job().render(), context: () => job().context() };
      recordOf.set(unit, rec);
      return unit;
    });

  const units: UnitJob[] = [];
  const fresh: ServiceRecord[] = [];
  /** per service, in order: its artifacts (loaded now), or the record whose units' lock entries give them */
  const pinned: (ResolvedArtifact[] | ServiceRecord)[] = [];
  for (const w of works) {
    if (w.record) {
      diagnostics.push(...w.record.lock);
      units.push(...unitsFromRecord(w.record));
      pinned.push(w.record);
      continue;
    }
    if (!w.decl) continue;
    const r = unitsOf(w.decl);
    diagnostics.push(...r.lock);
    units.push(...r.units);
    pinned.push(r.artifacts);
    fresh.push({ file: w.file, hash: w.hash!, name: w.decl.name, load: w.load, check: w.check, targets: w.targets, lock: r.lock, units: r.units.map((u) => ({ key: u.key, environment: u.environment, target: u.target })) });
  }
  // a record's units render from lock entries that name the service's registry and package (else
  // it would hold an error): its artifacts are those entries' (the lock is parsed when asked)
  let artifactList: ResolvedArtifact[] | undefined;
  const artifactsNow = (): ResolvedArtifact[] =>
    (artifactList ??= pinned.flatMap((p) => {
      if (Array.isArray(p)) return p;
      const lock = lockOf().lock;
      return p.units.map((u) => {
        const entry = lock.get(lockKey(p.name, u.environment))!;
        return artifactOf(p.name, u.environment, entry, referenceFor(project.config.registries?.[entry.registry], entry.package));
      });
    }));
  if (reused && hasErrors(diagnostics)) return plain();
  if (shared && !hasErrors(diagnostics)) {
    records!.store.set(`g:${shared}`, { lock: lockDiagnostics });
    for (const r of fresh) records!.store.set(recordKey(r.file, r.hash), r);
  }
  // the units of records render from their file read again (it must still hash the same)
  const prepare = async (needed: readonly UnitJob[]): Promise<boolean> => {
    const recs = new Set<ServiceRecord>();
    for (const u of needed) {
      const rec = recordOf.get(u);
      if (rec && !materialized.has(rec.file)) recs.add(rec);
    }
    const ok = await Promise.all(
      [...recs].map(async (rec) => {
        const { bytes } = await readInput(source, rec.file);
        if (!bytes || contentHash(bytes) !== rec.hash) return false;
        const r = loadServiceFile(rec.file, bytes, opts.cache);
        if (!r.decl || r.decl.name !== rec.name) return false;
        const jobs = unitsOf(r.decl).units;
        if (jobs.length !== rec.units.length || jobs.some((j, i) => j.key !== rec.units[i]!.key)) return false;
        materialized.set(rec.file, jobs);
        return true;
      }),
    );
    return ok.every(Boolean);
  };
  const files: RenderedFile[] = [];
  if (!opts.lazy) {
    if (reused && !(await prepare(units))) return plain();
    for (const u of units) {
      const r = u.render();
      diagnostics.push(...r.diagnostics);
      files.push(...r.files);
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  const state: CompileState = { ...base, diagnostics, files, artifacts: [], units, prepare, lock: reused ? lockRead?.lock : lockOf().lock };
  // the lock's text is decoded when asked for (a render never asks; the lock can be large)
  let lockText: string | undefined;
  const lockTextNow = () => (lockText ??= lockRead?.text ?? (lockInput.bytes ? new TextDecoder().decode(lockInput.bytes) : undefined));
  Object.defineProperty(state, 'lockText', { get: lockTextNow, enumerable: true, configurable: true });
  if (lockHash !== null) state.lockHash = lockHash;
  if (reused) Object.defineProperty(state, 'artifacts', { get: artifactsNow, enumerable: true, configurable: true });
  else state.artifacts = artifactsNow();
  return state;
}
