/**
 * The shape of the template context (CONTRACT 4.1) per target, for checking the paths a
 * template reads before anything renders: `spec` follows the service schema's block for the
 * target (so a field the schema adds is known at once), the rest is listed here beside
 * buildContext (a test holds the two together).
 */
import { schemaObject } from '../validate/schema.js';

import { any, leaf, list, map, obj, type Shape } from './shape-kit.js';
import { targetPlugin } from '../targets/index.js';

export { any, leaf, list, map, obj, type Shape } from './shape-kit.js';

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
export function contextShape(target: string): Shape {
  const hit = cache.get(target);
  if (hit) return hit;
  const root = schemaObject('service');
  const specProps = (((root.properties as Json).spec as Json).properties ?? {}) as Record<string, Json>;
  const props: Record<string, Shape> = {
    service: obj({ name: leaf, labels: map() }),
    environment: obj({ name: leaf, production: leaf }),
    artifact: obj({ registry: leaf, package: leaf, tag: leaf, digest: leaf, image: leaf, fileDigest: leaf, labels: map(), created: leaf }),
    spec: specProps[target] ? schemaShape(specProps[target], root) : any,
    // the target's own view (`k8s`, `lambda`)
    ...targetPlugin(target)?.viewShape(),
  };
  const shape = obj(props);
  cache.set(target, shape);
  return shape;
}
