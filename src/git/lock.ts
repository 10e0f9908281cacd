/**
 * An exclusive lock file (`open(..., 'wx')`) holding the holder's pid, host and start time.
 * A second taker polls until `timeoutMs`, then fails naming the holder. A lock left by a dead
 * process on this host is taken over.
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { processAlive } from '../host/process.js';

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  command?: string;
}

export type LockResult = { ok: true; path: string; release: () => Promise<void> } | { ok: false; holder: LockHolder | undefined; path: string };

export async function acquireLock(path: string, opts: { timeoutMs: number; pollMs?: number; now?: () => Date; command?: string }): Promise<LockResult> {
  const now = opts.now ?? (() => new Date());
  const deadline = Date.now() + opts.timeoutMs;
  const me: LockHolder = { pid: process.pid, host: hostname(), started: now().toISOString(), command: opts.command ?? 'gitopsc publish' };
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o644);
      try {
        await fh.writeFile(JSON.stringify(me) + '\n');
      } finally {
        await fh.close();
      }
      let released = false;
      return {
        ok: true,
        path,
        release: async () => {
          if (released) return;
          released = true;
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await readHolder(path);
    if (holder && holder.host === me.host && holder.pid !== process.pid && !processAlive(holder.pid)) {
      await unlink(path).catch(() => undefined); // stale: its process is gone
      continue;
    }
    if (!holder && (await tornFor(path)) >= TORN_AFTER_MS) {
      // empty or unreadable for a while: its taker was killed between create and write (a live
      // taker writes its record in the same moment it creates the file)
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) return { ok: false, holder, path };
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
  }
}

const TORN_AFTER_MS = 2000;

/** How long (ms) the lock file has existed without a readable holder; 0 when it has one or is gone. */
async function tornFor(path: string): Promise<number> {
  try {
    const st = await stat(path);
    return Date.now() - st.mtimeMs;
  } catch {
    return 0;
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    if (typeof data.pid === 'number' && typeof data.host === 'string') {
      return { pid: data.pid, host: data.host, started: String(data.started ?? '?'), command: data.command };
    }
  } catch {
    // being written right now, or not ours
  }
  return undefined;
}

export function describeHolder(h: LockHolder | undefined): string {
  return h ? `${h.command ?? 'a process'} (pid ${h.pid} on ${h.host}, since ${h.started})` : 'an unknown process';
}
