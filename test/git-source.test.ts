import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanGitEnv } from '../src/git/env.js';
import { gitSource } from '../src/git/source.js';
import { git, isolateGit, makeRepo } from './helpers/git.js';

beforeAll(() => isolateGit());

describe('cleanGitEnv', () => {
  it('drops what a hook inherits and keeps transport and config location', () => {
    const env = cleanGitEnv({
      PATH: '/bin',
      HOME: '/home/u',
      GIT_DIR: '/src/.git',
      GIT_INDEX_FILE: '/src/.git/index.lock',
      GIT_WORK_TREE: '/src',
      GIT_EDITOR: ':',
      GIT_AUTHOR_DATE: '@1700000000 +0000',
      GIT_PREFIX: 'sub/',
      GIT_SSH_COMMAND: 'ssh -i key',
      GIT_CONFIG_GLOBAL: '/tmp/cfg',
      GIT_CONFIG_KEY_0: 'http.extraheader',
      GIT_CONFIG_VALUE_0: 'x',
      GPG_TTY: '/dev/pts/1',
      DISPLAY: ':0',
      LC_CTYPE: 'C.UTF-8',
    });
    for (const k of ['GIT_DIR', 'GIT_INDEX_FILE', 'GIT_WORK_TREE', 'GIT_AUTHOR_DATE', 'GIT_PREFIX', 'GPG_TTY', 'DISPLAY']) expect(env[k]).toBeUndefined();
    expect(env).toMatchObject({
      PATH: '/bin',
      HOME: '/home/u',
      GIT_SSH_COMMAND: 'ssh -i key',
      GIT_CONFIG_GLOBAL: '/tmp/cfg',
      GIT_CONFIG_KEY_0: 'http.extraheader',
      GIT_TERMINAL_PROMPT: '0',
      GIT_EDITOR: 'true',
      LC_ALL: 'C',
    });
  });
});

describe('gitSource', () => {
  it('reads a revision from git objects, under a subdirectory, without touching the working tree', async () => {
    const repo = makeRepo({ 'proj/gitopsc.config.yaml': 'environments: []\n', 'proj/services/a.yaml': 'a: 1\n', 'other/x.txt': 'x\n' });
    const first = git(repo, 'rev-parse', 'HEAD').trim();
    writeFileSync(join(repo, 'proj/services/a.yaml'), 'a: 2\n');
    git(repo, 'commit', '-qam', 'two');
    writeFileSync(join(repo, 'proj/services/a.yaml'), 'a: 3 (working tree)\n');
    const indexBefore = statSync(join(repo, '.git/index')).mtimeMs;

    const src = await gitSource(repo, first, 'proj', { env: cleanGitEnv(process.env) });
    expect(await src.list()).toEqual(['gitopsc.config.yaml', 'services/a.yaml']);
    const [a, cfg, missing] = await Promise.all([src.read('services/a.yaml'), src.read('gitopsc.config.yaml'), src.read('nope.yaml')]);
    expect(new TextDecoder().decode(a)).toBe('a: 1\n');
    expect(new TextDecoder().decode(cfg)).toBe('environments: []\n');
    expect(missing).toBeUndefined();
    const head = await gitSource(repo, 'HEAD', '', { env: cleanGitEnv(process.env) });
    expect(new TextDecoder().decode(await head.read('proj/services/a.yaml'))).toBe('a: 2\n');
    expect(await head.list()).toContain('other/x.txt');
    expect(statSync(join(repo, '.git/index')).mtimeMs).toBe(indexBefore);
    expect(git(repo, 'status', '--porcelain')).toBe(' M proj/services/a.yaml\n');
  });

  it('fails for an unknown ref', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    await expect(gitSource(repo, 'no-such-ref', '', { env: cleanGitEnv(process.env) })).rejects.toThrow(/rev-parse/);
  });
});
