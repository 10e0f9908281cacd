/**
 * The oci provider against a real registry (Debian's docker-registry, distribution 2.8).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { startRegistry, type RegistryInstance } from './registry/server.js';
import { Seeder, type Pushed } from './registry/seed.js';
import { cleanupTempDirs, harness, tempDir } from './registry/helpers.js';

let reg: RegistryInstance;
const pushed: Record<string, Pushed & { children?: Pushed[]; fileDigest?: string }> = {};

beforeAll(async () => {
  reg = await startRegistry();
  const s = new Seeder(reg.url);
  const tags = ['1.2.0', '1.10.0', '1.9.3', '2.0.0-rc.1', 'latest', 'v1.3.0', 'build-7'];
  const many = await s.pushMany('team/app', tags, (tag, i) => ({
    labels: { approved: tag === '1.9.3' ? 'true' : 'false', 'org.example.tag': tag },
    created: new Date(Date.UTC(2024, 0, 1 + (tag === 'build-7' ? 30 : i))).toISOString(),
  }));
  for (const [t, p] of many) pushed[`team/app:${t}`] = p;
  pushed['team/docker:1.0.0'] = await s.pushImage('team/docker', ['1.0.0'], { format: 'docker', created: '2024-02-01T00:00:00Z', labels: { kind: 'docker' }, architecture: 'arm64', variant: 'v8' });
  pushed['team/annotated:1.0.0'] = await s.pushImage('team/annotated', ['1.0.0'], { created: '2020-01-01T00:00:00Z', annotations: { 'org.opencontainers.image.created': '2024-06-01T12:00:00Z' } });
  pushed['team/multi:1.0.0'] = await s.pushIndex('team/multi', ['1.0.0'], [
    { os: 'linux', architecture: 'amd64', created: '2024-03-01T00:00:00Z', labels: { approved: 'true', arch: 'amd64' } },
    { os: 'linux', architecture: 'arm64', variant: 'v8', created: '2024-03-02T00:00:00Z', labels: { approved: 'true', arch: 'arm64' } },
  ]);
  pushed['team/multilist:2.0.0'] = await s.pushIndex('team/multilist', ['2.0.0'], [
    { os: 'linux', architecture: 'amd64', created: '2024-04-01T00:00:00Z', salt: 'l1' },
    { os: 'linux', architecture: 'arm', variant: 'v7', created: '2024-04-05T00:00:00Z', salt: 'l2' },
  ], { format: 'docker' });
  pushed['fn/checkout:1.4.2'] = await s.pushFileArtifact('fn/checkout', ['1.4.2'], { name: 'function.zip', content: Buffer.from('PK\u0003\u0004fake zip') }, { created: '2024-05-01T10:00:00Z', annotations: { approved: 'true' } });
  pushed['fn/legacy:0.1.0'] = await s.pushFileArtifact('fn/legacy', ['0.1.0'], { name: 'function.zip', content: 'legacy zip', mediaType: 'application/vnd.acme.lambda.layer.v1+zip' }, { customConfig: { created: '2023-01-01T00:00:00Z' } });
  pushed['acct/reg/svc:1.0.0'] = await s.pushImage('acct/reg/svc', ['1.0.0', '1.1.0'], { created: '2024-01-01T00:00:00Z' });
});

afterAll(async () => {
  await reg?.stop();
  cleanupTempDirs();
});

describe('listTags', () => {
  it('lists every tag of a repository (registry order, no pagination in 2.8)', async () => {
    const h = harness(reg.url);
    const r = await h.provider.listTags('team/app');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([...r.value].sort()).toEqual(['1.10.0', '1.2.0', '1.9.3', '2.0.0-rc.1', 'build-7', 'latest', 'v1.3.0']);
    expect(h.count(/tags\/list$/)).toBe(1);
  });

  it('lists a repository once per provider even when asked by several services at once', async () => {
    const h = harness(reg.url);
    const results = await Promise.all([h.provider.listTags('team/app'), h.provider.listTags('team/app'), h.provider.listTags('/team/app/')]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(h.count(/tags\/list$/)).toBe(1);
  });

  it('prepends prefix to the package path', async () => {
    const h = harness(reg.url, { config: { prefix: 'acct/reg/' } });
    const r = await h.provider.listTags('svc');
    expect(r.ok && [...r.value].sort()).toEqual(['1.0.0', '1.1.0']);
    expect(h.sent[0]?.path).toBe('/v2/acct/reg/svc/tags/list');
    expect(h.provider.reference('svc')).toBe(`${reg.host}/acct/reg/svc`);
  });

  it('a missing repository is PACKAGE_NOT_FOUND with the URL path', async () => {
    const h = harness(reg.url);
    const r = await h.provider.listTags('team/nope');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure).toMatchObject({ code: 'PACKAGE_NOT_FOUND', reason: 'no-repository', path: '/v2/team/nope/tags/list' });
    // the repository and host are named
    expect(r.failure.message).toContain('team/nope');
    expect(r.failure.message).toContain(reg.host);
    expect(h.count(/tags\/list$/)).toBe(1); // a 404 is not retried
  });
});

describe('describe', () => {
  it('returns the digest from one HEAD with the full Accept list, nothing else', async () => {
    const h = harness(reg.url);
    const r = await h.provider.describe('team/app', '1.10.0', { metadata: false });
    expect(r.ok && r.value).toEqual({ tag: '1.10.0', digest: pushed['team/app:1.10.0']!.digest });
    expect(h.sent.map((s) => s.method)).toEqual(['HEAD']);
  });

  it('Docker schema2 keeps its own digest (not converted to schema1)', async () => {
    const h = harness(reg.url);
    const r = await h.provider.describe('team/docker', '1.0.0', { metadata: true, platform: 'linux/arm64' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.digest).toBe(pushed['team/docker:1.0.0']!.digest);
    expect(r.value.labels).toEqual({ kind: 'docker' });
    expect(r.value.created).toBe('2024-02-01T00:00:00Z');
    expect(r.value.platforms).toEqual([{ os: 'linux', architecture: 'arm64', variant: 'v8', digest: pushed['team/docker:1.0.0']!.digest, created: '2024-02-01T00:00:00Z' }]);
  });

  it('metadata: labels and created from the config; the annotation wins over config created', async () => {
    const h = harness(reg.url);
    const a = await h.provider.describe('team/app', '1.9.3', { metadata: true });
    expect(a.ok && a.value.labels).toEqual({ approved: 'true', 'org.example.tag': '1.9.3' });
    expect(a.ok && a.value.created).toBe('2024-01-03T00:00:00.000Z');
    const b = await h.provider.describe('team/annotated', '1.0.0', { metadata: true });
    expect(b.ok && b.value.created).toBe('2024-06-01T12:00:00Z');
  });

  it('platform filters a single image by its config os/architecture', async () => {
    const h = harness(reg.url);
    const r = await h.provider.describe('team/app', '1.9.3', { metadata: false, platform: 'linux/arm64' });
    expect(r.ok && r.value.platforms).toEqual([]);
    const ok = await h.provider.describe('team/app', '1.9.3', { metadata: false, platform: 'linux/amd64' });
    expect(ok.ok && ok.value.platforms?.map((p) => `${p.os}/${p.architecture}`)).toEqual(['linux/amd64']);
    expect(ok.ok && ok.value.digest).toBe(pushed['team/app:1.9.3']!.digest);
  });

  it('an OCI index records the index digest and lists its children', async () => {
    const h = harness(reg.url);
    const idx = pushed['team/multi:1.0.0']!;
    const r = await h.provider.describe('team/multi', '1.0.0', { metadata: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.digest).toBe(idx.digest);
    expect(r.value.created).toBe('2024-03-02T00:00:00Z');
    expect(r.value.labels).toEqual({ approved: 'true' });
    expect(r.value.platforms).toEqual([
      { os: 'linux', architecture: 'amd64', digest: idx.children![0]!.digest, created: '2024-03-01T00:00:00Z' },
      { os: 'linux', architecture: 'arm64', variant: 'v8', digest: idx.children![1]!.digest, created: '2024-03-02T00:00:00Z' },
    ]);
  });

  it('platform on an index selects the child: its digest, created and labels', async () => {
    const h = harness(reg.url);
    const idx = pushed['team/multi:1.0.0']!;
    const r = await h.provider.describe('team/multi', '1.0.0', { metadata: true, platform: 'linux/amd64' });
    expect(r.ok && r.value.digest).toBe(idx.children![0]!.digest);
    expect(r.ok && r.value.created).toBe('2024-03-01T00:00:00Z');
    expect(r.ok && r.value.labels).toEqual({ approved: 'true', arch: 'amd64' });
    expect(r.ok && r.value.platforms?.length).toBe(1);
    const any = await h.provider.describe('team/multi', '1.0.0', { metadata: false, platform: 'linux/arm64' });
    expect(any.ok && any.value.digest).toBe(idx.children![1]!.digest);
    const none = await h.provider.describe('team/multi', '1.0.0', { metadata: false, platform: 'windows/amd64' });
    expect(none.ok && none.value.platforms).toEqual([]);
    expect(none.ok && none.value.digest).toBe(idx.digest);
  });

  it('a Docker manifest list works like an OCI index', async () => {
    const h = harness(reg.url);
    const idx = pushed['team/multilist:2.0.0']!;
    const r = await h.provider.describe('team/multilist', '2.0.0', { metadata: true, platform: 'linux/arm/v7' });
    expect(r.ok && r.value.digest).toBe(idx.children![1]!.digest);
    const all = await h.provider.describe('team/multilist', '2.0.0', { metadata: true });
    expect(all.ok && all.value.digest).toBe(idx.digest);
    expect(all.ok && all.value.created).toBe('2024-04-05T00:00:00Z');
  });

  it('a zip artifact lists its titled layer as a file (OCI 1.1 artifactType)', async () => {
    const h = harness(reg.url);
    const a = pushed['fn/checkout:1.4.2']!;
    const r = await h.provider.describe('fn/checkout', '1.4.2', { metadata: false, file: 'function.zip' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.digest).toBe(a.digest);
    expect(r.value.files).toEqual([{ name: 'function.zip', digest: a.fileDigest, size: 12, mediaType: 'application/zip' }]);
    expect(r.value.created).toBe('2024-05-01T10:00:00Z');
    expect(r.value.labels).toEqual({ approved: 'true' });
    // the empty config is never fetched
    expect(h.count(/\/blobs\//)).toBe(0);
  });

  it('a zip artifact with a custom config media type (ORAS 0.x style)', async () => {
    const h = harness(reg.url);
    const a = pushed['fn/legacy:0.1.0']!;
    const r = await h.provider.describe('fn/legacy', '0.1.0', { metadata: true, file: 'function.zip' });
    expect(r.ok && r.value.files?.[0]?.digest).toBe(a.fileDigest);
    expect(r.ok && r.value.created).toBe('2023-01-01T00:00:00Z');
  });

  it('an unknown tag is TAG_NOT_FOUND; an unknown repository PACKAGE_NOT_FOUND', async () => {
    const h = harness(reg.url);
    const t = await h.provider.describe('team/app', '9.9.9', { metadata: false });
    expect(!t.ok && t.failure.code).toBe('TAG_NOT_FOUND');
    expect(!t.ok && t.failure.path).toBe('/v2/team/app/manifests/9.9.9');
    const p = await h.provider.describe('team/nothing', '1.0.0', { metadata: false });
    expect(!p.ok && p.failure.code).toBe('PACKAGE_NOT_FOUND');
    const bad = await h.provider.describe('team/app', '../x', { metadata: false });
    expect(!bad.ok && bad.failure.code).toBe('TAG_NOT_FOUND');
  });
});

describe('metadata cache', () => {
  it('a second resolve of unchanged tags fetches no manifests or blobs', async () => {
    const cacheDir = tempDir();
    const first = harness(reg.url, { cacheDir });
    const tags = ['1.2.0', '1.10.0', '1.9.3'];
    for (const t of tags) expect((await first.provider.describe('team/app', t, { metadata: true })).ok).toBe(true);
    expect((await first.provider.describe('team/multi', '1.0.0', { metadata: true, platform: 'linux/amd64' })).ok).toBe(true);
    expect(first.count(/\/blobs\//)).toBe(5);
    await first.provider.flush?.(); // what a successful run does before it ends
    const second = harness(reg.url, { cacheDir });
    const again = [];
    for (const t of tags) again.push(await second.provider.describe('team/app', t, { metadata: true }));
    const idx = await second.provider.describe('team/multi', '1.0.0', { metadata: true, platform: 'linux/amd64' });
    expect(idx.ok && idx.value.digest).toBe(pushed['team/multi:1.0.0']!.children![0]!.digest);
    expect(again.map((r) => r.ok && r.value.labels?.['org.example.tag'])).toEqual(tags);
    expect(second.sent.every((s) => s.method === 'HEAD')).toBe(true);
    expect(second.sent.length).toBe(4);
  });

  it('ignores corrupt entries and rewrites them', async () => {
    const { writeFileSync } = await import('node:fs');
    const cacheDir = tempDir();
    const a = harness(reg.url, { cacheDir });
    expect((await a.provider.describe('team/app', '1.2.0', { metadata: true })).ok).toBe(true);
    await a.provider.flush?.();
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = `${d}/${e.name}`;
        if (e.isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(cacheDir);
    expect(files.length).toBe(1);
    expect(files.every((f) => f.endsWith('.json'))).toBe(true);
    writeFileSync(files[0]!, '{"v":1, "digest": trunc');
    const b = harness(reg.url, { cacheDir });
    const r = await b.provider.describe('team/app', '1.2.0', { metadata: true });
    expect(r.ok && r.value.labels?.['org.example.tag']).toBe('1.2.0');
    expect(b.count(/\/blobs\//)).toBe(1);
  });
});

describe('configuration', () => {
  it('refuses plain http to a non-loopback host unless insecure', async () => {
    const h = harness('http://registry.example.com');
    const r = await h.provider.listTags('x');
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'bad-config' });
    expect(h.sent.length).toBe(0);
    const i = harness('http://registry.example.com:8080', { config: { insecure: true, prefix: 'p' } });
    expect(i.provider.reference('a/b')).toBe('registry.example.com:8080/p/a/b');
  });

  it('refuses credentials in the URL without printing them', async () => {
    const h = harness(`http://user:hunter2secret@${reg.host}`);
    const r = await h.provider.listTags('team/app');
    expect(!r.ok && r.failure.code).toBe('REGISTRY_AUTH');
    expect(JSON.stringify(r)).not.toContain('hunter2secret');
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inflight = 0;
    let peak = 0;
    const h = harness(reg.url, {
      config: { concurrency: 2 },
      host: {
        fetch: async (input, init) => {
          inflight++;
          peak = Math.max(peak, inflight);
          try {
            const res = await globalThis.fetch(input, init);
            const body = await res.arrayBuffer();
            return new Response(init?.method === 'HEAD' ? null : body, { status: res.status, headers: res.headers });
          } finally {
            inflight--;
          }
        },
      },
    });
    const tags = ['1.2.0', '1.10.0', '1.9.3', 'latest', 'v1.3.0', 'build-7'];
    const rs = await Promise.all(tags.map((t) => h.provider.describe('team/app', t, { metadata: true })));
    expect(rs.every((r) => r.ok)).toBe(true);
    expect(peak).toBe(2);
  });
});

describe('metadata cache writes', () => {
  it('are held until flush (a failed run writes nothing)', async () => {
    const cacheDir = tempDir();
    const h = harness(reg.url, { cacheDir });
    expect((await h.provider.describe('team/app', '1.2.0', { metadata: true })).ok).toBe(true);
    expect(readdirSync(cacheDir)).toEqual([]);
    await h.provider.flush?.();
    expect(readdirSync(cacheDir)).toEqual(['oci-metadata']);
  });
});
