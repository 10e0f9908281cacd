/**
 * ajv errors -> located SCHEMA diagnostics: one diagnostic per problem, at the YAML node the user
 * has to change, with a short human message and a hint where one helps. Pure.
 */
import type { ErrorObject } from 'ajv';
import { error, type Diagnostic } from '../core/diagnostics.js';
import type { ReasonFor } from '../core/reasons.js';
import { pathToString, pointerToPath } from '../load/pointer.js';
import type { JsonPath, LoadedDoc } from '../load/types.js';
import { redactUrlsInText, redactUrlValue } from '../core/redact.js';
import { didYouMean } from './did-you-mean.js';

type SchemaNode = {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, unknown>;
  errorMessage?: string;
  patternErrorMessage?: string;
};

export function ajvErrorsToDiagnostics(errors: readonly ErrorObject[], doc: LoadedDoc): Diagnostic[] {
  const kept = pruneCombinatorNoise(errors);
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of kept) {
    const d = toDiagnostic(e, doc);
    const k = `${d.line}:${d.column}:${d.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(d);
  }
  return out;
}

/**
 * oneOf/anyOf: with an `errorMessage` on the schema, or when every branch only failed `required`
 * at the same place, keep the combinator error alone; otherwise keep the branch that got furthest
 * (a branch that failed on a `type`/`kind` discriminator is dropped first). `propertyNames`: keep
 * the inner error, which names the property.
 */
function pruneCombinatorNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const drop = new Set<ErrorObject>();
  for (const e of errors) {
    // `if`/`then`: the failing branch's own errors say what is wrong; "must match then" adds nothing
    if (e.keyword === 'if' && errors.some((x) => x !== e && x.keyword !== 'if' && (x.instancePath === e.instancePath || x.instancePath.startsWith(`${e.instancePath}/`)))) drop.add(e);
    if (e.keyword === 'propertyNames' && errors.some((x) => x !== e && x.schemaPath.startsWith(e.schemaPath + '/'))) drop.add(e);
    if (e.keyword !== 'oneOf' && e.keyword !== 'anyOf') continue;
    const prefix = `${e.schemaPath}/`;
    const branchErrors = errors.filter((x) => x.schemaPath.startsWith(prefix) && x.instancePath.startsWith(e.instancePath));
    const parent = (e.parentSchema ?? {}) as SchemaNode;
    const onlyRequiredHere = branchErrors.every((x) => x.keyword === 'required' && x.instancePath === e.instancePath);
    if (parent.errorMessage || onlyRequiredHere) {
      for (const x of branchErrors) drop.add(x);
      continue;
    }
    drop.add(e);
    const byBranch = new Map<string, ErrorObject[]>();
    for (const x of branchErrors) {
      const branch = x.schemaPath.slice(prefix.length).split('/')[0] ?? '';
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), x]);
    }
    const discriminatorMiss = (xs: ErrorObject[]): boolean =>
      xs.some((x) => (x.keyword === 'const' || x.keyword === 'enum') && /\/(type|kind)$/.test(x.instancePath));
    const ranked = [...byBranch.values()].sort(
      (a, b) =>
        Number(discriminatorMiss(a)) - Number(discriminatorMiss(b)) ||
        depth(b) - depth(a) ||
        a.length - b.length,
    );
    for (const xs of ranked.slice(1)) for (const x of xs) drop.add(x);
  }
  return errors.filter((e) => !drop.has(e));
}

function depth(xs: ErrorObject[]): number {
  return Math.max(...xs.map((x) => x.instancePath.split('/').length));
}

function toDiagnostic(e: ErrorObject, doc: LoadedDoc): Diagnostic {
  const path: string[] = pointerToPath(e.instancePath);
  const p = redactUrlsInText(pathToString(path));
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  const params = e.params as Record<string, unknown>;
  const rawName = (e as { propertyName?: unknown }).propertyName ?? params.propertyName;
  const propertyName = typeof rawName === 'string' ? rawName : undefined;
  const at = (where: JsonPath, target: 'key' | 'value', message: string, hint?: string): Diagnostic =>
    error('SCHEMA', message, { file: doc.file, ...doc.position(where, target), reason: propertyName !== undefined && e.keyword !== 'propertyNames' ? 'invalid-name' : ajvReason(e.keyword), ...(hint ? { hint } : {}) });
  const got = gotText(e.data);

  // errors about a property name (propertyNames): point at the key
  if (propertyName !== undefined && e.keyword !== 'propertyNames') {
    const detail = e.keyword === 'pattern' && parent.patternErrorMessage ? parent.patternErrorMessage : (e.message ?? 'is invalid');
    return at([...path, propertyName], 'key', `invalid name \`${redactUrlValue(propertyName)}\` in ${p}: ${detail}`);
  }

  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const guess = didYouMean(key, Object.keys(parent.properties ?? {}));
      return at([...path, key], 'key', `unknown property \`${redactUrlValue(key)}\` in ${p}`, guess ? `did you mean \`${guess}\`?` : undefined);
    }
    case 'required': {
      const missing = String(params.missingProperty);
      return at(path, 'key', path.length === 0 ? `missing required property \`${missing}\`` : `${p} is missing required property \`${missing}\``);
    }
    case 'type': {
      if (parent.errorMessage) return at(path, 'value', `${p}: ${parent.errorMessage}`);
      const want = String(params.type).split(',');
      return at(path, 'value', `${p} must be ${describeType(want, parent)}${got}`, quoteHint(want, e.data, path, doc));
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const want = Array.isArray(parent.type) ? parent.type : [parent.type ?? 'number'];
      return at(path, 'value', `${p} must be ${describeType(want.filter((t) => t === 'integer' || t === 'number'), parent)}${got}`);
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const guess = typeof e.data === 'string' ? didYouMean(e.data, allowed) : undefined;
      if (allowed.length > 8) {
        return at(path, 'value', `${p} must be one of the supported values${got}`, guess ? `did you mean \`${guess}\`?` : `supported: ${allowed.join(', ')}`);
      }
      return at(path, 'value', `${p} must be one of ${allowed.join(', ')}${got}`, guess ? `did you mean \`${guess}\`?` : undefined);
    }
    case 'const':
      return at(path, 'value', `${p} must be \`${String(params.allowedValue)}\`${got}`);
    case 'pattern':
      return at(path, 'value', `${p} ${parent.patternErrorMessage ?? `must match ${String(params.pattern)}`}${got}`);
    case 'minLength':
    case 'maxLength': {
      const n = Number(params.limit);
      const len = typeof e.data === 'string' ? ` (got ${[...e.data].length})` : '';
      return at(path, 'value', e.keyword === 'maxLength' ? `${p} must be at most ${n} characters${len}` : n === 1 ? `${p} must not be empty` : `${p} must be at least ${n} characters${len}`);
    }
    case 'minItems':
    case 'maxItems': {
      const n = Number(params.limit);
      const s = n === 1 ? 'item' : 'items';
      return at(path, 'value', e.keyword === 'maxItems' ? `${p} must have at most ${n} ${s}` : `${p} must have at least ${n} ${s}`);
    }
    case 'format':
      return at(path, 'value', `${p} must be a valid ${String(params.format)}${got}`);
    case 'dependencies':
      return at(path, 'key', `${p}: \`${String(params.property)}\` also needs \`${String(params.missingProperty)}\``);
    case 'discriminator': {
      const tag = String(params.tag ?? 'type');
      const values = discriminatorValues(parent);
      const value = (e.data as Record<string, unknown> | null)?.[tag];
      const guess = typeof value === 'string' ? didYouMean(value, values) : undefined;
      return at([...path, tag], params.error === 'tag' ? 'key' : 'value', `${pathToString([...path, tag])} must be one of ${values.join(', ')}`, guess ? `did you mean \`${guess}\`?` : undefined);
    }
    case 'oneOf':
    case 'anyOf':
    case 'not':
      return at(path, 'key', `${p} ${parent.errorMessage ?? e.message ?? 'is invalid'}`);
    default:
      return at(path, 'value', `${p} ${e.message ?? 'is invalid'}`);
  }
}

/** The rule an ajv keyword checks, as a SCHEMA reason. */
function ajvReason(keyword: string): ReasonFor<'SCHEMA'> {
  switch (keyword) {
    case 'additionalProperties':
      return 'unknown-property';
    case 'required':
      return 'required';
    case 'type':
      return 'wrong-type';
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return 'out-of-range';
    case 'enum':
    case 'const':
    case 'discriminator':
      return 'not-allowed-value';
    case 'pattern':
      return 'pattern';
    case 'minLength':
    case 'maxLength':
      return 'length';
    case 'minItems':
    case 'maxItems':
      return 'item-count';
    case 'format':
      return 'format';
    case 'dependencies':
      return 'needs-property';
    case 'oneOf':
    case 'anyOf':
    case 'not':
      return 'no-variant-matches';
    default:
      return 'invalid';
  }
}

function discriminatorValues(parent: unknown): string[] {
  const tag = ((parent as { discriminator?: { propertyName?: string } }).discriminator?.propertyName) ?? 'type';
  const branches = ((parent as { oneOf?: unknown[] }).oneOf ?? []) as { properties?: Record<string, { const?: string }> }[];
  const values = branches.map((b) => b.properties?.[tag]?.const).filter((v): v is string => typeof v === 'string');
  return values.length > 0 ? values : ['oci', 'static', 'har'];
}

function gotText(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return ' (got null)';
  // credentials in a URL are hidden before the value is shortened or quoted
  const data = typeof value === 'string' ? redactUrlValue(value) : value;
  if (typeof data === 'string') return data.length > 60 ? ` (got "${data.slice(0, 57)}...")` : ` (got ${JSON.stringify(data)})`;
  if (typeof data === 'number' || typeof data === 'boolean') return ` (got ${String(data)})`;
  return Array.isArray(data) ? ' (got a list)' : ' (got a mapping)';
}

function describeType(types: string[], s: SchemaNode): string {
  const range = (): string => {
    const lo = s.minimum;
    const hi = s.maximum;
    if (lo !== undefined && hi !== undefined) return ` between ${lo} and ${hi}`;
    if (lo !== undefined) return ` >= ${lo}`;
    if (hi !== undefined) return ` <= ${hi}`;
    if (s.exclusiveMinimum !== undefined) return ` > ${s.exclusiveMinimum}`;
    if (s.exclusiveMaximum !== undefined) return ` < ${s.exclusiveMaximum}`;
    return '';
  };
  const one = (t: string): string => {
    switch (t) {
      case 'integer':
        return `an integer${range()}`;
      case 'number':
        return `a number${range()}`;
      case 'string':
        return 'a string';
      case 'boolean':
        return 'true or false';
      case 'object':
        return 'a mapping';
      case 'array':
        return 'a list';
      case 'null':
        return 'null';
      default:
        return t;
    }
  };
  return types.map(one).join(' or ');
}

/** "quote it" for a number or boolean where a string is required, showing what the user typed. */
function quoteHint(want: string[], data: unknown, path: JsonPath, doc: LoadedDoc): string | undefined {
  if (!want.includes('string') || (typeof data !== 'number' && typeof data !== 'boolean')) return undefined;
  const typed = doc.scalarSource?.(path) ?? String(data);
  const key = path.at(-1);
  const example = typeof key === 'string' && !/^\d+$/.test(key) ? `${key}: "${typed}"` : `"${typed}"`;
  const why = typeof data === 'number' && typed !== String(data) ? ` (YAML reads ${typed} as the number ${String(data)})` : '';
  return `quote it: \`${example}\`${why}`;
}
