/**
 * Colour and progress (issue 15, part 4) on a real terminal: the built CLI runs under util-linux
 * `script`, which gives it a pseudo-terminal. Colour on a TTY, off for NO_COLOR, --no-color and
 * pipes, on for FORCE_COLOR; a progress line naming the registry host and the service while a
 * registry is slow, never with CI set, with --format json or when piped.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it.each([
    ['NO_COLOR', ['validate'], { NO_COLOR: '1' }],
    ['--no-color', ['validate', '--no-color'], {}],
    ['--format json', ['validate', '--format', 'json'], { FORCE_COLOR: '1' }],
    ['--format github', ['validate', '--format', 'github'], { FORCE_COLOR: '1' }],
    ['TERM=dumb', ['validate'], { TERM: 'dumb' }],
  ])('is off for %s', async (_name, args, env) => {
    const r = await onTty(['--cwd', broken(), ...args], env);
    expect(r.code).toBe(1);
    expect(r.out).toContain('SCHEMA');
    expect(r.out).not.toContain(ESC);
  });

  it('is off in a pipe and on with FORCE_COLOR; --no-color beats FORCE_COLOR', async () => {
    const dir = broken();
    const [plain, forced, noColor, forcedOff] = await Promise.all([
      piped(['--cwd', dir, 'validate']),
      piped(['--cwd', dir, 'validate'], { FORCE_COLOR: '1' }),
      piped(['--cwd', dir, 'validate', '--no-color'], { FORCE_COLOR: '1' }),
      piped(['--cwd', dir, 'validate'], { FORCE_COLOR: '0' }),
    ]);
    expect(plain.stderr).not.toContain(ESC);
    expect(forced.stderr).toContain(`${ESC}31m`);
    expect(noColor.stderr).not.toContain(ESC);
    expect(forcedOff.stderr).not.toContain(ESC);
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

  it.each([
    ['CI', ['resolve', '--update'], { CI: 'true' }],
    ['--format json', ['resolve', '--update', '--format', 'json'], {}],
    ['--quiet', ['resolve', '--update', '--quiet'], {}],
  ])('is not shown with %s', async (_name, args, env) => {
    const r = await onTty(['--cwd', project(), ...args], env);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('waiting for');
  });

  it('is not shown in a pipe', async () => {
    const r = await piped(['--cwd', project(), 'resolve', '--update']);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('waiting for');
  });
});
