/**
 * Load a project from a ProjectSource: config, service files, static catalogs. Pure over the
 * source (no fs, no network): every user mistake becomes a located diagnostic.
 */
import { error, type Diagnostic } from '../core/diagnostics.js';
import { loadYaml } from '../load/yaml.js';
import type { LoadedDoc, LoadResult } from '../load/types.js';
import type { LoadOptions } from '../load/yaml.js';
import { contentHash } from '../core/hash.js';
import type { ProjectConfig, ServiceFile, VersionInfo } from '../core/model.js';
import type { ProjectSource } from '../core/types.js';
import { readInput } from '../source/errors.js';
import { couldHoldMatches, matchGlobs } from '../source/glob.js';
import { validateCatalog, validateConfig, validateService } from '../validate/index.js';
import { safeRelative } from './paths.js';
import type { Project, ServiceDecl } from './types.js';

/** Validated file contents by content hash: a file that loaded and validated cleanly once is not parsed or validated again. */
export interface InputCache {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  /**
   * Optional: the lock data cached under `key` (`lock:<contentHash>`) with `services` holding only
   * `service`'s entries, read without the rest; undefined when not cached.
   */
  lockPart?(key: string, service: string): unknown;
}

/** A document whose data came from the cache: positions are read from the bytes only when a diagnostic asks for one. */
export function cachedDoc(file: string, bytes: Uint8Array, data: unknown, opts: LoadOptions = {}): LoadedDoc {
  let real: LoadedDoc | undefined;
  const full = (): LoadedDoc => (real ??= loadYaml(file, bytes, opts).doc ?? { file, data, position: () => ({ line: 1, column: 1 }) });
  return { file, data, position: (p, t) => full().position(p, t), scalarSource: (p) => full().scalarSource?.(p) };
}

/**
 * Load and check one file, or take its data from the cache. A cached document reads its
 * positions from the bytes only when a diagnostic asks for one.
 */
export function loadChecked(kind: string, file: string, bytes: Uint8Array, check: (doc: LoadedDoc) => Diagnostic[], cache?: InputCache, opts: LoadOptions = {}): LoadResult {
  const key = cache ? `${kind}:${contentHash(bytes)}` : '';
  const hit = cache?.get(key);
  if (hit !== undefined) return { doc: cachedDoc(file, bytes, hit, opts), diagnostics: [] };
  const r = loadYaml(file, bytes, opts);
  if (!r.doc) return r;
  const v = check(r.doc);
  if (cache && r.diagnostics.length === 0 && v.length === 0) cache.set(key, r.doc.data);
  return { doc: r.doc, diagnostics: [...r.diagnostics, ...v] };
}

export interface ConfigRef {
  configFile: string;
  configData?: unknown;
  configKey?: string;
}

/** A LoadedDoc view of a sub-tree (package.json "gitopsc" key). */
function subDoc(doc: LoadedDoc, prefix: string[]): LoadedDoc {
  let data: unknown = doc.data;
  for (const k of prefix) data = (data as Record<string, unknown> | undefined)?.[k];
  return { file: doc.file, data, position: (path, target) => doc.position([...prefix, ...path], target) };
}

/** A positionless doc for JS/TS configs: every diagnostic points at line 1. */
function plainDoc(file: string, data: unknown): LoadedDoc {
  return { file, data, position: () => ({ line: 1, column: 1 }) };
}

function isBlank(bytes: Uint8Array): boolean {
  return new TextDecoder().decode(bytes).split('\n').every((l) => l.trim() === '' || l.trim().startsWith('#'));
}

export async function loadConfig(source: ProjectSource, ref: ConfigRef, cache?: InputCache): Promise<{ doc?: LoadedDoc; configPath: string[]; diagnostics: Diagnostic[]; hash?: string }> {
  if (ref.configData !== undefined) {
    const data = ref.configData && typeof ref.configData === 'object' && 'default' in (ref.configData as object) ? (ref.configData as { default: unknown }).default : ref.configData;
    const doc = plainDoc(ref.configFile, data);
    return { doc, configPath: [], diagnostics: validateConfig(doc) };
  }
  const { bytes, problem } = await readInput(source, ref.configFile);
  if (problem) return { configPath: [], diagnostics: [problem] };
  if (!bytes) return { configPath: [], diagnostics: [error('CONFIG_NOT_FOUND', `config file ${ref.configFile} does not exist`, { reason: 'missing-config-file' })] };
  const configPath = ref.configKey ? [ref.configKey] : [];
  if (isBlank(bytes)) {
    // an empty config file (or one with comments only) means every default
    return { doc: { file: ref.configFile, data: {}, position: () => ({ line: 1, column: 1 }) }, configPath, diagnostics: [], hash: contentHash(bytes) };
  }
  const check = (whole: LoadedDoc): Diagnostic[] => {
    const doc = configPath.length ? subDoc(whole, configPath) : whole;
    return validateConfig(doc.data === null || doc.data === undefined ? { ...doc, data: {} } : doc);
  };
  // the same bytes validate differently as package.json (under its key) and as a config file
  const loaded = loadChecked(`config:${configPath.join('.')}`, ref.configFile, bytes, check, cache);
  if (!loaded.doc) return { configPath: [], diagnostics: loaded.diagnostics };
  const doc = configPath.length ? subDoc(loaded.doc, configPath) : loaded.doc;
  if (doc.data === null || doc.data === undefined) doc.data = {};
  return { doc, configPath, diagnostics: loaded.diagnostics, hash: contentHash(bytes) };
}

function pathDiag(doc: LoadedDoc, path: (string | number)[], what: string, value: string): Diagnostic {
  const pos = doc.position(path, 'value');
  return error('SCHEMA', `${what} "${value}" must be a relative path inside the project (no absolute paths, no "..")`, { reason: 'unsafe-path', file: doc.file, ...pos });
}

/**
 * A project before its services are loaded: the config, its paths, and the service files the
 * patterns match. `diagnostics` are those a full load reports before the services' own, `late`
 * those it reports after them (output.lambdaDir); `configHash` is the config file's content hash
 * (undefined for a JS/TS config's evaluated data).
 */
export interface ProjectFrame {
  project: Project;
  files: string[];
  diagnostics: Diagnostic[];
  late: Diagnostic[];
  configHash?: string;
}

/** One service file: loaded and validated (through the cache), its declaration when it has no error. */
export function loadServiceFile(file: string, bytes: Uint8Array, cache?: InputCache): { decl?: ServiceDecl; diagnostics: Diagnostic[] } {
  const r = loadChecked('service', file, bytes, validateService, cache);
  if (!r.doc || r.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: r.diagnostics };
  const data = r.doc.data as ServiceFile;
  return { decl: { name: data.metadata.name, file, doc: r.doc, data }, diagnostics: r.diagnostics };
}

/** `withCatalogs: false` skips static catalogs: rendering works from the lock alone. */
export async function loadProject(
  source: ProjectSource,
  ref: ConfigRef,
  opts: { withCatalogs?: boolean; cache?: InputCache } = {},
): Promise<{ project?: Project; diagnostics: Diagnostic[] }> {
  const f = await loadFrame(source, ref, opts);
  if (!f.frame) return { diagnostics: f.diagnostics };
  const { project, files, late } = f.frame;
  const diagnostics = [...f.frame.diagnostics];
  const loadedServices = await Promise.all(files.map(async (f) => ({ f, ...(await readInput(source, f)) })));
  for (const { f, bytes, problem } of loadedServices) {
    if (problem) diagnostics.push(problem);
    if (!bytes) continue;
    const r = loadServiceFile(f, bytes, opts.cache);
    diagnostics.push(...r.diagnostics);
    if (r.decl) project.services.push(r.decl);
  }
  if (opts.withCatalogs !== false) diagnostics.push(...(await loadCatalogs(source, project, opts.cache)));
  diagnostics.push(...late);
  return { project, diagnostics };
}

/** The static catalogs of the config's registries into `project.catalogs`; their diagnostics. */
export async function loadCatalogs(source: ProjectSource, project: Project, cache?: InputCache): Promise<Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  const doc = project.configDoc!;
  for (const [name, reg] of Object.entries(project.config.registries ?? {})) {
    if (typeof reg.path !== 'string') continue;
    const file = safeRelative(reg.path)!;
    const { bytes, problem } = await readInput(source, file);
    if (problem) {
      diagnostics.push(problem);
      continue;
    }
    if (!bytes) {
      diagnostics.push(error('SCHEMA', `${reg.type} catalog ${file} of registry "${name}" does not exist`, { reason: 'missing-path', file: doc.file, ...doc.position(['registries', name, 'path'], 'value') }));
      continue;
    }
    const r = loadChecked('catalog', file, bytes, validateCatalog, cache, { maxBytes: 64 * 1024 * 1024 });
    diagnostics.push(...r.diagnostics);
    if (!r.doc || r.diagnostics.some((d) => d.severity === 'error')) continue;
    const packages = (r.doc.data as { packages?: Record<string, VersionInfo[]> }).packages ?? {};
    project.catalogs.set(name, new Map(Object.entries(packages).map(([pkg, versions]) => [pkg, versions.map(normalizeCatalogVersion)])));
  }
  return diagnostics;
}

/** The config, its paths and the matching service files, without loading the services (see ProjectFrame). */
export async function loadFrame(source: ProjectSource, ref: ConfigRef, opts: { cache?: InputCache } = {}): Promise<{ frame?: ProjectFrame; diagnostics: Diagnostic[] }> {
  const cfg = await loadConfig(source, ref, opts.cache);
  const diagnostics = [...cfg.diagnostics];
  if (!cfg.doc || diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const doc = cfg.doc;
  const config = doc.data as ProjectConfig;

  const paths: Record<string, string> = {};
  const checkPath = (key: string, path: (string | number)[], value: string | undefined, fallback: string) => {
    const v = value ?? fallback;
    const safe = safeRelative(v);
    if (safe === undefined || (key === 'output' && safe === '.')) diagnostics.push(pathDiag(doc, path, path.join('.'), v));
    else if (key === 'output' && /^(\.git|\.gitopsc)(\/|$)/.test(safe)) {
      // git's own directory and gitopsc's cache are never an output directory
      diagnostics.push(error('SCHEMA', `${path.join('.')} "${v}" must not be inside ${safe.split('/')[0]!}/`, { reason: 'reserved-path', file: doc.file, ...doc.position(path, 'value') }));
    } else paths[key] = safe;
  };
  checkPath('output', ['output', 'dir'], config.output?.dir, 'rendered');
  checkPath('lock', ['lock'], config.lock, 'gitopsc.lock');
  if (config.templates !== undefined) checkPath('templates', ['templates'], config.templates, '');
  if (config.kubernetes?.crds !== undefined) checkPath('crds', ['kubernetes', 'crds'], config.kubernetes.crds, '');
  // a registry's `path` names its local version catalog (the static provider; any provider may declare one)
  for (const [name, reg] of Object.entries(config.registries ?? {})) {
    if (typeof reg.path === 'string') checkPath(`catalog:${name}`, ['registries', name, 'path'], reg.path, '');
  }
  const patterns = config.services ?? ['services/**/*.yaml'];
  patterns.forEach((p, i) => {
    if (safeRelative(p.replace(/^!/, '')) === undefined) diagnostics.push(pathDiag(doc, ['services', i], 'services pattern', p));
  });
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };

  const scanned = source.scan ? await source.scan([paths.output!]) : { files: await source.list([paths.output!]), problems: [], dirs: undefined };
  const files = matchGlobs(scanned.files, patterns).filter((f) => f !== ref.configFile && f !== paths.lock);
  // What could not be listed where a service file or a template may be is an error, never a skip:
  // a skipped service would have its rendered files pruned.
  const templatesPrefix = paths.templates === undefined ? undefined : paths.templates === '.' ? '' : `${paths.templates}/`;
  for (const p of scanned.problems) {
    const relevant =
      (p.directory !== false && couldHoldMatches(p.path, patterns)) ||
      (p.directory !== true && matchGlobs([p.path], patterns).length > 0) ||
      (templatesPrefix !== undefined && (`${p.path}/`.startsWith(templatesPrefix) || (p.directory === true && templatesPrefix.startsWith(`${p.path}/`)) || p.path === '.'));
    if (relevant) diagnostics.push(error('FILESYSTEM', p.message, { file: p.path, reason: p.reason ?? 'unreadable' }));
  }
  if (paths.templates !== undefined) {
    const t = paths.templates;
    const at = { file: doc.file, ...doc.position(['templates'], 'value') };
    const kind = source.kind ? await source.kind(t).catch(() => 'unreadable' as const) : scanned.files.some((f) => t === '.' || f.startsWith(`${t}/`)) ? 'dir' : undefined;
    if (kind === undefined) diagnostics.push(error('SCHEMA', `templates directory "${t}" does not exist`, { ...at, reason: 'missing-path' }));
    else if (kind === 'file') diagnostics.push(error('SCHEMA', `templates "${t}" is a file, not a directory`, { ...at, reason: 'not-a-directory' }));
    else if (kind === 'unreadable') diagnostics.push(error('FILESYSTEM', `templates directory "${t}" cannot be read (a symbolic link out of the project, or no permission)`, { ...at, reason: 'unreadable' }));
  }
  // a pattern that matches no file is a typo until proved otherwise: it would render (and
  // publish) zero services over existing output
  if (config.services) {
    config.services.forEach((p, i) => {
      // (unless something it could match could not be read: that is already a FILESYSTEM error)
      const unread = scanned.problems.some((pr) => (pr.directory !== false && couldHoldMatches(pr.path, [p])) || matchGlobs([pr.path], [p]).length > 0);
      if (!p.startsWith('!') && !unread && matchGlobs(scanned.files, [p]).length === 0) {
        diagnostics.push(error('SCHEMA', `services pattern "${p}" matches no file`, { reason: 'no-match', file: doc.file, ...doc.position(['services', i], 'value') }));
      }
    });
  }

  const early = [...diagnostics];
  const environments = (config.environments?.length ? config.environments : [{ name: 'default' }]).map((e) => ({ name: e.name, production: e.production ?? false }));
  let lambdaDir: string | undefined;
  if (config.output?.lambdaDir !== undefined) {
    const v = config.output.lambdaDir;
    const safe = safeRelative(v);
    const at = { file: doc.file, ...doc.position(['output', 'lambdaDir'], 'value') };
    if (safe === undefined || safe === '.') diagnostics.push(pathDiag(doc, ['output', 'lambdaDir'], 'output.lambdaDir', v));
    else if (safe.split('/').some((s) => s.startsWith('.'))) {
      // gitopsc's own files (.gitopsc-owned, the render journal and lock, .gitopsc/) start with a dot,
      // and hidden directories are not part of the output: Lambda files there would never be pruned
      diagnostics.push(error('SCHEMA', `output.lambdaDir "${v}" has a component starting with "."; those names are gitopsc's own files or hidden`, { ...at, reason: 'reserved-path' }));
    } else if (environments.some((e) => e.name === safe.split('/')[0])) {
      diagnostics.push(error('SCHEMA', `output.lambdaDir "${v}" is the directory of environment "${safe.split('/')[0]}": Lambda output must go elsewhere`, { ...at, reason: 'reserved-path' }));
    } else lambdaDir = safe;
  }
  const project: Project = {
    configFile: ref.configFile,
    configDoc: doc,
    configPath: cfg.configPath,
    config,
    environments,
    outputDir: paths.output!,
    lambdaDir,
    kustomization: config.output?.kustomization === true,
    lockFile: paths.lock!,
    templatesDir: paths.templates,
    crdsDir: paths.crds,
    services: [],
    catalogs: new Map(),
  };
  return { frame: { project, files, diagnostics: early, late: diagnostics.slice(early.length), configHash: cfg.hash }, diagnostics };
}

/** Catalog `platforms` may be a list, or a map platform -> created time or `{digest, created}`. */
function normalizeCatalogVersion(v: VersionInfo & { platforms?: unknown }): VersionInfo {
  const out: VersionInfo = { ...v, tag: String(v.tag) };
  const p = v.platforms as unknown;
  if (Array.isArray(p)) out.platforms = p.map((s) => (typeof s === 'string' ? splitPlatform(s) : (s as never)));
  else if (p && typeof p === 'object') {
    out.platforms = Object.entries(p as Record<string, string | { digest?: string; created?: string }>).map(([s, v]) =>
      typeof v === 'string' ? { ...splitPlatform(s), created: v } : { ...splitPlatform(s), ...(v.digest ? { digest: v.digest } : {}), ...(v.created ? { created: v.created } : {}) },
    );
  }
  return out;
}

function splitPlatform(s: string): { os: string; architecture: string; variant?: string } {
  const [os = '', architecture = '', variant] = s.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

