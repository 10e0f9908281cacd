/**
 * Canonical serialisation of rendered data: sorted keys, LF, trailing newline, and every string
 * that a YAML 1.1 or 1.2 reader could take for something else (`yes`, `no`, `on`, `1.10`,
 * `0755`, `2024-01-01`, `null`, `~`) double-quoted, with every character a reader refuses or
 * reads as a line break escaped, and keys over YAML's 1024-character implicit-key limit written
 * as explicit keys. Pure and byte-stable.
 */

const AMBIGUOUS_WORDS = new Set(
  ['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null'].flatMap((w) => [w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1)]),
);

/**
 * Characters that JSON leaves raw but YAML readers refuse or read differently: DEL and the C1
 * controls (libyaml, PyYAML and go-yaml refuse them), NEL, LS and PS (line breaks in YAML 1.1),
 * BOM, and the non-characters U+FFFE/U+FFFF. Escaped as `\uXXXX`, valid in YAML and in JSON.
 */
const YAML_UNSAFE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/** A UTF-16 surrogate without its partner: no UTF-8 file can hold it, and libyaml refuses its escape. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A plain YAML scalar only when no reader could misread it; otherwise double-quoted and escaped.
 * A lone surrogate becomes U+FFFD, as writing the string as UTF-8 would make it anyway.
 */
export function yamlString(s: string): string {
  if (/^[A-Za-z_/][A-Za-z0-9_./-]*$/.test(s) && !AMBIGUOUS_WORDS.has(s) && s.length <= 1024) return s;
  return JSON.stringify(s.replace(LONE_SURROGATE, '\ufffd')).replace(YAML_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * YAML limits an implicit key to 1024 characters (libyaml and go-yaml count from the key's start
 * to the `:`); longer keys are written as explicit `? key` entries. Counted in UTF-8 bytes, which
 * is never fewer than characters, so every reader's count stays within the limit.
 */
const MAX_IMPLICIT_KEY = 1024;

function isLongKey(token: string): boolean {
  return token.length > MAX_IMPLICIT_KEY / 3 && Buffer.byteLength(token, 'utf8') + 1 > MAX_IMPLICIT_KEY;
}

function yamlScalar(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return yamlString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'null';
    // `1e+21` is a string to YAML 1.1 readers (PyYAML), whose floats need a dot: `1.0e+21`
    const t = String(v);
    return t.includes('e') && !t.includes('.') ? t.replace('e', '.0e') : t;
  }
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  if (typeof v === 'object' && isEmpty(v as object)) return '{}';
  return undefined;
}

/** Whether an object has no own enumerable key (without making the array of its keys). */
function isEmpty(o: object): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return false;
  return true;
}

/**
 * Keys in UTF-16 code unit order. The default sort compares exactly so (keys are strings, and
 * distinct), natively: a third less time for emitting the 6,000 files of a 1,000-service render
 * than with a comparator function.
 */
function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  // most objects emitted were built in key order (the template context, views, canonical data
  // read back): a sort, which allocates its work arrays, only when one is out of order
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return keys.sort();
  return keys;
}

const PADS: string[] = [];
const padOf = (n: number): string => (PADS[n] ??= ' '.repeat(n));

/**
 * Emit a block at `indent` into `out`, one line per entry. `first` replaces the indentation of
 * the block's first line: a nested block in a sequence starts after its item's `- `.
 */
function emitBlock(v: unknown, indent: number, out: string[], first?: string): void {
  const pad = padOf(indent);
  let lead = first ?? pad;
  // (index loops: an iterator per loop costs in code that runs mostly unoptimised)
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const s = yamlScalar(item);
      if (s !== undefined) out.push(`${lead}- ${s}`);
      // A nested block: its first line goes after "- ", the rest indented by two more.
      else emitBlock(item, indent + 2, out, `${lead}- `);
      lead = pad;
    }
    return;
  }
  const o = v as Record<string, unknown>;
  const keys = sortedKeys(o);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const val = o[k];
    const s = yamlScalar(val);
    const key = yamlString(k);
    let head: string;
    if (isLongKey(key)) {
      // an explicit key: `? key`, then the value after `:` on the next line
      out.push(`${lead}? ${key}`);
      head = `${pad}:`;
    } else head = `${lead}${key}:`;
    lead = pad;
    if (s !== undefined) out.push(`${head} ${s}`);
    else {
      out.push(head);
      emitBlock(val, indent + 2, out);
    }
  }
}

/** One YAML document for a value, with a trailing newline. */
export function emitYaml(value: unknown): string {
  const s = yamlScalar(value);
  if (s !== undefined) return s + '\n';
  const out: string[] = [];
  emitBlock(value, 0, out);
  return out.join('\n') + '\n';
}

/**
 * A value as it follows `key:` in canonical YAML: ` scalar` on the same line, or a newline and
 * the block indented to `indent` columns. Used by the `{{yaml}}` template helper.
 */
export function emitYamlAfterKey(value: unknown, indent: number): string {
  const s = yamlScalar(value);
  if (s !== undefined) return ' ' + s;
  const out: string[] = [];
  emitBlock(value, indent, out);
  return '\n' + out.join('\n');
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    // defineProperty: a key named __proto__ is data, never the prototype
    for (const k of sortedKeys(v)) Object.defineProperty(o, k, { value: sortDeep((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    return o;
  }
  return v;
}

export function emitJsonValue(value: unknown): string {
  return JSON.stringify(sortDeep(value));
}

/** A pretty JSON document with sorted keys and a trailing newline. */
export function emitJson(value: unknown): string {
  return JSON.stringify(sortDeep(value), null, 2) + '\n';
}
