/**
 * `git update-index -q --refresh` in this process, for the plain case only: after a recursive
 * copy of a working repository (test/helpers/git.ts makeRepo, makeRemote, copyOf) every file is
 * unchanged but its stat data (inode, ctime, mtime) are new, and some git commands refuse an
 * entry whose stat data differ (`git reset`, `read-tree -m`). A git process costs ~17 ms of CPU
 * on the reference machine; a copy's refresh is about 110 of them per test run.
 *
 * What git does for each entry (read-cache.c refresh_cache_ent): lstat the file; if its bytes
 * (as a blob: "blob <size>\0<bytes>", SHA-1) are the entry's object and its mode the entry's,
 * record the new stat data (ctime, mtime with nanoseconds, dev, ino, uid, gid, size, each as
 * 32 bits); write the index (a lock file renamed over it) with a new trailing SHA-1.
 *
 * Done here only when every entry can be checked as git would: index version 2 or 3; SHA-1
 * objects (the trailing checksum verifies); stage 0; no assume-valid, skip-worktree or
 * intent-to-add flag; a regular file or symbolic link whose bytes are its object (no filter,
 * no eol conversion: those hash other bytes) and whose executable bit is the entry's; no
 * extension but the cache tree (TREE, which does not hold stat data). Anything else returns
 * false, and the caller runs git. test/git-helpers.test.ts checks the bytes against git's own
 * `update-index --really-refresh`.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync, renameSync, writeFileSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';

const HEADER = 12;
const HASH = 20;
const FIXED = 40 + HASH + 2; // stat data, object id, flags
const U32 = 0xffffffffn;

function blobId(bytes: Buffer): Buffer {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest();
}

/** Refreshes `<worktree>/.git/index` in this process; false (index untouched) when git must do it. */
export function refreshIndex(worktree: string): boolean {
  const path = join(worktree, '.git', 'index');
  let index: Buffer;
  try {
    index = readFileSync(path);
  } catch {
    return false; // no index, or .git is a file (a linked worktree)
  }
  if (index.length < HEADER + HASH || index.toString('latin1', 0, 4) !== 'DIRC') return false;
  const version = index.readUInt32BE(4);
  if (version !== 2 && version !== 3) return false;
  const body = index.subarray(0, index.length - HASH);
  if (!createHash('sha1').update(body).digest().equals(index.subarray(index.length - HASH))) return false;
  const out = Buffer.from(index);
  const count = index.readUInt32BE(8);
  let at = HEADER;
  for (let i = 0; i < count; i++) {
    if (at + FIXED > body.length) return false;
    const mode = index.readUInt32BE(at + 24);
    const flags = index.readUInt16BE(at + 40 + HASH);
    if ((flags & 0xf000) !== 0) return false; // assume-valid, extended flags, a conflict stage
    const nameAt = at + FIXED;
    const nul = index.indexOf(0, nameAt);
    if (nul < 0 || nul >= body.length) return false;
    const name = index.toString('utf8', nameAt, nul);
    let st: BigIntStats;
    let bytes: Buffer;
    try {
      st = lstatSync(join(worktree, name), { bigint: true });
      if (mode === 0o100644 || mode === 0o100755) {
        if (!st.isFile() || ((st.mode & 0o100n) !== 0n) !== (mode === 0o100755)) return false;
        bytes = readFileSync(join(worktree, name));
      } else if (mode === 0o120000) {
        if (!st.isSymbolicLink()) return false;
        bytes = readlinkSync(join(worktree, name), { encoding: 'buffer' });
      } else {
        return false; // a submodule (gitlink)
      }
    } catch {
      return false;
    }
    if (!blobId(bytes).equals(index.subarray(at + 40, at + 40 + HASH))) return false;
    const fields = [
      st.ctimeNs / 1_000_000_000n,
      st.ctimeNs % 1_000_000_000n,
      st.mtimeNs / 1_000_000_000n,
      st.mtimeNs % 1_000_000_000n,
      st.dev,
      st.ino,
      BigInt(mode),
      st.uid,
      st.gid,
      st.size,
    ];
    fields.forEach((v, k) => out.writeUInt32BE(Number(v & U32), at + 4 * k));
    at += (FIXED + (nul - nameAt) + 8) & ~7;
  }
  // extensions: only the cache tree, which holds no stat data
  while (at < body.length) {
    if (at + 8 > body.length || index.toString('latin1', at, at + 4) !== 'TREE') return false;
    at += 8 + index.readUInt32BE(at + 4);
  }
  if (at !== body.length) return false;
  createHash('sha1').update(out.subarray(0, body.length)).digest().copy(out, body.length);
  const lock = `${path}.lock`;
  writeFileSync(lock, out, { flag: 'wx' });
  renameSync(lock, path);
  return true;
}
