/**
 * The bytes of `.gitopsc/cache/rendered.pack` (src/build/pack.ts): written in batches of about a
 * megabyte, they must be exactly the records format (`<hash> <byte length>\n<bytes>`) whatever
 * the batching, with multi-byte UTF-8, records larger than a batch, and blobs kept from the pack
 * read before; and every blob reads back as it was saved.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
const idxFile = (root: string) => join(root, '.gitopsc/cache/rendered.idx');
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

  it('a rewrite keeps the live blobs read from the pack and this run\'s new ones, in the order the save names them', async () => {
    const root = project();
    await openPack(root).save([a, b, c]);
    const pack = openPack(root);
    expect(pack.get(b.hash)).toBe(b.content);
    // d is larger than twice the pack: the pack is written afresh with only the live blobs
    // (in the order a render asks for them: the order its save names them in)
    await pack.save([{ hash: b.hash }, d, { hash: a.hash }, { hash: b.hash }]);
    const want = Buffer.concat([Buffer.from(`gitopsc-pack 1 ${live([a, b, d])}\n`), records([b, d, a])]);
    expect(readFileSync(file(root)).equals(want)).toBe(true);
    const again = openPack(root);
    for (const x of [a, b, d]) expect(again.get(x.hash)).toBe(x.content);
    expect(again.get(c.hash)).toBeUndefined();
    const idx = indexOf(root, [b, d, a]);
    expect(readFileSync(idxFile(root), 'latin1')).toBe(idx.text + idx.end);
  });

  /** The index format, built independently of the writer: each blob's offset in the pack bytes. */
  const indexOf = (root: string, blobs: readonly { hash: string; content: string }[]) => {
    const pack = readFileSync(file(root));
    const st = statSync(file(root));
    let at = pack.indexOf(10) + 1;
    let text = 'gitopsc-pack-index 1\n';
    for (const b of blobs) {
      const head = `${b.hash} ${Buffer.byteLength(b.content)}\n`;
      expect(pack.toString('latin1', at, at + head.length)).toBe(head);
      text += `${b.hash} ${at + head.length} ${Buffer.byteLength(b.content)}\n`;
      at += head.length + Buffer.byteLength(b.content);
    }
    return { text, end: `= ${st.size} ${st.ino}\n` };
  };

  it('rendered.idx names every blob by offset, and grows with an append', async () => {
    const root = project();
    await openPack(root).save([a, b]);
    const first = indexOf(root, [a, b]);
    expect(readFileSync(idxFile(root), 'latin1')).toBe(first.text + first.end);
    // an append read nothing whole: its records and the pack's new size follow
    const pack = openPack(root);
    expect(pack.get(a.hash)).toBe(a.content);
    await pack.save([a, { hash: b.hash }, c]);
    const second = indexOf(root, [a, b, c]);
    expect(readFileSync(idxFile(root), 'latin1')).toBe(first.text + first.end + second.text.slice(first.text.length) + second.end);
    for (const x of [a, b, c]) expect(openPack(root).get(x.hash)).toBe(x.content);
  });

  it('a blob read by offset is not appended again', async () => {
    const root = project();
    await openPack(root).save([a, b]);
    const before = readFileSync(file(root));
    const pack = openPack(root);
    expect(pack.get(b.hash)).toBe(b.content);
    // b's bytes came from the pack: the save has nothing new to keep
    await pack.save([{ hash: a.hash }, b]);
    expect(readFileSync(file(root)).equals(before)).toBe(true);
  });

  it('an index that is wrong, stale or damaged only costs a read of the whole pack', async () => {
    const root = project();
    await openPack(root).save([a, b, c]);
    const good = readFileSync(idxFile(root), 'latin1');
    const swapped = good.replace(a.hash, 'X'.repeat(27)).replace(b.hash, a.hash).replace('X'.repeat(27), b.hash);
    const cases: [string, string][] = [
      ['offsets of other blobs', swapped],
      ['another pack size', good.replace(/= (\d+) /, (_, n: string) => `= ${Number(n) + 1} `)],
      ['torn', good.slice(0, good.length - 5)],
      ['foreign', `not an index\n${good.slice(good.indexOf('\n') + 1)}`],
      ['empty', ''],
    ];
    for (const [name, text] of cases) {
      writeFileSync(idxFile(root), text, 'latin1');
      const pack = openPack(root);
      for (const x of [a, b, c]) expect(pack.get(x.hash), name).toBe(x.content);
    }
    // a pack changed in place with the same size: its bytes do not check, whatever the index says
    writeFileSync(idxFile(root), good, 'latin1');
    const bytes = readFileSync(file(root), 'latin1');
    writeFileSync(file(root), bytes.replace('name: a', 'name: z'), 'latin1');
    expect(openPack(root).get(a.hash)).toBeUndefined();
    expect(openPack(root).get(b.hash)).toBe(b.content);
  });

  it('a whole read of a pack without a usable index writes the index', async () => {
    const root = project();
    await openPack(root).save([a, b]);
    rmSync(idxFile(root));
    const pack = openPack(root);
    expect(pack.get(a.hash)).toBe(a.content);
    await pack.save([{ hash: a.hash }, { hash: b.hash }]);
    const want = indexOf(root, [a, b]);
    expect(readFileSync(idxFile(root), 'latin1')).toBe(want.text + want.end);
  });

  it('bytes gives the UTF-8 bytes as kept (by offset, or from the whole pack once many are expected), checked; a save does not append them again', async () => {
    const root = project();
    await openPack(root).save([a, b, big]);
    const before = readFileSync(file(root));
    for (const many of [false, true]) {
      const pack = openPack(root);
      if (many) pack.expect(1000);
      else pack.expect(2);
      for (const x of [a, b, big]) expect(pack.bytes(x.hash)?.equals(Buffer.from(x.content, 'utf8')), `${x.hash} many=${many}`).toBe(true);
      expect(pack.bytes(c.hash)).toBeUndefined();
      await pack.save([a, { hash: b.hash, content: pack.bytes(b.hash)! }, { hash: big.hash, content: pack.bytes(big.hash)! }]);
      expect(readFileSync(file(root)).equals(before), `many=${many}`).toBe(true);
    }
    // bytes that do not check are not given, whichever way they are read
    writeFileSync(file(root), readFileSync(file(root), 'latin1').replace('name: a', 'name: z'), 'latin1');
    for (const many of [false, true]) {
      const pack = openPack(root);
      pack.expect(many ? 1000 : 1);
      expect(pack.bytes(a.hash)).toBeUndefined();
      expect(pack.bytes(b.hash)?.toString('utf8')).toBe(b.content);
    }
  });

  it('a pack read whole gives a blob appended later, asked out of order, then the others in order; with a wrong or no index too', async () => {
    const root = project();
    const between = Array.from({ length: 12 }, (_, i) => blob(`filler: ${i}\n`));
    await openPack(root).save([...between, a, b]);
    await openPack(root).save([...[...between, a, b].map((x) => ({ hash: x.hash })), c]);
    const good = readFileSync(idxFile(root), 'latin1');
    const swapped = good.replace(c.hash, 'X'.repeat(27)).replace(a.hash, c.hash).replace('X'.repeat(27), a.hash);
    for (const [name, idx] of [['index', good], ['wrong index', swapped], ['no index', undefined]] as const) {
      if (idx === undefined) rmSync(idxFile(root), { force: true });
      else writeFileSync(idxFile(root), idx, 'latin1');
      const pack = openPack(root);
      pack.expect(1000);
      for (const x of [c, ...between, a, c, b]) expect(pack.bytes(x.hash)?.toString('utf8'), `${name}: ${x.content.slice(0, 12)}`).toBe(x.content);
      expect(pack.bytes(blob('absent\n').hash), name).toBeUndefined();
    }
  });

  it('a pack read whole gives every blob in any order asked, past stale records and beyond the look-ahead, checked', async () => {
    const root = project();
    // twelve blobs between a and c (more than the reader looks ahead), then a, b, big and c
    const between = Array.from({ length: 12 }, (_, i) => blob(`filler: ${i}\n`));
    await openPack(root).save([...between, a, b, big, c]);
    const all = [...between, a, b, big, c];
    const orders: [string, typeof all][] = [
      ['written', all],
      ['reversed', [...all].reverse()],
      ['skipping', [a, c, between[3]!, big, b]],
      ['one past the look-ahead', [between[0]!, c, between[1]!]],
    ];
    for (const [name, order] of orders) {
      const pack = openPack(root);
      pack.expect(1000);
      for (const x of order) expect(pack.bytes(x.hash)?.toString('utf8'), `${name}: ${x.content.slice(0, 12)}`).toBe(x.content);
      expect(pack.bytes(blob('absent\n').hash), name).toBeUndefined();
    }
  });
});
