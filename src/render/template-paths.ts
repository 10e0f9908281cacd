/**
 * Static check of the paths a template reads, against the context shape of its target
 * (shape.ts): `{{servce.name}}`, `{{#if spec.ingres}}` and `{{#each spec.port}}` fail `validate`,
 * not only `render` (where a misspelt condition would silently render nothing). Scopes follow
 * the blocks: `#each` and `#with` change what `this` is, `../` goes back out, `as |x|` names one.
 */
import type HandlebarsNs from 'handlebars';
import { lazy } from '../core/lazy.js';
import { didYouMean } from '../validate/did-you-mean.js';
import type { Shape } from './shape.js';

const handlebars = lazy<typeof HandlebarsNs>('handlebars');

export interface PathProblem {
  message: string;
  hint?: string;
  line: number;
  column: number;
}

type Node = { type?: string; loc?: { start: { line: number; column: number } }; [k: string]: unknown };

interface Scope {
  shape: Shape;
  params: Map<string, Shape>;
}

const ANY: Shape = { t: 'any' };
const LEAF: Shape = { t: 'leaf' };

/** What `#each` over a value of this shape binds `this` to. */
function element(s: Shape): Shape {
  if (s.t === 'list') return s.items;
  if (s.t === 'obj') {
    const all = Object.values(s.props);
    if (s.extra) all.push(s.extra);
    return all.length === 1 ? all[0]! : ANY;
  }
  return ANY;
}

function describe(s: Shape): string {
  return s.t === 'leaf' ? 'a single value' : s.t === 'list' ? 'a list' : 'a mapping';
}

/** The shape at the end of `parts` from `start`, or the problem with the first part that is not there. */
function follow(start: Shape, parts: string[], prefix: string[]): { shape: Shape } | { problem: string; hint?: string } {
  let cur = start;
  for (let i = 0; i < parts.length; i++) {
    const seg = parts[i]!;
    const here = [...prefix, ...parts.slice(0, i)].join('.');
    if (cur.t === 'any') return { shape: ANY };
    if (cur.t === 'leaf') {
      if (seg === 'length') return { shape: LEAF };
      return { problem: `"${seg}" cannot be read from ${here || 'the value'}: it is ${describe(cur)}` };
    }
    if (cur.t === 'list') {
      if (seg === 'length') {
        cur = LEAF;
        continue;
      }
      if (/^\d+$/.test(seg)) {
        cur = cur.items;
        continue;
      }
      return { problem: `"${seg}" cannot be read from ${here}: it is a list (use {{#each ${here}}} or ${here}.[0])` };
    }
    const next = Object.prototype.hasOwnProperty.call(cur.props, seg) ? cur.props[seg] : cur.extra;
    if (!next) {
      const keys = Object.keys(cur.props);
      const dym = didYouMean(seg, keys);
      const where = here ? `"${here}"` : 'the template context';
      return {
        problem: `"${seg}" is not in ${where}${dym ? ` (did you mean "${dym}"?)` : ''}`,
        hint: `${where} has ${keys.map((k) => `"${k}"`).join(', ')}`,
      };
    }
    cur = next;
  }
  return { shape: cur };
}

export function checkTemplatePaths(source: string, root: Shape): PathProblem[] {
  let ast: Node;
  try {
    ast = handlebars().parse(source) as unknown as Node;
  } catch {
    return []; // the engine reports parse errors
  }
  const problems: PathProblem[] = [];
  const seen = new Set<string>();
  const stack: Scope[] = [{ shape: root, params: new Map() }];
  // problems are reported at the interpolation or block that reads the path (its `{{`)
  let current: { line: number; column: number } | undefined;

  const resolve = (p: Node): Shape => {
    const parts = ((p.parts as string[] | undefined) ?? []).map(String);
    const original = String(p.original ?? '');
    const at = current ?? p.loc?.start ?? { line: 1, column: 0 };
    const report = (r: { problem: string; hint?: string }) => {
      const key = `${at.line}:${at.column}:${original}`;
      if (seen.has(key)) return;
      seen.add(key);
      problems.push({ message: `{{${original}}}: ${r.problem}`, ...(r.hint ? { hint: r.hint } : {}), line: at.line, column: at.column + 1 });
    };
    if (p.data) {
      if (parts[0] !== 'root') return LEAF;
      const r = follow(root, parts.slice(1), []);
      if ('problem' in r) {
        report(r);
        return ANY;
      }
      return r.shape;
    }
    const depth = Number(p.depth ?? 0);
    const scope = stack[Math.max(0, stack.length - 1 - depth)]!;
    if (parts.length === 0) return scope.shape;
    const scoped = /^(\.\/|this[./])/.test(original);
    if (!scoped && depth === 0) {
      for (let i = stack.length - 1; i >= 0; i--) {
        const bp = stack[i]!.params.get(parts[0]!);
        if (bp) {
          const r = follow(bp, parts.slice(1), [parts[0]!]);
          if ('problem' in r) {
            report(r);
            return ANY;
          }
          return r.shape;
        }
      }
    }
    const r = follow(scope.shape, parts, scope.shape === root ? [] : ['this']);
    if ('problem' in r) {
      report(r);
      return ANY;
    }
    return r.shape;
  };

  const expr = (n: unknown): Shape => {
    const x = n as Node | undefined;
    if (!x || typeof x !== 'object') return ANY;
    if (x.type === 'PathExpression') return resolve(x);
    if (x.type === 'SubExpression') {
      args(x);
      return ANY;
    }
    return LEAF;
  };
  const args = (x: Node): Shape[] => {
    const shapes = ((x.params as Node[] | undefined) ?? []).map(expr);
    for (const hp of ((x.hash as { pairs?: Node[] } | undefined)?.pairs ?? [])) expr(hp.value);
    return shapes;
  };

  const visit = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      n.forEach(visit);
      return;
    }
    const x = n as Node;
    if (x.type === 'Program') {
      visit(x.body);
      return;
    }
    if (x.type === 'MustacheStatement' || x.type === 'BlockStatement') current = x.loc?.start;
    if (x.type === 'MustacheStatement') {
      const hasArgs = ((x.params as unknown[]) ?? []).length > 0 || Boolean(x.hash);
      if (hasArgs) args(x);
      else expr(x.path);
      return;
    }
    if (x.type === 'BlockStatement') {
      const name = String((x.path as Node).original ?? '');
      const [first] = args(x);
      const program = x.program as Node | undefined;
      const blockParams = ((program?.blockParams as string[] | undefined) ?? []).map(String);
      if (name === 'each' || name === 'with') {
        const inner = name === 'each' ? element(first ?? ANY) : (first ?? ANY);
        const params = new Map<string, Shape>();
        if (blockParams[0]) params.set(blockParams[0], inner);
        if (blockParams[1]) params.set(blockParams[1], LEAF);
        stack.push({ shape: inner, params });
        visit(program);
        stack.pop();
      } else visit(program);
      visit(x.inverse);
    }
  };
  visit(ast);
  return problems;
}
