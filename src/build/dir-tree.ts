/**
 * The output tree of a directory (`render`, `render --check`): the content hash of every file
 * below it, taken from the project memo's stat data where the file did not change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { error } from '../core/diagnostics.js';
import { hashTree } from '../write/apply.js';
import { hashIn, type MemoEntry } from './memo.js';
import type { OutputTree } from './tree-types.js';

export interface DirTree extends OutputTree {
  dir: string;
}

/**
 * `dir` as an output tree. `known` (optional) is a scan already made of it (project-relative
 * entries under `prefix`), so that the files are neither walked nor hashed again.
 */
export function dirTree(dir: string, show: (p: string) => string, known?: { entries: ReadonlyMap<string, MemoEntry>; prefix: string }): DirTree {
  return {
    dir,
    describe: dir,
    async hashes() {
      if (known) return { files: prefixView(known.entries, known.prefix) };
      const h = hashTree(dir);
      if (!h.files) {
        const path = h.unreadable?.path ?? '';
        return { problem: error('FILESYSTEM', `cannot read ${show(path)}: ${h.unreadable?.reason ?? 'unknown error'}`, { file: show(path), reason: 'unreadable' }) };
      }
      return { files: h.files };
    },
    async read(path) {
      try {
        return readFileSync(join(dir, path), 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The content hashes of the entries below `prefix`, by path relative to it, as a read-only map
 * over the scan's own entries (not a copy: a render looks up a few thousand paths and iterates
 * only to prune). The entries must not change while it is used.
 */
export function prefixView(entries: ReadonlyMap<string, MemoEntry>, prefix: string): ReadonlyMap<string, string> {
  let copy: Map<string, string> | undefined;
  const all = (): Map<string, string> => {
    if (copy) return copy;
    copy = new Map<string, string>();
    for (const [k, v] of entries) if (k.startsWith(prefix)) copy.set(k.slice(prefix.length), v[0]);
    return copy;
  };
  const view: ReadonlyMap<string, string> = {
    get: (path: string) => hashIn(entries, prefix + path),
    has: (path: string) => entries.has(prefix + path),
    get size() {
      return all().size;
    },
    forEach: (fn, self) => all().forEach((v, k) => fn.call(self, v, k, view)),
    entries: () => all().entries(),
    keys: () => all().keys(),
    values: () => all().values(),
    [Symbol.iterator]: () => all()[Symbol.iterator](),
  };
  return view;
}
