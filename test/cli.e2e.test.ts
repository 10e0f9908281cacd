/** The CLI as a user runs it: init, validate, resolve, render, render --check, on temp projects. */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseProject, cli, makeProject, snapshot } from './helpers/project.js';

describe('gitopsc init, validate, resolve, render, render --check', () => {
  it('scaffolds a project that resolves and renders immediately', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-init-'));
    expect((await cli(dir, 'init')).code).toBe(0);
    expect((await cli(dir, 'validate')).code).toBe(0);
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.json.resolved).toEqual([
      expect.objectContaining({ service: 'hello', environment: 'dev', tag: '1.1.0', strategy: 'semver' }),
      expect.objectContaining({ service: 'hello', environment: 'prod', tag: '1.1.0' }),
    ]);
    expect((await cli(dir, 'render')).code).toBe(0);
    expect(existsSync(join(dir, 'rendered/prod/hello/deployment.yaml'))).toBe(true);
    expect((await cli(dir, 'render', '--check')).code).toBe(0);
    // init refuses to overwrite
    expect((await cli(dir, 'init')).code).toBe(2);
  });

  it('writes a byte-identical lock and output on every run', async () => {
    const dir = makeProject(baseProject());
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const lock1 = readFileSync(join(dir, 'gitopsc.lock'), 'utf8');
    expect((await cli(dir, 'render')).code).toBe(0);
    const out1 = snapshot(join(dir, 'rendered'));
    expect((await cli(dir, 'resolve')).code).toBe(0);
    expect((await cli(dir, 'render')).code).toBe(0);
    expect(readFileSync(join(dir, 'gitopsc.lock'), 'utf8')).toBe(lock1);
    expect(snapshot(join(dir, 'rendered'))).toEqual(out1);
    expect([...out1.keys()]).toEqual([
      '.gitopsc-owned',
      'dev/fn/function.json',
      'dev/fn/update-function-code.json',
      'dev/fn/update-function-configuration.json',
      'dev/web/deployment.yaml',
      'dev/web/service.yaml',
      'prod/fn/function.json',
      'prod/fn/update-function-code.json',
      'prod/fn/update-function-configuration.json',
      'prod/web/deployment.yaml',
      'prod/web/service.yaml',
    ]);
    expect(lock1).toContain('tag: "1.10.0"');
    expect(lock1).toContain(`fileDigest: "sha256:${'e'.repeat(64)}"`);
    for (const content of out1.values()) expect(content.endsWith('\n') && !content.includes('\r')).toBe(true);
  });

  it('render --check lists drift, missing and pruned files and exits 1', async () => {
    const dir = makeProject(baseProject());
    await cli(dir, 'resolve');
    await cli(dir, 'render');
    writeFileSync(join(dir, 'rendered/dev/web/service.yaml'), 'changed: true\n');
    writeFileSync(join(dir, 'rendered/dev/web/extra.yaml'), 'x: 1\n');
    // extra.yaml as if an earlier render had written it; README.md is the user's
    appendFileSync(join(dir, 'rendered/.gitopsc-owned'), 'dev/web/extra.yaml\n');
    writeFileSync(join(dir, 'rendered/dev/web/README.md'), 'mine\n');
    const r = await cli(dir, 'render', '--check', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.reason, d.file, d.line])).toEqual([
      ['DRIFT', 'would-prune', 'rendered/dev/web/extra.yaml', 1],
      ['DRIFT', 'differs', 'rendered/dev/web/service.yaml', 1],
    ]);
    expect(readFileSync(join(dir, 'rendered/dev/web/service.yaml'), 'utf8')).toBe('changed: true\n');
    expect((await cli(dir, 'render')).code).toBe(0);
    expect(existsSync(join(dir, 'rendered/dev/web/extra.yaml'))).toBe(false);
    expect(readFileSync(join(dir, 'rendered/dev/web/README.md'), 'utf8')).toBe('mine\n');
    expect((await cli(dir, 'render', '--check')).code).toBe(0);
    // a hand edit deep in a file is reported at its first differing line
    const deployment = join(dir, 'rendered/dev/web/deployment.yaml');
    const lines = readFileSync(deployment, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('replicas:'));
    lines[at] = '  replicas: 9';
    writeFileSync(deployment, lines.join('\n'));
    const r2 = await cli(dir, 'render', '--check', '--format', 'json');
    expect(r2.json.diagnostics.map((d) => [d.code, d.reason, d.file, d.line])).toEqual([['DRIFT', 'differs', 'rendered/dev/web/deployment.yaml', at + 1]]);
    unlinkSync(deployment);
    const r3 = await cli(dir, 'render', '--check', '--format', 'json');
    expect(r3.json.diagnostics.map((d) => [d.code, d.reason, d.file, d.line])).toEqual([['DRIFT', 'missing', 'rendered/dev/web/deployment.yaml', 1]]);
  });

  it('prunes the files of a deleted service', async () => {
    const files = baseProject();
    const dir = makeProject(files);
    await cli(dir, 'resolve');
    await cli(dir, 'render');
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'services/fn.yaml'));
    expect((await cli(dir, 'resolve')).code).toBe(0);
    expect(readFileSync(join(dir, 'gitopsc.lock'), 'utf8')).not.toContain('fn:');
    // fn's 6 files (3 per environment) are more than the default --max-prune (5 of 10 managed files)
    expect((await cli(dir, 'render')).code).toBe(1);
    expect(existsSync(join(dir, 'rendered/dev/fn/function.json'))).toBe(true);
    expect((await cli(dir, 'render', '--allow-prune')).code).toBe(0);
    expect(existsSync(join(dir, 'rendered/dev/fn'))).toBe(false);
    expect(existsSync(join(dir, 'rendered/prod/fn'))).toBe(false);
  });

  it('render without a lock entry is LOCK_STALE and writes nothing', async () => {
    const dir = makeProject(baseProject());
    const before = snapshot(dir);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.reason, d.file, d.line])).toEqual([
      ['LOCK_STALE', 'no-entry', 'services/fn.yaml', 6],
      ['LOCK_STALE', 'no-entry', 'services/fn.yaml', 6],
      ['LOCK_STALE', 'no-entry', 'services/web.yaml', 6],
      ['LOCK_STALE', 'no-entry', 'services/web.yaml', 6],
    ]);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a changed criterion makes the entry stale until resolve runs again', async () => {
    const files = baseProject();
    const dir = makeProject(files);
    await cli(dir, 'resolve');
    writeFileSync(join(dir, 'services/web.yaml'), files['services/web.yaml']!.replace('"^1.2"', '"~1.2.0"'));
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.json.diagnostics.filter((d) => d.code === 'LOCK_STALE').map((d) => d.reason)).toEqual(['criteria-changed', 'criteria-changed']);
    const r2 = await cli(dir, 'resolve', '--format', 'json');
    expect(r2.json.resolved).toContainEqual(expect.objectContaining({ service: 'web', environment: 'dev', tag: '1.2.0' }));
  });

  it('resolve --update picks up a newer version; without it the lock holds', async () => {
    const files = baseProject();
    const dir = makeProject(files);
    await cli(dir, 'resolve');
    writeFileSync(join(dir, 'catalog.yaml'), files['catalog.yaml']!.replace('"1.10.0"', '"1.11.0"').replace('"1.2.0"', '"1.12.0"'));
    const held = await cli(dir, 'resolve', '--format', 'json');
    expect(held.json.resolved).toContainEqual(expect.objectContaining({ service: 'web', tag: '1.10.0' }));
    const upd = await cli(dir, 'resolve', '--update', 'web', '--format', 'json');
    expect(upd.code).toBe(0);
    expect(upd.json.resolved).toContainEqual(expect.objectContaining({ service: 'web', environment: 'prod', tag: '1.12.0' }));
  });

  it('resolve --explain lists every candidate: the selected one kept, the others dropped', async () => {
    const dir = makeProject(baseProject());
    const r = await cli(dir, 'resolve', '--explain', '--env', 'dev', '--format', 'json');
    expect(r.code).toBe(0);
    const web = (r.json.explain as { service: string; result: string; candidates: { tag: string; kept: boolean }[] }[]).find((b) => b.service === 'web')!;
    expect(web.result).toBe('1.10.0');
    expect(web.candidates.map((c) => [c.tag, c.kept]).sort()).toEqual([
      ['1.10.0', true],
      ['1.2.0', false],
      ['2.0.0-rc.1', false],
    ]);
    const text = await cli(dir, 'resolve', '--explain', '--env', 'dev');
    expect(text.stdout.split('\n').filter((l) => /^ {2}[+-] /.test(l))).toHaveLength(3 + 1); // web's three, fn's one
  });

  it('runtime inputs: required, defaults and allowed values', async () => {
    const files = baseProject();
    files['services/web.yaml'] = files['services/web.yaml']!.replace('{ strategy: semver, range: "^1.2" }', '{ strategy: exact, tag: "<+input>.allowedValues(1.2.0,1.10.0)" }');
    const dir = makeProject(files);
    const missing = await cli(dir, 'resolve', '--format', 'json');
    expect(missing.code).toBe(1);
    expect(missing.json.diagnostics[0]).toMatchObject({ code: 'RUNTIME_INPUT_REQUIRED', file: 'services/web.yaml' });
    expect(existsSync(join(dir, 'gitopsc.lock'))).toBe(false);
    const bad = await cli(dir, 'resolve', '--input', 'web.tag=9.9.9', '--format', 'json');
    expect(bad.json.diagnostics.map((d) => d.code)).toContain('RUNTIME_INPUT_REQUIRED');
    const ok = await cli(dir, 'resolve', '--input', 'web.tag=1.2.0', '--format', 'json');
    expect(ok.code).toBe(0);
    expect(ok.json.resolved).toContainEqual(expect.objectContaining({ service: 'web', tag: '1.2.0', digest: `sha256:${'a'.repeat(64)}` }));
    expect((await cli(dir, 'render')).code).toBe(0);
  });

  it('an --input that no service reads is a usage error (exit 2), never silently ignored', async () => {
    const files = baseProject();
    files['services/web.yaml'] = files['services/web.yaml']!.replace('{ strategy: semver, range: "^1.2" }', '{ strategy: exact, tag: "<+input>.default(1.2.0)" }');
    const dir = makeProject(files);
    for (const input of ['nope.tag=1.0.0', 'fn.tag=1.0.0', 'range=^1', 'web.range=^1', 'unknown.tag=1.0.0']) {
      const r = await cli(dir, 'resolve', '--input', input, '--format', 'json');
      expect([r.code, r.json.diagnostics.map((d) => [d.code, d.file])], input).toEqual([2, [['USAGE', null]]]);
      expect(existsSync(join(dir, 'gitopsc.lock')), input).toBe(false);
    }
    for (const input of ['web.tag=1.10.0', 'tag=1.10.0']) {
      const r = await cli(dir, 'resolve', '--input', input, '--format', 'json');
      expect(r.code, input).toBe(0);
    }
    // an environment override's runtime input is read too
    files['services/fn.yaml'] = files['services/fn.yaml']! + '  environments:\n    dev:\n      artifact: { select: { strategy: exact, tag: "<+input>.default(1.0.0)" } }\n';
    const dir2 = makeProject(files);
    expect((await cli(dir2, 'resolve', '--input', 'fn.tag=1.0.0', '--format', 'json')).code).toBe(0);
  });

  it('--format json prints one object even for usage errors; unknown flag is exit 2', async () => {
    const dir = makeProject(baseProject());
    const r = await cli(dir, 'render', '--bogus', '--format', 'json');
    expect(r.code).toBe(2);
    expect(r.json.ok).toBe(false);
    expect(r.json.diagnostics[0]!.code).toBe('USAGE');
    expect((await cli(dir, 'frobnicate')).code).toBe(2);
    const none = await cli(dir, '--format', 'json');
    expect([none.code, none.json.diagnostics.map((d) => d.code)]).toEqual([2, ['USAGE']]);
  });

  it('an empty config file means every default (not a missing config)', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': '# defaults\n' });
    const r = await cli(dir, 'validate', '--format', 'json');
    expect([r.code, r.json.diagnostics]).toEqual([0, []]);
  });

  it('a missing config is exit 2 and says how to create one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-empty-'));
    const r = await cli(dir, 'validate');
    expect(r.code).toBe(2);
    // text diagnostics go to stderr; stdout is for results only
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('gitopsc init');
    const j = await cli(dir, 'validate', '--format', 'json');
    expect([j.code, j.json.diagnostics.map((d) => d.code)]).toEqual([2, ['CONFIG_NOT_FOUND']]);
  });

  it('--format github prints workflow annotations at file and line', async () => {
    const files = baseProject();
    files['services/web.yaml'] = files['services/web.yaml']!.replace('replicas: 2', 'replicsa: 2');
    const dir = makeProject(files);
    const r = await cli(dir, 'validate', '--format', 'github');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error file=services\/web.yaml,line=11,col=5,title=SCHEMA::/m);
  });

  it('schema prints each JSON Schema with an $id', async () => {
    const dir = makeProject(baseProject());
    for (const name of ['service', 'config', 'catalog']) {
      const r = await cli(dir, 'schema', name);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as { $id: string }).$id).toMatch(/^https:\/\//);
    }
  });
});
