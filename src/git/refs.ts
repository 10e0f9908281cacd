/**
 * Refs read from the files git keeps them in, without a git process, where git documents the
 * format (gitrepository-layout(5): `HEAD`, loose refs under `refs/`, `packed-refs`) and the
 * repository says it uses it: no `extensions` (reftable, SHA-256, ...) in its config, format
 * version 0 or 1, not a linked worktree's git directory (`commondir`). Every reader answers
 * undefined when in doubt (anything unreadable, a symbolic ref other than HEAD, a name that is not
 * plain): the caller then asks git, as it did before.
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** a ref name whose file is the name as written: `/`-separated segments of plain characters, none starting with a dot or ending in `.lock` */
const PLAIN_REF = /^(?!.*(?:^|\/)\.)(?!.*\.lock(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/** Whether the refs of the repository whose git directory is `gitDir` are files (ref-format "files", SHA-1, its own refs). */
export function filesRefs(gitDir: string): boolean {
  try {
    if (existsSync(join(gitDir, 'commondir'))) return false;
    const config = readFileSync(join(gitDir, 'config'), 'utf8');
    return !/^\s*\[\s*extensions\b/im.test(config) && /^\s*repositoryformatversion\s*=\s*[01]\s*$/im.test(config);
  } catch {
    return false;
  }
}

/**
 * A ref `refs/<...>` of a repository whose refs are files (the caller checked: filesRefs, or the
 * checks of its own), read as git's files backend reads it: the loose ref, else its line in
 * `packed-refs`. `{}`: the ref does not exist; undefined: ask git.
 */
export function readRefFile(gitDir: string, ref: string): { commit?: string } | undefined {
  if (!ref.startsWith('refs/') || !PLAIN_REF.test(ref.slice('refs/'.length)) || ref.includes('..')) return undefined;
  try {
    let loose: string | undefined;
    try {
      const file = join(gitDir, ...ref.split('/'));
      // a symbolic link (the old form of a symbolic ref) names its ref by its target, relative to
      // the git directory: ask git
      if (!lstatSync(file).isFile()) return undefined;
      loose = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
    }
    if (loose !== undefined) {
      const m = /^([0-9a-f]{40})\n?$/.exec(loose);
      return m ? { commit: m[1] } : undefined;
    }
    let packed: string;
    try {
      packed = readFileSync(join(gitDir, 'packed-refs'), 'utf8');
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? {} : undefined;
    }
    const want = ` ${ref}`;
    for (const line of packed.split('\n')) {
      if (line.length === 40 + want.length && line.endsWith(want)) {
        const oid = line.slice(0, 40);
        return /^[0-9a-f]{40}$/.test(oid) ? { commit: oid } : undefined;
      }
    }
    return {};
  } catch {
    return undefined;
  }
}

/**
 * What HEAD's file holds: the branch it names (`refs/heads/<name>`) or a detached commit;
 * undefined: ask git (a symbolic link, which is what old git wrote for a symbolic HEAD and names
 * its branch by its target; anything unreadable or of another form).
 */
export function readHeadFile(gitDir: string): { ref: string } | { commit: string } | undefined {
  let text: string;
  try {
    if (!lstatSync(join(gitDir, 'HEAD')).isFile()) return undefined;
    text = readFileSync(join(gitDir, 'HEAD'), 'utf8');
  } catch {
    return undefined;
  }
  const detached = /^([0-9a-f]{40})\n$/.exec(text);
  if (detached) return { commit: detached[1]! };
  const m = /^ref: (refs\/heads\/\S+)\n$/.exec(text);
  return m ? { ref: m[1]! } : undefined;
}

/**
 * HEAD of a working repository whose refs are files (checked here: filesRefs): the branch it
 * names (`refs/heads/<name>`) and that branch's commit (none on an unborn branch), or a detached
 * HEAD's commit. What `git symbolic-ref -q HEAD` and `git rev-parse --verify HEAD^{commit}` say
 * (git writes only commits to HEAD and branches); undefined: ask git.
 */
export function readHead(gitDir: string): { ref?: string; commit?: string } | undefined {
  if (!filesRefs(gitDir)) return undefined;
  const head = readHeadFile(gitDir);
  if (!head || 'commit' in head) return head;
  const branch = readRefFile(gitDir, head.ref);
  return branch && { ref: head.ref, ...branch };
}
