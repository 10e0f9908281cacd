/**
 * `gitopsc publish --repo PATH_OR_URL [--branch B] [--create-branch] [--push] [--message T]
 *  [--author "Name <email>"] [--path DIR] [--env E]... [--allow-detached] [--no-gpg-sign]
 *  [--lock-timeout SECONDS]`: render from the lock (offline) and commit into the deployment
 * repository, with provenance in trailers. Nothing in the deployment repository is touched
 * unless the whole render succeeded. The work is src/build/publish.ts's (only units whose files
 * are not already in the deployment tree are rendered); this parses options and formats.
 */
import { error, hasErrors, type Diagnostic } from '../../core/diagnostics.js';
import { beginDeployment, type DeploymentOptions, type PendingDeployment } from '../../git/deployment.js';
import type { DiscoveredProject } from '../../config/discover.js';
import { cleanGitEnv } from '../../git/env.js';
import { sourceProvenance, type Provenance } from '../../git/repo.js';
import { createProgress, progressEnabled } from '../output/progress.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult, plural } from './common.js';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../host/fs.js';

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
  // render's option parser (its module and the render stage's are loaded only for --max-prune),
  // before the deployment repository is opened: a usage error clones nothing
  const maxPrune = opts.maxPrune === undefined ? undefined : (await import('../../build/stage.js')).parseMaxPrune(opts.maxPrune);
  if (maxPrune !== undefined && typeof maxPrune !== 'number') return { diagnostics: [maxPrune] };
  if (opts.sign && opts.gpgSign === false) return { diagnostics: [error('USAGE', '--sign and --no-gpg-sign contradict each other', { reason: 'conflicting-options' })] };
  if (opts.prDescription !== undefined && opts.branchTemplate === undefined) return { diagnostics: [error('USAGE', '--pr-description goes with --branch-template', { reason: 'missing-option' })] };
  // the deployment repository is opened (cloned) first: git works while the compiler loads and
  // the project compiles (only read: nothing there changes unless the compile succeeds)
  const deploy = { repo: opts.repo, branch: opts.branch, push: opts.push, dryRun: opts.dryRun, path: opts.path, cwd: ctx.global.cwd, env: ctx.host.env };
  const opened = beginDeployment(deploy);
  // the compiler's modules load while the project is looked for (file reads: the main thread waits)
  const build = import('../../build/publish.js');
  build.catch(() => undefined);
  try {
    const found = await findProject(ctx);
    if (isResult(found)) return found;
    // the source's provenance is git's work too, begun while few modules are loaded (a process
    // forked from a smaller heap costs less) and read once the project has compiled
    const provenance = sourceProvenance(found.root, cleanGitEnv(ctx.host.env));
    provenance.catch(() => undefined);
    return await publishOpened(ctx, { ...opts, repo: opts.repo }, lockTimeout, maxPrune, deploy, opened, found, provenance, await build);
  } finally {
    await opened.discard(); // a no-op when the publish removed its clone already
  }
}

async function publishOpened(
  ctx: CommandContext,
  opts: PublishCommandOptions & { repo: string },
  lockTimeout: number,
  maxPrune: number | undefined,
  deploy: DeploymentOptions,
  opened: PendingDeployment,
  found: DiscoveredProject,
  provenance: Promise<Provenance | undefined>,
  { preparePublish }: typeof import('../../build/publish.js'),
): Promise<CommandResult> {
  const prepared = await preparePublish({ root: found.root, configFile: found.configFile, configData: found.configData, configKey: found.configKey, envs: opts.env, env: ctx.host.env, deploy, opened, provenance });
  const diagnostics: Diagnostic[] = [...prepared.diagnostics];
  if (hasErrors(diagnostics) || !prepared.run) return { diagnostics };
  const state = prepared.state;
  // a progress line on a terminal while git works on the deployment repository (a push can be slow)
  const progress = createProgress(ctx.host, progressEnabled(ctx));
  const endWait = progress.begin(`${opts.repo}${opts.branch ? ` (${opts.branch})` : ''}${opts.push ? ': commit and push' : ': commit'}`);
  const outcome = await prepared.run(
    {
      ...deploy,
      createBranch: opts.createBranch,
      message: opts.message,
      // --author, else $GITOPSC_AUTHOR, else the config's publish.author, else the default
      author: opts.author ?? ctx.host.env.GITOPSC_AUTHOR ?? state?.project?.config.publish?.author,
      path: opts.path,
      allowDetached: opts.allowDetached,
      sign: opts.gpgSign === false ? false : opts.sign ? true : undefined,
      adopt: opts.adopt,
      allowPrune: opts.allowPrune,
      maxPrune,
      branchTemplate: opts.branchTemplate,
      lockTimeoutMs: lockTimeout * 1000,
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
    const { formatMarkdown } = await import('../../diff/format-markdown.js');
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
