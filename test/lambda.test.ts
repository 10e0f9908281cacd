/** Lambda outputs: the bugs of issue 13 part 5, region/account per environment, the aws-cli files against the AWS CLI's own validation. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile, fsSource } from '../src/pipeline.js';
import { codeSha256, lambdaTarget, lambdaView } from '../src/render/lambda.js';
import { loopbackHost } from '../src/targets/lambda/check.js';
import { loadYaml } from '../src/load/yaml.js';
import { validateService } from '../src/validate/index.js';
import { DIGEST, cli, makeProject } from './helpers/project.js';

const CATALOG = `packages:
  fn/zip:
    - { tag: "1.0.0", digest: "${DIGEST('d')}", files: [{ name: function.zip, digest: "${DIGEST('e')}" }] }
  fn/image:
    - tag: "2.0.0"
      digest: "${DIGEST('f')}"
      platforms:
        linux/amd64: { digest: "${DIGEST('1')}" }
        linux/arm64: { digest: "${DIGEST('2')}", created: "2026-01-01T00:00:00Z" }
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
  ecr-eu: { type: static, path: catalog.yaml, host: 210987654321.dkr.ecr.eu-west-1.amazonaws.com }
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
  environments:
    prod:
      lambda: { mirror: { registry: ecr-eu, repository: lambda/img } }
`;

async function rendered(files: Record<string, string>): Promise<Map<string, unknown>> {
  const dir = makeProject(files);
  const r = await cli(dir, 'resolve', '--format', 'json');
  expect(r.json.diagnostics).toEqual([]);
  const state = await compile(fsSource(dir), { configFile: 'gitopsc.config.yaml' });
  expect(state.diagnostics).toEqual([]);
  return new Map(state.files.map((f) => [f.path, (f.path.endsWith(".json") ? JSON.parse(f.content) : parseYaml(f.content)) as unknown]));
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
    expect(d.map((x) => [x.code, x.line])).toEqual([['SCHEMA', 23]]);
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
      ['SCHEMA', 10],
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
// Debian's awscli (what .ci/run installs) when present, else whichever `aws` is on PATH
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
/**
 * The interpreter of an `aws` that is a Python script (Debian's: `#!/usr/bin/python3`, then
 * `awscli.clidriver.main()`); null for any other kind (AWS's bundled installer), which is run
 * once per check instead.
 */
const awsPython = ((): string | null => {
  if (!existsSync(AWS)) return null;
  const text = readFileSync(AWS, 'latin1');
  const shebang = /^#!(\S*python3?)\s*\n/.exec(text)?.[1];
  return shebang && existsSync(shebang) && text.includes('awscli.clidriver') ? shebang : null;
})();
// Debian's awscli script is there: the checks run (and fail loudly if it is broken); any other
// `aws` is asked for its version first (a Python start-up of about 1 s of CPU saved when not)
const haveAws = awsPython !== null || spawnSync(AWS, ['--version'], { encoding: 'utf8' }).status === 0;
if (!haveAws) console.log('skipping the AWS CLI checks: no working `aws` (Debian package awscli; .ci/run installs it)');
/**
 * Runs the `aws` script itself once per command line inside one Python process (runpy, as the
 * interpreter runs it from its shebang; its `sys.exit` caught): the CLI's own argument parsing
 * and parameter validation, without paying Python's and botocore's start-up (about 0.9 s of CPU)
 * per file. Prints each command's stdout and stderr, then a line naming its exit status.
 */
const AWS_BATCH = `
import json, os, runpy, sys
os.dup2(1, 2)
aws = sys.argv[1]
for args in json.load(sys.stdin):
    sys.argv = [aws] + args
    try:
        runpy.run_path(aws, run_name='__main__')
        rc = 0
    except SystemExit as e:
        rc = e.code
    sys.stdout.flush()
    sys.stderr.flush()
    print('\\n@@gitopsc-aws-exit %s@@' % rc, flush=True)
`;

describe.skipIf(!haveAws)('aws-cli files against the AWS CLI', { concurrent: true }, () => {
  const OPS: Record<string, string[]> = {
    'function.json': ['create-function'],
    'update-function-code.json': ['update-function-code'],
    'update-function-configuration.json': ['update-function-configuration'],
    'alias.json': ['create-alias'],
  };
  function run(file: string, args: string[], env: Record<string, string>, input?: string): Promise<string> {
    return new Promise((done) => {
      const c = spawn(file, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: 60_000 });
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', () => done(out));
      if (input !== undefined) c.stdin!.end(input);
    });
  }
  /**
   * What `aws lambda <op> --cli-input-json file://...` prints for each of `checks` (stdout and
   * stderr together): one Python process for all of them when `aws` is a Python script, else
   * one `aws` process each, side by side.
   */
  async function check(checks: { op: string; json: unknown }[], batch = awsPython !== null): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-awscli-'));
    const argv = checks.map(({ op, json }, i) => {
      const file = join(dir, `in-${i}.json`);
      writeFileSync(file, JSON.stringify(json));
      return ['lambda', op, '--cli-input-json', `file://${file}`, '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9', '--cli-connect-timeout', '1', '--cli-read-timeout', '1'];
    });
    const env = { PATH: process.env.PATH ?? '', HOME: dir, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
    if (!batch) return Promise.all(argv.map((args) => run(AWS, args, env)));
    const out = await run(awsPython!, ['-c', AWS_BATCH, AWS], env, JSON.stringify(argv));
    const parts = out.split(/\n@@gitopsc-aws-exit \S+@@\n/);
    expect(parts, out).toHaveLength(checks.length + 1);
    return parts.slice(0, checks.length);
  }
  const WRONG = { what: 'a wrong key', op: 'update-function-code', json: { FunctionName: 'f', Code: {} } };
  const GOOD = { what: 'a good file', op: 'update-function-code', json: { FunctionName: 'f', ZipFile: 'eA==' } };
  const FUNCTIONS: [kind: string, svc: Record<string, string>, name: string][] = [
    ['zip', { 'services/fn.yaml': ZIP }, 'fn'],
    ['image', { 'services/img.yaml': IMAGE }, 'img'],
  ];
  /**
   * The checks of the cases below, by case, run as one batch (one Python process, about 1 s of
   * CPU each, instead of one per case): the batch's own check (a good file between two bad
   * ones) and every aws-cli file of each kind of function.
   */
  const outputs = new Map<string, string[]>();
  const byCase = new Map<string, { what: string; op: string; json: unknown }[]>();
  beforeAll(async () => {
    if (awsPython !== null) byCase.set('batch', [WRONG, GOOD, WRONG]);
    for (const [kind, svc, name] of FUNCTIONS) {
      const out = await rendered({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, ...svc });
      byCase.set(
        kind,
        Object.entries(OPS).flatMap(([file, ops]) => {
          const json = out.get(`dev/${name}/${file}`);
          expect(json, file).toBeDefined();
          return ops.map((op) => ({ what: `${op} ${file}`, op, json }));
        }),
      );
    }
    const texts = await check([...byCase.values()].flat());
    let at = 0;
    for (const [key, list] of byCase) outputs.set(key, texts.slice(at, (at += list.length)));
  }, 120_000);
  it('a wrong key is refused before any request (the check is real), by the `aws` command and in a batch', { timeout: 120_000 }, async () => {
    const [alone] = await check([WRONG], false);
    expect(alone).toMatch(/Unknown parameter/);
    if (awsPython === null) return;
    // the batch tells each command's output apart: a good file between two bad ones
    const batch = outputs.get('batch')!;
    expect(batch.map((o) => /Unknown parameter/.test(o))).toEqual([true, false, true]);
    expect(batch[1]).toMatch(/Could not connect/);
  });
  it.each(FUNCTIONS.map(([kind]) => kind))('every aws-cli file of a %s function passes parameter validation', (kind) => {
    const texts = outputs.get(kind)!;
    const list = byCase.get(kind)!;
    expect(texts).toHaveLength(list.length);
    list.forEach(({ what }, i) => {
      expect(texts[i], what).not.toMatch(/Parameter validation failed|Unknown parameter|Invalid type|Missing required/);
      expect(texts[i], what).toMatch(/Could not connect|connect|Connection/i);
    });
  });
});

describe('issue 13 part 1: outputs per consumer', () => {
  const ALL = 'lambda: { outputs: [aws-cli, ack, harness, cloudformation] }\n';
  it('renders each consumer\'s files', async () => {
    const out = await rendered({ 'gitopsc.config.yaml': config(ALL), 'catalog.yaml': CATALOG, 'services/fn.yaml': ZIP, 'services/img.yaml': IMAGE });
    expect([...out.keys()].filter((k) => k.startsWith('dev/fn/')).sort()).toEqual(
      [
        'ack-alias.yaml', 'ack-function.yaml', 'ack-version.yaml', 'alias.json', 'cloudformation.json', 'function.json',
        'harness-alias-definition.json', 'harness-function-definition.json', 'target.json', 'update-function-code.json', 'update-function-configuration.json',
      ].map((n) => `dev/fn/${n}`),
    );
  });
});

// ---- consumers' schemas ----

/** Kubernetes prunes unknown fields silently: a key the CRD does not declare is an error here. */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (!node || typeof node !== 'object') return node;
  const n = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, strict(v)])) as Record<string, unknown>;
  if (n.type === 'object' && n.properties && n.additionalProperties === undefined) n.additionalProperties = false;
  return n;
}
const FIX = join(import.meta.dirname, 'fixtures');
const ackValidators = Object.fromEntries(
  ['functions', 'aliases', 'versions'].map((f) => {
    const crd = JSON.parse(readFileSync(join(FIX, 'ack', `${f}.json`), 'utf8')) as { kind: string; openAPIV3Schema: object };
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    return [crd.kind, ajv.compile(strict(crd.openAPIV3Schema) as object)];
  }),
);
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
function ackErrors(doc: unknown): string[] {
  const d = doc as { apiVersion: string; kind: string; metadata: { name: string } };
  if (d.apiVersion !== 'lambda.services.k8s.aws/v1alpha1') return [`apiVersion ${d.apiVersion}`];
  const v = ackValidators[d.kind];
  if (!v) return [`kind ${d.kind}`];
  const out = v(doc) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  if (!DNS1123.test(d.metadata.name) || d.metadata.name.length > 253) out.push(`metadata.name ${d.metadata.name}`);
  return out;
}

interface CfnProp { PrimitiveType?: string; Type?: string; ItemType?: string; PrimitiveItemType?: string; Required?: boolean }
interface CfnSpec { ResourceTypes: Record<string, { Properties: Record<string, CfnProp> }>; PropertyTypes: Record<string, { Properties: Record<string, CfnProp> }> }
const CFN = JSON.parse(readFileSync(join(FIX, 'cfnspec', 'lambda.json'), 'utf8')) as CfnSpec;
const intrinsic = (v: unknown): boolean => !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && /^(Ref|Fn::\w+)$/.test(Object.keys(v)[0]!);
function cfnProps(resource: string, props: Record<string, CfnProp>, value: unknown, at: string, out: string[]): void {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return void out.push(`${at}: not an object`);
  for (const k of Object.keys(value)) if (!props[k]) out.push(`${at}.${k}: unknown property`);
  for (const [k, p] of Object.entries(props)) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) {
      if (p.Required) out.push(`${at}.${k}: required`);
      continue;
    }
    cfnValue(resource, p.PrimitiveType, p.Type, p.ItemType, p.PrimitiveItemType, v, `${at}.${k}`, out);
  }
}
function cfnValue(resource: string, prim: string | undefined, type: string | undefined, item: string | undefined, primItem: string | undefined, v: unknown, at: string, out: string[]): void {
  if (intrinsic(v)) return;
  if (prim) {
    const ok = prim === 'String' ? typeof v === 'string' : prim === 'Integer' || prim === 'Long' ? Number.isInteger(v) : prim === 'Double' ? typeof v === 'number' : prim === 'Boolean' ? typeof v === 'boolean' : prim === 'Json' ? typeof v === 'object' : true;
    if (!ok) out.push(`${at}: not ${prim}`);
    return;
  }
  if (type === 'List' || type === 'Map') {
    const items = type === 'List' ? (Array.isArray(v) ? v : (out.push(`${at}: not a list`), [])) : v && typeof v === 'object' ? Object.values(v) : (out.push(`${at}: not a map`), []);
    items.forEach((x, i) => cfnValue(resource, primItem, item, undefined, undefined, x, `${at}[${i}]`, out));
    return;
  }
  const def = CFN.PropertyTypes[`${resource}.${type}`] ?? CFN.PropertyTypes[type ?? ''];
  if (!def) return void out.push(`${at}: unknown type ${type}`);
  cfnProps(resource, def.Properties, v, at, out);
}
function cfnErrors(template: unknown): string[] {
  const out: string[] = [];
  const t = template as { Resources: Record<string, { Type: string; Properties: unknown }> };
  for (const [id, r] of Object.entries(t.Resources)) {
    const rt = CFN.ResourceTypes[r.Type];
    if (!rt) out.push(`${id}: unknown type ${r.Type}`);
    else cfnProps(r.Type, rt.Properties, r.Properties, id, out);
  }
  return out;
}

describe('issue 13 part 1: each output against its consumer\'s schema', () => {
  const ALL = 'lambda: { outputs: [aws-cli, ack, harness, cloudformation] }\n';
  it.each(['dev', 'prod'])('ack and cloudformation files are valid (%s, zip and image)', async (env) => {
    const out = await rendered({ 'gitopsc.config.yaml': config(ALL), 'catalog.yaml': CATALOG, 'services/fn.yaml': ZIP, 'services/img.yaml': IMAGE.replace('registry: ecr', 'registry: local').replace('    alias:', '    publish: false\n    mirror: { registry: ecr }\n    alias:') });
    let ack = 0;
    let cfn = 0;
    for (const [path, doc] of out) {
      if (!path.startsWith(`${env}/`)) continue;
      if (path.includes('/ack-')) {
        ack++;
        expect(ackErrors(doc), path).toEqual([]);
      }
      if (path.endsWith('/cloudformation.json')) {
        cfn++;
        expect(cfnErrors(doc), path).toEqual([]);
      }
    }
    expect([ack, cfn]).toEqual([5, 2]);
  });
  it('the checkers catch what they must (unknown, mistyped and missing fields)', () => {
    expect(ackErrors({ apiVersion: 'lambda.services.k8s.aws/v1alpha1', kind: 'Function', metadata: { name: 'Fn_1' }, spec: { name: 'f', code: { S3Bucket: 'b' }, timeout: '3' } })).toHaveLength(3);
    expect(cfnErrors({ Resources: { F: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Bucket: 'b' }, Tags: { a: 'b' }, Timeout: '3' } } } })).toEqual(['F.Role: required', 'F.Tags: not a list', 'F.Timeout: not Integer']);
  });
  it('ack carries the code hash: new code at the same key is a new hash and a new Version', async () => {
    const a = await rendered({ 'gitopsc.config.yaml': config(ALL), 'catalog.yaml': CATALOG, 'services/fn.yaml': ZIP.replace('s3Key: "{region}/{package}/{fileDigest}.zip"', 's3Key: fixed.zip') });
    const b = await rendered({ 'gitopsc.config.yaml': config(ALL), 'catalog.yaml': CATALOG.replace(DIGEST('e'), DIGEST('9')), 'services/fn.yaml': ZIP.replace('s3Key: "{region}/{package}/{fileDigest}.zip"', 's3Key: fixed.zip') });
    const code = (m: Map<string, unknown>) => (m.get('dev/fn/ack-function.yaml') as { spec: { code: Record<string, string> } }).spec.code;
    expect(code(a).s3Key).toBe(code(b).s3Key);
    expect(code(a).sha256).toBe(Buffer.from('e'.repeat(64), 'hex').toString('base64'));
    expect(code(b).sha256).toBe(Buffer.from('9'.repeat(64), 'hex').toString('base64'));
    expect([...a.keys()].filter((k) => k.startsWith('dev/fn/ack-version'))).toEqual(['dev/fn/ack-version.yaml']);
    const name = (m: Map<string, unknown>) => (m.get('dev/fn/ack-version.yaml') as { metadata: { name: string } }).metadata.name;
    expect([name(a), name(b)]).toEqual(['fn-eeeeeeeeeeee', 'fn-999999999999']);
  });
  it('harness definitions use the SDK\'s camelCase names and leave code to Harness', async () => {
    const out = await rendered({ 'gitopsc.config.yaml': config(ALL), 'catalog.yaml': CATALOG, 'services/fn.yaml': ZIP });
    const def = out.get('dev/fn/harness-function-definition.json') as Record<string, unknown>;
    expect(Object.keys(def).every((k) => /^[a-z][A-Za-z0-9]*$/.test(k))).toBe(true);
    expect(def).toMatchObject({ functionName: 'fn', runtime: 'nodejs22.x', handler: 'index.handler', role: 'arn:aws:iam::123456789012:role/fn' });
    expect(def.code).toBeUndefined();
    expect(out.get('dev/fn/harness-alias-definition.json')).toEqual({ description: 'pinned', name: 'live' });
  });
  it('cloudformation: Tags are a Key/Value list, the alias follows the published Version, region/account are asserted', async () => {
    const out = await rendered({ 'gitopsc.config.yaml': config(ALL), 'catalog.yaml': CATALOG, 'services/img.yaml': IMAGE });
    const t = out.get('dev/img/cloudformation.json') as { Rules: unknown; Resources: Record<string, { Properties: Record<string, unknown> }> };
    expect(t.Resources.Alias!.Properties.FunctionVersion).toEqual({ 'Fn::GetAtt': ['Version', 'Version'] });
    expect(t.Resources.Function!.Properties.Tags).toEqual([]);
    expect(JSON.stringify(t.Rules)).toContain('"us-east-1"');
    expect(JSON.stringify(t.Rules)).toContain('"123456789012"');
  });
  it('only the chosen outputs are rendered; the default is aws-cli', async () => {
    const only = await rendered({ 'gitopsc.config.yaml': config('lambda: { outputs: [ack] }\n'), 'catalog.yaml': CATALOG, 'services/fn.yaml': ZIP });
    expect([...only.keys()].filter((k) => k.startsWith('dev/')).sort()).toEqual(['dev/fn/ack-alias.yaml', 'dev/fn/ack-function.yaml', 'dev/fn/ack-version.yaml', 'dev/fn/target.json']);
    const def = await rendered({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, 'services/fn.yaml': ZIP });
    expect([...def.keys()].filter((k) => k.startsWith('dev/')).sort()).toEqual(['alias.json', 'function.json', 'target.json', 'update-function-code.json', 'update-function-configuration.json'].map((n) => `dev/fn/${n}`));
  });
});

describe('issue 13 part 3: container images for Lambda', () => {
  it('an image function renders its architecture\'s single-platform digest, from ECR or the mirror', async () => {
    const out = await rendered({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, 'services/img.yaml': IMAGE });
    expect((out.get('dev/img/function.json') as { Code: unknown }).Code).toEqual({ ImageUri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/fn/image@${DIGEST('2')}` });
    expect((out.get('prod/img/update-function-code.json') as { ImageUri: string }).ImageUri).toBe(`210987654321.dkr.ecr.eu-west-1.amazonaws.com/lambda/img@${DIGEST('2')}`);
    const x86 = await rendered({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, 'services/img.yaml': IMAGE.replace('[arm64]', '[x86_64]') });
    expect((x86.get('dev/img/function.json') as { Code: unknown }).Code).toEqual({ ImageUri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/fn/image@${DIGEST('1')}` });
  });
  it('the lock records the platform digest', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, 'services/img.yaml': IMAGE });
    expect((await cli(dir, 'resolve', '--format', 'json')).code).toBe(0);
    const lock = parseYaml(readFileSync(join(dir, 'gitopsc.lock'), 'utf8')) as { services: Record<string, Record<string, { digest: string }>> };
    expect(lock.services.img!.dev!.digest).toBe(DIGEST('2'));
  });
  it.each([
    ['a registry outside ECR', IMAGE.replace('registry: ecr,', 'registry: local,'), [['POLICY_VIOLATION', 6, 25, 'dev']]],
    ['ECR in another region', IMAGE.replace('registry: ecr-eu,', 'registry: ecr,'), [['POLICY_VIOLATION', 14, 37, 'prod']]],
    ['an unknown mirror', IMAGE.replace('registry: ecr-eu,', 'registry: nope,'), [['UNKNOWN_REGISTRY', 14, 37, 'prod']]],
    ['a mirror outside ECR', IMAGE.replace('registry: ecr-eu,', 'registry: local,'), [['POLICY_VIOLATION', 14, 37, 'prod']]],
  ])('%s is refused at the line', async (_n, svc, want) => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, 'services/img.yaml': svc });
    const r = await cli(dir, 'validate', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.line, d.column, (d as { environment?: string }).environment])).toEqual(want);
  });
  it.each([
    ['127.0.0.1:5000', true],
    ['127.8.9.10', true],
    ['localhost:4510', true],
    ['LOCALHOST', true],
    ['[::1]:5000', true],
    ['[0:0:0:0:0:0:0:1]', true],
    ['::1', true],
    ['128.0.0.1', false],
    ['127.0.0.1.nip.io', false],
    ['localhost.example.com', false],
    ['127.0.0.256', false],
    ['[::2]:5000', false],
    ['registry.example.com', false],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', false],
  ])('loopbackHost(%s) is %s', (host, want) => {
    expect(loopbackHost(host)).toBe(want);
  });
  it.each([
    ['a loopback mirror (LocalStack ECR) is accepted', 'host: "127.0.0.1:4510"', IMAGE.replace('registry: ecr-eu,', 'registry: lo,'), 0, []],
    ['a loopback source registry is accepted', 'host: "localhost:4510"', IMAGE.replace('registry: ecr,', 'registry: lo,'), 0, []],
    ['a non-ECR mirror that only looks local is refused', 'host: "127.0.0.1.nip.io"', IMAGE.replace('registry: ecr-eu,', 'registry: lo,'), 1, [['POLICY_VIOLATION', 14, 37, 'prod']]],
  ])('%s', async (_n, host, svc, code, want) => {
    const cfg = config().replace('registries:\n', `registries:\n  lo: { type: static, path: catalog.yaml, ${host} }\n`);
    const dir = makeProject({ 'gitopsc.config.yaml': cfg, 'catalog.yaml': CATALOG, 'services/img.yaml': svc });
    const r = await cli(dir, 'validate', '--format', 'json');
    expect(r.json.diagnostics.map((d) => [d.code, d.line, d.column, (d as { environment?: string }).environment])).toEqual(want);
    expect(r.code).toBe(code);
  });
  it('staged records win: S3 object version and CodeSha256 for zips, the mirror URI for images', () => {
    const lock = { service: 'fn', environment: 'dev', registry: 'r', package: 'p', tag: '1', strategy: 'exact' as const, fingerprint: 'x', fileDigest: DIGEST('e') };
    const base = { service: 'fn', environment: 'dev', package: 'p', reference: 'h/p', labels: {}, target: { outputs: ['aws-cli' as const], aws: {} } };
    const zip = lambdaView({ ...base, format: 'file', file: 'f.zip', spec: { code: { s3Bucket: 'b' } }, lock: { ...lock, staged: { s3Bucket: 'sb', s3Key: 'k', s3ObjectVersion: 'v9', codeSha256: 'abc=' } } });
    expect([zip.code, zip.codeSha256]).toEqual([{ S3Bucket: 'sb', S3Key: 'k', S3ObjectVersion: 'v9' }, 'abc=']);
    const plain = lambdaView({ ...base, format: 'file', file: 'f.zip', spec: { code: { s3Bucket: 'b' } }, lock });
    expect([plain.code, plain.codeSha256]).toEqual([{ S3Bucket: 'b', S3Key: `p/${DIGEST('e')}/f.zip` }, codeSha256(DIGEST('e'))]);
    const img = lambdaView({ ...base, format: 'image', spec: {}, lock: { ...lock, digest: DIGEST('2'), staged: { imageUri: `m/p@${DIGEST('2')}` } } });
    expect(img.code).toEqual({ ImageUri: `m/p@${DIGEST('2')}` });
  });
});
