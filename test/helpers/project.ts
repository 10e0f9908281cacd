/** Temporary projects made from an object literal, and the CLI run in-process against them. */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { nodeHost } from '../../src/host/index.js';

const made: string[] = [];

/** Removes every project made so far (test/setup.ts calls it after each test file). */
export function cleanupProjects(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function makeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gitopsc-test-'));
  made.push(dir);
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: { ok: boolean; diagnostics: { code: string; reason: string | null; severity: string; file: string | null; line: number | null; column: number | null; message: string; service?: string | null; environment?: string | null }[]; [k: string]: unknown };
}

export async function cli(cwd: string, ...args: string[]): Promise<CliRun> {
  return cliWithEnv(process.env, cwd, ...args);
}

/** The CLI in-process with this environment as its Host's `env` (tests never write process.env). */
export async function cliWithEnv(env: Readonly<Record<string, string | undefined>>, cwd: string, ...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['--cwd', cwd, ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, nodeHost({ env, interactive: false, log: () => {} }));
  let json = undefined as unknown as CliRun['json'];
  if (args.includes('json')) json = JSON.parse(stdout) as CliRun['json'];
  return { code, stdout, stderr, json };
}

/** Every file under dir with its bytes, to prove that a failed run wrote nothing. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      if (statSync(join(dir, p)).isDirectory()) walk(p);
      else out.set(p, readFileSync(join(dir, p), 'utf8'));
    }
  };
  walk('');
  return out;
}

export const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;

/** A small valid project: one Kubernetes service, one Lambda, a static catalog, two envs. */
export function baseProject(): Record<string, string> {
  return {
    'gitopsc.config.yaml': `environments:
  - name: dev
  - name: prod
    production: true
registries:
  local:
    type: static
    path: catalog.yaml
    host: registry.example.com
`,
    'catalog.yaml': `packages:
  shop/web:
    - { tag: "1.2.0", digest: "${DIGEST('a')}", created: "2026-01-01T00:00:00Z" }
    - { tag: "1.10.0", digest: "${DIGEST('b')}", created: "2026-02-01T00:00:00Z" }
    - { tag: "2.0.0-rc.1", digest: "${DIGEST('c')}", created: "2026-03-01T00:00:00Z" }
  fn/zip:
    - { tag: "1.0.0", digest: "${DIGEST('d')}", files: [{ name: function.zip, digest: "${DIGEST('e')}" }] }
`,
    'services/web.yaml': `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: web
spec:
  artifact:
    registry: local
    package: shop/web
    select: { strategy: semver, range: "^1.2" }
  kubernetes:
    replicas: 2
    ports: [{ name: http, containerPort: 8080 }]
    service: { port: 80, targetPort: http }
`,
    'services/fn.yaml': `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: fn
spec:
  artifact:
    registry: local
    package: fn/zip
    format: file
    file: function.zip
    select: { strategy: exact, tag: "1.0.0" }
  lambda:
    functionName: fn
    runtime: nodejs22.x
    handler: index.handler
    role: arn:aws:iam::123456789012:role/fn
    code: { s3Bucket: bucket }
`,
  };
}
