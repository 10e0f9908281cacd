/**
 * One isolated Handlebars environment in which YAML/JSON injection is impossible by construction:
 * every `{{expr}}` in a template is rewritten (on the AST) to `{{q expr loc="L:C"}}`, and `q`
 * emits a JSON-quoted scalar (a valid YAML double-quoted scalar too). Raw `{{{ }}}` is refused.
 * Only our own structural helpers (`yaml`, `json`) may emit unquoted text, through `Raw`.
 */
import type HandlebarsNs from 'handlebars';
import { lazy } from '../lazy.js';

const handlebars = lazy<typeof HandlebarsNs>('handlebars');
import { emitJsonValue, emitYamlAfterKey, yamlString } from './emit.js';

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

/** Text a structural helper produced; `q` passes it through. Only this module creates it. */
class Raw {
  constructor(readonly text: string) {}
}

type HbNode = { type?: string; loc?: { start: { line: number; column: number } }; [k: string]: unknown };

const BUILTIN_BLOCKS = new Set(['if', 'unless', 'each', 'with']);
const OUR_HELPERS = ['q', 'yaml', 'json', 'default', 'eq', 'ne', 'and', 'or', 'not', 'lower', 'upper', 'join', 'concat'];
const HELPERS = new Set([...OUR_HELPERS, ...BUILTIN_BLOCKS]);

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
      if (!HELPERS.has(name)) fail(`unknown helper "${name}" (available: ${[...HELPERS].filter((h) => h !== 'q').join(', ')})`, loc(n));
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

export type CompiledTemplate = (context: object) => string;

export interface TemplateEngine {
  /** Throws TemplateError (a user error in a template file; the caller makes it a diagnostic). */
  compile(source: string, kind: 'yaml' | 'json'): CompiledTemplate;
}

export function createTemplateEngine(): TemplateEngine {
  const hb = handlebars().create();
  hb.registerHelper('q', (v: unknown, opts: { hash: { loc?: string; kind?: string } }) => quoteScalar(v, opts.hash.loc, opts.hash.kind));
  const deny = (name: string) => () => fail(`helper "${name}" is not available`, undefined);
  hb.registerHelper('helperMissing', function (...args: unknown[]) {
    const opts = args[args.length - 1] as { name?: string; loc?: { start: { line: number; column: number } } };
    fail(`missing helper "${opts.name ?? '?'}"`, opts.loc ? `${opts.loc.start.line}:${opts.loc.start.column + 1}` : undefined);
  });
  hb.registerHelper('log', deny('log'));
  hb.registerHelper('lookup', deny('lookup'));
  // Structural helpers: indentation-aware block YAML, or compact JSON, from a value.
  // {{yaml x indent=N}} right after `key:`: a scalar on the same line, or a canonical block at column N.
  hb.registerHelper('yaml', (v: unknown, opts: { hash: { indent?: number } }) => {
    if (v === undefined) fail('{{yaml}} of an undefined value', undefined);
    return new Raw(emitYamlAfterKey(v, Number(opts.hash.indent ?? 2)));
  });
  hb.registerHelper('json', (v: unknown) => {
    if (v === undefined) fail('{{json}} of an undefined value', undefined);
    return new Raw(emitJsonValue(v));
  });
  hb.registerHelper('default', (v: unknown, d: unknown) => (v === undefined || v === null || v === '' ? d : v));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('ne', (a: unknown, b: unknown) => a !== b);
  hb.registerHelper('and', (...a: unknown[]) => a.slice(0, -1).every(Boolean));
  hb.registerHelper('or', (...a: unknown[]) => a.slice(0, -1).some(Boolean));
  hb.registerHelper('not', (a: unknown) => !a);
  // Every {{ }} is one whole scalar, so strings are built with a helper, not by adjacency.
  hb.registerHelper('concat', (...a: unknown[]) => {
    const parts = a.slice(0, -1);
    if (parts.some((p) => p === undefined || p === null || typeof p === 'object')) fail('{{concat}} takes strings and numbers only', undefined);
    return parts.map(String).join('');
  });
  hb.registerHelper('lower', (a: unknown) => String(a).toLowerCase());
  hb.registerHelper('upper', (a: unknown) => String(a).toUpperCase());
  hb.registerHelper('join', (a: unknown, sep: unknown) => (Array.isArray(a) ? a.join(typeof sep === 'string' ? sep : ',') : ''));
  const knownHelpers: Record<string, boolean> = {};
  for (const h of OUR_HELPERS) knownHelpers[h] = true;
  for (const h of BUILTIN_BLOCKS) knownHelpers[h] = true;

  return {
    compile(source, kind) {
      let ast: HbNode;
      try {
        ast = hb.parse(source) as unknown as HbNode;
      } catch (e) {
        const msg = (e as Error).message;
        const m = /line (\d+)/.exec(msg);
        // "Parse error on line 2:" + the source excerpt + "Expecting ..., got 'EOF'": keep the first and last lines
        const lines = msg.split('\n').filter((l) => l.trim() !== '');
        const text = lines.length > 1 ? `${lines[0]} ${lines[lines.length - 1]}` : msg;
        throw new TemplateError(text, m ? Number(m[1]) : 1, 1);
      }
      rewrite(ast, kind);
      let fn: HandlebarsTemplateDelegate;
      try {
        fn = hb.compile(ast as unknown as hbs.AST.Program, {
          strict: true,
          noEscape: true,
          knownHelpers,
          knownHelpersOnly: true,
          preventIndent: true,
        });
      } catch (e) {
        throw asTemplateError(e);
      }
      return (context) => {
        try {
          return fn(context, { allowProtoMethodsByDefault: false, allowProtoPropertiesByDefault: false });
        } catch (e) {
          throw asTemplateError(e);
        }
      };
    },
  };
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
