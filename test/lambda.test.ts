/** Lambda outputs: the bugs of issue 13 part 5, region/account per environment, the aws-cli files against the AWS CLI's own validation. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, fsSource } from '../src/pipeline.js';
import { codeSha256, lambdaTarget } from '../src/render/lambda.js';
import { loadYaml } from '../src/load/yaml.js';
import { validateService } from '../src/validate/index.js';
import { DIGEST, cli, makeProject } from './helpers/project.js';

const CATALOG = `packages:
  fn/zip:
    - { tag: "1.0.0", digest: "${DIGEST('d')}", files: [{ name: function.zip, digest: "${DIGEST('e')}" }] }
  fn/image:
    - { tag: "2.0.0", digest: "${DIGEST('f')}" }
`;

function config(extra = ''): string {
  return `environments:
  - name: dev
  - name: prod
    production: true
    aws: { region: eu-west-1, account: "210987654321" }
registries:
  local: { type: static, path: catalog.yaml, host: registry.example.com }
  ecr: { type: static, path: catalog.yaml, host: 123456789012.dkr.ecr.us-east-1.amazonaws.com }
aws: { region: us-east-1, account: "123456789012" }
${extra}`;
}

const ZIP = `apiVersion: gitopsc/v1
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
    tags: { cost-center: "42", team: payments }
    layers: ["arn:aws:lambda:us-east-1:123456789012:layer:deps:3"]
    code: { s3Bucket: bucket, s3Key: "{region}/{package}/{fileDigest}.zip", s3ObjectVersion: v1 }
    alias: { name: live, functionVersion: "7", description: pinned }
`;

const IMAGE = `apiVersion: gitopsc/v1
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
`;

async function rendered(files: Record<string, string>): Promise<Map<string, unknown>> {
  const dir = makeProject(files);
  const r = await cli(dir, 'resolve', '--format', 'json');
  expect(r.json.diagnostics).toEqual([]);
  const state = await compile(fsSource(dir), { configFile: 'gitopsc.config.yaml' });
  expect(state.diagnostics).toEqual([]);
  return new Map(state.files.map((f) => [f.path, JSON.parse(f.content) as unknown]));
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const validate = (src: string) => validateService(loadYaml('services/x.yaml', enc(src)).doc!);

describe('issue 13 part 5: Lambda bugs', () => {
  it('spec.lambda.tags reach Tags, over metadata.labels; Kubernetes labels do not', async () => {
    const out = await rendered({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, 'services/fn.yaml': ZIP });
    const fn = out.get('dev/fn/function.json') as Record<string, unknown>;
    expect(fn.Tags).toEqual({ 'cost-center': '42', team: 'payments' });
  });
  it('the schema accepts alias.functionVersion, publish and code.s3ObjectVersion, and they are rendered', async () => {
    expect(validate(ZIP)).toEqual([]);
    const out = await rendered({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, 'services/fn.yaml': ZIP });
    const fn = out.get('dev/fn/function.json') as Record<string, unknown>;
    expect(fn.Publish).toBe(true);
    expect(fn.Code).toEqual({ S3Bucket: 'bucket', S3Key: 'us-east-1/fn/zip/' + DIGEST('e') + '.zip', S3ObjectVersion: 'v1' });
    expect(out.get('dev/fn/alias.json')).toEqual({ Description: 'pinned', FunctionName: 'fn', FunctionVersion: '7', Name: 'live' });
    expect(out.get('dev/fn/update-function-code.json')).toMatchObject({ Publish: true, S3ObjectVersion: 'v1' });
  });
  it('Layers are refused for an image function, at the line', () => {
    const d = validate(IMAGE.replace('    alias:', '    layers: ["arn:aws:lambda:us-east-1:123456789012:layer:deps:3"]\n    alias:'));
    expect(d.map((x) => [x.code, x.line, x.column])).toEqual([['SCHEMA', 11, 5]]);
  });
  it('Layers of a zip function are rendered', async () => {
    const out = await rendered({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, 'services/fn.yaml': ZIP });
    expect((out.get('dev/fn/function.json') as Record<string, unknown>).Layers).toEqual(['arn:aws:lambda:us-east-1:123456789012:layer:deps:3']);
  });
  it('a bad alias.functionVersion is SCHEMA at the value', () => {
    const d = validate(ZIP.replace('functionVersion: "7"', 'functionVersion: latest'));
    expect(d.map((x) => [x.code, x.line])).toEqual([['SCHEMA', 17]]);
  });
});

describe('issue 13 part 4: region and account per environment', () => {
  it('the environment overrides the top-level aws block', () => {
    const cfg = { aws: { region: 'us-east-1', account: '123456789012' }, environments: [{ name: 'dev' }, { name: 'prod', aws: { region: 'eu-west-1' } }] };
    expect(lambdaTarget(cfg, 'dev', {}, 'p').aws).toEqual({ region: 'us-east-1', account: '123456789012' });
    expect(lambdaTarget(cfg, 'prod', {}, 'p').aws).toEqual({ region: 'eu-west-1', account: '123456789012' });
    expect(lambdaTarget({}, 'prod', {}, 'p')).toEqual({ outputs: ['aws-cli'], aws: {} });
  });
  it('reaches the aws-cli output (target.json, S3 key)', async () => {
    const out = await rendered({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, 'services/fn.yaml': ZIP });
    expect(out.get('dev/fn/target.json')).toEqual({ account: '123456789012', region: 'us-east-1' });
    expect(out.get('prod/fn/target.json')).toEqual({ account: '210987654321', region: 'eu-west-1' });
    expect((out.get('prod/fn/function.json') as { Code: { S3Key: string } }).Code.S3Key).toMatch(/^eu-west-1\//);
  });
  it('a bad region or account is SCHEMA', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config().replace('region: eu-west-1', 'region: Europe').replace('"123456789012" }', '"1234" }'), 'catalog.yaml': CATALOG, 'services/fn.yaml': ZIP });
    const r = await cli(dir, 'validate', '--format', 'json');
    expect(r.json.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['SCHEMA', 5],
      ['SCHEMA', 9],
    ]);
  });
});

describe('CodeSha256 from the lock', () => {
  it('is base64 of the raw SHA-256', () => {
    expect(codeSha256(`sha256:${'e'.repeat(64)}`)).toBe(Buffer.from('e'.repeat(64), 'hex').toString('base64'));
    expect(codeSha256('md5:xx')).toBeUndefined();
  });
});

// The AWS CLI's own parameter validation (botocore's model) runs before any request: an
// unreachable endpoint turns "validation passed" into a connection error.
const aws = spawnSync('aws', ['--version'], { encoding: 'utf8' });
const haveAws = aws.status === 0;
if (!haveAws) console.log('skipping the AWS CLI checks: `aws` is not on PATH (Debian package awscli; .ci/run installs it)');

describe.skipIf(!haveAws)('aws-cli files against the AWS CLI', () => {
  const OPS: Record<string, string[]> = {
    'function.json': ['create-function'],
    'update-function-code.json': ['update-function-code'],
    'update-function-configuration.json': ['update-function-configuration'],
    'alias.json': ['create-alias'],
  };
  function check(op: string, json: unknown): string {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-awscli-'));
    const file = join(dir, 'in.json');
    writeFileSync(file, JSON.stringify(json));
    const r = spawnSync('aws', ['lambda', op, '--cli-input-json', `file://${file}`, '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9', '--cli-connect-timeout', '1', '--cli-read-timeout', '1'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: dir, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
      timeout: 60_000,
    });
    return `${r.stdout}${r.stderr}`;
  }
  it('a wrong key is refused before any request (the check is real)', () => {
    expect(check('update-function-code', { FunctionName: 'f', Code: {} })).toMatch(/Unknown parameter/);
  });
  it.each([
    ['zip', { 'services/fn.yaml': ZIP }, 'fn'],
    ['image', { 'services/img.yaml': IMAGE }, 'img'],
  ])('every aws-cli file of a %s function passes parameter validation', async (_k, svc, name) => {
    const out = await rendered({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, ...svc });
    for (const [file, ops] of Object.entries(OPS)) {
      const json = out.get(`dev/${name}/${file}`);
      expect(json, file).toBeDefined();
      for (const op of ops) {
        const text = check(op, json);
        expect(text, `${op} ${file}`).not.toMatch(/Parameter validation failed|Unknown parameter|Invalid type|Missing required/);
        expect(text, `${op} ${file}`).toMatch(/Could not connect|connect|Connection/i);
      }
    }
  }, 120_000);
});
