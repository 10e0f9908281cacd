/**
 * A render continued from the start-up fast path's scan after the output directory was deleted
 * (caches kept): config discovery is skipped only when it cannot find another project
 * (`sameProjectWithout`), and what is printed and written is the full CLI's, byte for byte.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fastRender, renderChanged, sameProjectWithout } from '../src/cli/fast.js';
import { readTree } from './helpers/read-tree.js';
import { baseProject, cli, makeProject } from './helpers/project.js';

const ROOT = ['.gitopsc/', 'gitopsc.config.yaml', 'gitopsc.lock', 'rendered/', 'services/'];

describe('sameProjectWithout: when a render after the output directory was deleted may skip config discovery', () => {
  const without = (name: string) => ROOT.filter((n) => n !== name);
  it.each<[string, string, string, readonly string[] | undefined, readonly string[] | undefined, boolean, boolean]>([
    ['the output directory gone, nothing else', 'gitopsc.config.yaml', 'rendered', ROOT, without('rendered/'), false, true],
    ['a .gitopscrc config', '.gitopscrc', 'rendered', ['.gitopscrc', 'rendered/'], ['.gitopscrc'], false, true],
    ['a file at the root read again', 'gitopsc.config.yaml', 'rendered', ROOT, without('rendered/'), true, false],
    ['a name added at the root', 'gitopsc.config.yaml', 'rendered', ROOT, [...without('rendered/'), 'package.json'], false, false],
    ['a name removed at the root besides it', 'gitopsc.config.yaml', 'rendered', ROOT, without('rendered/').filter((n) => n !== 'gitopsc.lock'), false, false],
    ['a name replaced at the root', 'gitopsc.config.yaml', 'rendered', ROOT, without('rendered/').map((n) => (n === 'gitopsc.lock' ? 'gitopsc.lokc' : n)), false, false],
    ['the root as recorded (the gone directory was not its entry)', 'gitopsc.config.yaml', 'rendered', ROOT, ROOT, false, false],
    ['a deeper directory gone', 'gitopsc.config.yaml', 'out/rendered', ROOT, ROOT, false, false],
    ['a directory named as a search place gone', 'gitopsc.config.yaml', '.gitopscrc', ['.gitopscrc/', 'gitopsc.config.yaml'], ['gitopsc.config.yaml'], false, false],
    ['package.json gone', 'gitopsc.config.yaml', 'package.json', ['gitopsc.config.yaml', 'package.json/'], ['gitopsc.config.yaml'], false, false],
    ['a JavaScript config', 'gitopsc.config.js', 'rendered', ['gitopsc.config.js', 'rendered/'], ['gitopsc.config.js'], false, false],
    ['a package.json config', 'package.json', 'rendered', ['package.json', 'rendered/'], ['package.json'], false, false],
    ['a config below the root', 'sub/gitopsc.config.yaml', 'rendered', ['rendered/', 'sub/'], ['sub/'], false, false],
    ['no recorded listing of the root', 'gitopsc.config.yaml', 'rendered', undefined, without('rendered/'), false, false],
    ['no listing of the root now', 'gitopsc.config.yaml', 'rendered', ROOT, undefined, false, false],
  ])('%s', (_what, configFile, gone, was, now, reread, want) => {
    expect(sameProjectWithout({ configFile }, gone, was, now, reread)).toBe(want);
  });
});

describe('a render after the output directory was deleted, continued from the fast path\'s scan', () => {
  // two copies of one project: one rendered through the fast path's continuation, one by the full CLI
  let a: string;
  let b: string;
  beforeAll(async () => {
    a = makeProject(baseProject());
    b = makeProject(baseProject());
    for (const d of [a, b]) {
      expect((await cli(d, 'resolve')).code).toBe(0);
      expect((await cli(d, 'render')).code).toBe(0);
    }
  }, 180_000);
  const hostOf = () => ({ cwd: '/', env: process.env, stdoutIsTTY: false, stderrIsTTY: false, handOver: true });

  it.each<[string, (d: string) => void, string[]]>([
    ['the output deleted (json)', () => {}, ['render', '--format', 'json']],
    ['the output deleted, a package.json added at the root (discovery runs)', (d) => writeFileSync(join(d, 'package.json'), '{"name":"x"}\n'), ['render']],
    ['the output deleted, checked', () => {}, ['render', '--check', '--format', 'json']],
  ])('%s: what the full CLI prints and writes, byte for byte', async (_what, change, args) => {
    for (const d of [a, b]) {
      rmSync(join(d, 'rendered'), { recursive: true, force: true });
      change(d);
    }
    expect(fastRender(['--cwd', a, ...args], hostOf())).toBeUndefined();
    const continued = await renderChanged(hostOf());
    const full = await cli(b, ...args);
    expect(continued).toEqual({ stdout: full.stdout, stderr: full.stderr, code: full.code });
    const out = (d: string) => (existsSync(join(d, 'rendered')) ? readTree(join(d, 'rendered')) : undefined);
    expect(out(a)).toEqual(out(b));
    expect(await renderChanged(hostOf())).toBeUndefined();
  });
});
