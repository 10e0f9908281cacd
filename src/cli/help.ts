/**
 * Help text beyond what commander writes: the global flags under every subcommand (commander's
 * `showGlobalOptions`) and two or three examples per command, printed after its help. A command
 * without an entry here prints no examples (a test checks that every command has some).
 */
import type { Command } from 'commander';

export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  gitopsc: [
    'gitopsc init && gitopsc resolve && gitopsc render   # a working project in three steps',
    'gitopsc validate --format github                    # annotations in a GitHub Actions log',
    'gitopsc render --stdout | kubectl apply -f -        # render and apply without writing files',
  ],
  validate: ['gitopsc validate', 'gitopsc validate --quiet --cwd deploy/   # print only problems', 'gitopsc validate --format json | jq .diagnostics'],
  resolve: [
    'gitopsc resolve                            # resolve missing or stale lock entries',
    'gitopsc resolve --update checkout --explain   # re-resolve one service and show every candidate',
    'gitopsc resolve --input checkout.tag=1.4.3 --env prod',
  ],
  audit: [
    'gitopsc audit                              # re-check every locked version against its registry',
    'gitopsc audit --env prod --format json | jq .diagnostics',
  ],
  context: [
    'gitopsc context checkout                   # the template context of a service, per environment',
    'gitopsc context checkout --env prod --format json | jq .',
  ],
  stage: [
    'gitopsc resolve && gitopsc stage           # Lambda zips to S3, images to their ECR mirror',
    'gitopsc stage --env prod                   # credentials: the AWS SDK chain (AWS_PROFILE, roles, ...)',
    'gitopsc stage --format json | jq .staged   # AWS_ENDPOINT_URL_S3 for LocalStack, MinIO, s3rver',
  ],
  render: [
    'gitopsc render                             # into <output.dir>/<env>/<service>/',
    'gitopsc render --check                     # exit 1 when the committed output is stale',
    'gitopsc render --env prod --stdout | kubectl apply -f -',
  ],
  diff: [
    'gitopsc diff                               # against the merge base with the default branch',
    'gitopsc diff --base origin/main --format markdown > diff.md',
    'gitopsc diff --exit-code --quiet           # exit 1 when the render changes',
  ],
  publish: [
    'gitopsc publish --repo ../deploy',
    'gitopsc publish --repo git@github.com:acme/deploy.git --branch main --push',
    'gitopsc publish --repo ../deploy --dry-run      # print the commit that would be made',
  ],
  init: ['gitopsc init                 # in an empty directory', 'gitopsc init --cwd shop/ && gitopsc --cwd shop/ resolve'],
  schema: [
    'gitopsc schema service > service.schema.json',
    'gitopsc schema --write .schemas   # every schema into a directory, for editors',
  ],
  completion: [
    'source <(gitopsc completion bash)                      # bash, this shell',
    'gitopsc completion zsh > "${fpath[1]}/_gitopsc"          # zsh',
    'gitopsc completion fish > ~/.config/fish/completions/gitopsc.fish',
  ],
  help: ['gitopsc help', 'gitopsc help render'],
};

/** The examples block printed after a command's help. */
export function examplesText(cmd: Command): string {
  const name = cmd.parent ? cmd.name() : 'gitopsc';
  const ex = EXAMPLES[name];
  if (!ex?.length) return '';
  return `\nExamples:\n${ex.map((e) => `  $ ${e}`).join('\n')}\n`;
}

/** Every command of the tree, the program first (hidden commands left out). */
export function commandsOf(program: Command): Command[] {
  return [program, ...program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)];
}
