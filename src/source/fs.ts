/**
 * The working tree as a ProjectSource (host side: the file system).
 *
 * Symbolic links are followed while they stay inside the project (a `services/` directory or a
 * service file linked from elsewhere in the repository). A link that leaves the project, a
 * dangling or looping link and a directory or file that cannot be read are never skipped
 * silently: listing reports them as problems, reading throws UnreadableError.
 */
import { closeSync, constants, openSync, readdirSync, readFileSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import type { ProjectSource, SourceProblem } from '../core/types.js';
import { isAbsent, lstatOrAbsent, reasonOf } from '../host/fs.js';
import { UnreadableError } from './errors.js';

const SKIP = new Set(['.git', 'node_modules', '.gitopsc']);

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

export function fsSource(root: string): ProjectSource {
  let realRootCache: string | undefined;
  const realRoot = (): string => (realRootCache ??= realpathSync.native(root));
  const realDirs = new Map<string, string>();

  /** The real path of a project path, refusing one that leaves the project (undefined: absent). */
  const realOf = (rel: string): string | undefined => {
    const abs = join(root, rel);
    const dir = dirname(abs);
    let realDir = realDirs.get(dir);
    try {
      if (realDir === undefined) realDirs.set(dir, (realDir = realpathSync.native(dir)));
      const st = lstatOrAbsent(join(realDir, basename(abs)));
      if (!st) return undefined;
      const real = st.isSymbolicLink() ? realpathSync.native(abs) : join(realDir, basename(abs));
      if (!within(realRoot(), real)) throw new UnreadableError(rel, `it is a symbolic link to ${real}, outside the project`, 'symlink-outside');
      return real;
    } catch (e) {
      if (e instanceof UnreadableError) throw e;
      if (isAbsent(e)) {
        // a dangling symbolic link is not an absent file
        const st = lstatOrAbsent(abs);
        if (st?.isSymbolicLink()) throw new UnreadableError(rel, 'it is a symbolic link to a path that does not exist', 'dangling-symlink');
        return undefined;
      }
      throw new UnreadableError(rel, reasonOf(e));
    }
  };

  /**
   * The common case of a read in two system calls fewer: a file inside the project, opened
   * without following a last symbolic link (O_NOFOLLOW), so that no lstat comes first.
   * Undefined on anything else (a link, an absent or unreadable file, a directory, a directory
   * outside the project): the caller then takes the long way, which tells which.
   */
  const NOFOLLOW = constants.O_NOFOLLOW;
  const readPlain = (rel: string): Buffer | undefined => {
    if (NOFOLLOW === undefined) return undefined;
    let fd: number | undefined;
    try {
      const abs = join(root, rel);
      const dir = dirname(abs);
      let realDir = realDirs.get(dir);
      if (realDir === undefined) realDirs.set(dir, (realDir = realpathSync.native(dir)));
      const real = join(realDir, basename(abs));
      if (!within(realRoot(), real)) return undefined;
      fd = openSync(real, constants.O_RDONLY | NOFOLLOW);
      return readFileSync(fd);
    } catch {
      return undefined;
    } finally {
      try {
        if (fd !== undefined) closeSync(fd);
      } catch {
        /* closed either way */
      }
    }
  };

  const scan = async (exclude: string[] = []) => {
    const files: string[] = [];
    const problems: SourceProblem[] = [];
    const dirs = new Set<string>();
    const skipPaths = new Set(exclude.map((e) => e.replace(/\/+$/, '')));
    const walk = (rel: string, real: string, chain: ReadonlySet<string>): void => {
      let entries: Dirent[];
      try {
        entries = readdirSync(real, { withFileTypes: true });
      } catch (e) {
        if (!(rel === '' && isAbsent(e))) problems.push({ path: rel || '.', directory: true, message: `cannot read the directory ${rel || '.'}: ${reasonOf(e)}` });
        return;
      }
      for (const e of entries) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (SKIP.has(e.name) || skipPaths.has(p)) continue;
          dirs.add(p);
          walk(p, join(real, e.name), chain);
        } else if (e.isFile()) files.push(p);
        else if (e.isSymbolicLink()) {
          if (SKIP.has(e.name) || skipPaths.has(p)) continue;
          let target: string;
          let isDir: boolean;
          try {
            target = realpathSync.native(join(real, e.name));
            isDir = statSync(target).isDirectory();
          } catch (err) {
            problems.push({ path: p, directory: undefined, reason: isAbsent(err) ? 'dangling-symlink' : 'unreadable', message: `cannot follow the symbolic link ${p}: ${isAbsent(err) ? 'its target does not exist' : reasonOf(err)}` });
            continue;
          }
          if (!within(realRoot(), target)) {
            problems.push({ path: p, directory: isDir, reason: 'symlink-outside', message: `${p} is a symbolic link to ${target}, outside the project: refusing to read it` });
            continue;
          }
          if (!isDir) files.push(p);
          else if (!chain.has(target)) {
            // a link to one of its own ancestors would list forever: its files are listed through the real path
            dirs.add(p);
            walk(p, target, new Set([...chain, target]));
          }
        }
      }
    };
    try {
      walk('', realRoot(), new Set([realRoot()]));
    } catch (e) {
      problems.push({ path: '.', directory: true, message: `cannot read the project directory: ${reasonOf(e)}` });
    }
    files.sort();
    return { files, problems, dirs };
  };

  return {
    describe: root,
    async list(exclude: string[] = []) {
      return (await scan(exclude)).files;
    },
    scan,
    async kind(rel) {
      try {
        const real = realOf(rel);
        if (real === undefined) return undefined;
        return statSync(real).isDirectory() ? 'dir' : 'file';
      } catch (e) {
        if (e instanceof UnreadableError) throw e;
        return undefined;
      }
    },
    async read(rel) {
      const plain = readPlain(rel);
      if (plain) return plain;
      const real = realOf(rel);
      if (real === undefined) return undefined;
      // Small files: a synchronous read is several times faster than the promise API.
      try {
        return readFileSync(real);
      } catch (e) {
        if (isAbsent(e)) return undefined;
        throw new UnreadableError(rel, reasonOf(e));
      }
    },
  };
}
