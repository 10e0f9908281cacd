/** Lambda outputs: the bugs of issue 13 part 5, region/account per environment, each output against its consumer's schema. (The aws-cli files against the AWS CLI's own validation: test/lambda.awscli.consumer.test.ts.) */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { codeSha256, lambdaTarget, lambdaView } from '../src/render/lambda.js';
import { loopbackHost } from '../src/targets/lambda/check.js';
import { loadYaml } from '../src/load/yaml.js';
import { validateService } from '../src/validate/index.js';
import { CATALOG, IMAGE, ZIP, config, rendered } from './helpers/lambda.js';
import { DIGEST, cli, makeProject } from './helpers/project.js';

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
