/** Cache tests: reading the on-disk caches and rendering the same inputs without any cache. */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, makeProject, snapshot } from './project.js';

export const INPUTS = '.gitopsc/cache/inputs.json';
/** the per-unit cache (src/build/unit-memo.ts): `unit:<key>` -> { files: [path, hash][], warnings } */
export const RENDER = '.gitopsc/cache/units.json';
/** the project memo (src/build/memo.ts): answers before the unit cache is asked */
export const MEMO = '.gitopsc/cache/memo.json';

/**
 * A cache file: a JSON header line (format, version, checksum of the body), then the entries:
 * one JSON object, or (format 2: units.json, services.json) one array of each key and its value,
 * shown here as an object too.
 */
export interface CacheFile {
  format: number;
  version: string;
  checksum: string;
  entries: Record<string, unknown>;
}

export function parseCache(text: string): CacheFile {
  const nl = text.indexOf('\n');
  const header = JSON.parse(text.slice(0, nl)) as Omit<CacheFile, 'entries'>;
  const body = JSON.parse(text.slice(nl + 1)) as unknown;
  const entries = header.format === 2 && Array.isArray(body) ? Object.fromEntries(body.flatMap((k, i) => (i % 2 === 0 ? [[k, body[i + 1]]] : []))) : body;
  return { ...header, entries: entries as Record<string, unknown> };
}

/** The entries' text as the file holds it (format 2: a flat array of keys and values). */
function bodyText(c: { format: unknown; entries: unknown }): string {
  const e = c.entries;
  return c.format === 2 && typeof e === 'object' && e !== null && !Array.isArray(e) ? JSON.stringify(Object.entries(e).flat(1)) : JSON.stringify(e);
}

export function readCache(dir: string, rel: string): CacheFile {
  return parseCache(readFileSync(join(dir, rel), 'utf8'));
}

/** The file text for a cache; its header keeps `checksum` as given (stale after an edit, unless forged). */
export function cacheText(c: CacheFile | { format: unknown; version: unknown; checksum: unknown; entries: unknown }): string {
  const { entries: _entries, ...header } = c;
  return `${JSON.stringify(header)}\n${bodyText(c)}`;
}

/** The checksum gitopsc would write for these entries: a forged, self-consistent cache. */
export function forge(c: CacheFile): CacheFile {
  return { ...c, checksum: createHash('sha1').update(bodyText(c)).digest('base64url') };
}

export function writeCache(dir: string, rel: string, data: string | CacheFile): void {
  writeFileSync(join(dir, rel), typeof data === 'string' ? data : cacheText(data));
}

/** The rendered output (path under the output dir -> bytes): the output directory walked as snapshot walks it (not the whole project, its caches read and dropped). */
export function outputs(dir: string, out = 'rendered'): Map<string, string> {
  const root = join(dir, out);
  return existsSync(root) && statSync(root).isDirectory() ? snapshot(root) : new Map();
}

/** Every file except the caches, to compare two projects' inputs and outputs. */
export function withoutCaches(dir: string): Map<string, string> {
  return new Map([...snapshot(dir)].filter(([p]) => !p.startsWith('.gitopsc/')));
}

/** A copy of dir's inputs (no `.gitopsc`, no output) in a fresh directory. */
export function coldCopy(dir: string, out = 'rendered'): string {
  const fresh = makeProject({});
  cpSync(dir, fresh, {
    recursive: true,
    filter: (src) => {
      const rel = src.slice(dir.length).replace(/^[/\\]+/, '').split('\\').join('/');
      return !(rel === '.gitopsc' || rel.startsWith('.gitopsc/') || rel === out || rel.startsWith(`${out}/`));
    },
  });
  expect(existsSync(join(fresh, '.gitopsc'))).toBe(false);
  return fresh;
}

/** The output of a render of dir's current inputs with no cache and no previous output. */
export async function coldRender(dir: string, out = 'rendered'): Promise<Map<string, string>> {
  const fresh = coldCopy(dir, out);
  const r = await cli(fresh, 'render', '--format', 'json');
  expect(r.json.diagnostics).toEqual([]);
  expect(r.code).toBe(0);
  const files = outputs(fresh, out);
  rmSync(fresh, { recursive: true, force: true });
  return files;
}

/** Remove the project memo, so that the next run asks the unit and input caches. */
export function dropMemo(dir: string): void {
  rmSync(join(dir, MEMO), { force: true });
}

/** The render cache without a project memo entry (older versions kept it there). */
export function withoutMemo(c: CacheFile): CacheFile {
  const { project: _memo, ...entries } = c.entries;
  return { ...c, entries };
}
