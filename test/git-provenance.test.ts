/**
 * The source's provenance for publish's trailers (src/git/repo.ts): HEAD, origin's URL without
 * credentials, and the project's uncommitted files, from one `git status --porcelain=v2`.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanGitEnv } from '../src/git/env.js';
import { parseStatusV2, sourceProvenance } from '../src/git/repo.js';
import { git, head, isolateGit, makeRepo, tmp } from './helpers/git.js';

beforeAll(() => isolateGit());

describe('parseStatusV2', () => {
  it.each([
    ['nothing', '', undefined, []],
    ['initial commit', '# branch.oid (initial)\0# branch.head main\0? a.yaml\0', undefined, ['a.yaml']],
    [
      'every kind of entry',
      `# branch.oid ${'a'.repeat(40)}\0# branch.head main\0` +
        '1 .M N... 100644 100644 100644 1111111111111111111111111111111111111111 1111111111111111111111111111111111111111 dir/with space.yaml\0' +
        '2 R. N... 100644 100644 100644 1111111111111111111111111111111111111111 1111111111111111111111111111111111111111 R100 new.yaml\0old.yaml\0' +
        'u UU N... 100644 100644 100644 100644 1111111111111111111111111111111111111111 1111111111111111111111111111111111111111 1111111111111111111111111111111111111111 both.yaml\0' +
        '? untracked.yaml\0',
      'a'.repeat(40),
      ['dir/with space.yaml', 'new.yaml', 'both.yaml', 'untracked.yaml'],
    ],
  ])('%s', (_name, text, commit, dirty) => {
    expect(parseStatusV2(text)).toEqual({ commit, dirty });
  });
});

describe('sourceProvenance', () => {
  it('names HEAD, the redacted origin and the uncommitted files below the project only', async () => {
    const repo = makeRepo({ 'deploy/services/a.yaml': 'a\n', 'deploy/services/b.yaml': 'b\n', 'other/x.txt': 'x\n' });
    git(repo, 'remote', 'add', 'origin', 'https://user:s3cret@example.com/acme/src.git');
    const project = join(repo, 'deploy');
    writeFileSync(join(project, 'services/a.yaml'), 'a2\n');
    renameSync(join(project, 'services/b.yaml'), join(project, 'services/c.yaml'));
    git(repo, 'add', '-A', 'deploy/services');
    writeFileSync(join(project, 'new.yaml'), 'n\n');
    writeFileSync(join(repo, 'other/x.txt'), 'changed\n');
    const p = await sourceProvenance(project, cleanGitEnv(process.env));
    expect(p).toEqual({
      url: 'https://example.com/acme/src.git',
      commit: head(repo),
      dirty: ['deploy/services/a.yaml', 'deploy/services/c.yaml', 'deploy/new.yaml'],
    });
  });

  it('before the first commit: no commit, the top directory as URL; outside git: undefined', async () => {
    const dir = tmp();
    git(dir, 'init', '-q');
    writeFileSync(join(dir, 'a.yaml'), 'a\n');
    expect(await sourceProvenance(dir, cleanGitEnv(process.env))).toEqual({ url: dir, commit: undefined, dirty: ['a.yaml'] });
    const outside = join(tmp(), 'plain');
    mkdirSync(outside);
    expect(await sourceProvenance(outside, cleanGitEnv(process.env))).toBeUndefined(); // the temp directory is in no repository
  });
});
