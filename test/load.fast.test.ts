/**
 * The fast reader is an optimisation only: on every input it accepts, data, positions and
 * scalar sources must equal the full `yaml` loader's; on every input the full loader refuses,
 * it must step aside. Differential over fixtures, a generated project and tricky snippets.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastLoad } from '../src/load/fast.js';
import { loadYaml } from '../src/load/yaml.js';
import type { LoadedDoc } from '../src/load/types.js';
import { serviceYaml } from '../bench/generate.mjs';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$|\.lock$/.test(n) ? [p] : [];
  });
}

function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function same(text: string): 'fast' | 'slow' {
  const bytes = new TextEncoder().encode(text);
  const slow = loadYaml('f.yaml', bytes, { fast: false });
  const fast = fastLoad('f.yaml', text);
  if (!fast) return 'slow';
  expect(slow.diagnostics).toEqual([]);
  const doc = slow.doc as LoadedDoc & { scalarSource(p: (string | number)[]): string | undefined };
  expect(fast.data).toEqual(doc.data);
  for (const p of [...paths(doc.data), ['nope'], [...(paths(doc.data).at(-1) ?? []), 'missing']]) {
    expect(fast.position(p, 'key'), `${p.join('.')} key`).toEqual(doc.position(p, 'key'));
    expect(fast.position(p, 'value'), `${p.join('.')} value`).toEqual(doc.position(p, 'value'));
    if (doc.scalarSource(p) !== undefined) expect(fast.scalarSource(p), `${p.join('.')} source`).toEqual(doc.scalarSource(p));
  }
  return 'fast';
}

const snippets: [string, 'fast' | 'slow'][] = [
  ['a: 1\nb: "two"\nc: \'three\'\nd: ~\ne: true\nf: 1.5\ng: 0755\nh: -3\ni: .5\nj: 1e3\n', 'fast'],
  ['a: {x: 1, "y": [1, 2, {z: "q"}], w: plain words}\n', 'fast'],
  ['a:\n  - x\n  - {k: v}\n  - k: v\n    k2:\n      - 1\n  -\n    deep: 1\nb:\n- 1\n- 2\n', 'fast'],
  ['# comment\na: 1 # trailing\n\nb:   # here\n  c: "x # not a comment"\n', 'fast'],
  ['a: "esc \\" \\\\ \\n \\u00e9"\nb: \'it\'\'s\'\n', 'fast'],
  ['a:\nb:\n  c:\n', 'fast'],
  ['key with spaces: 1\nurl: https://example.com/x\n', 'fast'],
  ['a: 1.10\nb: 1.2.3\nc: v1.2\nd: 2024-01-01\n', 'fast'],
  ['a: |\n  text\n', 'slow'],
  ['a: &x 1\n', 'slow'],
  ['a: !t 1\n', 'slow'],
  ['a: 1\na: 2\n', 'slow'],
  ['__proto__: 1\n', 'slow'],
  ['a: {b: 1,}\n', 'slow'],
  ['a: x: y\n', 'slow'],
  ['a: long\n  continued\n', 'slow'],
  ['- 1\n', 'slow'],
  ['a: [1,\n  2]\n', 'slow'],
  ['a: .inf\n', 'slow'],
  ['a: 0x1F\n', 'slow'],
  ['a: 1.2.3\nb: 1_000\nc: +1\nd: -.5e3\ne: 1.\nf: 12345678901234567890\ng: 1e\nh: v1\n', 'fast'],
  ['a: "\\x41"\n', 'slow'],
  ['"a": 1\n\'b\': 2\n', 'fast'],
  ['a:\n  - - 1\n', 'slow'],
  ['a: -\n', 'slow'],
  ['a: b\r\nc: d\r\n', 'fast'],
];

describe('fast YAML reader agrees with the full loader', () => {
  it.each(snippets)('%j -> %s', (text, want) => {
    expect(same(text)).toBe(want);
  });

  it('takes every bundled fixture and generated service file the fast way, identically', () => {
    const root = join(import.meta.dirname, '..');
    const files = [...yamlFiles(join(root, 'fixtures')), join(root, 'fixtures/example/gitopsc.lock')];
    let fast = 0;
    for (const f of files) if (same(readFileSync(f, 'utf8')) === 'fast') fast++;
    for (let i = 0; i < 50; i++) expect(same(serviceYaml(i))).toBe('fast');
    expect(fast).toBeGreaterThan(files.length / 2);
  });
});
