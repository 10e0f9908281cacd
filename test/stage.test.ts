/**
 * `gitopsc stage` against real parts: a real docker-registry holding the zip as an OCI file
 * artifact, and a real S3-compatible server (s3rver) on loopback. Faults neither produces
 * (403, 5xx, a stalled PUT, wrong bytes from the registry) go through a proxy in front of them.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseLock } from '../src/resolve/lock.js';
import { loadYaml } from '../src/load/yaml.js';
import { blobsOf, pickPlatform, s3KeyProblem } from '../src/stage/plan.js';
import { startRegistry, type RegistryInstance } from './registry/server.js';
import { Seeder } from './registry/seed.js';
import { editHeaders, failTimes, matching, proxyTokenServer, requireBearer, startProxy, type Proxy } from './registry/proxy.js';
import { startS3, type S3Instance } from './s3/server.js';
import { startHarEmulator, type HarEmulator } from './har/emulator.js';
import { cliWithEnv, makeProject, snapshot } from './helpers/project.js';
import { git, makeRepo } from './helpers/git.js';

const ZIP = Buffer.from('PK\u0003\u0004 invoice function 2.1.0');
const SECRET = 'test-secret-XYZZY-never-printed';
let registry: RegistryInstance;
let s3: S3Instance;
let fileDigest: string;
const proxies: Proxy[] = [];
/** The CLI's environment (its Host's env; the S3 client and the registry auth read it): never process.env. */
const env: Record<string, string | undefined> = { ...process.env };
const cli = (dir: string, ...args: string[]) => cliWithEnv(env, dir, ...args);

beforeAll(async () => {
  [registry, s3] = await Promise.all([startRegistry(), startS3(['artifacts'])]);
  const seeded = await new Seeder(registry.url).pushFileArtifact('fn/invoice', ['2.1.0'], { name: 'function.zip', content: ZIP }, { created: '2026-02-01T00:00:00Z' });
  fileDigest = seeded.fileDigest;
  // the SDK's standard chain finds these in the environment; nothing else may be consulted
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    GITOPSC_S3_ATTEMPTS: '2',
  });
  delete env.AWS_PROFILE;
}, 120_000);

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.stop();
  for (const k of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL', 'GITOPSC_S3_TIMEOUT_MS']) delete env[k];
  env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
});

afterAll(async () => {
  await Promise.all([registry?.stop(), s3?.stop()]);
});

function project(registryUrl: string, code = '{ s3Bucket: artifacts }'): string {
  return makeProject({
    'gitopsc.config.yaml': `environments:\n  - name: dev\n  - name: prod\n    production: true\nregistries:\n  hub:\n    type: oci\n    url: ${registryUrl}\n`,
    'services/fn.yaml': `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: fn
spec:
  artifact:
    registry: hub
    package: fn/invoice
    format: file
    file: function.zip
    select: { strategy: semver, range: "^2" }
  lambda:
    functionName: invoice
    runtime: nodejs22.x
    handler: index.handler
    role: arn:aws:iam::123456789012:role/invoice
    code: ${code}
`,
  });
}

function client(): S3Client {
  return new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
}

async function objectBytes(key: string): Promise<Buffer | undefined> {
  try {
    const r = await client().send(new GetObjectCommand({ Bucket: 'artifacts', Key: key }));
    return Buffer.from(await r.Body!.transformToByteArray());
  } catch {
    return undefined;
  }
}

function lockOf(dir: string) {
  const text = readFileSync(join(dir, 'gitopsc.lock'), 'utf8');
  return parseLock(loadYaml('gitopsc.lock', Buffer.from(text)).doc!).lock;
}

async function resolved(registryUrl = registry.url, code?: string): Promise<string> {
  const dir = project(registryUrl, code);
  const r = await cli(dir, 'resolve', '--format', 'json');
  expect(r.json.diagnostics).toEqual([]);
  return dir;
}

async function s3Proxy(): Promise<Proxy> {
  const p = await startProxy(s3.url);
  proxies.push(p);
  env.AWS_ENDPOINT_URL_S3 = p.url;
  return p;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('base64');
const defaultKey = () => `fn/invoice/${fileDigest}/function.zip`;

describe('gitopsc stage', () => {
  it('signs each upload for the environment\'s aws.region from the config (environments[].aws over aws), not AWS_REGION', async () => {
    const dir = project(registry.url, '{ s3Bucket: artifacts, s3Key: "{environment}/{region}/{fileDigest}.zip" }');
    const cfg = join(dir, 'gitopsc.config.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('    production: true\n', '    production: true\n    aws: { region: eu-west-1 }\n') + 'aws: { region: us-west-2 }\n');
    expect((await cli(dir, 'resolve', '--format', 'json')).json.diagnostics).toEqual([]);
    const proxy = await s3Proxy();
    const r = await cli(dir, 'stage', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect((r.json.staged as { s3Key?: string }[]).map((x) => x.s3Key)).toEqual([`dev/us-west-2/${fileDigest}.zip`, `prod/eu-west-1/${fileDigest}.zip`]);
    const scopes = proxy.log.filter((l) => l.method === 'PUT').map((l) => [l.path.split('?')[0], /Credential=[^/]+\/\d{8}\/([^/]+)\/s3\//.exec(l.authorization ?? '')?.[1]]);
    expect(scopes).toEqual([
      [`/artifacts/dev/us-west-2/${encodeURIComponent(fileDigest)}.zip`, 'us-west-2'],
      [`/artifacts/prod/eu-west-1/${encodeURIComponent(fileDigest)}.zip`, 'eu-west-1'],
    ]);
  });

  it('uploads the zip once to its content-addressed key, verified, and records where in the lock', async () => {
    const dir = await resolved();
    const proxy = await s3Proxy();
    const r = await cli(dir, 'stage', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(r.code).toBe(0);
    const row = { s3Bucket: 'artifacts', s3Key: defaultKey(), codeSha256: sha(ZIP) };
    expect(r.json.staged).toEqual([
      { service: 'fn', environment: 'dev', ...row, uploaded: true },
      // prod has the same bucket and key: the same object, uploaded once
      { service: 'fn', environment: 'prod', ...row, uploaded: true },
    ]);
    expect(proxy.log.filter((l) => l.method === 'PUT')).toHaveLength(1);
    expect(await objectBytes(defaultKey())).toEqual(ZIP);
    const head = await client().send(new HeadObjectCommand({ Bucket: 'artifacts', Key: defaultKey() }));
    expect(head.Metadata).toEqual({ 'gitopsc-sha256': sha(ZIP), 'gitopsc-file-digest': fileDigest });
    expect(lockOf(dir).get('fn\u0000prod')!.staged).toEqual(row);
    const lockText = readFileSync(join(dir, 'gitopsc.lock'), 'utf8');
    expect(lockText).toContain(`codeSha256: "${sha(ZIP)}"`);

    // again: the object is there with the same checksum, so nothing is uploaded and the lock is unchanged
    proxy.log.length = 0;
    const again = await cli(dir, 'stage', '--format', 'json');
    expect(again.code).toBe(0);
    expect((again.json.staged as { uploaded: boolean }[]).map((s) => s.uploaded)).toEqual([false, false]);
    expect(proxy.log.filter((l) => l.method === 'PUT')).toHaveLength(0);
    expect(readFileSync(join(dir, 'gitopsc.lock'), 'utf8')).toBe(lockText);
    // a later resolve that pins the same bytes keeps what staging recorded
    expect((await cli(dir, 'resolve')).code).toBe(0);
    expect(readFileSync(join(dir, 'gitopsc.lock'), 'utf8')).toBe(lockText);
  });

  it('expands the service\'s s3Key template, and replaces an object whose checksum differs', async () => {
    const dir = await resolved(registry.url, '{ s3Bucket: artifacts, s3Key: "lambda/{service}/{environment}/{tag}.zip" }');
    await s3Proxy();
    const r = await cli(dir, 'stage', '--env', 'prod', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(r.json.staged).toEqual([{ service: 'fn', environment: 'prod', s3Bucket: 'artifacts', s3Key: 'lambda/fn/prod/2.1.0.zip', codeSha256: sha(ZIP), uploaded: true }]);
    expect(await objectBytes('lambda/fn/prod/2.1.0.zip')).toEqual(ZIP);
    expect(lockOf(dir).get('fn\u0000dev')!.staged).toBeUndefined();
  });

  it('refuses bytes that do not match the lock\'s fileDigest (REGISTRY_UNAVAILABLE, exit 3) and uploads nothing', async () => {
    const regProxy = await startProxy(registry.url);
    proxies.push(regProxy);
    const dir = await resolved(regProxy.url, '{ s3Bucket: artifacts, s3Key: "mismatch/{file}" }');
    regProxy.rules.push((req, res) => {
      if (req.method !== 'GET' || !req.url?.includes(`/blobs/${fileDigest}`)) return false;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end('PK\u0003\u0004 something else');
      return true;
    });
    const s3p = await s3Proxy();
    const before = snapshot(dir);
    const r = await cli(dir, 'stage', '--format', 'json');
    expect(r.code).toBe(3);
    expect(r.json.diagnostics.map((d) => [d.code, d.reason, d.file, d.line])).toEqual([
      ['REGISTRY_UNAVAILABLE', 'content-mismatch', 'services/fn.yaml', 6],
      ['REGISTRY_UNAVAILABLE', 'content-mismatch', 'services/fn.yaml', 6],
    ]);
    // the locked digest is shown
    expect(r.json.diagnostics[0]!.message).toContain(fileDigest);
    expect(s3p.log).toEqual([]);
    expect(await objectBytes('mismatch/function.zip')).toBeUndefined();
    expect(snapshot(dir)).toEqual(before);
  });

  it.each([
    ['403 AccessDenied', 403, 's3-access-denied'],
    ['503 on every attempt', 503, 's3-http-error'],
  ])('an S3 that answers %s is STAGE (exit 3); nothing is stored, the lock is unchanged, the secret never printed', async (_n, status, reason) => {
    const dir = await resolved(registry.url, `{ s3Bucket: artifacts, s3Key: "fault-${status}/{file}" }`);
    const proxy = await s3Proxy();
    const code = status === 403 ? 'AccessDenied' : 'ServiceUnavailable';
    proxy.rules.push(failTimes(matching(/fault-/, 'PUT'), Infinity, status, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected</Message></Error>`));
    env.AWS_SECRET_ACCESS_KEY = SECRET;
    const before = snapshot(dir);
    const r = await cli(dir, 'stage', '--format', 'json');
    expect(r.code).toBe(3);
    expect(r.json.diagnostics.map((d) => [d.code, d.reason, d.file, d.line, (d as { environment?: string }).environment])).toEqual([
      ['STAGE', reason, 'services/fn.yaml', 6, 'dev'],
      ['STAGE', reason, 'services/fn.yaml', 6, 'prod'],
    ]);
    // the object is named
    expect(r.json.diagnostics[0]!.message).toContain(`s3://artifacts/fault-${status}/function.zip`);
    expect(await objectBytes(`fault-${status}/function.zip`)).toBeUndefined();
    expect(snapshot(dir)).toEqual(before);
    const textRun = await cli(dir, 'stage');
    for (const out of [r.stdout, r.stderr, textRun.stdout, textRun.stderr]) expect(out).not.toContain(SECRET);
  });

  it('a PUT that stalls times out as STAGE (exit 3) and leaves no object', async () => {
    const dir = await resolved(registry.url, '{ s3Bucket: artifacts, s3Key: "stall/{file}" }');
    const proxy = await s3Proxy();
    proxy.rules.push((req) => req.method === 'PUT' && Boolean(req.url?.includes('stall/')));
    env.GITOPSC_S3_TIMEOUT_MS = '400';
    const r = await cli(dir, 'stage', '--env', 'dev', '--format', 'json');
    expect(r.code).toBe(3);
    expect(r.json.diagnostics.map((d) => [d.code, d.reason])).toEqual([['STAGE', 's3-timeout']]);
    expect(await objectBytes('stall/function.zip')).toBeUndefined();
  });

  it('an unreachable S3 is STAGE (exit 3)', async () => {
    const dir = await resolved(registry.url, '{ s3Bucket: artifacts, s3Key: "down/{file}" }');
    const proxy = await s3Proxy();
    await proxy.stop();
    const r = await cli(dir, 'stage', '--env', 'dev', '--format', 'json');
    expect(r.code).toBe(3);
    expect(r.json.diagnostics.map((d) => d.code)).toEqual(['STAGE']);
  });

  it('publish --stage stages first, then publishes; a failed stage publishes nothing', async () => {
    const dir = await resolved(registry.url, '{ s3Bucket: artifacts, s3Key: "publish/{fileDigest}.zip" }');
    const proxy = await s3Proxy();
    const deploy = makeRepo({ 'README.md': 'deployments\n' });
    const headBefore = git(deploy, 'rev-parse', 'HEAD');
    proxy.rules.push(failTimes(matching(/publish\//, 'PUT'), 1, 403, { 'content-type': 'application/xml' }, '<Error><Code>AccessDenied</Code><Message>x</Message></Error>'));
    const refused = await cli(dir, 'publish', '--repo', deploy, '--stage', '--env', 'prod', '--format', 'json');
    expect(refused.code).toBe(3);
    expect(refused.json.diagnostics.map((d) => d.code)).toEqual(['STAGE']);
    expect(git(deploy, 'rev-parse', 'HEAD')).toBe(headBefore);
    const r = await cli(dir, 'publish', '--repo', deploy, '--stage', '--env', 'prod', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.json.staged).toEqual([expect.objectContaining({ service: 'fn', environment: 'prod', s3Key: `publish/${fileDigest}.zip`, uploaded: true })]);
    expect(git(deploy, 'rev-parse', 'HEAD')).not.toBe(headBefore);
    expect(await objectBytes(`publish/${fileDigest}.zip`)).toEqual(ZIP);
  });

  it('records the object version S3 reports (versioned bucket), and the HEAD\'s on a later run', async () => {
    const dir = await resolved(registry.url, '{ s3Bucket: artifacts, s3Key: "versioned/{file}" }');
    const proxy = await s3Proxy();
    // s3rver has no versioning: the proxy adds the header a versioned bucket answers with
    proxy.rules.push(editHeaders((req) => Boolean(req.url?.includes('versioned/')) && (req.method === 'PUT' || req.method === 'HEAD'), (h) => (h['x-amz-version-id'] = 'v-3HL4kqtJlcpXroDTDmJ')));
    const r = await cli(dir, 'stage', '--env', 'prod', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(lockOf(dir).get('fn\u0000prod')!.staged).toEqual({ s3Bucket: 'artifacts', s3Key: 'versioned/function.zip', s3ObjectVersion: 'v-3HL4kqtJlcpXroDTDmJ', codeSha256: sha(ZIP) });
    const again = await cli(dir, 'stage', '--env', 'prod', '--format', 'json');
    expect(again.json.staged).toEqual([expect.objectContaining({ s3ObjectVersion: 'v-3HL4kqtJlcpXroDTDmJ', uploaded: false })]);
  });

  it('needs a fresh lock: without resolve it is LOCK_STALE (exit 1) and touches nothing', async () => {
    const dir = project(registry.url);
    const proxy = await s3Proxy();
    const r = await cli(dir, 'stage', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => d.code)).toContain('LOCK_STALE');
    expect(proxy.log).toEqual([]);
  });

  it('a key template that leaves a placeholder is SCHEMA at the s3Key', async () => {
    const dir = await resolved(registry.url, '{ s3Bucket: artifacts, s3Key: "{package}/{version}.zip" }');
    const r = await cli(dir, 'stage', '--env', 'dev', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['SCHEMA', 'services/fn.yaml', 17]]);
  });
});

describe('pickPlatform and blobsOf', () => {
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  const index = { manifests: [
    { digest: d('a'), platform: { os: 'linux', architecture: 'amd64' } },
    { digest: d('b'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { digest: d('c'), platform: { os: 'unknown', architecture: 'unknown' } },
  ] };
  it.each([
    ['linux/amd64', d('a')],
    ['linux/arm64', d('b')],
    ['linux/s390x', undefined],
  ])('%s', (platform, digest) => {
    const r = pickPlatform(index, platform);
    expect(r.ok ? r.digest : undefined).toBe(digest);
    if (!r.ok) expect(r.message).toContain('linux/amd64, linux/arm64, unknown/unknown');
  });
  it('lists config and layers once each, and refuses a descriptor without a digest', () => {
    expect(blobsOf({ config: { digest: d('1') }, layers: [{ digest: d('2') }, { digest: d('2') }] })).toEqual({ ok: true, blobs: [{ digest: d('1') }, { digest: d('2') }] });
    expect(blobsOf({ config: { digest: 'nope' }, layers: [] }).ok).toBe(false);
    expect(blobsOf({ layers: [{ digest: d('2') }] }).ok).toBe(false);
  });
});

describe('s3KeyProblem', () => {
  it.each([
    ['fn/invoice/sha256:abc/function.zip', undefined],
    ['a/{tag}.zip', 'still contains {tag}'],
    ['/abs.zip', 'starts with "/"'],
    ['a/../b.zip', 'has a "." or ".." segment'],
    ['a\nb', 'contains a control character'],
    ['x'.repeat(1025), 'is longer than 1024 bytes'],
  ])('%s', (key, problem) => {
    const p = s3KeyProblem(key);
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });
});

describe('gitopsc stage: Lambda images into a mirror registry', () => {
  let mirror: RegistryInstance;
  let index: Awaited<ReturnType<Seeder['pushIndex']>>;
  beforeAll(async () => {
    mirror = await startRegistry();
    index = await new Seeder(registry.url).pushIndex('shop/fn-image', ['1.0.0'], [
      { os: 'linux', architecture: 'amd64', created: '2026-02-01T00:00:00Z' },
      { os: 'linux', architecture: 'arm64', created: '2026-02-02T00:00:00Z' },
    ]);
  }, 120_000);
  afterAll(async () => {
    await mirror?.stop();
  });

  function imageProject(hubUrl: string, mirrorUrl: string, mirrorBlock: string): string {
    return makeProject({
      'gitopsc.config.yaml': `environments:\n  - name: prod\nregistries:\n  hub:\n    type: oci\n    url: ${hubUrl}\n  ecr:\n    type: oci\n    url: ${mirrorUrl}\n`,
      'services/img.yaml': `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: img
spec:
  artifact:
    registry: hub
    package: shop/fn-image
    select: { strategy: exact, tag: "1.0.0" }
  lambda:
    functionName: img
    role: arn:aws:iam::123456789012:role/img
    architectures: [arm64]
    mirror: ${mirrorBlock}
`,
    });
  }

  it('copies the one arm64 manifest (not the index), its config and layers, and records the mirror URI', async () => {
    const dir = imageProject(registry.url, mirror.url, '{ registry: ecr, repository: lambda/img }');
    const res = await cli(dir, 'resolve', '--format', 'json');
    expect(res.json.diagnostics).toEqual([]);
    const arm = index.children[1]!;
    const r = await cli(dir, 'stage', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(r.code).toBe(0);
    const imageUri = `${mirror.host}/lambda/img@${arm.digest}`;
    expect(r.json.staged).toEqual([{ service: 'img', environment: 'prod', imageUri, uploaded: true }]);
    expect(lockOf(dir).get('img\u0000prod')!.staged).toEqual({ imageUri });
    const got = await fetch(`${mirror.url}/v2/lambda/img/manifests/${arm.digest}`, { headers: { accept: arm.mediaType } });
    expect(got.status).toBe(200);
    const body = Buffer.from(await got.arrayBuffer());
    expect(body).toEqual(arm.body);
    const manifest = JSON.parse(body.toString()) as { config: { digest: string }; layers: { digest: string }[] };
    for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      expect((await fetch(`${mirror.url}/v2/lambda/img/blobs/${d}`, { method: 'HEAD' })).status).toBe(200);
    }
    // the index and the other platform were not copied
    expect((await fetch(`${mirror.url}/v2/lambda/img/manifests/${index.digest}`, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${mirror.url}/v2/lambda/img/manifests/${index.children[0]!.digest}`, { method: 'HEAD' })).status).toBe(404);
    // again: everything is there
    const again = await cli(dir, 'stage', '--format', 'json');
    expect(again.json.staged).toEqual([{ service: 'img', environment: 'prod', imageUri, uploaded: false }]);
  });

  it('mounts blobs across repositories when the mirror is the same registry', async () => {
    const proxy = await startProxy(registry.url);
    proxies.push(proxy);
    const dir = imageProject(proxy.url, proxy.url, '{ registry: ecr, repository: mirror/same }');
    expect((await cli(dir, 'resolve')).code).toBe(0);
    proxy.log.length = 0;
    const r = await cli(dir, 'stage', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(r.json.staged).toEqual([{ service: 'img', environment: 'prod', imageUri: `${proxy.host}/mirror/same@${index.children[1]!.digest}`, uploaded: true }]);
    const posts = proxy.log.filter((l) => l.method === 'POST');
    expect(posts.length).toBe(2);
    expect(posts.every((l) => l.path.includes('mount=') && l.path.includes('from=shop%2Ffn-image'))).toBe(true);
    expect(proxy.log.filter((l) => l.method === 'PUT').map((l) => l.path)).toEqual([`/v2/mirror/same/manifests/${index.children[1]!.digest}`]);
  });

  it('an image without the function\'s architecture is refused at resolve and stage copies nothing', async () => {
    const amdOnly = await new Seeder(registry.url).pushIndex('shop/amd-only', ['1.0.0'], [{ os: 'linux', architecture: 'amd64' }], { format: 'docker' });
    const dir = makeProject({
      'gitopsc.config.yaml': `environments:\n  - name: prod\nregistries:\n  hub:\n    type: oci\n    url: ${registry.url}\n  ecr:\n    type: oci\n    url: ${mirror.url}\n`,
      'services/img.yaml': `apiVersion: gitopsc/v1\nkind: Service\nmetadata:\n  name: img\nspec:\n  artifact:\n    registry: hub\n    package: shop/amd-only\n    select: { strategy: exact, tag: "1.0.0" }\n  lambda:\n    functionName: img\n    role: arn:aws:iam::123456789012:role/img\n    architectures: [arm64]\n    mirror: { registry: ecr }\n`,
    });
    // resolve already picks the function's platform (never the index), so a missing architecture
    // is refused there, at the artifact; stage has no lock entry and copies nothing
    const rr = await cli(dir, 'resolve', '--format', 'json');
    expect(rr.code).toBe(1);
    expect(rr.json.diagnostics.map((x) => [x.code, x.reason, x.line, x.column])).toEqual([['NO_CANDIDATES', 'tag-dropped', 9, 5]]);
    // why the tags were dropped is shown
    expect(rr.json.diagnostics[0]!.message).toContain('platform linux/arm64 missing');
    const r = await cli(dir, 'stage', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((x) => x.code)).toEqual(['LOCK_STALE']);
    expect((await fetch(`${mirror.url}/v2/shop/amd-only/manifests/${amdOnly.children[0]!.digest}`, { method: 'HEAD' })).status).toBe(404);
    // x86_64 picks the amd64 manifest of the docker manifest list
    writeFileSync(join(dir, 'services/img.yaml'), readFileSync(join(dir, 'services/img.yaml'), 'utf8').replace('[arm64]', '[x86_64]'));
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const ok = await cli(dir, 'stage', '--format', 'json');
    expect(ok.json.diagnostics).toEqual([]);
    expect(ok.json.staged).toEqual([{ service: 'img', environment: 'prod', imageUri: `${mirror.host}/shop/amd-only@${amdOnly.children[0]!.digest}`, uploaded: true }]);
  });

  describe('a mirror that demands the token flow', () => {
    const PUSH_USER = 'pusher';
    const PUSH_PASSWORD = 'push-s3cret-Pw9';
    const basic = Buffer.from(`${PUSH_USER}:${PUSH_PASSWORD}`).toString('base64');
    beforeAll(() => {
      env.GITOPSC_TEST_PUSH_USER = PUSH_USER;
      env.GITOPSC_TEST_PUSH_PASSWORD = PUSH_PASSWORD;
    });
    afterAll(() => {
      delete env.GITOPSC_TEST_PUSH_USER;
      delete env.GITOPSC_TEST_PUSH_PASSWORD;
    });
    function tokenMirrorProject(hubUrl: string, mirrorUrl: string, repository: string): string {
      const dir = imageProject(hubUrl, mirrorUrl, `{ registry: ecr, repository: ${repository} }`);
      const cfg = join(dir, 'gitopsc.config.yaml');
      writeFileSync(cfg, readFileSync(cfg, 'utf8') + '    auth:\n      username: { env: GITOPSC_TEST_PUSH_USER }\n      password: { env: GITOPSC_TEST_PUSH_PASSWORD }\n');
      return dir;
    }
    // a reverse proxy rewrites the registry's absolute upload Location to its own host
    const ownLocation = (proxy: Proxy) =>
      editHeaders(
        (req) => req.method === 'POST',
        (h) => {
          if (typeof h.location === 'string') h.location = h.location.replace(proxy.upstreamUrl, proxy.url);
        },
      );
    const noSecret = (r: { stdout: string; stderr: string }) => {
      for (const s of [PUSH_PASSWORD, basic]) expect(r.stdout + r.stderr).not.toContain(s);
    };

    it('pushes with a push,pull token fetched with the credentials, records staged.imageUri, never prints the password', async () => {
      const proxy = await startProxy(mirror.url);
      proxies.push(proxy);
      const { ts, rule } = proxyTokenServer(proxy, { credentials: { username: PUSH_USER, password: PUSH_PASSWORD } });
      proxy.rules = [rule, requireBearer(ts), ownLocation(proxy)];
      const dir = tokenMirrorProject(registry.url, proxy.url, 'lambda/tok');
      expect((await cli(dir, 'resolve')).code).toBe(0);
      const arm = index.children[1]!;
      const r = await cli(dir, 'stage', '--format', 'json');
      expect(r.json.diagnostics).toEqual([]);
      expect(r.code).toBe(0);
      const imageUri = `${proxy.host}/lambda/tok@${arm.digest}`;
      expect(r.json.staged).toEqual([{ service: 'img', environment: 'prod', imageUri, uploaded: true }]);
      expect(lockOf(dir).get('img\u0000prod')!.staged).toEqual({ imageUri });
      noSecret(r);
      // one token request, with the credentials, for push,pull on the target repository
      expect(ts.requests.map((q) => [q.authorization, q.service, q.scope])).toEqual([[`Basic ${basic}`, 'test-registry', 'repository:lambda/tok:push,pull']]);
      // every write carried an issued token; the real registry holds the manifest byte for byte
      const writes = proxy.log.filter((l) => l.method === 'PUT' || l.method === 'POST');
      expect(writes.length).toBeGreaterThan(0);
      expect(writes.every((l) => ts.issued.some((t) => l.authorization === `Bearer ${t}`))).toBe(true);
      const got = await fetch(`${mirror.url}/v2/lambda/tok/manifests/${arm.digest}`, { headers: { accept: arm.mediaType } });
      expect(Buffer.from(await got.arrayBuffer())).toEqual(arm.body);
      // text output too
      const again = await cli(dir, 'stage');
      expect(again.code).toBe(0);
      noSecret(again);
    });

    it('a cross-repository mount asks for pull on the source repository too', async () => {
      const proxy = await startProxy(registry.url);
      proxies.push(proxy);
      const dir = tokenMirrorProject(proxy.url, proxy.url, 'mirror/tok');
      expect((await cli(dir, 'resolve')).code).toBe(0);
      // the source (hub, same host, no auth configured) reads with anonymous pull tokens
      const { ts, rule } = proxyTokenServer(proxy, { credentials: { username: PUSH_USER, password: PUSH_PASSWORD }, anonymous: true });
      proxy.rules = [rule, requireBearer(ts), ownLocation(proxy)];
      proxy.log.length = 0;
      const r = await cli(dir, 'stage', '--format', 'json');
      expect(r.json.diagnostics).toEqual([]);
      expect(r.json.staged).toEqual([{ service: 'img', environment: 'prod', imageUri: `${proxy.host}/mirror/tok@${index.children[1]!.digest}`, uploaded: true }]);
      const scopes = ts.requests.map((q) => q.scope);
      expect(scopes).toContain('repository:mirror/tok:push,pull');
      const mountTokens = proxy.log.filter((l) => l.path.startsWith('/token') && l.path.includes('mirror%2Ftok%3Apush%2Cpull') && l.path.includes('scope=repository%3Ashop%2Ffn-image%3Apull'));
      expect(mountTokens.length).toBe(1);
      const posts = proxy.log.filter((l) => l.method === 'POST');
      expect(posts.length).toBe(2);
      expect(posts.every((l) => l.path.includes('mount=') && ts.issued.some((t) => l.authorization === `Bearer ${t}`))).toBe(true);
      noSecret(r);
    });

    it('a token service that refuses the credentials is REGISTRY_AUTH (exit 3), no password printed, no imageUri', async () => {
      const proxy = await startProxy(mirror.url);
      proxies.push(proxy);
      const { ts, rule } = proxyTokenServer(proxy, { credentials: { username: PUSH_USER, password: 'another-password' } });
      proxy.rules = [rule, requireBearer(ts)];
      const dir = tokenMirrorProject(registry.url, proxy.url, 'lambda/refused');
      expect((await cli(dir, 'resolve')).code).toBe(0);
      const before = snapshot(dir);
      const r = await cli(dir, 'stage', '--format', 'json');
      expect(r.code).toBe(3);
      expect(r.json.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['REGISTRY_AUTH', 'services/img.yaml', 6]]);
      expect(ts.requests.map((q) => [q.authorization, q.scope])).toEqual([[`Basic ${basic}`, 'repository:lambda/refused:push,pull']]);
      expect(proxy.log.some((l) => l.method === 'PUT' || l.method === 'POST')).toBe(false);
      expect(snapshot(dir)).toEqual(before);
      noSecret(r);
    });
  });

  it('an unreachable mirror is REGISTRY_UNAVAILABLE (exit 3) and the lock keeps no imageUri', async () => {
    const proxy = await startProxy(mirror.url);
    const dir = imageProject(registry.url, proxy.url, '{ registry: ecr }');
    expect((await cli(dir, 'resolve')).code).toBe(0);
    await proxy.stop();
    const before = snapshot(dir);
    const r = await cli(dir, 'stage', '--format', 'json');
    expect(r.code).toBe(3);
    expect(r.json.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['REGISTRY_UNAVAILABLE', 'services/img.yaml', 6]]);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe("gitopsc stage: zips from HAR generic packages", () => {
  const HAR_TOKEN = "pat.acct123.stage0123456789.not-a-real-token";
  const HAR_ZIP = Buffer.from("PK\u0003\u0004 invoice function from HAR 2.1.0");
  const harDigest = `sha256:${createHash("sha256").update(HAR_ZIP).digest("hex")}`;
  let emu: HarEmulator;

  beforeAll(async () => {
    emu = await startHarEmulator({
      account: "Acct123",
      token: HAR_TOKEN,
      registries: [
        {
          name: "files-prod",
          packageType: "GENERIC",
          packages: [
            {
              name: "invoice-fn",
              packageType: "GENERIC",
              versions: [
                {
                  name: "2.1.0",
                  createdAt: Date.UTC(2026, 0, 4),
                  scanStatus: "ALLOWED",
                  files: [
                    { name: "function.zip", content: HAR_ZIP },
                    { name: "README.md", content: "docs" },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    env.HAR_STAGE_TOKEN = HAR_TOKEN;
  });

  afterEach(() => {
    emu.rules.splice(0);
    // every request the emulator saw, and every answer it gave, is in HAR's published documents
    expect(emu.violations.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await emu?.stop();
  });

  async function harProject(key: string): Promise<string> {
    const dir = makeProject({
      "gitopsc.config.yaml": `environments:\n  - name: dev\nregistries:\n  files:\n    type: har\n    url: ${emu.url}\n    api: ${emu.apiUrl}\n    account: Acct123\n    registry: files-prod\n    auth: { token: { env: HAR_STAGE_TOKEN } }\n`,
      "services/fn.yaml": `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: fn
spec:
  artifact:
    registry: files
    package: invoice-fn
    format: file
    file: function.zip
    select: { strategy: semver, range: "^2" }
  lambda:
    functionName: invoice
    runtime: nodejs22.x
    handler: index.handler
    role: arn:aws:iam::123456789012:role/invoice
    code: { s3Bucket: artifacts, s3Key: "${key}" }
`,
    });
    const r = await cli(dir, "resolve", "--format", "json");
    expect(r.json.diagnostics).toEqual([]);
    expect(lockOf(dir).get("fn\u0000dev")!.fileDigest).toBe(harDigest);
    return dir;
  }
  const downloads = () => emu.log.filter((l) => l.path.startsWith("/pkg/"));

  it("downloads the locked version's file from the package API with x-api-key, verifies it, uploads it and records it in the lock", async () => {
    const dir = await harProject("har/{fileDigest}/{file}");
    emu.log.length = 0;
    const proxy = await s3Proxy();
    const r = await cli(dir, "stage", "--format", "json");
    expect(r.json.diagnostics).toEqual([]);
    expect(r.code).toBe(0);
    const key = `har/${harDigest}/function.zip`;
    const row = { s3Bucket: "artifacts", s3Key: key, codeSha256: sha(HAR_ZIP) };
    expect(r.json.staged).toEqual([
      { service: "fn", environment: "dev", ...row, uploaded: true },
    ]);
    expect(
      downloads().map((l) => [
        l.method,
        l.path,
        l.query.get("filename"),
        l.apiKey,
        l.authorization,
        l.status,
      ]),
    ).toEqual([
      [
        "GET",
        "/pkg/Acct123/files-prod/generic/invoice-fn/2.1.0",
        "function.zip",
        HAR_TOKEN,
        undefined,
        200,
      ],
    ]);
    expect(proxy.log.filter((l) => l.method === "PUT")).toHaveLength(1);
    expect(await objectBytes(key)).toEqual(HAR_ZIP);
    expect(lockOf(dir).get("fn\u0000dev")!.staged).toEqual(row);
  });

  it('follows a download redirected to a storage host, without sending it the x-api-key', async () => {
    const dir = await harProject('har-redirect/{file}');
    const seen: { path: string; apiKey?: string; authorization?: string }[] = [];
    const storage = createServer((req, res) => {
      seen.push({ path: req.url ?? '', ...(req.headers['x-api-key'] ? { apiKey: String(req.headers['x-api-key']) } : {}), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(HAR_ZIP);
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    try {
      const port = (storage.address() as AddressInfo).port;
      emu.rules.push((req, url, res) => {
        if (!url.pathname.startsWith('/pkg/')) return false;
        res.writeHead(302, { location: `http://127.0.0.1:${port}/blobs/function.zip?sig=abc` }).end();
        return true;
      });
      await s3Proxy();
      const r = await cli(dir, 'stage', '--format', 'json');
      expect(r.json.diagnostics).toEqual([]);
      expect(r.code).toBe(0);
      expect(seen).toEqual([{ path: '/blobs/function.zip?sig=abc' }]);
      expect(await objectBytes('har-redirect/function.zip')).toEqual(HAR_ZIP);
    } finally {
      storage.closeAllConnections();
      await new Promise<void>((resolve) => storage.close(() => resolve()));
    }
  });

  it("refuses bytes from HAR that do not match the lock's fileDigest (REGISTRY_UNAVAILABLE, exit 3) and uploads nothing", async () => {
    const dir = await harProject("har-mismatch/{file}");
    emu.rules.push((req, url, res) => {
      if (!url.pathname.startsWith("/pkg/")) return false;
      res
        .writeHead(200, { "content-type": "application/octet-stream" })
        .end("PK\u0003\u0004 something else");
      return true;
    });
    const s3p = await s3Proxy();
    const before = snapshot(dir);
    const r = await cli(dir, "stage", "--format", "json");
    expect(r.code).toBe(3);
    expect(r.json.diagnostics.map((d) => [d.code, d.reason, d.file, d.line])).toEqual([
      ["REGISTRY_UNAVAILABLE", "content-mismatch", "services/fn.yaml", 6],
    ]);
    // the locked digest is shown
    expect(r.json.diagnostics[0]!.message).toContain(harDigest);
    expect(s3p.log).toEqual([]);
    expect(await objectBytes("har-mismatch/function.zip")).toBeUndefined();
    expect(snapshot(dir)).toEqual(before);
  });

  it("a 401 from the download is REGISTRY_AUTH (exit 3); nothing is uploaded and the token is never printed", async () => {
    const dir = await harProject("har-401/{file}");
    emu.rules.push((req, url, res) => {
      if (!url.pathname.startsWith("/pkg/")) return false;
      res
        .writeHead(401, { "content-type": "text/plain" })
        .end("invalid or missing x-api-key");
      return true;
    });
    const s3p = await s3Proxy();
    const before = snapshot(dir);
    const r = await cli(dir, "stage", "--format", "json");
    expect(r.code).toBe(3);
    expect(r.json.diagnostics.map((d) => [d.code, d.reason, d.file, d.line])).toEqual([
      ["REGISTRY_AUTH", "refused", "services/fn.yaml", 6],
    ]);
    // where the refused token came from is named
    expect(r.json.diagnostics[0]!.message).toContain("HAR_STAGE_TOKEN");
    expect(s3p.log).toEqual([]);
    expect(snapshot(dir)).toEqual(before);
    const textRun = await cli(dir, "stage");
    expect(textRun.code).toBe(3);
    for (const out of [r.stdout, r.stderr, textRun.stdout, textRun.stderr])
      expect(out).not.toContain(HAR_TOKEN);
  });
});
