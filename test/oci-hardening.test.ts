/**
 * A registry that answers wrongly or not at all, against the real registry (and the fault proxy
 * for what it cannot do): `"tags": null`, a Docker-Content-Digest that does not match the
 * manifest, redirects to another host, a dead host (circuit breaker, deadline,
 * `--registry-timeout`).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nodeHost } from '../src/host/index.js';
import { DEFAULT_OPTIONS } from '../src/resolve/providers/oci/http.js';
import { createOciProvider, optionsFor, optionsFromEnv } from '../src/resolve/providers/oci/index.js';
import { cleanupTempDirs, harness, tempDir } from './registry/helpers.js';
import { editHeaders, matching, redirectTo, silent, startProxy, type Proxy } from './registry/proxy.js';
import { Seeder, type Pushed } from './registry/seed.js';
import { startRegistry, type RegistryInstance } from './registry/server.js';
import { cli, makeProject } from './helpers/project.js';

let reg: RegistryInstance;
let proxy: Proxy;
let other: Proxy;
let pushed: Map<string, Pushed>;
const tagsList = matching(/\/tags\/list$/);

beforeAll(async () => {
  reg = await startRegistry();
  const s = new Seeder(reg.url);
  pushed = await s.pushMany('svc/a', ['1.0.0', '1.1.0', '1.2.0'], (_t, i) => ({ created: new Date(Date.UTC(2026, 0, i + 1)).toISOString(), labels: { n: String(i) } }));
  // distribution answers `"tags": null` for a repository whose last manifest was deleted
  const gone = await s.pushImage('gone/app', ['1.0.0'], { labels: { gone: 'yes' } });
  await s.deleteManifest('gone/app', gone.digest);
  proxy = await startProxy(reg.url);
  other = await startProxy(reg.url, '127.0.0.2');
}, 60_000);

beforeEach(() => {
  proxy.rules = [];
  proxy.log = [];
  other.rules = [];
  other.log = [];
});

afterAll(async () => {
  await proxy?.stop();
  await other?.stop();
  await reg?.stop();
  cleanupTempDirs();
});

const service = (pkg: string, select = '{ strategy: semver }') => `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: web
spec:
  artifact:
    registry: hub
    package: ${pkg}
    select: ${select}
  kubernetes:
    replicas: 1
`;

const project = (url: string, pkg: string, select?: string) =>
  makeProject({ 'gitopsc.config.yaml': `registries:\n  hub:\n    type: oci\n    url: ${url}\n`, 'services/web.yaml': service(pkg, select) });

describe('"tags": null', () => {
  it('is a registry error (REGISTRY_UNAVAILABLE, exit 3), not an empty list', async () => {
    const raw = (await (await fetch(`${reg.url}/v2/gone/app/tags/list`)).json()) as { tags: unknown };
    expect(raw.tags).toBeNull();
    const r = await harness(reg.url).provider.listTags('gone/app');
    expect(!r.ok && [r.failure.code, r.failure.path]).toEqual(['REGISTRY_UNAVAILABLE', '/v2/gone/app/tags/list']);
    const run = await cli(project(reg.url, 'gone/app'), 'resolve', '--format', 'json');
    expect(run.code).toBe(3);
    expect(run.json.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['REGISTRY_UNAVAILABLE', 'services/web.yaml', 6]]);
  });
});

describe('Docker-Content-Digest', () => {
  it('a HEAD digest that the manifest bytes do not match is a registry error, never pinned', async () => {
    const wrong = pushed.get('1.0.0')!.digest;
    proxy.rules = [editHeaders(matching(/\/manifests\/1\.1\.0$/, 'HEAD'), (h) => (h['docker-content-digest'] = wrong))];
    const r = await harness(proxy.url).provider.describe('svc/a', '1.1.0', { metadata: true });
    expect(!r.ok && [r.failure.code, r.failure.reason, r.failure.path]).toEqual(['REGISTRY_UNAVAILABLE', 'content-mismatch', '/v2/svc/a/manifests/1.1.0']);
    // both digests are shown
    expect(!r.ok && r.failure.message).toContain(pushed.get('1.1.0')!.digest);
  });

  it('a GET by tag whose Docker-Content-Digest differs from its bytes is a registry error', async () => {
    proxy.rules = [editHeaders(matching(/\/manifests\/1\.2\.0$/, 'GET'), (h) => (h['docker-content-digest'] = pushed.get('1.0.0')!.digest))];
    const h = harness(proxy.url);
    expect((await h.provider.describe('svc/a', '1.0.0', { metadata: true })).ok).toBe(true);
    // the metadata cache is cold for this repository: the next describe GETs the manifest by tag
    const r = await h.provider.describe('svc/a', '1.2.0', { metadata: true });
    expect(!r.ok && r.failure.code).toBe('REGISTRY_UNAVAILABLE');
  });

  it('resolve with a strategy that reads metadata exits 3 and writes no lock', async () => {
    proxy.rules = [editHeaders(matching(/\/manifests\/1\.2\.0$/, 'HEAD'), (h) => (h['docker-content-digest'] = pushed.get('1.0.0')!.digest))];
    const dir = project(proxy.url, 'svc/a', '{ strategy: newest-build }');
    const run = await cli(dir, 'resolve', '--format', 'json');
    expect(run.code).toBe(3);
    expect(run.json.diagnostics.map((d) => d.code)).toEqual(['REGISTRY_UNAVAILABLE']);
    expect(run.json.resolved).toEqual([]);
  });
});

describe('redirects', () => {
  it.each([
    ['tags/list', tagsList, (h: ReturnType<typeof harness>) => h.provider.listTags('svc/a')],
    ['a manifest HEAD', matching(/\/manifests\//, 'HEAD'), (h: ReturnType<typeof harness>) => h.provider.describe('svc/a', '1.0.0', { metadata: false })],
    ['a manifest GET', matching(/\/manifests\//, 'GET'), (h: ReturnType<typeof harness>) => h.provider.describe('svc/a', '1.0.0', { metadata: true })],
  ])('a 302 from %s to another host is refused and that host never contacted', async (_what, match, call) => {
    proxy.rules = [redirectTo(match, other.url)];
    const r = await call(harness(proxy.url));
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'redirect-refused' });
    expect(other.log).toEqual([]);
  });

  it('a redirect on the registry host is followed', async () => {
    proxy.rules = [
      (req, res) => {
        if (req.url !== '/v2/svc/a/tags/list?n=1000') return false;
        res.writeHead(307, { location: `${proxy.url}/v2/svc/a/tags/list?n=1000&moved=1` });
        res.end();
        return true;
      },
    ];
    const h = harness(proxy.url);
    const r = await h.provider.listTags('svc/a');
    expect(r.ok ? [...r.value].sort() : r.failure).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    expect(proxy.log.map((l) => l.path)).toEqual(['/v2/svc/a/tags/list?n=1000', '/v2/svc/a/tags/list?n=1000&moved=1']);
  });
});

describe('a dead registry', () => {
  it('defaults: the whole run gives up in under a minute, a dead host after two timeouts', () => {
    expect(DEFAULT_OPTIONS.deadlineMs).toBeLessThan(60_000);
    expect(DEFAULT_OPTIONS.breakerThreshold * DEFAULT_OPTIONS.timeoutMs + DEFAULT_OPTIONS.backoffCapMs).toBeLessThan(60_000);
  });

  it('24 packages: the breaker opens after the first timeouts and the rest fail at once', async () => {
    proxy.rules = [silent()];
    const h = harness(proxy.url, { options: { timeoutMs: 400, retries: 3 } });
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: 24 }, (_, i) => h.provider.listTags(`dead/p${i}`)));
    const took = Date.now() - t0;
    expect(rs.map((r) => !r.ok && r.failure.code)).toEqual(Array(24).fill('REGISTRY_UNAVAILABLE'));
    expect(rs.filter((r) => !r.ok && /not answering/.test(r.failure.message)).length).toBeGreaterThanOrEqual(16);
    expect(h.sent.length).toBeLessThanOrEqual(10);
    expect(took).toBeLessThan(2000);
  });

  it('one package: two timeouts, then no more attempts', async () => {
    proxy.rules = [silent()];
    const h = harness(proxy.url, { options: { timeoutMs: 300, retries: 3 } });
    const r = await h.provider.describe('dead/one', '1.0.0', { metadata: false });
    expect(!r.ok && r.failure.code).toBe('REGISTRY_UNAVAILABLE');
    expect(h.sent.length).toBe(2);
  });

  it('is per host: another registry of the same run still answers', async () => {
    proxy.rules = [silent()];
    const host = nodeHost({ env: {}, interactive: false, log: () => {} });
    const mk = (url: string) => {
      const cacheDir = tempDir();
      return createOciProvider({ name: url, config: { type: 'oci', url }, root: cacheDir, host, cacheDir }, { timeoutMs: 300, retries: 3, backoffBaseMs: 5, backoffCapMs: 20 });
    };
    const dead = mk(proxy.url);
    const live = mk(reg.url);
    expect((await dead.listTags('svc/a')).ok).toBe(false);
    expect((await dead.listTags('svc/b')).ok).toBe(false);
    expect(proxy.log.length).toBe(2);
    const r = await live.listTags('svc/a');
    expect(r.ok && r.value.length).toBe(3);
  });

  it('resolve --registry-timeout bounds the whole run (before or after the command)', async () => {
    proxy.rules = [silent()];
    const dir = project(proxy.url, 'svc/a');
    for (const args of [['resolve', '--registry-timeout', '1'], ['--registry-timeout', '0.5', 'resolve']]) {
      const t0 = Date.now();
      const run = await cli(dir, ...args, '--format', 'json');
      expect(Date.now() - t0).toBeLessThan(4000);
      expect(run.code).toBe(3);
      expect(run.json.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['REGISTRY_UNAVAILABLE', 'services/web.yaml', 6]]);
    }
  });

  it.each([['0'], ['abc'], ['-1'], ['1e3']])('--registry-timeout %s is a usage error', async (v) => {
    const run = await cli(project(reg.url, 'svc/a'), 'resolve', '--registry-timeout', v, '--format', 'json');
    expect(run.code).toBe(2);
    expect(run.json.diagnostics.map((d) => d.code)).toEqual(['USAGE']);
  });
});

describe('knobs', () => {
  it('environment values; invalid or zero ones are ignored; --registry-timeout wins over the environment', () => {
    expect(optionsFromEnv({ GITOPSC_REGISTRY_TIMEOUT_MS: '1500', GITOPSC_REGISTRY_DEADLINE_MS: '9000', GITOPSC_REGISTRY_RETRIES: '0' })).toEqual({ timeoutMs: 1500, deadlineMs: 9000, retries: 0 });
    expect(optionsFromEnv({ GITOPSC_REGISTRY_TIMEOUT_MS: '0', GITOPSC_REGISTRY_DEADLINE_MS: 'soon', GITOPSC_REGISTRY_RETRIES: '-1' })).toEqual({});
    const host = nodeHost({ env: { GITOPSC_REGISTRY_DEADLINE_MS: '9000' } });
    const base = { name: 'hub', config: { type: 'oci' as const, url: reg.url }, root: '/x', host, cacheDir: '/x' };
    expect(optionsFor(base).deadlineMs).toBe(9000);
    expect(optionsFor({ ...base, deadlineMs: 2000 }).deadlineMs).toBe(2000);
  });
});
