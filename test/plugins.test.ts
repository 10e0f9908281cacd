/**
 * A provider and a target added as a contributor would add them (ARCHITECTURE.md, "Adding a
 * provider" / "Adding a target"): each is one folder (test/fixtures/plugins/fixed/ and
 * test/fixtures/plugins/nomad/), registered through the same functions the built-in maps use,
 * then validate, resolve, render and context run end to end through the CLI's own entry point,
 * in process, with nothing else changed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { nodeHost } from '../src/host/index.js';
import { providerPlugin, registerProvider, unregisterProvider } from '../src/resolve/providers/index.js';
import { registerTarget, targetPlugin, unregisterTarget } from '../src/targets/index.js';
import { plugin as fixed } from './fixtures/plugins/fixed/plugin.js';
import { plugin as nomad } from './fixtures/plugins/nomad/plugin.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

const CONFIG = `environments:
  - name: dev
  - name: prod
registries:
  apps:
    type: fixed
    host: registry.example.com
    packages:
      web:
        - { tag: 1.0.0, digest: "${A}" }
        - { tag: 1.1.0, digest: "${B}" }
        - { tag: 2.0.0, digest: "${A}" }
`;

const SERVICE = `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: web
spec:
  artifact:
    registry: apps
    package: web
    select:
      range: ^1.0.0
  nomad:
    datacenter: dc1
  environments:
    prod:
      nomad:
        namespace: payments
`;

type D = { code: string; file?: string; line?: number; column?: number; message: string };

async function run(dir: string, ...args: string[]): Promise<{ code: number; json: { diagnostics: D[]; [k: string]: unknown } }> {
  let stdout = '';
  const code = await main(['--cwd', dir, ...args, '--format', 'json'], { stdout: (t) => (stdout += t), stderr: () => {} }, nodeHost({ interactive: false, env: {}, log: () => {} }));
  return { code, json: JSON.parse(stdout) as { diagnostics: D[] } };
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gitopsc-plugins-'));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

describe('a provider and a target added as plug-ins', () => {
  const dirs: string[] = [];
  beforeAll(async () => {
    registerProvider(fixed);
    await registerTarget(nomad);
  });
  afterAll(() => {
    unregisterProvider('fixed');
    unregisterTarget('nomad');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const make = (files: Record<string, string>) => {
    const d = project(files);
    dirs.push(d);
    return d;
  };

  it('are in the maps', () => {
    expect(providerPlugin('fixed')).toBe(fixed);
    expect(targetPlugin('nomad')).toBe(nomad);
  });

  it('validate, resolve, render and context work end to end', async () => {
    const dir = make({ 'gitopsc.config.yaml': CONFIG, 'services/web.yaml': SERVICE });
    const v = await run(dir, 'validate');
    expect(v.json.diagnostics).toEqual([]);
    expect(v.code).toBe(0);

    const r = await run(dir, 'resolve');
    expect(r.json.diagnostics).toEqual([]);
    expect(r.code).toBe(0);
    const lock = readFileSync(join(dir, 'gitopsc.lock'), 'utf8');
    expect(lock).toMatch(/tag: "?1\.1\.0"?\n/);
    expect(lock).toContain(B);

    const out = await run(dir, 'render');
    expect(out.json.diagnostics).toEqual([]);
    expect(out.code).toBe(0);
    const job = (env: string) => JSON.parse(readFileSync(join(dir, 'rendered', env, 'web', 'job.json'), 'utf8')) as unknown;
    expect(job('dev')).toEqual({ Job: { Datacenters: ['dc1'], ID: 'web', Image: `registry.example.com/web:1.1.0@${B}`, Namespace: 'default' } });
    expect(job('prod')).toEqual({ Job: { Datacenters: ['dc1'], ID: 'web', Image: `registry.example.com/web:1.1.0@${B}`, Namespace: 'payments' } });

    const check = await run(dir, 'render', '--check');
    expect(check.code).toBe(0);

    const ctx = await run(dir, 'context', 'web', '--env', 'prod');
    expect(ctx.code).toBe(0);
    expect(JSON.stringify(ctx.json)).toContain('"nomad":{"image":"registry.example.com/web:1.1.0@');
  });

  it("their schema fragments are checked, with positions, and the target's checks run", async () => {
    // the registry entry: `host` is required, `hots` is not one of its fields
    const badConfig = make({ 'gitopsc.config.yaml': CONFIG.replace('host: registry.example.com', 'hots: registry.example.com'), 'services/web.yaml': SERVICE });
    const c = await run(badConfig, 'validate');
    expect(c.code).toBe(1);
    expect(c.json.diagnostics.map((d) => [d.code, d.file, d.line, d.column])).toEqual([
      ['SCHEMA', 'gitopsc.config.yaml', 5, 3],
      ['SCHEMA', 'gitopsc.config.yaml', 7, 5],
    ]);
    // spec.nomad: a misspelt field
    const badService = make({ 'gitopsc.config.yaml': CONFIG, 'services/web.yaml': SERVICE.replace('datacenter: dc1', 'datacentre: dc1') });
    const v = await run(badService, 'validate');
    expect(v.code).toBe(1);
    expect(v.json.diagnostics.map((d) => [d.code, d.file, d.line, d.column])).toEqual([
      ['SCHEMA', 'services/web.yaml', 11, 3],
      ['SCHEMA', 'services/web.yaml', 12, 5],
    ]);
    const reserved = make({ 'gitopsc.config.yaml': CONFIG, 'services/web.yaml': SERVICE.replace('datacenter: dc1', 'datacenter: global') });
    const g = await run(reserved, 'validate');
    expect(g.json.diagnostics.map((d) => [d.code, d.file, d.line, d.column])).toEqual([['SCHEMA', 'services/web.yaml', 12, 17]]);
  });

  it('a project template of the new target is checked against its view', async () => {
    const dir = make({
      'gitopsc.config.yaml': `${CONFIG}templates: templates\n`,
      'services/web.yaml': SERVICE,
      'templates/nomad/extra.yaml.hbs': 'image: {{nomad.imag}}\n',
    });
    const v = await run(dir, 'validate');
    expect(v.json.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['TEMPLATE', 'templates/nomad/extra.yaml.hbs', 1]]);
  });
});
