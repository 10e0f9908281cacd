/**
 * The canonical reader (src/load/canonical.ts), which the Kubernetes API check reads rendered
 * files with: a seeded differential fuzz against the `yaml` package. Every value the canonical
 * emitter writes is read back (nearly always by the canonical reader itself), and whatever it
 * accepts, canonical or hand-written, is exactly the data `yaml` reads; anything else it refuses.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { emitYaml } from '../src/core/emit.js';
import { readCanonical } from '../src/load/canonical.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const STRINGS = ['plain', 'app.kubernetes.io/name', 'a-b_c', '/path/x', '_x', 'x1', 'yes', 'No', 'on', 'y', 'true', 'True', 'FALSE', 'null', 'Null', '~', '', ' ', '0755', '1.10', '1e3', '.inf', '-', '-x', '- x', 'a: b', 'a:b', '#c', 'a #b', '"q"', "'s'", '\\', '\n', '\t', 'é', '雪', '🚀', '\u0085', '\u2028', '\ufeff', '\u007f', 'x'.repeat(40), 'two words', '100m', '128Mi', 'http', ':8080', '[a]', '{a}', '{}', '[]'];
const NUMBERS = [0, 1, -1, 42, 8080, 1.5, -0.25, 1e21, 5e-324, 1.5e300, 2 ** 53, 123456789012345, 0.1];

function value(r: () => number, depth: number): unknown {
  const x = r();
  if (depth < 4 && x < 0.25) {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < 1 + Math.floor(r() * 4); i++) o[pick(r, STRINGS)] = value(r, depth + 1);
    return o;
  }
  if (depth < 4 && x < 0.4) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  if (x < 0.7) return pick(r, STRINGS);
  if (x < 0.9) return pick(r, NUMBERS);
  return pick(r, [true, false, null]);
}

function documentOf(r: () => number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < 1 + Math.floor(r() * 5); i++) o[pick(r, STRINGS)] = value(r, 1);
  return o;
}

const LINES = ['a: 1', 'b: x', 'c:', '  - 1', '  - a: 1', '    b: 2', '- x', '  d: "q"', 'e: []', 'f: {}', '  g:', '    - - 1', '      - 2', 'h: 0755', 'i: 1e3', 'j: -0', 'k: .5', 'l: "a\\tb"', 'm: "x" ', ' n: 1', '', '# c', 'o: a b', 'p: [1]', '"q": 1', 'true: 1', 'r: True', 's: ~', 't:  1', 'u: "\\u00e9"', 'v: 12345678901234567890', 'w: -1.5e+3', 'x: 1.0e+21'];

describe('canonical reader', () => {
  it('reads back every value the canonical emitter writes, as the yaml package does', () => {
    const r = rng(11);
    let read = 0;
    for (let i = 0; i < 3000; i++) {
      const doc = documentOf(r);
      const text = emitYaml(doc);
      const want = parse(text, { version: '1.2' }) as unknown;
      const got = readCanonical(text);
      if (got !== undefined) {
        expect(got, text).toStrictEqual(want);
        read++;
      }
    }
    // it leaves only rare canonical text to the other readers (integers past 15 digits, explicit
    // keys, characters it does not vouch for raw)
    expect(read).toBeGreaterThan(2500);
  });

  it('accepts nothing that the yaml package reads differently (hand-written, non-canonical text)', () => {
    const r = rng(7);
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      const lines = Array.from({ length: 1 + Math.floor(r() * 6) }, () => pick(r, LINES));
      const text = `${lines.join('\n')}\n`;
      const got = readCanonical(text);
      if (got === undefined) continue;
      accepted++;
      let want: unknown;
      try {
        want = parse(text, { version: '1.2', uniqueKeys: true });
      } catch {
        want = 'refused';
      }
      expect(got, JSON.stringify(text)).toStrictEqual(want);
    }
    expect(accepted).toBeGreaterThan(1000);
  });

  it.each([
    ['a root sequence', '- a\n'],
    ['no final newline', 'a: 1'],
    ['a comment', 'a: 1 # c\n'],
    ['a tab', 'a:\t1\n'],
    ['CRLF', 'a: 1\r\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a __proto__ key', '__proto__: 1\n'],
    ['an explicit key', '? a\n: 1\n'],
    ['an octal-looking number', 'a: 0755\n'],
    ['a value over a line', 'a: b\n  c\n'],
    ['a blank line', 'a: 1\n\nb: 2\n'],
    ['an indentation of one', 'a:\n b: 1\n'],
    ['a raw NEL in quotes', 'a: "x\u0085y"\n'],
  ])('refuses %s (the other readers decide)', (_name, text) => {
    expect(readCanonical(text)).toBeUndefined();
  });
});
