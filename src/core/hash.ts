import type * as Crypto from 'node:crypto';

let crypto: typeof Crypto | undefined;
/** node:crypto, loaded on the first hash: an unchanged `render --check` (src/cli/fast.ts) hashes nothing and does not pay for loading it. */
function createHash(alg: string): Crypto.Hash {
  crypto ??= process.getBuiltinModule('node:crypto');
  return crypto.createHash(alg);
}

/**
 * The one module that hashes (an architecture test keeps `createHash` out of every other file).
 *
 * `contentHash` is the content hash of the code base (SHA-1, base64url): rendered files against
 * files on disk, cache keys and checksums. Not a security boundary: only equality is asked of it.
 * The others are digests whose form a consumer fixes: OCI content digests, Lambda's CodeSha256,
 * the `sha256` template helper, and the short SHA-256 prefixes written in the lock and in branch
 * names (those bytes are contract: never change their algorithm or encoding).
 */
export function contentHash(content: string | Uint8Array): string {
  // the one-shot hash (Node >= 20.12) is several times faster than a Hash object for the small
  // inputs hashed by the thousand (rendered files, unit keys); same bytes
  crypto ??= process.getBuiltinModule('node:crypto');
  return crypto.hash('sha1', content, 'base64url');
}

/** `contentHash` of several parts in sequence, without joining them first (the same as hashing their concatenation). */
export function contentHashOf(parts: Iterable<string | Uint8Array>): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest('base64url');
}

/** Hex SHA-256 (of a string's UTF-8 bytes). */
export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Base64 SHA-256: AWS's checksum form (Lambda's CodeSha256, S3's x-amz-checksum-sha256). */
export function sha256Base64(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('base64');
}

/**
 * An OCI content digest, `<alg>:<hex>`, for `sha256` or `sha512` (the algorithm of the digest
 * it is compared with); an algorithm Node does not know throws.
 */
export function digestOf(content: Uint8Array, alg: string): string {
  return `${alg}:${createHash(alg).update(content).digest('hex')}`;
}

/**
 * Git's blob id of some bytes (SHA-1 of `blob <size>\0<bytes>`, hex): not a second content
 * hash, only how a git tree names content, so that bytes already in hand are recognised in a
 * tree without reading the blob.
 */
export function gitBlobId(content: Uint8Array): string {
  return gitObjectId('blob', content);
}

/** Git's id of an object of a SHA-1 repository (SHA-1 of `<type> <size>\0<bytes>`, hex), as `git hash-object -t <type>` names it. */
export function gitObjectId(type: 'blob' | 'tree' | 'commit', content: Uint8Array): string {
  return createHash('sha1').update(`${type} ${content.byteLength}\0`).update(content).digest('hex');
}
