/** A Lambda image function against a real registry (docker-registry): the lock and the output carry the architecture's child manifest, never the index. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startRegistry, type RegistryInstance } from './registry/server.js';
import { Seeder, type Pushed } from './registry/seed.js';
import { cli, makeProject } from './helpers/project.js';

let reg: RegistryInstance;
let index: Pushed & { children: Pushed[] };

beforeAll(async () => {
  reg = await startRegistry();
  index = await new Seeder(reg.url).pushIndex('fn/resize', ['3.0.0'], [
    { os: 'linux', architecture: 'amd64', created: '2026-03-01T00:00:00Z', salt: 'a' },
    { os: 'linux', architecture: 'arm64', created: '2026-03-02T00:00:00Z', salt: 'b' },
  ]);
});
afterAll(async () => {
  await reg?.stop();
});

const service = (arch: string, mirror = true) => `apiVersion: gitopsc/v1
kind: Service
metadata: { name: resize }
spec:
  artifact: { registry: src, package: fn/resize, select: { strategy: exact, tag: "3.0.0" } }
  lambda:
    functionName: resize
    role: arn:aws:iam::123456789012:role/resize
    architectures: [${arch}]
${mirror ? '    mirror: { registry: ecr, repository: lambda/resize }\n' : ''}`;

function project(svc: string): string {
  return makeProject({
    'gitopsc.config.yaml': `aws: { region: us-east-1 }
registries:
  src: { type: oci, url: ${reg.url} }
  ecr: { type: static, path: catalog.yaml, host: 123456789012.dkr.ecr.us-east-1.amazonaws.com }
`,
    'catalog.yaml': 'packages: {}\n',
    'services/resize.yaml': svc,
  });
}

describe('Lambda image functions from a multi-platform index', () => {
  it.each([
    ['arm64', 1],
    ['x86_64', 0],
  ])('%s: the lock and ImageUri name the platform child', async (arch, child) => {
    const dir = project(service(arch));
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    const want = index.children[child]!.digest;
    expect(want).not.toBe(index.digest);
    const lock = parse(readFileSync(join(dir, 'gitopsc.lock'), 'utf8')) as { services: { resize: { default: { digest: string } } } };
    expect(lock.services.resize.default.digest).toBe(want);
    expect((await cli(dir, 'render', '--format', 'json')).code).toBe(0);
    const fn = JSON.parse(readFileSync(join(dir, 'rendered/default/resize/function.json'), 'utf8')) as { Code: unknown; Architectures: string[] };
    expect(fn.Code).toEqual({ ImageUri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/lambda/resize@${want}` });
    expect(fn.Architectures).toEqual([arch]);
  });
  it('without an ECR mirror a non-ECR, non-loopback registry is refused before any request', async () => {
    const dir = project(service('arm64', false));
    const cfg = join(dir, 'gitopsc.config.yaml');
    // registry.invalid never resolves: a request would be REGISTRY_UNAVAILABLE, not POLICY_VIOLATION
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(`url: ${reg.url}`, 'url: https://registry.invalid'));
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.line])).toEqual([['POLICY_VIOLATION', 5]]);
  });
  it('without an ECR mirror the loopback registry stands in for ECR (LocalStack) and renders its own URI', async () => {
    const dir = project(service('arm64', false));
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect((await cli(dir, 'render', '--format', 'json')).code).toBe(0);
    const fn = JSON.parse(readFileSync(join(dir, 'rendered/default/resize/function.json'), 'utf8')) as { Code: unknown };
    expect(fn.Code).toEqual({ ImageUri: `${reg.host}/fn/resize@${index.children[1]!.digest}` });
  });
});
