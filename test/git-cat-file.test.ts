/**
 * One `git cat-file --batch` per repository (src/git/cat-file.ts): blobs come back whole and in
 * order, also a blob far larger than a pipe's chunk between small ones, and a missing object
 * rejects only its own read.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CatFile } from '../src/git/cat-file.js';
import { cleanGitEnv } from '../src/git/env.js';
import { git, isolateGit, makeRepo } from './helpers/git.js';

beforeAll(() => isolateGit());

describe('CatFile', () => {
  it('reads large and small blobs, interleaved, byte for byte', async () => {
    const big = randomBytes(768 * 1024 + 17).toString('base64'); // ~1 MB: many pipe chunks
    const repo = makeRepo({ 'big.txt': big, 'a.txt': 'a\n', 'b.txt': '' });
    const oid = (p: string) => git(repo, 'rev-parse', `HEAD:${p}`).trim();
    const cat = new CatFile(repo, cleanGitEnv(process.env));
    const dec = new TextDecoder();
    const reads = [oid('a.txt'), oid('big.txt'), oid('b.txt'), oid('big.txt'), oid('a.txt')].map((o) => cat.blob(o));
    const missing = cat.blob('0'.repeat(40));
    const [a, b1, empty, b2, a2] = await Promise.all(reads);
    await expect(missing).rejects.toThrow(/missing/);
    expect([dec.decode(a), dec.decode(empty), dec.decode(a2)]).toEqual(['a\n', '', 'a\n']);
    expect(dec.decode(b1) === big && dec.decode(b2) === big).toBe(true);
    // after the missing object, the process still answers
    expect(dec.decode(await cat.blob(oid('big.txt'))) === big).toBe(true);
    const fresh = new CatFile(repo, cleanGitEnv(process.env));
    const again = await Promise.all([fresh.blob(oid('big.txt')), fresh.blob(oid('a.txt'))]);
    expect(dec.decode(again[0]) === big).toBe(true);
    expect(dec.decode(again[1])).toBe('a\n');
    cat.close();
    fresh.close();
  });

  it('reads a blob by name (rev:path) and knows it by its id after; a missing name with spaces rejects only its own read', async () => {
    const repo = makeRepo({ 'my dir/a b.txt': 'spaced\n', 'c.txt': 'c\n' });
    const cat = new CatFile(repo, cleanGitEnv(process.env));
    const dec = new TextDecoder();
    const [byName, missing, after] = [cat.blob('HEAD:my dir/a b.txt'), cat.blob('HEAD:my dir/no such file'), cat.blob('HEAD:c.txt')];
    expect(dec.decode(await byName)).toBe('spaced\n');
    await expect(missing).rejects.toThrow(/missing/);
    expect(dec.decode(await after)).toBe('c\n');
    cat.close();
    // the id's read is answered from the cache: the process is closed and not started again
    expect(dec.decode(await cat.blob(git(repo, 'rev-parse', 'HEAD:my dir/a b.txt').trim()))).toBe('spaced\n');
  });
});
