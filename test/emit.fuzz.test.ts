/**
 * The canonical emitter's promise, fuzzed with a fixed seed: every value it writes reads back
 * exactly, by a YAML 1.2 and by a YAML 1.1 reader (which turns `yes`, `on`, `0755`, `1:20` and
 * dates into other types), with keys sorted and a trailing newline.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { emitYaml } from '../src/render/emit.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ATOMS = ['yes', 'No', 'ON', 'off', 'y', 'n', 'true', 'null', '~', '', ' ', '0755', '1.10', '1e3', '1_000', '1:20', '2024-01-01', '.inf', '-', '- x', '? x', '&a', '*a', '!t', '|', '>', '#', ' #', ': ', 'a: b', '{a}', '[a]', '"', "'", '\\', '\n', '\r\n', '\t', '\u0000', '\u0085', '\u2028', '\ufeff', 'ü', '😀', '%YAML', '---', '...', '@', '`', 'plain', 'path/to.x-y_z'];

function str(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) s += r() < 0.8 ? ATOMS[Math.floor(r() * ATOMS.length)]! : String.fromCharCode(Math.floor(r() * 0x3000));
  return s;
}

function value(r: () => number, depth: number): unknown {
  const x = r();
  if (depth > 3 || x < 0.45) {
    const y = r();
    if (y < 0.7) return str(r);
    if (y < 0.8) return Math.floor(r() * 2000) - 1000;
    if (y < 0.85) return Math.round(r() * 1e4) / 100;
    if (y < 0.9) return r() < 0.5;
    return null;
  }
  if (x < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < Math.floor(r() * 4); i++) o[str(r) || 'k'] = value(r, depth + 1);
  return o;
}

describe('emitYaml fuzz', () => {
  it('round-trips 3,000 random documents through YAML 1.2 and 1.1 readers', () => {
    const r = rng(7);
    for (let i = 0; i < 3000; i++) {
      const v: Record<string, unknown> = { root: value(r, 0), [str(r) || 'x']: value(r, 1) };
      const text = emitYaml(v);
      expect(text.endsWith('\n')).toBe(true);
      expect(parse(text, { version: '1.2' }), text).toEqual(v);
      expect(parse(text, { version: '1.1', merge: false }), text).toEqual(v);
      expect(emitYaml(parse(text)), text).toBe(text);
    }
  });
});
