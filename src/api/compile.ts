/**
 * The library's compile: a project (a directory, or any ProjectSource) to diagnostics and the
 * files `gitopsc render` would write, in memory. Nothing is read but the project, nothing is
 * written, no cache is used.
 */
import { discoverProject } from '../config/discover.js';
import type { CompileResult, ProjectSource, RenderedFile } from '../core/types.js';
import { compile as compilePipeline } from '../pipeline.js';
import { fsSource } from '../source/fs.js';
import { kustomizationRenderedFiles, unitOutputs } from '../write/kustomization.js';

/** Options of `compile` (the library's `CompileOptions`). Give either `cwd` (a directory) or `source`. */
export interface CompileRequest {
  /** The project directory, or a directory below it: the config is searched upward, as the CLI does. Default: the current directory. */
  cwd?: string;
  /** A config file (the CLI's `--config`), relative to `cwd`. */
  config?: string;
  /** Read the project from this source instead of the file system (e.g. files in memory, a git revision). */
  source?: ProjectSource;
  /** With `source`: the config file, relative to the source's root. Default `gitopsc.config.yaml`. */
  configFile?: string;
  /** Environments to render. Default: all. */
  envs?: readonly string[];
  /** Validate only (like `gitopsc validate`): no lock is read and nothing is rendered. */
  validateOnly?: boolean;
}

/** The rendered files plus, with `output.kustomization: true`, the kustomization.yaml files render writes. */
function withKustomization(state: Awaited<ReturnType<typeof compilePipeline>>, envs: readonly string[] | undefined): RenderedFile[] {
  if (!state.project?.kustomization) return state.files;
  const files = [...state.files, ...kustomizationRenderedFiles(unitOutputs(state.units, state.files), envs ?? state.environments)];
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Compile a project in memory: its diagnostics and the files `gitopsc render` writes (kustomizations included). */
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
