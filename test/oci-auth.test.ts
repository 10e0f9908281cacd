/**
 * Authentication against a real registry with htpasswd (bcrypt cost 4), and the bearer token
 * flow through a proxy with its own token endpoint.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startRegistry, TEST_PASSWORD, TEST_USER, type RegistryInstance } from './registry/server.js';
import { Seeder } from './registry/seed.js';
import { cleanupTempDirs, harness, tempDir } from './registry/helpers.js';
import { proxyTokenServer, requireBearer, startProxy, startTokenServer, type Proxy, type TokenServer } from './registry/proxy.js';
import type { HelperRunner } from '../src/resolve/providers/oci/index.js';

let reg: RegistryInstance;
let proxy: Proxy;
let digest = '';
const basic = 'Basic ' + Buffer.from(`${TEST_USER}:${TEST_PASSWORD}`).toString('base64');
const envAuth = { auth: { username: { env: 'REG_USER' }, password: { env: 'REG_PASS' } } };

function noSecrets(value: unknown, ...secrets: string[]) {
  const text = JSON.stringify(value);
  for (const s of [TEST_PASSWORD, basic.slice(6), ...secrets]) expect(text).not.toContain(s);
}

beforeAll(async () => {
  reg = await startRegistry({ htpasswd: true });
  const s = new Seeder(reg.url, reg.auth);
  const p = await s.pushImage('team/app', ['1.0.0', '1.1.0'], { created: '2024-01-01T00:00:00Z', labels: { approved: 'true' } });
  digest = p.digest;
  proxy = await startProxy(reg.url);
  proxy.upstreamAuth = basic;
});

beforeEach(() => {
  proxy.rules = [];
  proxy.log = [];
});

afterAll(async () => {
  await proxy?.stop();
  await reg?.stop();
  cleanupTempDirs();
});

describe('basic auth (htpasswd)', () => {
  it('works with credentials from env references', async () => {
    const h = harness(reg.url, { config: envAuth, env: { REG_USER: TEST_USER, REG_PASS: TEST_PASSWORD } });
    const l = await h.provider.listTags('team/app');
    expect(l.ok && [...l.value].sort()).toEqual(['1.0.0', '1.1.0']);
    const d = await h.provider.describe('team/app', '1.1.0', { metadata: true });
    expect(d.ok && d.value.digest).toBe(digest);
    expect(d.ok && d.value.labels).toEqual({ approved: 'true' });
  });

  it('a wrong password is REGISTRY_AUTH naming registry and host, with no secret', async () => {
    const h = harness(reg.url, { name: 'har', config: envAuth, env: { REG_USER: TEST_USER, REG_PASS: 'wrong-password-123' } });
    const r = await h.provider.listTags('team/app');
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_AUTH', reason: 'refused' });
    // the contract: the registry and host are named
    expect(!r.ok && r.failure.message).toContain('registry "har"');
    expect(!r.ok && r.failure.message).toContain(reg.host);
    expect(!r.ok && r.failure.path).toBe('/v2/team/app/tags/list');
    noSecrets(r, 'wrong-password-123', Buffer.from(`${TEST_USER}:wrong-password-123`).toString('base64'));
    expect(h.count(/tags\/list/)).toBe(1);
  });

  it('no credentials is REGISTRY_AUTH saying none are configured', async () => {
    const r = await harness(reg.url).provider.describe('team/app', '1.0.0', { metadata: false });
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_AUTH', reason: 'no-credentials' });
  });

  it('a missing environment variable is REGISTRY_AUTH naming the variable', async () => {
    const r = await harness(reg.url, { config: envAuth, env: { REG_USER: TEST_USER } }).provider.listTags('team/app');
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_AUTH', reason: 'credentials-unavailable' });
    // the variable to set is named
    expect(!r.ok && r.failure.message).toContain('REG_PASS');
  });
});

describe('docker config.json', () => {
  function dockerConfig(content: unknown): string {
    const dir = tempDir('gitopsc-docker-');
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(content));
    return dir;
  }

  it('uses auths from $DOCKER_CONFIG/config.json', async () => {
    const dir = dockerConfig({ auths: { [`http://${reg.host}`]: { auth: Buffer.from(`${TEST_USER}:${TEST_PASSWORD}`).toString('base64') } } });
    const r = await harness(reg.url, { env: { DOCKER_CONFIG: dir } }).provider.listTags('team/app');
    expect(r.ok).toBe(true);
  });

  it('uses ~/.docker/config.json through HOME', async () => {
    const home = tempDir('gitopsc-home-');
    mkdirSync(path.join(home, '.docker'));
    writeFileSync(path.join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${TEST_USER}:${TEST_PASSWORD}`).toString('base64') } } }));
    const r = await harness(reg.url, { env: { HOME: home } }).provider.listTags('team/app');
    expect(r.ok).toBe(true);
  });

  it('runs credHelpers with the host on stdin', async () => {
    const calls: Array<{ program: string; args: string[]; input: string }> = [];
    const runHelper: HelperRunner = async (program, args, input) => {
      calls.push({ program, args, input });
      return { code: 0, stdout: JSON.stringify({ ServerURL: input, Username: TEST_USER, Secret: TEST_PASSWORD }) };
    };
    const dir = dockerConfig({ credsStore: 'desktop', credHelpers: { [reg.host]: 'gitopsc-test' } });
    const h = harness(reg.url, { env: { DOCKER_CONFIG: dir }, options: { runHelper } });
    const [a, b] = await Promise.all([h.provider.listTags('team/app'), h.provider.describe('team/app', '1.0.0', { metadata: false })]);
    expect(a.ok && b.ok).toBe(true);
    expect(calls).toEqual([{ program: 'docker-credential-gitopsc-test', args: ['get'], input: reg.host }]);
  });

  it('runs credsStore; a helper without an entry means anonymous', async () => {
    const ok: HelperRunner = async () => ({ code: 0, stdout: JSON.stringify({ Username: TEST_USER, Secret: TEST_PASSWORD }) });
    const dir = dockerConfig({ credsStore: 'secretservice' });
    expect((await harness(reg.url, { env: { DOCKER_CONFIG: dir }, options: { runHelper: ok } }).provider.listTags('team/app')).ok).toBe(true);
    const none: HelperRunner = async () => ({ code: 1, stdout: 'credentials not found in native keychain' });
    const r = await harness(reg.url, { env: { DOCKER_CONFIG: dir }, options: { runHelper: none } }).provider.listTags('team/app');
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_AUTH', reason: 'no-credentials' });
  });

  it('a helper that cannot be run gives a warning and anonymous access', async () => {
    const dir = dockerConfig({ credsStore: 'does-not-exist-gitopsc' });
    const r = await harness(reg.url, { env: { DOCKER_CONFIG: dir, PATH: '/nonexistent' } }).provider.listTags('team/app');
    expect(!r.ok && r.failure.code).toBe('REGISTRY_AUTH');
  });

  it('the config auth block wins over docker config.json', async () => {
    const dir = dockerConfig({ auths: { [reg.host]: { auth: Buffer.from(`${TEST_USER}:${TEST_PASSWORD}`).toString('base64') } } });
    const r = await harness(reg.url, { config: envAuth, env: { DOCKER_CONFIG: dir, REG_USER: TEST_USER, REG_PASS: 'nope-nope' } }).provider.listTags('team/app');
    expect(!r.ok && r.failure.code).toBe('REGISTRY_AUTH');
  });
});

describe('bearer token flow', () => {
  let external: TokenServer | undefined;
  afterAll(async () => external?.stop());

  it('fetches a token from a realm on the registry host with the credentials, and caches it', async () => {
    const { ts, rule } = proxyTokenServer(proxy, { credentials: { username: TEST_USER, password: TEST_PASSWORD } });
    proxy.rules = [rule, requireBearer(ts)];
    const h = harness(proxy.url, { config: envAuth, env: { REG_USER: TEST_USER, REG_PASS: TEST_PASSWORD } });
    expect((await h.provider.listTags('team/app')).ok).toBe(true);
    const d = await h.provider.describe('team/app', '1.0.0', { metadata: true });
    expect(d.ok && d.value.digest).toBe(digest);
    expect(ts.requests.length).toBe(1);
    expect(ts.requests[0]!.authorization).toBe(basic);
    expect(ts.requests[0]!.scope).toBe('repository:team/app:pull');
    expect(ts.requests[0]!.service).toBe('test-registry');
    const v2 = proxy.log.filter((l) => l.path.startsWith('/v2/'));
    expect(v2.slice(1).every((l) => l.authorization === `Bearer ${ts.issued[0]}`)).toBe(true);
    noSecrets(d, ts.issued[0]!);
  });

  it('refreshes the token when its lifetime is over', async () => {
    const { ts, rule } = proxyTokenServer(proxy, { expiresIn: 2 });
    proxy.rules = [rule, requireBearer(ts)];
    let now = Date.now();
    const h = harness(proxy.url, { host: { now: () => new Date(now) } });
    expect((await h.provider.describe('team/app', '1.0.0', { metadata: false })).ok).toBe(true);
    expect((await h.provider.describe('team/app', '1.1.0', { metadata: false })).ok).toBe(true);
    expect(ts.issued.length).toBe(1);
    now += 5000;
    expect((await h.provider.listTags('team/app')).ok).toBe(true);
    expect(ts.issued.length).toBe(2);
  });

  it('never sends the password to a realm on another host', async () => {
    external = await startTokenServer({ bind: '127.0.0.2', credentials: { username: TEST_USER, password: TEST_PASSWORD } });
    proxy.rules = [requireBearer(external)];
    const h = harness(proxy.url, { config: envAuth, env: { REG_USER: TEST_USER, REG_PASS: TEST_PASSWORD } });
    const r = await h.provider.listTags('team/app');
    expect(external.requests.length).toBeGreaterThan(0);
    expect(external.requests.every((q) => q.authorization === undefined)).toBe(true);
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_AUTH', reason: 'token-refused' });
    // the refusing realm's host is named
    expect(!r.ok && r.failure.message).toContain('127.0.0.2');
    noSecrets(r);
  });

  it('an anonymous token from another host (access_token field) works', async () => {
    const ts = await startTokenServer({ bind: '127.0.0.2', field: 'access_token' });
    try {
      proxy.rules = [requireBearer(ts)];
      const h = harness(proxy.url);
      const r = await h.provider.listTags('team/app');
      expect(r.ok).toBe(true);
      expect(ts.requests.length).toBe(1);
    } finally {
      await ts.stop();
    }
  });

  it('a rejected static bearer token is REGISTRY_AUTH without the token', async () => {
    const { ts } = proxyTokenServer(proxy);
    ts.issued.push('good-static-token');
    proxy.rules = [requireBearer(ts)];
    const good = await harness(proxy.url, { config: { auth: { token: { env: 'T' } } }, env: { T: 'good-static-token' } }).provider.listTags('team/app');
    expect(good.ok).toBe(true);
    const bad = await harness(proxy.url, { config: { auth: { token: { env: 'T' } } }, env: { T: 'bad-static-token' } }).provider.listTags('team/app');
    expect(!bad.ok && bad.failure.code).toBe('REGISTRY_AUTH');
    noSecrets(bad, 'bad-static-token');
  });
});
