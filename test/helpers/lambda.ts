/** The Lambda project of test/lambda.test.ts and test/lambda.awscli.consumer.test.ts: a static catalog with a zip and an image package, a zip and an image function, and their rendered files. */
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile, fsSource } from '../../src/pipeline.js';
import { DIGEST, cli, makeProject } from './project.js';

export const CATALOG = `packages:
  fn/zip:
    - { tag: "1.0.0", digest: "${DIGEST('d')}", files: [{ name: function.zip, digest: "${DIGEST('e')}" }] }
  fn/image:
    - tag: "2.0.0"
      digest: "${DIGEST('f')}"
      platforms:
        linux/amd64: { digest: "${DIGEST('1')}" }
        linux/arm64: { digest: "${DIGEST('2')}", created: "2026-01-01T00:00:00Z" }
`;

export function config(extra = ''): string {
  return `environments:
  - name: dev
  - name: prod
    production: true
    aws: { region: eu-west-1, account: "210987654321" }
registries:
  local: { type: static, path: catalog.yaml, host: registry.example.com }
  ecr: { type: static, path: catalog.yaml, host: 123456789012.dkr.ecr.us-east-1.amazonaws.com }
  ecr-eu: { type: static, path: catalog.yaml, host: 210987654321.dkr.ecr.eu-west-1.amazonaws.com }
aws: { region: us-east-1, account: "123456789012" }
${extra}`;
}

export const ZIP = `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: fn
  labels: { team: billing }
spec:
  artifact: { registry: local, package: fn/zip, format: file, file: function.zip, select: { strategy: exact, tag: "1.0.0" } }
  lambda:
    functionName: fn
    runtime: nodejs22.x
    handler: index.handler
    role: arn:aws:iam::123456789012:role/fn
    publish: true
    description: "invoices: generated"
    memorySize: 256
    timeout: 30
    ephemeralStorage: 1024
    tracing: Active
    environment: { STAGE: dev, "LOG_LEVEL": "no" }
    tags: { cost-center: "42", team: payments }
    layers: ["arn:aws:lambda:us-east-1:123456789012:layer:deps:3"]
    code: { s3Bucket: bucket, s3Key: "{region}/{package}/{fileDigest}.zip", s3ObjectVersion: v1 }
    alias: { name: live, functionVersion: "7", description: pinned }
`;

export const IMAGE = `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: img
spec:
  artifact: { registry: ecr, package: fn/image, select: { strategy: exact, tag: "2.0.0" } }
  lambda:
    functionName: img
    role: arn:aws:iam::123456789012:role/img
    architectures: [arm64]
    alias: { name: live }
  environments:
    prod:
      lambda: { mirror: { registry: ecr-eu, repository: lambda/img } }
`;

/** The project's files after resolve, by path: JSON and YAML parsed. */
export async function rendered(files: Record<string, string>): Promise<Map<string, unknown>> {
  const dir = makeProject(files);
  const r = await cli(dir, 'resolve', '--format', 'json');
  expect(r.json.diagnostics).toEqual([]);
  const state = await compile(fsSource(dir), { configFile: 'gitopsc.config.yaml' });
  expect(state.diagnostics).toEqual([]);
  return new Map(state.files.map((f) => [f.path, (f.path.endsWith(".json") ? JSON.parse(f.content) : parseYaml(f.content)) as unknown]));
}
