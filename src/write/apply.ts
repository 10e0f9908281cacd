/**
 * Applying a write plan (host side). All new bytes are first written to temporary files next to
 * their targets; only when every one of them is on disk are they renamed into place and pruned
 * files removed. A failure before that point removes the temporaries and changes nothing.
 * Symlinks inside the output directory are refused, so no write can land outside it.
 */
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { error, type Diagnostic } from '../diagnostics.js';
import type { WritePlan } from './plan.js';

let counter = 0;
function tmpName(target: string): string {
  return join(dirname(target), `.${target.split(sep).pop()}.gitopsc-${process.pid}-${++counter}.tmp`);
}

/** Refuse a path whose any component below `root` (or root itself) is a symlink. */
async function assertNoSymlink(root: string, rel: string): Promise<string | undefined> {
  let cur = root;
  const parts = rel.split('/');
  for (let i = -1; i < parts.length; i++) {
    if (i >= 0) cur = join(cur, parts[i]!);
    try {
      const st = await lstat(cur);
      if (st.isSymbolicLink()) return cur;
    } catch {
      return undefined; // does not exist yet: nothing below it exists either
    }
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

export async function applyPlan(dir: string, plan: WritePlan): Promise<Diagnostic[]> {
  const root = resolve(dir);
  const fsError = (msg: string) => [error('FILESYSTEM', msg, { file: relative(process.cwd(), root) || '.' })];
  for (const p of [...plan.writes.map((w) => w.path), ...plan.removes]) {
    if (!inside(root, p)) return fsError(`refusing to write ${p}: outside the output directory`);
    const link = await assertNoSymlink(root, p);
    if (link) return fsError(`refusing to write through the symbolic link ${link}`);
  }
  const staged: [string, string][] = [];
  try {
    for (const w of plan.writes) {
      const target = join(root, w.path);
      await mkdir(dirname(target), { recursive: true });
      const tmp = tmpName(target);
      await writeFile(tmp, w.content, { flag: 'wx' });
      staged.push([tmp, target]);
    }
  } catch (e) {
    await Promise.all(staged.map(([tmp]) => rm(tmp, { force: true })));
    return fsError(`cannot write the output: ${(e as Error).message}; nothing was changed`);
  }
  try {
    for (const [tmp, target] of staged) await rename(tmp, target);
    for (const r of plan.removes) await rm(join(root, r), { force: true });
    await pruneEmptyDirs(root, plan.removes);
  } catch (e) {
    return fsError(`writing the output failed part way: ${(e as Error).message}`);
  }
  return [];
}

async function pruneEmptyDirs(root: string, removed: readonly string[]): Promise<void> {
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
      if ((await readdir(join(root, d))).length === 0) await rmdir(join(root, d));
    } catch {
      /* not empty or already gone */
    }
  }
}

/** Every regular file under dir (relative, `/`-separated) with its content. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    await Promise.all(
      entries.map(async (e) => {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(p);
        else if (e.isFile() && !/\.gitopsc-\d+-\d+\.tmp$/.test(e.name)) out.set(p, await readFile(join(dir, p), 'utf8'));
      }),
    );
  };
  await walk('');
  return out;
}
