/**
 * `publish --push` opens (clones) the deployment repository while the project compiles: the
 * clone is only read, and it is removed however the run ends (a project that does not compile
 * pushes nothing and leaves no temporary clone).
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffProject } from '../src/build/diff.js';
import { preparePublish } from '../src/build/publish.js';
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

describe('publish with per-service records', () => {
  it('after a one-service change loads only that service, and publishes what a publish without caches does', async () => {
    const dir = makeProject(baseProject());
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    expect((await cli(dir, 'publish', '--repo', bare, '--push', '--format', 'json')).json.diagnostics).toEqual([]);
    const web = join(dir, 'services/web.yaml');
    writeFileSync(web, readFileSync(web, 'utf8').replace('replicas: 2', 'replicas: 5'));
    const prepared = await preparePublish({ root: dir, configFile: 'gitopsc.config.yaml', env: process.env });
    expect(prepared.diagnostics).toEqual([]);
    expect(prepared.state?.project?.services.map((s) => s.name)).toEqual(['web']); // fn came from its record
    const r = await prepared.run!({ repo: bare, push: true, cwd: dir, env: process.env });
    expect(r.diagnostics).toEqual([]);
    expect(r.files.map((f) => `${f.status} ${f.path}`)).toEqual(['changed dev/web/deployment.yaml', 'changed prod/web/deployment.yaml']);
    // the same tree as a publish with no cache at all
    const fresh = makeProject(baseProject());
    cpSync(join(dir, 'gitopsc.lock'), join(fresh, 'gitopsc.lock'));
    writeFileSync(join(fresh, 'services/web.yaml'), readFileSync(web, 'utf8'));
    const other = makeRemote({ 'README.md': '# deploy\n' }).bare;
    expect((await cli(fresh, 'publish', '--repo', other, '--push', '--format', 'json')).json.diagnostics).toEqual([]);
    expect(git(bare, 'rev-parse', 'main^{tree}')).toBe(git(other, 'rev-parse', 'main^{tree}'));
  });

  it('a service file that changes between compiling and rendering is FILESYSTEM changed-during-run, and nothing is pushed', async () => {
    const dir = makeProject(baseProject());
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const first = makeRemote({ 'README.md': '# deploy\n' }).bare;
    expect((await cli(dir, 'publish', '--repo', first, '--push', '--format', 'json')).json.diagnostics).toEqual([]);
    // a second deployment repository lacks every file: every unit renders, from its record's
    // service loaded again (the first publish kept their bytes in rendered.pack: dropped here)
    rmSync(join(dir, '.gitopsc/cache/rendered.pack'));
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const before = head(bare, 'main');
    const prepared = await preparePublish({ root: dir, configFile: 'gitopsc.config.yaml', env: process.env });
    expect(prepared.diagnostics).toEqual([]);
    const web = join(dir, 'services/web.yaml');
    writeFileSync(web, readFileSync(web, 'utf8').replace('replicas: 2', 'replicas: 7'));
    const r = await prepared.run!({ repo: bare, push: true, cwd: dir, env: process.env });
    expect(r.diagnostics.map((d) => [d.code, d.reason])).toEqual([['FILESYSTEM', 'changed-during-run']]);
    expect(r.pushed).toBe(false);
    expect(head(bare, 'main')).toBe(before);
  });

  it('a unit the memo knows whose files the deployment tree lacks takes its bytes from rendered.pack: its service is neither loaded again nor rendered', async () => {
    const dir = makeProject(baseProject());
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const first = makeRemote({ 'README.md': '# deploy\n' }).bare;
    expect((await cli(dir, 'publish', '--repo', first, '--push', '--format', 'json')).json.diagnostics).toEqual([]);
    expect(existsSync(join(dir, '.gitopsc/cache/rendered.pack'))).toBe(true);
    // a second deployment repository lacks every file; the service file changes after the
    // compile: taken from the pack, nothing reads it again, and the compile's render is published
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const prepared = await preparePublish({ root: dir, configFile: 'gitopsc.config.yaml', env: process.env });
    expect(prepared.diagnostics).toEqual([]);
    const web = join(dir, 'services/web.yaml');
    writeFileSync(web, readFileSync(web, 'utf8').replace('replicas: 2', 'replicas: 7'));
    const r = await prepared.run!({ repo: bare, push: true, cwd: dir, env: process.env });
    expect(r.diagnostics).toEqual([]);
    expect(r.pushed).toBe(true);
    expect(git(bare, 'rev-parse', 'main^{tree}')).toBe(git(first, 'rev-parse', 'main^{tree}'));
  });

  it('a publish after a diff of the same change takes the changed units\' bytes from what diff kept: its service is neither loaded again nor rendered', async () => {
    const dir = makeProject(baseProject());
    expect((await cli(dir, 'resolve')).code).toBe(0);
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@x', 'commit', '-qm', 'base');
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    expect((await cli(dir, 'publish', '--repo', bare, '--push', '--format', 'json')).json.diagnostics).toEqual([]);
    const web = join(dir, 'services/web.yaml');
    const changed = readFileSync(web, 'utf8').replace('replicas: 2', 'replicas: 5');
    writeFileSync(web, changed);
    const d = await diffProject({ root: dir, configFile: 'gitopsc.config.yaml', base: 'HEAD', env: process.env });
    expect(d.diagnostics).toEqual([]);
    expect(d.diff?.files.map((f) => f.path)).toEqual(['dev/web/deployment.yaml', 'prod/web/deployment.yaml']);
    const prepared = await preparePublish({ root: dir, configFile: 'gitopsc.config.yaml', env: process.env });
    expect(prepared.diagnostics.filter((x) => x.code !== 'GIT')).toEqual([]); // (a dirty-source warning)
    // changed again after the compile: nothing reads it, the compile's change is published
    writeFileSync(web, changed.replace('replicas: 5', 'replicas: 9'));
    const r = await prepared.run!({ repo: bare, push: true, cwd: dir, env: process.env });
    expect(r.diagnostics).toEqual([]);
    expect(r.files.map((f) => `${f.status} ${f.path}`)).toEqual(['changed dev/web/deployment.yaml', 'changed prod/web/deployment.yaml']);
    expect(git(bare, 'show', 'main:dev/web/deployment.yaml')).toContain('replicas: 5');
  });
});
