/**
 * The canonical emitter's promise, fuzzed with a fixed seed: every value it writes reads back
 * exactly, by a YAML 1.2 and by a YAML 1.1 reader (which turns `yes`, `on`, `0755`, `1:20` and
 * dates into other types), with keys sorted and a trailing newline; and by a second, independent
 * reader: PyYAML, in its pure-Python and its libyaml (C) loader, the rules go-yaml -- and so
 * kubectl and Argo CD -- follow (refusing DEL and C1 controls, reading NEL as a line break,
 * limiting implicit keys to 1024 characters). PyYAML comes from Debian's python3-yaml, which
 * .ci/run installs.
 */
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { emitYaml } from '../src/core/emit.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ATOMS = ['yes', 'No', 'ON', 'off', 'y', 'n', 'true', 'null', '~', '', ' ', '0755', '1.10', '1e3', '1_000', '1:20', '2024-01-01', '.inf', '-', '- x', '? x', '&a', '*a', '!t', '|', '>', '#', ' #', ': ', 'a: b', '{a}', '[a]', '"', "'", '\\', '\n', '\r\n', '\t', '\u0000', '\u0085', '\u2028', '\ufeff', 'ü', '😀', '%YAML', '---', '...', '@', '`', 'plain', 'path/to.x-y_z',
  // classes other readers refuse or read differently: DEL, C1 controls (NEL among them), line and
  // paragraph separators, non-characters, a lone surrogate, and keys/values past 1024 characters
  '\u007f', '\u0080', '\u009b', '\u009f', '\u2029', '\ufffe', '\uffff'];
// numbers whose shortest form has an exponent: YAML 1.1 floats need a dot (`1.0e+21`)
const NUMBERS = [1e21, -1e21, 1.5e300, 1e-7, -2.5e-8, 2 ** 70, 5e-324];
const LONG = ['k'.repeat(1030), 'é'.repeat(520), '\u0085'.repeat(200), 'x'.repeat(1010)];

function str(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const x = r();
    s += x < 0.01 ? LONG[Math.floor(r() * LONG.length)]! : x < 0.8 ? ATOMS[Math.floor(r() * ATOMS.length)]! : String.fromCharCode(Math.floor(r() * 0x3000));
  }
  return s;
}

function value(r: () => number, depth: number): unknown {
  const x = r();
  if (depth > 3 || x < 0.45) {
    const y = r();
    if (y < 0.7) return str(r);
    if (y < 0.8) return Math.floor(r() * 2000) - 1000;
    if (y < 0.85) return r() < 0.8 ? Math.round(r() * 1e4) / 100 : NUMBERS[Math.floor(r() * NUMBERS.length)]!;
    if (y < 0.9) return r() < 0.5;
    return null;
  }
  if (x < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < Math.floor(r() * 4); i++) o[str(r) || 'k'] = value(r, depth + 1);
  return o;
}

function documents(seed: number, n: number): { v: Record<string, unknown>; text: string }[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const v: Record<string, unknown> = { root: value(r, 0), [str(r) || 'x']: value(r, 1) };
    return { v, text: emitYaml(v) };
  });
}

const PYYAML = `
import json, sys, yaml
texts = json.load(sys.stdin)
out = {}
for name, loader in (("python", yaml.SafeLoader), ("libyaml", getattr(yaml, "CSafeLoader", None))):
    if loader is None:
        out[name] = "no libyaml"
        continue
    res = []
    for t in texts:
        try:
            res.append({"ok": yaml.load(t, Loader=loader)})
        except yaml.YAMLError as e:
            res.append({"error": str(e).splitlines()[0]})
    out[name] = res
json.dump(out, sys.stdout)
`;

/** Reads every text with PyYAML; the Debian python3 first (python3-yaml), else the one on PATH. */
function readWithPyYaml(texts: string[]): Record<'python' | 'libyaml', ({ ok: unknown } | { error: string })[] | string> {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', PYYAML], { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status === 0) return JSON.parse(r.stdout) as Record<'python' | 'libyaml', ({ ok: unknown } | { error: string })[]>;
  }
  throw new Error('PyYAML is needed as the second reader: apt-get install python3-yaml (.ci/run does)');
}

describe('emitYaml fuzz', () => {
  it('round-trips 3,000 random documents through YAML 1.2 and 1.1 readers', () => {
    for (const { v, text } of documents(7, 3000)) {
      expect(text.endsWith('\n')).toBe(true);
      expect(parse(text, { version: '1.2' }), text).toEqual(v);
      expect(parse(text, { version: '1.1', merge: false }), text).toEqual(v);
      expect(emitYaml(parse(text)), text).toBe(text);
    }
  });

  it('round-trips 3,000 random documents through PyYAML, pure Python and libyaml', () => {
    const docs = documents(11, 3000);
    const read = readWithPyYaml(docs.map((d) => d.text));
    for (const reader of ['python', 'libyaml'] as const) {
      const results = read[reader];
      expect(Array.isArray(results), `${reader}: ${String(results)}`).toBe(true);
      docs.forEach(({ v, text }, i) => {
        expect((results as unknown[])[i], `${reader}\n${text}`).toEqual({ ok: v });
      });
    }
  });

  it('escapes what other readers refuse, and writes long keys as explicit keys', () => {
    expect(emitYaml({ a: 'x\u007fy\u0085z\u009f\u2028\ufffe\uffff' })).toBe('a: "x\\u007fy\\u0085z\\u009f\\u2028\\ufffe\\uffff"\n');
    // lone surrogates: U+FFFD, as UTF-8 output would hold anyway (libyaml refuses their escapes)
    expect(emitYaml({ nums: [1e21, 1.5e-7, 12.5, -0] })).toBe('nums:\n  - 1.0e+21\n  - 1.5e-7\n  - 12.5\n  - 0\n');
    expect(emitYaml({ a: 'x\ud800y\udc00', b: '😀' })).toBe('a: "x\ufffdy\ufffd"\nb: "😀"\n');
    const long = 'k'.repeat(1100);
    expect(emitYaml({ [long]: 1, b: { [long]: [1] } })).toBe(`b:\n  ? ${long}\n  :\n    - 1\n? "${long}"\n: 1\n`.replace(`? ${long}`, `? "${long}"`));
  });
});
