/**
 * `diff`'s default base (src/git/repo.ts defaultBase): the merge base of HEAD with the first of
 * origin/HEAD's target, origin/main, origin/master, main, master that names a commit (and has a
 * merge base with HEAD), else HEAD itself; nothing before the first commit. Real repositories.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Git } from '../src/git/exec.js';
import { cleanGitEnv } from '../src/git/env.js';
import { defaultBase, openSourceForBase } from '../src/git/repo.js';
import { CatFile } from '../src/git/cat-file.js';
import { copyOf, git, isolateGit, tmp } from './helpers/git.js';

beforeAll(() => isolateGit());

/**
 * A repository on `branch` with commit `base`, then `ahead` commits more (`head`); `setup` adds refs.
 * Each (branch, ahead) history is made once for this file and copied (copyOf): the cases differ
 * only in the refs their `setup` adds.
 */
async function repo(branch: string, ahead: number, setup: (dir: string, base: string) => void = () => undefined): Promise<{ dir: string; base: string; head: string }> {
  const { root, value } = await copyOf(`git-base: ${branch} + ${ahead}`, (dir) => {
    git(dir, 'init', '-q', '-b', branch);
    writeFileSync(join(dir, 'f'), 'base\n');
    git(dir, 'add', 'f');
    git(dir, 'commit', '-q', '-m', 'base');
    const base = git(dir, 'rev-parse', 'HEAD').trim();
    for (let i = 0; i < ahead; i++) {
      writeFileSync(join(dir, 'f'), `${i}\n`);
      git(dir, 'commit', '-q', '-am', `c${i}`);
    }
    return { base, head: git(dir, 'rev-parse', 'HEAD').trim() };
  });
  setup(root, value.base);
  return { dir: root, ...value };
}

/**
 * A ref of the set-up, written as git writes a loose ref (`git update-ref`, `git branch`, `git
 * tag`): its file holds the object id, or `ref: <name>` for a symbolic ref (`git symbolic-ref`).
 * No git process per ref; what these tests read through git is the refs themselves.
 */
function ref(dir: string, name: string, target: string): void {
  mkdirSync(dirname(join(dir, '.git', name)), { recursive: true });
  writeFileSync(join(dir, '.git', name), /^[0-9a-f]{40}$/.test(target) ? `${target}\n` : `ref: ${target}\n`);
}

/**
 * The default base both ways, which must agree: asking git for origin/HEAD itself, and with the
 * answer diff gets from the one `rev-parse` that opens the source (openSourceForBase).
 */
const run = async (dir: string) => {
  const alone = await defaultBase(new Git(dir, cleanGitEnv(process.env)));
  const src = await openSourceForBase(dir, cleanGitEnv(process.env));
  expect(src?.prefix).toBe('');
  expect(await defaultBase(src!.git, src!.originHead)).toEqual(alone);
  // and the names resolved through a cat-file process (diff's, which reads the base's files)
  const cat = new CatFile(dir, cleanGitEnv(process.env));
  try {
    expect(await defaultBase(src!.git, src!.originHead, cat)).toEqual(alone);
  } finally {
    cat.close();
  }
  return alone;
};

describe('diff: the default base', () => {
  it('is nothing before the first commit', async () => {
    const dir = tmp();
    git(dir, 'init', '-q', '-b', 'main');
    expect(await run(dir)).toBeUndefined();
  });

  it.each<[string, string, (dir: string, base: string) => void, string]>([
    ['HEAD itself when no candidate exists', 'trunk', () => undefined, 'HEAD'],
    ['main', 'feature', (d, b) => ref(d, 'refs/heads/main', b), 'merge-base(HEAD, main)'],
    ['master when there is no main', 'feature', (d, b) => ref(d, 'refs/heads/master', b), 'merge-base(HEAD, master)'],
    ['main before master', 'feature', (d, b) => (ref(d, 'refs/heads/master', b), ref(d, 'refs/heads/main', b)), 'merge-base(HEAD, main)'],
    ['origin/master before main', 'feature', (d, b) => (ref(d, 'refs/heads/main', b), ref(d, 'refs/remotes/origin/master', b)), 'merge-base(HEAD, origin/master)'],
    ['origin/main before origin/master', 'feature', (d, b) => (ref(d, 'refs/remotes/origin/master', b), ref(d, 'refs/remotes/origin/main', b)), 'merge-base(HEAD, origin/main)'],
    [
      "origin/HEAD's target first",
      'feature',
      (d, b) => (ref(d, 'refs/remotes/origin/main', b), ref(d, 'refs/remotes/origin/trunk', b), ref(d, 'refs/remotes/origin/HEAD', 'refs/remotes/origin/trunk')),
      'merge-base(HEAD, origin/trunk)',
    ],
    [
      'origin/HEAD naming a branch that is gone: the next candidate',
      'feature',
      (d, b) => (ref(d, 'refs/remotes/origin/main', b), ref(d, 'refs/remotes/origin/HEAD', 'refs/remotes/origin/gone')),
      'merge-base(HEAD, origin/main)',
    ],
    [
      'origin/HEAD that is not symbolic: not a candidate',
      'feature',
      (d, b) => (ref(d, 'refs/remotes/origin/HEAD', b), ref(d, 'refs/heads/master', b)),
      'merge-base(HEAD, master)',
    ],
    [
      "origin/HEAD's target named in full where its short name is ambiguous",
      'feature',
      (d, b) => (ref(d, 'refs/remotes/origin/trunk', b), ref(d, 'refs/heads/origin/trunk', b), ref(d, 'refs/remotes/origin/HEAD', 'refs/remotes/origin/trunk')),
      'merge-base(HEAD, remotes/origin/trunk)',
    ],
    ['a candidate that names no commit is passed over (a tag of a tree)', 'feature', (d, b) => (git(d, 'tag', 'main', `${b}^{tree}`), ref(d, 'refs/heads/master', b)), 'merge-base(HEAD, master)'],
  ])('%s', async (_what, branch, setup, ref) => {
    const { dir, base, head } = await repo(branch, 2, setup);
    expect(await run(dir)).toEqual({ ref, sha: ref === 'HEAD' ? head : base });
  });

  it('a candidate with no merge base with HEAD is passed over', async () => {
    const { dir, base } = await repo('feature', 1, (d, b) => {
      ref(d, 'refs/heads/master', b);
      // an unrelated history named main
      const tree = git(d, 'write-tree').trim();
      const orphan = git(d, 'commit-tree', tree, '-m', 'orphan').trim();
      ref(d, 'refs/heads/main', orphan);
    });
    expect(await run(dir)).toEqual({ ref: 'merge-base(HEAD, master)', sha: base });
  });
});
