/**
 * A seeded differential fuzz of the fast YAML reader: random documents built from tricky
 * keys, scalars, flow collections, comments and indentation. Whenever the fast reader accepts a
 * document, data, positions and scalar sources must equal the full `yaml` loader's.
 */
import { describe, expect, it } from 'vitest';
import { fastLoad } from '../src/load/fast.js';
import { loadYaml } from '../src/load/yaml.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SCALARS = [
  'plain', 'two words', 'a:b', 'a: b', 'x #y', 'x#y', '#c', '"quoted"', "'single'", "'it''s'", '"esc \\" \\n \\t"', '"\\u00e9"', '"\\x41"',
  '1', '-1', '+1', '01', '0755', '1.5', '1.10', '.5', '1e3', '1E-2', '0x1F', '0o17', '.inf', '-.Inf', '.nan', 'true', 'True', 'TRUE', 'yes', 'no', 'on', 'off',
  'null', 'Null', '~', '', '1.2.3', 'v1.2', '2024-01-01', '12:30', 'a,b', 'a]b', 'a}b', '[x]', '{a: 1}', '[1, 2]', '{"a": "b"}', '{a: [1, {b: c}]}', '[]', '{}',
  '- x', '-x', '-', '?x', '? x', '&a x', '*a', '!t x', '|', '>', '@x', '`x`', '%x', 'a\tb', ' lead', 'trail ', 'ü', 'x: y: z', 'https://e.com/a?b=c#d', '${x}', '<+input>',
];
const KEYS = ['a', 'b', 'key', 'two words', 'app.kubernetes.io/name', '"q k"', "'s k'", '1', 'true', 'null', '~', 'a-b_c', '__proto__', '<<', '? x', '-k', 'k:', '"a"'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function doc(r: () => number, depth = 0, indent = 0): string {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  const n = 1 + Math.floor(r() * 4);
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    let k = pick(r, KEYS);
    if (used.has(k) && r() < 0.8) continue;
    used.add(k);
    const roll = r();
    if (r() < 0.1) lines.push(`${pad}# comment ${i}`);
    if (depth < 3 && roll < 0.25) {
      lines.push(`${pad}${k}:${r() < 0.2 ? ' # c' : ''}`);
      lines.push(doc(r, depth + 1, indent + pick(r, [1, 2, 4])));
    } else if (depth < 3 && roll < 0.4) {
      lines.push(`${pad}${k}:`);
      const seqIndent = indent + pick(r, [0, 2]);
      for (let j = 0; j < 1 + Math.floor(r() * 3); j++) {
        if (r() < 0.3) {
          const inner = doc(r, depth + 1, seqIndent + 2).split('\n');
          lines.push(`${' '.repeat(seqIndent)}- ${inner[0]!.trimStart()}`, ...inner.slice(1));
        } else lines.push(`${' '.repeat(seqIndent)}- ${pick(r, SCALARS)}`);
      }
    } else {
      if (r() < 0.05) k = k + ' ';
      lines.push(`${pad}${k}: ${pick(r, SCALARS)}${r() < 0.1 ? ' # trailing' : ''}`);
    }
  }
  return lines.join('\n');
}

function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

describe('fast reader fuzz', () => {
  it('agrees with the full loader on every document it accepts (5,000 seeded documents)', () => {
    const r = rng(20261128);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const text = doc(r) + (r() < 0.5 ? '\n' : '');
      const fast = fastLoad('f.yaml', text);
      if (!fast) continue;
      const slow = loadYaml('f.yaml', new TextEncoder().encode(text), { fast: false });
      expect(slow.diagnostics, text).toEqual([]);
      const d = slow.doc as typeof fast;
      expect(fast.data, text).toEqual(d.data);
      for (const p of paths(d.data)) {
        expect(fast.position(p, 'key'), `${text}\n@${p.join('.')}`).toEqual(d.position(p, 'key'));
        expect(fast.position(p, 'value'), `${text}\n@${p.join('.')}`).toEqual(d.position(p, 'value'));
        if (d.scalarSource(p) !== undefined) expect(fast.scalarSource(p), `${text}\n@${p.join('.')}`).toEqual(d.scalarSource(p));
      }
      accepted++;
    }
    expect(accepted).toBeGreaterThan(250);
  });
});
