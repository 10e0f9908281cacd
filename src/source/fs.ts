/** The working tree as a ProjectSource (host side: the file system). */
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProjectSource } from '../pipeline.js';

const SKIP = new Set(['.git', 'node_modules', '.gitopsc']);

export function fsSource(root: string): ProjectSource {
  return {
    describe: root,
    async list(exclude: string[] = []) {
      const out: string[] = [];
      const skipPaths = new Set(exclude.map((e) => e.replace(/\/+$/, '')));
      const walk = async (rel: string): Promise<void> => {
        let entries;
        try {
          entries = await readdir(join(root, rel), { withFileTypes: true });
        } catch {
          return;
        }
        await Promise.all(
          entries.map(async (e) => {
            const p = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) {
              if (!SKIP.has(e.name) && !skipPaths.has(p)) await walk(p);
            } else if (e.isFile()) out.push(p);
          }),
        );
      };
      await walk('');
      return out.sort();
    },
    async read(rel) {
      // Small files: a synchronous read is several times faster than the promise API.
      try {
        return readFileSync(join(root, rel));
      } catch {
        return undefined;
      }
    },
  };
}
