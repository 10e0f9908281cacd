/**
 * Colour and progress (issue 15, part 4) on a real terminal: the built CLI runs under util-linux
 * `script`, which gives it a pseudo-terminal. Colour on a TTY, off for NO_COLOR, --no-color and
 * pipes, on for FORCE_COLOR; a progress line naming the registry host and the service while a
 * registry is slow, never with CI set, with --format json or when piped.
 *
 * A process is spawned only for what only a process shows: whether its own streams are a
 * terminal (colour on a TTY, off in a pipe; the status line written to a real terminal, and
 * none in a pipe). The switches that turn colour or progress off on a terminal (NO_COLOR aside,
 * which also runs on the real one) go through `main()` in this process with streams that say
 * they are terminals (`Io.stdoutIsTTY`/`stderrIsTTY`, `Host.interactive`): the same decision
 * and the same formatters, without a Node start per case.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { nodeHost } from '../src/host/index.js';
import { buildCli } from './helpers/cli.js';
import { baseProject, makeProject } from './helpers/project.js';
import { matching, startProxy, type Proxy } from './registry/proxy.js';
import { startRegistry, type RegistryInstance } from './registry/server.js';
import { Seeder } from './registry/seed.js';

const ESC = '\u001b[';
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
let bin: string;

beforeAll(() => {
  bin = buildCli().bin;
}, 120_000);

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run without blocking this process's event loop (the test's proxy answers from here). */
function exec(file: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(file, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The CLI on a pseudo-terminal: stdout and stderr both go to the terminal that `script` records. */
async function onTty(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const cmd = [process.execPath, bin, ...args].map(shq).join(' ');
  const r = await exec('script', ['-qec', cmd, '/dev/null'], { TERM: 'xterm', ...env });
  return { code: r.code, out: r.stdout };
}

/** The CLI with pipes (no terminal). */
function piped(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(process.execPath, [bin, ...args], env);
}

/**
 * The CLI in this process, its streams terminals or not as `tty` says (what the bin's own Io
 * and Host read from process.stdout/stderr.isTTY), with the environment a spawned run would
 * have (PATH, HOME, TERM as `script` sets it, plus `env`); the status lines it writes are
 * kept as a terminal would receive them.
 */
async function inProcess(args: string[], env: Record<string, string>, tty: boolean): Promise<{ code: number; out: string }> {
  let out = '';
  const write = (t: string) => void (out += t);
  const fullEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...(tty ? { TERM: 'xterm' } : {}), ...env };
  const host = nodeHost({ env: fullEnv, interactive: tty, log: (line) => write(line + '\n'), status: (text) => write(`\r${text}\x1b[K`) });
  const code = await main(args, { stdout: write, stderr: write, stdoutIsTTY: tty, stderrIsTTY: tty }, host);
  return { code, out };
}

function broken(): string {
  const files = baseProject();
  files['services/web.yaml'] = files['services/web.yaml']!.replace('replicas: 2', 'replicsa: 2');
  return makeProject(files);
}

// every case runs its own CLI process: they run side by side (describe.concurrent)
describe.skipIf(!hasScript)('colour', { concurrent: true }, () => {
  it('is on at a terminal: severity, code and location', async () => {
    const r = await onTty(['--cwd', broken(), 'validate']);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${ESC}31m${ESC}1merror`);
    expect(r.out).toMatch(new RegExp(`${ESC.replace('[', '\\[')}1mservices/web\\.yaml:\\d+:\\d+${ESC.replace('[', '\\[')}22m`));
  });

  it('is off on a terminal for NO_COLOR', async () => {
    const r = await onTty(['--cwd', broken(), 'validate'], { NO_COLOR: '1' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('SCHEMA');
    expect(r.out).not.toContain(ESC);
  });

  // on a terminal (the streams say so), in this process: the spawned cases above show the bin
  // reads its own streams; these show each switch wins over a terminal
  it.each([
    ['NO_COLOR', ['validate'], { NO_COLOR: '1' }],
    ['--no-color', ['validate', '--no-color'], {}],
    ['--format json', ['validate', '--format', 'json'], { FORCE_COLOR: '1' }],
    ['--format github', ['validate', '--format', 'github'], { FORCE_COLOR: '1' }],
    ['TERM=dumb', ['validate'], { TERM: 'dumb' }],
  ])('is off for %s', async (_name, args, env) => {
    const r = await inProcess(['--cwd', broken(), ...args], env, true);
    expect(r.code).toBe(1);
    expect(r.out).toContain('SCHEMA');
    expect(r.out).not.toContain(ESC);
  });

  it('is on at a terminal in this process too (the in-process cases would see colour)', async () => {
    const r = await inProcess(['--cwd', broken(), 'validate'], {}, true);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${ESC}31m${ESC}1merror`);
  });

  it('is off in a pipe and on with FORCE_COLOR; --no-color beats FORCE_COLOR', async () => {
    const dir = broken();
    // the real pipe: a process whose stderr is not a terminal
    const plain = await piped(['--cwd', dir, 'validate']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('SCHEMA');
    expect(plain.stderr).not.toContain(ESC);
    const [forced, noColor, forcedOff] = await Promise.all([
      inProcess(['--cwd', dir, 'validate'], { FORCE_COLOR: '1' }, false),
      inProcess(['--cwd', dir, 'validate', '--no-color'], { FORCE_COLOR: '1' }, false),
      inProcess(['--cwd', dir, 'validate'], { FORCE_COLOR: '0' }, false),
    ]);
    expect(forced.out).toContain(`${ESC}31m`);
    expect(noColor.out).not.toContain(ESC);
    expect(noColor.out).toContain('SCHEMA');
    expect(forcedOff.out).not.toContain(ESC);
    expect(forcedOff.out).toContain('SCHEMA');
  });
});

// the cases wait on the slow registry side by side (describe.concurrent), each in its own project
describe.skipIf(!hasScript)('progress', { concurrent: true }, () => {
  let registry: RegistryInstance;
  let proxy: Proxy;
  let files: Record<string, string>;
  const project = () => makeProject(files);

  beforeAll(async () => {
    registry = await startRegistry();
    await new Seeder(registry.url).pushMany('shop/web', ['1.0.0', '1.1.0'], () => ({ created: '2026-01-01T00:00:00Z' }));
    proxy = await startProxy(registry.url);
    // a slow registry: the tag list answers after 2.5 s
    const slow = matching(/\/tags\/list$/);
    proxy.rules.push((req: IncomingMessage, res: ServerResponse, p: Proxy) => {
      if (!slow(req)) return false;
      setTimeout(() => p.forward(req, res), 2500);
      return true;
    });
    files = {
      'gitopsc.config.yaml': `registries:\n  hub:\n    type: oci\n    url: ${proxy.url}\n`,
      'services/web.yaml': `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: web
spec:
  artifact:
    registry: hub
    package: shop/web
    select: { range: "^1" }
  kubernetes:
    replicas: 1
`,
    };
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('names the registry host and the service while it waits, then clears the line', async () => {
    const r = await onTty(['--cwd', project(), 'resolve', '--update']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`waiting for ${proxy.host.replace(/\./g, '\\.')} \\(web\\) \\ds`));
    // the status line is cleared (\r + erase to end of line) before the result
    expect(r.out).toMatch(new RegExp(`\r${ESC.replace('[', '\\[')}K[^\r]*web \\(default\\): 1\\.1\\.0`));
  });

  // on a terminal (Host.interactive, the streams say so), in this process; the spawned case
  // above shows the line reaches a real terminal, the one below that a pipe gets none
  it.each([
    ['CI', ['resolve', '--update'], { CI: 'true' }],
    ['--format json', ['resolve', '--update', '--format', 'json'], {}],
    ['--quiet', ['resolve', '--update', '--quiet'], {}],
  ])('is not shown with %s', async (_name, args, env) => {
    const r = await inProcess(['--cwd', project(), ...args], env, true);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('waiting for');
  });

  it('is shown on a terminal in this process too (the in-process cases would see it)', async () => {
    const r = await inProcess(['--cwd', project(), 'resolve', '--update'], {}, true);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`waiting for ${proxy.host.replace(/\./g, '\\.')} \\(web\\) \\ds`));
  });

  it('is not shown in a pipe', async () => {
    const r = await piped(['--cwd', project(), 'resolve', '--update']);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('waiting for');
  });
});
