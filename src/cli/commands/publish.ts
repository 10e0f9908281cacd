/**
 * `gitopsc publish --repo PATH_OR_URL [--branch B] [--create-branch] [--push] [--message T]
 *  [--author "Name <email>"] [--path DIR] [--env E]... [--allow-detached] [--no-gpg-sign]
 *  [--lock-timeout SECONDS]`: render from the lock (offline) and commit into the deployment
 * repository, with provenance in trailers. Nothing in the deployment repository is touched
 * unless the whole render succeeded.
 */
import { error, hasErrors, warning, type Diagnostic } from '../../diagnostics.js';
import { cleanGitEnv } from '../../git/env.js';
import { publish } from '../../git/publish.js';
import { openSource, sourceProvenance } from '../../git/repo.js';
import { compile, fsSource } from '../../pipeline.js';
import { createProgress, progressEnabled } from '../output/progress.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult, plural } from './common.js';

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
  lockTimeout?: string | number;
}

export async function run(ctx: CommandContext, opts: PublishCommandOptions): Promise<CommandResult> {
  if (!opts.repo) return { diagnostics: [error('USAGE', 'publish needs --repo PATH_OR_URL (the deployment repository)')] };
  const lockTimeout = opts.lockTimeout === undefined ? 60 : Number(opts.lockTimeout);
  if (!Number.isFinite(lockTimeout) || lockTimeout < 0) return { diagnostics: [error('USAGE', `--lock-timeout must be a number of seconds, got ${opts.lockTimeout}`)] };
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
        warning('GIT', `publishing uncommitted changes of the source (${plural(p.dirty.length, 'file')}, e.g. ${p.dirty[0]}): Gitopsc-Source-Commit names HEAD`),
      );
    }
  }
  const environments = opts.env ?? state.environments;
  // a progress line on a terminal while git works on the deployment repository (a push can be slow)
  const progress = createProgress(ctx.host, progressEnabled(ctx));
  const endWait = progress.begin(`${opts.repo}${opts.branch ? ` (${opts.branch})` : ''}${opts.push ? ': commit and push' : ': commit'}`);
  const outcome = await publish(
    { result: state, environments, source },
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
      sign: opts.gpgSign === false ? false : undefined,
      lockTimeoutMs: lockTimeout * 1000,
      cwd: ctx.global.cwd,
      env: ctx.host.env,
    },
  ).finally(() => {
    endWait();
    progress.stop();
  });
  diagnostics.push(...outcome.diagnostics);
  const data = {
    publish: {
      committed: outcome.committed,
      commit: outcome.commit ?? null,
      pushed: outcome.pushed,
      branch: outcome.branch ?? null,
      files: outcome.files,
      artifacts: outcome.artifacts,
    },
  };
  if (hasErrors(outcome.diagnostics)) return { diagnostics, data };
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
  if (outcome.pushed) lines.push(`pushed to origin/${outcome.branch}${outcome.attempts > 1 ? ` after ${plural(outcome.attempts - 1, 'retry')}` : ''}`);
  return { diagnostics, data, lines };
}
