/**
 * One isolated Handlebars environment in which YAML/JSON injection is impossible by construction.
 * Two modes, one per kind of template:
 *
 * - `contextual` (every project template): each `{{expr}}` is rewritten (on the AST) to
 *   `{{__ph expr at="L:C"}}`, which records the value and emits an unguessable placeholder; the
 *   output is parsed and the values are substituted in the tree (contextual.ts). Literal text
 *   gets position anchors, so errors in the rendered text map back to the template.
 * - `canonical` (the built-ins, written in the canonical form): each `{{expr}}` is rewritten to
 *   `{{q expr loc="L:C"}}`, which emits one JSON-quoted scalar, and the output is used as is.
 *   Only the structural helpers (`yaml`, `json`) emit unquoted text there, through `Raw`.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type HandlebarsNs from 'handlebars';
import { lazy } from '../core/lazy.js';
import { contentHash } from '../core/hash.js';
import { HANDLEBARS_RUNTIME_CACHE, requireGenerated } from '../host/code-cache.js';
import { didYouMean } from '../validate/did-you-mean.js';
import { finish, SkeletonCache, TemplateError, type Anchor, type Interpolation, type Rendered } from './contextual.js';
import { emitJsonValue, emitYaml, emitYamlAfterKey, yamlString } from '../core/emit.js';
import * as H from './helpers.js';

const handlebars = lazy<typeof HandlebarsNs>('handlebars');
/** A Handlebars environment (the full one, or the run time's). */
type HbEnv = ReturnType<typeof HandlebarsNs.create>;
// The run time as Handlebars ships it in one file (its UMD build of the same sources, the same
// `create()` and VERSION): `handlebars/runtime` is the same run time in about 25 CommonJS
// modules, which cost a process that renders about 15 ms more CPU to resolve and load.
// It loads through the V8 code cache the build made of it (scripts/code-cache.mjs), beside the
// precompiled templates, used only for the very bytes installed and this Node: about 5 ms less
// CPU for every run that renders.
let runtimeModule: { create(): HbEnv; VERSION: string } | undefined;
const handlebarsRuntime = (): { create(): HbEnv; VERSION: string } =>
  (runtimeModule ??= requireGenerated(requireCjs.resolve('handlebars/dist/handlebars.runtime.js'), fileURLToPath(new URL(`../${HANDLEBARS_RUNTIME_CACHE}`, import.meta.url))) as { create(): HbEnv; VERSION: string });

export { TemplateError };

/** Text a structural helper produced; `q` passes it through. Only this module creates it. */
class Raw {
  constructor(readonly text: string) {}
}

type HbNode = { type?: string; loc?: { start: { line: number; column: number } }; [k: string]: unknown };

const BUILTIN_BLOCKS = new Set(['if', 'unless', 'each', 'with']);
/** Helpers a template may call (besides the blocks). */
export const VALUE_HELPERS = [
  'yaml',
  'json',
  'toYaml',
  'toJson',
  'default',
  'eq',
  'ne',
  'and',
  'or',
  'not',
  'lower',
  'upper',
  'join',
  'concat',
  'sha256',
  'sha256sum',
  'trunc',
  'replace',
  'trimPrefix',
  'trimSuffix',
  'trim',
  'printf',
  'b64enc',
  'quote',
  'squote',
] as const;
const INTERNAL = ['q', '__ph', '__get', '__yamlText', '__jsonText'];
const OUR_HELPERS = [...INTERNAL, ...VALUE_HELPERS];
const HELPERS = new Set<string>([...VALUE_HELPERS, ...BUILTIN_BLOCKS]);
export const KNOWN_HELPERS: ReadonlySet<string> = HELPERS;

function loc(node: HbNode): string {
  const s = node.loc?.start;
  return s ? `${s.line}:${s.column + 1}` : '1:1';
}

function parseLoc(s: unknown): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(String(s ?? ''));
  return m ? [Number(m[1]), Number(m[2])] : [1, 1];
}

function fail(message: string, at: unknown): never {
  const [line, column] = parseLoc(at);
  throw new TemplateError(message, line, column);
}

function quoteScalar(v: unknown, at: unknown, kind: unknown): string {
  if (v instanceof Raw) return v.text;
  if (v === undefined || v === null) fail('value is undefined (a missing variable or field)', at);
  // YAML: plain only when no reader could misread it (the canonical form); JSON: always quoted
  if (typeof v === 'string') return kind === 'yaml' ? yamlString(v) : JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(`value ${v} is not a finite number`, at);
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v.toString();
  fail('an object or list cannot be interpolated as a scalar: use {{yaml ...}} or {{json ...}}', at);
}

/** Rewrite every mustache into a `q` call carrying its source location; refuse raw and partial output. */
function rewrite(ast: HbNode, kind: 'yaml' | 'json'): void {
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const n = node as HbNode;
    if (n.type === 'SubExpression' || (n.type === 'MustacheStatement' && ((n.params as unknown[]) ?? []).length > 0)) {
      const name = String((n.path as HbNode).original ?? '');
      if (!HELPERS.has(name)) fail(unknownHelper(name), loc(n));
    }
    if (n.type === 'MustacheStatement') {
      if (n.escaped === false) fail('raw output {{{ }}} is not allowed: every value is emitted as a quoted scalar', loc(n));
      const path = n.path as HbNode;
      const params = (n.params as unknown[]) ?? [];
      const inner = params.length > 0 || n.hash ? { type: 'SubExpression', path, params, hash: n.hash, loc: n.loc } : path;
      n.path = { type: 'PathExpression', data: false, depth: 0, parts: ['q'], original: 'q', loc: n.loc };
      n.params = [inner];
      n.hash = {
        type: 'Hash',
        loc: n.loc,
        pairs: [
          { type: 'HashPair', key: 'loc', value: { type: 'StringLiteral', value: loc(n), original: loc(n), loc: n.loc }, loc: n.loc },
          { type: 'HashPair', key: 'kind', value: { type: 'StringLiteral', value: kind, original: kind, loc: n.loc }, loc: n.loc },
        ],
      };
    } else if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement') {
      fail('partials are not supported in gitopsc templates', loc(n));
    } else if (n.type === 'Decorator' || n.type === 'DecoratorBlock') {
      fail('decorators are not supported in gitopsc templates', loc(n));
    } else if (n.type === 'BlockStatement') {
      const name = String((n.path as HbNode).original ?? '');
      if (!BUILTIN_BLOCKS.has(name)) fail(`unknown block helper "#${name}"`, loc(n));
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'loc') visit(v);
  };
  visit(ast);
}

/** The innermost `{{#block}}` opened and never closed, by a scan of the tags (for the end-of-file parse error). */
function unclosedBlock(source: string): { name: string; line: number; column: number } | undefined {
  const stack: { name: string; at: number }[] = [];
  const re = /\{\{~?\s*([#/^])\s*([\w.-]+)|\{\{!--[^]*?--\}\}/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    if (!m[1]) continue;
    if (m[1] === '#') stack.push({ name: m[2]!, at: m.index });
    else if (m[1] === '/' && stack.at(-1)?.name === m[2]) stack.pop();
  }
  const open = stack.at(-1);
  if (!open) return undefined;
  const before = source.slice(0, open.at).split('\n');
  return { name: open.name, line: before.length, column: before.at(-1)!.length + 1 };
}

function unknownHelper(name: string): string {
  const hint = didYouMean(name, [...HELPERS]);
  return `unknown helper "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; available: ${[...HELPERS].join(', ')}`;
}

// ------------------------------------------------------------------------- contextual mode

type Pos = { line: number; column: number };

const str = (value: string, at: HbNode['loc']): HbNode => ({ type: 'StringLiteral', value, original: value, loc: at });
const pair = (key: string, value: HbNode, at: HbNode['loc']): HbNode => ({ type: 'HashPair', key, value, loc: at });

/** `servce.name` -> the first part as a path, and the rest as a dotted string. */
function splitPath(p: HbNode): { head: HbNode; rest: string } | undefined {
  const parts = (p.parts as string[] | undefined) ?? [];
  if (p.type !== 'PathExpression' || parts.length < 2) return undefined;
  const original = String(p.original ?? '');
  const scoped = /^(\.\/|this[./])/.test(original);
  const head = { ...p, parts: [parts[0]], original: `${p.data ? '@' : ''}${scoped ? 'this.' : ''}${'../'.repeat(Number(p.depth ?? 0))}${parts[0]}` };
  return { head, rest: parts.slice(1).join('.') };
}

/** A path read by a helper or block: `(__get head rest="b.c" path="a.b.c")`, which never throws. */
function safePath(p: HbNode): HbNode {
  const split = splitPath(p);
  if (!split) return p;
  const at = p.loc;
  return {
    type: 'SubExpression',
    gen: true,
    path: { type: 'PathExpression', data: false, depth: 0, parts: ['__get'], original: '__get', loc: at },
    params: [split.head],
    hash: { type: 'Hash', loc: at, pairs: [pair('rest', str(split.rest, at), at), pair('path', str(String(p.original), at), at)] },
    loc: at,
  };
}

const AS: Record<string, 'yaml' | 'json'> = { yaml: 'yaml', toYaml: 'yaml', json: 'json', toJson: 'json' };
const TEXT_FORM: Record<string, string> = { yaml: '__yamlText', toYaml: '__yamlText', json: '__jsonText', toJson: '__jsonText' };

interface MarkTable {
  nonce: string;
  positions: Pos[];
}

/** Anchors before every line piece of literal text: a marker the renderer strips and records. */
function markContent(n: HbNode, table: MarkTable): void {
  const value = String(n.value ?? '');
  const original = typeof n.original === 'string' ? n.original : value;
  let k = original.indexOf(value);
  if (k < 0) k = 0;
  let line = n.loc?.start.line ?? 1;
  let column = (n.loc?.start.column ?? 0) + 1;
  for (let i = 0; i < k; i++) {
    if (original[i] === '\n') {
      line++;
      column = 1;
    } else column++;
  }
  const pieces = value.replace(/\uE000/g, '}').split('\n');
  let out = '';
  pieces.forEach((piece, i) => {
    const id = table.positions.push({ line, column }) - 1;
    out += `${table.nonce}${id}y${piece}${i < pieces.length - 1 ? '\n' : ''}`;
    line++;
    column = 1;
  });
  n.value = out;
}

/**
 * An `{{#each}}` that starts after indentation on its line, not on a line of its own, is a list
 * of lines written inline: `  {{#each spec.env}}{{@key}}: {{this}}{{/each}}` (or with the body
 * ending in a newline and `{{/each}}` on the next line). Handlebars writes the indentation once,
 * before the first item; here every item after the first starts a new line at that indentation,
 * so the items stay in the mapping or list the author put them in.
 */
function lineEach(ast: HbNode, source: string): void {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') starts.push(i + 1);
  const offset = (p: { line: number; column: number }) => (starts[p.line - 1] ?? source.length) + p.column;
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const n = node as HbNode & { loc?: { start: { line: number; column: number }; end: { line: number; column: number } } };
    if (n.type === 'BlockStatement' && String((n.path as HbNode).original) === 'each' && n.loc) {
      const open = offset(n.loc.start);
      const lineStart = starts[n.loc.start.line - 1] ?? 0;
      const indent = source.slice(lineStart, open);
      const openEnd = source.indexOf('}}', open) + 2;
      const closeEnd = offset(n.loc.end);
      const program = n.program as HbNode | undefined;
      const body = (program?.body as HbNode[] | undefined) ?? [];
      const lastValue = String(body.at(-1)?.type === 'ContentStatement' ? body.at(-1)!.value : '');
      if (/^[ ]*$/.test(indent) && openEnd > 1 && source[openEnd] !== '\n' && source[openEnd] !== '\r' && program) {
        let prefix: string | undefined;
        if (lastValue.endsWith('\n')) prefix = indent;
        else if (closeEnd >= source.length || source[closeEnd] === '\n' || source[closeEnd] === '\r') prefix = `\n${indent}`;
        if (prefix) {
          const at = n.loc;
          const content = { type: 'ContentStatement', value: prefix, original: prefix, loc: at };
          const guard = {
            type: 'BlockStatement',
            path: { type: 'PathExpression', data: false, depth: 0, parts: ['unless'], original: 'unless', loc: at },
            params: [{ type: 'PathExpression', data: true, depth: 0, parts: ['first'], original: '@first', loc: at }],
            program: { type: 'Program', body: [content], strip: {}, loc: at },
            openStrip: { open: false, close: false },
            closeStrip: { open: false, close: false },
            loc: at,
          };
          program.body = [guard, ...body];
        }
      }
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'loc') visit(v);
  };
  visit(ast);
}

function rewriteContextual(ast: HbNode, table: MarkTable): void {
  const visitParams = (n: HbNode): void => {
    const params = (n.params as HbNode[] | undefined) ?? [];
    n.params = params.map((p) => (p.type === 'PathExpression' ? safePath(p) : p));
    const hash = n.hash as { pairs: HbNode[] } | undefined;
    for (const hp of hash?.pairs ?? []) if ((hp.value as HbNode).type === 'PathExpression') hp.value = safePath(hp.value as HbNode);
  };
  const visit = (node: unknown, prev?: HbNode): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((x, i) => visit(x, i > 0 ? (node[i - 1] as HbNode) : undefined));
      return;
    }
    const n = node as HbNode;
    const name = String((n.path as HbNode | undefined)?.original ?? '');
    if (n.gen) return;
    if (n.type === 'PathExpression' && /^(@?(\.\.\/)*)?__/.test(String(n.original ?? ''))) fail(`"${String(n.original)}" is reserved`, loc(n));
    if (!HELPERS.has(name) && /^(__|q$)/.test(name)) fail(`"${name}" is reserved`, loc(n));
    if (n.type === 'SubExpression' || (n.type === 'MustacheStatement' && (((n.params as unknown[]) ?? []).length > 0 || n.hash))) {
      if (!HELPERS.has(name)) fail(unknownHelper(name), loc(n));
    }
    if (n.type === 'ContentStatement') {
      markContent(n, table);
      return;
    }
    if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement') fail('partials are not supported in gitopsc templates (each template renders one file)', loc(n));
    if (n.type === 'Decorator' || n.type === 'DecoratorBlock') fail('decorators are not supported in gitopsc templates', loc(n));
    if (n.type === 'BlockStatement' && !BUILTIN_BLOCKS.has(name)) fail(`unknown block helper "#${name}" (blocks: ${[...BUILTIN_BLOCKS].join(', ')})`, loc(n));
    if (n.type === 'SubExpression') {
      visitParams(n);
      if (TEXT_FORM[name]) n.path = { ...(n.path as HbNode), parts: [TEXT_FORM[name]], original: TEXT_FORM[name] };
    }
    if (n.type === 'BlockStatement') visitParams(n);
    if (n.type === 'MustacheStatement') {
      if (n.escaped === false) fail('raw output {{{ }}} is not needed: a value in {{ }} never changes the structure, write {{x}}', loc(n));
      const path = n.path as HbNode;
      const params = (n.params as HbNode[]) ?? [];
      const at = n.loc;
      const num = (v: number): HbNode => ({ type: 'NumberLiteral', value: v, original: v, loc: at });
      const pairs: HbNode[] = [pair('at', str(loc(n), at), at), pair('line', num(at?.start.line ?? 1), at), pair('column', num((at?.start.column ?? 0) + 1), at)];
      let inner: HbNode;
      const as = AS[name];
      if (as && params.length === 1) {
        // {{yaml x}} / {{json x}}: the value itself, a node where it stands whole
        inner = params[0]!.type === 'PathExpression' ? safePath(params[0]!) : params[0]!;
        pairs.push(pair('as', str(as, at), at));
        // `key:{{yaml x indent=4}}` (the built-ins' form) is `key: x`
        if (prev?.type === 'ContentStatement' && String(prev.value).endsWith(':')) prev.value = `${String(prev.value)} `;
      } else if (params.length > 0 || n.hash) {
        visitParams(n);
        inner = { type: 'SubExpression', path, params: n.params, hash: n.hash, loc: at };
      } else {
        const split = splitPath(path);
        pairs.push(pair('path', str(String(path.original ?? ''), at), at));
        if (split) pairs.push(pair('rest', str(split.rest, at), at));
        inner = split ? split.head : path;
      }
      n.path = { type: 'PathExpression', data: false, depth: 0, parts: ['__ph'], original: '__ph', loc: at };
      n.params = [inner];
      n.hash = { type: 'Hash', loc: at, pairs };
      n.escaped = true;
    }
    const entries = Object.entries(n).filter(([k]) => k !== 'loc' && k !== 'path');
    for (const [, v] of entries) {
      if (Array.isArray(v)) visit(v);
      else if (v && typeof v === 'object' && (v as HbNode).type !== 'ContentStatement') visit(v);
      else if (v && typeof v === 'object') visit(v);
    }
  };
  visit(ast);
}

let pool = Buffer.alloc(0);
let poolAt = 0;

function letters(n: number): string {
  if (poolAt + n > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  // g-z only: a placeholder is never a number, a hex digit string, a boolean or a null
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(103 + (pool[poolAt++]! % 20));
  return s;
}

/** The per-render state the placeholder helpers write to (rendering is synchronous). */
interface RenderState {
  nonce: string;
  values: Interpolation[];
  /** the last path a helper or block read that was missing, for the message of the use that fails */
  missing?: { path: string; message: string; hint?: string; line: number };
}

/** Why `path` is missing from `base`: the first segment not found, with a did-you-mean. */
export function explainMissing(path: string, base: unknown, root: unknown): { message: string; hint?: string } {
  const clean = path.replace(/^this\./, '').replace(/^\.\//, '');
  if (/^[@.]/.test(clean)) return { message: `"${path}" is not defined here` };
  const segs = clean.split(/[./]/);
  let cur: unknown = base;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const obj = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>) : undefined;
    if (obj && Object.prototype.hasOwnProperty.call(obj, seg) && obj[seg] !== undefined) {
      cur = obj[seg];
      continue;
    }
    const where = i === 0 ? (base === root ? 'the template context' : 'this item') : `"${segs.slice(0, i).join('.')}"`;
    let keys = obj ? Object.keys(obj) : [];
    if (i === 0 && base !== root && root && typeof root === 'object') keys = [...keys, ...Object.keys(root)];
    const dym = didYouMean(seg, keys);
    const have = obj ? `it has ${keys.length ? keys.slice(0, 12).map((k) => `"${k}"`).join(', ') : 'no fields'}` : `it is ${cur === null ? 'null' : typeof cur}`;
    return {
      message: `{{${path}}}: "${seg}" is not in ${where}${dym ? ` (did you mean "${dym}"?)` : ''}`,
      hint: dym ? `did you mean "${[...segs.slice(0, i), dym].join('.')}"? (${have})` : have,
    };
  }
  return { message: `"${path}" is undefined` };
}

function walk(first: unknown, rest: string): unknown {
  let cur = first;
  for (const seg of rest ? rest.split('.') : []) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

export type CompiledTemplate = (context: object) => string;

/**
 * How every template is compiled (here, and by the build's precompile of the built-ins). A fresh
 * object each time: Handlebars' compiler adds to the options it is given.
 */
const compileOptions = () => ({
  strict: true,
  noEscape: true,
  knownHelpers: Object.fromEntries([...OUR_HELPERS, ...BUILTIN_BLOCKS].map((h) => [h, true])) as Record<string, boolean>,
  knownHelpersOnly: true,
  preventIndent: true,
  data: true,
});

/**
 * The key of a canonical template's precompiled code: its kind and source, and everything of
 * ours the code is made from (the AST rewrite, its locations, the compile options), so that
 * code built from another source or by another version of this module is never used.
 */
function precompiledKey(source: string, kind: 'yaml' | 'json'): string {
  return contentHash(JSON.stringify([1, kind, source, ...templateCode(), compileOptions()]));
}

/**
 * Set only in the bundled CLI (scripts/build.mjs): the text of `rewrite` and `loc` as the
 * file-by-file build of the same source prints them (`templateCode()` of dist/render/handlebars.js),
 * which the precompiled table was keyed with. A bundle may rename the identifiers they call
 * (`fail` -> `fail2`), which changes their text but not what they do.
 */
declare const GITOPSC_TEMPLATE_CODE: readonly [string, string] | undefined;

/** The text of the code a precompiled template is made from (the AST rewrite and its locations). */
export function templateCode(): readonly [string, string] {
  return typeof GITOPSC_TEMPLATE_CODE !== 'undefined' ? GITOPSC_TEMPLATE_CODE : [rewrite.toString(), loc.toString()];
}

/** The build's precompiled built-ins: the Handlebars version, and code by `precompiledKey`. */
export interface PrecompiledTable {
  version?: string;
  templates?: Record<string, unknown>;
}

const requireCjs = createRequire(import.meta.url);
/** dist/render/precompiled/templates.cjs, read once (null when absent) */
let shipped: PrecompiledTable | null | undefined;
function shippedTable(): PrecompiledTable | null {
  if (shipped === undefined) {
    try {
      // (through the code cache the build wrote beside it, when it is for these bytes and this Node)
      shipped = requireGenerated(requireCjs.resolve('./precompiled/templates.cjs')) as PrecompiledTable;
    } catch {
      shipped = null;
    }
  }
  return shipped;
}

/**
 * The code the build precompiled for this canonical template (`scripts/precompile-templates.mjs`),
 * when it was made from this very source by the Handlebars version installed; else undefined
 * (the template is compiled here, with the same result).
 */
function precompiled(table: PrecompiledTable | null, source: string, kind: 'yaml' | 'json', version: () => string): unknown {
  if (!table?.templates || typeof table.version !== 'string') return undefined;
  const key = precompiledKey(source, kind);
  const spec = Object.hasOwn(table.templates, key) ? table.templates[key] : undefined;
  return spec && table.version === version() ? spec : undefined;
}

/**
 * The build step: the CommonJS module of the precompiled canonical templates (the built-ins),
 * read back by `precompiled`. A template that does not compile is left out (compiled, and
 * reported, at run time).
 */
export function precompiledModule(templates: readonly { source: string; kind: 'yaml' | 'json' }[]): string {
  const hb = handlebars();
  const entries: string[] = [];
  for (const t of templates) {
    let code: string;
    try {
      const ast = hb.parse(t.source) as unknown as HbNode;
      rewrite(ast, t.kind);
      code = hb.precompile(ast as unknown as string, compileOptions()) as unknown as string;
    } catch {
      continue;
    }
    entries.push(`  ${JSON.stringify(precompiledKey(t.source, t.kind))}: ${code},`);
  }
  return `// generated by scripts/precompile-templates.mjs from templates/: do not edit\nmodule.exports = {\n  version: ${JSON.stringify(hb.VERSION)},\n  templates: {\n${entries.map((e) => `  ${e}`).join('\n')}\n  },\n};\n`;
}

/** The parts of a Handlebars environment that `compile` uses (not in its type declarations). */
interface HbCompilerEnv {
  parse(input: unknown, options: object): unknown;
  Compiler: new () => { compile(ast: unknown, options: object): unknown };
  JavaScriptCompiler: new () => { compile(environment: unknown, options: object, context: undefined, asObject: true): unknown };
  template(spec: unknown): { (context: unknown, options: object): string; _setup(options: object): void };
}

export type TemplateMode = 'canonical' | 'contextual';

export interface TemplateEngine {
  /**
   * Throws TemplateError (a user error in a template file; the caller makes it a diagnostic).
   * The compiled function returns the file's final bytes ('' when the template renders nothing).
   */
  compile(source: string, kind: 'yaml' | 'json', mode?: TemplateMode): CompiledTemplate;
}

type Opts = { hash: Record<string, unknown>; loc?: { start: { line: number; column: number }; end: { line: number; column: number } }; data?: { root?: unknown } };

/**
 * `precompiled`: the table of precompiled built-ins (default: the build's, when present; null:
 * compile every template here).
 */
export function createTemplateEngine(opts: { precompiled?: PrecompiledTable | null } = {}): TemplateEngine {
  const pre = opts.precompiled === undefined ? shippedTable() : opts.precompiled;
  let state: RenderState | undefined;
  const locOf = (o: Opts | undefined): string | undefined => (o?.loc ? `${o.loc.start.line}:${o.loc.start.column + 1}` : undefined);
  /** Our helpers, registered on an environment (the full one compiles, the run-time one runs precompiled built-ins). */
  const register = (hb: HbEnv): HbEnv => {
    /** A value helper: a HelperError becomes a TEMPLATE error at the call, naming a missing path. */
    const helper = (name: string, fn: (...a: unknown[]) => unknown) =>
      hb.registerHelper(name, function (this: unknown, ...args: unknown[]) {
        const opts = args[args.length - 1] as Opts;
        try {
          return fn.apply(this, args);
        } catch (e) {
          if (!(e instanceof H.HelperError)) throw e;
          const m = state?.missing;
          const line = opts.loc?.start.line;
          if (m && line !== undefined && m.line >= line && m.line <= (opts.loc?.end.line ?? line)) fail(`{{${name}}}: ${m.message}`, locOf(opts));
          fail(e.message, locOf(opts));
        }
      });

    hb.registerHelper('q', (v: unknown, opts: { hash: { loc?: string; kind?: string } }) => quoteScalar(v, opts.hash.loc, opts.hash.kind));
    hb.registerHelper('__get', function (this: unknown, first: unknown, opts: Opts) {
      const v = walk(first, String(opts.hash.rest ?? ''));
      if (v === undefined && state) {
        const why = explainMissing(String(opts.hash.path), this, opts.data?.root);
        state.missing = { path: String(opts.hash.path), ...why, line: opts.loc?.start.line ?? 0 };
      }
      return v;
    });
    hb.registerHelper('__ph', function (this: unknown, v: unknown, opts: Opts) {
      const st = state!;
      const at = String(opts.hash.at ?? '1:1');
      let value = opts.hash.rest !== undefined ? walk(v, String(opts.hash.rest)) : v;
      if (value === undefined) {
        if (opts.hash.path !== undefined) {
          const why = explainMissing(String(opts.hash.path), this, opts.data?.root);
          const [line, column] = parseLoc(at);
          throw new TemplateError(why.message, line, column, why.hint);
        }
        const m = st.missing;
        const [line] = parseLoc(at);
        if (m && m.line === line) {
          const [l, c] = parseLoc(at);
          throw new TemplateError(m.message, l, c, m.hint);
        }
        fail('the value is undefined (a missing variable or field)', at);
      }
      if (value instanceof Raw) value = value.text;
      const line = opts.hash.line as number;
      const column = opts.hash.column as number;
      const as = opts.hash.as === 'yaml' || opts.hash.as === 'json' ? opts.hash.as : 'value';
      const i = st.values.push({ value, as, line, column }) - 1;
      return `${st.nonce}${i}y`;
    });
    const deny = (name: string) => () => fail(`helper "${name}" is not available`, undefined);
    hb.registerHelper('helperMissing', function (...args: unknown[]) {
      const opts = args[args.length - 1] as { name?: string; loc?: { start: { line: number; column: number } } };
      fail(`missing helper "${opts.name ?? '?'}"`, opts.loc ? `${opts.loc.start.line}:${opts.loc.start.column + 1}` : undefined);
    });
    hb.registerHelper('log', deny('log'));
    hb.registerHelper('lookup', deny('lookup'));
    // Structural helpers in canonical mode: indentation-aware block YAML, or compact JSON, from a value.
    // {{yaml x indent=N}} right after `key:`: a scalar on the same line, or a canonical block at column N.
    const yamlRaw = (v: unknown, opts: { hash: { indent?: number } }) => {
      if (v === undefined) fail('{{yaml}} of an undefined value', undefined);
      return new Raw(emitYamlAfterKey(v, Number(opts.hash.indent ?? 2)));
    };
    const jsonRaw = (v: unknown) => {
      if (v === undefined) fail('{{json}} of an undefined value', undefined);
      return new Raw(emitJsonValue(v));
    };
    hb.registerHelper('yaml', yamlRaw);
    hb.registerHelper('toYaml', yamlRaw);
    hb.registerHelper('json', jsonRaw);
    hb.registerHelper('toJson', jsonRaw);
    const need = (name: string) => (v: unknown) => {
      if (v === undefined) throw new H.HelperError(`{{${name}}} of an undefined value`);
      return v;
    };
    helper('__yamlText', (v: unknown) => emitYaml(need('yaml')(v)).replace(/\n$/, ''));
    helper('__jsonText', (v: unknown) => emitJsonValue(need('json')(v)));
    hb.registerHelper('default', (v: unknown, d: unknown) => (v === undefined || v === null || v === '' ? d : v));
    hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    hb.registerHelper('ne', (a: unknown, b: unknown) => a !== b);
    hb.registerHelper('and', (...a: unknown[]) => a.slice(0, -1).every(Boolean));
    hb.registerHelper('or', (...a: unknown[]) => a.slice(0, -1).some(Boolean));
    hb.registerHelper('not', (a: unknown) => !a);
    helper('concat', (...a: unknown[]) => a.slice(0, -1).map((p) => H.text('concat', p)).join(''));
    helper('lower', (a: unknown) => H.text('lower', a).toLowerCase());
    helper('upper', (a: unknown) => H.text('upper', a).toUpperCase());
    hb.registerHelper('join', (a: unknown, sep: unknown) => (Array.isArray(a) ? a.join(typeof sep === 'string' ? sep : ',') : ''));
    helper('sha256', (v: unknown) => H.sha256(v));
    helper('sha256sum', (v: unknown) => H.sha256(v));
    helper('trunc', (v: unknown, n: unknown) => H.trunc(v, n));
    helper('replace', (v: unknown, a: unknown, b: unknown) => H.replace(v, a, b));
    helper('trimPrefix', (v: unknown, p: unknown) => H.trimPrefix(v, p));
    helper('trimSuffix', (v: unknown, p: unknown) => H.trimSuffix(v, p));
    helper('trim', (v: unknown) => H.trim(v));
    helper('printf', (f: unknown, ...a: unknown[]) => H.printf(f, a.slice(0, -1)));
    helper('b64enc', (v: unknown) => H.b64enc(v));
    helper('quote', (v: unknown) => H.quote(v));
    helper('squote', (v: unknown) => H.quote(v));
    return hb;
  };
  let fullEnv: HbEnv | undefined;
  let runtimeEnv: HbEnv | undefined;
  /** Handlebars with its compiler, loaded only when a template is compiled here (not precompiled). */
  const full = (): HbEnv => (fullEnv ??= register(handlebars().create()));
  /** Handlebars' run time alone (half the module), for the built-ins precompiled at build time. */
  const runtime = (): HbEnv => (runtimeEnv ??= fullEnv ?? register(handlebarsRuntime().create()));

  const parse = (source: string): HbNode => {
    try {
      return full().parse(source) as unknown as HbNode;
    } catch (e) {
      const msg = (e as Error).message;
      // "if doesn't match each - 2:6": at the closing tag
      const at = / - (\d+):(\d+)$/.exec(msg);
      if (at) {
        const l = Number(at[1]);
        const open = (source.split('\n')[l - 1] ?? '').lastIndexOf('{{', Number(at[2]));
        throw new TemplateError(`${msg.replace(/ - \d+:\d+$/, '')}: the block opened here is closed by another`, l, open >= 0 ? open + 1 : Number(at[2]) + 1);
      }
      // the end of the file inside a block: at the block that is not closed
      if (/got 'EOF'/.test(msg)) {
        const open = unclosedBlock(source);
        if (open) throw new TemplateError(`{{#${open.name}}} is not closed (no {{/${open.name}}} before the end of the template)`, open.line, open.column);
      }
      const m = /line (\d+)/.exec(msg);
      // "Parse error on line 2:" + the source excerpt + "Expecting ..., got 'EOF'": keep the first and last lines
      const lines = msg.split('\n').filter((l) => l.trim() !== '');
      const text = lines.length > 1 ? `${lines[0]} ${lines[lines.length - 1]}` : msg;
      // the excerpt's caret line tells the column
      const caret = lines.find((l) => /^-*\^$/.test(l));
      const line = m ? Number(m[1]) : 1;
      let column = 1;
      if (caret) {
        // the excerpt is the end of the source up to the error (at most 20 characters before it)
        const upTo = source.split('\n')[line - 1] ?? '';
        const excerpt = lines[1] ?? '';
        const at = upTo.lastIndexOf(excerpt.replace(/^\.\.\./, '').slice(0, 20));
        column = at >= 0 ? at + caret.length - (excerpt.startsWith('...') ? 3 : 0) : caret.length;
      }
      const lineText = source.split('\n')[line - 1] ?? '';
      throw new TemplateError(text, line, Math.min(Math.max(1, column), lineText.length + 1), helmHint(lineText));
    }
  };
  const runOpts = { allowProtoMethodsByDefault: false, allowProtoPropertiesByDefault: false };
  /**
   * What `hb.compile` does (compiled on first use, so a compile error surfaces at the first
   * render as before), except that the run-time set-up happens once per template instead of on
   * every call: Handlebars' `_setup` copies and wraps every registered helper and builds the
   * prototype-access control for each call (about 40 us, a sixth of rendering a unit). Helpers
   * are fixed once the engine is made and every call passes the same options, so the set-up of
   * the first call is the set-up of all.
   */
  const build = (spec: () => unknown, env: () => HbEnv): HandlebarsTemplateDelegate => {
    let compiled: HandlebarsTemplateDelegate | undefined;
    return (context: unknown) => {
      if (!compiled) {
        const tmpl = (env() as unknown as HbCompilerEnv).template(spec());
        tmpl._setup(runOpts);
        tmpl._setup = () => {};
        compiled = tmpl as unknown as HandlebarsTemplateDelegate;
      }
      return compiled(context, runOpts);
    };
  };
  /** The template's code, made here (what the build's precompile writes as source). */
  const codegen = (ast: HbNode) => (): unknown => {
    const env = full() as unknown as HbCompilerEnv;
    const options = compileOptions();
    const environment = new env.Compiler().compile(env.parse(ast, options), options);
    return new env.JavaScriptCompiler().compile(environment, options, undefined, true);
  };

  return {
    compile(source, kind, mode = 'contextual') {
      if (mode === 'canonical') {
        // a built-in precompiled at build time runs on Handlebars' run time alone; any other
        // canonical template (or a build without the precompiled file) is compiled here
        const spec = precompiled(pre, source, kind, () => handlebarsRuntime().VERSION);
        let fn: HandlebarsTemplateDelegate;
        if (spec) fn = build(() => spec, runtime);
        else {
          const ast = parse(source);
          rewrite(ast, kind);
          fn = build(codegen(ast), full);
        }
        return (context) => {
          try {
            return fn(context, runOpts);
          } catch (e) {
            throw asTemplateError(e);
          }
        };
      }
      const table: MarkTable = { nonce: `x${letters(14)}m`, positions: [] };
      const ast = parse(closeFlow(source));
      lineEach(ast, source);
      rewriteContextual(ast, table);
      const fn = build(codegen(ast), full);
      const markers = new RegExp(`${table.nonce}(\\d+)y`, 'g');
      const cache = new SkeletonCache(`${table.nonce}p`);
      return (context) => {
        const st: RenderState = { nonce: `z${letters(14)}q`, values: [] };
        const outer = state;
        state = st;
        let raw: string;
        try {
          raw = fn(context, runOpts);
        } catch (e) {
          throw asTemplateError(e);
        } finally {
          state = outer;
        }
        return finish(anchor(raw, markers, table, st), kind, cache);
      };
    },
  };
}

/**
 * `{k: {{x}}}` is a flow mapping around a value for a YAML author, but Handlebars reads `}}}` as
 * the end of a raw `{{{ }}}`. Keep the third brace as text (a private-use stand-in, one character
 * for one, so positions do not move; markContent turns it back).
 */
export function closeFlow(source: string): string {
  return source.replace(/(?<!\{)\{\{(?!\{)((?:[^}]|\}(?!\}))*)\}\}\}/g, (_m, inner: string) => `{{${inner}}}\uE000`);
}

/** Strip the text markers from a rendering; they and the placeholders become anchors when an error needs one. */
function anchor(raw: string, markers: RegExp, table: MarkTable, st: RenderState): Rendered {
  const textAnchors: Anchor[] = [];
  let removed = 0;
  const text = raw.replace(markers, (m: string, id: string, off: number) => {
    const p = table.positions[Number(id)]!;
    textAnchors.push({ off: off - removed, line: p.line, column: p.column, ph: false });
    removed += m.length;
    return '';
  });
  const anchors = (): Anchor[] => {
    const all = [...textAnchors];
    const ph = new RegExp(`${st.nonce}(\\d+)y`, 'g');
    for (let m = ph.exec(text); m; m = ph.exec(text)) {
      const v = st.values[Number(m[1])]!;
      all.push({ off: m.index, line: v.line, column: v.column, ph: true });
    }
    return all.sort((a, b) => a.off - b.off || Number(a.ph) - Number(b.ph));
  };
  return { text, nonce: st.nonce, values: st.values, anchors };
}

function asTemplateError(e: unknown): TemplateError {
  if (e instanceof TemplateError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  // Handlebars messages end with " - L:C" (0-based column) or say "on line N".
  const m = / - (\d+):(\d+)$/.exec(msg) ?? /line (\d+)/.exec(msg);
  const line = m ? Number(m[1]) : 1;
  const column = m && m[2] !== undefined ? Number(m[2]) + 1 : 1;
  return new TemplateError(msg.replace(/ - \d+:\d+$/, '').split('\n')[0] ?? msg, line, column);
}

/**
 * Go-template syntax that a Helm user writes by habit and Handlebars cannot parse: `.Values.x`,
 * `{{- ... -}}` trimming and `|` pipelines. The parse error alone names tokens; this names the fix.
 */
export function helmHint(lineText: string): string | undefined {
  const tags = lineText.match(/\{\{[^}]*\}\}/g) ?? [];
  const helm = tags.some((t) => /^\{\{-?\s*\.[A-Za-z]/.test(t) || /^\{\{-|-\}\}$/.test(t) || /\s\|\s/.test(t));
  return helm
    ? 'gitopsc templates are Handlebars, not Go templates: write {{service.name}} for {{ .Release.Name }}, {{spec.replicas}} for {{ .Values.replicas }}, a helper call {{trunc spec.name 63}} for a pipeline, `resources: {{spec.resources}}` for toYaml | nindent, and no {{- -}} trimming (see "From Helm" in the README)'
    : undefined;
}
