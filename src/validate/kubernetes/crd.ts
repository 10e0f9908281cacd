/**
 * Custom resources: schemas from CustomResourceDefinition files (`kubernetes.crds`), compiled
 * once with ajv, strict about unknown fields where the CRD declares its properties (unless it
 * says `x-kubernetes-preserve-unknown-fields`). Pure: file texts in, validators out.
 */
import type { Ajv, ValidateFunction } from 'ajv';
import { lazy } from '../../core/lazy.js';
import { error, type Diagnostic } from '../../core/diagnostics.js';
import type { Problem } from './api-schema.js';

const ajvModule = lazy<{ Ajv: typeof Ajv }>('ajv');
const Y = lazy<typeof import('yaml')>('yaml');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** OpenAPI v3 (structural) schema -> JSON Schema ajv runs, closed where the CRD lists properties. */
function toJsonSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (!isObj(s)) return s;
  const out: Obj = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-') || k === 'nullable' || k === 'example' || k === 'externalDocs') continue;
    if (k === 'properties' && isObj(v)) out[k] = Object.fromEntries(Object.entries(v).map(([p, sub]) => [p, toJsonSchema(sub)]));
    else out[k] = toJsonSchema(v);
  }
  if (s['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (s.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (isObj(s.properties) && s.additionalProperties === undefined && s['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  if (s.type === 'object' && s.properties === undefined && s.additionalProperties === undefined) out.additionalProperties = true;
  return out;
}

export interface CrdSet {
  /** `group/version/Kind` -> validator */
  validators: Map<string, ValidateFunction>;
}

export function loadCrds(files: { file: string; text: string }[]): { crds: CrdSet; diagnostics: Diagnostic[] } {
  const validators = new Map<string, ValidateFunction>();
  const diagnostics: Diagnostic[] = [];
  let ajv: Ajv | undefined;
  for (const { file, text } of files) {
    const docs = Y().parseAllDocuments(text, { version: '1.2', merge: false, uniqueKeys: true });
    for (const d of Array.isArray(docs) ? docs : []) {
      if (d.errors.length) {
        diagnostics.push(error('YAML_SYNTAX', d.errors[0]!.message.split('\n')[0]!, { reason: 'invalid-yaml', file, line: d.errors[0]!.linePos?.[0]?.line ?? 1, column: d.errors[0]!.linePos?.[0]?.col ?? 1 }));
        continue;
      }
      const crd = d.toJS() as unknown;
      if (!isObj(crd) || crd.kind !== 'CustomResourceDefinition' || !isObj(crd.spec)) continue;
      const group = String(crd.spec.group ?? '');
      const kind = isObj(crd.spec.names) ? String(crd.spec.names.kind ?? '') : '';
      for (const v of Array.isArray(crd.spec.versions) ? crd.spec.versions : []) {
        if (!isObj(v) || !isObj(v.schema) || !isObj(v.schema.openAPIV3Schema)) continue;
        try {
          ajv ??= new (ajvModule().Ajv)({ allErrors: true, strict: false, logger: false, validateFormats: false });
          validators.set(`${group}/${String(v.name)}/${kind}`, ajv.compile(toJsonSchema(v.schema.openAPIV3Schema) as object));
        } catch (e) {
          diagnostics.push(error('SCHEMA', `the schema of ${kind} ${group}/${String(v.name)} does not compile: ${(e as Error).message}`, { reason: 'invalid-crd-schema', file, line: 1, column: 1 }));
        }
      }
    }
  }
  return { crds: { validators }, diagnostics };
}

export function validateCustom(crds: CrdSet, doc: Obj): Problem[] | undefined {
  const v = crds.validators.get(`${String(doc.apiVersion)}/${String(doc.kind)}`);
  if (!v) return undefined;
  if (v(doc)) return [];
  return (v.errors ?? []).map((e) => {
    const path = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'additionalProperties') return { path: [...path, String(e.params.additionalProperty)], message: `unknown field "${String(e.params.additionalProperty)}"` };
    return { path, message: e.message ?? e.keyword };
  });
}
