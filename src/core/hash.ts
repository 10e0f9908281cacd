import type * as Crypto from 'node:crypto';

let crypto: typeof Crypto | undefined;

/**
 * The one content hash of the code base (SHA-1, base64url): rendered files against files on
 * disk, cache keys and checksums. Not a security boundary: only equality is asked of it.
 * node:crypto is loaded on the first hash, so that an unchanged `render --check` (the start-up
 * fast path, src/cli/fast.ts), which hashes nothing, does not pay for loading it.
 */
export function contentHash(content: string | Uint8Array): string {
  crypto ??= process.getBuiltinModule('node:crypto');
  return crypto.createHash('sha1').update(content).digest('base64url');
}
