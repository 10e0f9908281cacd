/**
 * The file system door (host): errno classification, stat that tells absent from unreadable,
 * the symlink-escape check and atomic file writes. Library code gets the file system through
 * these functions or a `ProjectSource`, never by importing node:fs itself.
 */
import { accessSync, constants, existsSync, lstatSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, type Stats } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { processAlive } from './process.js';

const STALE_TMP = /^\..*\.gitopsc-(\d+)-\d+\.tmp$/;

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
};

/** A short, path-free reason for a file system error (the path is shown by the caller). */
export function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && REASONS[code]) return `${REASONS[code]} (${code})`;
  if (code) return code;
  return e instanceof Error ? e.message : String(e);
}

/** Absent files: the path, or one of its parents, does not exist as a directory. */
export function isAbsent(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** lstat, or undefined when the path (or a parent) does not exist. */
export function lstatOrAbsent(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    if (isAbsent(e)) return undefined;
    throw e;
  }
}

/** stat (following links), or undefined when the path (or a parent, or a link's target) does not exist. */
export function statOrAbsent(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch (e) {
    if (isAbsent(e)) return undefined;
    throw e;
  }
}

let counter = 0;
export function tmpName(target: string): string {
  return join(dirname(target), `.${target.split(sep).pop()}.gitopsc-${process.pid}-${++counter}.tmp`);
}

/**
 * The first existing path from `target` up whose real location is outside the project `root`
 * (a symbolic link leading out), or undefined when a write to `target` stays inside.
 */
export function escapingPath(root: string, target: string): string | undefined {
  let realRoot: string;
  try {
    realRoot = realpathSync.native(root);
  } catch {
    return undefined;
  }
  const r = relative(resolve(root), resolve(target));
  if (r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)) return undefined; // not a project path: the caller's choice
  let cur = resolve(target);
  for (;;) {
    let real: string | undefined;
    try {
      real = realpathSync.native(cur);
    } catch {
      const st = lstatOrAbsent(cur);
      if (st?.isSymbolicLink()) return cur; // dangling: it would be created wherever it points
    }
    if (real !== undefined) return real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep) ? undefined : cur;
    const up = dirname(cur);
    if (up === cur) return undefined;
    cur = up;
  }
}

/**
 * Removes `.<name>.gitopsc-<pid>-<n>.tmp` files left in `dir` by runs that were killed, and the
 * directories of that name a first render writes before renaming them into place (applyPlan).
 */
export function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = STALE_TMP.exec(n);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) rmSync(join(dir, n), { recursive: true, force: true });
  }
}

/** Write a file by temp file + rename: readers see the old or the new bytes, never a part. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  removeStaleTemps(dirname(file));
  const tmp = tmpName(file);
  try {
    await writeFile(tmp, content, { flag: 'wx' });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Whether a path exists (following links); an unreadable parent counts as absent. */
export function pathExists(p: string): boolean {
  return existsSync(p);
}

/** Whether this process may read the file (`access(R_OK)`); throws the errno error when not. */
export function assertReadable(p: string): void {
  accessSync(p, constants.R_OK);
}

/** The canonical path (links resolved); throws when it does not exist. */
export function realPath(p: string): string {
  return realpathSync(p);
}

export function readText(p: string): string {
  return readFileSync(p, 'utf8');
}
