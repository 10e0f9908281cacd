/**
 * A project file that exists but cannot be read (permissions, a directory where a file should
 * be, a symbolic link that leaves the project or loops). Never the same as an absent file: an
 * unreadable input is reported as FILESYSTEM, never taken for a missing one.
 */
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

/** Read through a source: bytes, absent (neither), or the FILESYSTEM diagnostic of an unreadable file. */
export async function readInput(source: ProjectSource, rel: string): Promise<{ bytes?: Uint8Array; problem?: Diagnostic }> {
  try {
    return { bytes: await source.read(rel) };
  } catch (e) {
    if (e instanceof UnreadableError) return { problem: e.diagnostic() };
    throw e;
  }
}
