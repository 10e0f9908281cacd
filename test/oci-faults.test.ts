/**
 * Faults a real registry cannot produce, injected by a proxy in front of the real registry.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRegistry, freePort, type RegistryInstance } from './registry/server.js';
import { Seeder } from './registry/seed.js';
import { cleanupTempDirs, harness } from './registry/helpers.js';
import { failTimes, htmlPage, huge, malformed, matching, paginate, redirectBlobs, stall, startProxy, type Proxy } from './registry/proxy.js';

let reg: RegistryInstance;
let proxy: Proxy;
let other: Proxy;
const TAGS = ['1.0.0', '1.1.0', '1.2.0', '1.10.0', '2.0.0', '2.1.0-rc.1', 'latest'];
const tagsList = matching(/\/tags\/list$/);

beforeAll(async () => {
  reg = await startRegistry();
  const s = new Seeder(reg.url);
  await s.pushMany('svc/a', TAGS, (_t, i) => ({ created: new Date(Date.UTC(2024, 1, i + 1)).toISOString(), labels: { n: String(i) } }));
  proxy = await startProxy(reg.url);
  other = await startProxy(reg.url, '127.0.0.2');
});

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

describe('pagination', () => {
  it('follows relative Link headers through every page', async () => {
    proxy.rules = [paginate(2, 'relative')];
    const h = harness(proxy.url);
    const r = await h.provider.listTags('svc/a');
    expect(r.ok && [...r.value].sort()).toEqual([...TAGS].sort());
    expect(r.ok && r.warnings).toBeUndefined();
    expect(h.count(/tags\/list$/)).toBe(4);
  });

  it('follows absolute same-host links', async () => {
    proxy.rules = [paginate(3, 'absolute')];
    const h = harness(proxy.url);
    const r = await h.provider.listTags('svc/a');
    expect(r.ok && r.value.length).toBe(TAGS.length);
    expect(h.count(/tags\/list$/)).toBe(3);
  });

  it('refuses a cross-host link with a warning and never contacts that host', async () => {
    proxy.rules = [paginate(2, 'cross-host', other.host)];
    const h = harness(proxy.url);
    const r = await h.provider.listTags('svc/a');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.length).toBe(2);
    expect(r.warnings?.[0]).toMatchObject({ severity: 'warning', code: 'REGISTRY_UNAVAILABLE', reason: 'list-incomplete' });
    expect(other.log.length).toBe(0);
  });

  it('detects a page loop', async () => {
    proxy.rules = [paginate(2, 'loop')];
    const h = harness(proxy.url);
    const r = await h.provider.listTags('svc/a');
    expect(r.ok && r.warnings?.[0]).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'list-incomplete' });
    expect(h.count(/tags\/list$/)).toBe(2);
  });

  it('hitting the page cap is an error, never a silent truncation', async () => {
    proxy.rules = [paginate(1, 'endless')];
    const h = harness(proxy.url, { options: { maxPages: 5 } });
    const r = await h.provider.listTags('svc/a');
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'paging' });
    expect(!r.ok && r.failure.path).toBe('/v2/svc/a/tags/list');
  });
});

describe('retries', () => {
  it('honours Retry-After on 429', async () => {
    proxy.rules = [failTimes(tagsList, 1, 429, { 'retry-after': '1' })];
    const h = harness(proxy.url, { options: { retryAfterCapMs: 5000 } });
    const t0 = Date.now();
    const r = await h.provider.listTags('svc/a');
    expect(r.ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(h.count(/tags\/list$/)).toBe(2);
  });

  it('caps a huge Retry-After', async () => {
    proxy.rules = [failTimes(tagsList, 1, 429, { 'retry-after': '3600' })];
    const h = harness(proxy.url, { options: { retryAfterCapMs: 100 } });
    const t0 = Date.now();
    expect((await h.provider.listTags('svc/a')).ok).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('retries a 503 burst with backoff, then succeeds', async () => {
    proxy.rules = [failTimes(matching(/\/manifests\//, 'HEAD'), 2, 503)];
    const h = harness(proxy.url);
    const r = await h.provider.describe('svc/a', '1.0.0', { metadata: false });
    expect(r.ok).toBe(true);
    expect(h.count(/manifests/)).toBe(3);
  });

  it('gives up after the retries with REGISTRY_UNAVAILABLE naming the path', async () => {
    proxy.rules = [failTimes(tagsList, 10, 502)];
    const h = harness(proxy.url, { options: { retries: 2 } });
    const r = await h.provider.listTags('svc/a');
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'server-error' });
    expect(!r.ok && r.failure.path).toBe('/v2/svc/a/tags/list');
    expect(h.count(/tags\/list$/)).toBe(3);
  });

  it('does not retry other 4xx', async () => {
    proxy.rules = [failTimes(tagsList, 1, 400, {}, '{"errors":[{"code":"PAGINATION_NUMBER_INVALID"}]}')];
    const h = harness(proxy.url);
    const r = await h.provider.listTags('svc/a');
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'bad-answer' });
    // the registry's own error code is passed on to the user
    expect(!r.ok && r.failure.message).toContain('PAGINATION_NUMBER_INVALID');
    expect(h.count(/tags\/list$/)).toBe(1);
  });

  it('a registry that is down is REGISTRY_UNAVAILABLE after the retries', async () => {
    const port = await freePort();
    const h = harness(`http://127.0.0.1:${port}`);
    const r = await h.provider.listTags('svc/a');
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'unreachable' });
    expect(h.sent.length).toBe(3);
  });
});

describe('timeouts and bad answers', () => {
  it('a stalled body times out instead of hanging', async () => {
    proxy.rules = [stall(tagsList)];
    const h = harness(proxy.url, { options: { timeoutMs: 300, retries: 1 } });
    const t0 = Date.now();
    const r = await h.provider.listTags('svc/a');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'timeout' });
  });

  it('the overall deadline stops everything', async () => {
    proxy.rules = [stall(() => true)];
    const h = harness(proxy.url, { options: { timeoutMs: 10_000, deadlineMs: 400 } });
    const t0 = Date.now();
    const [a, b] = await Promise.all([h.provider.listTags('svc/a'), h.provider.describe('svc/a', '1.0.0', { metadata: true })]);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(!a.ok && a.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'deadline' });
    expect(!b.ok && b.failure.code).toBe('REGISTRY_UNAVAILABLE');
  });

  it('an HTML login page is REGISTRY_UNAVAILABLE with a short redacted excerpt', async () => {
    proxy.rules = [htmlPage(tagsList, 'x'.repeat(500))];
    const h = harness(proxy.url);
    const r = await h.provider.listTags('svc/a');
    expect(!r.ok && r.failure.code).toBe('REGISTRY_UNAVAILABLE');
    const msg = !r.ok ? r.failure.message : '';
    expect(msg).toMatch(/HTML page/);
    expect(msg).toContain('Sign in');
    expect(msg).not.toContain('abc123secret');
    expect(msg.length).toBeLessThan(400);
  });

  it('malformed JSON is REGISTRY_UNAVAILABLE', async () => {
    proxy.rules = [malformed(tagsList)];
    const h = harness(proxy.url);
    const r = await h.provider.listTags('svc/a');
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'bad-answer' });
    // after the HEAD, the manifest bytes are fetched by tag (to check the HEAD's digest against them)
    proxy.rules = [malformed(matching(/\/manifests\//, 'GET'), '{"schemaVersion":2, "config": {')];
    const d = await harness(proxy.url).provider.describe('svc/a', '1.0.0', { metadata: true });
    expect(!d.ok && d.failure.code).toBe('REGISTRY_UNAVAILABLE');
  });

  it('caps the response size (declared and streamed)', async () => {
    proxy.rules = [huge(tagsList, 2 * 1024 * 1024)];
    const a = await harness(proxy.url, { options: { maxBytes: 1024 * 1024 } }).provider.listTags('svc/a');
    expect(!a.ok && a.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'too-large' });
    proxy.rules = [huge(tagsList, 2 * 1024 * 1024, true)];
    const b = await harness(proxy.url, { options: { maxBytes: 1024 * 1024 } }).provider.listTags('svc/a');
    expect(!b.ok && b.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'too-large' });
  });
});

describe('redirects', () => {
  it('a blob redirect to another host gets no Authorization, and the query signature is never shown', async () => {
    proxy.rules = [redirectBlobs(other)];
    const h = harness(proxy.url, { config: { auth: { token: { env: 'REG_TOKEN' } } }, env: { REG_TOKEN: 'static-token-abcdef' } });
    const r = await h.provider.describe('svc/a', '1.1.0', { metadata: true });
    expect(r.ok && r.value.labels).toEqual({ n: '1' });
    expect(other.log.length).toBe(1);
    expect(other.log[0]!.authorization).toBeUndefined();
    expect(proxy.log.every((l) => l.authorization === 'Bearer static-token-abcdef')).toBe(true);
  });
});
