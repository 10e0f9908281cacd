/**
 * The CLI: parse arguments with commander, run one command, format its result, and return the
 * exit code. Never calls process.exit(); start.ts sets process.exitCode.
 */
import { resolve } from 'node:path';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { error, exitCodeFor, EXIT, type ExitCode } from '../core/diagnostics.js';
import { nodeHost, type Host } from '../host/index.js';
import { packageVersion } from '../host/package.js';
import { examplesText } from './help.js';
import { colorEnabled, palette } from './output/color.js';
import { formatResult, internalError, type Format } from './output/format.js';
import type { CommandContext, CommandResult, GlobalOptions } from './types.js';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** whether each stream is a terminal (colour); absent = not a terminal */
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
}

const processIo = (): Io => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdoutIsTTY: Boolean(process.stdout.isTTY),
  stderrIsTTY: Boolean(process.stderr.isTTY),
});


function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** `--registry-timeout <seconds>`: a positive number of seconds (decimals allowed), in ms. */
function seconds(v: string): number {
  const n = /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!(n > 0) || n > 86_400) throw new InvalidArgumentError('must be a number of seconds between 0 and 86400, e.g. 30');
  return Math.ceil(n * 1000);
}

/** `--format` as given anywhere in argv, so that even a usage error can be printed as JSON. */
function sniffFormat(argv: readonly string[]): Format {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = a.startsWith('--format=') ? a.slice(9) : a === '--format' ? argv[i + 1] : undefined;
    if (v === 'json' || v === 'github' || v === 'text') return v;
  }
  return 'text';
}

export async function main(argv: readonly string[], io: Io = processIo(), host: Host = nodeHost()): Promise<ExitCode> {
  let result: CommandResult | undefined;
  let global: GlobalOptions | undefined;
  const program = new Command();
  const usageOut: string[] = [];
  program
    .name('gitopsc')
    .description('A declarative GitOps config compiler: validate service YAML, resolve artifact versions to digests, render Kubernetes and AWS Lambda configs.')
    .version(packageVersion(), '--version', 'print the version')
    .option('--cwd <dir>', 'run as if started in <dir> (default: the current directory)')
    .option('--config <file>', 'use this config file instead of searching for one')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .option('--quiet', 'print only problems', false)
    .option('--no-color', 'no colours in output')
    .option('--debug', 'print stack traces of internal errors', false)
    .option('--registry-timeout <seconds>', 'overall deadline for registry requests (resolve; default 55, or $GITOPSC_REGISTRY_DEADLINE_MS)', seconds)
    .showHelpAfterError(false)
    .exitOverride()
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({ writeOut: (s) => usageOut.push(s), writeErr: (s) => usageOut.push(s) })
    .addHelpText('afterAll', ({ command }) => examplesText(command));

  const ctx = (): CommandContext => {
    const o = program.opts<{ cwd?: string; config?: string; format: Format; quiet: boolean; color: boolean; debug: boolean; registryTimeout?: number }>();
    global = { cwd: resolve(host.cwd(), o.cwd ?? '.'), config: o.config, format: o.format, quiet: o.quiet, color: o.color, debug: o.debug };
    if (o.registryTimeout !== undefined) global.registryTimeoutMs = o.registryTimeout;
    return { host, global };
  };

  program
    .command('validate')
    .description('load, schema and semantic checks of config, services and templates; no network')
    .action(async () => {
      result = await (await import('./commands/validate.js')).run(ctx());
    });
  program
    .command('resolve')
    .description('resolve missing or stale lock entries against the registries and write the lock')
    .option('--update [service...]', 're-resolve (all services, or the ones named) to pick up newer versions')
    .option('--env <env>', 'only this environment (repeatable)', collect)
    .option('--input <key=value>', 'a runtime input: service.tag=1.4.3 or tag=1.4.3 (repeatable)', collect)
    .option('--explain', 'list the candidates and why each was kept or dropped')
    .action(async (o: { update?: boolean | string[]; env?: string[]; input?: string[]; explain?: boolean }) => {
      result = await (await import('./commands/resolve.js')).run(ctx(), o);
    });
  program
    .command('audit')
    .description('re-check every locked version against its registry (quarantine, scan verdicts, policies, vanished or moved tags); writes nothing')
    .option('--env <env>', 'only this environment (repeatable)', collect)
    .action(async (o: { env?: string[] }) => {
      result = await (await import('./commands/audit.js')).run(ctx(), o);
    });
  program
    .command('render')
    .description('render from the lock, offline, into <output.dir>/<env>/<service>/')
    .option('--env <env>', 'only this environment (repeatable)', collect)
    .option('--out <dir>', 'output directory (default: output.dir of the config)')
    .option('--check', 'write nothing; exit 1 listing every file that differs, is missing or would be pruned')
    .option('--adopt', 'overwrite files in the output that gitopsc did not write, and manage them from now on')
    .option('--max-prune <n>', 'refuse to remove more than n files in one run (default: 25% of the managed files, at least 5)')
    .option('--allow-prune', 'no limit on pruning; also allows rendering zero services over existing output')
    .option('--stdout', 'write nothing; print every rendered Kubernetes document as one YAML stream (for kubectl apply -f -)')
    .action(async (o: { env?: string[]; out?: string; check?: boolean; adopt?: boolean; maxPrune?: string; allowPrune?: boolean; stdout?: boolean }) => {
      result = await (await import('./commands/render.js')).run(ctx(), o);
    });
  program
    .command('context')
    .description('print the template context of a service, as its templates see it (per environment)')
    .argument('<service>', 'the service name')
    .option('--env <env>', 'only this environment (repeatable)', collect)
    .action(async (service: string, o: { env?: string[] }) => {
      result = await (await import('./commands/context.js')).run(ctx(), service, o);
    });
  program
    .command('stage')
    .description('copy each resolved Lambda zip from its registry to S3 (verified against the lock, content-addressed) and record it in the lock')
    .option('--env <env>', 'only this environment (repeatable)', collect)
    .action(async (o: { env?: string[] }) => {
      result = await (await import('./commands/stage.js')).run(ctx(), o);
    });
  program
    .command('init')
    .description('scaffold a working example project (static catalog, one service, two environments)')
    .action(async () => {
      result = await (await import('./commands/init.js')).run(ctx());
    });
  program
    .command('schema')
    .description('print a JSON Schema (service, config, catalog or lock), or write them all with --write')
    .addArgument(new Argument('[name]', 'service | config | catalog | lock').choices(['service', 'config', 'catalog', 'lock']))
    .option('--write <dir>', 'write every schema into <dir> (for editors: `# yaml-language-server: $schema=<dir>/service.schema.json`)')
    .action(async (name: string | undefined, o: { write?: string }) => {
      result = await (await import('./commands/schema.js')).run(ctx(), name, o);
    });
  await registerGitCommands(program, ctx, (r) => (result = r));
  program
    .command('completion')
    .description('print a shell completion script: commands, flags, service and environment names')
    .addArgument(new Argument('<shell>', 'bash | zsh | fish').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: string) => {
      ctx();
      result = (await import('./completion.js')).script(shell);
    });
  program
    .command('__complete', { hidden: true })
    .description('completion candidates for the words of a command line (used by the completion scripts)')
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words: string[]) => {
      result = await (await import('./completion.js')).complete(program, words ?? [], ctx().global.cwd);
    });

  const format = sniffFormat(argv);
  try {
    await program.parseAsync(['node', 'gitopsc', ...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help, --version and `gitopsc help [command]`: what was asked for, on stdout, exit 0
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || (e.code === 'commander.help' && e.exitCode === 0)) {
        io.stdout(usageOut.join(''));
        return EXIT.ok;
      }
      if (e.code === 'commander.help' && format !== 'json') {
        // no command given: the usage, as a usage error
        io.stderr(usageOut.join(''));
        return EXIT.usage;
      }
      const message = e.code === 'commander.help' ? 'no command given: one of validate, resolve, audit, render, context, stage, diff, publish, init, schema' : e.message.replace(/^error: /, '');
      result = { diagnostics: [error('USAGE', message, { reason: 'bad-command-line' })] };
    } else {
      result = { diagnostics: [internalError(e, argv.includes('--debug'))] };
    }
  }
  if (!result) {
    // a command that returned nothing (never expected): the usage
    io.stderr(program.helpInformation());
    return EXIT.usage;
  }
  const fmt = global?.format ?? format;
  const colorFlag = global?.color ?? !argv.includes('--no-color');
  const color = (isTTY: boolean | undefined) => palette(fmt === 'text' && colorEnabled({ flag: colorFlag, env: host.env, isTTY: Boolean(isTTY) }));
  const out = formatResult(fmt, result, { quiet: global?.quiet ?? false, out: color(io.stdoutIsTTY), err: color(io.stderrIsTTY) });
  if (out.stdout) io.stdout(out.stdout);
  if (out.stderr) io.stderr(out.stderr);
  return result.exitCode ?? exitCodeFor(result.diagnostics);
}

/** publish and diff live in src/cli/commands/{publish,diff}.ts (the GitOps loop). */
async function registerGitCommands(program: Command, ctx: () => CommandContext, set: (r: CommandResult) => void): Promise<void> {
  (await import('./commands/git-commands.js')).registerGitCommands(program, ctx, set);
}
