/**
 * Rendered resources checked against the Kubernetes API schema of one version, offline and
 * strict like `kubeconform -strict`: unknown fields, wrong types and missing required fields are
 * problems. The schema (schemas/kubernetes/v<version>.json) is derived from the official
 * client that the Kubernetes project generates from that version's OpenAPI spec
 * (scripts/kubernetes-schema.mjs); it is read lazily, once per version. Pure otherwise.
 */
import { packageFileExists, readPackageText } from '../../host/package.js';

export interface ApiSchema {
  version: string;
  source: string;
  /** `apps/v1/Deployment` -> model name */
  kinds: Record<string, string>;
  /** model -> field -> [type, format, required] */
  types: Record<string, Record<string, [string, string, number]>>;
}

export interface Problem {
  /** JSON path inside the resource */
  path: (string | number)[];
  message: string;
}

const cache = new Map<string, ApiSchema | undefined>();

/** The shipped API schema of a Kubernetes version, relative to the package root. */
export function schemaFile(version: string): string {
  return `schemas/kubernetes/v${version}.json`;
}

export function supportedVersions(): string[] {
  return ['1.32'].filter((v) => packageFileExists(schemaFile(v)));
}

export function apiSchema(version: string): ApiSchema | undefined {
  if (!cache.has(version)) {
    const f = schemaFile(version);
    cache.set(version, /^\d+\.\d+$/.test(version) && packageFileExists(f) ? (JSON.parse(readPackageText(f)) as ApiSchema) : undefined);
  }
  return cache.get(version);
}

/** Fields whose values are resource.Quantity (the generated client types them as strings; the API also takes numbers). */
const QUANTITY_MAPS = new Set(['limits', 'requests', 'hard', 'capacity', 'allocatable', 'default', 'defaultRequest', 'max', 'min', 'maxLimitRequestRatio', 'podFixed', 'allocatedResources']);
const QUANTITY_FIELDS = new Set(['sizeLimit', 'divisor', 'storage']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isObj(v)) return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** A type expression of the generated client, parsed once per schema. */
type TypeNode =
  | { k: 'array' | 'map'; of: string }
  | { k: 'string' | 'number' | 'boolean' | 'intOrString' | 'any' | 'none' }
  | { k: 'model'; fields: Record<string, [string, string, number]>; names: string[]; required: string[] };

const parsedTypes = new WeakMap<ApiSchema, Map<string, TypeNode>>();

function typeNode(schema: ApiSchema, type: string): TypeNode {
  let nodes = parsedTypes.get(schema);
  if (!nodes) parsedTypes.set(schema, (nodes = new Map()));
  let n = nodes.get(type);
  if (n) return n;
  const arr = /^Array<(.+)>$/.exec(type);
  const map = arr ? null : /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (arr) n = { k: 'array', of: arr[1]! };
  else if (map) n = { k: 'map', of: map[1]! };
  else {
    switch (type) {
      case 'string':
      case 'Date':
      case 'V1MicroTime':
        n = { k: 'string' };
        break;
      case 'number':
        n = { k: 'number' };
        break;
      case 'boolean':
        n = { k: 'boolean' };
        break;
      case 'IntOrString':
        n = { k: 'intOrString' };
        break;
      case 'any':
      case 'object':
        n = { k: 'any' };
        break;
      default: {
        const fields = schema.types[type];
        n = fields ? { k: 'model', fields, names: Object.keys(fields), required: Object.keys(fields).filter((f) => fields[f]![2] === 1) } : { k: 'none' };
      }
    }
  }
  nodes.set(type, n);
  return n;
}

/**
 * Check one value against a type expression of the generated client. `path` is the value's path,
 * a stack shared by the whole walk (pushed and popped; copied only into a problem).
 */
function check(schema: ApiSchema, type: string, format: string, v: unknown, path: (string | number)[], out: Problem[], quantity = false): void {
  if (v === null) return; // null means "unset" to the API server
  const t = typeNode(schema, type);
  switch (t.k) {
    case 'array':
      if (!Array.isArray(v)) return report(out, path, `must be a list, not ${describe(v)}`);
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        check(schema, t.of, '', v[i], path, out, quantity);
        path.pop();
      }
      return;
    case 'map':
      if (!isObj(v)) return report(out, path, `must be a mapping, not ${describe(v)}`);
      // (index loops over the keys: no iterator per value, in code that runs mostly unoptimised)
      for (let i = 0, keys = Object.keys(v); i < keys.length; i++) {
        const k = keys[i]!;
        path.push(k);
        check(schema, t.of, '', v[k], path, out, quantity);
        path.pop();
      }
      return;
    case 'string':
      if (typeof v === 'string' || (quantity && typeof v === 'number')) return;
      return report(out, path, `must be a string, not ${describe(v)}`);
    case 'number':
      if (typeof v !== 'number') return report(out, path, `must be a number, not ${describe(v)}`);
      if ((format === 'int32' || format === 'int64') && !Number.isInteger(v)) report(out, path, `must be an integer, not ${v}`);
      else if (format === 'int32' && (v > 2147483647 || v < -2147483648)) report(out, path, `${v} is out of the int32 range`);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') report(out, path, `must be true or false, not ${describe(v)}`);
      return;
    case 'intOrString':
      if (typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v))) return;
      return report(out, path, `must be an integer or a string, not ${describe(v)}`);
    case 'any':
    case 'none':
      return;
  }
  const fields = t.fields;
  if (!isObj(v)) return report(out, path, `must be a mapping, not ${describe(v)}`);
  for (let i = 0, keys = Object.keys(v); i < keys.length; i++) {
    const k = keys[i]!;
    const f = fields[k];
    if (!f) {
      const near = t.names.find((n) => n.toLowerCase() === k.toLowerCase());
      report(out, path, `unknown field "${k}"${near ? ` (did you mean "${near}"?)` : ''}`, k);
      continue;
    }
    path.push(k);
    check(schema, f[0], f[1], v[k], path, out, QUANTITY_MAPS.has(k) || QUANTITY_FIELDS.has(k));
    path.pop();
  }
  for (let i = 0; i < t.required.length; i++) if (v[t.required[i]!] === undefined) report(out, path, `missing required field "${t.required[i]!}"`);
}

/** A problem at `path` (copied), or at its child `key`. */
function report(out: Problem[], path: readonly (string | number)[], message: string, key?: string): void {
  out.push({ path: key === undefined ? [...path] : [...path, key], message });
}

export type Verdict = { known: false } | { known: true; problems: Problem[] };

/** Validate one resource; `known: false` when the schema has no such apiVersion/kind. */
export function validateResource(schema: ApiSchema, doc: unknown): Verdict {
  if (!isObj(doc) || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') {
    return { known: true, problems: [{ path: [], message: 'a resource needs string `apiVersion` and `kind`' }] };
  }
  const model = schema.kinds[`${doc.apiVersion}/${doc.kind}`];
  if (!model) return { known: false };
  const problems: Problem[] = [];
  check(schema, model, '', doc, [], problems);
  if (!isObj(doc.metadata) || typeof doc.metadata.name !== 'string' || doc.metadata.name === '') problems.push({ path: ['metadata'], message: 'missing required field "name"' });
  return { known: true, problems };
}
