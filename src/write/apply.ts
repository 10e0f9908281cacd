/**
 * Applying a write plan (host side), all or nothing for the whole tree, with a write-ahead
 * journal inside the output directory:
 *
 *   1. take the directory's lock (`.gitopsc-lock`, holding our pid; a dead holder's is taken over)
 *   2. finish what an interrupted run left: a journal is rolled forward, a staging area without
 *      one is removed (rolled back), so the tree is wholly the old or wholly the new render
 *   3. stage every new file under `.gitopsc-stage/` (same file system, so renames are atomic)
 *   4. write the journal `.gitopsc-journal` (the writes and removals), atomically, and fsync it
 *   5. perform it: rename each staged file into place, remove pruned files, then delete the
 *      journal and the staging area
 *
 * Why a journal and not a swap of the whole directory: the output directory may hold files
 * gitopsc did not write (a kustomization.yaml, a README), which must survive untouched, and it
 * may be a mount point, which cannot be renamed or removed (EBUSY). The journal touches only the
 * planned paths and never renames the directory itself.
 *
 * Symbolic links inside the output directory are refused, so no write can land outside it.
 */
import { closeSync, constants as fsConstants, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { error, type Diagnostic } from '../core/diagnostics.js';
import type { ReasonFor } from '../core/reasons.js';
import { contentHash } from '../core/hash.js';
import { isAbsent, lstatOrAbsent, reasonOf, removeStaleTemps, statOrAbsent, tmpName } from '../host/fs.js';
import type { Content, WritePlan } from './plan.js';
import { processAlive } from '../host/process.js';

export const STAGE_DIR = '.gitopsc-stage';
export const JOURNAL_FILE = '.gitopsc-journal';
export const LOCK_FILE = '.gitopsc-lock';
/** Names gitopsc uses for its own bookkeeping: never output, never hashed, never pruned. */
const INTERNAL = /^\.gitopsc-(stage|journal|lock)(\..*)?$|\.gitopsc-\d+-\d+\.tmp$/;

export function isInternalName(name: string): boolean {
  return INTERNAL.test(name);
}

/**
 * Refuses a path any component of which, from `root` down, is a symbolic link, so that no write
 * can land outside the output directory; with `write`, also one whose parent is not a directory
 * or whose target is a directory, which a rename could not replace. Checked before anything is
 * staged, so such a plan changes nothing. Directories already checked are remembered.
 */
function pathProblem(root: string, rel: string, checked: Set<string>, write = false, absent?: Set<string>): string | undefined {
  let cur = root;
  const parts = rel ? rel.split('/') : [];
  for (let i = -1; i < parts.length; i++) {
    if (i >= 0) cur = join(cur, parts[i]!);
    if (checked.has(cur)) continue;
    if (absent?.has(cur)) return undefined;
    const st = lstatOrAbsent(cur);
    if (!st) {
      // does not exist yet: nothing below it exists either (remembered for the plan's other paths)
      if (i < parts.length - 1) absent?.add(cur);
      return undefined;
    }
    if (st.isSymbolicLink()) return `refusing to write through the symbolic link ${cur}`;
    if (st.isDirectory()) {
      if (write && i === parts.length - 1) return `cannot write ${cur}: it is a directory`;
      checked.add(cur);
    } else if (write && i < parts.length - 1) return `cannot write below ${cur}: it is not a directory`;
  }
  return undefined;
}

/**
 * A name of gitopsc's bookkeeping (`INTERNAL`) anywhere in a `/`-separated path: what testing
 * `INTERNAL` on each of its names tells, in one match (its `.` matches no line terminator).
 */
const INTERNAL_NAME_IN = /(?:^|\/)\.gitopsc-(?:stage|journal|lock)(?:\.[^/\n\r\u2028\u2029]*)?(?:\/|$)|\.gitopsc-\d+-\d+\.tmp(?:\/|$)/;

function inside(root: string, rel: string): boolean {
  // the common case, a plain relative path, is inside by its form unless a name is ours (one
  // match each instead of a split and a test per name: this runs for every file a render writes)
  if (sep === '/' && PLAIN.test(rel) && !rel.includes('\0')) return !INTERNAL_NAME_IN.test(rel);
  const segs = rel.split('/');
  if (segs.some((s) => isInternalName(s)) || rel.includes('\0')) return false;
  // the common case, a plain relative path (no empty, `.` or `..` segment), is inside by its form
  if (sep === '/' && segs.every((s) => s !== '' && s !== '.' && s !== '..')) return true;
  const r = relative(root, resolve(root, rel));
  return r !== '' && r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r) && !rel.includes('\0') && !rel.split('/').some((s) => isInternalName(s));
}

interface Journal {
  gitopscJournal: 1;
  writes: string[];
  removes: string[];
}

function isJournal(v: unknown): v is Journal {
  const j = v as Journal | undefined;
  return Boolean(j && j.gitopscJournal === 1 && Array.isArray(j.writes) && Array.isArray(j.removes) && [...j.writes, ...j.removes].every((p) => typeof p === 'string'));
}

/** A held output directory: locked, and with any interrupted run completed or rolled back. */
export interface OutputSession {
  root: string;
  /** what the recovery did: nothing, completed an interrupted render, or removed its staging */
  recovered: 'none' | 'forward' | 'back';
  /** another run held the lock first: what was on disk before may have changed */
  waited: boolean;
  /** false when the directory did not exist: applyPlan makes and locks it */
  locked: boolean;
  release(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `.gitopsc-lock.<pid>.<n>` files of processes killed while taking the lock. */
function removeStaleLockTemps(root: string): void {
  for (const n of readdirSync(root)) {
    const m = /^\.gitopsc-lock\.(\d+)\.\d+$/.exec(n);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) rmSync(join(root, n), { force: true });
  }
}

let counter = 0;

/** Take `<root>/.gitopsc-lock`; a lock whose process is gone is taken over. */
async function acquireLock(root: string, waitMs: number): Promise<{ release: () => void; waited: boolean } | { problem: string }> {
  const file = join(root, LOCK_FILE);
  const me = JSON.stringify({ pid: process.pid, host: hostname() });
  const deadline = Date.now() + waitMs;
  let waited = false;
  for (;;) {
    // written whole under a private name, then linked: the lock file is never seen empty
    const tmp = `${file}.${process.pid}.${++counter}`;
    try {
      writeFileSync(tmp, me, { flag: 'wx' });
      try {
        linkSync(tmp, file);
      } finally {
        rmSync(tmp, { force: true });
      }
      removeStaleLockTemps(root);
      return {
        waited,
        release: () => {
          try {
            if (readFileSync(file, 'utf8') === me) unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return { problem: `cannot lock the output directory: ${reasonOf(e)}` };
    }
    let holder: { pid?: unknown; host?: unknown } = {};
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as typeof holder;
    } catch {
      /* vanished or foreign: try again */
    }
    const dead = typeof holder.pid === 'number' && holder.host === hostname() && !processAlive(holder.pid);
    if (dead) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      return { problem: `another gitopsc (pid ${String(holder.pid)} on ${String(holder.host)}) is writing this directory; if none is running, remove ${file}` };
    }
    waited = true;
    await sleep(50);
  }
}

/**
 * Lock an existing output directory and complete or roll back an interrupted render. Absent
 * directories need neither: the session then locks when the plan is applied.
 */
export async function openOutput(dir: string, opts: { waitMs?: number } = {}): Promise<{ session?: OutputSession; diagnostics: Diagnostic[] }> {
  const root = resolve(dir);
  const fsError = (msg: string, reason: ReasonFor<'FILESYSTEM'>) => ({ diagnostics: [error('FILESYSTEM', msg, { file: shownPath(root), reason })] });
  // a first render killed before its rename left its whole tree beside the directory (applyPlan)
  removeStaleTemps(dirname(root));
  const st = lstatOrAbsent(root);
  if (st?.isSymbolicLink()) return fsError(`refusing to write through the symbolic link ${root}`, 'write-through-symlink');
  if (st && !st.isDirectory()) return fsError(`the output directory ${root} is not a directory`, 'not-a-directory');
  if (!st) {
    // a parent that is a regular file: the directory can never be made
    const blocked = blockingFile(root);
    if (blocked) return fsError(`cannot create the output directory ${root}: ${blocked} is not a directory`, 'not-a-directory');
    return { session: { root, recovered: 'none', waited: false, locked: false, release: () => {} }, diagnostics: [] };
  }
  const lock = await acquireLock(root, opts.waitMs ?? 30_000);
  if ('problem' in lock) return fsError(lock.problem, 'locked');
  try {
    const recovered = recover(root);
    if (typeof recovered !== 'string') {
      lock.release();
      return { diagnostics: recovered };
    }
    return { session: { root, recovered, waited: lock.waited, locked: true, release: lock.release }, diagnostics: [] };
  } catch (e) {
    lock.release();
    return fsError(`cannot complete the interrupted render in ${root}: ${reasonOf(e)}`, 'unwritable');
  }
}

/** Whether an interrupted render left a journal in `dir` (for `render --check`, which writes nothing). */
export function hasPendingJournal(dir: string): boolean {
  return lstatOrAbsent(join(resolve(dir), JOURNAL_FILE)) !== undefined;
}

function blockingFile(p: string): string | undefined {
  let cur = dirname(p);
  for (;;) {
    const st = statOrAbsent(cur);
    if (st) return st.isDirectory() ? undefined : cur;
    const up = dirname(cur);
    if (up === cur) return undefined;
    cur = up;
  }
}

function shownPath(root: string): string {
  return relative(process.cwd(), root) || '.';
}

/** Roll an interrupted render forward (journal present) or back (staging only). */
function recover(root: string): OutputSession['recovered'] | Diagnostic[] {
  const journalFile = join(root, JOURNAL_FILE);
  const stage = join(root, STAGE_DIR);
  let text: string | undefined;
  try {
    text = readFileSync(journalFile, 'utf8');
  } catch (e) {
    if (!isAbsent(e)) throw e;
  }
  if (text === undefined) {
    // a journal being written when the run was killed: the run had not started its renames
    const partial = lstatOrAbsent(`${journalFile}.tmp`) !== undefined;
    if (!lstatOrAbsent(stage) && !partial) return 'none';
    rmSync(`${journalFile}.tmp`, { force: true });
    rmSync(stage, { recursive: true, force: true });
    return 'back';
  }
  let journal: unknown;
  try {
    journal = JSON.parse(text);
  } catch {
    journal = undefined;
  }
  const checked = new Set<string>();
  const bad = !isJournal(journal) || [...journal.writes, ...journal.removes].some((p) => !inside(root, p) || pathProblem(root, p, checked) !== undefined);
  if (bad || !isJournal(journal)) {
    return [error('FILESYSTEM', `${journalFile} is not a journal gitopsc wrote; remove it (and ${STAGE_DIR}/) and render again`, { file: shownPath(journalFile), reason: 'foreign-journal' })];
  }
  perform(root, journal);
  return 'forward';
}

/** Rename staged files into place, remove pruned ones, then drop the journal and the staging area. Idempotent. */
function perform(root: string, journal: Journal): void {
  const stage = join(root, STAGE_DIR);
  const made = new Set<string>();
  for (const p of journal.writes) {
    const from = join(stage, p);
    const target = join(root, p);
    const parent = dirname(target);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    try {
      renameSync(from, target);
    } catch (e) {
      // renamed before an interruption: the journal is being completed
      if (!isAbsent(e) || lstatOrAbsent(from)) throw e;
    }
  }
  for (const r of journal.removes) rmSync(join(root, r), { force: true });
  pruneEmptyDirs(root, journal.removes);
  unlinkSync(join(root, JOURNAL_FILE));
  rmSync(stage, { recursive: true, force: true });
}

function writeJournal(root: string, journal: Journal): void {
  const file = join(root, JOURNAL_FILE);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(journal));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const d = openSync(root, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    /* directories cannot be fsynced everywhere */
  }
}

/**
 * Apply a plan (steps 1-5 above). Synchronous file calls: for thousands of small files they
 * are several times faster than the promise API (a 6,000-file render spent 3 s waiting on it).
 * `session` is an output directory already opened by `openOutput` (the render command opens it
 * before hashing what is on disk); without one, the directory is opened here.
 */
/**
 * What the caller of `applyPlan` may learn of a first render (the output directory absent): the
 * project memo takes the stat data of the tree it wrote instead of listing and looking at it
 * again.
 */
export interface ApplyObserver {
  /**
   * Called once the whole tree is written under `tmp` (a directory of a unique name beside the
   * output directory, which nothing else writes to) and before it is renamed into place; the
   * rename changes the stat data of `tmp` itself, nothing below it. May not throw.
   */
  written?(tmp: string): void;
  /**
   * Called for each file of such a tree once its bytes are written, with its open descriptor
   * (closed right after) and its index in the plan's writes: its stat data can be taken there
   * without looking its path up again. May not throw; may not use the descriptor otherwise.
   */
  file?(fd: number, index: number): void;
  /** set when the plan was written as a whole new tree renamed into place (`written` was called for it) */
  fresh?: boolean;
}

export async function applyPlan(dir: string, plan: WritePlan<Content>, session?: OutputSession, observer?: ApplyObserver): Promise<Diagnostic[]> {
  const root = resolve(dir);
  const fsError = (msg: string, reason: ReasonFor<'FILESYSTEM'>) => [error('FILESYSTEM', msg, { file: shownPath(root), reason })];
  const checked = new Set<string>();
  const absent = new Set<string>();
  // (index loops: this runs for every file a render writes, mostly before it is optimised)
  for (let i = 0; i < plan.writes.length + plan.removes.length; i++) {
    const write = i < plan.writes.length;
    const p = write ? plan.writes[i]!.path : plan.removes[i - plan.writes.length]!;
    if (!inside(root, p)) return fsError(`refusing to write ${p}: outside the output directory`, 'unwritable');
    const problem = pathProblem(root, p, checked, write, absent);
    if (problem) return fsError(`${problem}; nothing was changed`, 'unwritable');
  }
  if (plan.writes.length === 0 && plan.removes.length === 0) return [];
  let own: OutputSession | undefined;
  if (!session) {
    const opened = await openOutput(root);
    if (!opened.session) return opened.diagnostics;
    own = opened.session;
  }
  let release = () => {};
  let created = false;
  try {
    if (!(session ?? own)!.locked) {
      // The directory did not exist when the run began. The whole tree is written beside it
      // under a temporary name and renamed into place at once: one rename instead of one per
      // file, and still all or nothing (a kill before the rename leaves only the temporary
      // tree, which the next run removes). When the directory appeared meanwhile (another run),
      // the journal below is used instead.
      if (plan.removes.length === 0 && !lstatOrAbsent(root)) {
        const fresh = writeFresh(root, plan.writes, observer);
        if (fresh === 'done') {
          if (observer) observer.fresh = true;
          return [];
        }
        if (fresh !== 'exists') return fsError(`cannot write the output: ${fresh}; nothing was changed`, 'unwritable');
      }
      // the directory did not exist when the run began: make it, then lock it
      if (!lstatOrAbsent(root)) {
        try {
          mkdirSync(root, { recursive: true });
          created = true;
        } catch (e) {
          return fsError(`cannot create the output directory: ${reasonOf(e)}; nothing was changed`, 'unwritable');
        }
      }
      const lock = await acquireLock(root, 30_000);
      if ('problem' in lock) return fsError(lock.problem, 'locked');
      release = lock.release;
      const recovered = recover(root);
      if (typeof recovered !== 'string') return recovered;
    }
    const stage = join(root, STAGE_DIR);
    try {
      rmSync(stage, { recursive: true, force: true });
      writeFiles(stage, plan.writes);
      writeJournal(root, { gitopscJournal: 1, writes: plan.writes.map((w) => w.path), removes: plan.removes });
    } catch (e) {
      rmSync(join(root, JOURNAL_FILE), { force: true });
      rmSync(stage, { recursive: true, force: true });
      release();
      release = () => {};
      if (created) rmSync(root, { recursive: true, force: true });
      return fsError(`cannot write the output: ${reasonOf(e)}; nothing was changed`, 'unwritable');
    }
    try {
      perform(root, { gitopscJournal: 1, writes: plan.writes.map((w) => w.path), removes: plan.removes });
    } catch (e) {
      return fsError(`writing the output failed part way (${reasonOf(e)}); the next render completes it`, 'unwritable');
    }
    return [];
  } finally {
    release();
    if (own) own.release();
  }
}

/**
 * A first render: every file written into a temporary directory beside `root`, which is then
 * renamed to `root`. 'exists' when `root` appeared in the meantime (nothing is changed then).
 */
function writeFresh(root: string, writes: readonly { path: string; content: Content }[], observer?: ApplyObserver): 'done' | 'exists' | string {
  const parent = dirname(root);
  const tmp = tmpName(root);
  try {
    mkdirSync(parent, { recursive: true });
    removeStaleTemps(parent);
    mkdirSync(tmp);
    writeFiles(tmp, writes, observer?.file);
    observer?.written?.(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    return reasonOf(e);
  }
  try {
    renameSync(tmp, root);
    return 'done';
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR' ? 'exists' : reasonOf(e);
  }
}

/** `wx` as numbers (the flag string is parsed on every open) */
const WRITE_NEW = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL;

/**
 * Create `target` (never an existing file) holding `content` (a string as UTF-8). A string is
 * written as is (Node encodes it in place, with no Buffer made per file, which writeFileSync
 * would), bytes as they are; a short write is completed from a Buffer.
 */
function writeNew(target: string, content: Content, onFile?: (fd: number, index: number) => void, index = -1): void {
  const fd = openSync(target, WRITE_NEW);
  try {
    if (typeof content === 'string') {
      const n = writeSync(fd, content);
      const length = Buffer.byteLength(content);
      if (n < length) {
        const b = Buffer.from(content);
        for (let off = n; off < length; ) off += writeSync(fd, b, off, length - off);
      }
    } else for (let off = 0; off < content.length; ) off += writeSync(fd, content, off, content.length - off);
    onFile?.(fd, index);
  } finally {
    closeSync(fd);
  }
}

/** A plain relative path (names joined by `/`, none empty, `.` or `..`): joined to a directory by concatenation. */
const PLAIN = /^(?!\.\.?(?:\/|$))[^/]+(?:\/(?!\.\.?(?:\/|$))[^/]+)*$/;

/** Write each file below `dir` (parents made once each); `onFile` as ApplyObserver.file. */
function writeFiles(dir: string, writes: readonly { path: string; content: Content }[], onFile?: (fd: number, index: number) => void): void {
  const made = new Set<string>();
  // (a plan's paths come sorted: a directory's files follow each other)
  let last = '';
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i]!;
    // (path.join normalises every path: a plain one needs only the separator)
    const plain = sep === '/' && PLAIN.test(w.path);
    const target = plain ? `${dir}/${w.path}` : join(dir, w.path);
    const parent = plain ? target.slice(0, target.lastIndexOf('/')) : dirname(target);
    if (parent !== last && !made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    last = parent;
    writeNew(target, w.content, onFile, i);
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

export interface TreeHash {
  /** path -> content hash; undefined when the tree is over the limits or cannot be read */
  files?: Map<string, string>;
  /** the first entry that could not be read, with why */
  unreadable?: { path: string; reason: string };
  /** a symbolic link was seen (and not followed) */
  links: boolean;
  /** an interrupted render's journal is waiting in some directory */
  pending: boolean;
}

/**
 * The content hash of every regular file under dir (relative, `/`-separated paths), leaving out
 * directories named in `skip` and gitopsc's own bookkeeping files. Synchronous reads: for
 * thousands of small files they are ~10x faster than the promise API (64 ms vs 800 ms for 6,000
 * files, measured here). With `maxFiles` or `maxBytes`, `files` is undefined as soon as the
 * tree is larger. An absent directory is an empty tree; anything unreadable is reported.
 */
export function hashTree(dir: string, opts: { skip?: ReadonlySet<string>; maxFiles?: number; maxBytes?: number } = {}): TreeHash {
  const out = new Map<string, string>();
  const max = opts.maxFiles ?? Infinity;
  const maxBytes = opts.maxBytes ?? Infinity;
  let bytes = 0;
  const res: TreeHash = { links: false, pending: false };
  const walk = (rel: string): boolean => {
    let entries;
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true });
    } catch (e) {
      if (rel === '' && (e as NodeJS.ErrnoException).code === 'ENOENT') return true;
      res.unreadable = { path: rel || '.', reason: reasonOf(e) };
      return false;
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === JOURNAL_FILE) res.pending = true;
      if (isInternalName(e.name)) continue;
      if (e.isDirectory()) {
        if (!opts.skip?.has(e.name) && !walk(p)) return false;
      } else if (e.isFile()) {
        let data: Buffer;
        try {
          data = readFileSync(join(dir, p));
        } catch (err) {
          res.unreadable = { path: p, reason: reasonOf(err) };
          return false;
        }
        out.set(p, contentHash(data));
        bytes += data.length;
        if (out.size > max || bytes > maxBytes) return false;
      } else if (e.isSymbolicLink()) res.links = true;
    }
    return true;
  };
  if (walk('')) res.files = out;
  return res;
}
