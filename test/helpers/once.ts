/**
 * Work done once per test run across test files and workers: the first caller takes a lock
 * directory inside `dir` and runs `work`, which leaves its result in `dir`; the others wait for
 * the `ready` marker (or the `failed` one) and then read that result.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface Claim {
  /** the result of a run that already ended */
  done?: string;
  /** this caller does the work */
  owner: boolean;
  ready: string;
  failed: string;
}

function claim(dir: string): Claim {
  const ready = join(dir, 'ready');
  const failed = join(dir, 'failed');
  if (existsSync(ready)) return { done: readFileSync(ready, 'utf8'), owner: false, ready, failed };
  try {
    mkdirSync(join(dir, 'lock'));
    return { owner: true, ready, failed };
  } catch {
    return { owner: false, ready, failed }; // another test file is doing it
  }
}

/** The owner's result (written as the ready marker), or its failure (written as the failed marker). */
function settle(c: Claim, out: string | undefined, error?: unknown): string {
  if (out === undefined) {
    writeFileSync(c.failed, String(error));
    throw error;
  }
  writeFileSync(c.ready, out);
  return out;
}

/** For a waiter: the result once ready, undefined while not, or an error once failed or late. */
function poll(c: Claim, what: string, deadline: number): string | undefined {
  if (existsSync(c.ready)) return readFileSync(c.ready, 'utf8');
  if (existsSync(c.failed)) throw new Error(`${what} failed in another test file: ${readFileSync(c.failed, 'utf8')}`);
  if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  return undefined;
}

/** Run `work` once for `dir` (which must exist); returns what the run that did it wrote as its ready marker. */
export function onceIn(dir: string, what: string, timeoutMs: number, work: () => string): string {
  const c = claim(dir);
  if (c.done !== undefined) return c.done;
  if (c.owner) {
    let out: string;
    try {
      out = work();
    } catch (e) {
      return settle(c, undefined, e);
    }
    return settle(c, out);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = poll(c, what, deadline);
    if (out !== undefined) return out;
    sleep(50);
  }
}

/** As onceIn, for asynchronous work: neither the owner nor a waiter blocks its test file's other cases. */
export async function onceInAsync(dir: string, what: string, timeoutMs: number, work: () => Promise<string>): Promise<string> {
  const c = claim(dir);
  if (c.done !== undefined) return c.done;
  if (c.owner) {
    let out: string;
    try {
      out = await work();
    } catch (e) {
      return settle(c, undefined, e);
    }
    return settle(c, out);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = poll(c, what, deadline);
    if (out !== undefined) return out;
    await new Promise((r) => setTimeout(r, 100));
  }
}
