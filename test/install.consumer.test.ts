/**
 * Install paths that need no registry entry for gitopsc (issue 15, part 1): `npm pack` prints
 * only the tarball's name on stdout (pre-commit's `language: node` reads it), and the tarball
 * works in a fresh directory as a dev dependency (the README's 60-second example, as written),
 * with npx, and as a global install. Dependencies come from npm's cache when it has them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packOnce, readmeExampleOnce, sh, sharedGlobalInstall, shAsync } from './helpers/pack.js';

const ROOT = resolve(import.meta.dirname, '..');
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
let tarball: string;

/**
 * The npm cache npx runs with: a directory inside this run's temp directory whose `_cacache`
 * (npm's package store) is a link to the user's, so dependencies come from that store as with
 * the user's own cache. npx installs a package it has not got under `<cache>/_npx/<hash>`,
 * never removed: with the user's cache that was one install of 5,000 files per run in
 * ~/.npm/_npx (on this machine's disk: written, then removed by the test, ~1.5 s more CPU and
 * 3-5 s more wall time than in the run directory, which is in memory and removed whole).
 */
function npxCache(): string {
  const store = join(process.env.npm_config_cache || join(homedir(), '.npm'), '_cacache');
  mkdirSync(store, { recursive: true }); // as npm makes it on first use
  const cache = mkdtempSync(join(tmpdir(), 'gitopsc-npx-cache-'));
  symlinkSync(store, join(cache, '_cacache'));
  return cache;
}
let packStdout: string;

beforeAll(() => {
  // the real `npm pack`, prepare (the build) included: once per test run (test/helpers/pack.ts)
  ({ tarball, stdout: packStdout } = packOnce());
}, 600_000);

// the three installs are independent (own directories; npm's cache is safe to share): side by side
describe('install from an npm pack tarball', { concurrent: true }, () => {
  it('npm pack prints only the tarball name on stdout (prepare is silent there)', () => {
    expect(packStdout).toMatch(/^gitopsc-\d+\.\d+\.\d+\.tgz\n$/);
    const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    for (const f of ['package/dist/cli/bin.cjs', 'package/dist/cli/bin.js', 'package/schemas/service.schema.json', 'package/templates/kubernetes/deployment.yaml.hbs', 'package/dist/validate/compiled/service.cjs']) {
      expect(list).toContain(f);
    }
  });

  it('the README 60-second example works as written, in a fresh directory', async () => {
    // run once per test run (test/helpers/pack.ts); test/api.pack.consumer.test.ts uses its shop/ too
    const { base, lines, code, stdout, stderr } = await readmeExampleOnce();
    expect(lines[0]).not.toMatch(/^npx gitopsc init/);
    // the block installs ../gitopsc-<version>.tgz, the file `npm pack` made, from inside shop/
    expect(lines.join('\n')).toContain(`../${basename(tarball)}`);
    expect(existsSync(join(base, basename(tarball)))).toBe(true);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const shop = join(base, 'shop');
    expect(existsSync(join(shop, 'gitopsc.lock'))).toBe(true);
    expect(existsSync(join(shop, 'rendered/prod/hello/deployment.yaml'))).toBe(true);
    // init's $schema points into the installed package, and resolves
    const first = readFileSync(join(shop, 'services/hello.yaml'), 'utf8').split('\n')[0]!;
    expect(first).toBe('# yaml-language-server: $schema=../node_modules/gitopsc/schemas/service.schema.json');
    expect(existsSync(join(shop, 'services', '../node_modules/gitopsc/schemas/service.schema.json'))).toBe(true);
  }, 600_000);

  it('npx runs it from the tarball, with no project', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-npx-'));
    const r = await shAsync(dir, 'npx', ['--yes', ...NPM_FLAGS, '--package', tarball, 'gitopsc', '--version'], { npm_config_cache: npxCache() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  }, 600_000);

  it('installs globally (into a prefix) and runs from its bin directory', async () => {
    // the pre-commit test's hook environment is such an install (pre-commit's `language: node`
    // ends with `npm install -g` of the packed package into the environment's prefix): its
    // gitopsc is checked here when this run has one (test/helpers/pack.ts), else one is installed
    let bin = await sharedGlobalInstall(15_000, 540_000);
    if (bin === undefined) {
      const prefix = mkdtempSync(join(tmpdir(), 'gitopsc-global-'));
      const r = await shAsync(prefix, 'npm', ['install', '--global', '--prefix', prefix, ...NPM_FLAGS, tarball]);
      expect(r.code, r.stderr).toBe(0);
      bin = join(prefix, 'bin', 'gitopsc');
    }
    const project = mkdtempSync(join(tmpdir(), 'gitopsc-global-project-'));
    const init = sh(project, bin, ['init']);
    expect(init.code, init.stderr).toBe(0);
    // not under node_modules of the project: the schemas are copied beside it
    expect(readFileSync(join(project, 'services/hello.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../.schemas/service.schema.json');
    expect(sh(project, bin, ['resolve']).code).toBe(0);
    expect(sh(project, bin, ['render', '--check', '--format', 'json']).code).toBe(1); // nothing rendered yet: drift
    expect(sh(project, bin, ['render']).code).toBe(0);
  }, 600_000);
});
