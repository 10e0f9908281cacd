/**
 * A project file that exists but cannot be read (permissions, a directory where a file should
 * be, a symbolic link that leaves the project or loops). Never the same as an absent file: an
 * unreadable input is reported as FILESYSTEM, never taken for a missing one.
 */
import { lstatSync, statSync, type Stats } from 'node:fs';
import { error, type Diagnostic } from '../core/diagnostics.js';
import type { ReasonFor } from '../core/reasons.js';
import type { ProjectSource } from '../core/types.js';

export class UnreadableError extends Error {
  constructor(
    /** project-relative, `/`-separated */
    readonly file: string,
    readonly reason: string,
    /** the FILESYSTEM reason id */
    readonly kind: ReasonFor<'FILESYSTEM'> = 'unreadable',
  ) {
    super(`cannot read ${file}: ${reason}`);
  }

  diagnostic(): Diagnostic {
    return error('FILESYSTEM', this.message, { file: this.file, reason: this.kind });
  }
}

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

/** Read through a source: bytes, absent (neither), or the FILESYSTEM diagnostic of an unreadable file. */
export async function readInput(source: ProjectSource, rel: string): Promise<{ bytes?: Uint8Array; problem?: Diagnostic }> {
  try {
    return { bytes: await source.read(rel) };
  } catch (e) {
    if (e instanceof UnreadableError) return { problem: e.diagnostic() };
    throw e;
  }
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
