/** `type: har` in the config and `select.scan` / `requireScan`: schema, did-you-mean, semantic checks; and the engine's approval filters. */
import { describe, expect, it } from 'vitest';
import { selectFromVersions } from '../src/resolve/select/index.js';
import type { VersionInfo } from '../src/core/model.js';
import { cli, makeProject } from './helpers/project.js';

const service = (registry: string, select: string) => `apiVersion: gitopsc/v1
kind: Service
metadata: { name: api }
spec:
  artifact:
    registry: ${registry}
    package: payments/api
    select: ${select}
  kubernetes: { replicas: 1 }
`;

const config = (har: string) => `registries:
  har:
${har}
  hub:
    type: oci
    url: https://registry.example.com
policies:
  default:
    requireScan: [ALLOWED]
`;

const GOOD = '    type: har\n    account: acct123\n    registry: docker-prod\n    auth: { token: { env: HAR_TOKEN } }';

type D = { code: string; file: string; line: number; column: number; hint?: string; message: string };

describe('type: har config', () => {
  it.each([
    ['a misspelt key', '    type: har\n    acount: acct123\n    registry: docker-prod', [['SCHEMA', 2, 3, undefined], ['SCHEMA', 4, 5, 'did you mean `account`?']]],
    ['a misspelt type', '    type: hra\n    account: acct123\n    registry: docker-prod', [['SCHEMA', 3, 11, 'did you mean `har`?']]],
    ['a registry identifier with capitals', '    type: har\n    account: acct123\n    registry: Docker_Prod', [['SCHEMA', 5, 15, undefined]]],
    ['a literal token', '    type: har\n    account: acct123\n    registry: docker-prod\n    auth: { token: "pat.123" }', [['SCHEMA', 6, 20, undefined]]],
    ['a valid one', GOOD, []],
  ])('%s', async (_name, har, want) => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(har), 'services/api.yaml': service('har', '{ range: "^1" }') });
    const r = await cli(dir, 'validate', '--format', 'json');
    expect((r.json.diagnostics as D[]).map((d) => [d.code, d.line, d.column, d.hint])).toEqual(want);
  });

  it('select.scan is checked: its values, and that the registry is har', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(GOOD), 'services/api.yaml': service('hub', '{ range: "^1", scan: [ALLOWED] }'), 'services/b.yaml': service('har', '{ scan: [ALOWED] }').replace('name: api', 'name: b') });
    const r = await cli(dir, 'validate', '--format', 'json');
    expect((r.json.diagnostics as D[]).map((d) => [d.code, d.file, d.line, d.hint])).toEqual([
      ['SCHEMA', 'services/api.yaml', 8, undefined],
      ['SCHEMA', 'services/b.yaml', 8, 'did you mean `ALLOWED`?'],
    ]);
  });

  it('the config schema documents the har registry with examples', async () => {
    const dir = makeProject({ 'gitopsc.config.yaml': config(GOOD), 'services/api.yaml': service('har', '{ range: "^1" }') });
    const r = await cli(dir, 'schema', 'config');
    const schema = JSON.parse(r.stdout) as { definitions: Record<string, { properties: Record<string, { examples?: unknown[] }> }> };
    const har = schema.definitions.harRegistry!;
    expect(Object.keys(har.properties).sort()).toEqual(['account', 'api', 'auth', 'concurrency', 'insecure', 'org', 'project', 'registry', 'type', 'url']);
    expect(har.properties.account!.examples).toEqual(['acct123']);
  });
});

describe('approval filters in the engine', () => {
  const v = (tag: string, o: Partial<VersionInfo> = {}): VersionInfo => ({ tag, ...o });
  const versions = [
    v('1.0.0', { scanStatus: 'ALLOWED' }),
    v('1.1.0', { scanStatus: 'WARN' }),
    v('1.2.0', { scanStatus: 'ALLOWED', quarantined: true, quarantineReason: 'CVE' }),
    v('1.3.0'),
  ];
  it.each([
    ['quarantined never selected', { range: '^1' }, '1.3.0'],
    ['scan ALLOWED', { range: '^1', scan: ['ALLOWED' as const] }, '1.0.0'],
    ['scan ALLOWED or WARN', { range: '^1', scan: ['ALLOWED' as const, 'WARN' as const] }, '1.1.0'],
    ['exact quarantined tag', { strategy: 'exact' as const, tag: '1.2.0' }, 'NO_CANDIDATES: tag "1.2.0" of p exists but was dropped: quarantined: CVE'],
    ['nothing left', { range: '>=1.2', scan: ['ALLOWED' as const] }, 'NO_CANDIDATES: no tag of p matches ">=1.2" with scan ALLOWED (4 listed, 4 semver, 2 in range, 1 quarantined (1.2.0: CVE), 0 with scan ALLOWED; highest 1.3.0, 1.2.0, 1.1.0)'],
  ])('%s', (_n, select, want) => {
    const r = selectFromVersions('p', versions, select);
    expect(r.ok ? r.version.tag : `${r.code}: ${r.message}`).toBe(want);
  });
});
