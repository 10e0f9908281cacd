/**
 * The bytes of `.gitopsc/cache/rendered.pack` (src/build/pack.ts): written in batches of about a
 * megabyte, they must be exactly the records format (`<hash> <byte length>\n<bytes>`) whatever
 * the batching, with multi-byte UTF-8, records larger than a batch, and blobs kept from the pack
 * read before; and every blob reads back as it was saved.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contentHash } from '../src/core/hash.js';
import { openPack } from '../src/build/pack.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const project = () => {
  const d = mkdtempSync(join(tmpdir(), 'gitopsc-pack-'));
  dirs.push(d);
  return d;
};
const file = (root: string) => join(root, '.gitopsc/cache/rendered.pack');
const blob = (content: string) => ({ hash: contentHash(content), content });
/** The records format, built independently of the writer. */
const records = (blobs: readonly { hash: string; content: string }[]) => Buffer.concat(blobs.flatMap((b) => [Buffer.from(`${b.hash} ${Buffer.byteLength(b.content)}\n`), Buffer.from(b.content)]));
const live = (blobs: readonly { content: string }[]) => blobs.reduce((n, b) => n + Buffer.byteLength(b.content), 0);

describe('rendered.pack bytes', () => {
  // small, multi-byte (2, 3 and 4 bytes per character) and larger than one write batch
  const a = blob('kind: Deployment\nmetadata:\n  name: a\n');
  const b = blob('value: "é – 雪 🚀"\n'.repeat(3));
  const big = blob(`data: ${'ä'.repeat(700_000)}x\n`);
  const c = blob('kind: Service\n');
  const d = blob(`note: ${'z'.repeat(1_300_000)}\n`);

  it('a first save writes the header and every record, whatever the batching', async () => {
    const root = project();
    await openPack(root).save([a, b, big, { hash: a.hash, content: a.content }]);
    const want = Buffer.concat([Buffer.from(`gitopsc-pack 1 ${live([a, b, big])}\n`), records([a, b, big])]);
    expect(readFileSync(file(root)).equals(want)).toBe(true);
    const pack = openPack(root);
    for (const x of [a, b, big]) expect(pack.get(x.hash)).toBe(x.content);
  });

  it('an append adds this run\'s new records after the old ones', async () => {
    const root = project();
    await openPack(root).save([a, b]);
    // a and b were not rendered by this run (no content): only c is appended
    await openPack(root).save([{ hash: a.hash }, { hash: b.hash }, c]);
    const want = Buffer.concat([Buffer.from(`gitopsc-pack 1 ${live([a, b])}\n`), records([a, b, c])]);
    expect(readFileSync(file(root)).equals(want)).toBe(true);
  });

  it('a rewrite keeps the live blobs read from the pack, then this run\'s new ones', async () => {
    const root = project();
    await openPack(root).save([a, b, c]);
    const pack = openPack(root);
    expect(pack.get(b.hash)).toBe(b.content);
    // d is larger than twice the pack: the pack is written afresh with only the live blobs
    await pack.save([{ hash: b.hash }, { hash: a.hash }, d]);
    const want = Buffer.concat([Buffer.from(`gitopsc-pack 1 ${live([a, b, d])}\n`), records([a, b, d])]);
    expect(readFileSync(file(root)).equals(want)).toBe(true);
    const again = openPack(root);
    for (const x of [a, b, d]) expect(again.get(x.hash)).toBe(x.content);
    expect(again.get(c.hash)).toBeUndefined();
  });
});
