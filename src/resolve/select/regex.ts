/**
 * Tag regexes (ECMAScript, unanchored, Go's `(?P<name>` accepted) and `extract` templates with
 * Go `Regexp.Expand` semantics: `$1`, `$name`, `${name}`, `$$`; `$name` takes the longest run of
 * `[A-Za-z0-9_]`, so `$1x` names group `1x` -- which validateExtract reports as unknown.
 */

export type RegexResult = { ok: true; re: RegExp } | { ok: false; message: string };

/** Rewrites `(?P<name>` to `(?<name>` outside escapes and character classes. */
export function translateNamedGroups(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i] as string;
    if (ch === '\\') {
      out += src.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      continue;
    }
    if (ch === '(' && src.startsWith('?P<', i + 1)) {
      out += '(?<';
      i += 3;
      continue;
    }
    out += ch;
  }
  return out;
}

/** Compiles a user regex. Unicode mode when the pattern allows it, else legacy mode. */
export function validateRegex(src: string): RegexResult {
  if (typeof src !== 'string') return { ok: false, message: 'regex must be a string' };
  const translated = translateNamedGroups(src);
  try {
    return { ok: true, re: new RegExp(translated, 'u') };
  } catch {
    try {
      return { ok: true, re: new RegExp(translated) };
    } catch (e) {
      return { ok: false, message: `invalid regular expression /${src}/: ${(e as Error).message}` };
    }
  }
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
export function regexGroups(re: RegExp): { count: number; names: string[] } {
  const m = new RegExp(`${re.source}|`, re.flags.replace(/[gy]/g, '')).exec('');
  return { count: m ? m.length - 1 : 0, names: Object.keys(m?.groups ?? {}) };
}

/** Checks that every reference in an extract template names a group of the regex. */
export function validateExtract(template: string, re: RegExp): { ok: true; parts: TemplatePart[] } | { ok: false; message: string } {
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
export function expandTemplate(parts: readonly TemplatePart[], m: RegExpExecArray): string {
  let out = '';
  for (const p of parts) {
    if ('lit' in p) out += p.lit;
    else if (/^\d+$/.test(p.ref)) out += m[Number(p.ref)] ?? '';
    else out += m.groups?.[p.ref] ?? '';
  }
  return out;
}
