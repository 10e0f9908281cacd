import { createHash } from 'node:crypto';

/**
 * The one content hash of the code base (SHA-1, base64url): rendered files against files on
 * disk, cache keys and checksums. Not a security boundary: only equality is asked of it.
 */
export function contentHash(content: string | Uint8Array): string {
  return createHash('sha1').update(content).digest('base64url');
}
