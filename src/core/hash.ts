import { createHash } from 'node:crypto';

/**
 * The one content hash of the code base (SHA-1, base64url): rendered files against files on
 * disk, cache keys and checksums. Not a security boundary: only equality is asked of it.
 */
export function contentHash(content: string | Uint8Array): string {
  return createHash('sha1').update(content).digest('base64url');
}

/**
 * Git's blob id of some bytes (SHA-1 of `blob <size>\0<bytes>`, hex): not a second content
 * hash, only how a git tree names content, so that bytes already in hand are recognised in a
 * tree without reading the blob.
 */
export function gitBlobId(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.byteLength}\0`).update(content).digest('hex');
}
