/**
 * diff and publish through src/build: units whose keys are equal in base and head are not
 * rendered, and the diff is byte for byte the one of a full render of both sides; publish
 * plans against the deployment tree and renders only units whose files are not there.
 * Pure: in-memory sources over the example fixture, no git, no CLI.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planPublishFiles } from '../src/build/publish.js';
import { unitDiff, unitsToRender } from '../src/build/diff.js';
import { UnitMemo } from '../src/build/unit-memo.js';
import type { ProjectSource, RenderedFile } from '../src/core/types.js';
import { contentHash } from '../src/core/hash.js';
import { compareResults } from '../src/diff/compare.js';
import { toJson } from '../src/diff/format-json.js';
import { formatMarkdown } from '../src/diff/format-markdown.js';
import { formatText } from '../src/diff/format-text.js';
import { compile, type CompileState, type UnitJob } from '../src/pipeline.js';
import { kustomizationFiles, type UnitOutput } from '../src/write/kustomization.js';
import { planOwned } from '../src/write/ownership.js';
import { readTree } from './helpers/read-tree.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'example');

function memSource(files: Map<string, string>): ProjectSource {
  const enc = new TextEncoder();
  return {
    describe: 'memory',
    list: () => Promise.resolve([...files.keys()].sort()),
    read: (rel) => Promise.resolve(files.has(rel) ? enc.encode(files.get(rel)!) : undefined),
  };
}

/** The example with kustomizations on; `edit` changes it. */
function project(edit: (files: Map<string, string>) => void = () => undefined): Map<string, string> {
  const files = readTree(FIXTURE);
  files.set('gitopsc.config.yaml', files.get('gitopsc.config.yaml')!.replace('output:\n  dir: rendered\n', 'output:\n  dir: rendered\n  kustomization: true\n'));
  expect(files.get('gitopsc.config.yaml')).toContain('kustomization: true');
  edit(files);
  return files;
}

const ref = { configFile: 'gitopsc.config.yaml' };

/** What diff compared before src/build: every unit rendered on both sides, plus kustomizations. */
function full(state: CompileState): RenderedFile[] {
  const byUnit = new Map<string, UnitOutput>();
  for (const u of state.units) byUnit.set(`${u.service}\0${u.environment}`, { service: u.service, environment: u.environment, target: u.target, paths: [] });
  for (const f of state.files) (byUnit.get(`${f.service}\0${f.environment}`)?.paths as string[]).push(f.path);
  return [...state.files, ...kustomizationFiles([...byUnit.values()], state.environments).map((k) => ({ path: k.path, content: k.content, service: '', environment: k.path.split('/')[0]! }))];
}

/** Count renders per unit by wrapping the lazy compile's units. */
function counted(state: CompileState, log: string[], side: string): CompileState {
  return {
    ...state,
    units: state.units.map((u): UnitJob => ({ ...u, render: () => (log.push(`${side}:${u.service}/${u.environment}`), u.render()) })),
  };
}

const bumpReplicas = (f: Map<string, string>) => f.set('services/checkout.yaml', f.get('services/checkout.yaml')!.replace('replicas: 2', 'replicas: 4'));
const dropLedger = (f: Map<string, string>) => f.delete('services/ledger.yaml');

describe('unitDiff (diff through src/build)', () => {
  it.each([
    ['one service changed', bumpReplicas, ['staging/checkout/deployment.yaml']],
    [
      'a service removed',
      dropLedger,
      // sorted by service (kustomizations have none), environment, path
      ['dev/kustomization.yaml', 'dev/ledger/kustomization.yaml', 'prod/kustomization.yaml', 'prod/ledger/kustomization.yaml', 'staging/kustomization.yaml', 'staging/ledger/kustomization.yaml']
        .concat(['dev', 'prod', 'staging'].flatMap((e) => [`${e}/ledger/deployment.yaml`, `${e}/ledger/service.yaml`])),
    ],
    ['nothing changed', () => undefined, []],
  ])('%s: renders only units whose keys differ, and the diff bytes equal a full render\'s', async (_, edit, paths) => {
    const baseFiles = project();
    const headFiles = project(edit);
    const fullBase = await compile(memSource(baseFiles), ref);
    const fullHead = await compile(memSource(headFiles), ref);
    expect(fullBase.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const want = compareResults({ files: full(fullBase), artifacts: fullBase.artifacts }, { ...fullHead, files: full(fullHead) }, { base: 'b', head: 'h' });
    expect(want.files.map((f) => f.path)).toEqual(paths);

    const log: string[] = [];
    const memo = new UnitMemo(new Map());
    // the memo starts empty: equal units are rendered once (their diagnostics and paths), on one side
    const cold = unitDiff(counted(await compile(memSource(baseFiles), { ...ref, lazy: true }), log, 'base'), counted(await compile(memSource(headFiles), { ...ref, lazy: true }), log, 'head'), memo);
    const got = compareResults(cold.base, cold.head, { base: 'b', head: 'h' });
    expect(formatText(got)).toBe(formatText(want));
    expect(formatMarkdown(got)).toBe(formatMarkdown(want));
    expect(JSON.stringify(toJson(got))).toBe(JSON.stringify(toJson(want)));
    // cold, every unit renders once on the head side; on the base side only those whose keys differ
    expect(log.filter((l) => l.startsWith('head:')).length).toBe(cold.head.artifacts.length);
    expect(log.filter((l) => l.startsWith('base:')).length).toBeLessThan(cold.base.artifacts.length);

    // warm: a unit with equal keys is never rendered
    log.length = 0;
    const base = counted(await compile(memSource(baseFiles), { ...ref, lazy: true }), log, 'base');
    const head = counted(await compile(memSource(headFiles), { ...ref, lazy: true }), log, 'head');
    const warm = unitDiff(base, head, memo);
    const equalKeys = head.units.filter((h) => base.units.some((b) => b.service === h.service && b.environment === h.environment && b.key === h.key));
    expect(equalKeys.length).toBeGreaterThan(0);
    for (const u of equalKeys) {
      expect(log).not.toContain(`head:${u.service}/${u.environment}`);
      expect(log).not.toContain(`base:${u.service}/${u.environment}`);
    }
    // the others render, unless the memo knows both keys render the same bytes (a field no template reads)
    const changed = head.units.length + base.units.length - 2 * equalKeys.length;
    expect(log.length).toBeLessThanOrEqual(changed);
    const again = compareResults(warm.base, warm.head, { base: 'b', head: 'h' });
    expect(formatText(again)).toBe(formatText(want));
    expect(formatMarkdown(again)).toBe(formatMarkdown(want));
  });

  it('a changed service renders its three environments on each side, nothing else', async () => {
    const baseFiles = project();
    const headFiles = project(bumpReplicas);
    const memo = new UnitMemo(new Map());
    unitDiff(await compile(memSource(baseFiles), { ...ref, lazy: true }), await compile(memSource(headFiles), { ...ref, lazy: true }), memo);
    const log: string[] = [];
    unitDiff(counted(await compile(memSource(baseFiles), { ...ref, lazy: true }), log, 'base'), counted(await compile(memSource(headFiles), { ...ref, lazy: true }), log, 'head'), memo);
    // replicas differ in staging only (dev and prod override it): one unit key changed per side
    expect(log.sort()).toEqual(['base:checkout/staging', 'head:checkout/staging']);
  });
});

describe('unitDiff with kept bytes (rendered.pack)', () => {
  it('a changed unit the memo knows takes its files from the kept bytes on each side: nothing renders, the same diff bytes', async () => {
    const baseFiles = project();
    const headFiles = project(bumpReplicas);
    const memo = new UnitMemo(new Map());
    const first = unitDiff(await compile(memSource(baseFiles), { ...ref, lazy: true }), await compile(memSource(headFiles), { ...ref, lazy: true }), memo);
    const want = compareResults(first.base, first.head, { base: 'b', head: 'h' });
    // the bytes by content hash, as the pack keeps them (both sides' rendered files)
    const bytes = new Map([...first.base.files, ...first.head.files].map((f) => [contentHash(f.content), f.content]));
    const asked: string[] = [];
    const kept = (u: UnitJob) => {
      asked.push(`${u.service}/${u.environment}`);
      const s = memo.stored(u.key, { get: (h) => bytes.get(h) });
      return s && { files: s.files.map((f) => ({ path: f.path, content: f.content, service: u.service, environment: u.environment })), warnings: s.warnings };
    };
    const log: string[] = [];
    const base = counted(await compile(memSource(baseFiles), { ...ref, lazy: true }), log, 'base');
    const head = counted(await compile(memSource(headFiles), { ...ref, lazy: true }), log, 'head');
    expect(unitsToRender(base, head, memo, kept)).toEqual({ base: [], head: [] });
    const got = unitDiff(base, head, memo, undefined, kept);
    expect(log).toEqual([]);
    expect(asked.sort()).toEqual(['checkout/staging', 'checkout/staging']);
    const diff = compareResults(got.base, got.head, { base: 'b', head: 'h' });
    expect(formatText(diff)).toBe(formatText(want));
    expect(JSON.stringify(toJson(diff))).toBe(JSON.stringify(toJson(want)));
    // bytes not kept (or a unit the memo does not know): rendered as before
    bytes.clear();
    const log2: string[] = [];
    unitDiff(counted(await compile(memSource(baseFiles), { ...ref, lazy: true }), log2, 'base'), counted(await compile(memSource(headFiles), { ...ref, lazy: true }), log2, 'head'), memo, undefined, kept);
    expect(log2.sort()).toEqual(['base:checkout/staging', 'head:checkout/staging']);
  });
});

describe('planPublishFiles (publish through src/build)', () => {
  it('renders only units whose files are not in the deployment tree with the same hash, and the write plan equals a full render\'s', async () => {
    const files = project(bumpReplicas);
    const state = await compile(memSource(files), { ...ref, lazy: true });
    const memo = new UnitMemo(new Map());
    // the deployment tree holds the base's render
    const baseFull = await compile(memSource(project()), ref);
    const tree = new Map(full(baseFull).map((f) => [f.path, contentHash(f.content)]));
    for (const u of (await compile(memSource(files), { ...ref, lazy: true })).units) memo.render(u); // the memo knows every key
    const log: string[] = [];
    const planned = planPublishFiles({ state: counted(state, log, 'head'), memo }, { hashes: tree });
    expect(log).toEqual(['head:checkout/staging']);
    expect(planned.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(planned.files.filter((f) => f.content !== undefined && !f.path.endsWith('kustomization.yaml')).map((f) => f.path)).toEqual(
      full(await compile(memSource(files), ref)).filter((f) => f.path.startsWith('staging/checkout/') && !f.path.endsWith('kustomization.yaml')).map((f) => f.path).sort(),
    );

    // the same change list as planning a full render
    const headFull = full(await compile(memSource(files), ref));
    const common = { existing: tree, recordText: undefined, inScope: () => true, adoptable: () => true };
    const fromFull = planOwned({ ...common, desired: headFull.map((f) => ({ path: f.path, hash: contentHash(f.content), content: f.content })) }).plan;
    const fromPlan = planOwned({ ...common, desired: planned.files.map((f) => ({ path: f.path, hash: f.hash, ...(f.content !== undefined ? { content: f.content } : {}) })), renderedCount: planned.renderedCount }).plan;
    expect(fromPlan).toEqual(fromFull);
    expect(fromFull.writes.map((w) => [w.path, w.kind])).toEqual([
      ['.gitopsc-owned', 'add'],
      ['staging/checkout/deployment.yaml', 'change'],
    ]);

    // the units found in the tree already (`present`, as publish's first pass finds them) are not
    // looked up again: the same files; a unit not named there is still looked up
    const present = new Set(state.units.filter((u) => u.service !== 'checkout').map((u) => u.key));
    const again = planPublishFiles({ state, memo, present }, { hashes: tree });
    expect(again.files.map((f) => [f.path, f.hash, f.content !== undefined])).toEqual(planned.files.map((f) => [f.path, f.hash, f.content !== undefined]));
    const lookups: string[] = [];
    const watched = new Map(tree);
    watched.get = (p: string) => (lookups.push(p), tree.get(p));
    planPublishFiles({ state, memo, present }, { hashes: watched });
    expect(lookups.length).toBeGreaterThan(0);
    expect(lookups.every((p) => p.split('/')[1] === 'checkout')).toBe(true);
  });

  it('a unit the memo does not know, or whose files differ in the tree, is rendered', async () => {
    const files = project();
    const state = await compile(memSource(files), { ...ref, lazy: true });
    const log: string[] = [];
    const planned = planPublishFiles({ state: counted(state, log, 'u'), memo: new UnitMemo(new Map()) }, { hashes: new Map() });
    expect(log.length).toBe(state.units.length);
    expect(planned.files.every((f) => f.content !== undefined && f.hash === contentHash(f.content))).toBe(true);
  });
});
