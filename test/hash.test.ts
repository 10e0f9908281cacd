import { describe, expect, it } from 'vitest';
import { contentHash, contentHashOf, digestOf, sha256Base64, sha256Hex } from '../src/core/hash.js';

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
  ])('%s', (_name, got, want) => {
    expect(got).toBe(want);
  });
});
