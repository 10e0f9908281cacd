/**
 * `gitopsc publish --repo PATH_OR_URL [--branch B] [--create-branch] [--push] [--message T]
 *  [--author "Name <email>"] [--path DIR] [--env E]... [--allow-detached] [--no-gpg-sign]
 *  [--lock-timeout SECONDS]`: render from the lock (offline) and commit into the deployment
 * repository, with provenance in trailers. Nothing in the deployment repository is touched
 * unless the whole render succeeded.
 */
import { error, hasErrors, warning, type Diagnostic } from '../../core/diagnostics.js';
import { cleanGitEnv } from '../../git/env.js';
import { publish } from '../../git/publish.js';
import { openSource, sourceProvenance } from '../../git/repo.js';
import { compile, fsSource } from '../../pipeline.js';
import { createProgress, progressEnabled } from '../output/progress.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult, plural } from './common.js';
import { resolve } from 'node:path';
import { formatMarkdown } from '../../diff/format-markdown.js';
import { writeFileAtomic } from '../../host/fs.js';
import { kustomizationFiles, type UnitOutput } from '../../write/kustomization.js';
import { adoptionRule } from '../../write/ownership.js';
import { parseMaxPrune } from './render.js';

export interface PublishCommandOptions {
  repo?: string;
  branch?: string;
  createBranch?: boolean;
  push?: boolean;
  message?: string;
  author?: string;
  path?: string;
  env?: string[];
  allowDetached?: boolean;
  /** commander's --no-gpg-sign gives gpgSign: false */
  gpgSign?: boolean;
  sign?: boolean;
  lockTimeout?: string | number;
  dryRun?: boolean;
  branchTemplate?: string;
  prDescription?: string;
  adopt?: boolean;
  maxPrune?: string | number;
  allowPrune?: boolean;
}

export async function run(ctx: CommandContext, opts: PublishCommandOptions): Promise<CommandResult> {
  if (!opts.repo) return { diagnostics: [error('USAGE', 'publish needs --repo PATH_OR_URL (the deployment repository)', { reason: 'missing-option' })] };
  const lockTimeout = opts.lockTimeout === undefined ? 60 : Number(opts.lockTimeout);
  if (!Number.isFinite(lockTimeout) || lockTimeout < 0) return { diagnostics: [error('USAGE', `--lock-timeout must be a number of seconds, got ${opts.lockTimeout}`, { reason: 'bad-option' })] };
  const maxPrune = parseMaxPrune(opts.maxPrune);
  if (maxPrune !== undefined && typeof maxPrune !== 'number') return { diagnostics: [maxPrune] };
  if (opts.sign && opts.gpgSign === false) return { diagnostics: [error('USAGE', '--sign and --no-gpg-sign contradict each other', { reason: 'conflicting-options' })] };
  if (opts.prDescription !== undefined && opts.branchTemplate === undefined) return { diagnostics: [error('USAGE', '--pr-description goes with --branch-template', { reason: 'missing-option' })] };
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const state = await compile(fsSource(found.root), { ...found, envs: opts.env });
  const diagnostics: Diagnostic[] = [...state.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics };

  const src = await openSource(found.root, cleanGitEnv(ctx.host.env));
  let source: { url: string; commit?: string } = { url: found.root };
  if (src) {
    const p = await sourceProvenance(src);
    source = { url: p.url, commit: p.commit };
    if (p.dirty.length > 0) {
      diagnostics.push(
        warning('GIT', `publishing uncommitted changes of the source (${plural(p.dirty.length, 'file')}, e.g. ${p.dirty[0]}): Gitopsc-Source-Commit names HEAD`, { reason: 'dirty-source' }),
      );
    }
  }
  const environments = opts.env ?? state.environments;
  const lambdaDir = state.project?.lambdaDir;
  const files = [...state.files];
  if (state.project?.kustomization) {
    const byUnit = new Map<string, UnitOutput>();
    for (const u of state.units) byUnit.set(`${u.service}\0${u.environment}`, { service: u.service, environment: u.environment, target: u.target, paths: [] });
    for (const f of state.files) (byUnit.get(`${f.service}\0${f.environment}`)?.paths as string[] | undefined)?.push(f.path);
    for (const k of kustomizationFiles([...byUnit.values()], environments)) files.push({ path: k.path, content: k.content, service: '', environment: k.path.split('/')[0]! });
  }
  // a progress line on a terminal while git works on the deployment repository (a push can be slow)
  const progress = createProgress(ctx.host, progressEnabled(ctx));
  const endWait = progress.begin(`${opts.repo}${opts.branch ? ` (${opts.branch})` : ''}${opts.push ? ': commit and push' : ': commit'}`);
  const outcome = await publish(
    {
      result: { files, artifacts: state.artifacts },
      environments,
      source,
      allEnvironments: opts.env === undefined,
      lambdaDir,
      adoptable: adoptionRule(state.environments, state.outputNames(), lambdaDir),
    },
    {
      repo: opts.repo,
      branch: opts.branch,
      createBranch: opts.createBranch,
      push: opts.push,
      message: opts.message,
      // --author, else $GITOPSC_AUTHOR, else the config's publish.author, else the default
      author: opts.author ?? ctx.host.env.GITOPSC_AUTHOR ?? state.project?.config.publish?.author,
      path: opts.path,
      allowDetached: opts.allowDetached,
      sign: opts.gpgSign === false ? false : opts.sign ? true : undefined,
      adopt: opts.adopt,
      allowPrune: opts.allowPrune,
      maxPrune,
      dryRun: opts.dryRun,
      branchTemplate: opts.branchTemplate,
      lockTimeoutMs: lockTimeout * 1000,
      cwd: ctx.global.cwd,
      env: ctx.host.env,
    },
  ).finally(() => {
    endWait();
    progress.stop();
  });
  diagnostics.push(...outcome.diagnostics);
  const stat = (outcome.diff?.files ?? []).map((f) => ({ path: f.path, additions: f.additions, deletions: f.deletions }));
  const data = {
    publish: {
      committed: outcome.committed,
      commit: outcome.commit ?? null,
      pushed: outcome.pushed,
      branch: outcome.branch ?? null,
      prBranch: outcome.prBranch ?? null,
      dryRun: Boolean(opts.dryRun),
      message: outcome.message ?? null,
      files: outcome.files,
      stat,
      artifacts: outcome.artifacts,
      ...(hasErrors(outcome.diagnostics) && outcome.prunes?.length ? { wouldRemove: outcome.prunes } : {}),
    },
  };
  if (hasErrors(outcome.diagnostics)) return { diagnostics, data };
  if (opts.dryRun) {
    const lines: string[] = [];
    if (!outcome.message) lines.push(`dry run: nothing to publish: ${opts.repo} already matches the render`);
    else {
      lines.push(`dry run: would commit to ${opts.repo}${outcome.prBranch ? ` on a new branch ${outcome.prBranch}` : outcome.branch ? ` (${outcome.branch})` : ''}; nothing was changed`, '');
      lines.push(...outcome.message.replace(/\n$/, '').split('\n').map((l) => (l ? `    ${l}` : '')), '');
      const width = Math.max(...stat.map((f) => f.path.length), 0);
      for (const f of stat) lines.push(` ${f.path.padEnd(width)} | +${f.additions} -${f.deletions}`);
      const add = stat.reduce((n, f) => n + f.additions, 0);
      const del = stat.reduce((n, f) => n + f.deletions, 0);
      lines.push(` ${plural(stat.length, 'file')} changed, ${add} insertions(+), ${del} deletions(-)`);
    }
    return { diagnostics, data, lines };
  }
  if (outcome.prBranch && outcome.pushed && opts.prDescription && outcome.diff) {
    const file = resolve(ctx.global.cwd, opts.prDescription);
    try {
      await writeFileAtomic(file, formatMarkdown(outcome.diff));
    } catch (e) {
      diagnostics.push(error('FILESYSTEM', `pushed ${outcome.prBranch} but cannot write the pull-request description: ${(e as Error).message}`, { reason: 'unwritable', file: opts.prDescription }));
      return { diagnostics, data };
    }
  }
  const where = `${opts.repo}${outcome.branch ? ` (${outcome.branch})` : ''}`;
  const lines: string[] = [];
  if (outcome.committed && outcome.commit) {
    const n = (s: string) => outcome.files.filter((f) => f.status === s).length;
    lines.push(`committed ${outcome.commit.slice(0, 7)} to ${where}: ${n('changed')} changed, ${n('added')} added, ${n('removed')} removed`);
    const subject = outcome.message?.split('\n')[0];
    if (subject) lines.push(`  ${subject}`);
  } else {
    lines.push(`nothing to publish: ${where} already matches the render, no commit made`);
  }
  if (outcome.pushed && outcome.prBranch) lines.push(`pushed to origin/${outcome.prBranch} (open a pull request into ${outcome.branch ?? 'the default branch'})`);
  else if (outcome.pushed) lines.push(`pushed to origin/${outcome.branch}${outcome.attempts > 1 ? ` after ${plural(outcome.attempts - 1, 'retry')}` : ''}`);
  return { diagnostics, data, lines };
}
