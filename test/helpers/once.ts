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

/** Run `work` once for `dir` (which must exist); returns what the run that did it wrote as its ready marker. */
export function onceIn(dir: string, what: string, timeoutMs: number, work: () => string): string {
  const ready = join(dir, 'ready');
  const failed = join(dir, 'failed');
  if (existsSync(ready)) return readFileSync(ready, 'utf8');
  let owner = false;
  try {
    mkdirSync(join(dir, 'lock'));
    owner = true;
  } catch {
    // another test file is doing it
  }
  if (owner) {
    try {
      const out = work();
      writeFileSync(ready, out);
      return out;
    } catch (e) {
      writeFileSync(failed, String(e));
      throw e;
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(ready)) {
    if (existsSync(failed)) throw new Error(`${what} failed in another test file: ${readFileSync(failed, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    sleep(50);
  }
  return readFileSync(ready, 'utf8');
}

/** As onceIn, for asynchronous work: neither the owner nor a waiter blocks its test file's other cases. */
export async function onceInAsync(dir: string, what: string, timeoutMs: number, work: () => Promise<string>): Promise<string> {
  const ready = join(dir, 'ready');
  const failed = join(dir, 'failed');
  if (existsSync(ready)) return readFileSync(ready, 'utf8');
  let owner = false;
  try {
    mkdirSync(join(dir, 'lock'));
    owner = true;
  } catch {
    // another test file is doing it
  }
  if (owner) {
    try {
      const out = await work();
      writeFileSync(ready, out);
      return out;
    } catch (e) {
      writeFileSync(failed, String(e));
      throw e;
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(ready)) {
    if (existsSync(failed)) throw new Error(`${what} failed in another test file: ${readFileSync(failed, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return readFileSync(ready, 'utf8');
}
