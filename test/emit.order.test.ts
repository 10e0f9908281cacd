/**
 * Canonical key order is UTF-16 code unit order (what `<` compares), for YAML and JSON alike:
 * the emitter sorts with the default sort, which compares exactly so. Keys whose code point order
 * differs from their UTF-16 order (beyond the BMP against U+E000-U+FFFF), case, digits,
 * punctuation and the empty key.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { emitJson, emitYaml } from '../src/core/emit.js';
import { envList } from '../src/render/kubernetes/workload.js';

const KEYS = ['b', 'a', 'B', 'A', '_', '-', '.', '/', '10', '9', '', ' ', 'é', 'z', '\uff61', '\ud83d\ude00', '\ue000', '\u00ff', 'a-b', 'a_b', 'a.b', 'a/b', 'ab', 'aB'];
const byCodeUnits = (keys: readonly string[]) => [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('canonical key order', () => {
  const value = Object.fromEntries(KEYS.map((k, i) => [k, { [k]: i, z: [{ [k]: 1, a: 2 }] }]));
  const want = byCodeUnits(KEYS);
  // the astral key sorts before U+E000 and U+FF61 in UTF-16 order (after them by code point)
  expect(want.indexOf('\ud83d\ude00')).toBeLessThan(want.indexOf('\ue000'));

  it('YAML: mappings in UTF-16 code unit order, at every level', () => {
    const text = emitYaml(value);
    const back = parse(text, { version: '1.2' }) as Record<string, Record<string, unknown>>;
    expect(Object.keys(back).filter((k) => !/^(0|[1-9][0-9]*)$/.test(k))).toEqual(want.filter((k) => !/^(0|[1-9][0-9]*)$/.test(k)));
    // in the text itself (JS objects move integer-like keys first when parsed back)
    const top = text.split('\n').filter((l) => l !== '' && !l.startsWith(' ')).map((l) => parse(`${l.replace(/:$/, ': 0')}`, { version: '1.2' }) as Record<string, unknown>).map((o) => Object.keys(o)[0]);
    expect(top).toEqual(want);
    for (const k of KEYS) expect(Object.keys((back[k]!.z as Record<string, unknown>[])[0]!)).toEqual(byCodeUnits([k, 'a']).filter((x, i, a) => a.indexOf(x) === i));
  });

  it('JSON: the same order (after integer-like keys, which a JavaScript object puts first)', () => {
    const text = emitJson(value);
    const order = [...text.matchAll(/^ {2}("(?:[^"\\]|\\.)*"): \{$/gm)].map((m) => JSON.parse(m[1]!) as string);
    const integer = (k: string) => /^(0|[1-9][0-9]*)$/.test(k);
    expect(order).toEqual([...want.filter(integer).sort((a, b) => Number(a) - Number(b)), ...want.filter((k) => !integer(k))]);
  });

  it('a container env list in UTF-16 code unit order of the names', () => {
    const env = Object.fromEntries(KEYS.filter((k) => k !== '').map((k) => [k, 'v']));
    expect(envList(env).map((e) => e.name)).toEqual(byCodeUnits(Object.keys(env)));
  });
});
