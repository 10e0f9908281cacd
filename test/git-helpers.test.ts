/**
 * The test helpers' in-process `git update-index --refresh` (test/helpers/index-refresh.ts):
 * after a copy of a repository, the index it writes is byte for byte the index git writes when
 * it looks at every file again (`update-index --really-refresh`), and where it cannot check an
 * entry as git would it changes nothing and leaves the refresh to git.
 */
import { chmodSync, cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { refreshIndex } from './helpers/index-refresh.js';
import { git, isolateGit, tmp, writeFiles } from './helpers/git.js';

beforeAll(() => isolateGit());

let template: string | undefined;
/** A repository of regular, executable and empty files, a link, nested and long names, committed once for this file; a copy of it. */
function copied(): string {
  if (template === undefined) {
    const dir = join(tmp(), 'repo');
    git(tmp(), 'init', '-q', dir);
    writeFiles(dir, {
      'README.md': '# r\n',
      'empty': '',
      'bin/run.sh': '#!/bin/sh\necho hi\n',
      [`deep/${'n'.repeat(120)}/ü-file.yaml`]: 'a: 1\n',
      'a/b/c/d.txt': 'x'.repeat(70_000),
    });
    chmodSync(join(dir, 'bin/run.sh'), 0o755);
    symlinkSync('README.md', join(dir, 'link'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'c');
    template = dir;
  }
  const copy = join(tmp(), 'copy');
  cpSync(template, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

/** Paths whose stat data differ from the index (diff-files compares stat data only, it never refreshes). */
const statDirty = (dir: string) => git(dir, 'diff-files', '--name-only');

describe('refreshIndex', () => {
  it("writes the index git's --really-refresh writes for the copy", () => {
    const copy = copied();
    expect(statDirty(copy)).not.toBe('');
    expect(refreshIndex(copy)).toBe(true);
    expect(statDirty(copy)).toBe('');
    const ours = readFileSync(join(copy, '.git/index'));
    git(copy, 'update-index', '-q', '--really-refresh');
    expect(readFileSync(join(copy, '.git/index')).equals(ours)).toBe(true);
    expect(git(copy, 'status', '--porcelain')).toBe('');
    git(copy, 'read-tree', '-m', '-u', 'HEAD', 'HEAD'); // refuses an entry that is "not uptodate"
  });

  it('keeps the cache tree (TREE extension) git wrote', () => {
    const copy = copied();
    git(copy, 'read-tree', 'HEAD'); // an index with a full cache tree
    const before = readFileSync(join(copy, '.git/index'));
    expect(before.includes(Buffer.from('TREE'))).toBe(true);
    expect(refreshIndex(copy)).toBe(true);
    const ours = readFileSync(join(copy, '.git/index'));
    git(copy, 'update-index', '-q', '--really-refresh');
    expect(readFileSync(join(copy, '.git/index')).equals(ours)).toBe(true);
  });

  it.each<[string, (copy: string) => void]>([
    ['a file changed after the copy', (c) => writeFileSync(join(c, 'README.md'), '# changed\n')],
    ['a file whose executable bit changed', (c) => chmodSync(join(c, 'bin/run.sh'), 0o644)],
    ['an entry marked skip-worktree (extended flags)', (c) => git(c, 'update-index', '--skip-worktree', 'empty')],
    ['an entry marked assume-unchanged', (c) => git(c, 'update-index', '--assume-unchanged', 'empty')],
    ['an index of version 4', (c) => git(c, 'update-index', '--index-version', '4')],
    ['an untracked cache (an extension holding stat data)', (c) => git(c, '-c', 'core.untrackedCache=true', 'update-index', '--untracked-cache')],
    ['eol conversion (git hashes other bytes)', (c) => (writeFiles(c, { '.gitattributes': '*.md text eol=crlf\n' }), writeFileSync(join(c, 'README.md'), '# r\r\n'))],
  ])('leaves the index alone and returns false: %s', (_what, change) => {
    const copy = copied();
    change(copy);
    const before = readFileSync(join(copy, '.git/index'));
    expect(refreshIndex(copy)).toBe(false);
    expect(readFileSync(join(copy, '.git/index')).equals(before)).toBe(true);
  });

  it('returns false without an index or with a .git file', () => {
    const dir = tmp();
    expect(refreshIndex(dir)).toBe(false);
    git(dir, 'init', '-q');
    expect(refreshIndex(dir)).toBe(false);
  });
});
