/**
 * Streams and exit codes as Unix tools do (issue 15, part 3) and `render --stdout` (part 6):
 * results on stdout, diagnostics on stderr in text mode; one document on stdout for json/github;
 * `help` exits 0; every command's help lists the global flags and examples.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../src/cli/help.js';
import { main } from '../src/cli/main.js';
import { nodeHost } from '../src/host/index.js';
import { baseProject, cli, makeProject, snapshot } from './helpers/project.js';

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, nodeHost({ interactive: false, env: {}, log: () => {} }));
  return { code, stdout, stderr };
}

/** The command names commander knows, read from the program's help (so new commands are covered). */
async function commandNames(): Promise<string[]> {
  const help = (await run('help')).stdout;
  const block = help.split('Commands:\n')[1]!.split('\n\n')[0]!;
  return block
    .split('\n')
    .map((l) => /^ {2}(\S+)/.exec(l)?.[1])
    .filter((n): n is string => Boolean(n) && n !== 'help');
}

describe('streams', () => {
  it('text: results on stdout, diagnostics and the summary on stderr', async () => {
    const files = baseProject();
    files['services/web.yaml'] = files['services/web.yaml']!.replace('replicas: 2', 'replicsa: 2');
    const dir = makeProject(files);
    const bad = await cli(dir, 'validate');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^services\/web\.yaml:\d+:\d+ error SCHEMA /m);
    expect(bad.stderr).toMatch(/^1 error, 0 warnings$/m);

    const good = await cli(makeProject(baseProject()), 'validate');
    expect([good.code, good.stderr]).toEqual([0, '']);
    expect(good.stdout).toMatch(/are valid\n$/);
  });

  it('json and github: one document on stdout, nothing on stderr, usage errors included', async () => {
    const files = baseProject();
    files['services/web.yaml'] = files['services/web.yaml']!.replace('replicas: 2', 'replicsa: 2');
    const dir = makeProject(files);
    for (const args of [['validate'], ['render', '--bogus'], ['nope']]) {
      const j = await cli(dir, ...args, '--format', 'json');
      expect(j.stderr).toBe('');
      expect(j.json.ok).toBe(false);
      const g = await cli(dir, ...args, '--format', 'github');
      expect(g.stderr).toBe('');
      expect(g.stdout).toMatch(/^::error /);
    }
  });

  it('a usage error is exit 2 with the diagnostic on stderr', async () => {
    const r = await run('render', '--bogus');
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toContain('error USAGE');
    const none = await run();
    expect([none.code, none.stdout]).toEqual([2, '']);
    expect(none.stderr).toContain('Usage: gitopsc');
  });
});

describe('help', () => {
  it.each([['help'], ['help', 'render'], ['--help'], ['render', '--help'], ['--version']])('%j exits 0 on stdout', async (...args) => {
    const r = await run(...args);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.length).toBeGreaterThan(0);
  });

  it('every command lists the global flags and two or three examples', async () => {
    const names = await commandNames();
    expect(names).toEqual(expect.arrayContaining(['validate', 'resolve', 'render', 'diff', 'publish', 'init', 'schema', 'completion']));
    expect(names).not.toContain('__complete');
    for (const name of names) {
      const r = await run('help', name);
      expect(r.code, name).toBe(0);
      const globals = r.stdout.split('Global Options:\n')[1] ?? '';
      for (const flag of ['--cwd', '--config', '--format', '--quiet', '--no-color', '--version']) expect(globals, `${name} ${flag}`).toContain(flag);
      const examples = (r.stdout.split('Examples:\n')[1] ?? '').split('\n').filter((l) => l.startsWith('  $ gitopsc '));
      expect(examples.length, name).toBeGreaterThanOrEqual(2);
      expect(examples.length, name).toBeLessThanOrEqual(3);
      expect(EXAMPLES[name]).toBeDefined();
    }
  });

  it('help of the program shows examples too', async () => {
    expect((await run('help')).stdout).toContain('Examples:\n  $ gitopsc init');
  });
});

describe('render --stdout', () => {
  let dir: string;
  beforeAll(async () => {
    dir = makeProject(baseProject());
    expect((await cli(dir, 'resolve')).code).toBe(0);
  });

  it('prints every YAML document of the selected environments in path order and writes nothing', async () => {
    const before = snapshot(dir);
    const r = await cli(dir, 'render', '--stdout', '--env', 'prod');
    expect(r.code).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    const sources = [...r.stdout.matchAll(/^---\n# Source: (\S+)\n/gm)].map((m) => m[1]);
    expect(sources).toEqual(['prod/web/deployment.yaml', 'prod/web/service.yaml']);
    // the same bytes `render` writes, after the separator and the source comment
    await cli(dir, 'render');
    const files = snapshot(join(dir, 'rendered'));
    expect(r.stdout).toBe(sources.map((s) => `---\n# Source: ${s}\n${files.get(s!)!}`).join(''));
    // the Lambda function is left out, with one info diagnostic on stderr
    const j = await cli(dir, 'render', '--stdout', '--env', 'prod', '--quiet');
    expect(j.stderr).toMatch(/^info NOT_YAML .*prod\/fn\/function\.json/m);
  });

  it('is byte-identical on every run and warns when environments render the same object', async () => {
    const a = await cli(dir, 'render', '--stdout');
    const b = await cli(dir, 'render', '--stdout');
    expect(a.stdout).toBe(b.stdout);
    expect(a.stderr).toMatch(/^warning USAGE render --stdout: 2 objects appear in more than one environment, e\.g\. Deployment \S+ \(dev, prod\)/m);
  });

  it.each([['--check'], ['--out', 'x'], ['--format', 'json']])('refuses %s', async (...extra) => {
    const r = await cli(dir, 'render', '--stdout', ...extra, ...(extra.includes('json') ? [] : ['--format', 'json']));
    expect(r.code).toBe(2);
    expect(r.json.diagnostics.map((d) => d.code)).toEqual(['USAGE']);
  });

  it('a stale lock is an error on stderr and an empty stdout', async () => {
    const d = makeProject(baseProject());
    const r = await cli(d, 'render', '--stdout');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('LOCK_STALE');
  });

  it('pipes into kubectl kustomize (a real consumer of a multi-document stream)', async () => {
    const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    if (kubectl.status !== 0) {
      console.log('skipped: kubectl is not installed');
      return;
    }
    const r = await cli(dir, 'render', '--stdout', '--env', 'dev');
    const k = mkdtempSync(join(tmpdir(), 'gitopsc-kustomize-'));
    mkdirSync(k, { recursive: true });
    writeFileSync(join(k, 'all.yaml'), r.stdout);
    writeFileSync(join(k, 'kustomization.yaml'), 'resources: [all.yaml]\n');
    const out = execFileSync('kubectl', ['kustomize', k], { encoding: 'utf8' });
    expect([...out.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]).sort()).toEqual(['Deployment', 'Service']);
  });
});

describe('colour in the formatter', () => {
  it('colours diff lines and diagnostics only when asked, never json', async () => {
    const { formatResult } = await import('../src/cli/output/format.js');
    const { palette } = await import('../src/cli/output/color.js');
    const result = { diagnostics: [{ code: 'DRIFT' as const, severity: 'error' as const, message: 'x', file: 'a.yaml', line: 1, column: 1 }], stdout: '--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n', stdoutKind: 'diff' as const };
    const on = formatResult('text', result, { quiet: false, out: palette(true), err: palette(true) });
    expect(on.stdout).toContain('\u001b[31m-old\u001b[39m');
    expect(on.stdout).toContain('\u001b[32m+new\u001b[39m');
    expect(on.stderr).toContain('\u001b[31m');
    const off = formatResult('text', result, { quiet: false, out: palette(false), err: palette(false) });
    expect(off.stdout + off.stderr).not.toContain('\u001b[');
    expect(formatResult('json', result, { quiet: false, out: palette(true), err: palette(true) }).stdout).not.toContain('\u001b[');
  });
});
