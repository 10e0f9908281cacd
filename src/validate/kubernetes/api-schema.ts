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

/** Check one value against a type expression of the generated client. */
function check(schema: ApiSchema, type: string, format: string, v: unknown, path: (string | number)[], out: Problem[], quantity = false): void {
  if (v === null) return; // null means "unset" to the API server
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) {
    if (!Array.isArray(v)) return void out.push({ path, message: `must be a list, not ${describe(v)}` });
    v.forEach((x, i) => check(schema, arr[1]!, '', x, [...path, i], out, quantity));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (!isObj(v)) return void out.push({ path, message: `must be a mapping, not ${describe(v)}` });
    for (const [k, x] of Object.entries(v)) check(schema, map[1]!, '', x, [...path, k], out, quantity);
    return;
  }
  switch (type) {
    case 'string':
    case 'Date':
    case 'V1MicroTime':
      if (typeof v === 'string' || (quantity && typeof v === 'number')) return;
      return void out.push({ path, message: `must be a string, not ${describe(v)}` });
    case 'number':
      if (typeof v !== 'number') return void out.push({ path, message: `must be a number, not ${describe(v)}` });
      if ((format === 'int32' || format === 'int64') && !Number.isInteger(v)) out.push({ path, message: `must be an integer, not ${v}` });
      else if (format === 'int32' && (v > 2147483647 || v < -2147483648)) out.push({ path, message: `${v} is out of the int32 range` });
      return;
    case 'boolean':
      if (typeof v !== 'boolean') out.push({ path, message: `must be true or false, not ${describe(v)}` });
      return;
    case 'IntOrString':
      if (typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v))) return;
      return void out.push({ path, message: `must be an integer or a string, not ${describe(v)}` });
    case 'any':
    case 'object':
      return;
  }
  const fields = schema.types[type];
  if (!fields) return;
  if (!isObj(v)) return void out.push({ path, message: `must be a mapping, not ${describe(v)}` });
  for (const [k, x] of Object.entries(v)) {
    const f = fields[k];
    if (!f) {
      const near = Object.keys(fields).find((n) => n.toLowerCase() === k.toLowerCase());
      out.push({ path: [...path, k], message: `unknown field "${k}"${near ? ` (did you mean "${near}"?)` : ''}` });
      continue;
    }
    check(schema, f[0], f[1], x, [...path, k], out, QUANTITY_MAPS.has(k) || QUANTITY_FIELDS.has(k));
  }
  for (const [k, f] of Object.entries(fields)) if (f[2] === 1 && v[k] === undefined) out.push({ path, message: `missing required field "${k}"` });
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
