/**
 * Tag regexes with Go RE2 syntax and semantics (what Flux and Argo CD users write), unanchored,
 * evaluated in time linear in the tag's length by re2js (a pure JavaScript port of RE2): a
 * catastrophic pattern such as `^(a+)+$` cannot stall a run. Constructs RE2 refuses
 * (backreferences, lookaround, `\Z`, ...) are invalid. `(?P<name>` and `(?<name>` both name a group.
 * `extract` templates follow Go `Regexp.Expand`: `$1`, `$name`, `${name}`, `$$`; `$name` takes the
 * longest run of `[A-Za-z0-9_]`, so `$1x` names group `1x` -- which validateExtract reports as unknown.
 */
import type { RE2JS } from 're2js';
import { lazy } from '../../core/lazy.js';

// loaded on first use: a `render --check` answered by the project memo compiles no regex
const re2js = lazy<typeof import('re2js')>('re2js');

/** One match: index 0 is the whole match, then the groups (absent when a group did not take part). */
export interface RegexMatch {
  readonly [group: number]: string | null | undefined;
  readonly groups?: Readonly<Record<string, string | null | undefined>>;
}

/** A compiled user regex (RE2). */
export interface UserRegex {
  readonly source: string;
  /** whether the regex matches anywhere in `s` */
  test(s: string): boolean;
  exec(s: string): RegexMatch | null;
  /** how many capture groups, and the names of the named ones */
  readonly groups: { count: number; names: string[] };
}

export type RegexResult = { ok: true; re: UserRegex } | { ok: false; message: string };

/** Why RE2 refused a pattern, in the user's terms, when the parser's message alone is unclear. */
function unsupported(src: string): string | undefined {
  if (/\(\?<?[=!]/.test(src)) return 'lookahead and lookbehind are not supported (RE2 syntax, as Flux and Argo CD use)';
  if (/\\(?:[1-9]|k<)/.test(src)) return 'backreferences are not supported (RE2 syntax, as Flux and Argo CD use)';
  return undefined;
}

/**
 * Compiled regexes by source: compiling costs about 0.3 ms, and policies and selections compile
 * the same few patterns once per service and environment. Bounded; a compiled RE2 is stateless.
 */
const compiled = new Map<string, RegexResult>();
const MAX_CACHED = 1000;

/** Compiles a user regex with RE2 syntax. An invalid or unsupported pattern is a message, never an exception. */
export function validateRegex(src: string): RegexResult {
  if (typeof src !== 'string') return { ok: false, message: 'regex must be a string' };
  let r = compiled.get(src);
  if (!r) {
    if (compiled.size >= MAX_CACHED) compiled.clear();
    r = compile(src);
    compiled.set(src, r);
  }
  return r;
}

function compile(src: string): RegexResult {
  let re: RE2JS;
  try {
    re = re2js().RE2JS.compile(src);
  } catch (e) {
    const why = unsupported(src);
    const detail = (e as Error).message.replace(/^error parsing regexp: /, '');
    return { ok: false, message: `invalid regular expression /${src}/: ${why ? `${why}; ` : ''}${detail}` };
  }
  const named = re.namedGroups();
  const groups = Object.freeze({ count: re.groupCount(), names: Object.freeze(Object.keys(named).sort((a, b) => (named[a] ?? 0) - (named[b] ?? 0))) as string[] });
  return {
    ok: true,
    re: Object.freeze({
      source: src,
      groups,
      test: (s: string) => re.test(s),
      exec: (s: string) => re.exec(s) as RegexMatch | null,
    }),
  };
}

export type TemplatePart = { lit: string } | { ref: string };

const NAME = /^[A-Za-z0-9_]+/;

/** Parses an extract template (Go `Regexp.Expand` syntax). */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let lit = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i] as string;
    if (ch !== '$') {
      lit += ch;
      i++;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      lit += '$';
      i += 2;
      continue;
    }
    let name: string | undefined;
    let len = 0;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (close >= 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        len = close - i + 1;
      }
    } else {
      const m = NAME.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        len = 1 + m[0].length;
      }
    }
    if (name === undefined) {
      lit += '$';
      i++;
      continue;
    }
    if (lit) parts.push({ lit });
    lit = '';
    parts.push({ ref: name });
    i += len;
  }
  if (lit) parts.push({ lit });
  return parts;
}

/** The capture groups of a regex: how many, and their names. */
export function regexGroups(re: UserRegex): { count: number; names: string[] } {
  return re.groups;
}

/** Checks that every reference in an extract template names a group of the regex. */
export function validateExtract(template: string, re: UserRegex): { ok: true; parts: TemplatePart[] } | { ok: false; message: string } {
  const parts = parseTemplate(template);
  const { count, names } = regexGroups(re);
  const refs = parts.filter((p): p is { ref: string } => 'ref' in p);
  if (refs.length === 0) return { ok: false, message: `extract "${template}" references no group of the regex (use $1, $name or \${name})` };
  for (const { ref } of refs) {
    const known = /^\d+$/.test(ref) ? Number(ref) <= count : names.includes(ref);
    if (!known) {
      const hint = /^\d+\w/.test(ref) ? ` (write \${${/^\d+/.exec(ref)?.[0] ?? ''}}${ref.replace(/^\d+/, '')} for the group followed by text)` : '';
      return { ok: false, message: `extract "${template}" references group "${ref}", which the regex does not have${hint}` };
    }
  }
  return { ok: true, parts };
}

/** Builds the sort key from a match. A group that did not participate is empty. */
export function expandTemplate(parts: readonly TemplatePart[], m: RegexMatch): string {
  let out = '';
  for (const p of parts) {
    if ('lit' in p) out += p.lit;
    else if (/^\d+$/.test(p.ref)) out += m[Number(p.ref)] ?? '';
    else out += m.groups?.[p.ref] ?? '';
  }
  return out;
}
