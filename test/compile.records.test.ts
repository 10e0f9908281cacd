/**
 * compile() with per-service records (the incremental compile behind `render` after a change):
 * only the service files whose content changed are read and loaded again, and the result (the
 * diagnostics in order, units, keys, artifacts, rendered bytes) is exactly the one of a compile
 * without records. Changes to shared inputs (config, lock, templates, CRDs) load everything
 * again; an error anywhere (a cross-service one too) gives the plain compile's diagnostics.
 * Pure: in-memory sources over the example fixture.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentHash } from '../src/core/hash.js';
import type { ProjectSource } from '../src/core/types.js';
import { compile, type CompileOptions, type CompileState, type RecordStore } from '../src/pipeline.js';
import { unitDiff, unitsToRender } from '../src/build/diff.js';
import { openInputCache } from '../src/build/store.js';
import { UnitMemo } from '../src/build/unit-memo.js';
import { compareResults } from '../src/diff/compare.js';
import { readTree } from './helpers/read-tree.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'example');

/** An in-memory source that logs the service files it reads. */
function memSource(files: Map<string, string>, reads: string[] = []): ProjectSource {
  const enc = new TextEncoder();
  return {
    describe: 'memory',
    list: () => Promise.resolve([...files.keys()].sort()),
    read: (rel) => {
      if (rel.startsWith('services/')) reads.push(rel);
      return Promise.resolve(files.has(rel) ? enc.encode(files.get(rel)!) : undefined);
    },
  };
}

/** A record store that also counts what it holds. */
function memStore(): RecordStore & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return { map, get: (k) => structuredClone(map.get(k)), set: (k, v) => void map.set(k, structuredClone(v)) };
}

const ref = { configFile: 'gitopsc.config.yaml' };
const hashes = (files: Map<string, string>) => (rel: string) => (files.has(rel) ? contentHash(files.get(rel)!) : undefined);

/** Everything a consumer sees of a lazy compile, every unit rendered. */
async function outcome(state: CompileState): Promise<unknown> {
  if (state.prepare) expect(await state.prepare(state.units)).toBe(true);
  return {
    diagnostics: state.diagnostics,
    outputDir: state.outputDir,
    environments: state.environments,
    artifacts: state.artifacts,
    outputNames: state.outputNames(),
    units: state.units.map((u) => ({ key: u.key, service: u.service, environment: u.environment, target: u.target, ...u.render(), context: u.context() })),
    templateDiagnostics: state.templateDiagnostics(),
  };
}

/**
 * Compile `before` with records, then `after` with and without them: the same outcome; returns
 * the service files the compile with records read.
 */
async function incremental(before: Map<string, string>, after: Map<string, string>, opts: Partial<CompileOptions> = {}): Promise<{ reads: string[]; state: CompileState; plain: CompileState }> {
  const store = memStore();
  const first = await compile(memSource(before), { ...ref, ...opts, lazy: true, records: { store, hashOf: hashes(before) } });
  expect(first.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(store.map.size).toBeGreaterThan(0);
  const reads: string[] = [];
  const state = await compile(memSource(after, reads), { ...ref, ...opts, lazy: true, records: { store, hashOf: hashes(after) } });
  const plain = await compile(memSource(after), { ...ref, ...opts, lazy: true });
  const readsBeforeRender = [...reads];
  expect(await outcome(state)).toEqual(await outcome(plain));
  return { reads: readsBeforeRender, state, plain };
}

const example = () => readTree(FIXTURE);
const edit = (files: Map<string, string>, file: string, f: (s: string) => string) => {
  const next = new Map(files);
  const before = next.get(file)!;
  next.set(file, f(before));
  expect(next.get(file)).not.toBe(before);
  return next;
};
const SERVICES = ['services/checkout.yaml', 'services/invoice-fn.yaml', 'services/ledger.yaml'];
// a PDB that allows no disruption: a compile-time KUBERNETES warning (kept in the record)
const withWarning = (files: Map<string, string>) => edit(files, 'services/ledger.yaml', (s) => s.replace('    namespace: payments\n', '    namespace: payments\n    replicas: 2\n    disruptionBudget: { minAvailable: 2 }\n'));

describe('compile with per-service records', () => {
  it('one service changed: only its file is read, and the outcome is the plain compile\'s', async () => {
    const before = withWarning(example());
    const after = edit(before, 'services/checkout.yaml', (s) => s.replace('replicas: 2', 'replicas: 4'));
    const { reads, plain } = await incremental(before, after);
    expect(reads).toEqual(['services/checkout.yaml']);
    // the warnings of the services not loaded are reported, in their place
    expect(plain.diagnostics.map((d) => `${d.severity} ${d.code} ${d.file}`)).toEqual(['warning KUBERNETES services/ledger.yaml']);
  });

  it('one service changed: only its own lock entries are parsed (not the whole lock), and the outcome is the plain compile\'s', async () => {
    const before = example();
    const after = edit(before, 'services/checkout.yaml', (s) => s.replace('replicas: 2', 'replicas: 4'));
    const { state, plain } = await incremental(before, after);
    expect(state.lock).toBeUndefined();
    expect([...plain.lock!.keys()].filter((k) => k.startsWith('checkout\u0000')).length).toBe(3);
    expect(state.artifacts).toEqual(plain.artifacts);
  });

  it('one service changed so that its lock entry is stale: LOCK_STALE at the plain compile\'s positions', async () => {
    const before = example();
    const after = edit(before, 'services/checkout.yaml', (s) => s.replace('range: "^1.4" }', 'range: "^1.5" }'));
    const { state } = await incremental(before, after);
    expect(state.diagnostics.map((d) => `${d.code}/${d.reason} ${d.file}:${d.line}:${d.column} ${d.environment}`)).toEqual(['LOCK_STALE/criteria-changed services/checkout.yaml:8:3 staging']);
  });

  it('the changed service gains a warning: reported where a plain compile reports it', async () => {
    const before = example();
    const { reads, plain } = await incremental(before, withWarning(before));
    expect(reads).toEqual(['services/ledger.yaml']);
    expect(plain.diagnostics.map((d) => d.code)).toEqual(['KUBERNETES']);
  });

  it('nothing changed: no service file is read', async () => {
    const before = withWarning(example());
    const { reads } = await incremental(before, before);
    expect(reads).toEqual([]);
  });

  it('a service file renamed: only the new path is read', async () => {
    const before = example();
    const after = new Map(before);
    after.set('services/ledger-v2.yaml', after.get('services/ledger.yaml')!);
    after.delete('services/ledger.yaml');
    const { reads } = await incremental(before, after);
    expect(reads).toEqual(['services/ledger-v2.yaml']);
  });

  it('a service deleted: nothing is read; a service added back: only it is read', async () => {
    const all = example();
    const without = new Map(all);
    without.delete('services/ledger.yaml');
    expect((await incremental(all, without)).reads).toEqual([]);
    expect((await incremental(without, all)).reads).toEqual(['services/ledger.yaml']);
  });

  it('a service added without a lock entry: LOCK_STALE, as a plain compile reports it', async () => {
    const before = example();
    const after = new Map(before);
    after.set('services/audit.yaml', before.get('services/ledger.yaml')!.replace('name: ledger', 'name: audit'));
    const { state } = await incremental(before, after);
    expect(state.diagnostics.map((d) => `${d.code}/${d.reason} ${d.service}/${d.environment}`)).toEqual(['LOCK_STALE/no-entry audit/dev', 'LOCK_STALE/no-entry audit/staging', 'LOCK_STALE/no-entry audit/prod']);
  });

  it('a change that makes a cross-service error (two services of one name): the plain compile\'s diagnostics', async () => {
    const before = example();
    const after = edit(before, 'services/ledger.yaml', (s) => s.replace('name: ledger', 'name: checkout'));
    const { state } = await incremental(before, after);
    expect(state.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.file}`)).toEqual(['DUPLICATE_SERVICE services/checkout.yaml', 'DUPLICATE_SERVICE services/ledger.yaml']);
  });

  it('a change that breaks one service file (schema): the plain compile\'s diagnostics', async () => {
    const before = withWarning(example());
    const after = edit(before, 'services/checkout.yaml', (s) => s.replace('replicas: 2', 'replicas: two'));
    const { state } = await incremental(before, after);
    expect(state.diagnostics.map((d) => `${d.severity} ${d.code} ${d.file}`)).toEqual(['error SCHEMA services/checkout.yaml', 'warning KUBERNETES services/ledger.yaml']);
  });

  it.each([
    ['the config', (f: Map<string, string>) => edit(f, 'gitopsc.config.yaml', (s) => s.replace('allowPrerelease: false', 'allowPrerelease: false\n    denyTags: ["^latest$", "^dev-"]').replace('    denyTags: ["^latest$"]\n', ''))],
    ['a comment in the config', (f: Map<string, string>) => edit(f, 'gitopsc.config.yaml', (s) => `${s}# a comment\n`)],
    ['the lock', (f: Map<string, string>) => edit(f, 'gitopsc.lock', (s) => `${s}\n`)],
    ['a project template added', (f: Map<string, string>) => edit(f, 'gitopsc.config.yaml', (s) => `${s}templates: tpl\n`).set('tpl/kubernetes/configmap.yaml.hbs', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{service.name}}\n')],
    ['a CRD directory', (f: Map<string, string>) => edit(f, 'gitopsc.config.yaml', (s) => s.replace('registries:', 'kubernetes:\n  crds: crds\nregistries:')).set('crds/widget.yaml', 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: { kind: Widget, plural: widgets }\n  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema: { openAPIV3Schema: { type: object } }\n')],
  ])('%s changed: every service is loaded again', async (_what, change) => {
    const before = withWarning(example());
    const { reads } = await incremental(before, change(before));
    expect(reads.sort()).toEqual(SERVICES);
  });

  it('a project template that does not compile: the plain compile\'s diagnostics, before and after a change', async () => {
    const broken = edit(example(), 'gitopsc.config.yaml', (s) => `${s}templates: tpl\n`).set('tpl/kubernetes/configmap.yaml.hbs', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{#if service.name}}\n');
    const store = memStore();
    const first = await compile(memSource(broken), { ...ref, lazy: true, records: { store, hashOf: hashes(broken) } });
    const plain = await compile(memSource(broken), { ...ref, lazy: true });
    expect(await outcome(first)).toEqual(await outcome(plain));
    expect(first.templateDiagnostics().map((d) => d.code)).toEqual(['TEMPLATE']);
    const after = edit(broken, 'services/checkout.yaml', (s) => s.replace('replicas: 2', 'replicas: 4'));
    const second = await compile(memSource(after), { ...ref, lazy: true, records: { store, hashOf: hashes(after) } });
    expect(await outcome(second)).toEqual(await outcome(await compile(memSource(after), { ...ref, lazy: true })));
  });

  it('--env: records are kept apart per environment selection', async () => {
    const before = example();
    const after = edit(before, 'services/checkout.yaml', (s) => s.replace('replicas: 2', 'replicas: 4'));
    const { reads, state } = await incremental(before, after, { envs: ['prod'] });
    expect(reads).toEqual(['services/checkout.yaml']);
    expect(new Set(state.units.map((u) => u.environment))).toEqual(new Set(['prod']));
  });

  it('a file that changed after it was hashed: prepare says so, and a plain compile follows', async () => {
    const before = example();
    const store = memStore();
    await compile(memSource(before), { ...ref, lazy: true, records: { store, hashOf: hashes(before) } });
    const after = edit(before, 'services/ledger.yaml', (s) => s.replace('containerPort: 9090', 'containerPort: 9091'));
    // the memo still has the old hash: the record is taken, but the file no longer matches it
    const state = await compile(memSource(after), { ...ref, lazy: true, records: { store, hashOf: hashes(before) } });
    const ledger = state.units.filter((u) => u.service === 'ledger');
    expect(ledger.length).toBe(3);
    expect(await state.prepare!(ledger)).toBe(false);
    expect(() => ledger[0]!.render()).toThrow(/changed while it was compiled/);
    // a non-lazy compile with records renders every unit: it falls back by itself
    const full = await compile(memSource(after), { ...ref, records: { store, hashOf: hashes(before) } });
    const plain = await compile(memSource(after), ref);
    expect(full.files).toEqual(plain.files);
    expect(full.diagnostics).toEqual(plain.diagnostics);
  });

  it('one service changed, with the input cache: its lock entries are its part of lock.json alone (a damaged part: the lock is read again); the outcome is the plain compile\'s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-records-'));
    try {
      const before = example();
      const store = memStore();
      const first = openInputCache(dir);
      await compile(memSource(before), { ...ref, lazy: true, cache: first, records: { store, hashOf: hashes(before) } });
      await first.save();
      const after = edit(before, 'services/checkout.yaml', (s) => s.replace('replicas: 2', 'replicas: 4'));
      const plain = await outcome(await compile(memSource(after), { ...ref, lazy: true }));
      /** the input cache, logging what the compile asks of it for the lock */
      const logged = (asked: string[]) => {
        const c = openInputCache(dir);
        return { get: (k: string) => (k.startsWith('lock:') && asked.push('get'), c.get(k)), set: (k: string, v: unknown) => c.set(k, v), lockPart: (k: string, s: string) => (asked.push(`part ${s}`), c.lockPart(k, s)) };
      };
      // (the records of `before` again for the second run: the first records checkout's new content)
      const store2 = memStore();
      for (const [k, v] of store.map) store2.map.set(k, v);
      const asked: string[] = [];
      const state = await compile(memSource(after), { ...ref, lazy: true, cache: logged(asked), records: { store, hashOf: hashes(after) } });
      expect(asked).toEqual(['part checkout']);
      expect(await outcome(state)).toEqual(plain);
      // checkout's part damaged (its registry's name changed in the body): not believed
      const file = join(dir, '.gitopsc', 'cache', 'lock.json');
      const text = readFileSync(file, 'utf8');
      const body = text.indexOf('\n', text.indexOf('\n') + 1);
      const at = text.indexOf('"registry":"', text.indexOf('checkout', body));
      writeFileSync(file, text.slice(0, at) + '"registry":"X' + text.slice(at + 12));
      const again: string[] = [];
      const damaged = await compile(memSource(after), { ...ref, lazy: true, cache: logged(again), records: { store: store2, hashOf: hashes(after) } });
      expect(again).toEqual(['part checkout', 'get']);
      expect(await outcome(damaged)).toEqual(plain);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a damaged record is not believed', async () => {
    const before = example();
    const store = memStore();
    await compile(memSource(before), { ...ref, lazy: true, records: { store, hashOf: hashes(before) } });
    for (const [k, v] of store.map) if (k.startsWith('s:')) store.map.set(k, { ...(v as object), units: 'x' });
    const reads: string[] = [];
    const state = await compile(memSource(before, reads), { ...ref, lazy: true, records: { store, hashOf: hashes(before) } });
    expect(reads.sort()).toEqual(SERVICES);
    expect(await outcome(state)).toEqual(await outcome(await compile(memSource(before), { ...ref, lazy: true })));
  });

  const without = (f: Map<string, string>) => (f.delete('services/ledger.yaml'), f);
  type Sides = (f: Map<string, string>) => [Map<string, string>, Map<string, string>];
  it.each<[string, Sides]>([
    ['one service changed', (f: Map<string, string>) => [f, edit(f, 'services/checkout.yaml', (s) => s.replace('replicas: 2', 'replicas: 4'))]],
    ['a service deleted', (f: Map<string, string>) => [f, without(new Map(f))]],
    ['a service added', (f: Map<string, string>) => [without(new Map(f)), f]],
  ])('diff with records (%s): base and head share them, and the diff is the one without records', async (_what, sides) => {
    const [baseFiles, headFiles] = sides(withWarning(example()));
    const store = memStore();
    const units = memStore();
    // a render of the base recorded every service and unit
    const warm = await compile(memSource(baseFiles), { ...ref, lazy: true, records: { store } });
    const memo0 = new UnitMemo(units);
    for (const u of warm.units) memo0.render(u);
    const diffWith = async (records: boolean) => {
      const memo = new UnitMemo(units);
      const reads: string[] = [];
      const opts = { ...ref, lazy: true, ...(records ? { records: { store } } : {}) };
      const head = await compile(memSource(headFiles, reads), opts);
      const base = await compile(memSource(baseFiles, reads), opts);
      const needed = unitsToRender(base, head, memo);
      if (records) {
        expect(await head.prepare!(needed.head)).toBe(true);
        expect(await base.prepare!(needed.base)).toBe(true);
      }
      const u = unitDiff(base, head, memo, undefined);
      return { diff: compareResults(u.base, u.head, { base: 'b', head: 'h' }), diagnostics: [...head.diagnostics, ...u.headDiagnostics, ...base.diagnostics, ...u.baseDiagnostics], reads };
    };
    const withRecords = await diffWith(true);
    const without = await diffWith(false);
    expect(withRecords.diff).toEqual(without.diff);
    expect(withRecords.diagnostics).toEqual(without.diagnostics);
    expect(withRecords.diff.files.length).toBeGreaterThan(0);
  });
});
