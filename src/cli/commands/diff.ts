/**
 * `gitopsc diff [--base REF] [--format text|markdown|json] [--env E]... [--exit-code]`:
 * render the base revision (from git objects) and the working tree, and compare.
 */
import { error, EXIT, hasErrors, type Diagnostic } from '../../core/diagnostics.js';
import { compareResults } from '../../diff/compare.js';
import { toJson } from '../../diff/format-json.js';
import { formatMarkdown } from '../../diff/format-markdown.js';
import { formatText } from '../../diff/format-text.js';
import { cleanGitEnv } from '../../git/env.js';
import { GitError } from '../../git/exec.js';
import { defaultBase, openSource } from '../../git/repo.js';
import { gitSource } from '../../git/source.js';
import { compile, fsSource, type CompileResult } from '../../pipeline.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult } from './common.js';
import { kustomizationFiles, type UnitOutput } from '../../write/kustomization.js';

type Compiled = Awaited<ReturnType<typeof compile>>;

/** The rendered files plus, with `output.kustomization: true`, the kustomization.yaml files render and publish write. */
function withKustomization(state: Compiled, envs: readonly string[] | undefined): Compiled {
  if (!state.project?.kustomization) return state;
  const byUnit = new Map<string, UnitOutput>();
  for (const u of state.units) byUnit.set(`${u.service}\0${u.environment}`, { service: u.service, environment: u.environment, target: u.target, paths: [] });
  for (const f of state.files) (byUnit.get(`${f.service}\0${f.environment}`)?.paths as string[] | undefined)?.push(f.path);
  const files = [...state.files];
  for (const k of kustomizationFiles([...byUnit.values()], envs ?? state.environments)) files.push({ path: k.path, content: k.content, service: '', environment: k.path.split('/')[0]! });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ...state, files };
}

export interface DiffOptions {
  base?: string;
  /** markdown is asked for with the global --format (the CLI accepts it for diff only) */
  format?: 'text' | 'markdown' | 'json';
  env?: string[];
  exitCode?: boolean;
  /** markdown size cap (default 60,000 characters) */
  maxChars?: number;
}

export async function run(ctx: CommandContext, opts: DiffOptions = {}): Promise<CommandResult> {
  const format = opts.format ?? ((ctx.global.format as string) === 'markdown' ? 'markdown' : ctx.global.format === 'json' ? 'json' : 'text');
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const env = cleanGitEnv(ctx.host.env);
  const src = await openSource(found.root, env);
  if (!src) return { diagnostics: [error('GIT', `${found.root} is not inside a git repository: diff needs a base revision`, { reason: 'not-a-repository' })] };

  let baseRef: { ref: string; sha: string } | undefined;
  try {
    if (opts.base !== undefined) {
      const r = await src.git.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${opts.base}^{commit}`]);
      if (r.code !== 0) return { diagnostics: [error('GIT', `--base ${opts.base} is not a commit in ${found.root}`, { reason: 'bad-base' })] };
      baseRef = { ref: opts.base, sha: r.stdout.toString().trim() };
    } else {
      baseRef = await defaultBase(src.git);
    }
  } catch (e) {
    return { diagnostics: [error('GIT', e instanceof GitError ? e.message : String(e), { reason: 'command-failed' })] };
  }

  const diagnostics: Diagnostic[] = [];
  const cref = { configFile: found.configFile, configData: found.configData, configKey: found.configKey, envs: opts.env };
  const head = withKustomization(await compile(fsSource(found.root), cref), opts.env);
  diagnostics.push(...head.diagnostics);

  let base: Pick<CompileResult, 'files' | 'artifacts'> = { files: [], artifacts: [] };
  let baseLabel = 'empty';
  if (baseRef) {
    baseLabel = `${baseRef.ref === baseRef.sha ? baseRef.sha.slice(0, 7) : baseRef.ref} (${baseRef.sha.slice(0, 7)})`;
    try {
      const source = await gitSource(src.git.cwd, baseRef.sha, src.prefix, { env });
      // A project that did not exist at the base compares against nothing.
      if ((await source.read(found.configFile)) !== undefined || found.configData !== undefined) {
        // a JS/TS config cannot be evaluated from git objects: its evaluated data is reused
        const b = withKustomization(await compile(source, cref), opts.env);
        for (const d of b.diagnostics) {
          if (d.severity === 'error') diagnostics.push({ ...d, message: `at base ${baseRef.sha.slice(0, 7)}: ${d.message}` });
        }
        base = b;
      }
    } catch (e) {
      diagnostics.push(error('GIT', `cannot read the base revision ${baseRef.sha.slice(0, 7)}: ${e instanceof Error ? e.message : String(e)}`, { reason: 'command-failed' }));
    }
  }
  if (hasErrors(diagnostics)) return { diagnostics };

  const diff = compareResults(base, head, { base: baseLabel, head: 'working tree' });
  const exitCode = opts.exitCode && diff.changed ? EXIT.user : undefined;
  const result: CommandResult = { diagnostics, data: { diff: toJson(diff) } };
  if (exitCode !== undefined) result.exitCode = exitCode;
  if (format === 'markdown') result.stdout = formatMarkdown(diff, { maxChars: opts.maxChars });
  else if (format === 'text') {
    result.stdout = formatText(diff);
    result.stdoutKind = 'diff';
  }
  return result;
}
