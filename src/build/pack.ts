/**
 * The store of rendered bytes by content hash, `.gitopsc/cache/rendered.pack` (host side). The
 * unit cache (unit-memo.ts) knows which files, by content hash, a unit's exact inputs render
 * to; this store keeps those bytes, so that a render whose output directory was deleted (a
 * fresh clone with caches restored, `rm -rf rendered/`) writes the files without rendering the
 * units again.
 *
 * Format: a first line `gitopsc-pack 1 <bytes of blobs when written whole>`, then records
 * `<content hash> <byte length>\n<bytes>`, appended in one write per run; once the file has
 * grown past twice its size when last written whole, it is rewritten atomically with only the
 * files of the current output. Every blob is checked against its content hash when read: a torn append, a
 * truncated or edited file only makes the units whose bytes do not check render again (a cache
 * never changes output).
 *
 * Beside it, `rendered.idx` says where each blob's bytes start in the pack, so that a render
 * that needs a few blobs (one service changed) reads just those, by offset, instead of the
 * whole pack: a first line `gitopsc-pack-index 1`, then `<content hash> <offset> <byte length>`
 * per record, and after each batch of records `= <pack size> <pack inode>`. The index is
 * believed only when its last line names the pack as it is (size and inode); else, when a blob
 * read by offset does not check, or once a run asks for many blobs, the pack is read whole as
 * before. Written after the pack, atomically: a crash between them leaves an index that names
 * another size, which is ignored.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { contentHash } from '../core/hash.js';
import { removeStaleTemps, tmpName } from '../host/fs.js';
import { cacheDirOf, cacheDirProblem, ensureCacheDir } from './store.js';

/** the first line: the format, then how many bytes of blobs the pack held when it was last written whole */
const HEADER = /^gitopsc-pack 1 (\d{1,15})$/;
const header = (live: number) => `gitopsc-pack 1 ${live}\n`;
/** a pack is rewritten (compacted) when it is larger than this times the bytes in use when it was last written whole */
const SLACK = 2;
/** beyond this many bytes of output, no pack is kept */
const MAX_BYTES = 128 * 1024 * 1024;

export interface RenderedPack {
  /** the content with this hash, checked; undefined when not stored (or damaged) */
  get(hash: string): string | undefined;
  /**
   * `get`'s bytes as kept (UTF-8, checked against the hash), not decoded: a render writes them
   * as they are. A view of the pack read whole, or of the blob's own read.
   */
  bytes(hash: string): Buffer | undefined;
  /**
   * The caller is about to ask for at least `blobs` blobs: more than a few (a render whose
   * output was deleted) and the pack is read whole at once, not blob by blob through the index
   * first.
   */
  expect(blobs: number): void;
  /**
   * Keep the bytes of the output a successful render left: `files` is every output file by
   * hash, with its content when this run has it (bytes are ones `bytes` gave: already kept). New blobs are appended (without reading the
   * pack when nothing was read from it); once the pack has grown past twice what it held when
   * last written whole, it is rewritten with only the blobs still in the output.
   */
  save(files: readonly { hash: string; content?: string | Uint8Array }[]): Promise<void>;
}

/** The header line's live-bytes figure, or undefined when `head` does not start a pack. */
function liveOf(head: string): number | undefined {
  const nl = head.indexOf('\n');
  const m = nl > 0 ? HEADER.exec(head.slice(0, nl)) : null;
  return m ? Number(m[1]) : undefined;
}

const IDX_HEAD = 'gitopsc-pack-index 1\n';
/** the last line of an index: the pack it describes, by size and inode */
const IDX_END = /^= (\d{1,15}) (\d{1,20})$/;
/** a run that asks for more blobs than this reads the pack whole (a render whose output was deleted asks for all) */
const BY_OFFSET = 64;

/** The pack an index's last line names, or undefined when `idx` is no whole index. */
function idxEnd(idx: Buffer): { size: number; ino: number } | undefined {
  if (idx.length < IDX_HEAD.length + 4 || idx.toString('latin1', 0, IDX_HEAD.length) !== IDX_HEAD || idx[idx.length - 1] !== 10) return undefined;
  const start = idx.lastIndexOf(10, idx.length - 2) + 1;
  const m = IDX_END.exec(idx.toString('latin1', start, idx.length - 1));
  return m ? { size: Number(m[1]), ino: Number(m[2]) } : undefined;
}

/**
 * The index lines of records written from byte `start` on in the records format (`<hash>
 * <length>\n<bytes>`), and where they end. (Index loops and one join: this runs once per
 * blob of a render that writes the pack afresh, in code that is mostly not optimised yet.)
 */
function indexLines(start: number, records: readonly (readonly [string, number])[]): { text: string; end: number } {
  const lines = new Array<string>(records.length);
  let at = start;
  for (let i = 0; i < records.length; i++) {
    const hash = records[i]![0];
    const len = String(records[i]![1]);
    // the record's first line is `<hash> <length>\n`
    const from = at + hash.length + len.length + 2;
    lines[i] = `${hash} ${from} ${len}\n`;
    at = from + records[i]![1];
  }
  return { text: lines.join(''), end: at };
}

export function openPack(root: string): RenderedPack {
  const file = join(cacheDirOf(root), 'rendered.pack');
  const refused = cacheDirProblem(root) !== undefined;
  let buf: Buffer | undefined;
  /** the live-bytes figure of the pack's header: undefined when the file is no pack of this format (appending to it would be lost) */
  let written: number | undefined;
  let index: Map<string, [number, number]> | undefined;
  /** the records end before the file does (a torn append): what is appended after them could not be read */
  let torn = false;
  const idxFile = join(cacheDirOf(root), 'rendered.idx');
  /** the index as read, when it names the pack as it is (null: none, or of another pack) */
  let idx: Buffer | null | undefined;
  /** blobs asked for by offset */
  let asked = 0;
  /** blobs of the pack read whole that were not where the cursor was, found by the index on disk */
  let strays = 0;
  /** blobs given out of the pack by offset: already in it, never appended again */
  const served = new Set<string>();
  const openIdx = (): Buffer | null => {
    if (idx !== undefined) return idx;
    idx = null;
    try {
      if (refused) return idx;
      const b = readFileSync(idxFile);
      const end = idxEnd(b);
      const st = statSync(file, { throwIfNoEntry: false });
      if (end && st && st.size === end.size && st.ino === end.ino) idx = b;
    } catch {
      /* absent or unreadable: the pack is read whole */
    }
    return idx;
  };
  /** Where the index says a blob is: [offset, length]; null when a usable index has no such blob; undefined without a usable index. */
  const offsetOf = (hash: string): [number, number] | null | undefined => {
    const b = openIdx();
    if (!b) return undefined;
    const at = b.indexOf(`\n${hash} `, 0, 'latin1');
    if (at < 0) return null;
    const from = at + hash.length + 2;
    const nl = b.indexOf(10, from);
    const m = /^(\d{1,15}) (\d{1,15})$/.exec(b.toString('latin1', from, nl < 0 ? from : nl));
    return m ? [Number(m[1]), Number(m[2])] : undefined;
  };
  /** `len` bytes of the pack from `offset`, undefined when they cannot be read whole */
  const readAt = (offset: number, len: number): Buffer | undefined => {
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      const out = Buffer.allocUnsafe(len);
      let n = 0;
      while (n < len) {
        const got = readSync(fd, out, n, len - n, offset + n);
        if (got === 0) return undefined;
        n += got;
      }
      return out;
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
  /**
   * Write the index of the pack as it now is: `lines` after the index read (`append`, when it
   * named the pack as it was before this run's append), or the whole index (`lines` of every
   * record). Only when the pack's size is the one the records end at; a failure leaves an index
   * that names another pack, which is not believed.
   */
  const writeIdx = (lines: { text: string; end: number }, append: boolean): void => {
    try {
      const st = statSync(file);
      if (st.size !== lines.end) return;
      const tail = `${lines.text}= ${st.size} ${st.ino}\n`;
      if (append) writeFileSync(idxFile, tail, { flag: 'a' });
      else {
        const tmp = tmpName(idxFile);
        try {
          writeFileSync(tmp, IDX_HEAD + tail, { flag: 'wx' });
          renameSync(tmp, idxFile);
        } finally {
          rmSync(tmp, { force: true });
        }
      }
    } catch {
      /* a cache that cannot be written only costs time */
    }
  };
  /** The index of every record of the pack read whole, when the index on disk does not name it. */
  const indexWhole = (): void => {
    if (!index || !buf || torn || written === undefined || openIdx()) return;
    let text = '';
    for (const [hash, [start, len]] of index) text += `${hash} ${start} ${len}\n`;
    writeIdx({ text, end: buf.length }, false);
  };
  /** whether the pack was read whole (buf, written and cursor set) */
  let read = false;
  /** where the next record starts in `buf`: a run asks for blobs mostly in the order they were written */
  let cursor = 0;
  /** The pack's bytes, read whole once (undefined: absent or unreadable). */
  const readPack = (): Buffer | undefined => {
    if (read) return buf;
    read = true;
    try {
      if (refused) return undefined;
      buf = readFileSync(file);
    } catch {
      return undefined; // absent or unreadable: empty
    }
    written = liveOf(buf.toString('latin1', 0, Math.min(buf.length, 64)));
    cursor = written === undefined ? buf.length : buf.indexOf(10) + 1;
    return buf;
  };
  const load = (): Map<string, [number, number]> => {
    if (index) return index;
    index = new Map();
    const b = readPack();
    if (!b || written === undefined) return index;
    let p = b.indexOf(10) + 1;
    // (a torn record ends the pack)
    for (let r = headerAt(b, p); r; r = headerAt(b, p)) {
      index.set(r[0], [r[1], r[2]]);
      p = r[1] + r[2];
    }
    torn = p < b.length;
    return index;
  };
  /** The record at `p` (`<hash> <length>\n` and its bytes): its hash, where its bytes start and their length; undefined when there is no whole record there. */
  const headerAt = (b: Buffer, p: number): [string, number, number] | undefined => {
    if (p >= b.length) return undefined;
    const nl = b.indexOf(10, p);
    if (nl < 0 || nl - p > 64) return undefined;
    const head = b.toString('latin1', p, nl);
    const sp = head.indexOf(' ');
    const len = Number(head.slice(sp + 1));
    return sp <= 0 || !Number.isInteger(len) || len < 0 || nl + 1 + len > b.length ? undefined : [head.slice(0, sp), nl + 1, len];
  };
  /**
   * The record at `p` when it is the one of `hash` (its header `<hash> <length>\n` read byte by
   * byte, no string made): where its bytes start and end; undefined when it is another's, or no
   * whole record; null past the last record.
   */
  const recordAt = (b: Buffer, p: number, hash: string): [number, number] | undefined | null => {
    if (p >= b.length) return null;
    const h = hash.length;
    if (h === 0 || p + h + 2 > b.length || b[p + h] !== 32) return undefined;
    for (let j = 0; j < h; j++) if (b[p + j] !== hash.charCodeAt(j)) return undefined;
    let q = p + h + 1;
    let len = 0;
    const first = q;
    for (; q < b.length && b[q] !== 10; q++) {
      const d = b[q]! - 48;
      if (d < 0 || d > 9 || q - first >= 15) return undefined;
      len = len * 10 + d;
    }
    return q === first || q >= b.length || q + 1 + len > b.length ? undefined : [q + 1, q + 1 + len];
  };
  /** records a blob asked for may be past the cursor (stale records of units rendered again) */
  const LOOKAHEAD = 8;
  /**
   * A blob found from the cursor on (the pack read whole, no index built: the common order of a
   * render whose output was deleted), its bytes checked; undefined when it is not there.
   */
  const next = (hash: string): Buffer | undefined => {
    const b = readPack();
    if (!b || written === undefined || index) return undefined;
    let p = cursor;
    for (let k = 0; k < LOOKAHEAD; k++) {
      const at = recordAt(b, p, hash);
      if (at === null) return undefined;
      if (at) {
        const got = b.subarray(at[0], at[1]);
        if (contentHash(got) !== hash) return undefined;
        cursor = at[1];
        served.add(hash);
        return got;
      }
      const r = headerAt(b, p);
      if (!r) return undefined;
      p = r[1] + r[2];
    }
    return undefined;
  };
  /** The header's figure and the file's size, reading only the first line. */
  const peek = (): { written?: number; size: number } => {
    let fd: number | undefined;
    try {
      if (refused) return { size: 0 };
      fd = openSync(file, 'r');
      const head = Buffer.alloc(64);
      const n = readSync(fd, head, 0, 64, 0);
      return { written: liveOf(head.toString('latin1', 0, n)), size: fstatSync(fd).size };
    } catch {
      return { size: 0 };
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
  const bytes = (hash: string): Buffer | undefined => {
    if (!index && asked < BY_OFFSET) {
      asked++;
      const where = offsetOf(hash);
      if (where === null) return undefined;
      const got = where && readAt(where[0], where[1]);
      if (got && contentHash(got) === hash) {
        served.add(hash);
        return got;
      }
      // no usable index, or bytes that do not check: the pack read whole decides
    }
    const ahead = next(hash);
    if (ahead) return ahead;
    if (!index && strays < BY_OFFSET && buf && written !== undefined) {
      // out of the pack's order (appended by a later run, or kept once for two units): where
      // the index on disk says, while there are few such, instead of indexing the whole pack;
      // the cursor stays for the blobs in order after it
      strays++;
      const where = offsetOf(hash);
      if (where === null) return undefined;
      if (where && where[0] + where[1] <= buf.length) {
        const got = buf.subarray(where[0], where[0] + where[1]);
        if (contentHash(got) === hash) {
          served.add(hash);
          return got;
        }
      }
      // no usable index, or bytes that do not check: the pack indexed whole decides
    }
    const at = load().get(hash);
    if (!at || !buf) return undefined;
    // the hash of the bytes is the hash of the text they decode to (contentHash hashes a
    // string's UTF-8): checked before they are used
    const got = buf.subarray(at[0], at[0] + at[1]);
    return contentHash(got) === hash ? got : undefined;
  };
  return {
    bytes,
    get: (hash) => bytes(hash)?.toString('utf8'),
    expect(blobs) {
      if (blobs > BY_OFFSET) asked = BY_OFFSET;
    },
    async save(files) {
      if (refused) return;
      // this run's new blobs (what it rendered), once each; bytes were given by this pack: kept
      const fresh = new Map<string, string>();
      for (const f of files) if (typeof f.content === 'string' && !fresh.has(f.hash) && !served.has(f.hash)) fresh.set(f.hash, f.content);
      // each blob's byte length, counted once (a render with no pack writes 6,000 of them)
      const sizes = new Map<string, number>();
      const size: SizeOf = (h, c) => {
        let n = sizes.get(h);
        if (n === undefined) sizes.set(h, (n = Buffer.byteLength(c)));
        return n;
      };
      const bytesOf = (records: Iterable<[string, string]>) => {
        let n = 0;
        for (const [h, c] of records) {
          const len = size(h, c);
          n += `${h} ${len}\n`.length + len;
        }
        return n;
      };
      try {
        // a pack read whole (blobs taken in order, no index built) that no index on disk names:
        // its records are indexed now, so that the index is written below
        if (!index && read && buf && written !== undefined && !openIdx()) load();
        if (!index) {
          // nothing was read from the pack, or only blobs in its order (no index built): append
          // without reading it again, while it stays small
          if (fresh.size === 0) return;
          const { written: live, size: packSize } = peek();
          if (live !== undefined && packSize + bytesOf(fresh) <= SLACK * live + 1024 * 1024) {
            // (the index is read before the append: it must name the pack as it was)
            const before = openIdx();
            writeRecords(file, 'a', undefined, [], fresh, size);
            if (before && idxEnd(before)?.size === packSize) writeIdx(indexLines(packSize, lengths(fresh, size)), true);
            return;
          }
        }
        const have = load();
        const live = new Set<string>();
        const add = new Map<string, string>();
        let liveBytes = 0;
        for (const f of files) {
          if (live.has(f.hash)) continue;
          live.add(f.hash);
          const at = have.get(f.hash);
          const content = fresh.get(f.hash);
          if (at) liveBytes += at[1];
          else if (content !== undefined) {
            liveBytes += size(f.hash, content);
            add.set(f.hash, content);
          }
        }
        if (liveBytes > MAX_BYTES || (written === undefined && add.size === 0)) return;
        const packSize = buf?.length ?? 0;
        if (written !== undefined && !torn && packSize + bytesOf(add) <= SLACK * written + 1024 * 1024) {
          if (!add.size) return indexWhole();
          const before = openIdx();
          writeRecords(file, 'a', undefined, [], add, size);
          // the index grows with the pack; one that did not name it is written whole
          const lines = indexLines(packSize, lengths(add, size));
          if (before) writeIdx(lines, true);
          else {
            let text = '';
            for (const [hash, [start, len]] of have) text += `${hash} ${start} ${len}\n`;
            writeIdx({ text: text + lines.text, end: lines.end }, false);
          }
          return;
        }
        // absent, foreign, torn or grown past its slack: write the live blobs afresh, beside it,
        // then renamed over it; in the order `files` names them (kept bytes and new ones alike:
        // the order a render asks for them in, see stage.ts)
        const records: [string, Buffer | string][] = [];
        const placed = new Set<string>();
        for (const f of files) {
          if (placed.has(f.hash)) continue;
          const content = add.get(f.hash);
          const at = content === undefined ? have.get(f.hash) : undefined;
          if (content === undefined && !at) continue;
          placed.add(f.hash);
          records.push([f.hash, content ?? buf!.subarray(at![0], at![0] + at![1])]);
        }
        ensureCacheDir(root);
        removeStaleTemps(dirname(file));
        const tmp = tmpName(file);
        try {
          const head = header(liveBytes);
          writeRecords(tmp, 'wx', head, records, new Map(), size);
          renameSync(tmp, file);
          writeIdx(indexLines(head.length, records.map(([h, c]): [string, number] => [h, typeof c === 'string' ? size(h, c) : c.length])), false);
        } finally {
          rmSync(tmp, { force: true });
        }
      } catch {
        /* a cache that cannot be written only costs time */
      }
    },
  };
}

/** [hash, byte length] of records to be written from strings */
function lengths(records: ReadonlyMap<string, string>, size: SizeOf): [string, number][] {
  const out: [string, number][] = [];
  records.forEach((content, hash) => void out.push([hash, size(hash, content)]));
  return out;
}

/** A blob's byte length (UTF-8), by its hash and content. */
type SizeOf = (hash: string, content: string) => number;

/** records are gathered into writes of about this many bytes */
const CHUNK = 1 << 20;

/**
 * Write records to `file` (opened with `flag`: `a` appends, `wx` creates): this run's rendered
 * strings encoded straight into a reused buffer of about a megabyte (a few system calls in
 * place of two per file, no Buffer and no joined string per file, each blob's length counted
 * once), the kept blobs written from the pack's bytes as they are (`kept` in its order, a
 * string among them encoded as `fresh`'s are; then `fresh`).
 */
function writeRecords(file: string, flag: 'a' | 'wx', head: string | undefined, kept: readonly [string, Buffer | string][], fresh: ReadonlyMap<string, string>, size: SizeOf): void {
  const fd = openSync(file, flag);
  try {
    const putBytes = (b: Buffer) => {
      for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
    };
    const chunk = Buffer.allocUnsafe(CHUNK);
    let used = 0;
    const flush = () => {
      if (used) putBytes(chunk.subarray(0, used));
      used = 0;
    };
    /** `text` (of `bytes` UTF-8 bytes) into the buffer, or written alone when larger than it */
    const put = (text: string, bytes: number) => {
      if (used + bytes > CHUNK) flush();
      if (bytes > CHUNK) return putBytes(Buffer.from(text, 'utf8'));
      const n = chunk.write(text, used, 'utf8');
      // (the length counted before: anything else is no record this reader could read back)
      if (n !== bytes) throw new Error(`pack: ${n} bytes written of ${bytes}`);
      used += n;
    };
    if (head !== undefined) put(head, Buffer.byteLength(head));
    for (const [hash, bytes] of kept) {
      if (typeof bytes === 'string') {
        // (a new blob among the kept ones)
        const len = size(hash, bytes);
        const line = `${hash} ${len}\n`;
        put(line, Buffer.byteLength(line));
        put(bytes, len);
        continue;
      }
      const line = `${hash} ${bytes.length}\n`;
      put(line, Buffer.byteLength(line));
      flush();
      putBytes(bytes);
    }
    for (const [hash, content] of fresh) {
      const len = size(hash, content);
      const line = `${hash} ${len}\n`;
      put(line, Buffer.byteLength(line));
      put(content, len);
    }
    flush();
  } finally {
    closeSync(fd);
  }
}
