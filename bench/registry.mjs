#!/usr/bin/env node
/**
 * Registry benchmark: resolve P packages x T tags (default 200 x 200) seeded into a local
 * docker-registry (Debian package `docker-registry`), through the built oci provider in dist/.
 * Reports requests per service and wall time for `semver`, and for `newest-build` on a cold and
 * a warm metadata cache.
 *
 *   node bench/registry.mjs [--json]   env: BENCH_PACKAGES, BENCH_TAGS, REGISTRY_BIN
 *
 * Seeding writes the registry's filesystem layout directly (blobs, links) before the registry
 * starts: the push API costs 3 requests per tag (about 2.5 min for 40,000 tags on 2 cores);
 * the tests exercise the push API. BENCH_SEED=push uses the push API instead.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const P = Number(process.env.BENCH_PACKAGES ?? 200);
const T = Number(process.env.BENCH_TAGS ?? 200);
const json = process.argv.includes('--json');
const say = (s) => { if (!json) process.stderr.write(s + '\n'); };

const ociPath = path.join(root, 'dist/resolve/providers/oci/index.js');
if (!existsSync(ociPath)) {
  throw new Error(`bench/registry: ${path.relative(root, ociPath)} is missing; run \`npm run build\` first`);
}
const { createOciProvider } = await import(pathToFileURL(ociPath).href);
const { nodeHost } = await import(pathToFileURL(path.join(root, 'dist/host/index.js')).href);
const selectPath = path.join(root, 'dist/resolve/select/index.js');
const select = existsSync(selectPath) ? await import(pathToFileURL(selectPath).href).catch(() => null) : null;
const semver = (await import('semver')).default;

function findBin() {
  for (const c of [process.env.REGISTRY_BIN, '/usr/bin/docker-registry', '/usr/local/bin/docker-registry']) if (c && existsSync(c)) return c;
  try { return execFileSync('sh', ['-c', 'command -v docker-registry'], { encoding: 'utf8' }).trim() || undefined; } catch { return undefined; }
}
const bin = findBin();
if (!bin) {
  throw new Error('bench/registry: docker-registry not found; install it with `sudo apt-get install -y docker-registry`');
}

const sha = (b) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const tagOf = (i) => `${1 + Math.floor(i / 100)}.${Math.floor(i / 10) % 10}.${i % 10}`;
const pkgOf = (p) => `bench/svc-${String(p).padStart(3, '0')}`;
// creation times deliberately not in semver order
const createdOf = (p, i) => new Date(Date.UTC(2024, 0, 1) + (((i * 7919 + p * 31) % T) * 60_000)).toISOString();

const dir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'gitopsc-bench-'));
const data = path.join(dir, 'data');

function writeLink(file, digest) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, digest);
}
function writeBlob(buf) {
  const d = sha(buf);
  const hex = d.slice(7);
  const f = path.join(data, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  if (!existsSync(f)) { mkdirSync(path.dirname(f), { recursive: true }); writeFileSync(f, buf); }
  return d;
}
function image(p, i) {
  const config = Buffer.from(JSON.stringify({ created: createdOf(p, i), architecture: 'amd64', os: 'linux', config: { Labels: { approved: i % 3 === 0 ? 'true' : 'false', build: String(i) } }, rootfs: { type: 'layers', diff_ids: [] }, salt: `${p}/${i}` }));
  const layer = Buffer.from('bench layer');
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }] }));
  return { config, layer, manifest };
}

function seedFs() {
  const expected = new Map();
  for (let p = 0; p < P; p++) {
    const repo = path.join(data, 'docker/registry/v2/repositories', pkgOf(p));
    for (let i = 0; i < T; i++) {
      const { config, layer, manifest } = image(p, i);
      const cd = writeBlob(config), ld = writeBlob(layer), md = writeBlob(manifest);
      for (const d of [cd, ld]) writeLink(path.join(repo, '_layers/sha256', d.slice(7), 'link'), d);
      writeLink(path.join(repo, '_manifests/revisions/sha256', md.slice(7), 'link'), md);
      const t = path.join(repo, '_manifests/tags', tagOf(i));
      writeLink(path.join(t, 'current/link'), md);
      writeLink(path.join(t, 'index/sha256', md.slice(7), 'link'), md);
      expected.set(`${pkgOf(p)}:${tagOf(i)}`, md);
    }
  }
  return expected;
}

async function seedPush(url) {
  const expected = new Map();
  const put = async (repo, buf) => {
    const s = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST' }); await s.arrayBuffer();
    const loc = new URL(s.headers.get('location'), url); loc.searchParams.set('digest', sha(buf));
    const r = await fetch(loc, { method: 'PUT', body: buf, headers: { 'content-type': 'application/octet-stream' } }); await r.arrayBuffer();
  };
  const jobs = [];
  for (let p = 0; p < P; p++) for (let i = 0; i < T; i++) jobs.push([p, i]);
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < jobs.length) {
      const [p, i] = jobs[next++];
      const { config, layer, manifest } = image(p, i);
      await put(pkgOf(p), config); if (i === 0) await put(pkgOf(p), layer);
      const r = await fetch(`${url}/v2/${pkgOf(p)}/manifests/${tagOf(i)}`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } }); await r.arrayBuffer();
      expected.set(`${pkgOf(p)}:${tagOf(i)}`, sha(manifest));
    }
  }));
  return expected;
}

const freePort = () => new Promise((res, rej) => { const s = createServer(); s.on('error', rej); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); }); });

async function startRegistry() {
  writeFileSync(path.join(dir, 'config.yml'), ['version: 0.1', 'log: { level: error, accesslog: { disabled: true } }', 'storage:', `  filesystem: { rootdirectory: ${JSON.stringify(data)} }`, '  cache: { blobdescriptor: inmemory }', 'http:', '  addr: 127.0.0.1:0', '  secret: not-a-secret-bench-only', ''].join('\n'));
  const port = await freePort();
  const child = spawn(bin, ['serve', path.join(dir, 'config.yml')], { cwd: dir, env: { PATH: process.env.PATH, REGISTRY_HTTP_ADDR: `127.0.0.1:${port}` }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let k = 0; k < 500; k++) {
    try { const r = await fetch(`${url}/v2/`); await r.arrayBuffer(); if (r.ok) return { url, child }; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error('docker-registry did not start');
}

function kindOf(method, u) {
  if (u.pathname.endsWith('/tags/list')) return 'tags/list';
  if (u.pathname.includes('/manifests/')) return `${method} manifest`;
  if (u.pathname.includes('/blobs/')) return `${method} blob`;
  return `${method} other`;
}

function makeProvider(url, cacheDir) {
  const counts = {};
  const fetchImpl = (input, init) => {
    const u = new URL(typeof input === 'string' ? input : input.url);
    const k = kindOf(init?.method ?? 'GET', u);
    counts[k] = (counts[k] ?? 0) + 1;
    return fetch(input, init);
  };
  const host = nodeHost({ fetch: fetchImpl, env: {}, interactive: false, log: () => undefined });
  const provider = createOciProvider({ name: 'bench', config: { type: 'oci', url }, root: dir, host, cacheDir });
  return { provider, counts };
}

function pickSemver(tags) {
  const valid = tags.filter((t) => semver.valid(t) === t);
  valid.sort((a, b) => semver.compare(b, a) || (a < b ? 1 : a > b ? -1 : 0));
  return valid[0];
}
function pickNewest(versions) {
  return [...versions].sort((a, b) => Date.parse(b.created ?? 0) - Date.parse(a.created ?? 0) || (a.tag < b.tag ? 1 : -1))[0]?.tag;
}

async function runScenario(label, url, cacheDir, strategy, expected) {
  const { provider, counts } = makeProvider(url, cacheDir);
  const t0 = performance.now();
  let wrong = 0;
  let mismatches = 0;
  const results = await Promise.all(Array.from({ length: P }, async (_, p) => {
    const pkg = pkgOf(p);
    const listed = await provider.listTags(pkg);
    if (!listed.ok) throw new Error(`${pkg}: ${listed.failure.message}`);
    const sel = { strategy: strategy === 'semver' ? 'semver' : 'newest-build' };
    const pre = select ? select.prefilter(listed.value, sel) : { kept: listed.value };
    if (strategy === 'semver') {
      let tag = pickSemver(pre.kept);
      if (select) {
        const out = select.choose(pre.kept.map((t) => ({ tag: t })), sel, { pkg, prefilter: pre });
        if (!out.ok) throw new Error(`${pkg}: ${out.message}`);
        if (out.version.tag !== tag) mismatches++;
        tag = out.version.tag;
      }
      const d = await provider.describe(pkg, tag, { metadata: false });
      if (!d.ok) throw new Error(d.failure.message);
      if (d.value.digest !== expected.get(`${pkg}:${tag}`)) wrong++;
      return tag;
    }
    const versions = await Promise.all(pre.kept.map(async (tag) => {
      const d = await provider.describe(pkg, tag, { metadata: true });
      if (!d.ok) throw new Error(d.failure.message);
      return d.value;
    }));
    let tag = pickNewest(versions);
    if (select) {
      const out = select.choose(versions, sel, { pkg, prefilter: pre });
      if (!out.ok) throw new Error(`${pkg}: ${out.message}`);
      if (out.version.tag !== tag) mismatches++;
      tag = out.version.tag;
    }
    const v = versions.find((x) => x.tag === tag);
    if (v.digest !== expected.get(`${pkg}:${tag}`)) wrong++;
    return tag;
  }));
  const ms = performance.now() - t0;
  await provider.flush?.(); // a successful run persists its metadata cache
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (wrong) throw new Error(`${label}: ${wrong} digests differ from what was seeded`);
  return { scenario: label, services: P, tagsPerService: T, wallMs: Math.round(ms), requests: total, requestsPerService: +(total / P).toFixed(2), byKind: counts, sample: results[0], ...(mismatches ? { pickMismatches: mismatches } : {}) };
}

let reg;
try {
  const t0 = performance.now();
  let expected;
  if (process.env.BENCH_SEED === 'push') { reg = await startRegistry(); expected = await seedPush(reg.url); }
  else { expected = seedFs(); reg = await startRegistry(); }
  const seedMs = Math.round(performance.now() - t0);
  say(`bench/registry: seeded ${P} packages x ${T} tags in ${seedMs} ms (${process.env.BENCH_SEED === 'push' ? 'push API' : 'storage layout'}); registry ${reg.url}`);
  say(select ? 'bench/registry: selection by dist/resolve/select (prefilter + choose)' : 'bench/registry: dist/resolve/select not built; built-in picks (greatest semver, newest created)');
  const cache = path.join(dir, 'cache');
  const rows = [];
  rows.push(await runScenario('semver', reg.url, path.join(dir, 'cache-semver'), 'semver', expected));
  rows.push(await runScenario('newest-build (cold cache)', reg.url, cache, 'newest', expected));
  rows.push(await runScenario('newest-build (warm cache)', reg.url, cache, 'newest', expected));
  if (json) process.stdout.write(JSON.stringify({ bench: 'registry', seedMs, rows }) + '\n');
  else {
    console.log(`\nregistry resolve: ${P} services x ${T} tags (docker-registry on loopback, concurrency 8)`);
    console.log('scenario                     wall ms   requests/service   breakdown');
    for (const r of rows) console.log(`${r.scenario.padEnd(28)} ${String(r.wallMs).padStart(7)}   ${String(r.requestsPerService).padStart(16)}   ${Object.entries(r.byKind).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
} finally {
  reg?.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  rmSync(dir, { recursive: true, force: true });
}
