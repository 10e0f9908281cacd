/**
 * A fast path for loadYaml: a reader for the plain subset of YAML that service files, configs,
 * catalogs, locks and rendered templates are written in (block mappings and sequences, flow
 * collections on one line, plain, single- and double-quoted one-line scalars, comments). It keeps
 * the same source positions as the full parser. Anything outside the subset, and anything the
 * full loader would refuse or report, returns undefined so that the full `yaml` parser runs and
 * produces the exact diagnostics. Every document it accepts yields the same data as `yaml`
 * (YAML 1.2 core schema). The `yaml` package spends ~1 ms on a 40-line file; this takes ~20 us.
 */
import type { Position } from '../core/diagnostics.js';
import type { JsonPath, LoadedDoc } from './types.js';

class Unsupported extends Error {}
const bail = (): never => {
  throw new Unsupported();
};

interface Where {
  key?: Position;
  value: Position;
  raw?: string;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype', '<<', '']);
const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const SPECIAL = /^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$|^0[ox]/;

/** The YAML 1.2 core schema's null and boolean words: their value, or undefined for any other plain scalar. */
export function coreWord(t: string): null | boolean | undefined {
  switch (t) {
    case 'null':
    case 'Null':
    case 'NULL':
    case '~':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
  }
  return undefined;
}

/** YAML 1.2 core schema resolution of a plain scalar, or bail when unsure. */
function resolvePlain(t: string): unknown {
  const word = coreWord(t);
  if (word !== undefined) return word;
  // a plain scalar that starts with a letter is a string unless the words above (every number
  // and special float starts with a digit, a sign or a dot): the common case skips the regexes
  const c = t.charCodeAt(0);
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) return t;
  if (SPECIAL.test(t)) bail();
  if (INT.test(t)) return parseInt(t, 10);
  if (FLOAT.test(t)) return parseFloat(t);
  return t;
}

const pathKey = (path: JsonPath): string => path.join('\u0000');

type FastDoc = LoadedDoc & { scalarSource(path: JsonPath): string | undefined };

export function fastLoad(file: string, text: string): FastDoc | undefined {
  if (text.charCodeAt(0) === 0xfeff || text.includes('\t')) return undefined;
  const first = read(text, false);
  if (!first) return undefined;
  // Positions are only needed for diagnostics: record them on first use, by reading again.
  let where: Map<string, Where> | undefined;
  const positions = () => (where ??= read(text, true)!.where);
  const find = (path: JsonPath): { w: Where; complete: boolean; keyOf?: Position } => {
    const map = positions();
    let lastKey: Position | undefined;
    let found: Where = map.get('')!;
    for (let n = 1; n <= path.length; n++) {
      const w = map.get(pathKey(path.slice(0, n)));
      if (!w) return { w: found, complete: false, keyOf: lastKey };
      found = w;
      lastKey = typeof path[n - 1] === 'number' ? undefined : w.key;
    }
    return { w: found, complete: true, keyOf: lastKey };
  };
  return {
    file,
    data: first.data,
    position(path, target = 'key') {
      const { w, complete, keyOf } = find(path);
      if (complete && target === 'value') return w.value;
      return keyOf ?? w.value;
    },
    scalarSource(path) {
      const { w, complete } = find(path);
      return complete ? w.raw : undefined;
    },
  };
}

const FLOW_KEY = /[A-Za-z0-9_./-][A-Za-z0-9_./ -]*?(?=:[ ])/y;
const FLOW_PLAIN = /[^,\]}[{#:&*!|>'"%@`?]+/y;
// a block mapping's plain key is what /[A-Za-z0-9_./][A-Za-z0-9_./ -]*?(?=:(?: |$))/y would match (blockKey below)
const COMPACT_MAP = /(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[A-Za-z0-9_./][A-Za-z0-9_./ -]*?):(?: |$)/y;

/** A-Z a-z 0-9 _ . / (and, after the first character, space and -): the block key's classes. */
const KEY_RUN = /[A-Za-z0-9_./][A-Za-z0-9_./ -]*/y;
/** Spaces (a line's indentation). */
const SPACES = / */y;
// eslint-disable-next-line no-control-regex -- raw control characters need the full parser
const CONTROL = /[\u0000-\u001f]/;
const LEADING_DASH_DOT = /^[-.]/;

/**
 * What that regex matches at `p` (the hot path of every block mapping): the class excludes
 * `:`, so the match is the run of key characters when a `:` followed by a space or the end of
 * the line comes right after it. The run is matched by the regular expression engine, not a
 * loop per character: a process reads its files once, mostly before its loops are optimised.
 */
function blockKey(s: string, p: number): string | undefined {
  KEY_RUN.lastIndex = p;
  if (!KEY_RUN.test(s)) return undefined;
  const q = KEY_RUN.lastIndex;
  if (s.charCodeAt(q) !== 58) return undefined;
  const after = s.charCodeAt(q + 1);
  return q + 1 === s.length || after === 32 ? s.slice(p, q) : undefined;
}

function sticky(re: RegExp, s: string, p: number): string | undefined {
  re.lastIndex = p;
  const m = re.exec(s);
  return m ? m[0] : undefined;
}

function read(text: string, record: boolean): { data: Record<string, unknown>; where: Map<string, Where> } | undefined {
  const where = new Map<string, Where>();
  const note = (path: (string | number)[], w: Where): void => {
    if (record) where.set(pathKey(path), w);
  };
  // positions are only built when recording: the first read, which most documents get alone,
  // allocates nothing for them
  const at = (line: number, column: number): Position | undefined => (record ? { line, column } : undefined);
  const child = (path: (string | number)[], seg: string | number): (string | number)[] => (record ? [...path, seg] : path);
  const rawLines = text.split('\n');
  interface Line {
    no: number;
    indent: number;
    s: string;
  }
  const lines: Line[] = [];
  const cr = text.includes('\r');
  for (let n = 0; n < rawLines.length; n++) {
    let s = rawLines[n]!;
    if (cr) {
      if (s.endsWith('\r')) s = s.slice(0, -1);
      if (s.includes('\r')) return undefined;
    }
    SPACES.lastIndex = 0;
    SPACES.test(s);
    const indent = SPACES.lastIndex;
    if (indent === s.length || s[indent] === '#') continue;
    if (indent === 0 && (s.startsWith('---') || s.startsWith('...') || s[0] === '%')) return undefined;
    lines.push({ no: n + 1, indent, s });
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;

  let i = 0;
  let depth = 0;

  /** After a value ends at `pos` on line `s`: only spaces and an optional ` #comment` may follow. */
  const expectEnd = (s: string, pos: number): void => {
    let p = pos;
    while (s.charCodeAt(p) === 32) p++;
    if (p < s.length && !(s[p] === '#' && p > pos)) bail();
  };

  // Where the last scalar, key or flow node read ended (`after` it): set by doubleQuoted,
  // singleQuoted, mappingKey and flow and read right after each call, instead of returning [value, end]
  // pairs (an allocation and an iterator protocol to destructure each, in code that runs
  // mostly unoptimised: a process reads its files once).
  let after = 0;

  const doubleQuoted = (s: string, start: number): string => {
    // the closing quote: the first `"` not escaped (found with indexOf, not a loop per character)
    let p = start + 1;
    let escaped = false;
    for (;;) {
      const q = s.indexOf('"', p);
      if (q < 0) return bail();
      const b = s.indexOf('\\', p);
      if (b < 0 || b > q) {
        p = q;
        break;
      }
      escaped = true;
      p = b + 2;
    }
    if (p >= s.length) bail();
    const body = s.slice(start + 1, p);
    let value: string;
    if (escaped) {
      for (const m of body.matchAll(/\\(.)/g)) if (!'"\\/bfnrtu'.includes(m[1]!)) bail();
      try {
        value = JSON.parse(`"${body}"`) as string;
      } catch {
        return bail();
      }
    } else {
      if (CONTROL.test(body)) bail();
      value = body;
    }
    after = p + 1;
    return value;
  };

  const singleQuoted = (s: string, start: number): string => {
    let p = start + 1;
    let out = '';
    for (;;) {
      const q = s.indexOf("'", p);
      if (q < 0) bail();
      out += s.slice(p, q);
      if (s[q + 1] === "'") {
        out += "'";
        p = q + 2;
        continue;
      }
      after = q + 1;
      return out;
    }
  };

  /**
   * A mapping key at s[p] and the index after it: quoted, or plain up to `:`. Plain keys the full
   * parser could read differently (`-a` in flow, `a : b` in a block, `1`, `true`) are left to it.
   */
  const mappingKey = (s: string, p: number, inFlow: boolean): string => {
    if (s[p] === '"') return doubleQuoted(s, p);
    if (s[p] === "'") return singleQuoted(s, p);
    const m = inFlow ? sticky(FLOW_KEY, s, p) : blockKey(s, p);
    if (m === undefined) return bail();
    // (a block key's run ends at its `:`: a space before it is left to the full parser)
    const key = inFlow ? m.trimEnd() : m;
    if (key === '' || (inFlow ? LEADING_DASH_DOT.test(key) : m.charCodeAt(m.length - 1) === 32) || typeof resolvePlain(key) !== 'string') bail();
    after = p + m.length;
    return key;
  };

  /** A flow node starting at s[p]; returns its value (and sets `after`). */
  const flow = (s: string, p0: number, line: number, path: (string | number)[], keyPos?: Position): unknown => {
    let p = p0;
    while (s[p] === ' ') p++;
    const pos = at(line, p + 1)!;
    const c = s[p];
    if (c === '{' || c === '[') {
      if (++depth > 64) bail();
      const isMap = c === '{';
      const out: Record<string, unknown> | unknown[] = isMap ? {} : [];
      note(path, { key: keyPos, value: pos });
      p++;
      let first = true;
      for (;;) {
        while (s[p] === ' ') p++;
        if (s[p] === (isMap ? '}' : ']')) {
          p++;
          break;
        }
        if (!first) {
          if (s[p] !== ',') bail();
          p++;
          while (s[p] === ' ') p++;
          if (s[p] === '}' || s[p] === ']') bail(); // trailing comma
        }
        first = false;
        if (isMap) {
          const kp = at(line, p + 1);
          const key = mappingKey(s, p, true);
          p = after;
          if (s[p] !== ':') bail();
          p++;
          if (FORBIDDEN.has(key) || Object.prototype.hasOwnProperty.call(out, key)) bail();
          const v = flow(s, p, line, child(path, key), kp);
          const np = after;
          (out as Record<string, unknown>)[key] = v;
          p = np;
        } else {
          const idx = (out as unknown[]).length;
          const v = flow(s, p, line, child(path, idx));
          const np = after;
          (out as unknown[]).push(v);
          p = np;
        }
      }
      depth--;
      after = p;
      return out;
    }
    if (c === '"' || c === "'") {
      const v = c === '"' ? doubleQuoted(s, p) : singleQuoted(s, p);
      const np = after;
      note(path, { key: keyPos, value: pos, raw: v });
      after = np;
      return v;
    }
    // plain scalar inside a flow collection: up to , ] } (no : # [ { inside)
    const m = sticky(FLOW_PLAIN, s, p);
    if (m === undefined) return bail();
    const raw = m.trimEnd();
    if (raw === '' || raw.startsWith('-') && raw.length > 1 && raw[1] === ' ') bail();
    note(path, { key: keyPos, value: pos, raw });
    after = p + m.length;
    return resolvePlain(raw);
  };

  /** An inline value after `key:` or `- ` on line `ln` at column index p. */
  const inline = (ln: Line, p: number, path: (string | number)[], keyPos?: Position): unknown => {
    const s = ln.s;
    const c = s[p]!;
    if (c === '{' || c === '[' || c === '"' || c === "'") {
      const v = flow(s, p, ln.no, path, keyPos);
      const np = after;
      expectEnd(s, np);
      return v;
    }
    if ('&*!|>%@`?,]}#'.includes(c)) bail();
    if (c === '-' && (s[p + 1] === ' ' || p + 1 === s.length)) bail();
    let end = s.indexOf(' #', p);
    if (end < 0) end = s.length;
    const raw = s.slice(p, end).trimEnd();
    if (raw.includes(': ') || raw.endsWith(':')) bail();
    if (record) note(path, { key: keyPos, value: { line: ln.no, column: p + 1 }, raw });
    return resolvePlain(raw);
  };

  const isSeqLine = (ln: Line, indent: number) => ln.indent === indent && ln.s[indent] === '-' && (ln.s.length === indent + 1 || ln.s[indent + 1] === ' ');

  const block = (indent: number, path: (string | number)[], keyPos?: Position): unknown => {
    if (++depth > 64) bail();
    const ln = lines[i]!;
    if (record) note(path, { key: keyPos, value: { line: ln.no, column: ln.indent + 1 } });
    const v = isSeqLine(ln, indent) ? seq(indent, path) : map(indent, path);
    depth--;
    return v;
  };

  /** A block mapping at `indent`; its first key may sit after "- " at column index `firstKeyCol`. */
  const map = (indent: number, path: (string | number)[], firstKeyCol?: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    let first = firstKeyCol !== undefined;
    while (i < lines.length) {
      const ln = lines[i]!;
      if (!first && ln.indent !== indent) break;
      const s = ln.s;
      const p = first ? firstKeyCol! : indent;
      first = false;
      if (s[p] === '-' && (s[p + 1] === ' ' || p + 1 === s.length)) break;
      const kp = at(ln.no, p + 1);
      const key = mappingKey(s, p, false);
      const q = after;
      if (s[q] !== ':' || (q + 1 < s.length && s[q + 1] !== ' ')) bail();
      // (a key seen before has a value, never undefined: the own-property check only for those)
      if (FORBIDDEN.has(key) || (out[key] !== undefined && Object.prototype.hasOwnProperty.call(out, key))) bail();
      let r = q + 1;
      while (s[r] === ' ') r++;
      const childPath = child(path, key);
      i++;
      if (r < s.length && s[r] !== '#') {
        out[key] = inline(ln, r, childPath, kp);
        if (i < lines.length && lines[i]!.indent > indent) bail(); // continuation lines
      } else if (i < lines.length && (lines[i]!.indent > indent || isSeqLine(lines[i]!, indent))) {
        out[key] = block(lines[i]!.indent, childPath, kp);
      } else {
        out[key] = null;
        if (record) note(childPath, { key: kp, value: { line: ln.no, column: r + 1 }, raw: '' });
      }
    }
    if (i < lines.length && lines[i]!.indent > indent) bail();
    return out;
  };

  const seq = (indent: number, path: (string | number)[]): unknown[] => {
    const out: unknown[] = [];
    while (i < lines.length && isSeqLine(lines[i]!, indent)) {
      const ln = lines[i]!;
      const s = ln.s;
      let r = indent + 1;
      while (s[r] === ' ') r++;
      const childPath = child(path, out.length);
      if (r >= s.length || s[r] === '#') {
        i++;
        if (i < lines.length && lines[i]!.indent > indent) out.push(block(lines[i]!.indent, childPath));
        else {
          out.push(null);
          note(childPath, { value: { line: ln.no, column: r + 1 }, raw: '' });
        }
        continue;
      }
      if (s[r] === '-' && (s[r + 1] === ' ' || r + 1 === s.length)) bail();
      if (sticky(COMPACT_MAP, s, r) !== undefined) {
        // "- key: v": a mapping whose keys line up with "key"
        if (++depth > 64) bail();
        if (record) note(childPath, { value: { line: ln.no, column: r + 1 } });
        out.push(map(r, childPath, r));
        depth--;
        // map() consumed lines at indent r; the next item is back at `indent`
        continue;
      }
      i++;
      out.push(inline(ln, r, childPath));
      if (i < lines.length && lines[i]!.indent > indent) bail();
    }
    return out;
  };

  let data: Record<string, unknown>;
  try {
    if (isSeqLine(lines[0]!, 0)) return undefined;
    note([], { value: { line: lines[0]!.no, column: 1 } });
    data = map(0, []);
    if (i !== lines.length) return undefined;
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  return { data, where };
}
