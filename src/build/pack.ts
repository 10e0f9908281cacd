/**
 * The store of rendered bytes by content hash, `.gitopsc/cache/rendered.pack` (host side). The
 * unit cache (unit-memo.ts) knows which files, by content hash, a unit's exact inputs render
 * to; this store keeps those bytes, so that a render whose output directory was deleted (a
 * fresh clone with caches restored, `rm -rf rendered/`) writes the files without rendering the
 * units again.
 *
 * Format: a first line `gitopsc-pack 1`, then records `<content hash> <byte length>\n<bytes>`,
 * appended in one write per run; a run that drops files no longer rendered rewrites the file
 * atomically. Every blob is checked against its content hash when read: a torn append, a
 * truncated or edited file only makes the units whose bytes do not check render again (a cache
 * never changes output).
 */
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { contentHash } from '../core/hash.js';
import { writeFileAtomic } from '../host/fs.js';
import { cacheDirOf, cacheDirProblem, ensureCacheDir } from './store.js';

const HEADER = 'gitopsc-pack 1\n';
/** a pack is rewritten (compacted) when it is larger than this times the bytes still in use */
const SLACK = 2;
/** beyond this many bytes of output, no pack is kept */
const MAX_BYTES = 128 * 1024 * 1024;

export interface RenderedPack {
  /** the content with this hash, checked; undefined when not stored (or damaged) */
  get(hash: string): string | undefined;
  /**
   * Keep the bytes of the output a successful render left: `files` is every output file by
   * hash, with its content when this run has it. Stored files no longer in the output are
   * dropped when the pack would otherwise grow past twice the output's size.
   */
  save(files: readonly { hash: string; content?: string }[]): Promise<void>;
}

export function openPack(root: string): RenderedPack {
  const file = join(cacheDirOf(root), 'rendered.pack');
  const refused = cacheDirProblem(root) !== undefined;
  let buf: Buffer | undefined;
  /** the file on disk is a pack of this format (appending to anything else would be lost) */
  let valid = false;
  let index: Map<string, [number, number]> | undefined;
  const load = (): Map<string, [number, number]> => {
    if (index) return index;
    index = new Map();
    try {
      if (refused) return index;
      buf = readFileSync(file);
    } catch {
      return index; // absent or unreadable: empty
    }
    if (buf.length < HEADER.length || buf.toString('latin1', 0, HEADER.length) !== HEADER) return index;
    valid = true;
    let p = HEADER.length;
    while (p < buf.length) {
      const nl = buf.indexOf(10, p);
      if (nl < 0 || nl - p > 64) break;
      const head = buf.toString('latin1', p, nl);
      const sp = head.indexOf(' ');
      const len = Number(head.slice(sp + 1));
      if (sp <= 0 || !Number.isInteger(len) || len < 0 || nl + 1 + len > buf.length) break; // a torn record ends the pack
      index.set(head.slice(0, sp), [nl + 1, len]);
      p = nl + 1 + len;
    }
    return index;
  };
  return {
    get(hash) {
      const at = load().get(hash);
      if (!at || !buf) return undefined;
      const text = buf.toString('utf8', at[0], at[0] + at[1]);
      return contentHash(text) === hash ? text : undefined;
    },
    async save(files) {
      if (refused) return;
      const have = load();
      const live = new Set<string>();
      const fresh: string[] = [];
      let liveBytes = 0;
      let added = 0;
      for (const f of files) {
        if (live.has(f.hash)) continue;
        live.add(f.hash);
        const at = have.get(f.hash);
        if (at) liveBytes += at[1];
        else if (f.content !== undefined) {
          const bytes = Buffer.byteLength(f.content);
          const head = `${f.hash} ${bytes}\n`;
          liveBytes += bytes;
          added += head.length + bytes;
          fresh.push(head, f.content);
        }
      }
      if (liveBytes > MAX_BYTES || (!valid && fresh.length === 0)) return;
      const size = buf?.length ?? 0;
      try {
        if (valid && size + added <= SLACK * liveBytes + 1024 * 1024) {
          if (fresh.length) appendFileSync(file, fresh.join(''));
          return;
        }
        // absent, foreign or mostly dead: write the live blobs afresh
        const kept: Buffer[] = [];
        for (const [hash, [start, len]] of have) if (live.has(hash)) kept.push(Buffer.from(`${hash} ${len}\n`), buf!.subarray(start, start + len));
        const text = HEADER + fresh.join('');
        ensureCacheDir(root);
        await writeFileAtomic(file, kept.length ? Buffer.concat([Buffer.from(text), ...kept]) : text);
      } catch {
        /* a cache that cannot be written only costs time */
      }
    },
  };
}

/** The size of the pack on disk (tests). */
export function packSize(root: string): number {
  try {
    return statSync(join(cacheDirOf(root), 'rendered.pack')).size;
  } catch {
    return 0;
  }
}
