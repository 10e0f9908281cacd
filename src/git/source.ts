/**
 * A ProjectSource over a git revision: lists with `git ls-tree -r -z` and reads blobs with
 * one long-lived `git cat-file --batch` (./cat-file.ts), never touching the working tree or
 * the index.
 */
import type { ProjectSource } from '../core/types.js';
import { gitBlobId } from '../core/hash.js';
import { CatFile } from './cat-file.js';
import { walkTree } from './objects.js';
import { Git } from './exec.js';

export interface GitSourceOptions {
  env: Record<string, string>;
  /** share one `git cat-file --batch` process with other readers of the repository */
  catFile?: CatFile;
  /** `ref` is a full commit id already verified by the caller (spares a `rev-parse`) */
  resolved?: boolean;
  /** bytes already in hand for a path (the working tree's), used instead of the blob when their blob id matches */
  known?: (rel: string) => Uint8Array | undefined;
}

/** A revision's regular files below `prefix` (`''`: all), relative to it, with their blob ids. */
export async function lsTree(git: Git, commit: string, prefix: string): Promise<Map<string, string>> {
  const args = ['ls-tree', '-r', '-z', '--full-tree', commit];
  if (prefix) args.push('--', prefix);
  const raw = (await git.run(args)).stdout.toString('utf8');
  const entries = new Map<string, string>();
  const under = prefix ? prefix + '/' : '';
  for (const rec of raw.split('\0')) {
    // `<mode> SP <type> SP <oid> TAB <path>`
    const sp1 = rec.indexOf(' ');
    const sp2 = rec.indexOf(' ', sp1 + 1);
    const tab = rec.indexOf('\t', sp2 + 1);
    if (sp1 < 0 || sp2 < 0 || tab < 0) continue;
    // Regular files only: no submodules (type commit) and no symlinks (mode 120000).
    if (sp2 - sp1 !== 5 || !rec.startsWith('blob', sp1 + 1) || rec.startsWith('120000')) continue;
    if (under && !rec.startsWith(under, tab + 1)) continue;
    const oid = rec.slice(sp2 + 1, tab);
    if (!oid) continue;
    entries.set(rec.slice(tab + 1 + under.length), oid);
  }
  return entries;
}

/**
 * @param repoDir any directory inside the repository
 * @param ref a commit-ish (`main`, `HEAD~1`, a sha)
 * @param subdir the project root inside the repository (`''` for the top), `/`-separated
 */
export async function gitSource(repoDir: string, ref: string, subdir: string, opts: GitSourceOptions): Promise<ProjectSource & { oid(rel: string): string | undefined }> {
  const git = new Git(repoDir, opts.env);
  const commit = opts.resolved ? ref : (await git.git(['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`])).trim();
  const prefix = subdir.replace(/^\/+|\/+$/g, '');
  const blobs = opts.catFile ?? new CatFile(git.cwd, git.env);
  // listed through the cat-file process the blobs are read through (a project of many directories: ls-tree)
  const entries = (await walkTree(blobs, commit, prefix)) ?? (await lsTree(git, commit, prefix));
  const list = [...entries.keys()].sort();
  return {
    describe: `${ref} (${commit.slice(0, 7)})${prefix ? ':' + prefix : ''}`,
    list: () => Promise.resolve([...list]),
    oid: (rel) => entries.get(rel.replace(/^\.\//, '')),
    read: async (rel) => {
      const path = rel.replace(/^\.\//, '');
      const oid = entries.get(path);
      if (!oid) return undefined;
      const mine = opts.known?.(path);
      return mine && gitBlobId(mine) === oid ? mine : blobs.blob(oid);
    },
  };
}

/** Resolves a ref to a full commit sha, or undefined. */
export async function resolveCommit(git: Git, ref: string): Promise<string | undefined> {
  const r = await git.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
}
