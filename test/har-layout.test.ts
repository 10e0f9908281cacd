/**
 * QA of issues 12 and 14 together on the merged main: a HAR project (docker image for
 * Kubernetes, generic zip for Lambda) with `output.kustomization` and `output.lambdaDir`, through
 * resolve (HAR lock fields), validate and render (lock JSON Schema), render --check (ownership
 * record), publish (Version-Id trailers, kustomization layout) and audit after a quarantine.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarEmulator, versionId, type HarEmulator, type HarRegistrySeed } from './har/emulator.js';
import { startRegistry, type RegistryInstance } from './registry/server.js';
import { Seeder } from './registry/seed.js';
import { cliWithEnv, makeProject } from './helpers/project.js';
import { git, isolateGit, makeRepo } from './helpers/git.js';
import { cleanupTempDirs } from './registry/helpers.js';

const TOKEN = 'pat.acct123.0123456789abcdef.layout';
/** The CLI's environment (its Host's env): the token the config refers to. */
const cli = (dir: string, ...args: string[]) => cliWithEnv({ ...process.env, HAR_TEST_TOKEN: TOKEN }, dir, ...args);
const ACCOUNT = 'Acct123';
const day = (d: number) => Date.UTC(2026, 0, d);
let reg: RegistryInstance;
let emu: HarEmulator;

function seed(): HarRegistrySeed[] {
  return [
    {
      name: 'docker-prod',
      packageType: 'DOCKER',
      packages: [
        {
          name: 'payments/api',
          packageType: 'DOCKER',
          versions: [
            { name: '1.0.0', createdAt: day(1), scanStatus: 'ALLOWED' },
            { name: '1.1.0', createdAt: day(5), scanStatus: 'ALLOWED' },
          ],
        },
      ],
    },
    {
      name: 'files-prod',
      packageType: 'GENERIC',
      packages: [
        {
          name: 'invoice-fn',
          packageType: 'GENERIC',
          versions: [{ name: '2.0.0', createdAt: day(2), scanStatus: 'ALLOWED', files: [{ name: 'function.zip', content: Buffer.from('PK\u0003\u0004 qa') }] }],
        },
      ],
    },
  ];
}

beforeAll(async () => {
  reg = await startRegistry();
  const s = new Seeder(reg.url);
  for (const t of ['1.0.0', '1.1.0']) await s.pushImage(`${ACCOUNT.toLowerCase()}/docker-prod/payments/api`, [t], { salt: `qa${t}`, created: '2025-06-01T00:00:00Z' });
  emu = await startHarEmulator({ account: ACCOUNT, token: TOKEN, ociUpstream: reg.url, registries: seed() });
}, 120_000);

afterAll(async () => {
  await Promise.all([emu?.stop(), reg?.stop()]);
  cleanupTempDirs();
});

const registry = (name: string, id: string) => `  ${name}:
    type: har
    url: ${emu.url}
    api: ${emu.apiUrl}
    account: ${ACCOUNT}
    registry: ${id}
    auth: { token: { env: HAR_TEST_TOKEN } }
`;

describe('HAR + kustomization + lambdaDir + ownership + publish', () => {
  it('resolves, validates the lock, renders, checks, publishes and audits', async () => {
    isolateGit();
    const dir = makeProject({
      'gitopsc.config.yaml': `services: ["services/*.yaml"]\nenvironments:\n  - name: dev\n  - name: prod\n    production: true\nregistries:\n${registry('har', 'docker-prod')}${registry('files', 'files-prod')}policies:\n  production:\n    requireScan: [ALLOWED]\noutput:\n  dir: rendered\n  kustomization: true\n  lambdaDir: lambda\n`,
      'services/api.yaml': `apiVersion: gitopsc/v1\nkind: Service\nmetadata: { name: api }\nspec:\n  artifact:\n    registry: har\n    package: payments/api\n    select: { range: "^1", scan: [ALLOWED] }\n  kubernetes:\n    replicas: 1\n    ports: [{ name: http, containerPort: 8080 }]\n    service: { port: 80, targetPort: http }\n`,
      'services/invoice-fn.yaml': `apiVersion: gitopsc/v1\nkind: Service\nmetadata: { name: invoice-fn }\nspec:\n  artifact:\n    registry: files\n    package: invoice-fn\n    format: file\n    file: function.zip\n    select: { strategy: newest-build }\n  lambda:\n    functionName: invoice-fn\n    runtime: nodejs22.x\n    handler: index.handler\n    role: arn:aws:iam::123456789012:role/invoice-fn\n    code: { s3Bucket: acme-artifacts, s3Key: "{package}/{tag}/{fileDigest}.zip" }\n`,
    });
    const resolve = await cli(dir, 'resolve', '--format', 'json');
    expect(resolve.json.diagnostics).toEqual([]);
    const validate = await cli(dir, 'validate', '--format', 'json');
    expect(validate.json.diagnostics).toEqual([]);
    const render = await cli(dir, 'render', '--format', 'json');
    expect(render.json.diagnostics).toEqual([]);
    expect((await cli(dir, 'render', '--check', '--format', 'json')).json.diagnostics).toEqual([]);
    const built = execFileSync('/usr/bin/kubectl', ['kustomize', join(dir, 'rendered/prod')], { encoding: 'utf8' });
    expect([...built.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]).sort()).toEqual(['Deployment', 'Service']);

    const repo = makeRepo({ 'README.md': '# deploy\n', 'apps/shop.yaml': 'kind: Application\n' });
    const pub = await cli(dir, 'publish', '--repo', repo, '--format', 'json');
    expect(pub.json.diagnostics).toEqual([]);
    const message = git(repo, 'log', '-1', '--format=%B');
    expect(message.split('\n')[0]).not.toContain('4 services');
    expect(message).not.toMatch(/^- \//m);
    expect(message).toContain(`Gitopsc-Artifact-Version-Id: api/prod ${versionId('docker-prod', 'payments/api', '1.1.0')}`);
    expect(message).toContain(`Gitopsc-Artifact-Version-Id: invoice-fn/prod ${versionId('files-prod', 'invoice-fn', '2.0.0')}`);
    const tree = git(repo, 'ls-tree', '-r', '--name-only', 'HEAD').trim().split('\n');
    expect(tree).toEqual(expect.arrayContaining(['README.md', 'apps/shop.yaml', 'prod/kustomization.yaml', 'lambda/prod/invoice-fn/function.json', '.gitopsc-owned']));

    // quarantined since it was locked: audit reports it, naming service and environment
    const v = emu.seed.registries[0]!.packages[0]!.versions.find((x) => x.name === '1.1.0')!;
    v.isQuarantined = true;
    v.quarantineReason = 'CVE-2026-9999';
    const audit = await cli(dir, 'audit', '--format', 'json');
    expect(audit.code).toBe(1);
    expect(audit.json.diagnostics.map((d) => [d.code, (d as { service?: string }).service, (d as { environment?: string }).environment])).toEqual([
      ['POLICY_VIOLATION', 'api', 'dev'],
      ['POLICY_VIOLATION', 'api', 'prod'],
    ]);
    expect(emu.violations).toEqual([]);
  }, 120_000);
});
