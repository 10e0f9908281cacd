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
import { compileResult, copyOf, git, head, isolateGit, makeRemote, writeFiles } from './helpers/git.js';
import { publish, type PublishedFile } from '../src/git/publish.js';
import { contentHash } from '../src/core/hash.js';
import { baseProject, cli, makeProject } from './helpers/project.js';

beforeAll(() => isolateGit());

/** A resolved project (made and resolved once for this file, then copied). */
async function resolvedProject(): Promise<string> {
  const { root } = await copyOf('publish.early: a resolved project', async (root) => {
    writeFiles(join(root, 'project'), baseProject());
    expect((await cli(join(root, 'project'), 'resolve')).code).toBe(0);
  });
  return join(root, 'project');
}

const clones = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`gitopsc-publish-${process.pid}-`));

describe('publish --push opens the deployment repository while the project compiles', () => {
  it('pushes when the project compiles, changes nothing when it does not, and leaves no clone either way', async () => {
    const dir = await resolvedProject();
    const { bare, head: before } = makeRemote({ 'README.md': '# deploy\n' });
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
    const dir = await resolvedProject();
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
    const dir = await resolvedProject();
    const first = makeRemote({ 'README.md': '# deploy\n' }).bare;
    expect((await cli(dir, 'publish', '--repo', first, '--push', '--format', 'json')).json.diagnostics).toEqual([]);
    // a second deployment repository lacks every file: every unit renders, from its record's
    // service loaded again (the first publish kept their bytes in rendered.pack: dropped here)
    rmSync(join(dir, '.gitopsc/cache/rendered.pack'));
    const { bare, head: before } = makeRemote({ 'README.md': '# deploy\n' });
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
    const dir = await resolvedProject();
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
    const dir = await resolvedProject();
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

describe('publish over a deployment tree it built (a quick plan, without the listing)', () => {
  /** A project like `dir` (its services and lock), published with no cache to a fresh repository: the tree to expect. */
  const freshTree = async (dir: string) => {
    const fresh = makeProject(baseProject());
    for (const f of ['gitopsc.lock', 'services/web.yaml', 'services/fn.yaml']) {
      if (existsSync(join(dir, f))) writeFileSync(join(fresh, f), readFileSync(join(dir, f)));
      else rmSync(join(fresh, f));
    }
    const other = makeRemote({ 'README.md': '# deploy\n' }).bare;
    const p = await preparePublish({ root: fresh, configFile: 'gitopsc.config.yaml', env: process.env });
    expect(p.diagnostics).toEqual([]);
    expect((await p.run!({ repo: other, push: true, cwd: fresh, env: process.env })).diagnostics).toEqual([]);
    return git(other, 'rev-parse', 'main^{tree}');
  };
  const publishNow = async (dir: string, bare: string, allowPrune = false) => {
    const p = await preparePublish({ root: dir, configFile: 'gitopsc.config.yaml', env: process.env });
    expect(p.diagnostics).toEqual([]);
    const r = await p.run!({ repo: bare, push: true, cwd: dir, env: process.env, allowPrune });
    expect(r.diagnostics).toEqual([]);
    return r.files.map((f) => `${f.status} ${f.path}`);
  };

  it('each publish after a change gives the tree a publish without caches gives: in place, a file less, in place again, a service removed', async () => {
    const dir = await resolvedProject();
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    await publishNow(dir, bare);
    expect(readFileSync(join(dir, '.gitopsc/cache/deployed.json'), 'utf8')).toContain(`"tree:`);
    const web = join(dir, 'services/web.yaml');
    const edit = (from: string, to: string) => writeFileSync(web, readFileSync(web, 'utf8').replace(from, to));
    const steps: [string, () => void, string[]][] = [
      ['replicas (in place)', () => edit('replicas: 2', 'replicas: 5'), ['changed dev/web/deployment.yaml', 'changed prod/web/deployment.yaml']],
      ['the service block removed (a file less)', () => edit('    service: { port: 80, targetPort: http }\n', ''), ['removed dev/web/service.yaml', 'removed prod/web/service.yaml']],
      ['replicas after that', () => edit('replicas: 5', 'replicas: 7'), ['changed dev/web/deployment.yaml', 'changed prod/web/deployment.yaml']],
      ['a service removed', () => rmSync(join(dir, 'services/fn.yaml')), git(bare, 'ls-tree', '-r', '--name-only', 'main').split('\n').filter((p) => p.includes('/fn/')).map((p) => `removed ${p}`)],
    ];
    for (const [name, change, files] of steps) {
      change();
      expect([name, await publishNow(dir, bare, name === 'a service removed')]).toEqual([name, files]);
      expect([name, git(bare, 'rev-parse', 'main^{tree}')]).toEqual([name, await freshTree(dir)]);
    }
  });
});

describe('publish: a tree the caller settled is planned by quick', () => {
  const source = { url: 'https://example.com/acme/gitops-source.git', commit: 'a'.repeat(40) };
  const opts = (repo: string) => ({ cwd: process.cwd(), env: process.env, repo, push: true });
  const tree = (bare: string) => git(bare, 'rev-parse', 'main^{tree}').trim();

  it('writes only the files quick gives, reads no listing (desired is never asked), and builds the tree the long way builds', async () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const other = makeRemote({ 'README.md': '# deploy\n' }).bare;
    const v1 = compileResult({ web: { dev: '1.0.0', prod: '1.0.0' }, api: { dev: '2.0.0' } });
    const v2 = compileResult({ web: { dev: '1.1.0', prod: '1.0.0' }, api: { dev: '2.0.0' } });
    const settled: [string, string][] = [];
    const first = await publish({ result: v1, environments: v1.environments, source, settled: (t, sc) => void settled.push([t, sc]) }, opts(bare));
    expect(first.pushed).toBe(true);
    // the first publish (the long way) tells which tree it built
    expect(settled.map(([t]) => t)).toEqual([tree(bare)]);
    const changed: PublishedFile[] = v2.files.filter((f) => f.path === 'dev/web/deployment.yaml').map((f) => ({ path: f.path, hash: contentHash(f.content), content: f.content, service: f.service, environment: f.environment }));
    const quick = (t: string, sc: string) => Promise.resolve(t === settled[0]![0] && sc === settled[0]![1] ? changed : undefined);
    const second = await publish(
      { result: v2, environments: v2.environments, source, quick, settled: (t, sc) => void settled.push([t, sc]), desired: () => Promise.reject(new Error('the tree was listed')) },
      opts(bare),
    );
    expect(second.diagnostics).toEqual([]);
    expect(second.files.map((f) => `${f.status} ${f.path}`)).toEqual(['changed dev/web/deployment.yaml']);
    expect(settled.map(([t]) => t)).toEqual([settled[0]![0], tree(bare)]);
    // the long way, from the same start
    expect((await publish({ result: v1, environments: v1.environments, source }, opts(other))).pushed).toBe(true);
    const long = await publish({ result: v2, environments: v2.environments, source }, opts(other));
    expect(long.files).toEqual(second.files);
    expect(long.message).toBe(second.message);
    expect(tree(bare)).toBe(tree(other));
  });

  it('files quick gives out of path order (unit order) name the branch the long way names: --branch-template {hash} hashes the files by path', async () => {
    const { bare } = makeRemote({ 'README.md': '# deploy\n' });
    const other = makeRemote({ 'README.md': '# deploy\n' }).bare;
    const v1 = compileResult({ web: { dev: '1.0.0', prod: '1.0.0' } });
    const v2 = compileResult({ web: { dev: '1.1.0', prod: '1.1.0' } });
    const settled: [string, string][] = [];
    expect((await publish({ result: v1, environments: v1.environments, source, settled: (t, sc) => void settled.push([t, sc]) }, opts(bare))).pushed).toBe(true);
    // prod before dev: not the order of their paths
    const changed: PublishedFile[] = v2.files
      .filter((f) => f.path.endsWith('/web/deployment.yaml'))
      .map((f) => ({ path: f.path, hash: contentHash(f.content), content: f.content, service: f.service, environment: f.environment }))
      .sort((a, b) => (a.path < b.path ? 1 : -1));
    expect(changed.map((f) => f.path)).toEqual(['prod/web/deployment.yaml', 'dev/web/deployment.yaml']);
    const quick = (t: string, sc: string) => Promise.resolve(t === settled[0]![0] && sc === settled[0]![1] ? changed : undefined);
    const pr = { ...opts(bare), push: false, dryRun: true, branchTemplate: 'gitopsc/{hash}' };
    const fast = await publish({ result: v2, environments: v2.environments, source, quick, desired: () => Promise.reject(new Error('the tree was listed')) }, pr);
    expect(fast.diagnostics).toEqual([]);
    expect((await publish({ result: v1, environments: v1.environments, source }, opts(other))).pushed).toBe(true);
    const long = await publish({ result: v2, environments: v2.environments, source }, { ...pr, repo: other });
    expect(long.files).toEqual(fast.files);
    expect(fast.prBranch).toMatch(/^gitopsc\/[0-9a-f]+$/);
    expect(fast.prBranch).toBe(long.prBranch);
  });

  it('a tree quick does not know is planned the long way (someone else committed a file)', async () => {
    const { bare, work } = makeRemote({ 'README.md': '# deploy\n' });
    const v1 = compileResult({ web: { dev: '1.0.0' } });
    const settled: string[] = [];
    await publish({ result: v1, environments: v1.environments, source, settled: (t) => void settled.push(t) }, opts(bare));
    git(work, 'pull', '-q', 'origin', 'main');
    writeFileSync(join(work, 'dev', 'notes.md'), 'hand-written\n');
    git(work, 'add', '-A');
    git(work, '-c', 'user.name=t', '-c', 'user.email=t@x', 'commit', '-qm', 'notes');
    git(work, 'push', '-q', 'origin', 'main');
    const v2 = compileResult({ web: { dev: '1.1.0' } });
    const asked: string[] = [];
    const r = await publish({ result: v2, environments: v2.environments, source, quick: (t) => (asked.push(t), Promise.resolve(settled.includes(t) ? [] : undefined)), settled: (t) => void settled.push(t) }, opts(bare));
    expect(r.diagnostics).toEqual([]);
    expect(asked).toEqual([git(bare, 'rev-parse', 'main~1^{tree}').trim()]);
    expect(r.files.map((f) => `${f.status} ${f.path}`)).toEqual(['changed dev/web/deployment.yaml']);
    expect(git(bare, 'ls-tree', '-r', '--name-only', 'main')).toContain('dev/notes.md');
    // a foreign file in an environment's directory: the new tree is not one quick may rely on
    expect(settled).toHaveLength(1);
  });
});
