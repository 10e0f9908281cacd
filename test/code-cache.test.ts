import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { CODE_CACHE_SUFFIX, codeCacheHeader, requireGenerated, usedCodeCache, wrapCommonJs } from '../src/host/code-cache.js';

const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'gitopsc-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// a generated module as the validators are: "use strict", exports, a require of a dependency, a lazily compiled inner function
const source = (answer: string) =>
  `"use strict";\nconst path = require("node:path");\nfunction check(x) { return typeof x === "number" && x > ${answer} ? "${answer}:" + path.basename(__filename) : false; }\nmodule.exports = check;\nmodule.exports.validate = check;\nmodule.exports.dir = __dirname;\n`;

/** a cache of `text` as the build makes it: run, exercised, then its code cache written with the header */
function makeCache(file: string, text: string, header = codeCacheHeader(Buffer.from(text, 'utf8')), body?: Buffer): void {
  // (damaged data: the text is not compiled here, so that V8's own cache of compiled scripts does not answer for it)
  if (body) return writeFileSync(`${file}${CODE_CACHE_SUFFIX}`, Buffer.concat([Buffer.from(`${header}\n`), body]));
  const script = new Script(wrapCommonJs(text), { filename: file });
  const module = { exports: {} as { validate(x: unknown): unknown } };
  (script.runInThisContext() as (...a: unknown[]) => void).call(module.exports, module.exports, require, module, file, dir);
  module.exports.validate(100);
  writeFileSync(`${file}${CODE_CACHE_SUFFIX}`, Buffer.concat([Buffer.from(`${header}\n`), body ?? script.createCachedData()]));
}

type Mod = { validate(x: unknown): unknown; dir: string };

describe('host/code-cache: a generated CommonJS file loads through its V8 code cache only when it is for these bytes', () => {
  it('a cache made of the very source is used, and the module is what require gives', () => {
    const file = join(dir, 'a.cjs');
    writeFileSync(file, source('41'));
    makeCache(file, source('41'));
    const m = requireGenerated(file) as Mod;
    expect(usedCodeCache()).toBe(true);
    expect([m.validate(42), m.validate(41), m.validate('x'), m.dir]).toEqual(['41:a.cjs', false, false, dir]);
    expect(m.validate).toBe(m);
  });

  it('a file changed after its cache was made (same length) loads from its source: the cache is not used', () => {
    const file = join(dir, 'b.cjs');
    makeCache(file, source('41'));
    // the same length: V8's own check of the source is its length only
    writeFileSync(file, source('51'));
    const m = requireGenerated(file) as Mod;
    expect(usedCodeCache()).toBe(false);
    expect([m.validate(45), m.validate(52)]).toEqual([false, '51:b.cjs']);
  });

  it.each([
    ['another Node', 'c1.cjs', '7', (t: string) => codeCacheHeader(Buffer.from(t)).replace(process.version, 'v0.0.0'), undefined],
    ['a header that is not JSON', 'c2.cjs', '7', () => 'not a header', undefined],
    ['V8 data that is damaged (V8 refuses it; compiled from source)', 'c3.cjs', '9', (t: string) => codeCacheHeader(Buffer.from(t)), Buffer.from('not a code cache at all, just bytes')],
  ])('%s: the module is still the source\'s', (_name, name, n, header, body) => {
    const file = join(dir, name);
    writeFileSync(file, source(n));
    makeCache(file, source(n), header(source(n)), body);
    const m = requireGenerated(file) as Mod;
    expect(usedCodeCache()).toBe(false);
    expect([m.validate(Number(n) + 1), m.validate(Number(n))]).toEqual([`${n}:${name}`, false]);
  });

  it('without a cache file it is required as before (and a missing file fails as require does)', () => {
    const file = join(dir, 'd.cjs');
    writeFileSync(file, source('3'));
    expect((requireGenerated(file) as Mod).validate(4)).toBe('3:d.cjs');
    expect(usedCodeCache()).toBe(false);
    expect(() => requireGenerated(join(dir, 'absent.cjs'))).toThrow(/Cannot find module/);
  });
});
