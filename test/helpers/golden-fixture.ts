/**
 * A fixture project whose committed lock and `rendered/` directory are its golden files: copy it
 * without them, resolve, compile, and compare byte for byte (UPDATE_GOLDEN=1 rewrites them).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { compile, fsSource } from '../../src/pipeline.js';
import { RECORD_FILE, serializeRecord } from '../../src/write/ownership.js';
import { cli } from './project.js';

export function listFiles(dir: string, rel = ''): string[] {
  if (!existsSync(join(dir, rel))) return [];
  return readdirSync(join(dir, rel)).flatMap((n) => {
    const p = rel ? `${rel}/${n}` : n;
    return statSync(join(dir, p)).isDirectory() ? listFiles(dir, p) : [p];
  });
}

/** `withRecord`: the golden directory also carries the ownership record of exactly the rendered files. */
export async function expectGoldenFixture(fixture: string, opts: { withRecord?: boolean } = {}): Promise<void> {
  const golden = join(fixture, 'rendered');
  const dir = mkdtempSync(join(tmpdir(), 'gitopsc-golden-'));
  cpSync(fixture, dir, { recursive: true, filter: (src) => !src.includes('/rendered') && !src.endsWith('gitopsc.lock') });
  expect((await cli(dir, 'resolve')).code).toBe(0);
  const state = await compile(fsSource(dir), { configFile: 'gitopsc.config.yaml' });
  expect(state.diagnostics).toEqual([]);
  const got = new Map(state.files.map((f) => [f.path, f.content]));
  if (opts.withRecord) got.set(RECORD_FILE, serializeRecord(got.keys()));
  const lock = readFileSync(join(dir, 'gitopsc.lock'), 'utf8');
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(join(fixture, 'gitopsc.lock'), lock);
    rmSync(golden, { recursive: true, force: true });
    for (const [p, c] of got) {
      mkdirSync(dirname(join(golden, p)), { recursive: true });
      writeFileSync(join(golden, p), c);
    }
  }
  expect([...got.keys()].sort()).toEqual(listFiles(golden).sort());
  for (const [p, c] of got) expect(c, p).toBe(readFileSync(join(golden, p), 'utf8'));
  expect(lock).toBe(readFileSync(join(fixture, 'gitopsc.lock'), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
}
