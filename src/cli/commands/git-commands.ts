/**
 * Registers `publish` and `diff` on the commander program (called from src/cli/main.ts).
 * `diff --format markdown`: commander gives `--format` to the program even after the
 * subcommand, so the program's choices are widened with `markdown`, allowed for diff only.
 */
import { Command, CommanderError, type Option } from 'commander';
import type { CommandContext, CommandResult } from '../types.js';

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function registerGitCommands(program: Command, ctx: () => CommandContext, set: (r: CommandResult) => void): void {
  const format = program.options.find((o: Option) => o.long === '--format');
  if (format?.argChoices && !format.argChoices.includes('markdown')) format.argChoices.push('markdown');
  program.hook('preAction', (_root, action) => {
    if (program.opts<{ format?: string }>().format === 'markdown' && action.name() !== 'diff') {
      throw new CommanderError(2, 'gitopsc.format', `error: --format markdown is only for diff`);
    }
  });

  program
    .command('diff')
    .description('render the base revision and the working tree and show what changes (sized for a pull-request comment)')
    .option('--base <ref>', 'base revision (default: the merge base with the default branch)')
    .option('--env <env>', 'only this environment (repeatable)', collect)
    .option('--exit-code', 'exit 1 when there are changes, as git diff --exit-code')
    .option('--max-chars <n>', 'markdown size cap (default 60000)')
    .action(async (o: { base?: string; env?: string[]; exitCode?: boolean; maxChars?: string }) => {
      const c = ctx();
      const mod = await import('./diff.js');
      set(await mod.run(c, { base: o.base, env: o.env, exitCode: o.exitCode, maxChars: o.maxChars ? Number(o.maxChars) : undefined }));
      // markdown and text are printed raw (result.stdout); the formatter treats markdown as text
      if ((c.global.format as string) === 'markdown') c.global.format = 'text';
    });

  program
    .command('publish')
    .description('render into a deployment repository and commit there (provenance in commit trailers)')
    .requiredOption('--repo <path-or-url>', 'the deployment repository: a local checkout, a bare repository or a URL')
    .option('--branch <branch>', 'branch to commit to (default: the checked-out branch)')
    .option('--create-branch', 'create --branch when it does not exist')
    .option('--push', 'push the commit (never forced); a rejected push is retried on top of the new remote branch')
    .option('--message <template>', 'commit message template: {subject} {body} {changes} {artifacts} {services} {environments} {files} {source} {sourceCommit} {sourceCommitShort}')
    .option('--author <ident>', 'author and committer, "Name <email>" (default: $GITOPSC_AUTHOR, else gitopsc <gitopsc@localhost>)')
    .option('--path <dir>', 'directory inside the deployment repository for <env>/<service>/ (default: its top)')
    .option('--env <env>', 'only this environment (repeatable); only its directory is managed', collect)
    .option('--allow-detached', 'commit on a detached HEAD')
    .option('--sign', "sign the commit with git's own signing (gpg.format and user.signingkey of the deployment repository; ssh keys work offline)")
    .option('--no-gpg-sign', 'do not sign, even when git is configured to')
    .option('--dry-run', 'print the commit that would be made (message, trailers, files, diff stat) and change nothing')
    .option('--branch-template <template>', 'push the commit to a new branch for a pull request, e.g. gitopsc/{env}/{service} ({env} {service} {tag} {hash}); needs --push')
    .option('--pr-description <file>', 'with --branch-template: write the pull-request description (the markdown diff) to this file when a branch was pushed')
    .option('--adopt', 'overwrite files in the deployment repository that gitopsc did not write, and manage them from now on')
    .option('--max-prune <n>', 'refuse to remove more than n files in one publish (default: 25% of the managed files, at least 5)')
    .option('--allow-prune', 'no limit on pruning; also allows publishing zero services over existing output')
    .option('--lock-timeout <seconds>', 'how long to wait for another publish to finish', '60')
    .option('--stage', 'run `gitopsc stage` first (Lambda zips to S3, recorded in the lock), then publish what renders from it')
    .action(async (o: Record<string, unknown>) => {
      const { stage, ...rest } = o;
      let staged: CommandResult | undefined;
      if (stage) {
        staged = await (await import('./stage.js')).run(ctx(), { env: rest.env as string[] | undefined });
        // nothing is published from a lock whose code is not in place
        if (staged.diagnostics.some((d) => d.severity === 'error')) return set(staged);
      }
      const mod = await import('./publish.js');
      const published = await mod.run(ctx(), rest);
      set(staged ? { ...published, diagnostics: [...staged.diagnostics, ...published.diagnostics], data: { ...staged.data, ...published.data }, lines: [...(staged.lines ?? []), ...(published.lines ?? [])] } : published);
    });
}
