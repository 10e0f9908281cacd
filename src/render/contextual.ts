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
import { lazy } from '../lazy.js';
import { emitJson, emitJsonValue, emitYaml } from './emit.js';
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
  anchors: Anchor[];
}

/** The template position of an offset in the rendered text. */
export function templatePosition(r: Rendered, off: number): { line: number; column: number } {
  const a = r.anchors;
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

function phRegex(nonce: string): RegExp {
  return new RegExp(`${nonce}(\\d+)y`, 'g');
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
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

class Substituter {
  private readonly re: RegExp;
  private readonly whole: RegExp;
  constructor(readonly r: Rendered) {
    this.re = phRegex(r.nonce);
    this.whole = new RegExp(`^${r.nonce}(\\d+)y$`);
  }

  has(s: string): boolean {
    return s.includes(this.r.nonce);
  }

  /** The text with every placeholder replaced (one pass: inserted values are never rescanned). */
  text(s: string): string {
    return s.replace(this.re, (_m, i: string) => asTextValue(this.r.values[Number(i)]!));
  }

  /** The interpolation a string is exactly, if it is one placeholder. */
  exact(s: string): Interpolation | undefined {
    const m = this.whole.exec(s);
    return m ? this.r.values[Number(m[1])] : undefined;
  }

  /** Where a key's first placeholder is in the rendered text, else the key's own offset. */
  firstPlaceholder(s: string, fallback: number): number {
    this.re.lastIndex = 0;
    const m = this.re.exec(s);
    const i = m ? this.r.values[Number(m[1])] : undefined;
    return i ? -1 - this.r.values.indexOf(i) : fallback;
  }
}

function duplicate(sub: Substituter, r: Rendered, key: string, rawKey: string, off: number): never {
  const at = sub.firstPlaceholder(rawKey, off);
  const msg = `the key ${JSON.stringify(key)} appears twice in this mapping`;
  if (at < 0) failAt(r.values[-1 - at]!, `${msg} (the value of this interpolation repeats another key)`);
  fail(r, off, msg);
}

// ------------------------------------------------------------------------------------- YAML

const MAX_ALIASES = 100;

function fromYaml(r: Rendered, doc: Document, node: YamlNode | null | undefined, sub: Substituter, aliases: { n: number }): unknown {
  const y = Y();
  if (node === null || node === undefined) return null;
  if (y.isAlias(node)) {
    if (++aliases.n > MAX_ALIASES) fail(r, node.range?.[0] ?? 0, 'too many aliases');
    return fromYaml(r, doc, node.resolve(doc) as YamlNode | undefined, sub, aliases);
  }
  if (y.isScalar(node)) {
    const v = node.value;
    if (typeof v !== 'string' || !sub.has(v)) return v;
    const whole = node.type === 'PLAIN' ? sub.exact(v) : undefined;
    return whole ? asWholeValue(whole) : sub.text(v);
  }
  if (y.isMap(node)) {
    const o: Record<string, unknown> = {};
    for (const pair of node.items) {
      const kn = pair.key as YamlNode | null;
      const off = kn?.range?.[0] ?? node.range?.[0] ?? 0;
      let key: string;
      let raw = '';
      if (y.isScalar(kn) && typeof kn.value === 'string' && sub.has(kn.value)) {
        raw = kn.value;
        const whole = kn.type === 'PLAIN' ? sub.exact(raw) : undefined;
        key = whole
          ? keyText(whole.value, () => failAt(whole, 'a key must be a string, number or boolean, not an object or list'))
          : sub.text(raw);
      } else {
        const k = fromYaml(r, doc, kn, sub, aliases);
        key = keyText(k, () => fail(r, off, 'a key must be a scalar'));
      }
      if (Object.prototype.hasOwnProperty.call(o, key)) duplicate(sub, r, key, raw, off);
      setKey(o, key, fromYaml(r, doc, pair.value as YamlNode | null, sub, aliases));
    }
    return o;
  }
  if (y.isSeq(node)) return node.items.map((n) => fromYaml(r, doc, n as YamlNode | null, sub, aliases));
  return fail(r, (node as { range?: [number] }).range?.[0] ?? 0, 'unsupported YAML node');
}

function substituteYaml(r: Rendered): unknown {
  const docs = Y().parseAllDocuments(r.text, { version: '1.2', merge: false, uniqueKeys: true, prettyErrors: false, keepSourceTokens: false });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length !== 1) {
    const second = list[1]?.range?.[0];
    fail(r, second ?? 0, `a template must render exactly one YAML document (this one renders ${list.length})`, 'put each resource in its own template file');
  }
  const doc = list[0]!;
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const msg = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    fail(r, problem.pos[0], `the template does not render valid YAML: ${msg}`, yamlHint(problem.code));
  }
  const value = fromYaml(r, doc, doc.contents as YamlNode | null, new Substituter(r), { n: 0 });
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(r, doc.contents?.range?.[0] ?? 0, 'the template must render a YAML mapping');
  return value;
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
  constructor(
    readonly r: Rendered,
    readonly sub: Substituter,
  ) {
    this.ph = new RegExp(`${r.nonce}(\\d+)y`, 'y');
  }

  read(): unknown {
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

  private value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    this.ws();
    const t = this.r.text;
    const c = t[this.pos];
    if (c === '{') {
      this.pos++;
      const o: Record<string, unknown> = {};
      this.ws();
      if (t[this.pos] === '}') {
        this.pos++;
        return o;
      }
      for (;;) {
        this.ws();
        const off = this.pos;
        if (t[off] !== '"') this.fail('expected a "key"');
        const raw = this.string();
        let key = raw;
        if (this.sub.has(raw)) {
          const whole = this.sub.exact(raw);
          key = whole ? keyText(whole.value, () => failAt(whole, 'a key must be a string, number or boolean, not an object or list')) : this.sub.text(raw);
        }
        if (Object.prototype.hasOwnProperty.call(o, key)) duplicate(this.sub, this.r, key, this.sub.has(raw) ? raw : '', off);
        this.ws();
        if (t[this.pos] !== ':') this.fail("expected ':' after a key");
        this.pos++;
        setKey(o, key, this.value(depth + 1));
        this.ws();
        if (t[this.pos] === ',') {
          this.pos++;
          continue;
        }
        if (t[this.pos] === '}') {
          this.pos++;
          return o;
        }
        this.fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      this.pos++;
      const a: unknown[] = [];
      this.ws();
      if (t[this.pos] === ']') {
        this.pos++;
        return a;
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
          return a;
        }
        this.fail("expected ',' or ']'");
      }
    }
    if (c === '"') {
      const s = this.string();
      return this.sub.has(s) ? this.sub.text(s) : s;
    }
    const p = this.match(this.ph);
    if (p) return asWholeValue(this.r.values[Number(p[1])]!);
    const n = this.match(JSON_NUMBER);
    if (n) return Number(n[0]);
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (t.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(this.pos >= t.length ? 'unexpected end of the output' : `unexpected ${JSON.stringify(t[this.pos])}`);
  }
}

function substituteJson(r: Rendered): unknown {
  const v = new JsonReader(r, new Substituter(r)).read();
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(r, 0, 'the template must render a JSON object');
  return v;
}

/** Parse the placeholder rendering, substitute the values, and emit the canonical file. */
export function finish(r: Rendered, kind: 'yaml' | 'json'): string {
  if (r.text.trim() === '') return '';
  return kind === 'json' ? emitJson(substituteJson(r)) : emitYaml(substituteYaml(r));
}
