/**
 * `gitopsc resolve` and `render` as a user runs them, against real registries (Debian's
 * docker-registry on loopback, one anonymous and one with htpasswd basic auth): the chosen tag
 * and digest must be what the registry serves, and failures have the contract's exit codes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, TEST_PASSWORD, TEST_USER, type RegistryInstance } from './registry/server.js';
import { Seeder, type Pushed } from './registry/seed.js';
import { cli, cliWithEnv, makeProject, snapshot } from './helpers/project.js';

let anon: RegistryInstance;
let locked: RegistryInstance;
const pushed: Record<string, Pushed & { children?: Pushed[]; fileDigest?: string }> = {};

beforeAll(async () => {
  [anon, locked] = await Promise.all([startRegistry(), startRegistry({ htpasswd: true })]);
  const s = new Seeder(anon.url);
  const tags = ['1.2.0', '1.9.3', '1.10.0', '2.0.0-rc.1', 'v1.3.0', 'latest'];
  for (const [t, p] of await s.pushMany('shop/web', tags, (tag, i) => ({ labels: { approved: tag === '1.9.3' ? 'true' : 'false' }, created: new Date(Date.UTC(2026, 0, 1 + i)).toISOString() }))) {
    pushed[`web:${t}`] = p;
  }
  for (const [t, p] of await s.pushMany('shop/ledger', ['main-aaa', 'main-bbb', 'main-ccc'], (tag) => ({ created: { 'main-aaa': '2026-03-01T00:00:00Z', 'main-bbb': '2026-03-09T00:00:00Z', 'main-ccc': '2026-03-05T00:00:00Z' }[tag] }))) {
    pushed[`ledger:${t}`] = p;
  }
  pushed['multi:1.0.0'] = await s.pushIndex('shop/multi', ['1.0.0'], [
    { os: 'linux', architecture: 'amd64', created: '2026-02-01T00:00:00Z' },
    { os: 'linux', architecture: 'arm64', variant: 'v8', created: '2026-02-02T00:00:00Z' },
  ]);
  pushed['fn:2.1.0'] = await s.pushFileArtifact('fn/invoice', ['2.1.0'], { name: 'function.zip', content: Buffer.from('PK\u0003\u0004zip 2.1.0') }, { created: '2026-02-01T00:00:00Z' });
  pushed['fn:2.0.0'] = await s.pushFileArtifact('fn/invoice', ['2.0.0'], { name: 'function.zip', content: Buffer.from('PK\u0003\u0004zip 2.0.0') }, { created: '2026-01-01T00:00:00Z' });
  const ls = new Seeder(locked.url, { username: TEST_USER, password: TEST_PASSWORD });
  pushed['private:1.0.0'] = await ls.pushImage('team/private', ['1.0.0'], { created: '2026-01-01T00:00:00Z' });
}, 120_000);

afterAll(async () => {
  await Promise.all([anon?.stop(), locked?.stop()]);
});

const svc = (name: string, artifact: string, target = '  kubernetes:\n    replicas: 1\n') => `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: ${name}
spec:
  artifact:
${artifact}
${target}`;

function project(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'gitopsc.config.yaml': `environments:
  - name: prod
    production: true
registries:
  hub:
    type: oci
    url: ${anon.url}
  private:
    type: oci
    url: ${locked.url}
    auth:
      username: { env: GITOPSC_TEST_USER }
      password: { env: GITOPSC_TEST_PASSWORD }
`,
    ...extra,
  };
}

describe('gitopsc resolve against a real registry', () => {
  it('picks the tags and digests the registry serves, for every strategy and filter, and renders them', async () => {
    const dir = makeProject(
      project({
        'services/web.yaml': svc('web', '    registry: hub\n    package: shop/web\n    select: { strategy: semver, range: "^1" }'),
        'services/approved.yaml': svc('approved', '    registry: hub\n    package: shop/web\n    select: { strategy: semver, range: "^1", labels: { approved: "true" } }'),
        'services/ledger.yaml': svc('ledger', '    registry: hub\n    package: shop/ledger\n    select: { strategy: newest-build }'),
        'services/multi.yaml': svc('multi', '    registry: hub\n    package: shop/multi\n    select: { strategy: exact, tag: "1.0.0", platform: linux/arm64 }'),
        'services/fn.yaml': svc(
          'fn',
          '    registry: hub\n    package: fn/invoice\n    format: file\n    file: function.zip\n    select: { strategy: semver, range: "^2" }',
          '  lambda:\n    functionName: invoice\n    runtime: nodejs22.x\n    handler: index.handler\n    role: arn:aws:iam::123456789012:role/invoice\n    code: { s3Bucket: artifacts, s3Key: "{package}/{fileDigest}.zip" }\n',
        ),
      }),
    );
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(r.code).toBe(0);
    const got = Object.fromEntries((r.json.resolved as { service: string; tag: string; digest: string }[]).map((x) => [x.service, [x.tag, x.digest]]));
    expect(got).toEqual({
      web: ['1.10.0', pushed['web:1.10.0']!.digest],
      approved: ['1.9.3', pushed['web:1.9.3']!.digest],
      ledger: ['main-bbb', pushed['ledger:main-bbb']!.digest],
      multi: ['1.0.0', pushed['multi:1.0.0']!.children![1]!.digest],
      fn: ['2.1.0', pushed['fn:2.1.0']!.digest],
    });
    const lock = readFileSync(join(dir, 'gitopsc.lock'), 'utf8');
    expect(lock).toContain(`fileDigest: "${pushed['fn:2.1.0']!.fileDigest}"`);
    expect((await cli(dir, 'render')).code).toBe(0);
    expect(readFileSync(join(dir, 'rendered/prod/web/deployment.yaml'), 'utf8')).toContain(`image: "${anon.host}/shop/web:1.10.0@${pushed['web:1.10.0']!.digest}"`);
    const fn = JSON.parse(readFileSync(join(dir, 'rendered/prod/fn/function.json'), 'utf8')) as { Code: { S3Bucket: string; S3Key: string } };
    expect(fn.Code).toEqual({ S3Bucket: 'artifacts', S3Key: `fn/invoice/${pushed['fn:2.1.0']!.fileDigest}.zip` });
    // a second resolve keeps the lock byte for byte
    expect((await cli(dir, 'resolve')).code).toBe(0);
    expect(readFileSync(join(dir, 'gitopsc.lock'), 'utf8')).toBe(lock);
  });

  it('a wrong pinned digest is DIGEST_MISMATCH (exit 1) and writes nothing', async () => {
    const dir = makeProject(project({ 'services/web.yaml': svc('web', `    registry: hub\n    package: shop/web\n    select: { strategy: exact, tag: "1.2.0", digest: "sha256:${'0'.repeat(64)}" }`) }));
    const before = snapshot(dir);
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.file])).toEqual([['DIGEST_MISMATCH', 'services/web.yaml']]);
    expect(snapshot(dir)).toEqual(before);
  });

  it('basic auth from env references works; a wrong password is REGISTRY_AUTH (exit 3) and is never printed', async () => {
    const files = project({ 'services/private.yaml': svc('private', '    registry: private\n    package: team/private\n    select: { strategy: semver }') });
    const env = { ...process.env, GITOPSC_TEST_USER: TEST_USER, GITOPSC_TEST_PASSWORD: TEST_PASSWORD };
    const ok = await cliWithEnv(env, makeProject(files), 'resolve', '--format', 'json');
    expect(ok.json.diagnostics).toEqual([]);
    expect(ok.json.resolved).toEqual([expect.objectContaining({ service: 'private', tag: '1.0.0', digest: pushed['private:1.0.0']!.digest })]);
    const wrong = 'not-the-password-XYZZY';
    const wrongEnv = { ...env, GITOPSC_TEST_PASSWORD: wrong };
    const dir = makeProject(files);
    const bad = await cliWithEnv(wrongEnv, dir, 'resolve', '--format', 'json');
    expect(bad.code).toBe(3);
    expect(bad.json.diagnostics.map((d) => [d.code, d.reason, d.file, d.line])).toEqual([['REGISTRY_AUTH', 'refused', 'services/private.yaml', 6]]);
    // the contract: the host is named
    expect(bad.json.diagnostics[0]!.message).toContain(locked.host);
    const text = await cliWithEnv(wrongEnv, dir, 'resolve');
    for (const out of [bad.stdout, text.stdout, text.stderr]) {
      expect(out).not.toContain(wrong);
      expect(out).not.toContain(Buffer.from(`${TEST_USER}:${wrong}`).toString('base64'));
    }
  });

  it('a registry that is down is REGISTRY_UNAVAILABLE (exit 3) naming the service, file and URL path', async () => {
    const files = project({ 'services/web.yaml': svc('web', '    registry: hub\n    package: shop/web\n    select: { strategy: semver }') });
    files['gitopsc.config.yaml'] = files['gitopsc.config.yaml']!.replace(anon.url, 'http://127.0.0.1:9');
    const r = await cliWithEnv({ ...process.env, GITOPSC_REGISTRY_RETRIES: '0' }, makeProject(files), 'resolve', '--format', 'json');
    expect(r.code).toBe(3);
    const d = r.json.diagnostics[0]!;
    expect([d.code, d.reason, d.file, d.line]).toEqual(['REGISTRY_UNAVAILABLE', 'unreachable', 'services/web.yaml', 6]);
    // the URL path is named
    expect(d.message).toContain('/v2/shop/web/tags/list');
  });

  it('a repository that does not exist is PACKAGE_NOT_FOUND (exit 1)', async () => {
    const r = await cli(makeProject(project({ 'services/web.yaml': svc('web', '    registry: hub\n    package: shop/nope\n    select: { strategy: semver }') })), 'resolve', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => d.code)).toEqual(['PACKAGE_NOT_FOUND']);
  });
});

describe('request cost', () => {
  it('semver, alphabetical, natural and exact cost one tag listing per repository and one HEAD per service', async () => {
    const { main } = await import('../src/cli/main.js');
    const { nodeHost } = await import('../src/host/index.js');
    const dir = makeProject(
      project({
        'services/a.yaml': svc('a', '    registry: hub\n    package: shop/web\n    select: { strategy: semver, range: "^1" }'),
        'services/b.yaml': svc('b', '    registry: hub\n    package: shop/web\n    select: { strategy: alphabetical, regex: "^1\\\\." }'),
        'services/c.yaml': svc('c', '    registry: hub\n    package: shop/web\n    select: { strategy: exact, tag: "1.2.0" }'),
        'services/d.yaml': svc('d', '    registry: hub\n    package: shop/ledger\n    select: { strategy: natural }'),
      }),
    );
    const sent: string[] = [];
    const host = nodeHost({
      interactive: false,
      log: () => {},
      fetch: (input, init) => {
        const u = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
        sent.push(`${init?.method ?? 'GET'} ${u.pathname}`);
        return fetch(input, init);
      },
    });
    let out = '';
    const code = await main(['--cwd', dir, 'resolve', '--format', 'json'], { stdout: (t) => (out += t), stderr: () => {} }, host);
    expect(code, out).toBe(0);
    expect(sent.filter((s) => s.endsWith('/tags/list')).sort()).toEqual(['GET /v2/shop/ledger/tags/list', 'GET /v2/shop/web/tags/list']);
    const manifests = sent.filter((s) => s.includes('/manifests/'));
    expect(manifests.every((s) => s.startsWith('HEAD '))).toBe(true);
    expect(new Set(manifests).size).toBeLessThanOrEqual(4);
    expect(sent.some((s) => s.includes('/blobs/'))).toBe(false);
  });
});
