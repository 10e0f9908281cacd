import { describe, expect, it } from 'vitest';
import { loadYaml } from '../src/load/yaml.js';
import { pathToString, pointerToPath } from '../src/load/pointer.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Invalid {
  name: string;
  src: string | Uint8Array;
  code?: 'YAML_SYNTAX' | 'SCHEMA';
  line: number;
  column: number;
  related?: { line: number; column: number };
  opts?: { maxBytes?: number };
}

const invalid: Invalid[] = [
  { name: 'syntax: unterminated quote', src: 'a: "x\n', line: 2, column: 1 },
  { name: 'syntax: tab indentation', src: 'a:\n\tb: 1\n', line: 2, column: 1 },
  { name: 'syntax: nested compact mapping', src: 'a: b: c\n', line: 1, column: 4 },
  { name: 'duplicate key', src: 'a: 1\nb:\n  c: 2\n  c: 3\n', line: 4, column: 3, related: { line: 3, column: 3 } },
  { name: 'duplicate key, quoted vs plain', src: 'image: a\n"image": b\n', line: 2, column: 1, related: { line: 1, column: 1 } },
  { name: 'several documents', src: 'a: 1\n---\nb: 2\n', line: 2, column: 1 },
  { name: 'empty file', src: '', line: 1, column: 1 },
  { name: 'comment-only file', src: '# nothing\n', line: 1, column: 1 },
  { name: 'document marker only', src: '---\n', line: 1, column: 1 },
  { name: 'root is a sequence', src: '- a\n', code: 'SCHEMA', line: 1, column: 1 },
  { name: 'root is a scalar', src: 'hello\n', code: 'SCHEMA', line: 1, column: 1 },
  { name: 'anchor', src: 'a: &x 1\n', line: 1, column: 4 },
  { name: 'alias', src: 'a: 1\nb: *x\n', line: 2, column: 4 },
  { name: 'merge key', src: 'a: 1\n<<: {c: 1}\n', line: 2, column: 1 },
  { name: 'custom tag', src: 'a: 1\nb: !Ref x\n', line: 2, column: 4 },
  { name: 'core tag', src: 'a: !!str 3\n', line: 1, column: 4 },
  { name: 'js tag', src: 'a: !!js/function "x"\n', line: 1, column: 4 },
  { name: 'set tag', src: 'a: !!set {x, y}\n', line: 1, column: 4 },
  { name: '%YAML directive', src: '%YAML 1.1\n---\na: 1\n', line: 1, column: 1 },
  { name: '%TAG directive', src: '%TAG !e! tag:example.com,2000:\n---\na: 1\n', line: 1, column: 1 },
  { name: 'invalid UTF-8', src: new Uint8Array([...enc('a: 1\nb: x'), 0xff, 0x41]), line: 2, column: 5 },
  { name: 'overlong UTF-8', src: new Uint8Array([...enc('a: '), 0xc0, 0xaf]), line: 1, column: 4 },
  { name: 'over the size cap', src: 'a: 1234567890\n', opts: { maxBytes: 8 }, line: 1, column: 1 },
  { name: 'deep flow nesting', src: 'a: ' + '['.repeat(100), line: 1, column: 68 },
  { name: 'deep flow nesting, 100k', src: '['.repeat(100_000), line: 1, column: 65 },
  { name: 'deep compact sequences', src: '- '.repeat(100) + 'x\n', line: 1, column: 129 },
  { name: 'deep block nesting', src: Array.from({ length: 70 }, (_, i) => ' '.repeat(i) + 'a:').join('\n') + ' 1\n', line: 65, column: 65 },
  // valid YAML, refused as an unknown property at the key
  { name: '__proto__ key', src: 'a:\n  __proto__: { polluted: yes }\n', code: 'SCHEMA', line: 2, column: 3 },
  { name: 'quoted __proto__ key', src: 'a: 1\n"__proto__": 1\n', code: 'SCHEMA', line: 2, column: 1 },
  { name: 'constructor key', src: 'constructor: 1\n', code: 'SCHEMA', line: 1, column: 1 },
  { name: 'prototype key', src: 'a: [{prototype: 1}]\n', code: 'SCHEMA', line: 1, column: 6 },
  { name: 'non-scalar key', src: '? [a, b]\n: 1\n', line: 1, column: 3 },
];

describe('loadYaml refuses', () => {
  it.each(invalid)('$name', ({ src, code = 'YAML_SYNTAX', line, column, related, opts }) => {
    const r = loadYaml('services/x.yaml', typeof src === 'string' ? enc(src) : src, opts);
    expect(r.doc).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThan(0);
    const d = r.diagnostics[0]!;
    expect({ code: d.code, line: d.line, column: d.column, file: d.file, severity: d.severity }).toEqual({ code, line, column, file: 'services/x.yaml', severity: 'error' });
    if (related) expect(d.related?.[0]).toMatchObject(related);
  });

  it('reports every problem, not just the first', () => {
    const r = loadYaml('x.yaml', enc('a: &x 1\nb: *x\n<<: {c: 1}\nd: !Ref y\n'));
    expect(r.diagnostics.map((d) => [d.line, d.column])).toEqual([[1, 4], [2, 4], [4, 4], [3, 1]]);
  });
});

describe('loadYaml accepts', () => {
  it.each([
    { name: 'BOM', src: '\ufeffa: 1\nb: [x]\n', data: { a: 1, b: ['x'] } },
    { name: 'explicit document markers', src: '---\na: 1\n...\n', data: { a: 1 } },
    { name: 'YAML 1.2 booleans and numbers', src: 'a: yes\nb: NO\nc: 1.10\nd: 0755\ne: true\n', data: { a: 'yes', b: 'NO', c: 1.1, d: 755, e: true } },
    { name: 'CRLF', src: 'a: 1\r\nb:\r\n  c: x\r\n', data: { a: 1, b: { c: 'x' } } },
    { name: 'null values', src: 'a:\nb: ~\n', data: { a: null, b: null } },
    { name: 'a quoted "<<" key is just a string', src: '"<<": 1\n', data: { '<<': 1 } },
    { name: '64 levels of nesting', src: 'a: ' + '['.repeat(63) + ']'.repeat(63) + '\n', data: { a: JSON.parse('['.repeat(63) + ']'.repeat(63)) } },
  ])('$name', ({ src, data }) => {
    const r = loadYaml('x.yaml', enc(src));
    expect(r.diagnostics).toEqual([]);
    expect(r.doc?.data).toEqual(data);
    expect(Object.getPrototypeOf(r.doc?.data)).toBe(Object.prototype);
  });
});

describe('position', () => {
  const src = 'a: 1\nspec:\n  k:\n    replicas: 1.10\n  ports:\n    - name: x\n      p: 2\n';
  const doc = loadYaml('x.yaml', enc(src)).doc!;
  it.each([
    { path: [], target: 'key', at: [1, 1] },
    { path: ['spec'], target: 'key', at: [2, 1] },
    { path: ['spec'], target: 'value', at: [3, 3] },
    { path: ['spec', 'k', 'replicas'], target: 'key', at: [4, 5] },
    { path: ['spec', 'k', 'replicas'], target: 'value', at: [4, 15] },
    { path: ['spec', 'ports', '0', 'p'], target: 'value', at: [7, 10] },
    { path: ['spec', 'ports', 0, 'missing'], target: 'key', at: [6, 7] },
    { path: ['spec', 'nope', 'x'], target: 'value', at: [2, 1] },
  ] as const)('$path ($target)', ({ path, target, at }) => {
    const p = doc.position(path, target);
    expect([p.line, p.column]).toEqual(at);
  });
  it('keeps the source text of scalars', () => {
    expect(doc.scalarSource?.(['spec', 'k', 'replicas'])).toBe('1.10');
    expect(doc.scalarSource?.(['spec', 'k'])).toBeUndefined();
  });
  it('works on mappings large enough to be indexed', () => {
    const big = Array.from({ length: 100 }, (_, i) => `k${i}: ${i}`).join('\n') + '\n';
    const d = loadYaml('x.yaml', enc(big)).doc!;
    expect(d.position(['k42'], 'value')).toEqual({ line: 43, column: 6 });
  });
});

describe('pointer', () => {
  it.each([
    ['', []],
    ['/spec/ports/0/name', ['spec', 'ports', '0', 'name']],
    ['/labels/app.kubernetes.io~1name', ['labels', 'app.kubernetes.io/name']],
    ['/a~0b/~01', ['a~b', '~1']],
  ] as const)('%s', (ptr, path) => {
    expect(pointerToPath(ptr)).toEqual(path);
  });
  it('prints paths for messages', () => {
    expect(pathToString(['spec', 'ports', '0', 'name'])).toBe('spec.ports[0].name');
    expect(pathToString(['packages', 'a/b', 0])).toBe('packages["a/b"][0]');
    expect(pathToString([])).toBe('(root)');
  });
});
