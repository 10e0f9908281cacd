import type * as Crypto from 'node:crypto';
import { nodeBinding } from './binding.js';

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

type Crc32 = (data: Uint8Array, value: number) => number;
let zlibCrc32: Crc32 | undefined;
let bindingCrc32: Crc32 | null | undefined;

/** The function node:zlib's crc32 calls, from zlib's binding (`nodeBinding`). */
function zlibBindingCrc32(): Crc32 | null {
  if (bindingCrc32 === undefined) {
    const f = nodeBinding('zlib')?.crc32;
    bindingCrc32 = typeof f === 'function' ? (f as Crc32) : null;
  }
  return bindingCrc32;
}

/**
 * zlib's CRC-32 of some bytes, 8 hex digits. Not a content hash: the check that bytes are whole
 * and the very ones expected, as gzip and zip check theirs (a V8 code cache against the source it
 * was made of, src/host/code-cache.ts, where loading node:crypto for a hash would cost more than
 * the cache saves). `direct` takes it from zlib's binding, without loading node:zlib (and with
 * it Node's stream modules, about 2 ms of a start-up): only on a Node whose binding
 * `crc32DirectAgrees` found to give node:zlib's answers (a code cache's header records it).
 */
export function crc32(content: Uint8Array, direct = false): string {
  const f = (direct ? zlibBindingCrc32() : null) ?? (zlibCrc32 ??= process.getBuiltinModule('node:zlib').crc32 as Crc32);
  return (f(content, 0) >>> 0).toString(16).padStart(8, '0');
}

/** Whether `crc32(bytes, true)` gives `crc32(bytes)` in this process (asked by the build, on the Node whose caches it writes). */
export function crc32DirectAgrees(): boolean {
  const samples = [new Uint8Array(0), new TextEncoder().encode('123456789'), new Uint8Array(4099).map((_, i) => (i * 31) & 255)];
  return zlibBindingCrc32() !== null && crc32(samples[1]!) === 'cbf43926' && samples.every((s) => crc32(s, true) === crc32(s));
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
