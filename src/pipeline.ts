/**
 * The compiler pipeline as one pure-ish orchestration over a ProjectSource:
 * load config -> load services -> validate -> check -> (resolve) -> render -> plan.
 * The lead engineer owns this file. Types are stable; bodies land incrementally.
 */
import type { Diagnostic } from './diagnostics.js';

/** Where project files come from: the working tree (fs) or a git revision (objects). */
export interface ProjectSource {
  /** shown in messages only */
  describe: string;
  /** Every file under the project root, project-relative with `/` separators, sorted. */
  list(): Promise<string[]>;
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

export interface ResolvedArtifact {
  service: string;
  environment: string;
  registry: string;
  package: string;
  tag: string;
  digest?: string;
  fileDigest?: string;
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

// ---------------------------------------------------------------------------------------------
// compile: the offline pipeline used by validate, render, diff and publish

import { checkProject } from './check/semantic.js';
import { error, hasErrors } from './diagnostics.js';
import { loadYaml } from './load/yaml.js';
import { effectiveService } from './project/effective.js';
import { loadProject, type ConfigRef } from './project/load.js';
import type { Project } from './project/types.js';
import type { RenderUnit } from './render/context.js';
import { imageReference } from './render/context.js';
import { createTemplateEngine } from './render/handlebars.js';
import { compileTemplates, renderUnit, type TemplateSet } from './render/render.js';
import { builtinTemplates, projectTemplates } from './render/templates.js';
import { fingerprint, lockKey, parseLock, type Lock } from './resolve/lock.js';
import { checkPolicy } from './resolve/policy.js';
import { referenceFor } from './resolve/reference.js';

export { fsSource } from './source/fs.js';
export { discoverProject } from './config/discover.js';

export interface CompileOptions extends ConfigRef {
  /** environments to render (default: all) */
  envs?: string[];
  /** stop after validation (no lock, no render) */
  validateOnly?: boolean;
}

export interface CompileState extends CompileResult {
  project?: Project;
  lock?: Lock;
  /** the lock file's bytes as read (undefined when absent) */
  lockText?: string;
}

export async function loadLock(source: ProjectSource, file: string): Promise<{ lock: Lock; text?: string; diagnostics: Diagnostic[] }> {
  const bytes = await source.read(file);
  if (!bytes) return { lock: new Map(), diagnostics: [] };
  const r = loadYaml(file, bytes, { maxBytes: 64 * 1024 * 1024 });
  if (!r.doc) return { lock: new Map(), text: new TextDecoder().decode(bytes), diagnostics: r.diagnostics };
  const p = parseLock(r.doc);
  return { lock: p.lock, text: new TextDecoder().decode(bytes), diagnostics: p.diagnostics };
}

/** Templates: the built-ins, overridden or extended by the project's template directory. */
export async function loadTemplateSet(source: ProjectSource, project: Project, files?: readonly string[]): Promise<TemplateSet> {
  const own = project.templatesDir ? await projectTemplates(source, project.templatesDir, files ?? (await source.list())) : [];
  return compileTemplates(createTemplateEngine(), [...builtinTemplates(), ...own]);
}

export async function compile(source: ProjectSource, opts: CompileOptions): Promise<CompileState> {
  const empty = { outputDir: 'rendered', environments: [] as string[], files: [] as RenderedFile[], artifacts: [] as ResolvedArtifact[] };
  const loaded = await loadProject(source, opts);
  const diagnostics = [...loaded.diagnostics];
  const project = loaded.project;
  if (!project) return { ...empty, diagnostics };
  const environments = project.environments.map((e) => e.name);
  const base = { ...empty, outputDir: project.outputDir, environments, project };
  for (const env of opts.envs ?? []) {
    if (!environments.includes(env)) diagnostics.push(error('USAGE', `--env ${env} is not an environment of this project (${environments.join(', ')})`));
  }
  diagnostics.push(...checkProject(project));
  const templateFiles = project.templatesDir ? await source.list() : [];
  const templates = await loadTemplateSet(source, project, templateFiles);
  diagnostics.push(...templates.diagnostics);
  if (opts.validateOnly || hasErrors(diagnostics)) return { ...base, diagnostics };

  const lockRead = await loadLock(source, project.lockFile);
  diagnostics.push(...lockRead.diagnostics);
  const lock = lockRead.lock;
  const files: RenderedFile[] = [];
  const artifacts: ResolvedArtifact[] = [];
  const envs = project.environments.filter((e) => !opts.envs || opts.envs.includes(e.name));
  for (const decl of project.services) {
    for (const env of envs) {
      const eff = effectiveService(decl, env.name);
      const at = { file: decl.file, ...decl.doc.position(eff.artifactPath, 'key'), service: decl.name, environment: env.name };
      const entry = lock.get(lockKey(decl.name, env.name));
      if (!entry) {
        diagnostics.push(error('LOCK_STALE', `${decl.name} (${env.name}) has no entry in ${project.lockFile}: run \`gitopsc resolve\``, at));
        continue;
      }
      if (entry.fingerprint !== fingerprint(eff.artifact)) {
        diagnostics.push(error('LOCK_STALE', `${decl.name} (${env.name}): the selection criteria changed since ${project.lockFile} was written: run \`gitopsc resolve\``, at));
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
      };
      const r = renderUnit(templates, unit);
      diagnostics.push(...r.diagnostics);
      files.push(...r.files);
      artifacts.push({
        service: decl.name,
        environment: env.name,
        registry: entry.registry,
        package: entry.package,
        tag: entry.tag,
        digest: entry.digest,
        fileDigest: entry.fileDigest,
        image: imageReference(reference, entry.tag, entry.digest),
      });
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ...base, diagnostics, files, artifacts, lock, lockText: lockRead.text };
}
