/** `gitopsc publish` through the CLI: the author comes from --author, $GITOPSC_AUTHOR or the config. */
import { describe, expect, it } from 'vitest';
import { git, isolateGit, makeRepo } from './helpers/git.js';
import { baseProject, cli, cliWithEnv, makeProject } from './helpers/project.js';

describe('publish author', () => {
  it('takes publish.author from the config when no flag or environment variable names one', async () => {
    isolateGit();
    const files = baseProject();
    files['gitopsc.config.yaml'] += 'publish:\n  author: Platform Bot <platform-bot@example.com>\n';
    const src = makeProject(files);
    expect((await cli(src, 'resolve')).code).toBe(0);
    const deploy = makeRepo({ 'README.md': 'deploy\n' });
    const env = { ...process.env };
    delete env.GITOPSC_AUTHOR;
    const r = await cliWithEnv(env, src, 'publish', '--repo', deploy, '--format', 'json');
    expect(r.json.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(git(deploy, 'log', '-1', '--format=%an <%ae>|%cn <%ce>').trim()).toBe('Platform Bot <platform-bot@example.com>|Platform Bot <platform-bot@example.com>');
    files['services/web.yaml'] = files['services/web.yaml']!.replace('replicas: 2', 'replicas: 3');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${src}/services/web.yaml`, files['services/web.yaml']!);
    expect((await cliWithEnv(env, src, 'publish', '--repo', deploy, '--author', 'Someone <someone@example.com>')).code).toBe(0);
    expect(git(deploy, 'log', '-1', '--format=%an <%ae>').trim()).toBe('Someone <someone@example.com>');
  });
});
