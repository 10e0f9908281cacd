/**
 * Issue 12, part 2: `output.kustomization: true` and `output.lambdaDir`, checked with the real
 * consumer (`kubectl kustomize` on each environment directory).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, isolateGit, makeRepo } from './helpers/git.js';
import { baseProject, cli, makeProject, snapshot, writeFiles } from './helpers/project.js';

function project(extra: string): string {
  const files = baseProject();
  files['gitopsc.config.yaml'] += extra;
  return makeProject(files);
}

const kustomize = (dir: string) => execFileSync('/usr/bin/kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const kinds = (yaml: string) => [...yaml.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);

describe('output.kustomization and output.lambdaDir', () => {
  it('writes a kustomization per environment and service that kubectl kustomize builds; Lambda goes to lambdaDir', async () => {
    const dir = project('output:\n  kustomization: true\n  lambdaDir: lambda\n');
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    const out = snapshot(join(dir, 'rendered'));
    expect([...out.keys()].sort()).toEqual([
      '.gitopsc-owned',
      'dev/kustomization.yaml',
      'dev/web/deployment.yaml',
      'dev/web/kustomization.yaml',
      'dev/web/service.yaml',
      'lambda/dev/fn/function.json',
      'lambda/dev/fn/update-function-code.json',
      'lambda/dev/fn/update-function-configuration.json',
      'lambda/prod/fn/function.json',
      'lambda/prod/fn/update-function-code.json',
      'lambda/prod/fn/update-function-configuration.json',
      'prod/kustomization.yaml',
      'prod/web/deployment.yaml',
      'prod/web/kustomization.yaml',
      'prod/web/service.yaml',
    ]);
    expect(out.get('dev/kustomization.yaml')).toBe(
      '# written by gitopsc (output.kustomization: true); do not edit\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - web\n',
    );
    for (const env of ['dev', 'prod']) {
      const built = kustomize(join(dir, 'rendered', env));
      expect(kinds(built).sort()).toEqual(['Deployment', 'Service']);
      expect(built).toContain(`app.kubernetes.io/instance: web-${env}`);
    }
    expect((await cli(dir, 'render', '--check')).code).toBe(0);
  });

  it('without lambdaDir, Lambda JSON sits in its service directory and is never listed', async () => {
    const dir = project('output:\n  kustomization: true\n');
    expect((await cli(dir, 'resolve')).code).toBe(0);
    expect((await cli(dir, 'render')).code).toBe(0);
    expect(existsSync(join(dir, 'rendered/dev/fn/function.json'))).toBe(true);
    expect(existsSync(join(dir, 'rendered/dev/fn/kustomization.yaml'))).toBe(false);
    expect(readFileSync(join(dir, 'rendered/dev/kustomization.yaml'), 'utf8')).not.toContain('fn');
    expect(kinds(kustomize(join(dir, 'rendered/dev'))).sort()).toEqual(['Deployment', 'Service']);
  });

  it('a hand-written environment kustomization is not overwritten without --adopt', async () => {
    const dir = project('output:\n  kustomization: true\n');
    writeFiles(dir, { 'rendered/prod/kustomization.yaml': 'resources: [web]\n' });
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).toBe(4);
    expect(r.json.diagnostics.map((d) => [d.code, d.file])).toEqual([['FILESYSTEM', 'rendered/prod/kustomization.yaml']]);
    expect(readFileSync(join(dir, 'rendered/prod/kustomization.yaml'), 'utf8')).toBe('resources: [web]\n');
    expect((await cli(dir, 'render', '--adopt')).code).toBe(0);
    expect(readFileSync(join(dir, 'rendered/prod/kustomization.yaml'), 'utf8')).toContain('kind: Kustomization');
  });

  it('publish writes the same layout into the deployment repository', async () => {
    isolateGit();
    const dir = project('output:\n  kustomization: true\n  lambdaDir: lambda\n');
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const repo = makeRepo({ 'README.md': '# deploy\n' });
    const r = await cli(dir, 'publish', '--repo', repo, '--path', 'rendered', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(git(repo, 'ls-tree', '-r', '--name-only', 'HEAD').trim().split('\n')).toEqual(
      expect.arrayContaining(['rendered/dev/kustomization.yaml', 'rendered/dev/web/kustomization.yaml', 'rendered/lambda/prod/fn/function.json']),
    );
    for (const env of ['dev', 'prod']) expect(kinds(kustomize(join(repo, 'rendered', env))).sort()).toEqual(['Deployment', 'Service']);
    // a second publish changes nothing
    const again = await cli(dir, 'publish', '--repo', repo, '--path', 'rendered', '--format', 'json');
    expect((again.json.publish as { committed: boolean }).committed).toBe(false);
  });

  it.each([
    ['dev', 'is the directory of environment'],
    ['../x', 'relative path inside'],
  ])('refuses lambdaDir %s at its line', async (value) => {
    const dir = project(`output:\n  lambdaDir: "${value}"\n`);
    const r = await cli(dir, 'validate', '--format', 'json');
    expect(r.json.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['SCHEMA', 'gitopsc.config.yaml', 11]]);
  });
});
