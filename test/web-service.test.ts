/** The realistic web service fixture (README "Kubernetes reference"): renders, passes every check, matches its golden files. */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, fsSource } from '../src/pipeline.js';
import { cli } from './helpers/project.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/web-service');
const GOLDEN = join(FIXTURE, 'rendered');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function listFiles(dir: string, rel = ''): string[] {
  if (!existsSync(join(dir, rel))) return [];
  return readdirSync(join(dir, rel)).flatMap((n) => {
    const p = rel ? `${rel}/${n}` : n;
    return statSync(join(dir, p)).isDirectory() ? listFiles(dir, p) : [p];
  });
}

describe('golden: the realistic web service', () => {
  it('renders with no diagnostic, exactly the golden files (UPDATE_GOLDEN=1 to accept changes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-web-'));
    cpSync(FIXTURE, dir, { recursive: true, filter: (src) => !src.includes('/rendered') && !src.endsWith('gitopsc.lock') });
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const state = await compile(fsSource(dir), { configFile: 'gitopsc.config.yaml' });
    expect(state.diagnostics).toEqual([]);
    const got = new Map(state.files.map((f) => [f.path, f.content]));
    const lock = readFileSync(join(dir, 'gitopsc.lock'), 'utf8');
    if (UPDATE) {
      writeFileSync(join(FIXTURE, 'gitopsc.lock'), lock);
      rmSync(GOLDEN, { recursive: true, force: true });
      for (const [p, c] of got) {
        mkdirSync(dirname(join(GOLDEN, p)), { recursive: true });
        writeFileSync(join(GOLDEN, p), c);
      }
    }
    expect([...got.keys()].sort()).toEqual(listFiles(GOLDEN).sort());
    for (const [p, c] of got) expect(c, p).toBe(readFileSync(join(GOLDEN, p), 'utf8'));
    expect(lock).toBe(readFileSync(join(FIXTURE, 'gitopsc.lock'), 'utf8'));
    rmSync(dir, { recursive: true, force: true });
  });
});
