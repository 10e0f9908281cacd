/**
 * Issue 12, parts 1 and 3: gitopsc prunes and overwrites only the files it wrote (the ownership
 * record), adopts pre-record output once by the README's rule, and refuses a mass deletion.
 */
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentHash } from '../src/core/hash.js';
import { adoptionRule, defaultMaxPrune, planOwned, RECORD_FILE, serializeRecord } from '../src/write/ownership.js';
import { baseProject, cli, makeProject, snapshot, writeFiles } from './helpers/project.js';

// a Lambda function renders three files per environment (issue 13), a Deployment two
const LAMBDA = ['function.json', 'update-function-code.json', 'update-function-configuration.json'];
const RENDERED = ['dev', 'prod'].flatMap((env) => [...LAMBDA.map((n) => `${env}/fn/${n}`), `${env}/web/deployment.yaml`, `${env}/web/service.yaml`]);
const HAND = { 'rendered/README.md': '# deployment repo\n', 'rendered/dev/kustomization.yaml': 'resources: [web]\n', 'rendered/dev/web/notes.yaml': 'mine: true\n' };

async function rendered(files: Record<string, string> = baseProject()): Promise<string> {
  const dir = makeProject(files);
  expect((await cli(dir, 'resolve')).code).toBe(0);
  const r = await cli(dir, 'render', '--format', 'json');
  expect(r.json.diagnostics).toEqual([]);
  return dir;
}

const codes = (r: { json: { diagnostics: { code: string; severity: string; file: string | null }[] } }) =>
  r.json.diagnostics.map((d) => `${d.severity} ${d.code} ${d.file ?? ''}`.trim());

describe('the ownership record', () => {
  it('is written with the output and lists exactly the rendered files', async () => {
    const dir = await rendered();
    expect(readFileSync(join(dir, 'rendered', RECORD_FILE), 'utf8')).toBe(serializeRecord(RENDERED));
  });

  it('hand-written files beside the output survive render, render --check and a deleted service', async () => {
    const dir = await rendered();
    writeFiles(dir, HAND);
    expect((await cli(dir, 'render', '--check')).code).toBe(0);
    unlinkSync(join(dir, 'services/fn.yaml'));
    // 6 of 10 managed files go: more than the default --max-prune (5), so the removal is allowed explicitly
    const r = await cli(dir, 'render', '--allow-prune', '--format', 'json');
    expect(r.code).toBe(0);
    expect((r.json as unknown as { pruned: string[] }).pruned).toEqual(RENDERED.filter((p) => p.includes('/fn/')).map((p) => `rendered/${p}`));
    for (const [p, c] of Object.entries(HAND)) expect(readFileSync(join(dir, p), 'utf8')).toBe(c);
    expect(readFileSync(join(dir, 'rendered', RECORD_FILE), 'utf8')).toBe(serializeRecord(RENDERED.filter((p) => !p.includes('/fn/'))));
  });

  it('refuses to overwrite a file it did not write (FILESYSTEM, exit 4, nothing written) unless --adopt', async () => {
    const dir = await rendered();
    rmSync(join(dir, 'rendered/prod'), { recursive: true });
    writeFiles(dir, { 'rendered/prod/web/service.yaml': 'hand: written\n' });
    // the record still lists prod/web/service.yaml: remove it, as if the file were someone else's
    writeFileSync(join(dir, 'rendered', RECORD_FILE), serializeRecord(RENDERED.filter((p) => !p.startsWith('prod/'))));
    const before = snapshot(dir);
    for (const args of [['render'], ['render', '--check']]) {
      const r = await cli(dir, ...args, '--format', 'json');
      expect(r.code).toBe(4);
      expect(codes(r)).toContain('error FILESYSTEM rendered/prod/web/service.yaml');
      expect(snapshot(dir)).toEqual(before);
    }
    const r = await cli(dir, 'render', '--adopt', '--format', 'json');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'rendered/prod/web/service.yaml'), 'utf8')).toContain('kind: Service');
    expect(readFileSync(join(dir, 'rendered', RECORD_FILE), 'utf8')).toBe(serializeRecord(RENDERED));
  });

  it('adopts pre-record output once: template-named files in <env>/<service>/, nothing else', async () => {
    const dir = await rendered();
    unlinkSync(join(dir, 'rendered', RECORD_FILE));
    // output of an earlier version: a deleted service's files, beside hand-written files
    writeFiles(dir, { ...HAND, 'rendered/dev/old/deployment.yaml': 'kind: Deployment\n', 'rendered/staging/web/deployment.yaml': 'x: 1\n' });
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).toBe(0);
    expect((r.json as unknown as { pruned: string[] }).pruned).toEqual(['rendered/dev/old/deployment.yaml']);
    expect(existsSync(join(dir, 'rendered/dev/old'))).toBe(false);
    for (const [p, c] of Object.entries(HAND)) expect(readFileSync(join(dir, p), 'utf8')).toBe(c);
    // staging is not an environment of the project: not adopted
    expect(existsSync(join(dir, 'rendered/staging/web/deployment.yaml'))).toBe(true);
    expect(readFileSync(join(dir, 'rendered', RECORD_FILE), 'utf8')).toBe(serializeRecord(RENDERED));
  });
});

describe('the mass-deletion guard', () => {
  it('a typo in the services glob: validate reports it, render refuses to empty the output', async () => {
    const dir = await rendered();
    writeFiles(dir, HAND);
    const cfg = join(dir, 'gitopsc.config.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8') + 'services:\n  - servics/*.yaml\n');
    const v = await cli(dir, 'validate', '--format', 'json');
    expect(v.code).toBe(1);
    expect(v.json.diagnostics.map((d) => [d.code, d.file, d.line, d.column])).toEqual([['SCHEMA', 'gitopsc.config.yaml', 11, 5]]);
    expect((await cli(dir, 'render')).code).toBe(1);
    // a pattern that matches files which an exclusion then drops: zero services, no SCHEMA
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('servics/*.yaml', 'services/*.yaml\n  - "!services/*"'));
    const before = snapshot(dir);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).toBe(1);
    expect(codes(r)).toEqual(expect.arrayContaining(['error PRUNE_GUARD', ...RENDERED.map((p) => `info PRUNE_GUARD rendered/${p}`)]));
    expect(snapshot(dir)).toEqual(before);
    const allowed = await cli(dir, 'render', '--allow-prune', '--format', 'json');
    expect(allowed.code).toBe(0);
    expect(snapshot(dir).has('rendered/dev/web/deployment.yaml')).toBe(false);
    for (const [p, c] of Object.entries(HAND)) expect(readFileSync(join(dir, p), 'utf8')).toBe(c);
  });

  it('refuses to prune more than --max-prune files', async () => {
    const dir = await rendered();
    unlinkSync(join(dir, 'services/web.yaml'));
    const before = snapshot(dir);
    const r = await cli(dir, 'render', '--max-prune', '3', '--format', 'json');
    expect(r.code).toBe(1);
    expect(codes(r)).toEqual([...RENDERED.filter((p) => p.includes('/web/')).map((p) => `info PRUNE_GUARD rendered/${p}`), 'error PRUNE_GUARD']);
    expect(snapshot(dir)).toEqual(before);
    expect((await cli(dir, 'render', '--max-prune', '4')).code).toBe(0);
    expect((await cli(dir, 'render', '--max-prune', 'x', '--format', 'json')).code).toBe(2);
  });
});

describe('planOwned (pure)', () => {
  const f = (path: string, content = path) => ({ path, content, hash: contentHash(content) });
  const tree = (paths: string[]) => new Map(paths.map((p) => [p, contentHash(p)]));
  const rule = adoptionRule(['dev', 'prod'], ['deployment.yaml', 'service.yaml']);

  it.each([
    ['dev/web/deployment.yaml', true],
    ['lambda/dev/web/deployment.yaml', false],
    ['dev/kustomization.yaml', false],
    ['dev/web/kustomization.yaml', false],
    ['qa/web/deployment.yaml', false],
    ['dev/web/sub/deployment.yaml', false],
    ['README.md', false],
  ])('the adoption rule takes %s: %s', (p, want) => {
    expect(rule(p)).toBe(want);
  });

  it.each([
    [0, 5],
    [20, 5],
    [24, 6],
    [100, 25],
  ])('default --max-prune of %i managed files is %i', (n, want) => {
    expect(defaultMaxPrune(n)).toBe(want);
  });

  it('prunes only recorded files, keeps out-of-scope entries, writes the record as one more file', () => {
    const existing = tree(['dev/a/deployment.yaml', 'dev/b/deployment.yaml', 'prod/a/deployment.yaml', 'dev/mine.yaml', RECORD_FILE]);
    const recordText = serializeRecord(['dev/a/deployment.yaml', 'dev/b/deployment.yaml', 'prod/a/deployment.yaml', 'gone/x.yaml']);
    const r = planOwned({ desired: [f('dev/a/deployment.yaml')], existing, recordText, inScope: (p) => p.startsWith('dev/'), adoptable: rule });
    expect(r.diagnostics).toEqual([]);
    expect(r.plan.removes).toEqual(['dev/b/deployment.yaml']);
    expect(r.plan.writes.map((w) => [w.path, w.content])).toEqual([[RECORD_FILE, serializeRecord(['dev/a/deployment.yaml', 'prod/a/deployment.yaml'])]]);
  });

  // A record naming exactly the desired paths is answered without parsing it; the answer must be
  // the long way's, which a record with one blank line more (ignored by the parser) still takes.
  const paths = ['dev/a/deployment.yaml', 'dev/a/service.yaml', 'prod/a/deployment.yaml'];
  it.each<[string, string[], string[], string[], (p: string) => boolean]>([
    ['the same paths', paths, paths, [...paths, RECORD_FILE], () => true],
    ['the same paths, one missing on disk', paths, paths, [...paths.slice(1), RECORD_FILE], () => true],
    ['the same paths, --env dev', paths.slice(0, 2), paths, [...paths, RECORD_FILE], (p) => p.startsWith('dev/')],
    ['one path more rendered', paths, paths.slice(0, 2), [...paths, RECORD_FILE], () => true],
    ['one recorded path no longer rendered', paths.slice(0, 2), paths, [...paths, RECORD_FILE], () => true],
    ['a foreign file in the way', paths, paths.slice(1), [...paths, RECORD_FILE], () => true],
    ['desired out of order', [paths[1]!, paths[0]!, paths[2]!], paths, paths, () => true],
    ['a path twice', [paths[0]!, ...paths], paths, paths, () => true],
    ['a path a record would not keep', ['dev/./x.yaml', ...paths], ['dev/./x.yaml', ...paths], paths, () => true],
  ])('a record of the desired paths plans as the long way does: %s', (_, want, recorded, onDisk, inScope) => {
    const desired = want.map((p) => f(p, `${p} now`));
    // every file on disk differs from what renders now, the record too
    const existing = new Map(onDisk.map((p) => [p, contentHash(p)]));
    const text = serializeRecord(recorded);
    const plan = (recordText: string) => planOwned({ desired, existing, recordText, inScope, adoptable: rule, maxPrune: 0 });
    expect(plan(text)).toEqual(plan(`${text}\n`));
  });
});
