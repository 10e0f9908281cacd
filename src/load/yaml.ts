/**
 * YAML -> plain data + source positions. Pure: bytes in, data and diagnostics out; never throws
 * for user input. Only the safe subset of YAML 1.2 is accepted (see `loadYaml`).
 */
import type { CST, Document, Pair, YAMLMap } from 'yaml';
import { lazy } from '../core/lazy.js';

const Y = lazy<typeof import('yaml')>('yaml');
import { error, type Diagnostic, type DiagnosticAt, type Position } from '../core/diagnostics.js';
import type { ReasonFor } from '../core/reasons.js';
import { fastLoad } from './fast.js';
import type { JsonPath, LoadedDoc, LoadResult } from './types.js';

export const DEFAULT_MAX_BYTES = 1024 * 1024;
export const MAX_DEPTH = 64;

export interface LoadOptions {
  /** refuse files bigger than this many bytes (checked before decoding); default 1 MiB */
  maxBytes?: number;
  /** refuse nesting deeper than this many collections; default 64 */
  maxDepth?: number;
  /** try the fast reader for the plain subset first (default true; tests turn it off to compare) */
  fast?: boolean;
}

/** A loaded YAML document: `LoadedDoc` with `scalarSource` always present. */
export type LoadedYaml = LoadedDoc & Required<Pick<LoadedDoc, 'scalarSource'>>;

const PARSE_OPTIONS = {
  version: '1.2',
  merge: false,
  resolveKnownTags: false,
  stringKeys: true,
  // Duplicate keys are found by our own O(n) pass (`yaml`'s own check is quadratic per mapping,
  // 60 s for 100k keys) and reported with the first key as a related location.
  uniqueKeys: false,
  prettyErrors: false,
  strict: true,
  logLevel: 'silent',
} as const;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Load one YAML file. Refused, each as a located `YAML_SYNTAX` diagnostic: syntax errors and
 * parser warnings, duplicate keys, several documents, an empty file, anchors, aliases, merge keys,
 * explicit tags, `%YAML`/`%TAG` directives, invalid UTF-8, files over `maxBytes`, nesting deeper
 * than `maxDepth` and non-scalar keys. `SCHEMA` (valid YAML, but no schema allows them):
 * `__proto__`/`constructor`/`prototype` keys, and a root that is not a mapping. A UTF-8 BOM is accepted.
 */
export function loadYaml(file: string, bytes: Uint8Array, opts: LoadOptions = {}): LoadResult {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = opts.maxDepth ?? MAX_DEPTH;
  const fail = (message: string, pos: Position, extra: DiagnosticAt<'YAML_SYNTAX'> = {}): LoadResult => ({
    diagnostics: [error('YAML_SYNTAX', message, { file, line: pos.line, column: pos.column, ...extra })],
  });

  if (bytes.length > maxBytes) {
    return fail(`file is ${formatBytes(bytes.length)}, over the limit of ${formatBytes(maxBytes)}`, { line: 1, column: 1 }, { reason: 'too-large' });
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    return fail(`file is not valid UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')} at offset ${bad})`, bytePosition(bytes, bad), { reason: 'invalid-utf8' });
  }

  if (opts.fast !== false && maxDepth >= 64) {
    const fast = fastLoad(file, text);
    if (fast) return { doc: fast, diagnostics: [] };
  }

  const lc = new (Y().LineCounter)();
  const at = (offset: number): Position => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const diagnostics: Diagnostic[] = [];
  const report = (message: string, offset: number, extra: DiagnosticAt<'YAML_SYNTAX'> = {}): void => {
    diagnostics.push(error('YAML_SYNTAX', message, { file, ...at(offset), ...extra }));
  };
  // valid YAML that no schema allows: `SCHEMA` at the key
  const reportSchema = (message: string, offset: number): void => {
    diagnostics.push(error('SCHEMA', message, { file, ...at(offset), reason: 'forbidden-key' }));
  };

  // Cheap guard before the parser: flow collections nested absurdly deep (the parser is linear
  // but slow on them, and the composer is recursive).
  const deep = prescanDepth(text, maxDepth);
  if (deep >= 0) {
    const lines = text.slice(0, deep).split('\n');
    return fail(`nesting is deeper than ${maxDepth} levels`, { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 }, { reason: 'too-deep' });
  }

  const tokens = [...new (Y().Parser)(lc.addNewLine).parse(text)];
  let documents = 0;
  let tooDeep = false;
  for (const token of tokens) {
    if (token.type === 'directive') {
      report(`directives are not allowed (${token.source.trim().split(/\s+/)[0] ?? '%'}); files are read as YAML 1.2`, token.offset, { reason: 'directive' });
    } else if (token.type === 'document') {
      documents += 1;
      if (documents === 2) report('a file holds exactly one YAML document; found a second one', token.offset, { reason: 'multiple-documents' });
      if (documents === 1) tooDeep = scanCst(token, maxDepth, report);
    }
  }
  if (tooDeep) return { diagnostics };

  const docs = [...new (Y().Composer)(PARSE_OPTIONS).compose(tokens)];
  const doc = docs[0];
  if (!doc || doc.contents === null || (Y().isScalar(doc.contents) && doc.contents.value === null && doc.contents.source === '')) {
    if (documents <= 1 && diagnostics.length === 0 && docs.every((d) => d.errors.length === 0)) {
      return fail('empty file: expected a YAML mapping', { line: 1, column: 1 }, { reason: 'empty-file' });
    }
  }
  const taggedReported = diagnostics.some((d) => d.message.startsWith('tags are not allowed'));
  for (const e of [...(doc?.errors ?? []), ...(doc?.warnings ?? [])]) {
    if (e.code === 'TAG_RESOLVE_FAILED' && taggedReported) continue;
    if (e.code === 'MULTIPLE_DOCS') continue;
    report(e.code === 'NON_STRING_KEY' ? 'mapping keys must be plain scalars' : firstLine(e.message), e.pos[0], { reason: e.code === 'NON_STRING_KEY' ? 'non-scalar-key' : 'invalid-yaml' });
  }
  const contents = doc?.contents;
  if (diagnostics.length > 0 || !doc) {
    // still report forbidden, merge and duplicate keys: every problem, not just the first
    if (Y().isMap(contents)) buildData(contents, (message, offset, related, reason) =>
      report(message, offset, { reason, ...(related ? { related: [{ file, ...at(related.offset), message: related.message }] } : {}) }), reportSchema);
    return { diagnostics: dedupe(diagnostics) };
  }

  if (!Y().isMap(contents)) {
    const found = Y().isSeq(contents) ? 'a sequence' : Y().isScalar(contents) ? `a ${contents.value === null ? 'null' : typeof contents.value}` : 'something else';
    return {
      diagnostics: [error('SCHEMA', `the file must be a YAML mapping (key: value pairs), found ${found}`, { file, ...at(contents?.range[0] ?? 0), reason: 'not-a-mapping' })],
    };
  }

  const data = buildData(contents, (message, offset, related, reason) =>
    report(message, offset, { reason, ...(related ? { related: [{ file, ...at(related.offset), message: related.message }] } : {}) }),
  reportSchema);
  if (diagnostics.length > 0) return { diagnostics };

  return { doc: makeLoadedDoc(file, data, doc, at), diagnostics: [] };
}

type Reporter = (message: string, offset: number, related: { offset: number; message: string } | undefined, reason: ReasonFor<'YAML_SYNTAX'>) => void;

/**
 * Builds plain objects and arrays, refusing keys that could touch a prototype (valid YAML, so
 * `SCHEMA` through `reportSchema`: no schema allows them anywhere), merge keys and duplicates.
 */
function buildData(root: YAMLMap, report: Reporter, reportSchema: (message: string, offset: number) => void): Record<string, unknown> {
  const build = (node: unknown): unknown => {
    if (Y().isMap(node)) {
      const obj: Record<string, unknown> = {};
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = pair.key;
        if (!Y().isScalar(key)) {
          report('mapping keys must be plain scalars', (key as { range?: [number] } | null)?.range?.[0] ?? 0, undefined, 'non-scalar-key');
          continue;
        }
        const name = key.value === null || key.value === undefined ? '' : String(key.value);
        const offset = key.range?.[0] ?? 0;
        if (FORBIDDEN_KEYS.has(name)) {
          reportSchema(`unknown property \`${name}\`: keys that could change an object's prototype are not allowed anywhere`, offset);
          continue;
        }
        if (name === '<<' && key.type === 'PLAIN') {
          report('merge keys (`<<`) are not allowed; write the keys out', offset, undefined, 'merge-key');
          continue;
        }
        const first = seen.get(name);
        if (first !== undefined) {
          report(`duplicate key \`${name}\``, offset, { offset: first, message: `\`${name}\` first defined here` }, 'duplicate-key');
          continue;
        }
        seen.set(name, offset);
        obj[name] = build(pair.value);
      }
      return obj;
    }
    if (Y().isSeq(node)) return node.items.map(build);
    if (Y().isScalar(node)) return node.value ?? null;
    return null;
  };
  return build(root) as Record<string, unknown>;
}

function makeLoadedDoc(file: string, data: unknown, doc: Document.Parsed, at: (offset: number) => Position): LoadedYaml {
  const pairCache = new WeakMap<YAMLMap, Map<string, Pair>>();
  const findPair = (map: YAMLMap, name: string): Pair | undefined => {
    if (map.items.length <= 16) {
      return map.items.find((p) => Y().isScalar(p.key) && String(p.key.value ?? '') === name) as Pair | undefined;
    }
    let index = pairCache.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) if (Y().isScalar(p.key)) index.set(String(p.key.value ?? ''), p as Pair);
      pairCache.set(map, index);
    }
    return index.get(name);
  };
  /** Walks `path` as far as it exists. */
  const walk = (path: JsonPath): { node: unknown; keyOffset?: number; complete: boolean } => {
    let node: unknown = doc.contents;
    let keyOffset: number | undefined;
    for (const seg of path) {
      if (Y().isMap(node)) {
        const pair = findPair(node, String(seg));
        if (!pair) return { node, keyOffset, complete: false };
        keyOffset = (pair.key as { range?: [number] }).range?.[0];
        node = pair.value;
      } else if (Y().isSeq(node)) {
        const item: unknown = node.items[typeof seg === 'number' ? seg : Number(seg)];
        if (item === undefined || item === null) return { node, keyOffset, complete: false };
        node = item;
        keyOffset = undefined;
      } else {
        return { node, keyOffset, complete: false };
      }
    }
    return { node, keyOffset, complete: true };
  };
  const nodeStart = (node: unknown): number | undefined => (node as { range?: [number] } | null)?.range?.[0];
  return {
    file,
    data,
    position(path, target = 'key') {
      const { node, keyOffset, complete } = walk(path);
      const offset = complete && target === 'value' ? (nodeStart(node) ?? keyOffset) : (keyOffset ?? nodeStart(node));
      return at(offset ?? 0);
    },
    scalarSource(path) {
      const { node, complete } = walk(path);
      if (!complete || !Y().isScalar(node)) return undefined;
      return node.source ?? (node.value === null ? undefined : String(node.value));
    },
  };
}

/**
 * Walks the CST iteratively (no recursion, so no stack overflow) before composing: refuses tags,
 * anchors and aliases, and nesting deeper than `maxDepth`. Returns true when too deep.
 */
function scanCst(root: CST.Document, maxDepth: number, report: Reporter): boolean {
  const stack: { t: unknown; d: number }[] = [{ t: root, d: 0 }];
  while (stack.length > 0) {
    const { t, d } = stack.pop()!;
    if (t === null || typeof t !== 'object') continue;
    if (Array.isArray(t)) {
      for (let i = t.length - 1; i >= 0; i--) stack.push({ t: t[i], d });
      continue;
    }
    const tok = t as { type?: string; offset?: number; source?: string } & Record<string, unknown>;
    let depth = d;
    switch (tok.type) {
      case 'tag':
        report(`tags are not allowed (\`${tok.source ?? '!'}\`); write plain values`, tok.offset ?? 0, undefined, 'tag');
        continue;
      case 'anchor':
        report(`anchors are not allowed (\`${tok.source ?? '&'}\`); write the value out`, tok.offset ?? 0, undefined, 'anchor');
        continue;
      case 'alias':
        report(`aliases are not allowed (\`${tok.source ?? '*'}\`); write the value out`, tok.offset ?? 0, undefined, 'alias');
        continue;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        depth = d + 1;
        if (depth > maxDepth) {
          report(`nesting is deeper than ${maxDepth} levels`, tok.offset ?? 0, undefined, 'too-deep');
          return true;
        }
        break;
      default:
        break;
    }
    for (const field of ['end', 'value', 'sep', 'key', 'items', 'props', 'start'] as const) {
      const v = tok[field];
      if (v !== undefined && v !== null && typeof v === 'object') stack.push({ t: v, d: depth });
    }
  }
  return false;
}

/**
 * Offset of the first `[`/`{` nested deeper than `max` (quote- and comment-aware, approximate:
 * it only guards the parser against absurd inputs; the exact check is `scanCst`), or -1.
 * Also catches compact block sequences (`- - - - x`) deeper than `max` on one line.
 */
export function prescanDepth(text: string, max: number): number {
  let depth = 0;
  let quote = 0;
  let prev = 10;
  let lineStart = true;
  let dashes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote === 34) {
      if (c === 92) i++;
      else if (c === 34) quote = 0;
      prev = c;
      continue;
    }
    if (quote === 39) {
      if (c === 39) {
        if (text.charCodeAt(i + 1) === 39) i++;
        else quote = 0;
      }
      prev = c;
      continue;
    }
    if (c === 10) {
      lineStart = true;
      dashes = 0;
      prev = c;
      continue;
    }
    if (lineStart) {
      if (c === 45 /* - */ || c === 63 /* ? */) {
        const n = text.charCodeAt(i + 1);
        if (n === 32 || n === 9) {
          if (++dashes > max) return i;
          prev = c;
          continue;
        }
      }
      if (c !== 32 && c !== 9) lineStart = false;
    }
    const sep = prev === 32 || prev === 9 || prev === 10 || prev === 13;
    if (c === 35 /* # */ && sep) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl - 1;
      continue;
    }
    if ((c === 34 || c === 39) && (sep || prev === 91 || prev === 123 || prev === 44 || prev === 58)) quote = c;
    else if (c === 91 || c === 123) {
      if (++depth > max) return i;
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
    prev = c;
  }
  return -1;
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) need = 2;
    else if (c >= 0xf0 && c <= 0xf4) need = 3;
    else return i;
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
    }
    const c1 = b[i + 1]!;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return i;
    i += need + 1;
  }
  return -1;
}

function bytePosition(bytes: Uint8Array, offset: number): Position {
  const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, Math.max(0, offset)));
  const nl = prefix.lastIndexOf('\n');
  let line = 1;
  for (let i = 0; i < prefix.length; i++) if (prefix.charCodeAt(i) === 10) line++;
  return { line, column: prefix.length - (nl + 1) + 1 };
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.line}:${d.column}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
