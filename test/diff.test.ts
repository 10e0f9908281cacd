import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareResults, shortDigest } from '../src/diff/compare.js';
import { toJson } from '../src/diff/format-json.js';
import { formatMarkdown } from '../src/diff/format-markdown.js';
import { formatText } from '../src/diff/format-text.js';
import { diffLines, splitLines, unifiedDiff } from '../src/diff/lines.js';
import { compileResult, deployment } from './helpers/git.js';

const GOLDEN = resolve(import.meta.dirname, 'golden');

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
  }
  // a missing golden file fails: only `npm run test:update` creates one
  expect(existsSync(file), `golden file ${name} is missing; run npm run test:update`).toBe(true);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

function apply(a: string[], edits: ReturnType<typeof diffLines>): { a: string[]; b: string[] } {
  return { a: edits.filter((e) => e.op !== '+').map((e) => e.line), b: edits.filter((e) => e.op !== '-').map((e) => e.line) };
}

describe('line diff', () => {
  it.each([
    [[], []],
    [['a'], []],
    [[], ['a']],
    [['a', 'b', 'c'], ['a', 'x', 'c']],
    [['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c']],
    [['x', 'y'], ['y', 'x']],
  ])('%j -> %j is a minimal, valid edit script', (a, b) => {
    const edits = diffLines(a, b);
    expect(apply(a, edits)).toEqual({ a, b });
    // minimal: edits = |a| + |b| - 2 * LCS
    const lcs = lcsLength(a, b);
    expect(edits.filter((e) => e.op !== ' ').length).toBe(a.length + b.length - 2 * lcs);
  });

  it('is valid and minimal on random inputs', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i++) {
      const a = Array.from({ length: Math.floor(rnd() * 12) }, () => 'abc'[Math.floor(rnd() * 3)]!);
      const b = Array.from({ length: Math.floor(rnd() * 12) }, () => 'abc'[Math.floor(rnd() * 3)]!);
      const edits = diffLines(a, b);
      expect(apply(a, edits)).toEqual({ a, b });
      expect(edits.filter((e) => e.op !== ' ').length).toBe(a.length + b.length - 2 * lcsLength(a, b));
    }
  });

  it('writes unified hunks with 3 lines of context', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const b = [...a];
    b[1] = 'changed 2';
    b[17] = 'changed 18';
    const d = unifiedDiff(a.join('\n') + '\n', b.join('\n') + '\n');
    expect(d).toMatchObject({ additions: 2, deletions: 2 });
    expect(d.body.split('\n').filter((l) => l.startsWith('@@'))).toEqual(['@@ -1,5 +1,5 @@', '@@ -15,6 +15,6 @@']);
    expect(unifiedDiff('', 'a\nb\n').body).toBe('@@ -0,0 +1,2 @@\n+a\n+b\n');
    expect(unifiedDiff('a\n', '').body).toBe('@@ -1,1 +0,0 @@\n-a\n');
    expect(unifiedDiff('same\n', 'same\n').body).toBe('');
    expect(splitLines('a\nb')).toEqual(['a', 'b']);
  });
});

function lcsLength(a: readonly string[], b: readonly string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) t[i]![j] = a[i - 1] === b[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
  return t[a.length]![b.length]!;
}

describe('compareResults and the formats', () => {
  const base = compileResult({ checkout: { dev: '1.4.2', prod: '1.4.2' }, cart: { dev: '2.0.0', prod: '2.0.0' }, legacy: { dev: '0.9.0' } });
  const head = compileResult({ checkout: { dev: '1.4.3', prod: '1.4.2' }, cart: { dev: '2.0.0', prod: '2.0.0' }, search: { dev: '1.0.0' } });
  // a configuration-only change: cart prod replicas
  const cartProd = head.files.find((f) => f.path === 'prod/cart/deployment.yaml')!;
  cartProd.content = deployment('cart', 'prod', head.artifacts.find((a) => a.service === 'cart' && a.environment === 'prod')!.image, 5);
  const diff = compareResults(base, head, { base: 'main (abc1234)', head: 'working tree' });

  it('summarises artifact versions and files', () => {
    expect(diff.changed).toBe(true);
    expect(diff.artifacts.map((a) => `${a.service}/${a.environment} ${a.status}`)).toEqual([
      'checkout/dev changed',
      'legacy/dev removed',
      'search/dev added',
    ]);
    expect(diff.files.map((f) => `${f.status} ${f.path}`)).toEqual([
      'changed prod/cart/deployment.yaml',
      'changed dev/checkout/deployment.yaml',
      'removed dev/legacy/deployment.yaml',
      'removed dev/legacy/service.yaml',
      'added dev/search/deployment.yaml',
      'added dev/search/service.yaml',
    ]);
    expect(shortDigest('sha256:' + 'ab'.repeat(32))).toBe('sha256:abababababab');
  });

  it('markdown matches the golden file', () => {
    golden('diff.md', formatMarkdown(diff));
  });

  it('text matches the golden file', () => {
    golden('diff.txt', formatText(diff));
  });

  it('json carries every change', () => {
    const j = toJson(diff) as { changed: boolean; files: Array<{ path: string; diff: string }>; artifacts: unknown[] };
    expect(j.changed).toBe(true);
    expect(j.files[0]?.path).toBe('rendered/prod/cart/deployment.yaml');
    expect(j.files[0]?.diff).toContain('-  replicas: 2\n+  replicas: 5');
    expect(j.artifacts).toHaveLength(3);
  });

  it('says clearly when nothing changed', () => {
    const same = compareResults(base, base, { base: 'main (abc1234)', head: 'working tree' });
    expect(same.changed).toBe(false);
    expect(formatMarkdown(same)).toContain('**No changes**');
    expect(formatText(same)).toMatch(/^No changes in rendered output between main \(abc1234\) and working tree\.\n/);
    expect(toJson(same)).toMatchObject({ changed: false, files: [], artifacts: [] });
  });
});

describe('markdown size cap', () => {
  const services = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`svc-${String(i).padStart(3, '0')}`, { dev: '1.0.0', prod: '1.0.0' }]));
  const bumped = Object.fromEntries(Object.keys(services).map((s) => [s, { dev: '2.0.0', prod: '2.0.0' }]));
  const base = compileResult(services);
  const head = compileResult(bumped);
  // make each resource diff big: a long line per resource
  for (const f of head.files) f.content += `# ${'x'.repeat(400)}\n`.repeat(3);
  const diff = compareResults(base, head);

  it('stays under the cap and truncates at whole resources, saying how much was left out', () => {
    const md = formatMarkdown(diff);
    expect(md.length).toBeLessThan(60_000);
    expect(md).toMatch(/Diff truncated .*: \d+ of 480 resource diffs \(\d+ changed lines\) left out/);
    // every opened fence and <details> is closed
    expect((md.match(/^```diff$/gm) ?? []).length).toBe((md.match(/^```$/gm) ?? []).length);
    expect((md.match(/<details>/g) ?? []).length).toBe((md.match(/<\/details>/g) ?? []).length);
    const shown = (md.match(/^#### /gm) ?? []).length;
    const left = Number(/: (\d+) of 480/.exec(md)?.[1]);
    expect(shown + left).toBe(480);
    expect(shown).toBeGreaterThan(0);
  });

  it('honours a smaller cap', () => {
    const md = formatMarkdown(diff, { maxChars: 20_000 });
    expect(md.length).toBeLessThan(20_000);
    expect(md).toContain('Diff truncated');
  });

  it('uses a longer fence when a resource contains backticks', () => {
    const b = compileResult({ a: { dev: '1' } });
    const h = compileResult({ a: { dev: '1' } });
    h.files[0]!.content += '# ```\n';
    const md = formatMarkdown(compareResults(b, h));
    expect(md).toContain('````diff\n');
  });
});
