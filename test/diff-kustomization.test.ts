/**
 * QA of issue 12 on the merged main: with `output.kustomization: true`, `gitopsc diff` (the PR
 * comment) left out the kustomization.yaml files that render and publish write.
 */
import { describe, expect, it } from 'vitest';
import { git, isolateGit } from './helpers/git.js';
import { baseProject, cli, makeProject, writeFiles } from './helpers/project.js';

describe('diff with output.kustomization', () => {
  it('lists the kustomization.yaml files a new service changes', async () => {
    isolateGit();
    const files = baseProject();
    files['gitopsc.config.yaml'] += 'output:\n  kustomization: true\n';
    const dir = makeProject(files);
    expect((await cli(dir, 'resolve')).code).toBe(0);
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@x', 'commit', '-qm', 'base');
    writeFiles(dir, { 'services/api.yaml': files['services/web.yaml']!.replace(/name: web\b/g, 'name: api') });
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'diff', '--base', 'HEAD', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    const changed = (r.json.diff as { files: { path: string; status: string }[] }).files.filter((f) => f.path.endsWith('kustomization.yaml'));
    expect(changed.map((f) => [f.path, f.status]).sort()).toEqual([
      ['rendered/dev/api/kustomization.yaml', 'added'],
      ['rendered/dev/kustomization.yaml', 'changed'],
      ['rendered/prod/api/kustomization.yaml', 'added'],
      ['rendered/prod/kustomization.yaml', 'changed'],
    ]);
    const md = await cli(dir, 'diff', '--base', 'HEAD', '--format', 'markdown');
    expect(md.stdout).not.toContain('<b></b>');
  });
});
