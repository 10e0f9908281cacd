/**
 * One resolve run over a project, in memory: load and check the project, read the lock
 * leniently, select a version for every (service, environment) through the registries'
 * providers and return the new lock's text. Nothing is written: the caller decides where the
 * lock goes (the library API; `gitopsc resolve` writes it atomically and saves the caches).
 */
import { cacheDirOf } from '../build/store.js';
import { discoverProject } from '../config/discover.js';
import { checkProject, checkTargets } from '../check/semantic.js';
import { error, hasErrors, type Diagnostic } from '../core/diagnostics.js';
import type { ProjectSource } from '../core/types.js';
import type { Host } from '../host/index.js';
import { loadLock } from '../pipeline.js';
import { loadProject, type ConfigRef, type InputCache } from '../project/load.js';
import type { Project } from '../project/types.js';
import { fsSource } from '../source/fs.js';
import { serializeLock } from '../resolve/lock.js';
import type { Provider } from '../resolve/provider.js';
import { providerKind } from '../resolve/providers/index.js';
import { resolveProject, type ExplainBlock, type ResolvedRow } from '../resolve/resolve.js';
import { unreadInputs } from '../resolve/select/index.js';

/** The providers of the registries in `used`, created from the config through the provider map. */
export async function providersFor(host: Host, root: string, project: Project, used: Set<string>, deadlineMs?: number): Promise<Map<string, Provider>> {
  const out = new Map<string, Provider>();
  for (const [name, config] of Object.entries(project.config.registries ?? {})) {
    if (!used.has(name)) continue;
    const kind = await providerKind(config.type);
    const catalog = project.catalogs.get(name);
    out.set(name, kind.create({ name, config, root, host, cacheDir: cacheDirOf(root), ...(deadlineMs ? { deadlineMs } : {}), ...(catalog ? { catalog } : {}) }));
  }
  return out;
}

/** The registry names any service uses, in any environment. */
export function usedRegistries(project: Project): Set<string> {
  return new Set(project.services.flatMap((d) => [d.data.spec.artifact.registry, ...Object.values(d.data.spec.environments ?? {}).map((o) => o.artifact?.registry ?? '')]));
}

/** The choices of a resolve, as the library's `ResolveOptions` and the CLI's flags give them. */
export interface ResolveChoices {
  /** The door to the outside world for the registries: environment (credential references), clock, `fetch`, logging. See `nodeHost`. */
  host: Host;
  /** Re-select versions that the lock already pins: `true` for every service, or a list of service names (`--update`). */
  update?: boolean | readonly string[];
  /** Environments to resolve. Default: all. */
  envs?: readonly string[];
  /** Runtime inputs for `<+input>` selections: `{ 'checkout.tag': '1.4.3' }` or `{ tag: '1.4.3' }` (`--input`). */
  inputs?: Readonly<Record<string, string>>;
  /** Record why each version was selected (`--explain`). */
  explain?: boolean;
  /** Providers by registry name (as named in the config), used instead of the ones the config would create. */
  providers?: ReadonlyMap<string, Provider>;
  /** Overall deadline of registry requests, in milliseconds (`--registry-timeout`). */
  deadlineMs?: number;
}

/** One in-memory resolve: where the project is, and the choices. */
export interface ResolveRun extends ResolveChoices {
  source: ProjectSource;
  config: ConfigRef;
  /** absolute project root (the config file's directory): provider caches live below it */
  root: string;
  cache?: InputCache;
  /** called as units complete (the CLI's progress line) */
  progress?: (done: number, total: number) => void;
  /** name the environments and services as the CLI's flags (`--env X`, `--update X`) in messages */
  flagWording?: boolean;
  /** more checks of the loaded project before any registry is asked (the CLI's --input syntax, the lock's path) */
  preflight?: (project: Project) => Diagnostic[];
}

/** What a resolve run found: diagnostics, the new lock's text (none on errors), every entry, and the providers used. */
export interface ResolveReport {
  diagnostics: Diagnostic[];
  /** the lock file, project-relative (undefined when the project did not load) */
  lockFile?: string;
  /** the new lock's text; undefined when there are errors (a failing resolve writes no lock) */
  lockText?: string;
  /** the lock's text as read (undefined when absent) */
  previousLockText?: string;
  resolved: ResolvedRow[];
  explain: ExplainBlock[];
  /** the providers this run used (their caches are persisted by `flush`) */
  providers: Provider[];
}

/** Resolve a loaded project's lock in memory through the providers (its own, or the given ones); writes nothing. */
export async function resolveRun(run: ResolveRun): Promise<ResolveReport> {
  const loaded = await loadProject(run.source, run.config, run.cache ? { cache: run.cache } : {});
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  const project = loaded.project;
  const none = { resolved: [], explain: [], providers: [] };
  if (!project) return { diagnostics, ...none };
  diagnostics.push(...checkProject(project), ...checkTargets(project));
  const inputs = { ...run.inputs };
  const flag = (name: string) => (run.flagWording ? `--${name}` : name === 'env' ? 'environment' : name);
  const readers = project.services.map((d) => ({
    service: d.name,
    selects: [d.data.spec.artifact.select, ...Object.values(d.data.spec.environments ?? {}).map((o) => o.artifact?.select)],
  }));
  diagnostics.push(...unreadInputs(inputs, readers).map((m) => error('USAGE', m.message, { reason: 'unused-input' })));
  const envNames = project.environments.map((e) => e.name);
  for (const e of run.envs ?? []) if (!envNames.includes(e)) diagnostics.push(error('USAGE', `${flag('env')} ${e} is not an environment of this project (${envNames.join(', ')})`, { reason: 'unknown-environment' }));
  const updateList = Array.isArray(run.update) ? run.update : [];
  for (const s of updateList) if (!project.services.some((d) => d.name === s)) diagnostics.push(error('USAGE', `${flag('update')} ${s}: no service is named ${s}`, { reason: 'unknown-service' }));
  const lockFile = project.lockFile;
  if (run.preflight) diagnostics.push(...run.preflight(project));
  if (hasErrors(diagnostics)) return { diagnostics, lockFile, ...none };

  const lockRead = await loadLock(run.source, lockFile, run.cache, { lenient: true });
  if (lockRead.unreadable || lockRead.conflict) return { diagnostics: [...diagnostics, ...lockRead.diagnostics], lockFile, ...none };
  diagnostics.push(...lockRead.diagnostics.map((d) => ({ ...d, severity: 'warning' as const, message: `${d.message} (the entry will be resolved again)` })));
  const used = usedRegistries(project);
  const created = await providersFor(run.host, run.root, project, new Set([...used].filter((n) => !run.providers?.has(n))), run.deadlineMs);
  const providers = new Map([...created, ...(run.providers ?? [])]);
  const outcome = await resolveProject(project, lockRead.lock, providers, {
    update: run.update === true ? true : updateList.length ? new Set(updateList) : false,
    inputs,
    ...(run.envs ? { envs: [...run.envs] } : {}),
    ...(run.explain ? { explain: true } : {}),
    ...(run.progress ? { progress: run.progress } : {}),
  });
  diagnostics.push(...outcome.diagnostics);
  const report = { diagnostics, lockFile, resolved: outcome.resolved, explain: outcome.explain, providers: [...created.values()], ...(lockRead.text !== undefined ? { previousLockText: lockRead.text } : {}) };
  return hasErrors(diagnostics) ? report : { ...report, lockText: serializeLock(outcome.lock) };
}

/** A resolve of the project found from `cwd`, as the CLI finds it (the library's `ResolveOptions`). */
export interface ResolveRequest extends ResolveChoices {
  /** The project directory, or a directory below it. Default: the current directory. */
  cwd?: string;
  /** A config file (the CLI's `--config`), relative to `cwd`. */
  config?: string;
}

/** Discover the project from `cwd` (as the CLI does) and resolve it in memory. */
export async function resolveRequest(req: ResolveRequest): Promise<ResolveReport> {
  const found = await discoverProject({ cwd: req.cwd ?? '.', ...(req.config !== undefined ? { config: req.config } : {}) });
  if (!found.ok) return { diagnostics: found.diagnostics, resolved: [], explain: [], providers: [] };
  const { cwd: _c, config: _f, ...rest } = req;
  return resolveRun({ ...rest, source: fsSource(found.root), root: found.root, config: { configFile: found.configFile, configData: found.configData, configKey: found.configKey } });
}
