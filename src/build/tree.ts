/**
 * The git-tree OutputTree: a revision's files below a directory of a repository (the
 * deployment repository for `publish`), compared by the one content hash. The work is
 * src/git/tree.ts's (one `ls-tree`, one `cat-file --batch`, a blob-id -> content-hash memo);
 * this gives it the build stage's interface, beside the directory tree `render` uses.
 */
import { cleanGitEnv } from '../git/env.js';
import { Git } from '../git/exec.js';
import { gitTree, type BlobHashMemo } from '../git/tree.js';
import type { OutputTree } from './tree-types.js';

export type { BlobHashMemo } from '../git/tree.js';

/**
 * @param repoDir any directory inside the repository
 * @param commit a full commit id, or undefined for an empty tree (a branch with no commit yet)
 * @param dir the output root inside the repository (`''`: the top), `/`-separated
 */
export async function gitOutputTree(repoDir: string, commit: string | undefined, dir: string, env: Readonly<Record<string, string | undefined>>, memo?: BlobHashMemo): Promise<OutputTree> {
  const t = await gitTree(new Git(repoDir, cleanGitEnv(env)), commit, dir, { memo });
  return { describe: t.describe, hashes: () => t.hashes(), read: (p) => t.read(p) };
}
