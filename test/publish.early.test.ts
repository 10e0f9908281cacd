/**
 * `publish --push` opens (clones) the deployment repository while the project compiles: the
 * clone is only read, and it is removed however the run ends (a project that does not compile
 * pushes nothing and leaves no temporary clone).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { git, head, isolateGit, makeRemote } from './helpers/git.js';
import { baseProject, cli, makeProject } from './helpers/project.js';

beforeAll(() => isolateGit());

const clones = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`gitopsc-publish-${process.pid}-`));

describe('publish --push opens the deployment repository while the project compiles', () => {
  it('pushes when the project compiles, changes nothing when it does not, and leaves no clone either way', async () => {
    const dir = makeProject(baseProject());
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const before = head(bare, 'main');
    const web = join(dir, 'services/web.yaml');
    const good = readFileSync(web, 'utf8');
    writeFileSync(web, 'apiVersion: gitopsc/v1\nkind: Service\nmetadata: { name: web }\nspec: {}\n');
    const bad = await cli(dir, 'publish', '--repo', bare, '--push', '--format', 'json');
    expect(bad.code).toBe(1);
    expect(bad.json.diagnostics.map((d) => d.code)).toContain('SCHEMA');
    expect(head(bare, 'main')).toBe(before);
    expect(clones()).toEqual([]);

    writeFileSync(web, good);
    const r = await cli(dir, 'publish', '--repo', bare, '--push', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect((r.json.publish as { pushed: boolean }).pushed).toBe(true);
    expect(git(bare, 'ls-tree', '-r', '--name-only', 'main')).toContain('dev/web/deployment.yaml');
    expect(clones()).toEqual([]);
  });
});
