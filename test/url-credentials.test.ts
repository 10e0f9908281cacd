/**
 * Credentials written into a registry URL (`https://user:password@host`) are refused by
 * `validate` as SCHEMA at the URL's line, shown only as `https://***@host` in every output
 * format, never cached, and never reach a registry: from YAML and from the environment through
 * a JS config.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './helpers/cli.js';
import { spawnEnv } from './helpers/env.js';
import { cli, makeProject } from './helpers/project.js';
import { createOciProvider } from '../src/resolve/providers/oci/index.js';
import { nodeHost } from '../src/host/index.js';
import { redactUrlsInText, redactUrlValue } from '../src/core/redact.js';

const service = `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: web
spec:
  artifact:
    registry: hub
    package: shop/web
    select: { strategy: semver }
  kubernetes:
    replicas: 1
`;

/** [url, the secret part that must never be printed] */
const CASES: Array<[string, string]> = [
  ['https://alice:pa55word-x1@reg.example.com', 'pa55word-x1'],
  ['https://alice:pa/ss-x2@reg.example.com', 'pa/ss-x2'],
  ['https://alice:p ss-x3@reg.example.com', 'p ss-x3'],
  ['https://alice:p"ss-x4@reg.example.com', 'p"ss-x4'],
  ['https://alice:p@ss-x5@reg.example.com', 'p@ss-x5'],
  ['https://tok-only-x6@reg.example.com', 'tok-only-x6'],
  [`https://alice:${'long-x7'.repeat(12)}@reg.example.com/v2`, 'long-x7'],
];

/** Every byte gitopsc wrote under the project's .gitopsc directory. */
function cacheBytes(dir: string): string {
  const root = join(dir, '.gitopsc');
  if (!existsSync(root)) return '';
  let out = '';
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out += readFileSync(p, 'latin1');
    }
  };
  walk(root);
  return out;
}

function expectHidden(text: string, secret: string): void {
  expect(text).not.toContain(secret);
  expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
  expect(text).not.toContain(encodeURIComponent(secret));
}

describe('credentials in a registry URL', () => {
  let bin: string;
  beforeAll(() => {
    bin = buildCli().bin; // built once per test run (tsc; slow on a busy machine)
  }, 300_000);

  it.each(CASES)('YAML config %s: SCHEMA at the url line, redacted in json, github and text, nothing cached', async (url, secret) => {
    const dir = makeProject({
      'gitopsc.config.yaml': `registries:\n  hub:\n    type: oci\n    url: ${JSON.stringify(url)}\n`,
      'services/web.yaml': service,
    });
    const j = await cli(dir, 'validate', '--format', 'json');
    expect(j.code).toBe(1);
    const creds = j.json.diagnostics.filter((d) => d.reason === 'url-credentials');
    expect(creds.map((d) => [d.code, d.file, d.line, d.column])).toEqual([['SCHEMA', 'gitopsc.config.yaml', 4, 10]]);
    // redaction: the URL is shown with its userinfo masked
    expect(creds[0]!.message).toContain('https://***@reg.example.com');
    expect(j.json.diagnostics.every((d) => d.code === 'SCHEMA' && d.line === 4)).toBe(true);
    const gh = await cli(dir, 'validate', '--format', 'github');
    const text = await cli(dir, 'validate');
    const res = await cli(dir, 'resolve', '--format', 'github');
    expect(res.code).toBe(1);
    for (const out of [j.stdout, j.stderr, gh.stdout, gh.stderr, text.stdout, text.stderr, res.stdout, res.stderr]) expectHidden(out, secret);
    expect(gh.stdout + gh.stderr).toMatch(/::error file=gitopsc\.config\.yaml,line=4,col=10/);
    expectHidden(cacheBytes(dir), secret);
  });

  it('JS config with the URL from the environment: SCHEMA, redacted (the CLI spawned with that environment)', () => {
    const [url, secret] = CASES[0]!;
    const dir = makeProject({
      'gitopsc.config.mjs': `export default { registries: { hub: { type: 'oci', url: process.env.GITOPSC_TEST_REG_URL } } };\n`,
      'services/web.yaml': service,
    });
    const r = spawnSync(process.execPath, [bin, '--cwd', dir, 'validate', '--format', 'json'], { env: spawnEnv({ GITOPSC_TEST_REG_URL: url }), encoding: 'utf8' });
    expect(r.status).toBe(1);
    const diagnostics = (JSON.parse(r.stdout) as { diagnostics: { code: string; reason?: string; file: string; message: string }[] }).diagnostics;
    expect(diagnostics.some((d) => d.code === 'SCHEMA' && d.file === 'gitopsc.config.mjs' && d.reason === 'url-credentials' && d.message.includes('https://***@reg.example.com'))).toBe(true);
    expectHidden(r.stdout + r.stderr, secret);
  });

  it.each(CASES)('JS config (a value no YAML position covers) %s: SCHEMA, redacted in every format and command', async (url, secret) => {
    const dir = makeProject({
      'gitopsc.config.mjs': `export default { registries: { hub: { type: 'oci', url: ${JSON.stringify(url)} } } };\n`,
      'services/web.yaml': service,
    });
    const j = await cli(dir, 'validate', '--format', 'json');
    expect(j.code).toBe(1);
    expect(j.json.diagnostics.some((d) => d.code === 'SCHEMA' && d.file === 'gitopsc.config.mjs' && d.reason === 'url-credentials' && d.message.includes('https://***@reg.example.com'))).toBe(true);
    const outs = [j.stdout, j.stderr];
    for (const cmd of ['validate', 'resolve', 'render']) {
      const gh = await cli(dir, cmd, '--format', 'github');
      expect(gh.code).toBe(1);
      outs.push(gh.stdout, gh.stderr);
      const t = await cli(dir, cmd);
      outs.push(t.stdout, t.stderr);
    }
    for (const out of outs) expectHidden(out, secret);
    expectHidden(cacheBytes(dir), secret);
  });

  it.each([
    ['alice:pw-x9@reg.example.com', 'pw-x9'],
    ['alice:p/w-x10@reg.example.com', 'p/w-x10'],
  ])('a URL without a scheme %s is refused without its password', async (url, secret) => {
    const dir = makeProject({
      'gitopsc.config.yaml': `registries:\n  hub:\n    type: oci\n    url: ${JSON.stringify(url)}\n`,
      'services/web.yaml': service,
    });
    const j = await cli(dir, 'validate', '--format', 'json');
    expect(j.code).toBe(1);
    expect(j.json.diagnostics.map((d) => [d.code, d.file, d.line])).toContainEqual(['SCHEMA', 'gitopsc.config.yaml', 4]);
    const text = await cli(dir, 'validate');
    const gh = await cli(dir, 'resolve', '--format', 'github');
    for (const out of [j.stdout, j.stderr, text.stdout, text.stderr, gh.stdout, gh.stderr]) expectHidden(out, secret);
    expectHidden(cacheBytes(dir), secret);
  });

  it('a JS config that throws: SCHEMA at the config file, line 1, the URL in its message redacted', async () => {
    const dir = makeProject({
      'gitopsc.config.mjs': `throw new Error('cannot reach https://alice:thrown-x11@reg.example.com');\n`,
      'services/web.yaml': service,
    });
    const j = await cli(dir, 'validate', '--format', 'json');
    expect([j.code, j.json.diagnostics.map((d) => [d.code, d.reason, d.file, d.line, d.column])]).toEqual([1, [['SCHEMA', 'config-throws', 'gitopsc.config.mjs', 1, 1]]]);
    // redaction: the URL is shown with its userinfo masked
    expect(j.json.diagnostics[0]!.message).toContain('https://***@reg.example.com');
    expectHidden(j.stdout + j.stderr, 'thrown-x11');
  });

  it('a URL the provider cannot parse is reported without its password', async () => {
    const host = nodeHost({ env: {}, interactive: false, log: () => {}, fetch: () => Promise.reject(new Error('no request expected')) });
    const p = createOciProvider({ name: 'hub', config: { type: 'oci', url: 'https://alice:se/cret-x8@reg.example.com' }, root: '/nonexistent', host, cacheDir: '/nonexistent' });
    const r = await p.listTags('shop/web');
    expect(!r.ok && r.failure).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', reason: 'bad-config' });
    // redaction: the URL is shown with its userinfo masked
    expect(!r.ok && r.failure.message).toContain('https://***@reg.example.com');
    expect(JSON.stringify(r)).not.toContain('cret-x8');
  });
});

describe('redaction', () => {
  it.each([
    ['https://u:p@h.example.com/x', 'https://***@h.example.com/x'],
    ['https://u:p/q@h.example.com', 'https://***@h.example.com'],
    ['https://u:p q@h', 'https://***@h'],
    ['https://h.example.com/x', 'https://h.example.com/x'],
    ['not a url', 'not a url'],
    // no scheme: `user:password@host` (WHATWG reads `user:` as the scheme)
    ['alice:s3cr3t@reg.example.com', '***@reg.example.com'],
    ['alice:se/cret@reg.example.com/v2', '***@reg.example.com/v2'],
    ['reg.example.com:5000/shop/web', 'reg.example.com:5000/shop/web'],
  ])('value %j', (value, want) => {
    expect(redactUrlValue(value)).toBe(want);
  });

  it('text: every URL, userinfo with "/" included', () => {
    expect(redactUrlsInText('a https://u:p/q@h/x and http://t@g "https://v:w@k"')).toBe('a https://***@h/x and http://***@g "https://***@k"');
  });
});
