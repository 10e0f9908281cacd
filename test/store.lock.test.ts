/**
 * The cache files of src/build/store.ts. The lock's (`.gitopsc/cache/lock.json`): laid out per service,
 * so that a compile that loads one changed service parses that service's lock entries alone;
 * every part is checked by its own checksum, the index by its own, and anything damaged is a
 * miss (the lock is read again), never wrong data. A JSON cache saved with keys added only appends
 * them to the text it read. Pure over a temporary directory.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openInputCache, openJsonCache, toolVersion } from '../src/build/store.js';
import { contentHash } from '../src/core/hash.js';

const LOCK = { lockVersion: 1, services: { web: { dev: { tag: '1.0.0', registry: 'r', package: 'p/web' } }, 'api-ü': { prod: { tag: '2.0.0', registry: 'r', package: 'p/api' } }, empty: {} } };
const KEY = 'lock:abc';

const dirs: string[] = [];
function project(): string {
  const d = mkdtempSync(join(tmpdir(), 'gitopsc-lockcache-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const lockFile = (dir: string) => join(dir, '.gitopsc', 'cache', 'lock.json');

async function saved(value: unknown = LOCK): Promise<string> {
  const dir = project();
  const c = openInputCache(dir);
  c.set(KEY, value);
  await c.save();
  return dir;
}

describe('lock.json', () => {
  it('gives back the whole lock, key order included, and one service alone', async () => {
    const dir = await saved();
    const c = openInputCache(dir);
    expect(JSON.stringify(c.get(KEY))).toBe(JSON.stringify(LOCK));
    expect(c.lockPart(KEY, 'web')).toEqual({ lockVersion: 1, services: { web: LOCK.services.web } });
    expect(c.lockPart(KEY, 'api-ü')).toEqual({ lockVersion: 1, services: { 'api-ü': LOCK.services['api-ü'] } });
    // a service the lock has no entries for: none (as the whole lock says)
    expect(c.lockPart(KEY, 'nobody')).toEqual({ lockVersion: 1, services: {} });
    expect(c.get('lock:other')).toBeUndefined();
    expect(c.lockPart('lock:other', 'web')).toBeUndefined();
  });

  it('a lock that is not laid out as a mapping of services is kept whole', async () => {
    for (const value of [{ lockVersion: 1 }, { lockVersion: 1, services: [1, 2] }, { services: null, lockVersion: 7 }]) {
      const dir = await saved(value);
      const c = openInputCache(dir);
      expect(JSON.stringify(c.get(KEY))).toBe(JSON.stringify(value));
      expect(JSON.stringify(c.lockPart(KEY, 'web'))).toBe(JSON.stringify(value));
    }
  });

  it('a damaged service part is a miss for that part and for the whole lock, never other data', async () => {
    const dir = await saved();
    const text = readFileSync(lockFile(dir), 'utf8');
    // the body (third line on) holds the parts: change one character of web's tag
    const at = text.indexOf('1.0.0', text.indexOf('\n', text.indexOf('\n') + 1));
    writeFileSync(lockFile(dir), text.slice(0, at) + '9' + text.slice(at + 1));
    const c = openInputCache(dir);
    expect(c.lockPart(KEY, 'web')).toBeUndefined();
    expect(c.get(KEY)).toBeUndefined();
    // another service's part still checks
    expect(c.lockPart(KEY, 'api-ü')).toEqual({ lockVersion: 1, services: { 'api-ü': LOCK.services['api-ü'] } });
  });

  const damage: [string, (t: string) => string][] = [
    ['the index edited (a service renamed)', (t) => t.replace('"web"', '"wex"')],
    ['an offset in the index edited', (t) => t.replace(/,0,/, ',1,')],
    ['the index truncated', (t) => t.slice(0, t.indexOf('\n') + 20)],
    ['garbage', () => '\u0000 not json'],
    ['another version', (t) => t.replace(/"version":"[^"]*"/, '"version":"0.0.0"')],
  ];
  for (const [what, f] of damage) {
    it(`${what}: nothing is believed`, async () => {
      const dir = await saved();
      writeFileSync(lockFile(dir), f(readFileSync(lockFile(dir), 'utf8')));
      const c = openInputCache(dir);
      expect(c.get(KEY)).toBeUndefined();
      expect(c.lockPart(KEY, 'web')).toBeUndefined();
    });
  }

  it('the body cut short: the parts cut are a miss, and so is the whole lock', async () => {
    const dir = await saved();
    const text = readFileSync(lockFile(dir), 'utf8');
    writeFileSync(lockFile(dir), text.slice(0, text.length - 1));
    const c = openInputCache(dir);
    expect(c.get(KEY)).toBeUndefined();
    expect(c.lockPart(KEY, 'empty')).toBeUndefined();
    expect(c.lockPart(KEY, 'web')).toEqual({ lockVersion: 1, services: { web: LOCK.services.web } });
  });

  it('keeps only the locks this run read or set; project.json drops a lock an older layout kept there', async () => {
    const dir = await saved();
    const c = openInputCache(dir);
    expect(c.get(KEY)).toBeDefined();
    c.set('lock:new', { lockVersion: 1, services: {} });
    await c.save();
    const d = openInputCache(dir);
    expect(d.get(KEY)).toBeDefined();
    expect(d.get('lock:new')).toEqual({ lockVersion: 1, services: {} });

    // project.json as an older version wrote it: the config and the lock
    const old = openJsonCache<unknown>(dir, 'project', toolVersion(), { onlyUsed: true });
    old.set('config::x', { services: [] });
    old.set('lock:old', LOCK);
    await old.save();
    const e = openInputCache(dir);
    expect(e.get('config::x')).toEqual({ services: [] });
    await e.save();
    // nothing was set, but the entry nobody read is gone: the next config lookup parses the config alone
    expect(readFileSync(join(dir, '.gitopsc', 'cache', 'project.json'), 'utf8')).not.toContain('lock:old');
    expect(openInputCache(dir).get('config::x')).toEqual({ services: [] });
  });
});

describe('a JSON cache saved with keys added', () => {
  // (an object of entries: any cache but the flat ones)
  const file = (dir: string) => join(dir, '.gitopsc', 'cache', 'other.json');
  /** a cache file whose entries' text is `body` (with its checksum) */
  function withBody(body: string): string {
    const dir = project();
    mkdirSync(join(dir, '.gitopsc', 'cache'), { recursive: true });
    writeFileSync(file(dir), `${JSON.stringify({ format: 1, version: toolVersion(), checksum: contentHash(body) })}\n${body}`);
    return dir;
  }
  const bodyOf = (dir: string) => readFileSync(file(dir), 'utf8').split('\n').slice(1).join('\n');

  it.each<[string, string, [string, unknown][], string]>([
    // the text read is kept as it is (its spacing shows it was not written again), the keys added after it
    ['keys added', '{"a": 1}', [['b', { x: [1, 'é'] }], ['c', null]], '{"a": 1,"b":{"x":[1,"é"]},"c":null}'],
    ['a key added twice: its last value, once', '{"a": 1}', [['b', 1], ['b', 2]], '{"a": 1,"b":2}'],
    ['to no entries', '{}', [['b', 2]], '{"b":2}'],
    // a key the file held set again: every entry written
    ['a key read set again', '{"a": 1}', [['b', 2], ['a', 3]], '{"a":3,"b":2}'],
  ])('%s', async (_what, body, sets, want) => {
    const dir = withBody(body);
    const c = openJsonCache<unknown>(dir, 'other', toolVersion());
    for (const [k, v] of sets) c.set(k, v);
    await c.save();
    expect(bodyOf(dir)).toBe(want);
    const back = openJsonCache<unknown>(dir, 'other', toolVersion());
    for (const [k, v] of Object.entries(JSON.parse(want) as Record<string, unknown>)) expect(back.get(k)).toEqual(v);
  });

  // onlyUsed with slack: up to that share of the entries used may stay unused (keys added are appended); past it, pruned
  it.each<[string, string, string[], [string, unknown][], string]>([
    ['one unused within the slack: the key added appended', '{"a": 1, "b": 2, "old": 3}', ['a', 'b'], [['c', 4]], '{"a": 1, "b": 2, "old": 3,"c":4}'],
    ['two unused, past the slack: written with what was used', '{"a": 1, "b": 2, "old": 3, "older": 5}', ['a', 'b'], [['c', 4]], '{"a":1,"b":2,"c":4}'],
    ['nothing set, unused within the slack: not written', '{"a": 1, "b": 2, "old": 3}', ['a', 'b'], [], '{"a": 1, "b": 2, "old": 3}'],
    ['nothing set, past the slack: pruned', '{"a": 1, "old": 3}', ['a'], [], '{"a":1}'],
  ])('onlyUsed with slack: %s', async (_what, body, got, sets, want) => {
    const dir = withBody(body);
    const c = openJsonCache<unknown>(dir, 'other', toolVersion(), { onlyUsed: true, slack: 0.5 });
    for (const k of got) expect(c.get(k)).toBeDefined();
    for (const [k, v] of sets) c.set(k, v);
    await c.save();
    expect(bodyOf(dir)).toBe(want);
    const back = openJsonCache<unknown>(dir, 'other', toolVersion());
    for (const [k, v] of Object.entries(JSON.parse(want) as Record<string, unknown>)) expect(back.get(k)).toEqual(v);
  });

  it('a cache that keeps only what was used is written whole', async () => {
    const dir = withBody('{"a": 1, "old": 2}');
    const c = openJsonCache<unknown>(dir, 'other', toolVersion(), { onlyUsed: true });
    expect(c.get('a')).toBe(1);
    c.set('b', 2);
    await c.save();
    expect(bodyOf(dir)).toBe('{"a":1,"b":2}');
  });
});

describe('the flat caches (units.json, services.json): one array of keys and values', () => {
  const file = (dir: string, name: string) => join(dir, '.gitopsc', 'cache', `${name}.json`);
  function withBody(name: string, body: string, format = 2): string {
    const dir = project();
    mkdirSync(join(dir, '.gitopsc', 'cache'), { recursive: true });
    writeFileSync(file(dir, name), `${JSON.stringify({ format, version: toolVersion(), checksum: contentHash(body) })}\n${body}`);
    return dir;
  }
  const bodyOf = (dir: string, name: string) => readFileSync(file(dir, name), 'utf8').split('\n').slice(1).join('\n');

  it.each<[string, string, string, { onlyUsed?: boolean; slack?: number }, string[], [string, unknown][], string]>([
    ['keys added: appended to the text read', 'units', '["a", 1]', {}, [], [['b', { x: [1, 'é'] }], ['c', null]], '["a", 1,"b",{"x":[1,"é"]},"c",null]'],
    ['to no entries', 'units', '[]', {}, [], [['b', 2]], '["b",2]'],
    ['a key read set again: every entry written', 'units', '["a", 1]', {}, [], [['b', 2], ['a', 3]], '["a",3,"b",2]'],
    ['a value with no JSON text: left out', 'units', '["a", 1]', {}, [], [['a', 2], ['b', undefined]], '["a",2]'],
    ['a key twice: read as its last value, written whole', 'units', '["a", 1, "a", 2]', {}, [], [['b', 3]], '["a",2,"b",3]'],
    ['records: one unused within the slack, the new one appended', 'services', '["a", 1, "b", 2, "old", 3]', { onlyUsed: true, slack: 0.5 }, ['a', 'b'], [['c', 4]], '["a", 1, "b", 2, "old", 3,"c",4]'],
    ['records: past the slack, only what was used', 'services', '["a", 1, "old", 3]', { onlyUsed: true }, ['a'], [['c', 4]], '["a",1,"c",4]'],
  ])('%s', async (_what, name, body, opts, got, sets, want) => {
    const dir = withBody(name, body);
    const c = openJsonCache<unknown>(dir, name, toolVersion(), opts);
    for (const k of got) expect(c.get(k)).toBeDefined();
    for (const [k, v] of sets) c.set(k, v);
    await c.save();
    expect(bodyOf(dir, name)).toBe(want);
    const back = openJsonCache<unknown>(dir, name, toolVersion());
    const flat = JSON.parse(want) as unknown[];
    for (let i = 0; i < flat.length; i += 2) expect(back.get(flat[i] as string)).toEqual(flat[i + 1]);
  });

  it.each<[string, string, number]>([
    ['an object (the layout before)', '{"a": 1}', 1],
    ['a format-1 header', '["a", 1]', 1],
    ['a key that is not a string', '[1, 1]', 2],
    ['an odd number of items', '["a", 1, "b"]', 2],
    ['not an array', '"a"', 2],
  ])('ignores %s whole', (_what, body, format) => {
    const dir = withBody('units', body, format);
    const c = openJsonCache<unknown>(dir, 'units', toolVersion());
    expect(c.get('a')).toBeUndefined();
  });
});
