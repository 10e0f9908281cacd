/**
 * `type: har` against a HAR emulator (test/har/emulator.ts) that checks every request and
 * response against HAR's published OpenAPI document, with HAR's OCI API served by a real
 * `docker-registry` behind it. The CLI runs as a user runs it; faults go through the provider
 * with fast retry settings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../src/host/index.js';
import type { RegistryConfig } from '../src/core/model.js';
import { createHarProvider, type HarOptions } from '../src/resolve/providers/har/index.js';
import { trailers } from '../src/git/message.js';
import { serializeState } from '../src/git/state.js';
import { compareArtifacts } from '../src/diff/compare.js';
import { errorBody, startHarEmulator, versionId, type HarEmulator, type HarRegistrySeed } from './har/emulator.js';
import { startRegistry, type RegistryInstance } from './registry/server.js';
import { Seeder, sha256, type Pushed } from './registry/seed.js';
import { cliWithEnv, makeProject, snapshot } from './helpers/project.js';
import { tempDir, cleanupTempDirs } from './registry/helpers.js';

const TOKEN = 'pat.acct123.0123456789abcdef.not-a-real-token';
/** The CLI's environment (its Host's env): the token the configs refer to, plus `extra`. */
const cli = (dir: string, ...args: string[]) => cliWithEnv({ ...process.env, HAR_TEST_TOKEN: TOKEN }, dir, ...args);
const cliEnv = (extra: Record<string, string>, dir: string, ...args: string[]) => cliWithEnv({ ...process.env, HAR_TEST_TOKEN: TOKEN, ...extra }, dir, ...args);
const ACCOUNT = 'Acct123';
const day = (d: number) => Date.UTC(2026, 0, d);

let reg: RegistryInstance;
let emu: HarEmulator;
const pushed: Record<string, Pushed> = {};
const zips: Record<string, Buffer> = {
  '2.0.0': Buffer.from('PK\u0003\u0004 invoice 2.0.0'),
  '2.1.0': Buffer.from('PK\u0003\u0004 invoice 2.1.0'),
  '2.2.0': Buffer.from('PK\u0003\u0004 invoice 2.2.0 other'),
};

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
            { name: '1.0.0', createdAt: day(1), scanStatus: 'ALLOWED', metadata: { approved: 'true' } },
            { name: '1.1.0', createdAt: day(5), scanStatus: 'ALLOWED' },
            { name: '1.2.0', createdAt: day(9), scanStatus: 'BLOCKED', isQuarantined: true, quarantineReason: 'CVE-2026-0001 critical in openssl' },
          ],
        },
        {
          name: 'payments/worker',
          packageType: 'DOCKER',
          versions: [
            { name: 'main-aaa', createdAt: day(3) },
            { name: 'main-bbb', createdAt: day(7) },
            { name: 'main-ccc', createdAt: day(5) },
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
          versions: [
            { name: '2.0.0', createdAt: day(2), scanStatus: 'ALLOWED', files: [{ name: 'function.zip', content: zips['2.0.0']! }] },
            { name: '2.1.0', createdAt: day(4), scanStatus: 'WARN', files: [{ name: 'function.zip', content: zips['2.1.0']! }, { name: 'README.md', content: 'docs' }] },
            { name: '2.2.0', createdAt: day(6), scanStatus: 'ALLOWED', files: [{ name: 'other.zip', content: zips['2.2.0']! }] },
          ],
        },
      ],
    },
  ];
}

beforeAll(async () => {
  reg = await startRegistry();
  const s = new Seeder(reg.url);
  const repo = `${ACCOUNT.toLowerCase()}/docker-prod`;
  for (const t of ['1.0.0', '1.1.0', '1.2.0']) pushed[`api:${t}`] = await s.pushImage(`${repo}/payments/api`, [t], { salt: t, created: '2025-06-01T00:00:00Z' });
  // no created time in these images: newest-build falls back to HAR's upload time
  for (const t of ['main-aaa', 'main-bbb', 'main-ccc']) pushed[`worker:${t}`] = await s.pushImage(`${repo}/payments/worker`, [t], { salt: t });
  emu = await startHarEmulator({ account: ACCOUNT, token: TOKEN, ociUpstream: reg.url, registries: seed() });
}, 120_000);

afterEach(() => {
  emu.rules.splice(0);
  emu.seed.registries = seed();
  // the emulator never saw a request or served a response outside HAR's published contract
  expect(emu.violations.splice(0)).toEqual([]);
  expect(emu.quarantinedPulls.splice(0)).toEqual([]);
});

afterAll(async () => {
  await Promise.all([emu?.stop(), reg?.stop()]);
  cleanupTempDirs();
});

function config(policies = ''): string {
  return `environments:
  - name: dev
  - name: prod
    production: true
registries:
  har:
    type: har
    url: ${emu.url}
    api: ${emu.apiUrl}
    account: ${ACCOUNT}
    registry: docker-prod
    auth: { token: { env: HAR_TEST_TOKEN } }
  files:
    type: har
    url: ${emu.url}
    api: ${emu.apiUrl}
    account: ${ACCOUNT}
    registry: files-prod
    auth: { token: { env: HAR_TEST_TOKEN } }
${policies}`;
}

const k8s = (name: string, artifact: string) => `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: ${name}
spec:
  artifact:
${artifact}
  kubernetes:
    replicas: 1
`;

const lambda = (name: string, select: string) => `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: ${name}
spec:
  artifact:
    registry: files
    package: invoice-fn
    format: file
    file: function.zip
    select: ${select}
  lambda:
    functionName: ${name}
    runtime: nodejs22.x
    handler: index.handler
    role: arn:aws:iam::123456789012:role/${name}
    code: { s3Bucket: acme-artifacts, s3Key: "{package}/{tag}/{fileDigest}.zip" }
`;

type Explain = { service: string; environment: string; result?: string; candidates: { tag: string; kept: boolean; reason: string }[] }[];

describe('docker packages', () => {
  it('never selects a quarantined version, records the digest from the OCI API and HAR version id, renders the image', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/api.yaml': k8s('api', '    registry: har\n    package: payments/api\n    select: { range: "^1" }') });
    const r = await cli(dir, 'resolve', '--explain', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(r.code).toBe(0);
    const resolved = r.json.resolved as { environment: string; tag: string; digest: string; versionId: string }[];
    expect(resolved.map((x) => [x.environment, x.tag, x.digest, x.versionId])).toEqual([
      ['dev', '1.1.0', pushed['api:1.1.0']!.digest, versionId('docker-prod', 'payments/api', '1.1.0')],
      ['prod', '1.1.0', pushed['api:1.1.0']!.digest, versionId('docker-prod', 'payments/api', '1.1.0')],
    ]);
    const explain = r.json.explain as Explain;
    expect(explain[0]!.candidates.find((c) => c.tag === '1.2.0')).toEqual({ tag: '1.2.0', kept: false, reason: 'quarantined: CVE-2026-0001 critical in openssl' });
    const lock = readFileSync(join(dir, 'gitopsc.lock'), 'utf8');
    expect(lock).toMatch(new RegExp(`versionId: "?${versionId('docker-prod', 'payments/api', '1.1.0')}"?\n`));
    const render = await cli(dir, 'render', '--format', 'json');
    expect(render.code).toBe(0);
    const deployment = readFileSync(join(dir, 'rendered/prod/api/deployment.yaml'), 'utf8');
    expect(deployment).toContain(`image: "${emu.url.replace('http://', '')}/acct123/docker-prod/payments/api:1.1.0@${pushed['api:1.1.0']!.digest}"`);
    // the token went to the REST API as x-api-key and to the OCI API as the password, never elsewhere
    expect(emu.log.filter((l) => l.path.startsWith('/gateway/')).every((l) => l.apiKey === TOKEN && l.authorization === undefined)).toBe(true);
    expect(emu.log.filter((l) => l.path.startsWith('/v2/')).every((l) => l.apiKey === undefined)).toBe(true);
  });

  it('an exact tag that is quarantined is NO_CANDIDATES with HAR quarantineReason', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/api.yaml': k8s('api', '    registry: har\n    package: payments/api\n    select: { strategy: exact, tag: "1.2.0" }') });
    const r = await cli(dir, 'resolve', '--env', 'dev', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.reason, d.file, d.line])).toEqual([['NO_CANDIDATES', 'tag-dropped', 'services/api.yaml', 9]]);
    // the registry's quarantine reason reaches the user
    expect(r.json.diagnostics[0]!.message).toContain('quarantined: CVE-2026-0001 critical in openssl');
  });

  it('NO_CANDIDATES counts the quarantined versions with their reasons', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/api.yaml': k8s('api', '    registry: har\n    package: payments/api\n    select: { range: ">=1.2" }') });
    const r = await cli(dir, 'resolve', '--env', 'dev', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics[0]).toMatchObject({ code: 'NO_CANDIDATES', reason: 'none-left' });
    // the registry's quarantine reason reaches the user
    expect(r.json.diagnostics[0]!.message).toContain('1 quarantined (1.2.0: CVE-2026-0001 critical in openssl)');
  });

  it('newest-build uses HAR createdAt when the image has no created time, and --explain says so', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/worker.yaml': k8s('worker', '    registry: har\n    package: payments/worker\n    select: { strategy: newest-build }') });
    const r = await cli(dir, 'resolve', '--env', 'dev', '--explain', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    const explain = r.json.explain as Explain;
    expect(explain[0]!.result).toBe('main-bbb');
    expect(explain[0]!.candidates[0]).toEqual({ tag: 'main-bbb', kept: true, reason: `selected (time from HAR createdAt ${new Date(day(7)).toISOString()})` });
    expect((r.json.resolved as { digest: string }[])[0]!.digest).toBe(pushed['worker:main-bbb']!.digest);
  });

  it('newest-build prefers the image created time and says so', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/api.yaml': k8s('api', '    registry: har\n    package: payments/api\n    select: { strategy: newest-build }') });
    const r = await cli(dir, 'resolve', '--env', 'dev', '--explain', '--format', 'json');
    const explain = r.json.explain as Explain;
    expect(explain[0]!.candidates.filter((c) => c.kept).map((c) => c.reason)).toEqual(['selected (time from image 2025-06-01T00:00:00Z)']);
  });

  it('HAR metadata works as labels filters and requireLabels policies', async () => {
    const dir = makeProject({
      'gitopsc.config.yaml': config('policies:\n  production:\n    requireLabels: { approved: "true" }\n'),
      'services/api.yaml': k8s('api', '    registry: har\n    package: payments/api\n    select: { range: "^1" }\n  environments:\n    prod:\n      artifact: { select: { range: "^1", labels: { approved: "true" } } }'),
    });
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect((r.json.resolved as { environment: string; tag: string }[]).map((x) => [x.environment, x.tag])).toEqual([
      ['dev', '1.1.0'],
      ['prod', '1.0.0'],
    ]);
    const bad = makeProject({
      'gitopsc.config.yaml': config('policies:\n  production:\n    requireLabels: { approved: "true" }\n'),
      'services/api.yaml': k8s('api', '    registry: har\n    package: payments/api\n    select: { range: "^1" }'),
    });
    const b = await cli(bad, 'resolve', '--env', 'prod', '--format', 'json');
    expect(b.code).toBe(1);
    expect(b.json.diagnostics.map((d) => d.code)).toEqual(['POLICY_VIOLATION']);
  });
});

describe('generic packages for Lambda', () => {
  it('records fileDigest (sha256 from /files), drops versions without the file with a reason, renders the S3 key', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/fn.yaml': lambda('invoice-fn', '{ range: "^2" }') });
    const r = await cli(dir, 'resolve', '--explain', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    const row = (r.json.resolved as { tag: string; fileDigest: string; versionId: string }[])[0]!;
    expect(row.tag).toBe('2.1.0');
    expect(row.fileDigest).toBe(sha256(zips['2.1.0']!));
    expect(row.versionId).toBe(versionId('files-prod', 'invoice-fn', '2.1.0'));
    const explain = r.json.explain as Explain;
    expect(explain[0]!.candidates.find((c) => c.tag === '2.2.0')).toEqual({ tag: '2.2.0', kept: false, reason: 'no file named function.zip' });
    expect(readFileSync(join(dir, 'gitopsc.lock'), 'utf8')).toContain(`fileDigest: "${sha256(zips['2.1.0']!)}"`);
    const render = await cli(dir, 'render', '--format', 'json');
    expect(render.code).toBe(0);
    const fn = JSON.parse(readFileSync(join(dir, 'rendered/dev/invoice-fn/function.json'), 'utf8')) as { Code: Record<string, string>; PackageType: string };
    expect(fn.PackageType).toBe('Zip');
    expect(fn.Code.S3Key).toBe(`invoice-fn/2.1.0/${sha256(zips['2.1.0']!)}.zip`);
  });

  it('select.scan drops versions whose verdict is not listed', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/fn.yaml': lambda('invoice-fn', '{ range: "^2", scan: [ALLOWED] }') });
    const r = await cli(dir, 'resolve', '--env', 'dev', '--explain', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect((r.json.resolved as { tag: string }[])[0]!.tag).toBe('2.0.0');
    expect((r.json.explain as Explain)[0]!.candidates.find((c) => c.tag === '2.1.0')!.reason).toBe('scan WARN not in ALLOWED');
  });

  it('policy requireScan checks the selected version (POLICY_VIOLATION, selection unchanged)', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config('policies:\n  production:\n    requireScan: [ALLOWED]\n'), 'services/fn.yaml': lambda('invoice-fn', '{ range: "^2" }') });
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.reason, (d as { environment?: string }).environment])).toEqual([['POLICY_VIOLATION', 'require-scan', 'prod']]);
    // the verdict the registry gave is shown
    expect(r.json.diagnostics[0]!.message).toContain('WARN');
  });
});

describe('a locked version quarantined later', () => {
  it('is reported by resolve and by audit as POLICY_VIOLATION naming service, environment and reason', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/api.yaml': k8s('api', '    registry: har\n    package: payments/api\n    select: { range: "^1" }') });
    expect((await cli(dir, 'resolve', '--format', 'json')).code).toBe(0);
    const ok = await cli(dir, 'audit', '--format', 'json');
    expect(ok.code).toBe(0);
    expect((ok.json.audited as { status: string }[]).map((x) => x.status)).toEqual(['ok', 'ok']);

    const v = emu.seed.registries[0]!.packages[0]!.versions.find((x) => x.name === '1.1.0')!;
    v.isQuarantined = true;
    v.quarantineReason = 'malware found by scanner';
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.file, (d as { service?: string }).service, (d as { environment?: string }).environment])).toEqual([
      ['POLICY_VIOLATION', 'services/api.yaml', 'api', 'dev'],
      ['POLICY_VIOLATION', 'services/api.yaml', 'api', 'prod'],
    ]);
    expect(r.json.diagnostics.map((d) => d.reason)).toEqual(['quarantined', 'quarantined']);
    expect(r.json.diagnostics[0]!.message).toContain('malware found by scanner');

    const a = await cli(dir, 'audit', '--format', 'json');
    expect(a.code).toBe(1);
    expect(a.json.diagnostics.map((d) => d.code)).toEqual(['POLICY_VIOLATION', 'POLICY_VIOLATION']);
    expect((a.json.audited as { status: string; quarantineReason?: string }[]).map((x) => [x.status, x.quarantineReason])).toEqual([
      ['violation', 'malware found by scanner'],
      ['violation', 'malware found by scanner'],
    ]);
    // --update moves off it
    const u = await cli(dir, 'resolve', '--update', '--format', 'json');
    expect(u.json.diagnostics).toEqual([]);
    expect((u.json.resolved as { tag: string }[]).map((x) => x.tag)).toEqual(['1.0.0', '1.0.0']);
  });
});

describe('audit', () => {
  it('finds a generic file replaced under the same version, and a version deleted', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/fn.yaml': lambda('invoice-fn', '{ range: "^2" }') });
    expect((await cli(dir, 'resolve', '--format', 'json')).code).toBe(0);
    const versions = emu.seed.registries[1]!.packages[0]!.versions;
    versions.find((v) => v.name === '2.1.0')!.files = [{ name: 'function.zip', content: 'PK replaced' }];
    const a = await cli(dir, 'audit', '--env', 'dev', '--format', 'json');
    expect(a.code).toBe(1);
    expect(a.json.diagnostics.map((d) => [d.code, (d as { environment?: string }).environment])).toEqual([['DIGEST_MISMATCH', 'dev']]);
    versions.find((v) => v.name === '2.1.0')!.deleted = true;
    const g = await cli(dir, 'audit', '--format', 'json');
    expect(g.json.diagnostics.map((d) => d.code)).toEqual(['TAG_NOT_FOUND', 'TAG_NOT_FOUND']);
    expect((g.json.audited as { status: string }[]).map((x) => x.status)).toEqual(['gone', 'gone']);
    const rr = await cli(dir, 'resolve', '--format', 'json');
    expect(rr.code).toBe(0);
    expect(rr.json.diagnostics.map((d) => [d.code, d.severity])).toEqual([
      ['TAG_NOT_FOUND', 'warning'],
      ['TAG_NOT_FOUND', 'warning'],
    ]);
  });
});

describe('faults', () => {
  const FAST: HarOptions = { retries: 2, backoffBaseMs: 5, backoffCapMs: 20, retryAfterCapMs: 300, timeoutMs: 3000 };
  function provider(over: Partial<RegistryConfig> = {}, options: HarOptions = {}, env: Record<string, string> = { HAR_TEST_TOKEN: TOKEN }) {
    const cacheDir = tempDir('gitopsc-har-');
    return createHarProvider(
      {
        name: 'har',
        config: { type: 'har', url: emu.url, api: emu.apiUrl, account: ACCOUNT, registry: 'docker-prod', auth: { token: { env: 'HAR_TEST_TOKEN' } }, ...over },
        root: cacheDir,
        cacheDir,
        host: nodeHost({ env, interactive: false, log: () => {} }),
      },
      { ...FAST, ...options },
    );
  }

  it('retries a 503 honouring Retry-After, then succeeds', async () => {
    let n = 0;
    emu.rules.push((req, url, res) => {
      if (!url.pathname.endsWith('/versions') || n++ >= 2) return false;
      emu.json(res, '/versions', 503, errorBody(503, 'UNAVAILABLE', 'try later'), { 'retry-after': '0' });
      return true;
    });
    const r = await provider().listTags('payments/api');
    expect(r.ok && r.value.sort()).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    expect(n).toBe(3);
  });

  it('waits as long as Retry-After says', async () => {
    let n = 0;
    emu.rules.push((req, url, res) => {
      if (!url.pathname.endsWith('/packages') || n++ >= 1) return false;
      emu.json(res, '/packages', 429, errorBody(429, 'RATE_LIMITED', 'slow down'), { 'retry-after': '1' });
      return true;
    });
    const started = Date.now();
    const r = await provider({}, { retryAfterCapMs: 5000 }).listTags('payments/api');
    expect(r.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('a registry that never answers times out, is retried, then REGISTRY_UNAVAILABLE', async () => {
    let n = 0;
    emu.rules.push((req, url) => url.pathname.endsWith('/registries') && ++n > 0);
    const r = await provider({}, { timeoutMs: 200, retries: 1 }).listTags('payments/api');
    expect(r.ok ? 'ok' : [r.failure.code, r.failure.reason]).toEqual(['REGISTRY_UNAVAILABLE', 'timeout']);
    expect(n).toBeGreaterThanOrEqual(1);
  });

  it('an outage is REGISTRY_UNAVAILABLE after the retries', async () => {
    emu.rules.push((req, url, res) => {
      if (!url.pathname.endsWith('/registries')) return false;
      emu.json(res, '/registries', 500, errorBody(500, 'INTERNAL', 'boom'));
      return true;
    });
    const r = await provider().listTags('payments/api');
    expect(r.ok ? 'ok' : [r.failure.code, r.failure.reason]).toEqual(['REGISTRY_UNAVAILABLE', 'server-error']);
  });

  it('a refused token is REGISTRY_AUTH and never printed', async () => {
    const wrong = 'pat.acct123.wrong-token-value-xyz';
    const r = await provider({}, {}, { HAR_TEST_TOKEN: wrong }).listTags('payments/api');
    expect(r.ok ? 'ok' : [r.failure.code, r.failure.reason]).toEqual(['REGISTRY_AUTH', 'refused']);
    expect(r.ok ? '' : r.failure.message).not.toContain(wrong);
    // where the refused token came from is named
    expect(r.ok ? '' : r.failure.message).toContain('env HAR_TEST_TOKEN');
    const missing = await provider({}, {}, {}).listTags('payments/api');
    expect(missing.ok ? 'ok' : missing.failure.code).toBe('REGISTRY_AUTH');
    const forbidden = await (async () => {
      emu.rules.push((req, url, res) => {
        emu.json(res, '/registries', 403, errorBody(403, 'FORBIDDEN', 'no access'));
        return true;
      });
      return provider().listTags('payments/api');
    })();
    expect(forbidden.ok ? 'ok' : forbidden.failure.code).toBe('REGISTRY_AUTH');
  });

  it('an unknown package or registry is PACKAGE_NOT_FOUND', async () => {
    const r = await provider().listTags('payments/nope');
    expect(r.ok ? 'ok' : r.failure.code).toBe('PACKAGE_NOT_FOUND');
    const g = await provider({ registry: 'no-such-registry' }).listTags('payments/api');
    expect(g.ok ? 'ok' : g.failure.code).toBe('PACKAGE_NOT_FOUND');
  });

  it('reads every page, and refuses a paging loop and more pages than the cap', async () => {
    const many = Array.from({ length: 230 }, (_, i) => ({ name: `1.0.${i}`, createdAt: day(1) + i }));
    emu.seed.registries[0]!.packages[0]!.versions = many;
    const all = await provider().listTags('payments/api');
    expect(all.ok && all.value.length).toBe(230);
    expect(emu.log.filter((l) => l.path.endsWith('/versions')).slice(-3).map((l) => l.query.get('page'))).toEqual(['0', '1', '2']);

    const capped = await provider({}, { maxPages: 2 }).listTags('payments/api');
    expect(capped.ok ? 'ok' : [capped.failure.code, capped.failure.reason]).toEqual(['REGISTRY_UNAVAILABLE', 'paging']);

    // a server that ignores `page` and always answers the first page, saying more follow
    emu.rules.push((req, url, res) => {
      if (!url.pathname.endsWith('/versions')) return false;
      const size = Number(url.searchParams.get('size'));
      const items = many.slice(0, size).map((v) => ({
        id: versionId('docker-prod', 'payments/api', v.name),
        name: v.name,
        packageId: '00000000-0000-4000-8000-000000000000',
        packageName: 'payments/api',
        packageType: 'DOCKER',
        registryId: '00000000-0000-4000-8000-000000000001',
        registryName: 'docker-prod',
        registryType: 'VIRTUAL',
      }));
      emu.json(res, '/versions', 200, { size, hasMore: true, items, page: Number(url.searchParams.get('page')) });
      return true;
    });
    const loop = await provider().listTags('payments/api');
    expect(loop.ok ? 'ok' : [loop.failure.code, loop.failure.reason]).toEqual(['REGISTRY_UNAVAILABLE', 'paging']);
  });

  it('files of several versions mixed in one answer are refused, not guessed', async () => {
    emu.rules.push((req, url, res) => {
      if (!url.pathname.endsWith('/files')) return false;
      const file = (name: string, sha: string) => ({ id: sha.slice(0, 8), name, path: `invoice-fn/${name}`, size: '1', md5: 'x', sha1: 'x', sha256: sha, sha512: 'x', createdAt: null });
      emu.json(res, '/files', 200, { page: 0, size: 100, hasMore: false, items: [file('function.zip', 'a'.repeat(64)), file('function.zip', 'b'.repeat(64))] });
      return true;
    });
    const p = provider({ registry: 'files-prod' });
    const r = await p.describe('invoice-fn', '2.0.0', { metadata: true, file: 'function.zip' });
    expect(r.ok ? 'ok' : [r.failure.code, r.failure.reason]).toEqual(['REGISTRY_UNAVAILABLE', 'ambiguous']);
  });

  it('a response over the size cap is REGISTRY_UNAVAILABLE', async () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ name: `1.0.${i}` }));
    emu.seed.registries[0]!.packages[0]!.versions = many;
    const r = await provider({}, { maxBytes: 4096 }).listTags('payments/api');
    expect(r.ok ? 'ok' : [r.failure.code, r.failure.reason]).toEqual(['REGISTRY_UNAVAILABLE', 'too-large']);
  });

  it('the CLI: a refused token is REGISTRY_AUTH, exit 3, the token nowhere in the output; an unknown package is PACKAGE_NOT_FOUND, exit 1 (as for oci)', async () => {
    const wrong = 'pat.acct123.refused-token-0123456789';
    {
      const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/api.yaml': k8s('api', '    registry: har\n    package: payments/api') });
      for (const format of ['json', 'text']) {
        const r = await cliEnv({ HAR_TEST_TOKEN: wrong }, dir, 'resolve', '--env', 'dev', '--format', format);
        expect(r.code).toBe(3);
        expect(r.stdout + r.stderr).not.toContain(wrong);
        if (format === 'json') expect(r.json.diagnostics.map((d) => d.code)).toEqual(['REGISTRY_AUTH']);
      }
    }
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/api.yaml': k8s('api', '    registry: har\n    package: payments/nope') });
    const r = await cli(dir, 'resolve', '--env', 'dev', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['PACKAGE_NOT_FOUND', 'services/api.yaml', 6]]);
  });

  it('the CLI exits 3 on an outage', async () => {
    emu.rules.push((req, url, res) => {
      emu.json(res, url.pathname.slice(url.pathname.lastIndexOf('/')), 502, errorBody(502, 'BAD_GATEWAY', 'down'));
      return true;
    });
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/api.yaml': k8s('api', '    registry: har\n    package: payments/api') });
    const r = await cliEnv({ GITOPSC_REGISTRY_RETRIES: '0' }, dir, 'resolve', '--env', 'dev', '--format', 'json');
    expect(r.code).toBe(3);
    expect(r.json.diagnostics.map((d) => d.code)).toEqual(['REGISTRY_UNAVAILABLE']);
  });
});

describe('traceability', () => {
  it('publish trailers carry the HAR version id', () => {
    const id = versionId('docker-prod', 'payments/api', '1.1.0');
    const t = trailers({
      source: 'git@example.com:acme/services.git',
      files: [],
      artifacts: [{ service: 'api', environment: 'prod', status: 'added', new: { tag: '1.1.0', digest: 'sha256:' + 'a'.repeat(64), image: 'pkg.harness.io/acct123/docker-prod/payments/api:1.1.0', versionId: id } }],
    });
    expect(t).toContain(`Gitopsc-Artifact-Version-Id: api/prod ${id}`);
  });

  it('the version id flows from the compiled artifacts through the comparison publish makes', () => {
    const id = versionId('files-prod', 'invoice-fn', '2.1.0');
    const changes = compareArtifacts([], [{ service: 'fn', environment: 'prod', registry: 'files', package: 'invoice-fn', tag: '2.1.0', digest: 'sha256:' + 'b'.repeat(64), versionId: id, image: 'x/invoice-fn:2.1.0' }]);
    expect(trailers({ source: 's', files: [], artifacts: changes })).toContain(`Gitopsc-Artifact-Version-Id: fn/prod ${id}`);
    expect(serializeState([{ service: 'fn', environment: 'prod', registry: 'files', package: 'invoice-fn', tag: '2.1.0', versionId: id, image: 'x' }])).toContain(`"versionId": "${id}"`);
  });
});

describe('the emulator itself', () => {
  it('flags requests and responses outside the OpenAPI document', async () => {
    const r = await fetch(`${emu.apiUrl}/versions?account_identifier=${ACCOUNT}&size=500&bogus=1`, { headers: { 'x-api-key': TOKEN } });
    expect(r.status).toBe(400);
    await r.arrayBuffer();
    const noAccount = await fetch(`${emu.apiUrl}/files?page=x`, { headers: { 'x-api-key': TOKEN } });
    await noAccount.arrayBuffer();
    emu.rules.push((req, url, res) => {
      emu.json(res, '/versions', 200, { page: 0, size: 20, hasMore: false, items: [{ name: '1.0.0' }] });
      return true;
    });
    await (await fetch(`${emu.apiUrl}/versions?account_identifier=${ACCOUNT}`, { headers: { 'x-api-key': TOKEN } })).arrayBuffer();
    const seen = emu.violations.splice(0);
    expect(seen.some((v) => v.includes('unknown query parameter bogus'))).toBe(true);
    expect(seen.some((v) => v.includes('query parameter size=500'))).toBe(true);
    expect(seen.some((v) => v.includes('missing required query parameter account_identifier'))).toBe(true);
    expect(seen.some((v) => v.includes('query parameter page=x'))).toBe(true);
    expect(seen.some((v) => v.startsWith('response GET /versions 200 does not match'))).toBe(true);
  });
});

describe('the README HAR example, end to end', () => {
  it('resolves, renders and audits the docker service and the Lambda zip as documented', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Harness Artifact Registry'), readme.indexOf('\n## ', readme.indexOf('## Harness Artifact Registry') + 5));
    const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks).toHaveLength(3);
    const s = new Seeder(reg.url);
    const images: Record<string, Pushed> = {};
    for (const t of ['1.4.0', '1.4.1', '1.5.0']) images[t] = await s.pushImage('acct123/docker-prod/payments/checkout', [t], { salt: `readme-${t}`, created: `2026-02-0${t.at(-1) === '0' ? 1 : 2}T00:00:00Z` });
    const zip = Buffer.from('PK\u0003\u0004 readme invoice 3.1.0');
    const readmeEmu = await startHarEmulator({
      account: 'acct123',
      token: TOKEN,
      ociUpstream: reg.url,
      registries: [
        {
          name: 'docker-prod',
          packageType: 'DOCKER',
          packages: [
            {
              name: 'payments/checkout',
              packageType: 'DOCKER',
              versions: [
                { name: '1.4.0', createdAt: day(1), scanStatus: 'ALLOWED', metadata: { approved: 'true' } },
                { name: '1.4.1', createdAt: day(2), scanStatus: 'WARN' },
                { name: '1.5.0', createdAt: day(3), scanStatus: 'BLOCKED', isQuarantined: true, quarantineReason: 'CVE-2026-0001' },
              ],
            },
          ],
        },
        {
          name: 'lambda-zips',
          packageType: 'GENERIC',
          packages: [
            {
              name: 'invoice-fn',
              packageType: 'GENERIC',
              versions: [
                { name: '3.0.0', createdAt: day(1), scanStatus: 'ALLOWED', metadata: { approved: 'true' }, files: [{ name: 'function.zip', content: 'PK old' }] },
                { name: '3.1.0', createdAt: day(4), scanStatus: 'ALLOWED', metadata: { approved: 'true' }, files: [{ name: 'function.zip', content: zip }] },
                { name: '3.2.0', createdAt: day(6), scanStatus: 'ALLOWED', files: [{ name: 'notes.txt', content: 'no zip here' }] },
              ],
            },
          ],
        },
      ],
    });
    try {
      const cfg = blocks[0]!.replace(/^(\s+)type: har\n/gm, (_m, sp: string) => `${sp}type: har\n${sp}url: ${readmeEmu.url}\n${sp}api: ${readmeEmu.apiUrl}\n`).replace(/env: HAR_TOKEN/g, 'env: HAR_TEST_TOKEN');
      const dir = makeProject({ 'gitopsc.config.yaml': cfg, 'services/checkout.yaml': blocks[1]!, 'services/invoice-fn.yaml': blocks[2]! });
      expect((await cli(dir, 'validate', '--format', 'json')).json.diagnostics).toEqual([]);
      const r = await cli(dir, 'resolve', '--explain', '--format', 'json');
      expect(r.json.diagnostics).toEqual([]);
      expect((r.json.resolved as { service: string; environment: string; tag: string; digest?: string; fileDigest?: string }[]).map((x) => [x.service, x.environment, x.tag, x.digest, x.fileDigest])).toEqual([
        ['checkout', 'dev', '1.4.1', images['1.4.1']!.digest, undefined],
        ['checkout', 'prod', '1.4.0', images['1.4.0']!.digest, undefined],
        ['invoice-fn', 'dev', '3.1.0', sha256(zip), sha256(zip)],
        ['invoice-fn', 'prod', '3.1.0', sha256(zip), sha256(zip)],
      ]);
      const explain = r.json.explain as Explain;
      const fn = explain.find((b) => b.service === 'invoice-fn' && b.environment === 'dev')!;
      expect(fn.candidates.map((c) => [c.tag, c.reason])).toEqual([
        ['3.1.0', `selected (time from HAR createdAt ${new Date(day(4)).toISOString()})`],
        ['3.0.0', `older than 3.1.0 (time from HAR createdAt ${new Date(day(1)).toISOString()})`],
        ['3.2.0', 'no file named function.zip'],
      ]);
      const rendered = await cli(dir, 'render', '--format', 'json');
      expect(rendered.json.diagnostics).toEqual([]);
      const host = readmeEmu.url.replace('http://', '');
      expect(readFileSync(join(dir, 'rendered/prod/checkout/deployment.yaml'), 'utf8')).toContain(`image: "${host}/acct123/docker-prod/payments/checkout:1.4.0@${images['1.4.0']!.digest}"`);
      const fnJson = JSON.parse(readFileSync(join(dir, 'rendered/prod/invoice-fn/function.json'), 'utf8')) as { Code: { S3Bucket: string; S3Key: string } };
      expect(fnJson.Code).toEqual({ S3Bucket: 'acme-artifacts', S3Key: `invoice-fn/3.1.0/${sha256(zip)}.zip` });
      const a = await cli(dir, 'audit', '--format', 'json');
      expect(a.code).toBe(0);
      expect((a.json.audited as { status: string }[]).every((x) => x.status === 'ok')).toBe(true);
      expect(readmeEmu.violations).toEqual([]);
    } finally {
      await readmeEmu.stop();
    }
  });
});

describe('gitopsc stage from HAR', () => {
  it('copies a HAR docker image (its manifest, config and layers) into a mirror registry through HAR\'s OCI API', async () => {
    const mirror = await startRegistry();
    try {
      const dir = makeProject({
        'gitopsc.config.yaml': `${config()}  ecr:\n    type: oci\n    url: ${mirror.url}\n`,
        'services/img.yaml': `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: img
spec:
  artifact:
    registry: har
    package: payments/api
    select: { strategy: exact, tag: "1.1.0" }
  lambda:
    functionName: img
    role: arn:aws:iam::123456789012:role/img
    mirror: { registry: ecr, repository: lambda/api }
`,
      });
      const res = await cli(dir, 'resolve', '--format', 'json');
      expect(res.json.diagnostics).toEqual([]);
      const r = await cli(dir, 'stage', '--format', 'json');
      expect(r.json.diagnostics).toEqual([]);
      const digest = pushed['api:1.1.0']!.digest;
      expect(r.json.staged).toEqual([
        { service: 'img', environment: 'dev', imageUri: `${mirror.host}/lambda/api@${digest}`, uploaded: true },
        { service: 'img', environment: 'prod', imageUri: `${mirror.host}/lambda/api@${digest}`, uploaded: false },
      ]);
      expect((await fetch(`${mirror.url}/v2/lambda/api/manifests/${digest}`, { method: 'HEAD', headers: { accept: pushed['api:1.1.0']!.mediaType } })).status).toBe(200);
    } finally {
      await mirror.stop();
    }
  });

  it('a HAR generic file gone from the package API since resolve is REGISTRY_UNAVAILABLE (exit 3) and nothing is written', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(), 'services/fn.yaml': lambda('fn', '{ strategy: exact, tag: "2.0.0" }') });
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const v = emu.seed.registries.find((r) => r.name === 'files-prod')!.packages[0]!.versions.find((x) => x.name === '2.0.0')!;
    v.files = [];
    const before = snapshot(dir);
    const r = await cli(dir, 'stage', '--env', 'dev', '--format', 'json');
    expect(r.code).toBe(3);
    expect(r.json.diagnostics.map((d) => [d.code, d.reason])).toEqual([['REGISTRY_UNAVAILABLE', 'missing-content']]);
    // the request that failed is named
    expect(r.json.diagnostics[0]!.message).toContain('/pkg/Acct123/files-prod/generic/invoice-fn/2.0.0');
    expect(emu.log.filter((l) => l.path.startsWith('/pkg/')).map((l) => [l.query.get('filename'), l.status])).toEqual([['function.zip', 400]]);
    expect(snapshot(dir)).toEqual(before);
  });
});
