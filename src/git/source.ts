/**
 * A ProjectSource over a git revision: lists with `git ls-tree -r -z` and reads blobs with
 * `git cat-file --batch`, never touching the working tree or the index. Reads asked for in
 * the same tick share one `cat-file` process.
 */
import type { ProjectSource } from '../core/types.js';
import { Git, GitError } from './exec.js';

interface Entry {
  oid: string;
}

export interface GitSourceOptions {
  env: Record<string, string>;
}

/**
 * @param repoDir any directory inside the repository
 * @param ref a commit-ish (`main`, `HEAD~1`, a sha)
 * @param subdir the project root inside the repository (`''` for the top), `/`-separated
 */
export async function gitSource(repoDir: string, ref: string, subdir: string, opts: GitSourceOptions): Promise<ProjectSource> {
  const git = new Git(repoDir, opts.env);
  const commit = (await git.git(['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`])).trim();
  const prefix = subdir.replace(/^\/+|\/+$/g, '');
  const args = ['ls-tree', '-r', '-z', '--full-tree', commit];
  if (prefix) args.push('--', prefix);
  const raw = (await git.run(args)).stdout.toString('utf8');
  const entries = new Map<string, Entry>();
  for (const rec of raw.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid] = rec.slice(0, tab).split(' ');
    const path = rec.slice(tab + 1);
    // Regular files only: no submodules (type commit) and no symlinks (mode 120000).
    if (type !== 'blob' || mode === '120000' || !oid) continue;
    const rel = prefix ? path.slice(prefix.length + 1) : path;
    if (prefix && !path.startsWith(prefix + '/')) continue;
    entries.set(rel, { oid });
  }
  const list = [...entries.keys()].sort();
  const loader = new BatchLoader(git);
  return {
    describe: `${ref} (${commit.slice(0, 7)})${prefix ? ':' + prefix : ''}`,
    list: () => Promise.resolve([...list]),
    read: async (rel) => {
      const e = entries.get(rel.replace(/^\.\//, ''));
      return e ? loader.load(e.oid) : undefined;
    },
  };
}

/** Resolves a ref to a full commit sha, or undefined. */
export async function resolveCommit(git: Git, ref: string): Promise<string | undefined> {
  const r = await git.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
}

class BatchLoader {
  private pending = new Map<string, Array<{ resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>>();
  private scheduled = false;
  private cache = new Map<string, Uint8Array>();

  constructor(private readonly git: Git) {}

  load(oid: string): Promise<Uint8Array> {
    const hit = this.cache.get(oid);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(oid) ?? [];
      waiters.push({ resolve, reject });
      this.pending.set(oid, waiters);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    const oids = [...batch.keys()];
    try {
      const r = await this.git.run(['cat-file', '--batch'], { input: oids.join('\n') + '\n' });
      if (r.code !== 0) throw new GitError(`git cat-file failed: ${r.stderr.trim()}`, ['cat-file'], r.stderr, r.code);
      const out = r.stdout;
      let pos = 0;
      for (const oid of oids) {
        const nl = out.indexOf(0x0a, pos);
        const header = out.subarray(pos, nl).toString('utf8');
        const [, type, size] = header.split(' ');
        if (type !== 'blob' || size === undefined) throw new GitError(`git cat-file: ${header}`, ['cat-file'], '', 1);
        const n = Number(size);
        const data = new Uint8Array(out.subarray(nl + 1, nl + 1 + n));
        pos = nl + 1 + n + 1;
        this.cache.set(oid, data);
        for (const w of batch.get(oid) ?? []) w.resolve(data);
      }
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    }
  }
}
