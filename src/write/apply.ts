/**
 * Applying a write plan (host side). All new bytes are first written to temporary files next to
 * their targets; only when every one of them is on disk are they renamed into place and pruned
 * files removed. A failure before that point removes the temporaries and changes nothing.
 * Symlinks inside the output directory are refused, so no write can land outside it.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { error, type Diagnostic } from '../diagnostics.js';
import { contentHash } from '../hash.js';
import type { WritePlan } from './plan.js';

let counter = 0;
function tmpName(target: string): string {
  return join(dirname(target), `.${target.split(sep).pop()}.gitopsc-${process.pid}-${++counter}.tmp`);
}

/**
 * Refuses a path any component of which, from `root` down, is a symbolic link, so that no write
 * can land outside the output directory. Directories already checked are remembered.
 */
function symlinkOn(root: string, rel: string, checked: Set<string>): string | undefined {
  let cur = root;
  const parts = rel ? rel.split('/') : [];
  for (let i = -1; i < parts.length; i++) {
    if (i >= 0) cur = join(cur, parts[i]!);
    if (checked.has(cur)) continue;
    const st = lstatSync(cur, { throwIfNoEntry: false });
    if (!st) return undefined; // does not exist yet: nothing below it exists either
    if (st.isSymbolicLink()) return cur;
    if (st.isDirectory()) checked.add(cur);
  }
  return undefined;
}

function inside(root: string, rel: string): boolean {
  const r = relative(root, resolve(root, rel));
  return r !== '' && r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r) && !rel.includes('\0');
}

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = tmpName(file);
  try {
    await writeFile(tmp, content, { flag: 'wx' });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Apply a plan: stage every new file as a temporary next to its target, then rename them all
 * into place and remove pruned files. Synchronous file calls: for thousands of small files they
 * are several times faster than the promise API (a 6,000-file render spent 3 s waiting on it).
 */
export async function applyPlan(dir: string, plan: WritePlan): Promise<Diagnostic[]> {
  const root = resolve(dir);
  const fsError = (msg: string) => [error('FILESYSTEM', msg, { file: relative(process.cwd(), root) || '.' })];
  const fresh = plan.removes.length === 0 && isEmptyOrAbsent(root);
  const checked = new Set<string>();
  for (const p of [...plan.writes.map((w) => w.path), ...plan.removes]) {
    if (!inside(root, p)) return fsError(`refusing to write ${p}: outside the output directory`);
    // into an empty directory only the directory itself can be a link
    const link = symlinkOn(root, fresh ? '' : p, checked);
    if (link) return fsError(`refusing to write through the symbolic link ${link}`);
  }
  if (fresh) return writeFresh(root, plan, fsError);
  const staged: [string, string][] = [];
  try {
    writeFiles(root, plan.writes, (target) => {
      const tmp = tmpName(target);
      staged.push([tmp, target]);
      return tmp;
    });
  } catch (e) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    return fsError(`cannot write the output: ${(e as Error).message}; nothing was changed`);
  }
  try {
    for (const [tmp, target] of staged) renameSync(tmp, target);
    for (const r of plan.removes) rmSync(join(root, r), { force: true });
    pruneEmptyDirs(root, plan.removes);
  } catch (e) {
    return fsError(`writing the output failed part way: ${(e as Error).message}`);
  }
  return [];
}

/** Write each file below `dir` (parents made once each) to the path `at` picks for its target. */
function writeFiles(dir: string, writes: readonly { path: string; content: string }[], at: (target: string) => string): void {
  const made = new Set<string>();
  for (const w of writes) {
    const target = join(dir, w.path);
    const parent = dirname(target);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    writeFileSync(at(target), w.content, { flag: 'wx' });
  }
}

function isEmptyOrAbsent(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return true;
  }
}

/**
 * A render into an empty or absent directory: write the whole tree into a staging directory
 * beside it, then rename that directory into place. One rename instead of one per file, and a
 * failure leaves nothing behind.
 */
function writeFresh(root: string, plan: WritePlan, fsError: (msg: string) => Diagnostic[]): Diagnostic[] {
  const staging = `${root}.gitopsc-${process.pid}-${++counter}.tmp`;
  try {
    writeFiles(staging, plan.writes, (target) => target);
    if (plan.writes.length === 0) return [];
    mkdirSync(dirname(root), { recursive: true });
    rmdirSyncIfEmpty(root);
    renameSync(staging, root);
    return [];
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    return fsError(`cannot write the output: ${(e as Error).message}; nothing was changed`);
  }
}

function rmdirSyncIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function pruneEmptyDirs(root: string, removed: readonly string[]): void {
  const dirs = new Set<string>();
  for (const r of removed) {
    let d = dirname(r);
    while (d !== '.' && d !== '') {
      dirs.add(d);
      d = dirname(d);
    }
  }
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      if (readdirSync(join(root, d)).length === 0) rmdirSync(join(root, d));
    } catch {
      /* not empty or already gone */
    }
  }
}

/**
 * The content hash of every regular file under dir (relative, `/`-separated paths), leaving out
 * directories named in `skip` and our own temporaries. Synchronous reads: for thousands of small
 * files they are ~10x faster than the promise API (64 ms vs 800 ms for 6,000 files, measured
 * here). With `maxFiles` or `maxBytes`, returns undefined as soon as the tree is larger.
 */
export function hashTree(dir: string, opts: { skip?: ReadonlySet<string>; maxFiles?: number; maxBytes?: number } = {}): Map<string, string> | undefined {
  const out = new Map<string, string>();
  const max = opts.maxFiles ?? Infinity;
  const maxBytes = opts.maxBytes ?? Infinity;
  let bytes = 0;
  const walk = (rel: string): boolean => {
    let entries;
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true });
    } catch {
      return true;
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!opts.skip?.has(e.name) && !walk(p)) return false;
      } else if (e.isFile() && !/\.gitopsc-\d+-\d+\.tmp$/.test(e.name)) {
        const data = readFileSync(join(dir, p));
        out.set(p, contentHash(data));
        bytes += data.length;
        if (out.size > max || bytes > maxBytes) return false;
      }
    }
    return true;
  };
  return walk('') ? out : undefined;
}
