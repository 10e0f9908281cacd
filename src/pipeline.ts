/**
 * The offline compiler pipeline over a ProjectSource, shared by validate, render, diff and
 * publish: load config -> load services -> validate -> check -> lock -> render units.
 * It reads only through the source; writing is the caller's (src/write).
 */
import { tagProblem } from './core/image.js';
import { checkProject, checkTargets } from './check/semantic.js';
import { contentHash } from './core/hash.js';
import { error, hasErrors, type Diagnostic } from './core/diagnostics.js';
import type { LockEntry } from './core/model.js';
import { effectiveService } from './project/effective.js';
import { loadChecked, loadProject, type ConfigRef, type InputCache } from './project/load.js';
import type { Project, ServiceDecl } from './project/types.js';
import { apiSchema, supportedVersions } from './validate/kubernetes/api-schema.js';
import { loadCrds } from './validate/kubernetes/crd.js';
import type { ManifestChecker } from './validate/kubernetes/rendered.js';
import { buildContext, imageReference, type RenderUnit } from './render/context.js';
import { createTemplateEngine } from './render/handlebars.js';
import { compileTemplates, renderUnit, templateKind, type TemplateSet, type TemplateSource } from './render/render.js';
import { builtinTemplates, projectTemplates } from './render/templates.js';
import { conflictMarker, fingerprint, lockKey, parseLock, type Lock } from './resolve/lock.js';
import { validateLock } from './validate/index.js';
import type { LoadedDoc } from './load/types.js';
import { checkPolicy } from './resolve/policy.js';
import { referenceFor } from './resolve/reference.js';
import { targetPlugin } from './targets/index.js';
import { readInput, UnreadableError } from './source/errors.js';

const DEFAULT_KUBERNETES_VERSION = '1.32';

export type { CompileResult, ProjectSource, RenderedFile, ResolvedArtifact, SourceProblem } from './core/types.js';
import type { CompileResult, ProjectSource, RenderedFile, ResolvedArtifact } from './core/types.js';

export { fsSource } from './source/fs.js';
export { discoverProject } from './config/discover.js';

export interface CompileOptions extends ConfigRef {
  /** environments to render (default: all) */
  envs?: string[];
  /** stop after validation (no lock, no render) */
  validateOnly?: boolean;
  /** do not render: return `units` to render on demand (the render command's cache) */
  lazy?: boolean;
  /** validated inputs by content hash (src/cache/store.ts) */
  cache?: InputCache;
}

export interface CompileState extends CompileResult {
  project?: Project;
  lock?: Lock;
  /** the lock file's bytes as read (undefined when absent) */
  lockText?: string;
  /** every unit, rendered or not (with `lazy`, `files` stays empty and units render on demand) */
  units: UnitJob[];
  /** template compile errors, once the templates were compiled (lazily with `lazy`) */
  templateDiagnostics(): Diagnostic[];
  /** the file names the templates render (`deployment.yaml`, `function.json`, ...): the ownership adoption rule */
  outputNames(): string[];
  /**
   * The same names read from the template sources, without compiling them (no template is
   * parsed when every unit's files are known): equal to `outputNames()` whenever the templates
   * compile, and a render whose templates do not fails before it needs the names.
   */
  sourceNames(): string[];
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
  // an unreadable lock is an error, never an absent one (resolve would re-pin every service)
  const { bytes, problem } = await readInput(source, file);
  if (problem) return { lock: new Map(), diagnostics: [problem], unreadable: true };
  if (!bytes) return { lock: new Map(), diagnostics: [] };
  const text = new TextDecoder().decode(bytes);
  const marker = conflictMarker(file, text);
  if (marker) return { lock: new Map(), text, conflict: true, diagnostics: [marker] };
  const r = loadChecked('lock', file, bytes, validateLock, cache, { maxBytes: 64 * 1024 * 1024 });
  if (!r.doc) return { lock: new Map(), text, diagnostics: r.diagnostics };
  const p = parseLock(r.doc);
  // lenient (resolve): keep the entries that are well-formed, so that one bad entry is resolved
  // again without re-pinning every other service
  if (opts.lenient) return { lock: p.lock, text, doc: r.doc, diagnostics: r.diagnostics.length ? r.diagnostics : p.diagnostics };
  if (hasErrors(r.diagnostics)) return { lock: new Map(), text, doc: r.doc, diagnostics: r.diagnostics };
  return { lock: hasErrors(p.diagnostics) ? new Map() : p.lock, text, doc: r.doc, diagnostics: [...r.diagnostics, ...p.diagnostics] };
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

export async function compile(source: ProjectSource, opts: CompileOptions): Promise<CompileState> {
  let set: TemplateSet | undefined;
  const empty = {
    outputDir: 'rendered',
    environments: [] as string[],
    files: [] as RenderedFile[],
    artifacts: [] as ResolvedArtifact[],
    units: [] as UnitJob[],
    templateDiagnostics: () => set?.diagnostics ?? [],
    outputNames: () => [] as string[],
    sourceNames: () => [] as string[],
  };
  const loaded = await loadProject(source, opts, { withCatalogs: Boolean(opts.validateOnly), cache: opts.cache });
  const diagnostics = [...loaded.diagnostics];
  const project = loaded.project;
  if (!project) return { ...empty, diagnostics };
  const environments = project.environments.map((e) => e.name);
  const base = { ...empty, outputDir: project.outputDir, environments, project };
  for (const env of opts.envs ?? []) {
    if (!environments.includes(env)) diagnostics.push(error('USAGE', `--env ${env} is not an environment of this project (${environments.join(', ')})`, { reason: 'unknown-environment' }));
  }
  diagnostics.push(...checkProject(project), ...checkTargets(project));
  const templateFiles = project.templatesDir ? await source.list() : [];
  let sources: TemplateSource[] = builtinTemplates();
  try {
    sources = await loadTemplateSources(source, project, templateFiles);
  } catch (e) {
    if (!(e instanceof UnreadableError)) throw e;
    diagnostics.push(e.diagnostic());
  }
  const templates = (): TemplateSet => (set ??= compiledTemplates(sources));
  base.outputNames = () => [...new Set(templates().templates.map((t) => t.name))].sort();
  base.sourceNames = () => [...new Set(sources.filter((t) => templateKind(t.name)).map((t) => t.name))].sort();
  // Lambda output can go to its own root below the output directory (output.lambdaDir)
  if (!opts.lazy || opts.validateOnly) diagnostics.push(...templates().diagnostics);
  const kube = await loadKubernetesChecks(source, project);
  diagnostics.push(...kube.diagnostics);
  if (hasErrors(diagnostics)) return { ...base, diagnostics };
  const lockRead = await loadLock(source, project.lockFile, opts.cache);
  diagnostics.push(...lockRead.diagnostics);
  if (lockRead.unreadable) return { ...base, diagnostics };
  if (opts.validateOnly) {
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
  const templateHash = contentHash(JSON.stringify([sources.map((t) => [t.target, t.name, t.file, t.source]), kube.key]));

  const lock = lockRead.lock;
  const lockFailed = hasErrors(lockRead.diagnostics);
  const files: RenderedFile[] = [];
  const artifacts: ResolvedArtifact[] = [];
  const units: UnitJob[] = [];
  const envs = project.environments.filter((e) => !opts.envs || opts.envs.includes(e.name));
  for (const decl of project.services) {
    for (const env of envs) {
      const eff = effectiveService(decl, env.name);
      const at = () => ({ file: decl.file, ...decl.doc.position(eff.artifactPath, 'key'), service: decl.name, environment: env.name });
      const entry = lock.get(lockKey(decl.name, env.name));
      if (lockFailed) continue; // reported above; a failing lock is never rendered
      if (!entry) {
        diagnostics.push(error('LOCK_STALE', `${decl.name} (${env.name}) has no entry in ${project.lockFile}: run \`gitopsc resolve\``, { ...at(), reason: 'no-entry' }));
        continue;
      }
      if (entry.fingerprint !== fingerprint(eff.artifact)) {
        diagnostics.push(error('LOCK_STALE', `${decl.name} (${env.name}): the selection criteria changed since ${project.lockFile} was written: run \`gitopsc resolve\``, { ...at(), reason: 'criteria-changed' }));
        continue;
      }
      const target = checkEntryTarget(entry, eff.artifact, project.lockFile, lockRead.doc);
      diagnostics.push(...target);
      if (target.length) continue;
      diagnostics.push(...checkPolicy(project, decl, entry, eff.artifactPath));
      const badTag = targetPlugin(eff.target)?.traits?.imageTag ? tagProblem(entry.tag) : undefined;
      if (badTag) {
        diagnostics.push(error('KUBERNETES', `${decl.name} (${env.name}): ${badTag.message}; the rendered image reference would be invalid`, { reason: badTag.reason, ...at(), ...(badTag.hint ? { hint: badTag.hint } : {}) }));
        continue;
      }
      const unit = unitFor(project, decl, env, eff, entry);
      const reference = unit.artifact.reference;
      const { file: _file, ...inputs } = unit;
      // where the target's files go (lambda: output.lambdaDir)
      const outputPrefix = targetPlugin(eff.target)?.outputPrefix?.(project) ?? '';
      units.push({
        key: contentHash(VERSION_SALT + templateHash + outputPrefix + JSON.stringify(inputs)),
        service: decl.name,
        environment: env.name,
        target: eff.target,
        render: () => renderUnit(templates(), unit, outputPrefix, kube.checker),
        context: () => buildContext(unit),
      });
      artifacts.push({
        service: decl.name,
        environment: env.name,
        registry: entry.registry,
        package: entry.package,
        tag: entry.tag,
        digest: entry.digest,
        fileDigest: entry.fileDigest,
        ...(entry.versionId ? { versionId: entry.versionId } : {}),
        image: imageReference(reference, entry.tag, entry.digest),
      });
    }
  }
  if (!opts.lazy) {
    for (const u of units) {
      const r = u.render();
      diagnostics.push(...r.diagnostics);
      files.push(...r.files);
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  return { ...base, diagnostics, files, artifacts, units, lock, lockText: lockRead.text };
}
