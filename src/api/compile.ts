/**
 * The library's compile: a project (a directory, or any ProjectSource) to diagnostics and the
 * files `gitopsc render` would write, in memory. Nothing is read but the project, nothing is
 * written, no cache is used.
 */
import { discoverProject } from '../config/discover.js';
import type { CompileResult, ProjectSource, RenderedFile } from '../core/types.js';
import { compile as compilePipeline } from '../pipeline.js';
import { fsSource } from '../source/fs.js';
import { kustomizationFiles, type UnitOutput } from '../write/kustomization.js';

export interface CompileRequest {
  /** the project directory, or a directory below it (the config is searched upward, as the CLI does) */
  cwd?: string;
  /** a config file (the CLI's `--config`), relative to `cwd` */
  config?: string;
  /** read the project from here instead of the file system; `configFile` names its config */
  source?: ProjectSource;
  /** with `source`: the config file, relative to the source's root (default `gitopsc.config.yaml`) */
  configFile?: string;
  /** environments to render (default: all) */
  envs?: readonly string[];
  /** validate only: no lock, no rendering */
  validateOnly?: boolean;
}

/** The rendered files plus, with `output.kustomization: true`, the kustomization.yaml files render writes. */
function withKustomization(state: Awaited<ReturnType<typeof compilePipeline>>, envs: readonly string[] | undefined): RenderedFile[] {
  if (!state.project?.kustomization) return state.files;
  const byUnit = new Map<string, UnitOutput>();
  for (const u of state.units) byUnit.set(`${u.service}\0${u.environment}`, { service: u.service, environment: u.environment, target: u.target, paths: [] });
  for (const f of state.files) (byUnit.get(`${f.service}\0${f.environment}`)?.paths as string[] | undefined)?.push(f.path);
  const files = [...state.files];
  for (const k of kustomizationFiles([...byUnit.values()], envs ?? state.environments)) files.push({ path: k.path, content: k.content, service: '', environment: k.path.split('/')[0]! });
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export async function compileRequest(req: CompileRequest): Promise<CompileResult> {
  let source: ProjectSource;
  let ref: { configFile: string; configData?: unknown; configKey?: string };
  if (req.source) {
    source = req.source;
    ref = { configFile: req.configFile ?? 'gitopsc.config.yaml' };
  } else {
    const found = await discoverProject({ cwd: req.cwd ?? '.', ...(req.config !== undefined ? { config: req.config } : {}) });
    if (!found.ok) return { diagnostics: found.diagnostics, outputDir: 'rendered', environments: [], files: [], artifacts: [] };
    source = fsSource(found.root);
    ref = { configFile: found.configFile, configData: found.configData, configKey: found.configKey };
  }
  const envs = req.envs ? [...req.envs] : undefined;
  const state = await compilePipeline(source, { ...ref, ...(envs ? { envs } : {}), ...(req.validateOnly ? { validateOnly: true } : {}) });
  return {
    diagnostics: state.diagnostics,
    outputDir: state.outputDir,
    environments: state.environments,
    files: withKustomization(state, envs),
    artifacts: state.artifacts,
  };
}
