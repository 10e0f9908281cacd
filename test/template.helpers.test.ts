/** The helpers Helm users reach for (issue 10, part 6): one table per helper, then each through a template. */
import { describe, expect, it } from 'vitest';
import { createTemplateEngine, helmHint } from '../src/render/handlebars.js';
import { TemplateError } from '../src/render/contextual.js';
import * as H from '../src/render/helpers.js';

type Row = [args: unknown[], want: string | RegExp];

function table(name: string, fn: (...a: unknown[]) => string, rows: Row[]): void {
  describe(name, () => {
    it.each(rows)('%j -> %s', (args, want) => {
      if (want instanceof RegExp) {
        expect(() => fn(...args)).toThrow(H.HelperError);
        expect(() => fn(...args)).toThrow(want);
      } else expect(fn(...args)).toBe(want);
    });
  });
}

table('sha256', (v) => H.sha256(v), [
  [['hello'], '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
  [[''], 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  [['ü'], '607474ca475a9724d7360aba71a56d5df77e61350e3f724cfa1f46e857e2d85f'],
  [[2], 'd4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35'],
  // an object hashes as its canonical JSON, so key order never matters
  [[{ b: 1, a: 2 }], 'd3626ac30a87e6f7a6428233b3c68299976865fa5508e4267c5415c76af7a772'],
  [[{ a: 2, b: 1 }], 'd3626ac30a87e6f7a6428233b3c68299976865fa5508e4267c5415c76af7a772'],
  [[undefined], /undefined/],
]);

table('trunc', (v, n) => H.trunc(v, n), [
  [['checkout-service', 8], 'checkout'],
  [['abc', 5], 'abc'],
  [['abc', 0], ''],
  [['abcdef', -2], 'ef'],
  [['ab', -5], 'ab'],
  [['😀😀😀', 2], '😀😀'],
  [[12345, 3], '123'],
  [['abc', '2'], 'ab'],
  [['abc', 1.5], /not an integer/],
  [[{ a: 1 }, 2], /object/],
]);

table('replace', (v, a, b) => H.replace(v, a, b), [
  [['a.b.c', '.', '-'], 'a-b-c'],
  [['aaa', 'a', 'bb'], 'bbbbbb'],
  [['x', 'y', 'z'], 'x'],
  [['a$1b', '$1', '.*'], 'a.*b'],
  [['a', '', 'b'], /empty/],
]);

table('trimPrefix', (v, p) => H.trimPrefix(v, p), [
  [['v1.2.3', 'v'], '1.2.3'],
  [['1.2.3', 'v'], '1.2.3'],
  [['vv1', 'v'], 'v1'],
  [['abc', ''], 'abc'],
]);

table('trimSuffix', (v, p) => H.trimSuffix(v, p), [
  [['name-', '-'], 'name'],
  [['name', '-'], 'name'],
  [['a.yaml.yaml', '.yaml'], 'a.yaml'],
]);

table('printf', (f, ...a) => H.printf(f, a), [
  [['%s-%s', 'web', 'prod'], 'web-prod'],
  [['%d replicas', 3], '3 replicas'],
  [['%05d', 42], '00042'],
  [['%-5s|', 'ab'], 'ab   |'],
  [['%5s|', 'ab'], '   ab|'],
  [['%.2f', 1.005], '1.00'],
  [['%.1f', '2.25'], '2.3'],
  [['%q', 'a"b'], '"a\\"b"'],
  [['%x', 255], 'ff'],
  [['%x', 'hi'], '6869'],
  [['%v', { b: 1, a: [2] }], '{"a":[2],"b":1}'],
  [['100%%'], '100%'],
  [['%.3s', 'abcdef'], 'abc'],
  [['%s'], /no argument/],
  [['%s', 'a', 'b'], /left over/],
  [['%d', 'x'], /not an integer/],
  [['%t', true], /unsupported verb/],
]);

table('b64enc', (v) => H.b64enc(v), [
  [['hello'], 'aGVsbG8='],
  [[''], ''],
  [['ü'], 'w7w='],
  [['a:b\n'], 'YTpiCg=='],
  [[null], /undefined/],
]);

table('quote', (v) => H.quote(v), [
  [['on'], 'on'],
  [['a"b'], 'a"b'],
  [[80], '80'],
  [[true], 'true'],
  [[undefined], /undefined/],
]);

describe('helpers in templates', () => {
  const engine = createTemplateEngine();
  const context = { service: { name: 'checkout' }, environment: { name: 'prod' }, artifact: { tag: 'v1.10' }, spec: { env: { B: '1', A: 'x' }, config: 'a=1\n' } };
  const rows: [string, Record<string, unknown>][] = [
    ['checksum: {{sha256 spec.env}}\n', { checksum: '0e04a04eca71a97c314559b20a29fc71caf4dd664097900e28d3564e6b3cf52c' }],
    ['checksum: {{sha256 (json spec.env)}}\n', { checksum: '0e04a04eca71a97c314559b20a29fc71caf4dd664097900e28d3564e6b3cf52c' }],
    ['name: {{trimSuffix (trunc (printf "%s-%s-very-long" service.name environment.name) 14) "-"}}\n', { name: 'checkout-prod' }],
    ['version: {{trimPrefix artifact.tag "v"}}\n', { version: '1.10' }],
    ['host: {{replace service.name "check" "pay"}}.example.com\n', { host: 'payout.example.com' }],
    ['data:\n  config: {{b64enc spec.config}}\n', { data: { config: 'YT0xCg==' } }],
    ['name: {{quote service.name}}\n', { name: 'checkout' }],
    ['name: "{{squote service.name}}"\n', { name: 'checkout' }],
    ['name: {{printf "%s-%d" service.name 2}}\n', { name: 'checkout-2' }],
  ];
  it.each(rows)('%j', async (tpl, want) => {
    const { parse } = await import('yaml');
    expect(parse(engine.compile(tpl, 'yaml')(context), { version: '1.1' })).toEqual(want);
  });

  it('a helper error is a TEMPLATE error at the call', () => {
    const fn = engine.compile('a: 1\nb: {{trunc service.name "x"}}\n', 'yaml');
    try {
      fn(context);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TemplateError);
      expect([(e as TemplateError).line, (e as TemplateError).column]).toEqual([2, 4]);
    }
  });
});

describe('Go-template syntax a Helm user writes is a TEMPLATE error with a hint to the Handlebars form', () => {
  it.each([
    ['name: {{ .Release.Name }}-cm', true],
    ['tag: {{ .Values.image.tag }}', true],
    ['  {{- toYaml service.labels | nindent 4 }}', true],
    ['name: {{ service.name | quote }}', true],
    ['name: {{service.name}}-cm', false],
    ['x: "{{trimSuffix (trunc spec.name 63) "-"}}"', false],
  ])('%s', (line, hinted) => {
    expect(helmHint(line) !== undefined).toBe(hinted);
  });
});

describe('a Helm-style template fails to compile at its line, with the hint', () => {
  it('{{ .Values.image.tag }}', () => {
    const engine = createTemplateEngine();
    let err: unknown;
    try {
      engine.compile('apiVersion: v1\nkind: ConfigMap\ndata:\n  tag: {{ .Values.image.tag }}\n', 'yaml', 'contextual');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    expect([(err as TemplateError).line, (err as TemplateError).hint === undefined]).toEqual([4, false]);
  });
});
