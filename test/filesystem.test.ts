/**
 * Issue 8, the file system and stdout parts: symbolic links, unreadable inputs and outputs,
 * writes that would leave the project, a missing templates directory, caches written only by
 * a run that succeeded, and the cache directory's own .gitignore.
 *
 * Tests run as root here, and root ignores permission bits: `chmod 000` does not make a file
 * unreadable for root. Real EACCES is produced by running the built CLI as an unprivileged user
 * (uid/gid 65534, with `setpriv`) on a project it owns; the cases that also fail for root use
 * EISDIR (a directory where a file should be), ENOTDIR (a file where a directory should be) and
 * ELOOP (a symbolic link to itself).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './helpers/cli.js';
import { spawnEnv } from './helpers/env.js';
import { fsSource } from '../src/source/fs.js';
import { UnreadableError } from '../src/source/errors.js';
import { baseProject, cli, makeProject, snapshot, writeFiles, type CliRun } from './helpers/project.js';

const codes = (r: CliRun) => r.json.diagnostics.map((d) => d.code);
const errorsAt = (r: CliRun) => r.json.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.file, d.line, d.column]);
const elsewhere = () => realpathSync(mkdtempSync(join(tmpdir(), 'gitopsc-elsewhere-')));

/** A resolved and rendered base project. */
async function rendered(files = baseProject()): Promise<string> {
  const dir = makeProject(files);
  expect((await cli(dir, 'resolve')).code).toBe(0);
  expect((await cli(dir, 'render')).code).toBe(0);
  return dir;
}

/** The base project with its service files moved to `elsewhere/` and reached through a link. */
function movedServices(dir: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(join(dir, 'services'))) renameSync(join(dir, 'services', f), join(to, f));
  rmSync(join(dir, 'services'), { recursive: true });
}

describe('item 1: symbolic links and unreadable service directories', () => {
  it.each([
    ['a services/ directory linked to a directory inside the project', (dir: string) => (movedServices(dir, join(dir, 'shared/services')), symlinkSync('shared/services', join(dir, 'services')))],
    ['service files linked one by one', (dir: string) => {
      movedServices(dir, join(dir, 'shared'));
      mkdirSync(join(dir, 'services'));
      for (const f of readdirSync(join(dir, 'shared'))) symlinkSync(`../shared/${f}`, join(dir, 'services', f));
    }],
  ])('%s: read, validated and rendered (no service is dropped, nothing pruned)', async (_what, link) => {
    const dir = await rendered();
    const before = snapshot(join(dir, 'rendered'));
    link(dir);
    const v = await cli(dir, 'validate', '--format', 'json');
    expect(v.json.services).toEqual([
      { name: 'fn', file: 'services/fn.yaml' },
      { name: 'web', file: 'services/web.yaml' },
    ]);
    const r = await cli(dir, 'render', '--format', 'json');
    expect([r.code, r.json.diagnostics]).toEqual([0, []]);
    expect(r.json.pruned).toEqual([]);
    expect(snapshot(join(dir, 'rendered'))).toEqual(before);
  });

  it.each([
    ['a services/ directory linked out of the project', 'services', 'symlink-outside', (dir: string) => {
      const out = elsewhere();
      movedServices(dir, out);
      symlinkSync(out, join(dir, 'services'));
    }],
    ['a service file linked out of the project', 'services/web.yaml', 'symlink-outside', (dir: string) => {
      const out = elsewhere();
      renameSync(join(dir, 'services/web.yaml'), join(out, 'web.yaml'));
      symlinkSync(join(out, 'web.yaml'), join(dir, 'services/web.yaml'));
    }],
    ['a dangling service file link', 'services/web.yaml', 'dangling-symlink', (dir: string) => {
      rmSync(join(dir, 'services/web.yaml'));
      symlinkSync('gone.yaml', join(dir, 'services/web.yaml'));
    }],
    ['a service file linked to itself (ELOOP, unreadable even for root)', 'services/web.yaml', 'unreadable', (dir: string) => {
      rmSync(join(dir, 'services/web.yaml'));
      symlinkSync('web.yaml', join(dir, 'services/web.yaml'));
    }],
    ['a services/ directory linked to itself (ELOOP)', 'services', 'unreadable', (dir: string) => {
      rmSync(join(dir, 'services'), { recursive: true });
      symlinkSync('services', join(dir, 'services'));
    }],
  ])('%s: FILESYSTEM (exit 4) at the path; render writes and prunes nothing', async (_what, file, reason, breakIt) => {
    const dir = await rendered();
    const before = snapshot(dir);
    breakIt(dir);
    const v = await cli(dir, 'validate', '--format', 'json');
    expect([v.code, errorsAt(v)]).toEqual([4, [['FILESYSTEM', file, null, null]]]);
    expect(v.json.diagnostics.map((d) => d.reason)).toEqual([reason]);
    const r = await cli(dir, 'render', '--format', 'json');
    expect([r.code, codes(r)]).toEqual([4, ['FILESYSTEM']]);
    const s = await cli(dir, 'resolve', '--format', 'json');
    expect([s.code, codes(s)]).toEqual([4, ['FILESYSTEM']]);
    expect(snapshot(join(dir, 'rendered'))).toEqual(new Map([...before].filter(([p]) => p.startsWith('rendered/')).map(([p, c]) => [p.slice('rendered/'.length), c])));
  });

  it.each([
    ['a services/ directory linked to itself (ELOOP)', 'services', (dir: string) => {
      rmSync(join(dir, 'services'), { recursive: true });
      symlinkSync('services', join(dir, 'services'));
    }],
    ['the only service file linked out of the project', 'services/web.yaml', (dir: string) => {
      const out = elsewhere();
      renameSync(join(dir, 'services/web.yaml'), join(out, 'web.yaml'));
      symlinkSync(join(out, 'web.yaml'), join(dir, 'services/web.yaml'));
    }],
  ])('%s with an explicit `services` pattern (as init writes it): FILESYSTEM only, no "matches no file"', async (_what, file, breakIt) => {
    const files = baseProject();
    files['gitopsc.config.yaml'] = `services: ["services/**/*.yaml"]\n${files['gitopsc.config.yaml']!}`;
    const dir = await rendered(files);
    breakIt(dir);
    const v = await cli(dir, 'validate', '--format', 'json');
    expect([v.code, errorsAt(v)]).toEqual([4, [['FILESYSTEM', file, null, null]]]);
  });

  it('a link out of the project where no service pattern reaches is not read and not reported', async () => {
    const dir = await rendered();
    symlinkSync(elsewhere(), join(dir, 'docs'));
    const v = await cli(dir, 'validate', '--format', 'json');
    expect([v.code, v.json.diagnostics]).toEqual([0, []]);
  });
});

describe('fsSource.read: a plain file in one open (no link followed), everything else the long way', () => {
  it.each<[string, (dir: string, out: string) => void, string | undefined | { reason: string }]>([
    ['a plain file', () => {}, 'a: 1\n'],
    ['an empty file', (dir) => writeFileSync(join(dir, 'x.yaml'), ''), ''],
    ['a link to a file inside', (dir) => (writeFileSync(join(dir, 'real.yaml'), 'b: 2\n'), rmSync(join(dir, 'x.yaml')), symlinkSync('real.yaml', join(dir, 'x.yaml'))), 'b: 2\n'],
    ['a link to a file outside', (dir, out) => (writeFileSync(join(out, 'o.yaml'), 'c: 3\n'), rmSync(join(dir, 'x.yaml')), symlinkSync(join(out, 'o.yaml'), join(dir, 'x.yaml'))), { reason: 'symlink-outside' }],
    ['a dangling link', (dir) => (rmSync(join(dir, 'x.yaml')), symlinkSync('gone.yaml', join(dir, 'x.yaml'))), { reason: 'dangling-symlink' }],
    ['a directory', (dir) => (rmSync(join(dir, 'x.yaml')), mkdirSync(join(dir, 'x.yaml'))), { reason: 'unreadable' }],
    ['absent', (dir) => rmSync(join(dir, 'x.yaml')), undefined],
  ])('%s', async (_what, arrange, want) => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'gitopsc-read-')));
    const out = elsewhere();
    writeFileSync(join(dir, 'x.yaml'), 'a: 1\n');
    arrange(dir, out);
    const got = await fsSource(dir).read('x.yaml').then((b) => b && Buffer.from(b).toString('utf8'), (e: unknown) => (e instanceof UnreadableError ? { reason: e.kind } : e));
    expect(got).toEqual(want);
    // a file inside a linked directory that leaves the project is refused too
    mkdirSync(join(out, 'd'));
    writeFileSync(join(out, 'd', 'y.yaml'), 'y\n');
    symlinkSync(join(out, 'd'), join(dir, 'd'));
    await expect(fsSource(dir).read('d/y.yaml')).rejects.toBeInstanceOf(UnreadableError);
  });
});

describe('item 4: no write or read through a symbolic link out of the project', () => {
  it('output.dir below a linked directory: FILESYSTEM, nothing written there', async () => {
    const files = baseProject();
    files['gitopsc.config.yaml'] += 'output: { dir: deploy/rendered }\n';
    const dir = makeProject(files);
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const out = elsewhere();
    symlinkSync(out, join(dir, 'deploy'));
    const r = await cli(dir, 'render', '--format', 'json');
    expect([r.code, codes(r)]).toEqual([4, ['FILESYSTEM']]);
    expect(readdirSync(out)).toEqual([]);
  });

  it('the lock below a linked directory: FILESYSTEM, nothing written there', async () => {
    const files = baseProject();
    files['gitopsc.config.yaml'] += 'lock: state/gitopsc.lock\n';
    const dir = makeProject(files);
    const out = elsewhere();
    symlinkSync(out, join(dir, 'state'));
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect([r.code, errorsAt(r)]).toEqual([4, [['FILESYSTEM', 'state/gitopsc.lock', null, null]]]);
    expect(readdirSync(out)).toEqual([]);
  });

  it.each(['validate', 'resolve', 'render'])('.gitopsc/ linked out of the project: %s refuses with FILESYSTEM and writes nothing there', async (command) => {
    const dir = makeProject(baseProject());
    if (command === 'render') expect((await cli(dir, 'resolve')).code).toBe(0);
    rmSync(join(dir, '.gitopsc'), { recursive: true, force: true });
    const out = elsewhere();
    symlinkSync(out, join(dir, '.gitopsc'));
    const r = await cli(dir, command, '--format', 'json');
    expect([r.code, codes(r)]).toEqual([4, ['FILESYSTEM']]);
    expect(readdirSync(out)).toEqual([]);
  });

  it('a static catalog directory linked out of the project is refused with FILESYSTEM', async () => {
    const files = baseProject();
    files['gitopsc.config.yaml'] = files['gitopsc.config.yaml']!.replace('path: catalog.yaml', 'path: registry/catalog.yaml');
    const dir = makeProject(files);
    const out = elsewhere();
    renameSync(join(dir, 'catalog.yaml'), join(out, 'catalog.yaml'));
    symlinkSync(out, join(dir, 'registry'));
    const r = await cli(dir, 'validate', '--format', 'json');
    expect([r.code, errorsAt(r)]).toEqual([4, [['FILESYSTEM', 'registry/catalog.yaml', null, null]]]);
  });
});

describe('the output directory is never git\'s or the cache\'s own directory', () => {
  it.each(['.git', '.git/hooks', './.git', '.gitopsc', '.gitopsc/out'])('output.dir %s: SCHEMA at its line, nothing written', async (out) => {
    const files = baseProject();
    const dir = makeProject(files);
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const config = `${files['gitopsc.config.yaml']!}output:\n  dir: ${JSON.stringify(out)}\n`;
    const line = config.split('\n').indexOf(`  dir: ${JSON.stringify(out)}`) + 1;
    writeFileSync(join(dir, 'gitopsc.config.yaml'), config);
    mkdirSync(join(dir, '.git'), { recursive: true });
    const before = snapshot(dir);
    for (const cmd of ['validate', 'render']) {
      const r = await cli(dir, cmd, '--format', 'json');
      expect([cmd, r.code, errorsAt(r)]).toEqual([cmd, 1, [['SCHEMA', 'gitopsc.config.yaml', line, 8]]]);
    }
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('item 8: file system failures are FILESYSTEM (exit 4), never a crash or an absent file', () => {
  it('render --out below a regular file', async () => {
    const dir = makeProject(baseProject());
    expect((await cli(dir, 'resolve')).code).toBe(0);
    writeFileSync(join(dir, 'afile'), 'x\n');
    const r = await cli(dir, 'render', '--out', 'afile/sub', '--format', 'json');
    expect([r.code, codes(r)]).toEqual([4, ['FILESYSTEM']]);
    expect(readFileSync(join(dir, 'afile'), 'utf8')).toBe('x\n');
  });

  it('a directory where the lock file should be (EISDIR): FILESYSTEM, not a missing lock', async () => {
    const dir = makeProject(baseProject());
    mkdirSync(join(dir, 'gitopsc.lock'));
    const r = await cli(dir, 'render', '--format', 'json');
    expect([r.code, errorsAt(r)]).toEqual([4, [['FILESYSTEM', 'gitopsc.lock', null, null]]]);
    const s = await cli(dir, 'resolve', '--format', 'json');
    expect([s.code, errorsAt(s)]).toEqual([4, [['FILESYSTEM', 'gitopsc.lock', null, null]]]);
  });

  it('a directory where a rendered file should be: FILESYSTEM, nothing changed', async () => {
    const dir = await rendered();
    rmSync(join(dir, 'rendered/dev/web/service.yaml'));
    mkdirSync(join(dir, 'rendered/dev/web/service.yaml/x'), { recursive: true });
    writeFileSync(join(dir, 'services/web.yaml'), readFileSync(join(dir, 'services/web.yaml'), 'utf8').replace('replicas: 2', 'replicas: 3'));
    const before = snapshot(join(dir, 'rendered'));
    const r = await cli(dir, 'render', '--format', 'json');
    expect([r.code, codes(r)]).toEqual([4, ['FILESYSTEM']]);
    expect(snapshot(join(dir, 'rendered'))).toEqual(before);
    expect(readdirSync(join(dir, 'rendered')).sort()).toEqual(['.gitopsc-owned', 'dev', 'prod']);
  });

  it('--config naming a directory (EISDIR): FILESYSTEM, not CONFIG_NOT_FOUND', async () => {
    const dir = makeProject(baseProject());
    mkdirSync(join(dir, 'conf.yaml'));
    const r = await cli(dir, '--config', 'conf.yaml', 'validate', '--format', 'json');
    expect([r.code, codes(r)]).toEqual([4, ['FILESYSTEM']]);
  });

  it('a config file found by the search that links to itself (ELOOP): FILESYSTEM, not CONFIG_NOT_FOUND', async () => {
    const dir = makeProject({ 'services/.keep': '' });
    symlinkSync('.gitopscrc.yaml', join(dir, '.gitopscrc.yaml'));
    const r = await cli(dir, 'validate', '--format', 'json');
    expect([r.code, codes(r)]).toEqual([4, ['FILESYSTEM']]);
  });
});

describe('item 8 with the CLI as a user runs it', () => {
  let bin = '';
  beforeAll(() => {
    const built = buildCli();
    bin = built.bin;
    // the unprivileged user must reach the built package (mkdtemp makes it 0700)
    for (let d = join(bin, '../../'); d !== tmpdir() && d.length > 1; d = join(d, '..')) chmodSync(d, 0o755);
  }, 120_000);

  const setpriv = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']).status === 0;
  /** Run the CLI as uid/gid 65534 in a copy of a project it owns, so that chmod 000 is real EACCES. */
  function asNobody(dir: string, ...args: string[]): { code: number | null; json: CliRun['json']; stderr: string } {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bin, '--cwd', dir, ...args, '--format', 'json'], { encoding: 'utf8', env: spawnEnv() });
    return { code: r.status, json: JSON.parse(r.stdout) as CliRun['json'], stderr: r.stderr };
  }
  function ownedByNobody(dir: string): void {
    const walk = (p: string) => {
      chownSync(p, 65534, 65534);
      if (statSync(p).isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    };
    chmodSync(dir, 0o755);
    walk(dir);
  }

  it.runIf(setpriv)('an unreadable lock (EACCES): resolve is FILESYSTEM and never re-pins', async () => {
    const files = baseProject();
    const dir = makeProject(files);
    expect((await cli(dir, 'resolve')).code).toBe(0);
    // pin an older version, as a lock written before 1.10.0 was published would
    const lock = readFileSync(join(dir, 'gitopsc.lock'), 'utf8');
    expect(lock).toContain('1.10.0');
    writeFileSync(join(dir, 'gitopsc.lock'), lock.replaceAll('1.10.0', '1.2.0'));
    ownedByNobody(dir);
    chmodSync(join(dir, 'gitopsc.lock'), 0);
    const r = asNobody(dir, 'resolve', '--update');
    expect([r.code, r.json.diagnostics.map((d) => [d.code, d.file])]).toEqual([4, [['FILESYSTEM', 'gitopsc.lock']]]);
    expect(r.stderr).toBe('');
    chmodSync(join(dir, 'gitopsc.lock'), 0o644);
    expect(readFileSync(join(dir, 'gitopsc.lock'), 'utf8')).toBe(lock.replaceAll('1.10.0', '1.2.0'));
  });

  it.runIf(setpriv)('an unreadable service file, services directory, rendered file or config (EACCES): FILESYSTEM at the file', async () => {
    const dir = await rendered();
    ownedByNobody(dir);
    const cases: [string, string, string[]][] = [
      ['services/web.yaml', 'services/web.yaml', ['validate']],
      ['services', 'services', ['validate']],
      ['rendered/dev/web/service.yaml', 'rendered/dev/web/service.yaml', ['render']],
      ['gitopsc.config.yaml', 'gitopsc.config.yaml', ['validate']],
    ];
    for (const [path, file, args] of cases) {
      chmodSync(join(dir, path), 0);
      const r = asNobody(dir, ...args);
      expect([path, r.code, r.json.diagnostics.map((d) => [d.code, d.file])]).toEqual([path, 4, [['FILESYSTEM', file]]]);
      expect(r.stderr).toBe('');
      chmodSync(join(dir, path), statSync(join(dir, path)).isDirectory() ? 0o755 : 0o644);
    }
  });

  it.runIf(setpriv)('publish into a working repository whose object database it cannot write (EACCES): GIT, as when git wrote the objects', async () => {
    const dir = makeProject(baseProject());
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const repo = elsewhere();
    const run = (...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', '-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { cwd: repo, env: { ...spawnEnv(), GIT_CONFIG_NOSYSTEM: '1' } });
    run('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), '# deploy\n');
    run('add', 'README.md');
    run('commit', '-q', '-m', 'init');
    ownedByNobody(dir);
    ownedByNobody(repo);
    const objects = join(repo, '.git', 'objects');
    for (const d of readdirSync(objects)) chmodSync(join(objects, d), 0o555);
    chmodSync(objects, 0o555);
    const r = asNobody(dir, 'publish', '--repo', repo);
    expect([r.code, r.json.diagnostics.map((d) => [d.code, d.reason])]).toEqual([4, [['GIT', 'command-failed']]]);
    expect(r.stderr).toBe('');
    // git writing them (core.fsync: through an index) fails with the same code and reason
    run('config', 'core.fsync', 'loose-object');
    const viaGit = asNobody(dir, 'publish', '--repo', repo);
    expect([viaGit.code, viaGit.json.diagnostics.map((d) => [d.code, d.reason])]).toEqual([4, [['GIT', 'command-failed']]]);
    expect(run('rev-list', '--count', 'HEAD').toString()).toBe('1\n');
  });

  it('a closed stdout (EPIPE) ends quietly with the command\'s exit code; a full disk is exit 4', () => {
    const sh = (script: string) => spawnSync('bash', ['-c', script], { encoding: 'utf8', env: spawnEnv() });
    // the reader is gone before gitopsc writes: every write fails with EPIPE
    const piped = sh(`(sleep 0.3; exec "${process.execPath}" "${bin}" schema service) | true; echo "exit=\${PIPESTATUS[0]}"`);
    expect(piped.stdout).toBe('exit=0\n');
    expect(piped.stderr).toBe('');
    const full = sh(`"${process.execPath}" "${bin}" schema service > /dev/full; echo "exit=$?"`);
    expect(full.stdout).toBe('exit=4\n');
    expect(full.stderr).toBe('gitopsc: cannot write to stdout: ENOSPC\n');
  });

  const unshare = spawnSync('unshare', ['-m', 'true']).status === 0;
  it.runIf(unshare)('an empty output directory that is a mount point is rendered into (no EBUSY)', async () => {
    const dir = makeProject(baseProject());
    expect((await cli(dir, 'resolve')).code).toBe(0);
    mkdirSync(join(dir, 'rendered'));
    // a private mount namespace: the tmpfs is visible to this shell and the CLI only
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs tmpfs "${dir}/rendered" && "${process.execPath}" "${bin}" --cwd "${dir}" render --format json; echo "exit=$?"; ls -A "${dir}/rendered"`], { encoding: 'utf8', env: spawnEnv() });
    expect(r.stdout).toMatch(/"ok": true/);
    expect(r.stdout).toMatch(/exit=0\n\.gitopsc-owned\ndev\nprod\n$/);
  });
});

describe('item 9: a templates directory that does not exist', () => {
  it.each([
    ['absent', () => {}],
    ['a file', (dir: string) => writeFileSync(join(dir, 'tpl'), 'x')],
  ])('%s: SCHEMA at the config\'s templates value', async (_what, make) => {
    const files = baseProject();
    files['gitopsc.config.yaml'] += 'templates: tpl\n';
    const dir = makeProject(files);
    make(dir);
    const r = await cli(dir, 'validate', '--format', 'json');
    const line = files['gitopsc.config.yaml']!.split('\n').indexOf('templates: tpl') + 1;
    expect([r.code, errorsAt(r)]).toEqual([1, [['SCHEMA', 'gitopsc.config.yaml', line, 12]]]);
  });

  it('an existing empty templates directory is fine', async () => {
    const files = baseProject();
    files['gitopsc.config.yaml'] += 'templates: tpl\n';
    const dir = makeProject(files);
    mkdirSync(join(dir, 'tpl'));
    const r = await cli(dir, 'validate', '--format', 'json');
    expect([r.code, r.json.diagnostics]).toEqual([0, []]);
  });
});

describe('item 11: caches are written only by a run that succeeded', () => {
  it('a resolve whose lock cannot be written (a file where its directory should be) writes no cache', async () => {
    const files = baseProject();
    files['gitopsc.config.yaml'] += 'lock: state/gitopsc.lock\n';
    files['state'] = 'a file where the lock directory should be\n';
    const dir = makeProject(files);
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect([r.code, errorsAt(r)]).toEqual([4, [['FILESYSTEM', 'state/gitopsc.lock', null, null]]]);
    expect(existsSync(join(dir, '.gitopsc'))).toBe(false);
  });
});

describe('item 13: the cache directory keeps itself out of git', () => {
  it('`git add -A` in a project not made by init leaves .gitopsc/ out', async () => {
    const dir = makeProject(baseProject());
    execFileSync('git', ['init', '-q'], { cwd: dir });
    expect((await cli(dir, 'resolve')).code).toBe(0);
    expect((await cli(dir, 'render')).code).toBe(0);
    expect(readFileSync(join(dir, '.gitopsc/.gitignore'), 'utf8')).toMatch(/^\*$/m);
    execFileSync('git', ['add', '-A'], { cwd: dir });
    const staged = execFileSync('git', ['diff', '--cached', '--name-only'], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(staged).toContain('gitopsc.lock');
    expect(staged.filter((f) => f.startsWith('.gitopsc'))).toEqual([]);
  });

  it('a .gitignore the user edited is left alone', async () => {
    const dir = makeProject(baseProject());
    writeFiles(dir, { '.gitopsc/.gitignore': '# mine\n' });
    expect((await cli(dir, 'validate')).code).toBe(0);
    expect(readFileSync(join(dir, '.gitopsc/.gitignore'), 'utf8')).toBe('# mine\n');
  });
});

describe('item 2: an interrupted render is never taken for a finished one', () => {
  it('render --check reports a pending journal as DRIFT and changes nothing; render completes it', async () => {
    const dir = await rendered();
    writeFileSync(join(dir, 'services/web.yaml'), readFileSync(join(dir, 'services/web.yaml'), 'utf8').replace('replicas: 2', 'replicas: 3'));
    // a render killed after its journal was written and before its renames
    const target = 'dev/web/deployment.yaml';
    const fresh = readFileSync(join(dir, 'rendered', target), 'utf8').replace('replicas: 2', 'replicas: 3');
    mkdirSync(join(dir, 'rendered/.gitopsc-stage/dev/web'), { recursive: true });
    writeFileSync(join(dir, 'rendered/.gitopsc-stage', target), fresh);
    writeFileSync(join(dir, 'rendered/.gitopsc-journal'), JSON.stringify({ gitopscJournal: 1, writes: [target], removes: [] }));
    const before = snapshot(dir);
    const c = await cli(dir, 'render', '--check', '--format', 'json');
    expect(c.code).toBe(1);
    expect(errorsAt(c)).toContainEqual(['DRIFT', 'rendered/.gitopsc-journal', 1, 1]);
    expect(c.json.diagnostics.find((d) => d.file === 'rendered/.gitopsc-journal')?.reason).toBe('interrupted-render');
    expect(snapshot(dir)).toEqual(before);
    const r = await cli(dir, 'render', '--format', 'json');
    expect([r.code, r.json.diagnostics]).toEqual([0, []]);
    expect(readFileSync(join(dir, 'rendered', target), 'utf8')).toBe(fresh);
    expect(readdirSync(join(dir, 'rendered')).sort()).toEqual(['.gitopsc-owned', 'dev', 'prod']);
    expect((await cli(dir, 'render', '--check')).code).toBe(0);
  });
});
