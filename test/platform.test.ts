/**
 * One platform rule: the same table runs against the selection engine, the static provider
 * (catalog platforms), the OCI provider (index children; HAR docker registries go through it)
 * and `gitopsc stage`'s index picking, so that they cannot differ again.
 */
import { describe, expect, it } from 'vitest';
import type { PlatformInfo, VersionInfo } from '../src/core/model.js';
import { parsePlatform, platformMatches, selectFromVersions } from '../src/resolve/select/index.js';
import { createStatic } from '../src/resolve/providers/static/index.js';
import { toVersion } from '../src/resolve/providers/oci/index.js';
import type { ManifestMeta } from '../src/resolve/providers/oci/cache.js';
import { pickPlatform } from '../src/stage/plan.js';
import type { Host } from '../src/host/index.js';

type Child = { os: string; architecture: string; variant?: string; 'os.version'?: string };
const c = (os: string, architecture: string, variant?: string, osVersion?: string): Child => ({
  os,
  architecture,
  ...(variant !== undefined ? { variant } : {}),
  ...(osVersion !== undefined ? { 'os.version': osVersion } : {}),
});

// [requested, child, matches]
const TABLE: Array<[string, Child, boolean]> = [
  ['linux/amd64', c('linux', 'amd64'), true],
  ['linux/amd64', c('linux', 'x86_64'), true],
  ['linux/x86_64', c('linux', 'amd64'), true],
  ['linux/amd64', c('linux', 'amd64', 'v1'), true],
  ['linux/amd64', c('linux', 'amd64', 'v3'), true],
  ['linux/amd64/v1', c('linux', 'amd64'), true],
  ['linux/amd64/v3', c('linux', 'amd64'), false],
  ['linux/amd64', c('linux', 'arm64'), false],
  ['linux/amd64', c('windows', 'amd64'), false],
  ['linux/amd64', c('Linux', 'AMD64'), true],
  ['windows/amd64', c('windows', 'amd64', undefined, '10.0.17763.1234'), true],
  ['windows/amd64', c('linux', 'amd64'), false],
  ['linux/arm64', c('linux', 'arm64', 'v8'), true],
  ['linux/arm64', c('linux', 'arm64'), true],
  ['linux/arm64', c('linux', 'aarch64'), true],
  ['linux/aarch64', c('linux', 'arm64', 'v8'), true],
  ['linux/arm64/v8', c('linux', 'arm64'), true],
  ['linux/arm64/v8', c('linux', 'arm64', 'v8'), true],
  ['linux/arm64/v8', c('linux', 'arm64', '8'), true],
  ['linux/arm64/v8', c('linux', 'aarch64'), true],
  ['linux/arm64/v8', c('linux', 'arm64', 'v9'), false],
  ['linux/arm64/v8', c('linux', 'arm', 'v8'), false],
  ['linux/arm/v7', c('linux', 'arm', 'v7'), true],
  ['linux/arm/v7', c('linux', 'arm'), true],
  ['linux/arm/v7', c('linux', 'arm', '7'), true],
  ['linux/arm/v7', c('linux', 'armhf'), true],
  ['linux/arm/v7', c('linux', 'arm', 'v6'), false],
  ['linux/arm/v7', c('linux', 'armel'), false],
  ['linux/arm/v6', c('linux', 'arm', 'v7'), false],
  ['linux/arm/v6', c('linux', 'arm', 'v6'), true],
  ['linux/arm/v6', c('linux', 'armel'), true],
  ['linux/arm', c('linux', 'arm', 'v6'), true],
  ['linux/arm', c('linux', 'arm', 'v7'), true],
  ['linux/arm', c('linux', 'arm64', 'v8'), false],
  ['linux/s390x', c('linux', 's390x'), true],
  ['linux/s390x', c('unknown', 'unknown'), false],
];

const INDEX = `sha256:${'0'.repeat(64)}`;
const CHILD = `sha256:${'1'.repeat(64)}`;
const OTHER = `sha256:${'2'.repeat(64)}`;
// an unrelated child first, so that "first child" is never the answer by accident
const decoy = (want: string): Child => (want.startsWith('linux/s390x') ? c('linux', 'ppc64le') : c('linux', 'riscv64'));

describe.each(TABLE)('%s against %j', (want, child, expected) => {
  it('the engine (select.platform)', () => {
    const p = parsePlatform(want);
    expect(p).toBeDefined();
    expect(platformMatches(p!, child)).toBe(expected);
    const v: VersionInfo = { tag: '1.0.0', digest: INDEX, platforms: [child as PlatformInfo] };
    const out = selectFromVersions('pkg', [v], { strategy: 'semver', platform: want });
    expect(out.ok).toBe(expected);
  });

  it('the static provider (catalog platforms)', async () => {
    const catalog = new Map<string, VersionInfo[]>([['pkg', [{ tag: '1.0.0', digest: INDEX, platforms: [{ ...decoy(want), digest: OTHER }, { ...child, digest: CHILD }] }]]]);
    const provider = createStatic({ name: 'r', config: { type: 'static', path: 'c.yaml' }, root: '/', host: {} as Host, cacheDir: '/', catalog });
    const r = await provider.describe('pkg', '1.0.0', { metadata: true, platform: want });
    expect(r.ok && r.value.digest).toBe(expected ? CHILD : INDEX);
  });

  it('the OCI provider (index children)', () => {
    const meta: ManifestMeta = {
      v: 1,
      digest: INDEX,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      labels: {},
      annotations: {},
      files: [],
      children: [
        { ...decoy(want), digest: OTHER, labels: {}, annotations: {}, files: [] },
        { ...child, digest: CHILD, labels: {}, annotations: {}, files: [] },
      ],
    };
    const v = toVersion('1.0.0', meta, { metadata: true, platform: want });
    expect(v.digest).toBe(expected ? CHILD : INDEX);
    // and what the engine then sees of it agrees
    expect(selectFromVersions('pkg', [v], { strategy: 'semver', platform: want }).ok).toBe(expected);
  });

  it('the OCI provider (a single-platform image)', () => {
    const meta: ManifestMeta = { v: 1, digest: CHILD, mediaType: 'application/vnd.oci.image.manifest.v1+json', labels: {}, annotations: {}, files: [], platform: child };
    const v = toVersion('1.0.0', meta, { metadata: true, platform: want });
    expect((v.platforms ?? []).length === 1).toBe(expected);
  });

  it('gitopsc stage (the index child it copies)', () => {
    const r = pickPlatform({ manifests: [{ digest: OTHER, platform: decoy(want) }, { digest: CHILD, platform: child }] }, want);
    expect(r.ok ? r.digest : undefined).toBe(expected ? CHILD : undefined);
  });
});

describe('platform text', () => {
  it.each(['linux', 'linux/', '/amd64', 'linux/amd64/v8/x', 'linux amd64'])('%j is not a platform', (text) => {
    expect(parsePlatform(text)).toBeUndefined();
    expect(platformMatches(text, c('linux', 'amd64'))).toBe(false);
  });
});
