/**
 * The structure guarantee as a property: values (hostile strings, numbers, booleans), each
 * through every scalar context a YAML or JSON template offers, never change the parsed
 * structure, and each comes back exactly as the context makes it (typed where whole and plain,
 * text elsewhere). Read by a YAML 1.2 and (for a sample) a YAML 1.1 reader.
 *
 * The values: every one the generator can make from at most two atoms (the empty string, each
 * atom, each ordered pair), every code point it draws (in runs of four), both booleans and
 * integers across its range, enumerated; then 20,000 generated with a fixed seed (up to four
 * atoms or code points, and numbers). The enumeration covers exactly where 100,000 random values
 * covered by chance (each atom pair about 35 times, about one code point in eleven never).
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { emitJson, emitYaml } from '../src/core/emit.js';
import { createTemplateEngine } from '../src/render/handlebars.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ATOMS = ['{{', '}}', '{{x}}', 'zabcdefghijklmnq0y', "'", '"', '\\', '\n', '\r\n', '\t', ' ', '---', '...', ': ', ':', '#', ' #', '- ', '? ', '|', '>', '%YAML 1.1', '@', '`', '!!str', '!t', '&a', '*a', '[', ']', '{', '}', ',', 'yes', 'no', 'on', 'off', 'y', 'true', 'null', '~', '', '0755', '1.10', '1e3', '0x1f', '1:20', '2024-01-01', '.inf', '\u0000', '\u0085', '\u2028', '\ufeff', 'ü', '😀', 'plain', '__proto__x', '<<'];

function str(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) s += r() < 0.85 ? ATOMS[Math.floor(r() * ATOMS.length)]! : String.fromCharCode(Math.floor(r() * 0x2fff) + 1);
  return s;
}

function value(r: () => number): string | number | boolean {
  const x = r();
  if (x < 0.9) return str(r);
  if (x < 0.96) return Math.floor(r() * 20000) - 10000;
  return r() < 0.5;
}

/** Every value the generator makes from at most two atoms, every code point it draws (runs of four), both booleans, and integers from its whole range. */
function enumerated(): (string | number | boolean)[] {
  const out: (string | number | boolean)[] = [''];
  for (const a of ATOMS) out.push(a);
  for (const a of ATOMS) for (const b of ATOMS) out.push(a + b);
  for (let c = 1; c <= 0x2fff; c += 4) out.push(String.fromCharCode(...[c, c + 1, c + 2, c + 3].filter((x) => x <= 0x2fff)));
  out.push(true, false);
  for (let n = -10000; n < 10000; n += 199) out.push(n);
  out.push(-1, 0, 1, 9999);
  return out;
}

/** Values generated with a fixed seed, after the enumerated ones. */
const RANDOM = 20_000;

const SLOTS = 10;
const yamlSlot = (i: number) => `s${i}:
  plain: {{v.[${i}]}}
  dq: "{{v.[${i}]}}"
  sq: '{{v.[${i}]}}'
  cat: a-{{v.[${i}]}}-b
  lit: |
    x={{v.[${i}]}}
  fold: >
    x {{v.[${i}]}}
  flow: [{{v.[${i}]}}, "q{{v.[${i}]}}", {k: {{v.[${i}]}}}]
  wk:
    {{v.[${i}]}}: key
  ck:
    k-{{v.[${i}]}}: cat
  # {{v.[${i}]}}
  url: https://h/{{v.[${i}]}}?a={{v.[${i}]}}
`;
const YAML_TPL = Array.from({ length: SLOTS }, (_, i) => yamlSlot(i)).join('');
const JSON_TPL = `{\n${Array.from({ length: SLOTS }, (_, i) => `  "s${i}": { "bare": {{v.[${i}]}}, "str": "{{v.[${i}]}}", "cat": "a{{v.[${i}]}}b", "{{v.[${i}]}}": "key" }`).join(',\n')}\n}\n`;

function expectedYaml(v: string | number | boolean): unknown {
  const t = String(v);
  return {
    plain: v,
    dq: t,
    sq: t,
    cat: `a-${t}-b`,
    lit: `x=${t}\n`,
    fold: `x ${t}\n`,
    flow: [v, `q${t}`, { k: v }],
    wk: { [t]: 'key' },
    ck: { [`k-${t}`]: 'cat' },
    url: `https://h/${t}?a=${t}`,
  };
}

function expectedJson(v: string | number | boolean): unknown {
  const t = String(v);
  const o: Record<string, unknown> = { bare: v, str: t, cat: `a${t}b` };
  Object.defineProperty(o, t, { value: 'key', enumerable: true, writable: true, configurable: true });
  return o;
}

function obj(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

describe('property: no value changes the parsed structure', () => {
  it('every value of up to two atoms, every code point, and 20,000 seeded values through every YAML and JSON scalar context', { timeout: 180_000 }, () => {
    const engine = createTemplateEngine();
    const yamlFn = engine.compile(YAML_TPL, 'yaml');
    const jsonFn = engine.compile(JSON_TPL, 'json');
    const r = rng(20261205);
    const values = enumerated();
    const total = values.length + RANDOM;
    while (values.length < total || values.length % SLOTS) values.push(value(r));
    let checked = 0;
    for (let round = 0; checked < values.length; round++) {
      const v = values.slice(checked, checked + SLOTS);
      // keys of one mapping must differ: a JSON object keyed by values whose text collides with "bare"/"str"/"cat" is a duplicate key
      const jsonOk = v.every((x) => !['bare', 'str', 'cat'].includes(String(x)));
      const want = obj(v.map((x, i) => [`s${i}`, expectedYaml(x)]));
      const out = yamlFn({ v });
      // the bytes are exactly the canonical emission of the intended structure (the emitter's
      // own round trip through both readers is fuzzed in emit.fuzz.consumer.test.ts) ...
      if (out !== emitYaml(want)) expect(out).toBe(emitYaml(want));
      // ... and, for a sample (as many rounds as the 100,000 random values sampled), real readers see that structure
      if (round % 25 === 0) {
        expect(parse(out, { version: '1.2', uniqueKeys: false }), out).toEqual(want);
        expect(parse(out, { version: '1.1', merge: false, uniqueKeys: false }), out).toEqual(want);
      }
      if (jsonOk) {
        const j = jsonFn({ v });
        const jwant = obj(v.map((x, i) => [`s${i}`, expectedJson(x)]));
        if (j !== emitJson(jwant)) expect(j).toBe(emitJson(jwant));
        if (round % 25 === 0) expect(JSON.parse(j), j).toEqual(jwant);
      }
      checked += SLOTS;
    }
    expect(checked).toBeGreaterThanOrEqual(total);
  });
});
