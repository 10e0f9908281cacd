/**
 * Contextual interpolation: structure first, values after. A template is rendered with every
 * `{{x}}` replaced by an unguessable placeholder (a per-render nonce and an index), the text is
 * parsed as YAML or JSON, and only then is each placeholder replaced inside the scalar or key
 * that holds it:
 *
 * - a placeholder that is the whole of a plain YAML scalar (or a bare JSON value) takes the
 *   value with its type; an object or list becomes a node there;
 * - anywhere else (inside quotes, a larger plain scalar, a block scalar, a key) it is
 *   concatenated as text, so the result is a string.
 *
 * The parser never sees a value, so no value can add a key, an item, a document or a comment.
 * Positions in the rendered text map back to the template through anchors recorded at render
 * time (see handlebars.ts), so every error points at the template's line and column.
 */
import type { Document, Node as YamlNode } from 'yaml';
import { lazy } from '../core/lazy.js';
import { emitJson, emitJsonValue, emitYaml } from '../core/emit.js';
import { HelperError, text as asText } from './helpers.js';

const Y = lazy<typeof import('yaml')>('yaml');

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** One interpolation as rendered: its value, how it was asked for, and where it is in the template. */
export interface Interpolation {
  value: unknown;
  /** `{{x}}`; `{{yaml x}}` / `{{json x}}` (a node where whole, serialised text elsewhere) */
  as: 'value' | 'yaml' | 'json';
  line: number;
  column: number;
}

/** A point in the rendered text whose template position is known. */
export interface Anchor {
  /** offset in the rendered text */
  off: number;
  line: number;
  column: number;
  /** an interpolation: every offset inside it maps to the `{{` */
  ph: boolean;
}

export interface Rendered {
  text: string;
  nonce: string;
  values: Interpolation[];
  /** computed only when an error needs a position */
  anchors(): Anchor[];
}

/** The template position of an offset in the rendered text. */
export function templatePosition(r: Rendered, off: number): { line: number; column: number } {
  const a = r.anchors();
  let lo = 0;
  let hi = a.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]!.off <= off) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best < 0) return { line: 1, column: 1 };
  const x = a[best]!;
  if (x.ph) return { line: x.line, column: x.column };
  // Text anchors start every template line piece, so the distance is within one line.
  const nl = r.text.lastIndexOf('\n', off - 1);
  if (nl >= x.off) return { line: x.line + 1, column: 1 };
  return { line: x.line, column: x.column + (off - x.off) };
}

function fail(r: Rendered, off: number, message: string, hint?: string): never {
  const p = templatePosition(r, off);
  throw new TemplateError(message, p.line, p.column, hint);
}

function failAt(i: Interpolation, message: string, hint?: string): never {
  throw new TemplateError(message, i.line, i.column, hint);
}

/** An interpolation concatenated into text. */
function asTextValue(i: Interpolation): string {
  if (i.as === 'json') return emitJsonValue(i.value);
  if (i.as === 'yaml') return emitYaml(i.value).replace(/\n$/, '');
  if (i.value !== null && typeof i.value === 'object') {
    failAt(i, 'an object or list cannot be part of a text: use {{json x}} or {{yaml x}} to serialise it, or put {{x}} alone as the value of a key');
  }
  try {
    return asText('interpolation', i.value);
  } catch (e) {
    if (e instanceof HelperError) failAt(i, e.message.replace('{{interpolation}}: ', ''));
    throw e;
  }
}

/** An interpolation that is a whole value: the value with its type. */
function asWholeValue(i: Interpolation): unknown {
  const v = i.value;
  if (typeof v === 'number' && !Number.isFinite(v)) failAt(i, `${v} is not a finite number`);
  if (typeof v === 'bigint') return Number(v);
  return v;
}

function keyText(k: unknown, where: () => never): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'boolean' || k === null) return String(k);
  return where();
}

function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  // defineProperty: a key named __proto__ is data, never the prototype
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * The structure a rendering parsed to, with holes for the values: it depends only on the
 * template text (and the branches its blocks took), never on a value, so it is cached by that
 * text and filled with each render's values.
 */
type Part = string | number;
type Key = { t: 'lit'; v: string } | { t: 'ph'; i: number } | { t: 'txt'; p: Part[] };
export type Skeleton = { t: 'lit'; v: unknown } | { t: 'ph'; i: number } | { t: 'txt'; p: Part[] } | { t: 'map'; e: [Key, Skeleton][] } | { t: 'seq'; a: Skeleton[] };

/** Literal text and interpolation indices, split at the placeholders. */
function split(s: string, nonce: string): Part[] {
  const out: Part[] = [];
  const re = new RegExp(`${nonce}(\\d+)y`, 'g');
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.index > last) out.push(s.slice(last, m.index));
    out.push(Number(m[1]));
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

/** A scalar's skeleton: `whole` when it may take the value with its type (a plain YAML scalar, a bare JSON value). */
function scalar(s: string, nonce: string, whole: boolean): Skeleton {
  if (!s.includes(nonce)) return { t: 'lit', v: s };
  const p = split(s, nonce);
  if (whole && p.length === 1 && typeof p[0] === 'number') return { t: 'ph', i: p[0] };
  return { t: 'txt', p };
}

function fillText(p: Part[], values: Interpolation[]): string {
  let s = '';
  for (const x of p) s += typeof x === 'string' ? x : asTextValue(values[x]!);
  return s;
}

/** The value a skeleton stands for with this render's values (one pass: values are never rescanned). */
export function fill(sk: Skeleton, values: Interpolation[]): unknown {
  switch (sk.t) {
    case 'lit':
      return sk.v;
    case 'ph':
      return asWholeValue(values[sk.i]!);
    case 'txt':
      return fillText(sk.p, values);
    case 'seq':
      return sk.a.map((x) => fill(x, values));
    case 'map': {
      const o: Record<string, unknown> = {};
      for (const [k, v] of sk.e) {
        let key: string;
        if (k.t === 'lit') key = k.v;
        else if (k.t === 'ph') {
          const i = values[k.i]!;
          key = keyText(i.value, () => failAt(i, 'a key must be a string, number or boolean, not an object or list'));
        } else key = fillText(k.p, values);
        if (Object.prototype.hasOwnProperty.call(o, key)) {
          // literal keys are unique (the parser checks), so a repeat comes from an interpolation
          const first = k.t === 'ph' ? k.i : k.t === 'txt' ? k.p.find((x): x is number => typeof x === 'number') : undefined;
          const msg = `the key ${JSON.stringify(key)} appears twice in this mapping`;
          if (first !== undefined) failAt(values[first]!, `${msg}: the value of this interpolation repeats another key`);
          throw new TemplateError(msg, 1, 1);
        }
        setKey(o, key, fill(v, values));
      }
      return o;
    }
  }
}

// ------------------------------------------------------------------------------------- YAML

const MAX_ALIASES = 100;

function fromYaml(r: Rendered, doc: Document, node: YamlNode | null | undefined, aliases: { n: number }): Skeleton {
  const y = Y();
  if (node === null || node === undefined) return { t: 'lit', v: null };
  if (y.isAlias(node)) {
    if (++aliases.n > MAX_ALIASES) fail(r, node.range?.[0] ?? 0, 'too many aliases');
    return fromYaml(r, doc, node.resolve(doc) as YamlNode | undefined, aliases);
  }
  if (y.isScalar(node)) {
    const v = node.value;
    return typeof v === 'string' ? scalar(v, r.nonce, node.type === 'PLAIN') : { t: 'lit', v };
  }
  if (y.isMap(node)) {
    const e: [Key, Skeleton][] = [];
    for (const pair of node.items) {
      const kn = pair.key as YamlNode | null;
      const off = kn?.range?.[0] ?? node.range?.[0] ?? 0;
      const ks = fromYaml(r, doc, kn, aliases);
      let key: Key;
      if (ks.t === 'ph' || ks.t === 'txt') key = ks;
      else if (ks.t === 'lit') key = { t: 'lit', v: keyText(ks.v, () => fail(r, off, 'a key must be a scalar')) };
      else fail(r, off, 'a key must be a scalar, not a mapping or a list');
      e.push([key, fromYaml(r, doc, pair.value as YamlNode | null, aliases)]);
    }
    return { t: 'map', e };
  }
  if (y.isSeq(node)) return { t: 'seq', a: node.items.map((n) => fromYaml(r, doc, n as YamlNode | null, aliases)) };
  return fail(r, (node as { range?: [number] }).range?.[0] ?? 0, 'unsupported YAML node');
}

const EMPTY: Skeleton = { t: 'lit', v: undefined };

function skeletonYaml(r: Rendered): Skeleton {
  const docs = Y().parseAllDocuments(r.text, { version: '1.2', merge: false, uniqueKeys: true, prettyErrors: false, keepSourceTokens: false });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length === 0) return EMPTY;
  if (list.length !== 1) {
    const second = list[1]?.range?.[0];
    fail(r, second ?? 0, `a template must render exactly one YAML document (this one renders ${list.length})`, 'put each resource in its own template file');
  }
  const doc = list[0]!;
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const msg = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    fail(r, causeOffset(r.text, problem.code, problem.pos[0]), `the template does not render valid YAML: ${msg}`, yamlHint(problem.code));
  }
  // only comments (a template whose blocks all came out empty): no resource, no file
  if (doc.contents === null || doc.contents === undefined) return EMPTY;
  const sk = fromYaml(r, doc, doc.contents as YamlNode | null, { n: 0 });
  if (sk.t !== 'map') fail(r, doc.contents?.range?.[0] ?? 0, 'the template must render a YAML mapping');
  return sk;
}

/**
 * Where the cause of a YAML error is, when the parser reports where it noticed it: the opening
 * quote of an unterminated quoted scalar (not the end of the file), the more-indented line that
 * turned a plain value into a nested mapping (not the value).
 */
function causeOffset(text: string, code: string, pos: number): number {
  if (code === 'MISSING_CHAR') {
    let off = 0;
    for (const tok of new (Y().Lexer)().lex(text)) {
      if (tok.length === 1 && tok < ' ' && tok !== '\n' && tok !== '\t') continue; // the lexer's own markers
      if ((tok[0] === '"' && !/^"(?:[^"\\]|\\[^])*"$/.test(tok)) || (tok[0] === "'" && !/^'(?:[^']|'')*'$/.test(tok))) return off;
      off += tok.length;
    }
  }
  if (code === 'BLOCK_AS_IMPLICIT_KEY') {
    const nl = text.indexOf('\n', pos);
    if (nl >= 0 && !/: |:$/.test(text.slice(pos, nl))) {
      const next = /[^ \n]/.exec(text.slice(nl + 1));
      if (next) return nl + 1 + next.index;
    }
  }
  return pos;
}

function yamlHint(code: string): string | undefined {
  if (code === 'BAD_INDENT' || code === 'MISSING_CHAR' || code === 'UNEXPECTED_TOKEN' || code === 'BLOCK_AS_IMPLICIT_KEY') {
    return 'put {{#each}}, {{#if}} and their closing tags on lines of their own so that each item renders on its own line';
  }
  return undefined;
}

// ------------------------------------------------------------------------------------- JSON

// eslint-disable-next-line no-control-regex -- JSON strings exclude raw control characters
const JSON_STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const JSON_WS = /[ \t\r\n]*/y;
const MAX_DEPTH = 256;

/** A strict JSON reader that also accepts a bare placeholder as a value, with exact error offsets. */
class JsonReader {
  private pos = 0;
  private readonly ph: RegExp;
  constructor(readonly r: Rendered) {
    this.ph = new RegExp(`${r.nonce}(\\d+)y`, 'y');
  }

  read(): Skeleton {
    const v = this.value(0);
    this.ws();
    if (this.pos < this.r.text.length) this.fail('unexpected text after the JSON value');
    return v;
  }

  private fail(msg: string): never {
    fail(this.r, this.pos, `the template does not render valid JSON: ${msg}`);
  }

  private ws(): void {
    JSON_WS.lastIndex = this.pos;
    JSON_WS.exec(this.r.text);
    this.pos = JSON_WS.lastIndex;
  }

  private match(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.r.text);
    if (m) this.pos = re.lastIndex;
    return m;
  }

  private string(): string {
    const m = this.match(JSON_STRING);
    if (!m) this.fail('an unterminated or invalid string');
    return JSON.parse(m[0]) as string;
  }

  private value(depth: number): Skeleton {
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    this.ws();
    const t = this.r.text;
    const c = t[this.pos];
    if (c === '{') {
      this.pos++;
      const e: [Key, Skeleton][] = [];
      const seen = new Set<string>();
      this.ws();
      if (t[this.pos] === '}') {
        this.pos++;
        return { t: 'map', e };
      }
      for (;;) {
        this.ws();
        if (t[this.pos] !== '"') this.fail('expected a "key"');
        const off = this.pos;
        const raw = this.string();
        const key = scalar(raw, this.r.nonce, true) as Key;
        if (key.t === 'lit') {
          if (seen.has(key.v)) fail(this.r, off, `the key ${JSON.stringify(key.v)} appears twice in this object`);
          seen.add(key.v);
        }
        this.ws();
        if (t[this.pos] !== ':') this.fail("expected ':' after a key");
        this.pos++;
        e.push([key, this.value(depth + 1)]);
        this.ws();
        if (t[this.pos] === ',') {
          this.pos++;
          continue;
        }
        if (t[this.pos] === '}') {
          this.pos++;
          return { t: 'map', e };
        }
        this.fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      this.pos++;
      const a: Skeleton[] = [];
      this.ws();
      if (t[this.pos] === ']') {
        this.pos++;
        return { t: 'seq', a };
      }
      for (;;) {
        a.push(this.value(depth + 1));
        this.ws();
        if (t[this.pos] === ',') {
          this.pos++;
          continue;
        }
        if (t[this.pos] === ']') {
          this.pos++;
          return { t: 'seq', a };
        }
        this.fail("expected ',' or ']'");
      }
    }
    if (c === '"') return scalar(this.string(), this.r.nonce, false);
    const p = this.match(this.ph);
    if (p) return { t: 'ph', i: Number(p[1]) };
    const n = this.match(JSON_NUMBER);
    if (n) return { t: 'lit', v: Number(n[0]) };
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (t.startsWith(word, this.pos)) {
        this.pos += word.length;
        return { t: 'lit', v };
      }
    }
    return this.fail(this.pos >= t.length ? 'unexpected end of the output' : `unexpected ${JSON.stringify(t[this.pos])}`);
  }
}

function skeletonJson(r: Rendered): Skeleton {
  const sk = new JsonReader(r).read();
  if (sk.t !== 'map') fail(r, 0, 'the template must render a JSON object');
  return sk;
}

/** Structures already parsed for one template, by rendered text (the nonce normalised). */
export class SkeletonCache {
  private readonly map = new Map<string, Skeleton>();
  constructor(
    /** the compile-time nonce that stands for every render's own in the cache keys */
    readonly nonce: string,
    readonly max = 256,
  ) {}

  get(r: Rendered, build: () => Skeleton): Skeleton {
    const key = r.text.split(r.nonce).join(this.nonce);
    const hit = this.map.get(key);
    if (hit) return hit;
    const sk = build();
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, sk);
    return sk;
  }
}

/** Parse the placeholder rendering (or reuse its structure), fill in the values, and emit the canonical file. */
export function finish(r: Rendered, kind: 'yaml' | 'json', cache?: SkeletonCache): string {
  if (r.text.trim() === '') return '';
  const build = () => (kind === 'json' ? skeletonJson(r) : skeletonYaml(r));
  const sk = cache ? cache.get(r, build) : build();
  if (sk === EMPTY) return '';
  const value = fill(sk, r.values);
  return kind === 'json' ? emitJson(value) : emitYaml(value);
}
