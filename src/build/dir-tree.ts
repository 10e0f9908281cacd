/**
 * The output tree of a directory (`render`, `render --check`): the content hash of every file
 * below it, taken from the project memo's stat data where the file did not change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { error } from '../core/diagnostics.js';
import { hashTree } from '../write/apply.js';
import type { MemoEntry } from './memo.js';
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
      if (known) {
        const files = new Map<string, string>();
        const p = known.prefix;
        for (const [k, v] of known.entries) if (k.startsWith(p)) files.set(k.slice(p.length), v[0]);
        return { files };
      }
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
