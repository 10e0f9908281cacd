/**
 * The library API's behaviour, in process (src/index.ts; the packed package is
 * test/api.pack.consumer.test.ts): compile from a directory and from a ProjectSource in memory, resolve
 * with a given Host and a Provider of our own, plan and apply writes with the ownership record,
 * diff two results.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyWrites, compile, diff, hasErrors, nodeHost, planWrites, resolve, type Host, type ProjectSource, type Provider } from '../src/index.js';

const EXAMPLE = resolvePath(import.meta.dirname, '../fixtures/example');

/** The example project as a ProjectSource held in memory, with `edits` applied. */
function memorySource(edits: Record<string, string | undefined> = {}): ProjectSource {
  const files = new Map<string, Uint8Array>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(EXAMPLE, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else files.set(p, readFileSync(join(EXAMPLE, p)));
    }
  };
  walk('');
  for (const [p, text] of Object.entries(edits)) {
    if (text === undefined) files.delete(p);
    else files.set(p, new TextEncoder().encode(text));
  }
  return { describe: 'memory', list: async () => [...files.keys()].sort(), read: async (p) => files.get(p) };
}

/** A host that prints nothing and has no environment: the library must not need the process's. */
const quietHost = (over: Partial<Host> = {}): Host => nodeHost({ env: {}, log: () => {}, status: () => {}, ...over });

describe('compile', () => {
  it('from a directory and from a ProjectSource in memory: the same files, no diagnostics', async () => {
    const a = await compile({ cwd: join(EXAMPLE, 'services') }); // the config is searched upward
    const b = await compile({ source: memorySource() });
    expect(a.diagnostics).toEqual([]);
    expect(b.diagnostics).toEqual([]);
    expect(a.files.length).toBe(28);
    expect(b.files).toEqual(a.files);
    expect(a.files.find((f) => f.path === 'prod/checkout/deployment.yaml')?.content).toBe(readFileSync(join(EXAMPLE, 'rendered/prod/checkout/deployment.yaml'), 'utf8'));
    expect(diff(a, b).changed).toBe(false);
  });

  it('a user mistake is a located diagnostic, and nothing renders', async () => {
    const text = readFileSync(join(EXAMPLE, 'services/checkout.yaml'), 'utf8').replace('    replicas: 2\n', '    replicas: two\n');
    const r = await compile({ source: memorySource({ 'services/checkout.yaml': text }) });
    expect(r.diagnostics.map(({ code, file, line, column }) => ({ code, file, line, column }))).toEqual([{ code: 'SCHEMA', file: 'services/checkout.yaml', line: 14, column: 15 }]);
    expect(hasErrors(r.diagnostics)).toBe(true);
    expect(r.files).toEqual([]);
  });

  it('envs selects environments; validateOnly renders nothing; a missing config is CONFIG_NOT_FOUND', async () => {
    const dev = await compile({ source: memorySource(), envs: ['dev'] });
    expect(new Set(dev.files.map((f) => f.environment))).toEqual(new Set(['dev']));
    const v = await compile({ source: memorySource(), validateOnly: true });
    expect([v.diagnostics, v.files]).toEqual([[], []]);
    const none = await compile({ source: memorySource(), configFile: 'nope.yaml' });
    expect(none.diagnostics.map((d) => d.code)).toEqual(['CONFIG_NOT_FOUND']);
  });

  it('includes the kustomizations render writes (output.kustomization: true)', async () => {
    const config = readFileSync(join(EXAMPLE, 'gitopsc.config.yaml'), 'utf8').replace('output:\n  dir: rendered', 'output:\n  dir: rendered\n  kustomization: true');
    const r = await compile({ source: memorySource({ 'gitopsc.config.yaml': config }) });
    expect(r.diagnostics).toEqual([]);
    expect(r.files.map((f) => f.path)).toContain('dev/kustomization.yaml');
    expect(r.files.map((f) => f.path)).toContain('dev/checkout/kustomization.yaml');
  });
});

describe('resolve', () => {
  it('with a given Host, offline (a static catalog): the lock is current, nothing is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-api-'));
    cpSync(EXAMPLE, dir, { recursive: true, filter: (s) => !s.endsWith('/.gitopsc') });
    const before = readFileSync(join(dir, 'gitopsc.lock'), 'utf8');
    const r = await resolve({ cwd: dir, host: quietHost() });
    expect(r.diagnostics).toEqual([]);
    expect(r.lockFile).toBe('gitopsc.lock');
    expect(r.lockText).toBe(before);
    expect(r.previousLockText).toBe(before);
    expect(r.resolved.filter((x) => x.changed)).toEqual([]);
    expect(readdirSync(dir)).not.toContain('.gitopsc');
  });

  it('through a Provider of our own, by registry name: the new lock selects from it', async () => {
    const calls: string[] = [];
    const digest = `sha256:${'a'.repeat(64)}`;
    const provider: Provider = {
      listTags: async (pkg) => {
        calls.push(`list ${pkg}`);
        return { ok: true, value: ['1.4.2', '1.6.0', '2.0.0'] };
      },
      describe: async (_pkg, tag) => ({ ok: true, value: { tag, digest, created: '2026-05-01T00:00:00Z', labels: { approved: 'true' } } }),
      reference: (pkg) => `pkg.harness.io/${pkg}`,
    };
    const r = await resolve({ cwd: EXAMPLE, host: quietHost(), providers: new Map([['har', provider]]), update: ['checkout'] });
    expect(r.diagnostics).toEqual([]);
    expect(calls).toEqual(['list payments/checkout']);
    const checkout = r.resolved.filter((x) => x.service === 'checkout').map(({ environment, tag, digest: d, changed }) => ({ environment, tag, digest: d, changed }));
    expect(checkout).toEqual([
      { environment: 'dev', tag: '1.6.0', digest, changed: true },
      { environment: 'prod', tag: '1.6.0', digest, changed: true },
      { environment: 'staging', tag: '1.6.0', digest, changed: true },
    ]);
    expect(r.lockText).toContain('tag: "1.6.0"');
    expect(r.lockText).not.toBe(r.previousLockText);
  });

  it('a registry failure is a diagnostic with its code, and no lock text', async () => {
    const down: Provider = {
      listTags: async () => ({ ok: false, failure: { code: 'REGISTRY_UNAVAILABLE', message: 'connection refused' } }),
      describe: async () => ({ ok: false, failure: { code: 'REGISTRY_UNAVAILABLE', message: 'connection refused' } }),
      reference: (pkg) => `pkg.harness.io/${pkg}`,
    };
    const r = await resolve({ cwd: EXAMPLE, host: quietHost(), providers: new Map([['har', down]]), update: true });
    expect(new Set(r.diagnostics.map((d) => d.code))).toEqual(new Set(['REGISTRY_UNAVAILABLE']));
    expect(r.lockText).toBeUndefined();
  });

  it('an unknown environment or service is USAGE, before any registry is asked', async () => {
    const r = await resolve({ cwd: EXAMPLE, host: quietHost({ fetch: () => Promise.reject(new Error('no network')) }), envs: ['qa'], update: ['nope'] });
    expect(r.diagnostics.map((d) => [d.code, d.reason])).toEqual([
      ['USAGE', 'unknown-environment'],
      ['USAGE', 'unknown-service'],
    ]);
    expect(r.resolved).toEqual([]);
  });
});

describe('planWrites and applyWrites', () => {
  it('write a compile result, then nothing changes; a removed service is pruned', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gitopsc-api-out-')), 'out');
    const { files } = await compile({ source: memorySource() });
    const first = await planWrites({ files, outDir: out });
    expect(first.diagnostics).toEqual([]);
    expect(first.plan.writes.length).toBe(files.length + 1); // and the ownership record
    expect(await applyWrites({ outDir: out, plan: first.plan })).toEqual([]);
    expect(readFileSync(join(out, 'prod/checkout/deployment.yaml'), 'utf8')).toBe(readFileSync(join(EXAMPLE, 'rendered/prod/checkout/deployment.yaml'), 'utf8'));
    const again = await planWrites({ files, outDir: out });
    expect([again.plan.writes.length, again.plan.removes.length, again.plan.unchanged]).toEqual([0, 0, files.length + 1]);
    const fewer = files.filter((f) => !(f.service === 'ledger' && f.environment === 'dev'));
    const pruned = await planWrites({ files: fewer, outDir: out });
    expect(pruned.diagnostics).toEqual([]);
    expect(pruned.plan.removes).toEqual(files.filter((f) => f.service === 'ledger' && f.environment === 'dev').map((f) => f.path));
    expect(await applyWrites({ outDir: out, plan: pruned.plan })).toEqual([]);
    expect(existsSync(join(out, 'dev/ledger'))).toBe(false);
  });

  it('a file gitopsc did not write is FILESYSTEM unless adopt; a file of its own is never pruned', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gitopsc-api-out-'));
    writeFileSync(join(out, 'README.md'), 'hand-written\n');
    const files = [{ path: 'README.md', content: 'rendered\n' }];
    const refused = await planWrites({ files, outDir: out });
    expect(refused.diagnostics.map((d) => [d.code, d.file])).toEqual([['FILESYSTEM', 'README.md']]);
    const adopted = await planWrites({ files, outDir: out, adopt: true });
    expect(adopted.diagnostics).toEqual([]);
    expect(adopted.plan.writes.map((w) => w.path)).toEqual(['.gitopsc-owned', 'README.md']);
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    expect((await planWrites({ files: [], outDir: out, allowPrune: true })).plan.removes).toEqual([]);
  });

  it('an interrupted render (a journal) is refused rather than planned over', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gitopsc-api-out-'));
    writeFileSync(join(out, '.gitopsc-journal'), '{}');
    const r = await planWrites({ files: [{ path: 'a.yaml', content: 'a: 1\n' }], outDir: out });
    expect(r.diagnostics.map((d) => [d.code, d.reason])).toEqual([['DRIFT', 'interrupted-render']]);
    expect(r.plan.writes).toEqual([]);
  });
});

describe('diff', () => {
  it('reports changed artifacts and files between two results', async () => {
    const base = await compile({ source: memorySource() });
    const lock = readFileSync(join(EXAMPLE, 'gitopsc.lock'), 'utf8');
    const head = await compile({ source: memorySource({ 'gitopsc.lock': lock.replace('tag: "1.4.10"', 'tag: "1.4.2"') }) });
    expect(head.diagnostics).toEqual([]);
    const d = diff(base, head, { base: 'before', head: 'after' });
    expect(d.changed).toBe(true);
    expect(d.artifacts.map((a) => [a.service, a.environment, a.old?.tag, a.new?.tag])).toEqual([['checkout', 'prod', '1.4.10', '1.4.2']]);
    // the image and the version label: only prod/checkout's files
    expect(d.files.map((f) => f.path)).toContain('prod/checkout/deployment.yaml');
    expect(d.files.filter((f) => !f.path.startsWith('prod/checkout/') || f.status !== 'changed')).toEqual([]);
    expect(d.files.find((f) => f.path === 'prod/checkout/deployment.yaml')?.hunks).toContain('+          image: "pkg.harness.io/payments/checkout:1.4.2@sha256:3333');
  });
});
