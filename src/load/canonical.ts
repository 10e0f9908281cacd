/**
 * A reader for canonical YAML, the form src/core/emit.ts writes and the built-in templates
 * render (block mappings and sequences, one entry per line, two spaces per level, a nested
 * block's first line after its item's `- `, plain or JSON-quoted scalars, `[]` and `{}`). It
 * reads the text in one pass, without positions, for the checks of rendered files that only need
 * the data. Anything else returns undefined, and the caller takes the fast reader (fast.ts) or
 * the full parser: every document it accepts yields the data the `yaml` package reads
 * (YAML 1.2 core schema), which test/load.canonical.test.ts checks against it.
 */
import { coreWord } from './fast.js';

class Unsupported extends Error {}
const bail = (): never => {
  throw new Unsupported();
};

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype', '<<']);
const INT = /^(?:0|-?[1-9][0-9]{0,14})$/;
const FLOAT = /^-?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;

// The plain token, the quoted string without escapes or characters the other readers decide, and
// indentation are matched by the regular expression engine rather than a loop per character: a
// process reads rendered files once, mostly before its loops are optimised, and native matching
// is fast from the first file on.
/** A-Z a-z 0-9 _ . / - and + (in exponents): the characters of a plain token in canonical output. */
const TOKEN = /[A-Za-z0-9_./+-]+/y;
// eslint-disable-next-line no-control-regex -- the characters the quoted() loop leaves to the other readers
const SIMPLE_QUOTED = /"[^"\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]*"/y;
const SPACES = / */y;

export function readCanonical(text: string): Record<string, unknown> | undefined {
  const n = text.length;
  if (n === 0 || text.charCodeAt(n - 1) !== 10) return undefined;
  let p = 0;
  let depth = 0;

  /** The plain token at p (canonical characters only; at least one). */
  const token = (): string => {
    TOKEN.lastIndex = p;
    if (!TOKEN.test(text)) bail();
    const start = p;
    p = TOKEN.lastIndex;
    return text.slice(start, p);
  };

  /** A JSON double-quoted string at p (without raw control characters). */
  const quoted = (): string => {
    const start = p;
    SIMPLE_QUOTED.lastIndex = p;
    if (SIMPLE_QUOTED.test(text)) {
      // no escape and no character JSON or the checks below treat apart: the text between the quotes
      p = SIMPLE_QUOTED.lastIndex;
      return text.slice(start + 1, p - 1);
    }
    p++;
    for (;;) {
      if (p >= n) bail();
      const c = text.charCodeAt(p);
      if (c === 34) break;
      // raw control characters, DEL and C1, line separators, surrogates, BOM and non-characters
      // are never raw in canonical output (emit.ts escapes them): the other readers decide
      if (c < 32 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) bail();
      if (c >= 0xd800 && c <= 0xdfff) {
        // a surrogate pair (one character beyond the BMP), never a lone half
        const d = text.charCodeAt(p + 1);
        if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) bail();
        p += 2;
        continue;
      }
      p += c === 92 ? 2 : 1;
    }
    p++;
    try {
      return JSON.parse(text.slice(start, p)) as string;
    } catch {
      return bail();
    }
  };

  /** A scalar from p to the end of its line (p is left on the newline). */
  const scalar = (): unknown => {
    const c = text.charCodeAt(p);
    if (c === 34) return quoted();
    if (c === 91 || c === 123) {
      // `[]` or `{}`
      if (text.charCodeAt(p + 1) !== (c === 91 ? 93 : 125)) bail();
      p += 2;
      return c === 91 ? [] : {};
    }
    const t = token();
    // (`~` never reaches here: it is not a canonical token character)
    const word = coreWord(t);
    if (word !== undefined) return word;
    const f = t.charCodeAt(0);
    // a token that starts with a letter, `_` or `/` is a string (the words above aside)
    if ((f >= 97 && f <= 122) || (f >= 65 && f <= 90) || f === 95 || f === 47) return t;
    if (INT.test(t)) return parseInt(t, 10);
    if (FLOAT.test(t)) return parseFloat(t);
    // anything else (`0755`, `1e3`, `.5`, `-`, `1.2.3`) is left to the other readers
    return bail();
  };

  /** A mapping key at p, and the `:` after it. */
  const key = (): string => {
    let k: string;
    if (text.charCodeAt(p) === 34) k = quoted();
    else {
      k = token();
      const f = k.charCodeAt(0);
      // only keys that are strings to a YAML 1.2 reader (no numbers, booleans, nulls)
      if (!((f >= 97 && f <= 122) || (f >= 65 && f <= 90) || f === 95 || f === 47)) bail();
      if (/^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE)$/.test(k)) bail();
    }
    if (text.charCodeAt(p) !== 58) bail();
    p++;
    if (FORBIDDEN.has(k)) bail();
    return k;
  };

  /** At a line start: the number of spaces before its content (the line is not consumed). */
  const indentAt = (at: number): number => {
    SPACES.lastIndex = at;
    SPACES.test(text);
    return SPACES.lastIndex - at;
  };

  const isItem = (at: number): boolean => text.charCodeAt(at) === 45 && text.charCodeAt(at + 1) === 32;

  /** The end of a line: p on its newline, moved past it. */
  const eol = (): void => {
    if (text.charCodeAt(p) !== 10) bail();
    p++;
  };

  /** A block whose first entry starts at p, at column `indent`. */
  const block = (indent: number): unknown => {
    if (++depth > 64) bail();
    const v = isItem(p) ? seq(indent) : map(indent);
    depth--;
    return v;
  };

  /** After `- `, or `key:` and a newline: a nested block, or a scalar and the end of its line. */
  const value = (indent: number): unknown => {
    // a mapping or sequence whose first line starts here
    if (isItem(p)) return block(indent);
    const c = text.charCodeAt(p);
    if (c === 34) {
      // a quoted scalar, or a quoted key
      const save = p;
      quoted();
      const isKey = text.charCodeAt(p) === 58;
      p = save;
      if (isKey) return block(indent);
    } else if (c !== 91 && c !== 123) {
      TOKEN.lastIndex = p;
      if (TOKEN.test(text) && text.charCodeAt(TOKEN.lastIndex) === 58) return block(indent);
    }
    const v = scalar();
    eol();
    return v;
  };

  const seq = (indent: number): unknown[] => {
    const out: unknown[] = [];
    for (;;) {
      // p is at `- ` in column `indent`
      p += 2;
      out.push(value(indent + 2));
      if (p >= n) break;
      const ind = indentAt(p);
      if (ind !== indent || !isItem(p + ind)) break;
      p += ind;
    }
    return out;
  };

  const map = (indent: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (;;) {
      const k = key();
      if (Object.prototype.hasOwnProperty.call(out, k)) bail();
      if (text.charCodeAt(p) === 32) {
        p++;
        out[k] = scalar();
        eol();
      } else {
        // `key:` alone: a block two columns further in on the next line
        eol();
        if (indentAt(p) !== indent + 2) bail();
        p += indent + 2;
        out[k] = block(indent + 2);
      }
      if (p >= n) break;
      const ind = indentAt(p);
      if (ind !== indent) {
        // back out to an enclosing block (never deeper, never a blank line)
        if (ind > indent || p + ind >= n || text.charCodeAt(p + ind) === 10) bail();
        break;
      }
      if (isItem(p + ind)) break;
      p += ind;
    }
    return out;
  };

  try {
    if (isItem(0) || text.charCodeAt(0) === 32) return undefined;
    const data = map(0);
    return p === n ? data : undefined;
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}
