import { describe, expect, it } from 'vitest';
import { contentHash, contentHashOf, crc32, crc32DirectAgrees, digestOf, sha256Base64, sha256Hex } from '../src/core/hash.js';

const abc = new TextEncoder().encode('abc');

describe('core/hash: the one hashing module (known vectors: these bytes reach lock files, branch names, S3 and registries)', () => {
  it.each([
    ['contentHash', contentHash('abc'), 'qZk-NkcGgWq6PiVxeFDCbJzQ2J0'],
    ['contentHash of bytes', contentHash(abc), 'qZk-NkcGgWq6PiVxeFDCbJzQ2J0'],
    ['contentHashOf parts = contentHash of their concatenation', contentHashOf(['a', new TextEncoder().encode('b'), 'c']), 'qZk-NkcGgWq6PiVxeFDCbJzQ2J0'],
    ['sha256Hex', sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['sha256Base64 (CodeSha256)', sha256Base64(abc), 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='],
    ['digestOf sha256', digestOf(abc, 'sha256'), 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['digestOf sha512', digestOf(abc, 'sha512').slice(0, 23), 'sha512:ddaf35a193617aba'],
    // CRC-32's check value (zlib's, as gzip and zip compute it), and 8 hex digits always
    ['crc32', crc32(new TextEncoder().encode('123456789')), 'cbf43926'],
    ['crc32 of nothing', crc32(new Uint8Array(0)), '00000000'],
    ['crc32 with a leading zero digit', crc32(new TextEncoder().encode('33')), '0a6216d9'],
    ['crc32 from zlib\'s binding', crc32(new TextEncoder().encode('123456789'), true), 'cbf43926'],
  ])('%s', (_name, got, want) => {
    expect(got).toBe(want);
  });
});

describe('core/hash: crc32 from zlib\'s binding (what a code cache\'s header records as `direct`)', () => {
  it('gives node:zlib\'s answers on this Node, for bytes of any length and offset', () => {
    expect(crc32DirectAgrees()).toBe(true);
    const zlib = process.getBuiltinModule('node:zlib');
    const big = new Uint8Array(100_003).map((_, i) => (i * 131 + 7) & 255);
    for (const bytes of [big, big.subarray(1, 99_999), Buffer.from(big.buffer, 5, 1000)]) {
      expect(crc32(bytes, true)).toBe((zlib.crc32(bytes) >>> 0).toString(16).padStart(8, '0'));
      expect(crc32(bytes, true)).toBe(crc32(bytes));
    }
  });
});
