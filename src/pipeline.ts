/**
 * The offline compiler pipeline over a ProjectSource, shared by validate, render, diff and
 * publish: load config -> load services -> validate -> check -> lock -> render units.
 * It reads only through the source; writing is the caller's (src/write).
 */
import { checkProject } from './check/semantic.js';
import { checkLambdaImages } from './check/lambda.js';
import { contentHash } from './hash.js';
import { error, hasErrors, type Diagnostic } from './diagnostics.js';
import type { PinnedArtifact } from './model.js';
import { effectiveService } from './project/effective.js';
import { loadChecked, loadProject, type ConfigRef, type InputCache } from './project/load.js';
import type { Project } from './project/types.js';
import { imageReference, type RenderUnit } from './render/context.js';
import { createTemplateEngine } from './render/handlebars.js';
import { compileTemplates, renderUnit, type TemplateSet, type TemplateSource } from './render/render.js';
import { builtinTemplates, projectTemplates } from './render/templates.js';
import { fingerprint, lockKey, parseLock, type Lock } from './resolve/lock.js';
import { checkPolicy } from './resolve/policy.js';
import { referenceFor } from './resolve/reference.js';
import { lambdaTarget } from './render/lambda.js';

/** Where project files come from: the working tree (fs) or a git revision (objects). */
export interface ProjectSource {
  /** shown in messages only */
  describe: string;
  /**
   * Every file under the project root, project-relative with `/` separators, sorted. A source
   * may leave out the directories in `exclude` (the output directory) to save work.
   */
  list(exclude?: string[]): Promise<string[]>;
  /** A file's bytes, or undefined when absent. */
  read(rel: string): Promise<Uint8Array | undefined>;
}

export interface RenderedFile {
  /** relative to the output dir: `<env>/<service>/<name>` */
  path: string;
  content: string;
  service: string;
  environment: string;
}

export interface ResolvedArtifact extends PinnedArtifact {
  /** the rendered reference: host/prefix/package:tag@digest */
  image: string;
}

export interface CompileResult {
  diagnostics: Diagnostic[];
  /** project-relative output dir from the config (default `rendered`) */
  outputDir: string;
  /** environments the config declares, in order */
  environments: string[];
  files: RenderedFile[];
  artifacts: ResolvedArtifact[];
}

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
}

export async function loadLock(source: ProjectSource, file: string, cache?: InputCache): Promise<{ lock: Lock; text?: string; diagnostics: Diagnostic[] }> {
  const bytes = await source.read(file);
  if (!bytes) return { lock: new Map(), diagnostics: [] };
  const r = loadChecked('lock', file, bytes, (doc) => parseLock(doc).diagnostics, cache, { maxBytes: 64 * 1024 * 1024 });
  if (!r.doc) return { lock: new Map(), text: new TextDecoder().decode(bytes), diagnostics: r.diagnostics };
  const p = parseLock(r.doc);
  return { lock: p.lock, text: new TextDecoder().decode(bytes), diagnostics: p.diagnostics };
}

/** Template sources: the built-ins, overridden or extended by the project's template directory. */
export async function loadTemplateSources(source: ProjectSource, project: Project, files?: readonly string[]): Promise<TemplateSource[]> {
  const own = project.templatesDir ? await projectTemplates(source, project.templatesDir, files ?? (await source.list())) : [];
  return [...builtinTemplates(), ...own];
}


const VERSION_SALT = 'gitopsc-render-1';


/** One (service, environment) to render; `key` changes exactly when its output can change. */
export interface UnitJob {
  key: string;
  service: string;
  environment: string;
  render(): { files: RenderedFile[]; diagnostics: Diagnostic[] };
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
  };
  const loaded = await loadProject(source, opts, { withCatalogs: Boolean(opts.validateOnly), cache: opts.cache });
  const diagnostics = [...loaded.diagnostics];
  const project = loaded.project;
  if (!project) return { ...empty, diagnostics };
  const environments = project.environments.map((e) => e.name);
  const base = { ...empty, outputDir: project.outputDir, environments, project };
  for (const env of opts.envs ?? []) {
    if (!environments.includes(env)) diagnostics.push(error('USAGE', `--env ${env} is not an environment of this project (${environments.join(', ')})`));
  }
  diagnostics.push(...checkProject(project), ...checkLambdaImages(project));
  const templateFiles = project.templatesDir ? await source.list() : [];
  const sources = await loadTemplateSources(source, project, templateFiles);
  const templates = (): TemplateSet => (set ??= compileTemplates(createTemplateEngine(), sources));
  if (!opts.lazy || opts.validateOnly) diagnostics.push(...templates().diagnostics);
  if (opts.validateOnly || hasErrors(diagnostics)) return { ...base, diagnostics };
  const templateHash = contentHash(JSON.stringify(sources.map((t) => [t.target, t.name, t.file, t.source])));

  const lockRead = await loadLock(source, project.lockFile, opts.cache);
  diagnostics.push(...lockRead.diagnostics);
  const lock = lockRead.lock;
  const files: RenderedFile[] = [];
  const artifacts: ResolvedArtifact[] = [];
  const units: UnitJob[] = [];
  const envs = project.environments.filter((e) => !opts.envs || opts.envs.includes(e.name));
  for (const decl of project.services) {
    for (const env of envs) {
      const eff = effectiveService(decl, env.name);
      const at = () => ({ file: decl.file, ...decl.doc.position(eff.artifactPath, 'key'), service: decl.name, environment: env.name });
      const entry = lock.get(lockKey(decl.name, env.name));
      if (!entry) {
        diagnostics.push(error('LOCK_STALE', `${decl.name} (${env.name}) has no entry in ${project.lockFile}: run \`gitopsc resolve\``, at()));
        continue;
      }
      if (entry.fingerprint !== fingerprint(eff.artifact)) {
        diagnostics.push(error('LOCK_STALE', `${decl.name} (${env.name}): the selection criteria changed since ${project.lockFile} was written: run \`gitopsc resolve\``, at()));
        continue;
      }
      diagnostics.push(...checkPolicy(project, decl, entry, eff.artifactPath));
      const registry = project.config.registries?.[eff.artifact.registry];
      const reference = referenceFor(registry, eff.artifact.package);
      const unit: RenderUnit = {
        service: decl.name,
        file: decl.file,
        environment: env,
        labels: decl.data.metadata.labels ?? {},
        target: eff.target,
        spec: eff.spec,
        artifact: { registry: eff.artifact.registry, package: eff.artifact.package, format: eff.artifact.format ?? 'image', file: eff.artifact.file, reference },
        lock: entry,
        ...(eff.target === 'lambda' ? { lambda: lambdaTarget(project.config, env.name, eff.spec, eff.artifact.package) } : {}),
      };
      const { file: _file, ...inputs } = unit;
      units.push({
        key: contentHash(VERSION_SALT + templateHash + JSON.stringify(inputs)),
        service: decl.name,
        environment: env.name,
        render: () => renderUnit(templates(), unit),
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
