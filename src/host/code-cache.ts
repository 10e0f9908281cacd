/**
 * Loading the package's own generated CommonJS files (the standalone schema validators, 660 KB
 * for the service schema) with a V8 code cache the build wrote beside them (`<file>.v8cache`),
 * so that a run that validates one changed service does not parse and compile the whole
 * validator first (about 15 ms of CPU of a render after one change at N = 1000).
 *
 * A cache is only an optimisation: it is used only when its header names this very Node
 * (version and architecture) and the CRC-32 of the source bytes read now, and V8 itself
 * still refuses data of another V8 or other flags (then the source is compiled as it would be
 * without a cache). Without a cache file, or with any doubt about it, the file is `require`d as
 * before. What the module evaluates to is the same either way: the same source, wrapped as
 * Node wraps a CommonJS module, run with a `require` resolving from the file.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type NodeModule from 'node:module';
import { dirname } from 'node:path';
import type * as Vm from 'node:vm';
import { crc32, crc32DirectAgrees } from '../core/hash.js';

// node:vm and node:module as CommonJS gives them, asked for when first used: as ES module
// imports, every module importing this one (the CLI's start-up, src/cli/start.ts) would pay for
// their ES module facades, whose exports are each evaluated (node:buffer's loads its File class)
let vm: typeof Vm | undefined;
let nodeModule: typeof NodeModule | undefined;

/** the cache file's first line: JSON with these fields, then V8's bytes */
export const CODE_CACHE_FORMAT = 4;
export const CODE_CACHE_SUFFIX = '.v8cache';
/**
 * Where under dist/ the build writes the CLI's start-up fast path (src/cli/fast.ts) and the render
 * path it loads after a change (the build stage, src/cli/commands/render.ts) as two CommonJS
 * bundles (scripts/bundle-cli.mjs), each with its code cache beside it (scripts/code-cache.mjs):
 * src/cli/start.ts loads the first for `render [--check]`, which loads the second, whose modules
 * shared with the first are the first's (one instance of each)
 */
export const FAST_BUNDLE = 'cli/fast.cjs';
export const RENDER_BUNDLE = 'cli/render.cjs';
/** Where under dist/ the build writes the full CLI (src/cli/main.ts, every command) as one CommonJS bundle with its code cache beside it: src/cli/start.ts loads it when the fast path does not answer */
export const MAIN_BUNDLE = 'cli/main.cjs';
/** Where under dist/ the build writes the `gitopsc` command, package.json's bin (src/cli/bin-commonjs.ts as CommonJS) */
export const BIN_COMMONJS = 'cli/bin.cjs';
/** Where under dist/ the build writes its cache of Handlebars' one-file run time (scripts/code-cache.mjs), which src/render/handlebars.ts loads */
export const HANDLEBARS_RUNTIME_CACHE = 'render/precompiled/handlebars.runtime.js.v8cache';

/** How Node wraps a CommonJS module's source (Module.wrap): the cache is made of exactly this text. */
export function wrapCommonJs(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
}

/**
 * The header a cache made now of `sourceBytes`, holding V8's `data`, carries (scripts/code-cache.mjs
 * writes it): this Node, the CRC-32 of the source and that of V8's data, so that damaged data
 * is never handed to V8 (release builds of Node do not check a code cache's checksum: a flipped
 * byte can crash the process or run what the build did not write), and whether this Node's zlib
 * binding gives node:zlib's CRC-32 (`direct`: a run then checks them without loading node:zlib).
 * A CRC-32, not a SHA: the check is against damage and a rebuilt source, and node:crypto alone
 * cost an unchanged `render --check` about 5 ms of its 25 above Node's own start-up.
 */
export function codeCacheHeader(sourceBytes: Uint8Array, data: Uint8Array): string {
  const probe = probeCache();
  const direct = crc32DirectAgrees();
  return JSON.stringify({ format: CODE_CACHE_FORMAT, node: process.version, arch: process.arch, direct, probe: probe.toString('base64'), probeSum: crc32(probe), source: crc32(sourceBytes), data: crc32(data) });
}

/**
 * The code cache of a one-token script, made beside each cache (`probe`): V8 refuses a cache made
 * under other V8 flags (`--max-old-space-size` in NODE_OPTIONS, say) only once it has compiled the
 * script without it, which for a 1 MB bundle costs more than the ES modules it stands in for.
 * V8 accepting the probe, a 300-byte cache made by the same process, says it will accept the rest.
 */
function probeCache(): Buffer {
  vm ??= process.getBuiltinModule('node:vm');
  return new vm.Script(probeSource(0)).createCachedData();
}

/**
 * The probe's source, one of the same length for each check: V8 compares a cache with the length
 * of the source alone, and a source this process compiled before would come from V8's
 * compilation cache without the data being looked at.
 */
const probeSource = (n: number) => `/* probe ${String(n).padStart(9, '0')} */`;
/**
 * The probes checked in this process, with their answers: one record for every copy of this
 * module the process loads (the CLI's entry and each of its bundles hold one), since a source one
 * copy compiled would be another copy's compilation cache hit.
 */
interface Probes {
  count: number;
  answers: Map<string, boolean>;
}
function probeAccepted(probe: string, sum: unknown, direct: boolean): boolean {
  const key = Symbol.for('gitopsc.codeCacheProbes');
  const g = globalThis as unknown as Record<symbol, Probes | undefined>;
  const probes = (g[key] ??= { count: 0, answers: new Map() });
  let ok = probes.answers.get(probe);
  if (ok === undefined) {
    // (never handed to V8 unless its CRC-32 is the header's, as the cache's own data)
    const bytes = Buffer.from(probe, 'base64');
    if (sum !== crc32(bytes, direct)) return false;
    vm ??= process.getBuiltinModule('node:vm');
    ok = !new vm.Script(probeSource(++probes.count), { cachedData: bytes }).cachedDataRejected;
    probes.answers.set(probe, ok);
  }
  return ok;
}

/** What a header must say for this Node and its V8 flags before anything is checksummed (another Node's cache costs one line read). */
function forThisNode(header: unknown): header is { source: unknown; data: unknown; direct: boolean } {
  const h = header as { format?: unknown; node?: unknown; arch?: unknown; direct?: unknown; probe?: unknown; probeSum?: unknown } | null;
  if (typeof h !== 'object' || h === null || h.format !== CODE_CACHE_FORMAT || h.node !== process.version || h.arch !== process.arch || typeof h.direct !== 'boolean' || typeof h.probe !== 'string') return false;
  return probeAccepted(h.probe, h.probeSum, h.direct);
}

/** The source as a string: ASCII decoded as Latin-1 (no UTF-8 decoding pass: the same text), else as UTF-8. */
function sourceText(bytes: Buffer): string {
  return process.getBuiltinModule('node:buffer').isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/**
 * Whether each file has a code cache beside it that names this Node (its header line alone:
 * the bytes are checked when the file is loaded): the CLI's CommonJS entry asks it of its
 * bundles before it runs on them.
 */
export function codeCachesForThisNode(files: readonly string[]): boolean {
  const head = Buffer.alloc(2048);
  return files.every((file) => {
    let fd: number | undefined;
    try {
      fd = openSync(`${file}${CODE_CACHE_SUFFIX}`, 'r');
      const n = readSync(fd, head, 0, head.length, 0);
      const nl = head.subarray(0, n).indexOf(10);
      return nl > 0 && forThisNode(JSON.parse(head.toString('utf8', 0, nl)));
    } catch {
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  });
}

/** whether the last `requireGenerated` used its cache (for tests) */
let lastUsedCache = false;
export function usedCodeCache(): boolean {
  return lastUsedCache;
}

/**
 * `require(file)` for one of the package's generated CommonJS files (an absolute path), through
 * its code cache when one made for these very bytes by this Node is beside it (or at
 * `cacheFile`: the build's cache of a dependency's file, which is used only while the installed
 * file has the bytes it was made of).
 */
export function requireGenerated(file: string, cacheFile = `${file}${CODE_CACHE_SUFFIX}`): unknown {
  return load(file, cacheFile, true);
}

/**
 * `requireGenerated` for a file that has another form to load instead (the CLI's bundles, whose
 * ES modules are the other): undefined, nothing loaded, when no cache made of these very bytes by
 * this Node is beside it (a package built by another Node: its bundle compiled from source, 1 MB
 * of it, would cost more than the ES modules a run loads).
 */
export function requireCached(file: string): unknown {
  return load(file, `${file}${CODE_CACHE_SUFFIX}`, false);
}

function load(file: string, cacheFile: string, orRequire: boolean): unknown {
  lastUsedCache = false;
  const M = (nodeModule ??= process.getBuiltinModule('node:module') as unknown as typeof NodeModule);
  const requireHere = M.createRequire(file);
  // (loaded once per process, as require does: a module already loaded is that module)
  const loaded = requireHere.cache[file];
  if (loaded) return loaded.exports;
  let cached: { source: string; data: Buffer } | undefined;
  try {
    const cache = readFileSync(cacheFile);
    const nl = cache.indexOf(10);
    const header: unknown = nl > 0 ? JSON.parse(cache.toString('utf8', 0, nl)) : null;
    if (forThisNode(header)) {
      const bytes = readFileSync(file);
      const data = cache.subarray(nl + 1);
      if (header.source === crc32(bytes, header.direct) && header.data === crc32(data, header.direct)) cached = { source: sourceText(bytes), data };
    }
  } catch {
    /* no cache, a header that is not JSON (or no file: require says why) */
  }
  if (!cached) return orRequire ? requireHere(file) : undefined;
  const { module, script } = runCommonJs(file, cached.source, cached.data);
  lastUsedCache = !script.cachedDataRejected;
  return module.exports;
}

/**
 * `source` (the text of `file`, absolute) run as Node runs a CommonJS module, wrapped as Node wraps
 * it, with a `require` resolving from the file, in require's cache while it runs and after
 * (removed if it throws), with V8's `cachedData` when given: the module and V8's script (whose code
 * cache the build writes, scripts/code-cache.mjs).
 */
export function runCommonJs(file: string, source: string, cachedData?: Buffer): { module: NodeJS.Module; script: Vm.Script } {
  const M = (nodeModule ??= process.getBuiltinModule('node:module') as unknown as typeof NodeModule);
  vm ??= process.getBuiltinModule('node:vm');
  const requireHere = M.createRequire(file);
  const script = new vm.Script(wrapCommonJs(source), { filename: file, cachedData });
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void;
  const module = new M(file);
  module.filename = file;
  module.paths = requireHere.resolve.paths('x') ?? [];
  requireHere.cache[file] = module;
  try {
    fn.call(module.exports, module.exports, requireHere, module, file, dirname(file));
  } catch (e) {
    delete requireHere.cache[file];
    throw e;
  }
  module.loaded = true;
  return { module, script };
}
