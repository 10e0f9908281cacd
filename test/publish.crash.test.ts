/**
 * Issue 8 item 3 and the publish part of item 8: a publish killed (SIGKILL) between moving the
 * branch and updating the index and working tree is finished by the next publish; an empty lock
 * file is taken over; killed publishes leave no private index copies in the temp directory;
 * EACCES on the lock file is FILESYSTEM (exit 4), not INTERNAL, and leaves no temp clone.
 * The publish runs in a real child process (bundled with esbuild) so that the kill is real.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { publish } from '../src/git/publish.js';
import { compileResult, git, head, isolateGit, makeRepo, tmp } from './helpers/git.js';

const ROOT = resolve(import.meta.dirname, '..');
let bundle: string;
const source = { url: 'https://example.com/src.git' };

beforeAll(() => {
  isolateGit();
  const dir = tmp('gitopsc-bundle-');
  chmodSync(dir, 0o755);
  const entry = join(dir, 'child.ts');
  writeFileSync(
    entry,
    `import { publish } from ${JSON.stringify(join(ROOT, 'src/git/publish.ts'))};
const [repo, kill] = process.argv.slice(2);
const result = JSON.parse(process.env.RESULT!);
const out = await publish({ result, environments: result.environments, source: { url: 'x' } }, {
  repo: repo!, cwd: process.cwd(), env: process.env, lockTimeoutMs: 2000,
  afterRef: kill === 'kill' ? async () => { process.kill(process.pid, 'SIGKILL'); await new Promise(() => {}); } : undefined,
});
process.stdout.write(JSON.stringify(out.diagnostics));
`,
  );
  bundle = join(dir, 'child.mjs');
  execFileSync(join(ROOT, 'node_modules/.bin/esbuild'), [entry, '--bundle', '--platform=node', '--format=esm', `--outfile=${bundle}`, '--log-level=error'], { cwd: ROOT });
  chmodSync(bundle, 0o644);
});

function child(repo: string, result: unknown, opts: { kill?: boolean; tmpdir: string; asNobody?: boolean; gitConfig?: string }) {
  const env = { ...process.env, RESULT: JSON.stringify(result), TMPDIR: opts.tmpdir, ...(opts.gitConfig ? { GIT_CONFIG_GLOBAL: opts.gitConfig } : {}) };
  const argv = [process.execPath, bundle, repo, opts.kill ? 'kill' : ''];
  const cmd = opts.asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv;
  return spawnSync(cmd[0]!, cmd.slice(1), { env, encoding: 'utf8' });
}

describe('a publish killed with SIGKILL', () => {
  it('after moving the branch: the next publish finishes the working tree by itself; no index copies are left', async () => {
    const repo = makeRepo({ 'README.md': '# deploy\n' });
    const first = await publish({ result: compileResult({ web: { dev: '1.0.0' } }), environments: ['dev'], source }, { repo, cwd: repo, env: process.env });
    expect(first.diagnostics).toEqual([]);
    const old = head(repo);
    const temp = tmp();
    const killed = child(repo, compileResult({ web: { dev: '1.1.0' }, api: { dev: '2.0.0' } }), { kill: true, tmpdir: temp });
    expect(killed.signal).toBe('SIGKILL');
    // the branch moved, the working tree did not
    expect(head(repo)).not.toBe(old);
    expect(git(repo, 'status', '--porcelain')).not.toBe('');
    expect(readdirSync(temp)).toEqual([]);
    const moved = head(repo);
    const next = await publish({ result: compileResult({ web: { dev: '1.2.0' }, api: { dev: '2.0.0' } }), environments: ['dev'], source }, { repo, cwd: repo, env: process.env, lockTimeoutMs: 5000 });
    expect(next.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(next.committed).toBe(true);
    expect(git(repo, 'rev-parse', 'HEAD^').trim()).toBe(moved);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'show', 'HEAD:dev/api/deployment.yaml')).toContain('api:2.0.0@');
    const gitDir = join(repo, '.git');
    expect(readdirSync(gitDir).filter((n) => n.startsWith('gitopsc-'))).toEqual([]);
  });

  it('an empty lock file (killed between create and write) is taken over', async () => {
    const repo = makeRepo({ 'README.md': '# deploy\n' });
    const lock = join(repo, '.git/gitopsc-publish.lock');
    writeFileSync(lock, '');
    const past = new Date(Date.now() - 60_000);
    utimesSync(lock, past, past);
    const r = await publish({ result: compileResult({ web: { dev: '1.0.0' } }), environments: ['dev'], source }, { repo, cwd: repo, env: process.env, lockTimeoutMs: 5000 });
    expect(r.diagnostics).toEqual([]);
    expect(r.committed).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });
});

describe('EACCES on the publish lock file', () => {
  it.skipIf(!existsSync('/usr/bin/setpriv') || process.getuid?.() !== 0)('is FILESYSTEM, not INTERNAL, and leaves no temporary files (run as another user)', () => {
    const root = tmp();
    chmodSync(root, 0o755);
    const repo = makeRepo({ 'README.md': '# deploy\n' }, join(root, 'repo'));
    execFileSync('chmod', ['-R', 'a+rX', root]); // readable by all, the git dir writable only by its owner
    const cfg = join(root, 'gitconfig');
    writeFileSync(cfg, '[user]\n\tname = T\n\temail = t@example.com\n[safe]\n\tdirectory = *\n');
    chmodSync(cfg, 0o644);
    const temp = join(root, 'tmp');
    mkdirSync(temp);
    chmodSync(temp, 0o1777);
    const r = child(repo, compileResult({ web: { dev: '1.0.0' } }), { tmpdir: temp, asNobody: true, gitConfig: cfg });
    expect(r.stderr).toBe('');
    const diags = JSON.parse(r.stdout) as { code: string; reason?: string; message: string }[];
    expect(diags.map((d) => [d.code, d.reason])).toEqual([['FILESYSTEM', 'unwritable']]);
    expect(readdirSync(temp)).toEqual([]);
  });
});
