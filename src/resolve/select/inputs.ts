/**
 * Runtime inputs, as in Harness: a `tag` or `range` of `<+input>` is given on the command line
 * (`--input checkout.tag=1.4.3` for one service, `--input tag=1.4.3` for all; the qualified one
 * wins). `<+input>.default(1.4.2)` and `<+input>.allowedValues(1.4.2,1.4.3)` chain in any order.
 */
import type { SelectSpec } from '../../core/model.js';
import type { ReasonFor } from '../../core/reasons.js';

export interface RuntimeInputExpr {
  default?: string;
  allowedValues?: string[];
}

export const RUNTIME_INPUT_FIELDS = ['tag', 'range'] as const;
export type RuntimeInputField = (typeof RUNTIME_INPUT_FIELDS)[number];

const MARKER = '<+input>';

export function isRuntimeInput(value: unknown): value is string {
  return typeof value === 'string' && value.trim().startsWith(MARKER);
}

/** Parses `<+input>[.default(v)][.allowedValues(a,b,...)]`. */
export function parseRuntimeInput(text: string): { ok: true; expr: RuntimeInputExpr } | { ok: false; message: string } {
  const s = text.trim();
  if (!s.startsWith(MARKER)) return { ok: false, message: `"${text}" is not a runtime input` };
  const expr: RuntimeInputExpr = {};
  let pos = MARKER.length;
  while (pos < s.length) {
    const m = /^\.([A-Za-z]+)\(/.exec(s.slice(pos));
    if (!m) return { ok: false, message: `malformed runtime input "${text}" at "${s.slice(pos)}"` };
    const method = m[1] as string;
    let depth = 1;
    let i = pos + m[0].length;
    const start = i;
    for (; i < s.length && depth > 0; i++) {
      if (s[i] === '(') depth++;
      else if (s[i] === ')') depth--;
    }
    if (depth !== 0) return { ok: false, message: `malformed runtime input "${text}": unbalanced parentheses` };
    const arg = s.slice(start, i - 1).trim();
    pos = i;
    if (method === 'default') {
      if (expr.default !== undefined) return { ok: false, message: `runtime input "${text}" has two defaults` };
      if (arg === '') return { ok: false, message: `runtime input "${text}" has an empty default` };
      expr.default = arg;
    } else if (method === 'allowedValues') {
      if (expr.allowedValues) return { ok: false, message: `runtime input "${text}" has two allowedValues lists` };
      const values = arg.split(',').map((v) => v.trim());
      if (values.some((v) => v === '')) return { ok: false, message: `runtime input "${text}" has an empty allowed value` };
      expr.allowedValues = values;
    } else {
      return { ok: false, message: `runtime input "${text}": unsupported .${method}() (use .default() or .allowedValues())` };
    }
  }
  if (expr.default !== undefined && expr.allowedValues && !expr.allowedValues.includes(expr.default)) {
    return { ok: false, message: `runtime input "${text}": default ${expr.default} is not one of the allowed values (${expr.allowedValues.join(', ')})` };
  }
  return { ok: true, expr };
}

export type RuntimeInputResult =
  | { ok: true; select: SelectSpec; applied: Partial<Record<RuntimeInputField, { value: string; from: 'input' | 'default'; key?: string }>> }
  | { ok: false; code: 'RUNTIME_INPUT_REQUIRED'; reason: ReasonFor<'RUNTIME_INPUT_REQUIRED'>; message: string; field: RuntimeInputField };

/** Replaces `<+input>` values of `tag` and `range` with the given inputs or the defaults. */
export function applyRuntimeInputs(select: SelectSpec, service: string, inputs: Readonly<Record<string, string>>): RuntimeInputResult {
  const out: SelectSpec = { ...select };
  const applied: Partial<Record<RuntimeInputField, { value: string; from: 'input' | 'default'; key?: string }>> = {};
  for (const field of RUNTIME_INPUT_FIELDS) {
    const raw = select[field];
    if (!isRuntimeInput(raw)) continue;
    const parsed = parseRuntimeInput(raw);
    if (!parsed.ok) return { ok: false, code: 'RUNTIME_INPUT_REQUIRED', reason: 'invalid-expression', field, message: `${field} of ${service}: ${parsed.message}` };
    const qualified = `${service}.${field}`;
    const given = nonEmpty(inputs[qualified]) ? { key: qualified, value: inputs[qualified] as string } : nonEmpty(inputs[field]) ? { key: field, value: inputs[field] as string } : undefined;
    const { default: dflt, allowedValues } = parsed.expr;
    if (!given && dflt === undefined) {
      const allowed = allowedValues ? ` (allowed: ${allowedValues.join(', ')})` : '';
      return {
        ok: false,
        code: 'RUNTIME_INPUT_REQUIRED',
        reason: 'missing',
        field,
        message: `${field} of ${service} is a runtime input: pass --input ${qualified}=VALUE or --input ${field}=VALUE${allowed}`,
      };
    }
    const value = given ? given.value : (dflt as string);
    if (allowedValues && !allowedValues.includes(value)) {
      return {
        ok: false,
        code: 'RUNTIME_INPUT_REQUIRED',
        reason: 'not-allowed-value',
        field,
        message: `${field} "${value}" for ${service} (from --input ${given?.key ?? field}) is not an allowed value; allowed: ${allowedValues.join(', ')}`,
      };
    }
    out[field] = value;
    applied[field] = given ? { value, from: 'input', key: given.key } : { value, from: 'default' };
  }
  return { ok: true, select: out, applied };
}

function nonEmpty(v: string | undefined): v is string {
  return typeof v === 'string' && v !== '';
}

export interface InputFlagError {
  flag: string;
  message: string;
}

const KEY_RE = /^(?:([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.)?(tag|range)$/;

/** Parses `--input K=V` values: `[service.]tag=V` or `[service.]range=V`. Errors are data. */
export function parseInputFlags(flags: readonly string[]): { ok: boolean; inputs: Record<string, string>; errors: InputFlagError[] } {
  const inputs: Record<string, string> = {};
  const errors: InputFlagError[] = [];
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) {
      errors.push({ flag, message: `--input "${flag}" is not KEY=VALUE (e.g. checkout.tag=1.4.3 or tag=1.4.3)` });
      continue;
    }
    const key = flag.slice(0, eq).trim();
    const value = flag.slice(eq + 1);
    if (!KEY_RE.test(key)) {
      errors.push({ flag, message: `--input key "${key}" must be tag, range, SERVICE.tag or SERVICE.range` });
      continue;
    }
    if (value.trim() === '') {
      errors.push({ flag, message: `--input ${key} has an empty value` });
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(inputs, key) && inputs[key] !== value) {
      errors.push({ flag, message: `--input ${key} given twice with different values (${inputs[key] ?? ''}, ${value})` });
      continue;
    }
    inputs[key] = value;
  }
  return { ok: errors.length === 0, inputs, errors };
}

/** Where runtime inputs can be read: each service's `select` blocks (base and environment overrides). */
export interface InputReader {
  service: string;
  selects: readonly (SelectSpec | undefined)[];
}

/**
 * The `--input` keys that no service reads: a `SERVICE.` that names no service, or a field that
 * is not a runtime input (`<+input>`) in that service -- or, unqualified, in any service. Such
 * a value would be silently ignored; the CLI reports it as a usage error.
 */
export function unreadInputs(inputs: Readonly<Record<string, string>>, readers: readonly InputReader[]): InputFlagError[] {
  const errors: InputFlagError[] = [];
  const reads = (r: InputReader, field: RuntimeInputField) => r.selects.some((s) => s !== undefined && isRuntimeInput(s[field]));
  for (const key of Object.keys(inputs)) {
    const m = KEY_RE.exec(key);
    if (!m) continue;
    const [, service, field] = m as unknown as [string, string | undefined, RuntimeInputField];
    const flag = `${key}=${inputs[key] ?? ''}`;
    if (service !== undefined) {
      const r = readers.find((x) => x.service === service);
      if (!r) errors.push({ flag, message: `--input ${key}: no service is named ${service}` });
      else if (!reads(r, field)) errors.push({ flag, message: `--input ${key}: the ${field} of ${service} is not a runtime input (<+input>), so the value would be ignored` });
    } else if (!readers.some((r) => reads(r, field))) {
      errors.push({ flag, message: `--input ${key}: no service has a runtime input (<+input>) for ${field}, so the value would be ignored` });
    }
  }
  return errors;
}
