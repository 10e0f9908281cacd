/**
 * The shape of the template context (CONTRACT 4.1) per target, for checking the paths a
 * template reads before anything renders: `spec` follows the service schema's block for the
 * target (so a field the schema adds is known at once), the rest is listed here beside
 * buildContext (a test holds the two together).
 */
import { schemaObject } from '../validate/schema.js';

export type Shape =
  /** anything below (free-form data) */
  | { t: 'any' }
  /** a string, number or boolean */
  | { t: 'leaf'; what?: string }
  | { t: 'obj'; props: Record<string, Shape>; extra?: Shape }
  | { t: 'list'; items: Shape };

const leaf: Shape = { t: 'leaf' };
const any: Shape = { t: 'any' };
const map = (v: Shape = leaf): Shape => ({ t: 'obj', props: {}, extra: v });
const obj = (props: Record<string, Shape>): Shape => ({ t: 'obj', props });
const list = (items: Shape = any): Shape => ({ t: 'list', items });

type Json = Record<string, unknown>;

/** A JSON Schema as a shape: properties, additionalProperties, items, $ref, allOf/oneOf/anyOf merged. */
export function schemaShape(schema: Json, root: Json, depth = 0): Shape {
  if (depth > 32) return any;
  if (typeof schema.$ref === 'string') {
    const m = /^#\/(definitions|\$defs)\/(.+)$/.exec(schema.$ref);
    const target = m ? ((root[m[1]!] as Json | undefined)?.[m[2]!] as Json | undefined) : undefined;
    if (!target) return any;
    const own = ['properties', 'additionalProperties', 'patternProperties', 'items', 'allOf', 'oneOf', 'anyOf'].some((k) => k in schema);
    return own ? merge(schemaShape(target, root, depth + 1), rest(schema, root, depth)) : schemaShape(target, root, depth + 1);
  }
  return rest(schema, root, depth);
}

function rest(schema: Json, root: Json, depth: number): Shape {
  let out: Shape | undefined;
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === 'string' ? [schema.type] : [];
  const combined = Boolean(schema.allOf || schema.oneOf || schema.anyOf);
  // a value that may be a scalar or a structure is not checked below that point
  if (types.some((t) => t === 'object' || t === 'array') && types.some((t) => t !== 'object' && t !== 'array')) return any;
  if (schema.properties || schema.additionalProperties !== undefined || schema.patternProperties || (types.includes('object') && !combined)) {
    const props: Record<string, Shape> = {};
    for (const [k, v] of Object.entries((schema.properties as Record<string, Json> | undefined) ?? {})) props[k] = schemaShape(v, root, depth + 1);
    const ap = schema.additionalProperties;
    const extra = ap === false ? undefined : ap && typeof ap === 'object' ? schemaShape(ap as Json, root, depth + 1) : any;
    out = extra ? { t: 'obj', props, extra } : { t: 'obj', props };
  }
  if (schema.items || types.includes('array')) {
    const items = schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items) ? schemaShape(schema.items as Json, root, depth + 1) : any;
    out = out ? any : list(items);
  }
  for (const k of ['allOf', 'oneOf', 'anyOf']) {
    for (const sub of (schema[k] as Json[] | undefined) ?? []) out = out ? merge(out, schemaShape(sub, root, depth + 1)) : schemaShape(sub, root, depth + 1);
  }
  if (!out) out = types.length && types.every((t) => t !== 'object' && t !== 'array') ? leaf : any;
  return out;
}

/** The union of two shapes (every path either allows). */
function merge(a: Shape, b: Shape): Shape {
  if (a.t === 'any' || b.t === 'any') return any;
  // a value that may be a scalar or a structure (an env entry: a string or {secretKeyRef}) is
  // not checked below that point
  if (a.t === 'leaf' || b.t === 'leaf') return a.t === b.t ? a : any;
  if (a.t === 'obj' && b.t === 'obj') {
    const props = { ...a.props };
    for (const [k, v] of Object.entries(b.props)) props[k] = props[k] ? merge(props[k], v) : v;
    const extra = a.extra && b.extra ? merge(a.extra, b.extra) : (a.extra ?? b.extra);
    return { t: 'obj', props, ...(extra ? { extra } : {}) };
  }
  if (a.t === 'list' && b.t === 'list') return list(merge(a.items, b.items));
  return any;
}

const cache = new Map<string, Shape>();

/** What a template of this target sees (buildContext in context.ts builds exactly this). */
export function contextShape(target: 'kubernetes' | 'lambda'): Shape {
  const hit = cache.get(target);
  if (hit) return hit;
  const root = schemaObject('service');
  const def = (root.definitions as Record<string, Json>)[target]!;
  const props: Record<string, Shape> = {
    service: obj({ name: leaf, labels: map() }),
    environment: obj({ name: leaf, production: leaf }),
    artifact: obj({ registry: leaf, package: leaf, tag: leaf, digest: leaf, image: leaf, fileDigest: leaf, labels: map(), created: leaf }),
    spec: schemaShape(def, root),
  };
  if (target === 'kubernetes') {
    props.k8s = obj({
      labels: map(),
      selectorLabels: map(),
      podLabels: map(),
      // false when absent, so that {{#if}} reads naturally
      podAnnotations: any,
      revisionHistoryLimit: any,
      podSpec: any,
      containers: list(),
      imagePullSecrets: list(obj({ name: leaf })),
      servicePorts: list(),
      serviceAnnotations: map(),
      ingressClassName: leaf,
      ingressRules: list(),
      ingressTls: list(),
      hpaMetrics: list(),
      disruptionBudget: any,
      serviceAccount: any,
    });
  } else {
    props.lambda = obj({
      zip: leaf,
      packageType: leaf,
      code: obj({ S3Bucket: leaf, S3Key: leaf, S3ObjectVersion: leaf, ImageUri: leaf }),
      s3: obj({ bucket: leaf, key: leaf, objectVersion: leaf }),
      imageUri: leaf,
      codeSha256: leaf,
      architectures: list(leaf),
      platform: leaf,
      variables: map(),
      layers: list(leaf),
      tags: map(),
      tagList: list(obj({ Key: leaf, Value: leaf })),
      publish: leaf,
      alias: obj({ name: leaf, description: leaf, functionVersion: leaf }),
      region: leaf,
      account: leaf,
      outputs: list(leaf),
      versionDescription: leaf,
      ack: obj({ aliasName: leaf, versionName: leaf }),
    });
  }
  const shape = obj(props);
  cache.set(target, shape);
  return shape;
}
