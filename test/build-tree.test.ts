/** The git-tree OutputTree (src/build/tree.ts) and reads of a base revision that reuse bytes in hand: real git. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitOutputTree } from '../src/build/tree.js';
import { contentHash } from '../src/core/hash.js';
import { cleanGitEnv } from '../src/git/env.js';
import { gitSource } from '../src/git/source.js';
import { recallBlob, rememberBlob } from '../src/git/tree.js';
import { git, isolateGit } from './helpers/git.js';
import { makeProject } from './helpers/project.js';

function repo(files: Record<string, string>): { dir: string; commit: string } {
  isolateGit();
  const dir = makeProject(files);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@x', 'commit', '-qm', 'one');
  return { dir, commit: git(dir, 'rev-parse', 'HEAD').trim() };
}

describe('gitOutputTree', () => {
  it('hashes every file below the directory with the one content hash, and a blob-id memo spares reading them again', async () => {
    const files = { 'out/dev/a/deployment.yaml': 'kind: Deployment\n', 'out/dev/b/service.yaml': 'kind: Service\n', 'out/.gitopsc-owned': '# record\n', 'other.txt': 'x\n' };
    const { dir, commit } = repo(files);
    const memo = new Map<string, unknown>();
    const tree = await gitOutputTree(dir, commit, 'out', process.env, { get: (k) => memo.get(k), set: (k, v) => memo.set(k, v) });
    const h = await tree.hashes();
    expect('files' in h && [...h.files].sort()).toEqual(
      Object.entries(files)
        .filter(([p]) => p.startsWith('out/'))
        .map(([p, c]) => [p.slice(4), contentHash(c)])
        .sort(),
    );
    expect(await tree.read('dev/a/deployment.yaml')).toBe('kind: Deployment\n');
    expect(await tree.read('nope.yaml')).toBeUndefined();
    expect(memo.size).toBe(3);
    // a memo entry is believed: the blob is not read (a wrong entry shows through)
    for (const k of memo.keys()) memo.set(k, 'memo');
    const again = await (await gitOutputTree(dir, commit, 'out', process.env, { get: (k) => memo.get(k), set: (k, v) => memo.set(k, v) })).hashes();
    expect('files' in again && [...again.files.values()]).toEqual(['memo', 'memo', 'memo']);
    const empty = await (await gitOutputTree(dir, undefined, 'out', process.env)).hashes();
    expect('files' in empty && empty.files.size).toBe(0);
  });

  it('the blob memo is set only with a pair it does not hold (a publish of known blobs leaves blobs.json unwritten)', () => {
    const memo = new Map<string, unknown>();
    const sets: string[] = [];
    const m = { get: (k: string) => memo.get(k), set: (k: string, v: string) => (sets.push(k), memo.set(k, v)) };
    const oid = 'a'.repeat(40);
    for (const [hash, set] of [
      ['h1', true], // new
      ['h1', false], // held already
      ['h2', true], // a different hash for the same blob: corrected
      ['h2', false],
    ] as const) {
      const before = sets.length;
      rememberBlob(m, oid, hash);
      expect([hash, sets.length - before]).toEqual([hash, set ? 1 : 0]);
      expect(recallBlob(m, oid)).toBe(hash);
    }
    rememberBlob(undefined, oid, 'h3'); // no memo: nothing
  });

  it('a base revision reads bytes in hand when their blob id matches, and git otherwise', async () => {
    const { dir, commit } = repo({ 'p/a.yaml': 'a: 1\n', 'p/b.yaml': 'b: 1\n' });
    writeFileSync(join(dir, 'p/b.yaml'), 'b: 2\n');
    const inHand = new Map([
      ['a.yaml', new TextEncoder().encode('a: 1\n')],
      ['b.yaml', new TextEncoder().encode('b: 2\n')],
    ]);
    const src = await gitSource(dir, commit, 'p', { env: cleanGitEnv(process.env), resolved: true, known: (rel) => inHand.get(rel) });
    const [a, b] = await Promise.all([src.read('a.yaml'), src.read('b.yaml')]);
    expect(a).toBe(inHand.get('a.yaml')); // the same bytes object: not read from git
    expect(new TextDecoder().decode(b)).toBe('b: 1\n'); // differs: the blob
  });
});
