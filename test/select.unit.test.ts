import { describe, expect, it } from 'vitest';
import {
  applyRuntimeInputs,
  checkSelect,
  compareNatural,
  compareVersions,
  matchRange,
  needsMetadata,
  parseDecimal,
  parseInputFlags,
  parseRange,
  parseRuntimeInput,
  parseTemplate,
  parseTimestamp,
  parseVersion,
  prefilter,
  rangeSatisfiable,
  selectFromVersions,
  validateExtract,
  validateRegex,
  type Version,
} from '../src/resolve/select/index.js';

/**
 * CPU milliseconds of this process (user + system), for the bounds on in-process work: unlike
 * wall time it does not grow while other processes hold the machine's cores.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function ver(s: string): Version {
  const v = parseVersion(s, { strict: false });
  if (!v) throw new Error(`bad version ${s}`);
  return v;
}

describe('parseRange', () => {
  it.each(['latest', '1.0.0p', '1x', 'x1', '-1', 'a', '', '   ', '*-*', '1.2 ||', '|| 1.2', '>=1.2,,<2', '>=1.2<2', '1.2.3.4', 'V1.2.3', '>=', '1.2 -1.4', '1.0.0-rc.01', '>=1.2,'])('rejects %j', (text) => {
    const r = parseRange(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).not.toBe('');
  });

  it.each([
    '*',
    'x',
    '1.x',
    '1.2.X',
    '^1.2.0-0',
    '~1.2',
    '~>1.2.3',
    '>= 1.2, < 2',
    '>=1.2 <2',
    '1.2 - 1.4.5',
    '1.2 - 1.4.5 || ^3',
    '!=1.2.5',
    '=>1.0 =<2.0',
    '^v1.0.0',
    'v1.2',
    '1.2.3+build.1',
    '* - 2',
    '1.2.3-beta.1 - 2',
  ])('accepts %j', (text) => {
    expect(parseRange(text).ok).toBe(true);
  });

  const table: [string, string, 'ok' | 'out-of-range' | 'prerelease'][] = [
    ['^1.2.0', '1.3.0-rc.1', 'prerelease'],
    ['^1.2.0-0', '1.3.0-rc.1', 'ok'],
    ['>=0.0.0-0', '1.0.1-rc.1', 'ok'],
    ['>=1.0.0-rc.1 <2.0.0', '1.5.0-beta.1', 'ok'],
    ['>=1.0.0-rc.1 <2.0.0', '2.0.0-rc.1', 'ok'], // Masterminds: 2.0.0-rc.1 < 2.0.0
    ['>=1.0.0-rc.1 <2.0.0-0', '2.0.0-rc.1', 'out-of-range'],
    ['^1.2.3', '2.0.0-rc.1', 'out-of-range'],
    ['^1.2.3-0', '2.0.0-0', 'out-of-range'],
    ['~1.2', '1.3.0-0', 'out-of-range'],
    ['<1.2', '1.2.0-rc.1', 'prerelease'],
    ['^0.2.3', '0.3.0', 'out-of-range'],
    ['^0.2.3', '0.2.99', 'ok'],
    ['^0.0.3', '0.0.4', 'out-of-range'],
    ['^0.0', '0.0.9', 'ok'],
    ['^0.0', '0.1.0', 'out-of-range'],
    ['>1', '1.9.9', 'out-of-range'],
    ['>1', '2.0.0', 'ok'],
    ['<=1', '1.99.0', 'ok'],
    ['<=1', '2.0.0', 'out-of-range'],
    ['!=1.2', '1.2.5', 'out-of-range'],
    ['!=1.2', '1.3.0', 'ok'],
    ['1.2.3', '1.2.3', 'ok'],
    ['1.2.3', '1.2.4', 'out-of-range'],
    ['1.2 - 1.4', '1.4.99', 'ok'],
    ['1.2 - 1.4', '1.5.0', 'out-of-range'],
    ['*', '0.0.0', 'ok'],
    ['*', '1.0.0-alpha', 'prerelease'],
  ];
  it.each(table)('%s against %s is %s', (range, version, want) => {
    const r = parseRange(range);
    if (!r.ok) throw new Error(r.message);
    expect(matchRange(r.range, ver(version))).toBe(want);
  });

  it('prerelease include and exclude', () => {
    const r = parseRange('^1.2.0-0');
    if (!r.ok) throw new Error(r.message);
    expect(matchRange(r.range, ver('1.3.0-rc.1'), 'exclude')).toBe('prerelease');
    const s = parseRange('^1.2.0');
    if (!s.ok) throw new Error(s.message);
    expect(matchRange(s.range, ver('1.3.0-rc.1'), 'include')).toBe('ok');
  });

  it.each([
    ['>2 <1', false],
    ['>=2.0.0 <=1.9.9', false],
    ['>1.2.3 <1.2.3', false],
    ['<0.0.0-0', false],
    ['!=*', false],
    ['>2 <1 || ^3', true],
    ['>=1.2.3 <=1.2.3', true],
    ['^1.2 !=1.2.5', true],
    ['>1.2.3 <1.2.4', true],
    ['*', true],
  ] as const)('rangeSatisfiable(%j) = %s', (text, want) => {
    const r = parseRange(text);
    if (!r.ok) throw new Error(r.message);
    expect(rangeSatisfiable(r.range)).toBe(want);
  });
});

describe('parseVersion', () => {
  it('strict', () => {
    expect(parseVersion('1.2.3')).toMatchObject({ major: 1n, minor: 2n, patch: 3n });
    expect(parseVersion('v1.2.3-rc.1+b.2')).toMatchObject({ prerelease: ['rc', '1'], build: 'b.2' });
    expect(parseVersion('2025.02.03')).toMatchObject({ major: 2025n, minor: 2n, patch: 3n });
    for (const bad of ['917005', '1.2', 'V1.2.3', '1.2.3.4', '1.0.0p', '1.0.0-rc.01', '1.0.0-', 'v', ' 1.2.3', '1.2.3\n']) expect(parseVersion(bad), bad).toBeUndefined();
  });
  it('loose', () => {
    expect(parseVersion('1', { strict: false })).toMatchObject({ major: 1n, minor: 0n, patch: 0n });
    expect(parseVersion('1.2', { strict: false })).toMatchObject({ major: 1n, minor: 2n, patch: 0n });
    expect(parseVersion('v1.2-rc.1', { strict: false })).toMatchObject({ prerelease: ['rc', '1'] });
  });
  it('precedence ignores build metadata and compares exactly', () => {
    expect(compareVersions(ver('1.2.3+a'), ver('1.2.3+b'))).toBe(0);
    expect(compareVersions(ver('9007199254740993.0.0'), ver('9007199254740992.0.0'))).toBe(1);
    expect(compareVersions(ver('1.0.0-rc.10'), ver('1.0.0-rc.9'))).toBe(1);
    expect(compareVersions(ver('1.0.0-rc10'), ver('1.0.0-rc9'))).toBe(-1);
  });
});

describe('keys', () => {
  it('decimal', () => {
    expect(parseDecimal('007')).toEqual({ negative: false, int: '7', frac: '' });
    expect(parseDecimal('-0.0')).toEqual({ negative: false, int: '0', frac: '' });
    // the forms Go's strconv.ParseFloat reads, exactly
    expect(parseDecimal('1e9')).toEqual({ negative: false, int: '1000000000', frac: '' });
    expect(parseDecimal('-90.29')).toEqual({ negative: true, int: '90', frac: '29' });
    expect(parseDecimal('+1.5E-3')).toEqual({ negative: false, int: '0', frac: '0015' });
    expect(parseDecimal('.5')).toEqual({ negative: false, int: '0', frac: '5' });
    expect(parseDecimal('5.')).toEqual({ negative: false, int: '5', frac: '' });
    expect(parseDecimal('12.5e1')).toEqual({ negative: false, int: '125', frac: '' });
    expect(parseDecimal('-0e5')).toEqual({ negative: false, int: '0', frac: '' });
    for (const no of ['abc', '.', '-', '1e', 'e5', '0x10', 'Inf', 'NaN', '1_0', '1e401', '1.2.3']) expect(parseDecimal(no), no).toBeUndefined();
  });
  it('natural', () => {
    expect(compareNatural('v10', 'v9')).toBe(1);
    expect(compareNatural('v9', 'v1.10')).toBe(1);
    expect(compareNatural('010', '9')).toBe(1);
    expect(compareNatural('1.2.3-rc1', '1.2.3')).toBe(1);
    expect(compareNatural('abc', 'abc')).toBe(0);
  });
  it('timestamps', () => {
    expect(parseTimestamp('2024-01-01T00:00:00Z')).toBe(1704067200000000000n);
    expect(parseTimestamp('2024-01-01T02:00:00+02:00')).toBe(1704067200000000000n);
    expect(parseTimestamp('2024-01-01T00:00:00.5Z')).toBe(1704067200500000000n);
    expect(parseTimestamp('2024-02-30T00:00:00Z')).toBeUndefined();
    expect(parseTimestamp('yesterday')).toBeUndefined();
  });
});

describe('regex and extract', () => {
  it('translates Go named groups', () => {
    const r = validateRegex('^main-(?P<ts>\\d+)$');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.re.exec('main-42')?.groups?.['ts']).toBe('42');
  });
  it('does not translate inside classes or escapes', () => {
    const r = validateRegex('[(?P<]x');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.re.test('Px')).toBe(true);
  });
  it('is unanchored', () => {
    const r = validateRegex('rc');
    expect(r.ok && r.re.test('src-9')).toBe(true);
  });
  it('accepts legacy escapes', () => {
    expect(validateRegex('^v\\-\\d+').ok).toBe(true);
  });
  it('reports invalid regexes', () => {
    const r = validateRegex('(unclosed');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('/(unclosed/');
  });
  it('uses RE2: backreferences and lookaround are invalid, with the reason', () => {
    for (const [src, why] of [
      ['^(a)\\1$', 'backreferences'],
      ['(?<n>a)\\k<n>', 'backreferences'],
      ['^v(?=1)', 'lookahead and lookbehind'],
      ['(?!rc)', 'lookahead and lookbehind'],
      ['(?<=v)1', 'lookahead and lookbehind'],
      ['(?<!v)1', 'lookahead and lookbehind'],
    ] as const) {
      const r = validateRegex(src);
      expect(r.ok, src).toBe(false);
      if (!r.ok) expect(r.message).toContain(why);
    }
    // RE2-only syntax that JavaScript lacks is accepted
    const ci = validateRegex('(?i)^RC-[[:digit:]]+$');
    expect(ci.ok && ci.re.test('rc-12')).toBe(true);
  });
  it('matches catastrophic patterns in linear time (a pushed tag cannot stall a run)', () => {
    const tags = ['a'.repeat(42) + '!', 'a'.repeat(128) + '-', 'a'.repeat(100_000) + '-'];
    const t0 = cpuMs();
    for (const src of ['^(a+)+$', '(a|a)*', '^(a|a)*$', '^(a|aa)+$', '(x+x+)+y']) {
      const r = validateRegex(src);
      if (!r.ok) throw new Error(r.message);
      for (const tag of tags) r.re.exec(tag);
      for (const tag of tags) r.re.test(tag);
    }
    // ignore, regex with extract and policy denyTags all go through the same engine
    const out = prefilter(['a'.repeat(120) + '-', '1.2.3'], { strategy: 'alphabetical', ignore: ['^(a|a)*$'], regex: '^((a+)+|1.*)$', extract: '$1' });
    expect(out.problem).toBeUndefined();
    expect(out.kept).toEqual(['1.2.3']);
    expect(cpuMs() - t0).toBeLessThan(2000);
  });
  it('parses Go templates', () => {
    expect(parseTemplate('$1-${name}$$x$')).toEqual([{ ref: '1' }, { lit: '-' }, { ref: 'name' }, { lit: '$x$' }]);
    expect(parseTemplate('$1x')).toEqual([{ ref: '1x' }]);
  });
  it('validates group references', () => {
    const r = validateRegex('^(\\d+)-(?P<sha>[a-f0-9]+)$');
    if (!r.ok) throw new Error(r.message);
    expect(validateExtract('$1', r.re).ok).toBe(true);
    expect(validateExtract('$sha', r.re).ok).toBe(true);
    expect(validateExtract('${1}x', r.re).ok).toBe(true);
    const bad = validateExtract('$1x', r.re);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toContain('${1}x');
    expect(validateExtract('$3', r.re).ok).toBe(false);
    expect(validateExtract('plain', r.re).ok).toBe(false);
  });
});

describe('checkSelect and needsMetadata', () => {
  it('reports every problem with its field', () => {
    const problems = checkSelect({ range: '>2 <1', regex: '(', ignore: ['ok', '['], platform: 'linux' });
    expect(problems.map((p) => [p.code, p.field])).toEqual([
      ['INVALID_RANGE', 'range'],
      ['INVALID_REGEX', 'regex'],
      ['INVALID_REGEX', 'ignore.1'],
      ['SCHEMA', 'platform'],
    ]);
    expect(checkSelect({ range: 'latest' })[0]?.code).toBe('INVALID_RANGE');
    expect(checkSelect({ extract: '$1' })[0]?.code).toBe('CONFLICTING_CRITERIA');
    expect(checkSelect({ range: '^1.4', regex: '^v(\\d.*)$', extract: '$1' })).toEqual([]);
    expect(checkSelect({ strategy: 'exact', tag: '<+input>' })[0]?.code).toBe('RUNTIME_INPUT_REQUIRED');
  });
  it('invalid criteria are an outcome, not an exception', () => {
    const out = selectFromVersions('p', [{ tag: '1.0.0' }], { range: 'latest' });
    expect(out).toMatchObject({ ok: false, code: 'INVALID_RANGE' });
    expect(prefilter(['1.0.0'], { regex: '(' }).problem?.code).toBe('INVALID_REGEX');
  });
  it('needsMetadata', () => {
    expect(needsMetadata({ range: '^1' })).toBe(false);
    expect(needsMetadata({ strategy: 'newest-build' })).toBe(true);
    expect(needsMetadata({ labels: { a: 'b' } })).toBe(true);
    expect(needsMetadata({ labels: {} })).toBe(false);
    expect(needsMetadata({ platform: 'linux/amd64' })).toBe(true);
  });
});

describe('explain', () => {
  it('lists every tag with a reason, deterministically', () => {
    const out = selectFromVersions(
      'p',
      [
        { tag: '1.3.0', labels: { approved: 'false' } },
        { tag: '1.2.0', labels: { approved: 'true' }, platforms: [{ os: 'linux', architecture: 'amd64' }] },
        { tag: '1.1.0', labels: { approved: 'true' }, platforms: [{ os: 'linux', architecture: 'amd64' }] },
        { tag: '1.2.1-rc.1' },
        { tag: 'latest' },
        { tag: 'sig-1.0.0' },
        { tag: '0.9.0' },
        { tag: 'v1.2.2', platforms: [{ os: 'linux', architecture: 'arm64' }], labels: { approved: 'true' } },
      ],
      { range: '>=1', ignore: ['^sig-'], platform: 'linux/amd64', labels: { approved: 'true' } },
    );
    expect(out.ok).toBe(true);
    expect(out.explain).toEqual([
      { tag: '1.2.0', kept: true, reason: 'selected' },
      { tag: '1.1.0', kept: false, reason: 'lower than 1.2.0' },
      { tag: '0.9.0', kept: false, reason: 'out of range' },
      { tag: '1.2.1-rc.1', kept: false, reason: 'prerelease not allowed' },
      { tag: '1.3.0', kept: false, reason: 'platform linux/amd64 missing' },
      { tag: 'latest', kept: false, reason: 'not semver' },
      { tag: 'sig-1.0.0', kept: false, reason: 'ignored by /^sig-/' },
      { tag: 'v1.2.2', kept: false, reason: 'platform linux/amd64 missing' },
    ]);
  });
  it('label reasons', () => {
    const out = selectFromVersions('p', [{ tag: '1.0.0', labels: { approved: 'no' } }, { tag: '1.1.0' }], { labels: { approved: 'true' } });
    expect(out.explain).toEqual([
      { tag: '1.0.0', kept: false, reason: 'label approved!=true' },
      { tag: '1.1.0', kept: false, reason: 'label approved missing' },
    ]);
  });
  it('prefilter keeps the best first and counts', () => {
    const pre = prefilter(['1.0.0', '1.10.0', '1.2.0', 'main', '2.0.0-rc.1'], { range: '^1' });
    expect(pre.kept).toEqual(['1.10.0', '1.2.0', '1.0.0']);
    expect(pre.stats).toMatchObject({ listed: 5, parsed: 4, kept: 3, prereleaseDropped: 0, highest: ['2.0.0-rc.1', '1.10.0', '1.2.0'] });
  });
  it('handles 20,000 tags quickly', () => {
    const tags: string[] = [];
    for (let i = 0; i < 20_000; i++) tags.push(`${i % 50}.${i % 97}.${i}`, `sha-${i.toString(16)}`);
    const t0 = cpuMs();
    const out = selectFromVersions(
      'p',
      tags.map((tag) => ({ tag })),
      { range: '^7' },
    );
    expect(out.ok && out.version.tag).toBe('7.96.15907');
    expect(cpuMs() - t0).toBeLessThan(3000);
  });
});

describe('runtime inputs', () => {
  const base = { strategy: 'exact' as const, tag: '<+input>' };
  it('service-qualified input wins over the global one', () => {
    const r = applyRuntimeInputs(base, 'checkout', { 'checkout.tag': '1.4.3', tag: '1.0.0' });
    expect(r).toMatchObject({ ok: true, select: { strategy: 'exact', tag: '1.4.3' }, applied: { tag: { value: '1.4.3', from: 'input', key: 'checkout.tag' } } });
  });
  it('global input applies to all services', () => {
    const r = applyRuntimeInputs(base, 'cart', { 'checkout.tag': '1.4.3', tag: '1.0.0' });
    expect(r.ok && r.select.tag).toBe('1.0.0');
  });
  it('missing input', () => {
    const r = applyRuntimeInputs(base, 'checkout', {});
    expect(r).toMatchObject({ ok: false, code: 'RUNTIME_INPUT_REQUIRED', reason: 'missing', field: 'tag' });
    // the flag to pass is spelled out
    if (!r.ok) expect(r.message).toContain('--input checkout.tag=VALUE');
  });
  it('default when no input', () => {
    const r = applyRuntimeInputs({ ...base, tag: '<+input>.default(1.4.2)' }, 'checkout', {});
    expect(r).toMatchObject({ ok: true, select: { tag: '1.4.2' }, applied: { tag: { from: 'default' } } });
  });
  it('allowed values', () => {
    const sel = { ...base, tag: '<+input>.allowedValues(1.4.2,1.4.3)' };
    expect(applyRuntimeInputs(sel, 'checkout', { tag: '1.4.3' }).ok).toBe(true);
    const r = applyRuntimeInputs(sel, 'checkout', { tag: '1.4.4' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect([r.code, r.reason]).toEqual(['RUNTIME_INPUT_REQUIRED', 'not-allowed-value']);
      // the allowed values are listed
      expect(r.message).toContain('1.4.2, 1.4.3');
    }
    expect(applyRuntimeInputs(sel, 'checkout', {}).ok).toBe(false);
  });
  it('default and allowedValues chain, in either order', () => {
    for (const tag of ['<+input>.default(1.4.2).allowedValues(1.4.2,1.4.3)', '<+input>.allowedValues(1.4.2, 1.4.3).default(1.4.2)']) {
      const sel = { ...base, tag };
      expect(applyRuntimeInputs(sel, 'checkout', {})).toMatchObject({ ok: true, select: { tag: '1.4.2' } });
      expect(applyRuntimeInputs(sel, 'checkout', { 'checkout.tag': '1.4.3' })).toMatchObject({ ok: true, select: { tag: '1.4.3' } });
      expect(applyRuntimeInputs(sel, 'checkout', { 'checkout.tag': '9.9.9' }).ok).toBe(false);
    }
  });
  it('range can be a runtime input, with parentheses and commas in the default', () => {
    const r = applyRuntimeInputs({ range: '<+input>.default(>=1.2, <2 || (x))' }, 'checkout', {});
    expect(r.ok && r.select.range).toBe('>=1.2, <2 || (x)');
    const r2 = applyRuntimeInputs({ range: '<+input>' }, 'checkout', { range: '^1.4' });
    expect(r2.ok && r2.select.range).toBe('^1.4');
  });
  it('leaves other values alone', () => {
    const sel = { strategy: 'exact' as const, tag: '1.2.3' };
    expect(applyRuntimeInputs(sel, 'checkout', { tag: '9' })).toMatchObject({ ok: true, select: sel, applied: {} });
  });
  it('malformed expressions', () => {
    expect(parseRuntimeInput('<+input>.default(1.2').ok).toBe(false);
    expect(parseRuntimeInput('<+input>.regex(a)').ok).toBe(false);
    expect(parseRuntimeInput('<+input>x').ok).toBe(false);
    expect(parseRuntimeInput('<+input>.default(1).default(2)').ok).toBe(false);
    expect(parseRuntimeInput('<+input>.default(3).allowedValues(1,2)').ok).toBe(false);
    expect(applyRuntimeInputs({ tag: '<+input>.bogus()' }, 'checkout', { tag: '1' })).toMatchObject({ ok: false, code: 'RUNTIME_INPUT_REQUIRED' });
  });
});

describe('parseInputFlags', () => {
  it('parses keys and values', () => {
    expect(parseInputFlags(['checkout.tag=1.4.3', 'tag=1', 'range=>=1.2, <2'])).toEqual({
      ok: true,
      inputs: { 'checkout.tag': '1.4.3', tag: '1', range: '>=1.2, <2' },
      errors: [],
    });
  });
  it('reports errors as data', () => {
    const r = parseInputFlags(['nokey', '=1', 'checkout.image=1', 'tag=', 'tag=1', 'tag=2', 'tag=1', 'Checkout.tag=1']);
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => e.flag)).toEqual(['nokey', '=1', 'checkout.image=1', 'tag=', 'tag=2', 'Checkout.tag=1']);
    expect(r.inputs).toEqual({ tag: '1' });
  });
});
