/**
 * Table-driven tests of the selection engine (contract section 3). Every case runs with the tags
 * in the given order, reversed and shuffled (seeded), through both selectFromVersions and the
 * two-phase prefilter + choose path, and must give the same answer and the same explanation.
 */
import { describe, expect, it } from 'vitest';
import type { PlatformInfo, SelectSpec, VersionInfo } from '../src/core/model.js';
import { choose, prefilter, selectFromVersions } from '../src/resolve/select/index.js';
import { REASONS } from '../src/core/reasons.js';

interface Case {
  name: string;
  tags?: string[];
  versions?: VersionInfo[];
  select: SelectSpec;
  want?: string;
  wantDigest?: string;
  code?: 'NO_CANDIDATES' | 'TAG_NOT_FOUND' | 'DIGEST_MISMATCH' | 'INVALID_RANGE';
  /** substring or exact (string starting with '=') of the message */
  msg?: string;
}

const CREATED = 'org.opencontainers.image.created';

function v(tag: string, extra: Omit<VersionInfo, 'tag'> = {}): VersionInfo {
  return { tag, ...extra };
}
function plat(text: string, created?: string): PlatformInfo {
  const [os, architecture, variant] = text.split('/') as [string, string, string | undefined];
  return { os, architecture, ...(variant ? { variant } : {}), ...(created ? { created } : {}) };
}

const cases: Case[] = [
  // ---- semver: the contract's named cases
  { name: 'caret with -0 opts the group in to prereleases', tags: ['1.2.0', '1.2.5', '1.3.0-rc.1'], select: { range: '^1.2.0-0' }, want: '1.3.0-rc.1' },
  { name: 'caret without prerelease excludes them', tags: ['1.2.0', '1.2.5', '1.3.0-rc.1'], select: { range: '^1.2.0' }, want: '1.2.5' },
  { name: 'short SHA is not a version in strict mode', tags: ['917005', '1.2.4'], select: { range: '>=1.2.3' }, want: '1.2.4' },
  { name: 'v-prefixed tie goes to the bytewise-greatest tag', tags: ['1.2.3', 'v1.2.3'], select: {}, want: 'v1.2.3' },
  { name: 'three-way tie 01.2.3 / 1.2.3 / v1.2.3', tags: ['01.2.3', '1.2.3', 'v1.2.3'], select: { strategy: 'semver' }, want: 'v1.2.3' },
  { name: '>=0.0.0-0 admits any prerelease', tags: ['0.9.0', '1.0.1-rc.1'], select: { range: '>=0.0.0-0' }, want: '1.0.1-rc.1' },
  { name: 'group opt-in admits prereleases on other tuples (3.4 rule)', tags: ['1.4.0', '1.5.0-beta.1'], select: { range: '>=1.0.0-rc.1 <2.0.0' }, want: '1.5.0-beta.1' },
  { name: 'no range excludes prereleases', tags: ['1.0.0', '2.0.0-rc.1'], select: {}, want: '1.0.0' },
  { name: 'no range and only prereleases is NO_CANDIDATES', tags: ['2.0.0-rc.1', '2.0.0-rc.2'], select: {}, code: 'NO_CANDIDATES', msg: '2 prereleases excluded' },
  { name: 'comma is AND', tags: ['1.1.0', '1.2.0', '1.3.9', '1.4.0'], select: { range: '>=1.2, <1.4' }, want: '1.3.9' },
  { name: 'space is AND', tags: ['1.1.0', '1.2.0', '1.3.9', '1.4.0'], select: { range: '>=1.2 <1.4' }, want: '1.3.9' },
  { name: 'operator followed by a space', tags: ['1.1.0', '1.3.9', '1.4.0'], select: { range: '>= 1.2 , < 1.4' }, want: '1.3.9' },
  { name: '!= excludes one version', tags: ['1.2.4', '1.2.5'], select: { range: '^1.2, !=1.2.5' }, want: '1.2.4' },
  { name: '!= partial excludes a minor line', tags: ['1.2.4', '1.3.1', '1.1.0'], select: { range: '^1 !=1.3' }, want: '1.2.4' },
  { name: 'OR: prerelease only through the group that names one', tags: ['1.5.0', '1.6.0-rc.1', '2.1.0-beta.1'], select: { range: '^1.0.0 || >=2.0.0-0 <3.0.0' }, want: '2.1.0-beta.1' },
  { name: 'OR: a prerelease inside the other group is refused', tags: ['1.5.0', '1.6.0-rc.1'], select: { range: '^1.0.0 || >=2.0.0-0 <3.0.0' }, want: '1.5.0' },
  { name: 'OR picks the greatest over all groups', tags: ['1.9.0', '3.1.0', '2.5.0'], select: { range: '^1 || ^3' }, want: '3.1.0' },
  { name: 'hyphen range is inclusive', tags: ['1.1.9', '1.2.0', '1.4.5', '1.4.6'], select: { range: '1.2 - 1.4.5' }, want: '1.4.5' },
  { name: 'hyphen range with partial upper bound', tags: ['1.4.9', '1.5.0'], select: { range: '1.2 - 1.4' }, want: '1.4.9' },
  { name: '~1.2 is 1.2.x', tags: ['1.2.0', '1.2.9', '1.3.0'], select: { range: '~1.2' }, want: '1.2.9' },
  { name: '~1.2.3 stays on the minor', tags: ['1.2.2', '1.2.8', '1.3.0'], select: { range: '~1.2.3' }, want: '1.2.8' },
  { name: '~> is tilde', tags: ['1.2.2', '1.2.8', '1.3.0'], select: { range: '~>1.2.3' }, want: '1.2.8' },
  { name: '~1 is 1.x', tags: ['1.9.0', '2.0.0'], select: { range: '~1' }, want: '1.9.0' },
  { name: '^0.2.3 is >=0.2.3 <0.3.0', tags: ['0.2.3', '0.2.9', '0.3.0', '1.0.0'], select: { range: '^0.2.3' }, want: '0.2.9' },
  { name: '^0.0.3 is exactly the patch', tags: ['0.0.3', '0.0.4', '0.1.0'], select: { range: '^0.0.3' }, want: '0.0.3' },
  { name: '^0 is <1.0.0', tags: ['0.9.9', '1.0.0'], select: { range: '^0' }, want: '0.9.9' },
  { name: '^0.2.3 refuses lower versions', tags: ['0.2.2', '0.1.9'], select: { range: '^0.2.3' }, code: 'NO_CANDIDATES' },
  { name: '1.x', tags: ['1.0.0', '1.9.9', '2.0.0'], select: { range: '1.x' }, want: '1.9.9' },
  { name: '1.X and 1.* are 1.x', tags: ['1.0.0', '1.9.9', '2.0.0'], select: { range: '1.X || 1.*' }, want: '1.9.9' },
  { name: '* is every release', tags: ['0.1.0', '3.0.0', '3.1.0-rc.1'], select: { range: '*' }, want: '3.0.0' },
  { name: 'bare partial 1.2 is 1.2.x', tags: ['1.2.7', '1.3.0'], select: { range: '1.2' }, want: '1.2.7' },
  { name: 'bare full version is equality', tags: ['1.2.3', '1.2.4'], select: { range: '1.2.3' }, want: '1.2.3' },
  { name: '=1.2.3 is equality', tags: ['1.2.3', '1.2.4', 'v1.2.3'], select: { range: '=1.2.3' }, want: 'v1.2.3' },
  { name: '>1.2 means 1.3 or later', tags: ['1.2.9'], select: { range: '>1.2' }, code: 'NO_CANDIDATES' },
  { name: '<=1.2 includes 1.2.x', tags: ['1.2.9', '1.3.0'], select: { range: '<=1.2' }, want: '1.2.9' },
  { name: '=> and =< aliases', tags: ['1.5.0', '1.5.1', '0.9.0'], select: { range: '=>1.0.0 =<1.5.0' }, want: '1.5.0' },
  { name: 'v prefix inside the range', tags: ['v1.0.0', 'v1.4.0', 'v2.0.0'], select: { range: '^v1.0.0' }, want: 'v1.4.0' },
  { name: 'zero-padded CalVer parses', tags: ['2025.01.31', '2025.02.03', 'latest'], select: { range: '>=2025.2.0' }, want: '2025.02.03' },
  { name: 'zero-padded tie with unpadded: bytewise greatest', tags: ['2025.02.03', '2025.2.3'], select: {}, want: '2025.2.3' },
  { name: 'rc.10 > rc.9 (numeric identifiers)', tags: ['1.0.0-rc.9', '1.0.0-rc.10'], select: { range: '>=1.0.0-0' }, want: '1.0.0-rc.10' },
  { name: 'rc9 > rc10 (alphanumeric identifiers)', tags: ['1.0.0-rc9', '1.0.0-rc10'], select: { range: '>=1.0.0-0' }, want: '1.0.0-rc9' },
  { name: 'numeric identifier < alphanumeric', tags: ['1.0.0-1', '1.0.0-alpha'], select: { prerelease: 'include' }, want: '1.0.0-alpha' },
  { name: 'longer prerelease wins when a prefix', tags: ['1.0.0-alpha', '1.0.0-alpha.1'], select: { prerelease: 'include' }, want: '1.0.0-alpha.1' },
  { name: 'release beats its prereleases', tags: ['1.0.0-rc.1', '1.0.0', '1.0.0-rc.2'], select: { range: '>=1.0.0-0' }, want: '1.0.0' },
  { name: '1.0 vs 1.0.0 with strictSemver false: tie to the longer tag', tags: ['1.0', '1.0.0'], select: { strictSemver: false }, want: '1.0.0' },
  { name: 'strict semver skips partial versions', tags: ['1.1', '0.9.0'], select: {}, want: '0.9.0' },
  { name: 'non-strict accepts 1 and 1.2', tags: ['1', '1.2', 'main'], select: { strictSemver: false }, want: '1.2' },
  { name: 'non-strict reads a short SHA as a major (why strict is the default)', tags: ['917005', '1.2.4'], select: { strictSemver: false }, want: '917005' },
  { name: '1.10.0 > 1.2.0', tags: ['1.2.0', '1.10.0', '1.9.0'], select: {}, want: '1.10.0' },
  { name: 'uppercase V is not semver', tags: ['V2.0.0', '1.0.0'], select: {}, want: '1.0.0' },
  { name: 'latest is never special', tags: ['latest', '1.0.0', 'main'], select: {}, want: '1.0.0' },
  { name: 'leading-zero numeric prerelease is not semver', tags: ['1.0.0-rc.01', '0.9.0'], select: { range: '>=0.0.0-0' }, want: '0.9.0' },
  // ---- numbers beyond uint64: Masterminds (Flux, Argo CD, Kargo) skips such tags and refuses such ranges
  { name: 'a major of 2^64-1 is a version', tags: ['18446744073709551615.0.0', '18446744073709551614.9.9'], select: {}, want: '18446744073709551615.0.0' },
  { name: 'a major above 2^64-1 is skipped', tags: ['99999999999999999999.0.0', '18446744073709551616.0.0', '1.0.0'], select: {}, want: '1.0.0' },
  { name: 'a minor or patch above 2^64-1 is skipped', tags: ['1.18446744073709551616.0', '1.0.18446744073709551616', '1.0.0'], select: { range: '^1' }, want: '1.0.0' },
  { name: 'a range number above 2^64-1 is refused', tags: ['1.0.0'], select: { range: '>=18446744073709551616' }, code: 'INVALID_RANGE', msg: 'above 2^64-1' },
  { name: 'a range number of 2^64-1 is read', tags: ['18446744073709551615.0.0', '1.0.0'], select: { range: '>=18446744073709551615.0.0' }, want: '18446744073709551615.0.0' },
  // ---- hyphen ranges that Masterminds reads apart (its rewrite takes "|" into a version and glues
  // a hyphen range to a comparator before it): refused, with the spelling that works
  { name: 'hyphen range before || without a space is refused', tags: ['1.5.0', '3.0.0'], select: { range: '1.0.0 - 2.0.0||3.0.0' }, code: 'INVALID_RANGE', msg: 'next to "||"' },
  { name: 'hyphen range after || without a space is refused', tags: ['1.5.0', '3.0.0'], select: { range: '3.0.0||1.0.0 - 2.0.0' }, code: 'INVALID_RANGE', msg: 'next to "||"' },
  { name: 'hyphen range with spaces around || is read', tags: ['1.5.0', '2.5.0', '3.0.0'], select: { range: '1.0.0 - 2.0.0 || 3.0.0' }, want: '3.0.0' },
  { name: 'hyphen range with a space on its side of || is read', tags: ['1.5.0', '2.5.0'], select: { range: '3.0.0|| 1.0.0 - 2.0.0' }, want: '1.5.0' },
  { name: 'hyphen range after a space-separated comparator is refused', tags: ['1.3.0'], select: { range: '>=1.0.0 1.2.0 - 1.4.0' }, code: 'INVALID_RANGE', msg: 'separate them with a comma' },
  { name: 'hyphen range after a comma-separated comparator is read', tags: ['1.3.0', '1.5.0', '1.1.0'], select: { range: '>=1.0.0, 1.2.0 - 1.4.0' }, want: '1.3.0' },
  { name: 'comparator after a hyphen range, space-separated, is read', tags: ['1.3.0', '1.3.5', '1.4.0'], select: { range: '1.2.0 - 1.4.0 <1.3.5' }, want: '1.3.0' },
  { name: 'two space-separated hyphen ranges are read', tags: ['1.3.0', '1.5.0', '1.6.0'], select: { range: '1.0.0 - 1.5.0 1.3.0 - 2.0.0' }, want: '1.5.0' },
  { name: 'prerelease include lets all prereleases through', tags: ['1.0.0', '1.1.0-rc.1'], select: { range: '^1.0.0', prerelease: 'include' }, want: '1.1.0-rc.1' },
  { name: 'prerelease include still applies the range', tags: ['1.0.0', '2.0.0-rc.1'], select: { range: '^1.0.0', prerelease: 'include' }, want: '1.0.0' },
  { name: 'prerelease exclude wins over a -0 range', tags: ['1.2.0', '1.2.5', '1.3.0-rc.1'], select: { range: '^1.2.0-0', prerelease: 'exclude' }, want: '1.2.5' },
  { name: 'regex filters before semver', tags: ['v1.0.0', '2.0.0'], select: { regex: '^v' }, want: 'v1.0.0' },
  { name: 'regex is unanchored', tags: ['1.0.0', 'src-2.0.0', 'x-3.0.0'], select: { regex: 'rc', strategy: 'alphabetical' }, want: 'src-2.0.0' },
  { name: 'semver over an extracted key, result is the original tag', tags: ['app-1.2.0', 'app-1.10.0', 'other-9.0.0'], select: { regex: '^app-(?P<ver>.+)$', extract: '$ver' }, want: 'app-1.10.0' },
  { name: 'semver key with range through ${name}', tags: ['app-1.2.0', 'app-2.1.0'], select: { regex: '^app-(?<ver>.+)$', extract: '${ver}', range: '<2' }, want: 'app-1.2.0' },
  { name: 'ignore drops matching tags', tags: ['1.0.0', '1.1.0'], select: { ignore: ['^1\\.1\\.'] }, want: '1.0.0' },
  { name: 'several ignore regexes', tags: ['1.0.0', '1.1.0', '1.2.0', '0.5.0'], select: { ignore: ['^1\\.1', '^1\\.2', 'nomatch'] }, want: '1.0.0' },
  { name: 'tags outside the OCI grammar are skipped (trailing newline)', tags: ['1.0.0', '2.0.0\n', '-3.0.0', '.4.0.0'], select: {}, want: '1.0.0' },
  { name: 'build metadata (generic versions) parses and is ignored in precedence', tags: ['1.0.0', '1.0.1+build.5'], select: {}, want: '1.0.1+build.5' },
  { name: 'equal precedence with different build metadata: bytewise greatest', tags: ['1.0.1+b', '1.0.1+a'], select: {}, want: '1.0.1+b' },
  { name: 'duplicate tags are counted once', tags: ['1.0.0', '1.0.0', '0.1.0'], select: {}, want: '1.0.0' },
  {
    name: 'NO_CANDIDATES message carries counts and the highest tags',
    tags: ['2.9.1', '2.9.0', '2.8.7', '1.0.0', 'latest'],
    select: { range: '^3' },
    code: 'NO_CANDIDATES',
    msg: '=no tag of payments/checkout matches "^3" (5 listed, 4 semver, 0 in range; highest 2.9.1, 2.9.0, 2.8.7)',
  },
  { name: 'empty tag list', tags: [], select: {}, code: 'NO_CANDIDATES', msg: '=no tag of payments/checkout matches "*" (0 listed, 0 semver, 0 in range)' },
  { name: 'regex that matches nothing', tags: ['1.0.0', '2.0.0'], select: { regex: '^release-' }, code: 'NO_CANDIDATES', msg: '(2 listed, 0 match regex, 0 semver, 0 in range)' },

  // ---- alphabetical
  { name: 'alphabetical is bytewise, asc picks the greatest', tags: ['a.1', 'A1', 'a_1', 'a-1'], select: { strategy: 'alphabetical' }, want: 'a_1' },
  { name: 'alphabetical desc picks the smallest', tags: ['a.1', 'A1', 'a_1', 'a-1'], select: { strategy: 'alphabetical', order: 'desc' }, want: 'A1' },
  { name: 'alphabetical explicit asc', tags: ['2024-01-02', '2023-12-31', '2024-01-01'], select: { strategy: 'alphabetical', order: 'asc' }, want: '2024-01-02' },
  { name: 'alphabetical compares digits as bytes', tags: ['build-9', 'build-10'], select: { strategy: 'alphabetical' }, want: 'build-9' },
  { name: 'alphabetical over an extracted timestamp', tags: ['main-20240105-abc123', 'main-20240201-0f0f0f', 'dev-20991231-ffffff'], select: { strategy: 'alphabetical', regex: '^main-(?P<ts>\\d+)-[a-f0-9]+$', extract: '$ts' }, want: 'main-20240201-0f0f0f' },
  { name: 'alphabetical extract collision: greatest original wins', tags: ['b-5-aaa', 'b-5-zzz', 'b-4-zzzz'], select: { strategy: 'alphabetical', regex: '^b-(\\d+)-', extract: '$1' }, want: 'b-5-zzz' },
  { name: 'alphabetical desc collision: still greatest original', tags: ['b-1-aaa', 'b-1-zzz', 'b-2-a'], select: { strategy: 'alphabetical', order: 'desc', regex: '^b-(\\d+)-', extract: '${1}' }, want: 'b-1-zzz' },
  { name: 'alphabetical with ignore', tags: ['zzz-debug', 'yyy', 'aaa'], select: { strategy: 'alphabetical', ignore: ['-debug$'] }, want: 'yyy' },

  // ---- numerical
  { name: 'numerical beyond 2^53 is exact', tags: ['9007199254740993', '9007199254740992'], select: { strategy: 'numerical' }, want: '9007199254740993' },
  { name: 'numerical beyond 2^53, other order of magnitude', tags: ['90071992547409930', '9007199254740993'], select: { strategy: 'numerical' }, want: '90071992547409930' },
  { name: 'a negative number is a number, as Flux parses it (ParseFloat)', tags: ['-90.29', '-100', 'x'], select: { strategy: 'numerical' }, want: '-90.29' },
  { name: 'a negative number loses to a positive one', tags: ['-5', '3'], select: { strategy: 'numerical' }, want: '3' },
  { name: 'numerical desc picks the most negative', tags: ['-5', '-30', '3'], select: { strategy: 'numerical', order: 'desc' }, want: '-30' },
  { name: 'a tag starting with "-" is still not a tag for other strategies', tags: ['-5', 'a'], select: { strategy: 'alphabetical', order: 'desc' }, want: 'a' },
  { name: 'numerical reads exponents and bare fractions as ParseFloat does', tags: ['1e3', '999.5', '.5', '5.', '2E-1'], select: { strategy: 'numerical' }, want: '1e3' },
  { name: 'numerical exponents compare exactly', tags: ['1.5e2', '149.99', '1.5E+2x'], select: { strategy: 'numerical' }, want: '1.5e2' },
  { name: 'numerical with negative extracted keys', tags: ['n-5', 'n-3', 'n2'], select: { strategy: 'numerical', regex: '^n(-?\\d+)$', extract: '$1' }, want: 'n2' },
  { name: 'numerical desc with negatives', tags: ['n-5', 'n-3', 'n2'], select: { strategy: 'numerical', order: 'desc', regex: '^n(-?\\d+)$', extract: '$1' }, want: 'n-5' },
  { name: 'numerical negatives only', tags: ['t-5', 't-30', 't-4.5'], select: { strategy: 'numerical', regex: '^t(.*)$', extract: '$1' }, want: 't-4.5' },
  { name: 'numerical decimals', tags: ['1.5', '1.25', '1.10'], select: { strategy: 'numerical' }, want: '1.5' },
  { name: 'numerical skips non-numbers', tags: ['abc', '10', '9', 'v11', '0x1p4', 'Inf', 'NaN', '1_000'], select: { strategy: 'numerical' }, want: '10' },
  { name: 'numerical extract from a named group', tags: ['main-20240101', 'main-9', 'feature-99999999', 'main-abc'], select: { strategy: 'numerical', regex: '^main-(?P<ts>\\d+)$', extract: '$ts' }, want: 'main-20240101' },
  { name: 'numerical extract with ${1}', tags: ['build-10-a', 'build-9-b', 'build-100-c'], select: { strategy: 'numerical', regex: '^build-(\\d+)-', extract: '${1}' }, want: 'build-100-c' },
  { name: 'numerical tie 1 vs 01: bytewise greatest', tags: ['01', '1'], select: { strategy: 'numerical' }, want: '1' },
  { name: 'numerical tie 1.50 vs 1.5', tags: ['1.50', '1.5', '1.4'], select: { strategy: 'numerical' }, want: '1.50' },
  { name: 'numerical desc picks the smallest', tags: ['3', '20', '100'], select: { strategy: 'numerical', order: 'desc' }, want: '3' },
  { name: 'numerical without any number', tags: ['main', 'dev'], select: { strategy: 'numerical' }, code: 'NO_CANDIDATES', msg: '(2 listed, 0 numeric)' },

  // ---- natural (Harness Alphanum)
  { name: 'natural v10 > v9', tags: ['v9', 'v10', 'v1'], select: { strategy: 'natural' }, want: 'v10' },
  { name: 'natural v9 > v1.10', tags: ['v9', 'v1.10'], select: { strategy: 'natural' }, want: 'v9' },
  { name: 'natural 1.2.3-rc1 > 1.2.3 (longer wins)', tags: ['1.2.3', '1.2.3-rc1'], select: { strategy: 'natural' }, want: '1.2.3-rc1' },
  { name: 'natural leading zeros make a number bigger', tags: ['010', '9'], select: { strategy: 'natural' }, want: '010' },
  { name: 'natural build numbers', tags: ['build-2', 'build-11', 'build-101'], select: { strategy: 'natural' }, want: 'build-101' },
  { name: 'natural with a regex filter', tags: ['release-9', 'release-12', 'hotfix-99'], select: { strategy: 'natural', regex: '^release-' }, want: 'release-12' },
  { name: 'natural over an extracted key', tags: ['x-7-b', 'y-12-a'], select: { strategy: 'natural', regex: '-(\\d+)-', extract: 'n$1' }, want: 'y-12-a' },

  // ---- newest-build
  {
    name: 'newest-build: annotation wins over created',
    versions: [v('a', { created: '2024-05-01T00:00:00Z', annotations: { [CREATED]: '2024-01-01T00:00:00Z' } }), v('b', { created: '2024-03-01T00:00:00Z' })],
    select: { strategy: 'newest-build' },
    want: 'b',
  },
  { name: 'newest-build by created', versions: [v('x1', { created: '2024-01-01T00:00:00Z' }), v('x2', { created: '2023-01-01T00:00:00Z' })], select: { strategy: 'newest-build' }, want: 'x1' },
  {
    name: 'newest-build index: newest platform-matching child',
    versions: [
      v('a', { platforms: [plat('linux/amd64', '2024-01-01T00:00:00Z'), plat('linux/arm64', '2024-06-01T00:00:00Z')] }),
      v('b', { platforms: [plat('linux/amd64', '2024-03-01T00:00:00Z')] }),
    ],
    select: { strategy: 'newest-build', platform: 'linux/amd64' },
    want: 'b',
  },
  {
    name: 'newest-build index without platform: newest child of any platform',
    versions: [
      v('a', { platforms: [plat('linux/amd64', '2024-01-01T00:00:00Z'), plat('linux/arm64', '2024-06-01T00:00:00Z')] }),
      v('b', { platforms: [plat('linux/amd64', '2024-03-01T00:00:00Z')] }),
    ],
    select: { strategy: 'newest-build' },
    want: 'a',
  },
  { name: 'newest-build tie: bytewise greatest tag', versions: [v('abc', { created: '2024-01-01T00:00:00Z' }), v('abd', { created: '2024-01-01T00:00:00Z' }), v('abb', { created: '2024-01-01T00:00:00Z' })], select: { strategy: 'newest-build' }, want: 'abd' },
  { name: 'newest-build honours offsets', versions: [v('east', { created: '2024-01-01T10:00:00+02:00' }), v('utc', { created: '2024-01-01T09:00:00Z' })], select: { strategy: 'newest-build' }, want: 'utc' },
  { name: 'newest-build nanosecond precision', versions: [v('n1', { created: '2024-01-01T00:00:00.123456789Z' }), v('n2', { created: '2024-01-01T00:00:00.123456788Z' })], select: { strategy: 'newest-build' }, want: 'n1' },
  { name: 'newest-build skips versions without a time', versions: [v('old', { created: '2020-01-01T00:00:00Z' }), v('none')], select: { strategy: 'newest-build' }, want: 'old' },
  { name: 'newest-build with no times at all', versions: [v('a'), v('b', { created: 'yesterday' })], select: { strategy: 'newest-build' }, code: 'NO_CANDIDATES', msg: '0 with a creation time' },
  { name: 'newest-build with regex and ignore', versions: [v('main-1', { created: '2024-01-01T00:00:00Z' }), v('main-2-debug', { created: '2024-09-01T00:00:00Z' }), v('pr-3', { created: '2024-12-01T00:00:00Z' })], select: { strategy: 'newest-build', regex: '^main-', ignore: ['debug'] }, want: 'main-1' },

  // ---- platform and labels
  { name: 'platform drops a newer version without the platform', versions: [v('1.3.0', { platforms: [plat('linux/amd64')] }), v('1.2.0', { platforms: [plat('linux/amd64'), plat('linux/arm64')] })], select: { platform: 'linux/arm64' }, want: '1.2.0' },
  { name: 'platform with variant: arm64 without variant is v8', versions: [v('1.0.0', { platforms: [plat('linux/arm64')] })], select: { platform: 'linux/arm64/v8' }, want: '1.0.0' },
  { name: 'platform variant must match when given', versions: [v('1.1.0', { platforms: [plat('linux/arm/v6')] }), v('1.0.0', { platforms: [plat('linux/arm/v7')] })], select: { platform: 'linux/arm/v7' }, want: '1.0.0' },
  { name: 'os/arch matches any variant', versions: [v('1.1.0', { platforms: [plat('linux/arm/v6')] }), v('1.0.0', { platforms: [plat('linux/amd64')] })], select: { platform: 'linux/arm' }, want: '1.1.0' },
  { name: 'single-platform image with one platforms entry', versions: [v('2.0.0', { platforms: [plat('windows/amd64')] }), v('1.0.0', { platforms: [plat('linux/amd64')] })], select: { platform: 'linux/amd64' }, want: '1.0.0' },
  { name: 'platform unknown: NO_CANDIDATES with counts', versions: [v('1.0.0'), v('1.1.0', { platforms: [plat('linux/amd64')] })], select: { platform: 'linux/arm64' }, code: 'NO_CANDIDATES', msg: '(2 listed, 2 semver, 2 in range, 0 for linux/arm64; highest 1.1.0, 1.0.0)' },
  { name: 'labels: every pair must be present', versions: [v('1.3.0', { labels: { approved: 'false' } }), v('1.2.0', { labels: { approved: 'true' } })], select: { labels: { approved: 'true' } }, want: '1.2.0' },
  { name: 'labels: several pairs', versions: [v('1.3.0', { labels: { approved: 'true' } }), v('1.2.0', { labels: { approved: 'true', tier: 'gold', extra: 'x' } })], select: { labels: { approved: 'true', tier: 'gold' } }, want: '1.2.0' },
  { name: 'labels: none match', versions: [v('1.3.0', { labels: { approved: 'false' } }), v('1.2.0')], select: { labels: { approved: 'true' } }, code: 'NO_CANDIDATES', msg: '0 with the labels' },
  { name: 'labels with alphabetical', versions: [v('zeta', { labels: { qa: 'ok' } }), v('zz', { labels: { qa: 'no' } })], select: { strategy: 'alphabetical', labels: { qa: 'ok' } }, want: 'zeta' },
  {
    name: 'filter order: ignore, regex, platform, labels, strategy',
    versions: [
      v('v2.0.0-debug', { platforms: [plat('linux/amd64')], labels: { ok: '1' } }),
      v('v1.9.0', { platforms: [plat('linux/arm64')], labels: { ok: '1' } }),
      v('v1.8.0', { platforms: [plat('linux/amd64')], labels: { ok: '0' } }),
      v('v1.7.0', { platforms: [plat('linux/amd64')], labels: { ok: '1' } }),
      v('1.99.0', { platforms: [plat('linux/amd64')], labels: { ok: '1' } }),
    ],
    select: { ignore: ['debug'], regex: '^v', platform: 'linux/amd64', labels: { ok: '1' } },
    want: 'v1.7.0',
  },

  // ---- exact and digest
  { name: 'exact picks the named tag', versions: [v('1.4.2', { digest: 'sha256:aa' }), v('1.4.3', { digest: 'sha256:bb' })], select: { strategy: 'exact', tag: '1.4.2' }, want: '1.4.2', wantDigest: 'sha256:aa' },
  { name: 'exact with the right digest', versions: [v('1.4.2', { digest: 'sha256:aa' })], select: { strategy: 'exact', tag: '1.4.2', digest: 'sha256:aa' }, want: '1.4.2' },
  { name: 'exact with a wrong digest', versions: [v('1.4.2', { digest: 'sha256:aa' })], select: { strategy: 'exact', tag: '1.4.2', digest: 'sha256:bb' }, code: 'DIGEST_MISMATCH', msg: 'expected sha256:bb' },
  { name: 'exact missing tag', tags: ['1.4.2', '1.4.3'], select: { strategy: 'exact', tag: '1.4.4' }, code: 'TAG_NOT_FOUND', msg: '=tag "1.4.4" of payments/checkout not found (2 tags listed)' },
  { name: 'exact with a non-semver tag', tags: ['latest', 'main'], select: { strategy: 'exact', tag: 'latest' }, want: 'latest' },
  { name: 'exact tag dropped by ignore', tags: ['1.4.2'], select: { strategy: 'exact', tag: '1.4.2', ignore: ['^1\\.4'] }, code: 'NO_CANDIDATES', msg: 'exists but was dropped: ignored by' },
  { name: 'exact tag without the platform', versions: [v('1.4.2', { platforms: [plat('linux/amd64')] })], select: { strategy: 'exact', tag: '1.4.2', platform: 'linux/arm64' }, code: 'NO_CANDIDATES', msg: 'platform linux/arm64 missing' },
  { name: 'digest follows a mutable tag', versions: [v('stable', { digest: 'sha256:cc' }), v('edge', { digest: 'sha256:dd' })], select: { strategy: 'digest', tag: 'stable' }, want: 'stable', wantDigest: 'sha256:cc' },
  { name: 'digest with a missing tag', tags: ['edge'], select: { strategy: 'digest', tag: 'stable' }, code: 'TAG_NOT_FOUND' },
];

// ---- deterministic orderings
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const rnd = mulberry32(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const PKG = 'payments/checkout';

describe('selection table', () => {
  it('has at least 80 cases with unique names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases)('$name', (c) => {
    const versions = c.versions ?? (c.tags ?? []).map((tag) => ({ tag }));
    const orders = [versions, [...versions].reverse(), shuffled(versions, 1), shuffled(versions, 7), shuffled(versions, 42)];
    let firstExplain: unknown;
    for (const order of orders) {
      const out = selectFromVersions(PKG, order, c.select);
      // two-phase path (what the OCI resolver does): names first, then metadata for the kept ones
      const pre = prefilter(
        order.map((x) => x.tag),
        c.select,
      );
      const byTag = new Map(order.map((x) => [x.tag, x] as const));
      const two = choose(
        pre.kept.map((t) => byTag.get(t) as VersionInfo),
        c.select,
        { pkg: PKG, prefilter: pre },
      );
      for (const o of [out, two]) {
        if (c.code) {
          expect(o.ok, `expected ${c.code}, got ${o.ok ? o.version.tag : ''}`).toBe(false);
          if (!o.ok) {
            expect(o.code).toBe(c.code);
            expect(Object.keys(REASONS[o.code] ?? {}), `${o.code} reason`).toContain(o.reason);
            if (c.msg?.startsWith('=')) expect(o.message).toBe(c.msg.slice(1));
            else if (c.msg) expect(o.message).toContain(c.msg);
          }
        } else {
          expect(o.ok, o.ok ? '' : `${o.code}: ${o.message}`).toBe(true);
          if (o.ok) {
            expect(o.version.tag).toBe(c.want);
            if (c.wantDigest) expect(o.version.digest).toBe(c.wantDigest);
            expect(o.explain[0]).toEqual({ tag: c.want, kept: true, reason: 'selected' });
          }
        }
      }
      expect(two.explain).toEqual(out.explain);
      if (firstExplain === undefined) firstExplain = out.explain;
      else expect(out.explain).toEqual(firstExplain);
    }
  });
});
