/**
 * Patches on rendered resources, the escape hatch kustomize users know: a strategic-merge patch
 * (`kubectl patch --type strategic`) or an RFC 6902 JSON patch, applied to the resource its
 * target selects. Pure: data in, data or a located problem out.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class PatchError extends Error {
  /** index of the failing JSON patch operation, when one failed */
  constructor(
    message: string,
    readonly op?: number,
  ) {
    super(message);
  }
}

/**
 * Merge keys of the built-in API types (`+patchMergeKey` in k8s.io/api): lists of objects with
 * a key merge element by element; every other list is replaced whole.
 */
const MERGE_KEYS: Record<string, string | ((items: Obj[]) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  ownerReferences: 'uid',
  conditions: 'type',
  // container ports merge by containerPort, Service ports by port
  ports: (items) => (items.some((i) => 'containerPort' in i) ? 'containerPort' : 'port'),
};
/** Lists of scalars that merge as sets. */
const SET_LISTS = new Set(['finalizers']);

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function setKey(o: Obj, k: string, v: unknown): void {
  if (k === '__proto__' || k === 'constructor' || k === 'prototype') throw new PatchError(`refusing to set "${k}"`);
  o[k] = v;
}

/** Strategic merge of `patch` into `base` (built-in types; `builtin: false` = JSON merge patch, lists replace). */
export function strategicMerge(base: unknown, patch: unknown, builtin = true): unknown {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(base) ? { ...base } : {};
  const retain = Array.isArray(patch.$retainKeys) ? new Set(patch.$retainKeys.map(String)) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const name = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      if (Array.isArray(out[name])) out[name] = (out[name] as unknown[]).filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    if (Array.isArray(v)) setKey(out, k, builtin ? mergeList(out[k], v, k) : clone(v));
    else if (isObj(v)) {
      const merged = strategicMerge(out[k], v, builtin);
      if (merged === undefined) delete out[k];
      else setKey(out, k, merged);
    } else setKey(out, k, v);
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.has(k)) delete out[k];
  return out;
}

function mergeList(base: unknown, patch: unknown[], field: string): unknown[] {
  const cur = Array.isArray(base) ? base : [];
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) return clone(patch.filter((p) => !(isObj(p) && p.$patch === 'replace')));
  if (SET_LISTS.has(field)) {
    const seen = new Set(cur.map((x) => JSON.stringify(x)));
    return [...cur, ...patch.filter((x) => !seen.has(JSON.stringify(x)))];
  }
  const keyOf = MERGE_KEYS[field];
  if (!keyOf || !patch.every(isObj)) return clone(patch);
  const items = patch as Obj[];
  const key = typeof keyOf === 'string' ? keyOf : keyOf([...items, ...cur.filter(isObj)]);
  const out = [...cur];
  for (const item of items) {
    if (!(key in item)) throw new PatchError(`an element of the \`${field}\` list needs its merge key \`${key}\``);
    const at = out.findIndex((x) => isObj(x) && JSON.stringify(x[key]) === JSON.stringify(item[key]));
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = strategicMerge(out[at], item, true);
    else out.push(strategicMerge(undefined, item, true));
  }
  return out;
}

function unescape(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`"${p}" is not a JSON pointer`);
  return p.slice(1).split('/').map(unescape);
}

function index(arr: unknown[], seg: string, forAdd: boolean): number {
  if (forAdd && seg === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(seg)) throw new PatchError(`"${seg}" is not an array index`);
  const i = Number(seg);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`index ${i} is out of range (length ${arr.length})`);
  return i;
}

function parentOf(doc: unknown, segs: string[], pointer: string): { parent: unknown; last: string } {
  let node = doc;
  for (const seg of segs.slice(0, -1)) {
    if (Array.isArray(node)) node = node[index(node, seg, false)];
    else if (isObj(node) && Object.hasOwn(node, seg)) node = node[seg];
    else throw new PatchError(`path ${pointer} does not exist`);
  }
  return { parent: node, last: segs[segs.length - 1]! };
}

function get(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const seg of parsePointer(pointer)) {
    if (Array.isArray(node)) node = node[index(node, seg, false)];
    else if (isObj(node) && Object.hasOwn(node, seg)) node = node[seg];
    else throw new PatchError(`path ${pointer} does not exist`);
  }
  return node;
}

function remove(doc: unknown, pointer: string): unknown {
  const segs = parsePointer(pointer);
  if (segs.length === 0) throw new PatchError('cannot remove the whole document');
  const { parent, last } = parentOf(doc, segs, pointer);
  if (Array.isArray(parent)) return parent.splice(index(parent, last, false), 1)[0];
  if (isObj(parent) && Object.hasOwn(parent, last)) {
    const v = parent[last];
    delete parent[last];
    return v;
  }
  throw new PatchError(`path ${pointer} does not exist`);
}

function add(doc: unknown, pointer: string, value: unknown, replace: boolean): unknown {
  const segs = parsePointer(pointer);
  if (segs.length === 0) return value;
  const { parent, last } = parentOf(doc, segs, pointer);
  if (Array.isArray(parent)) {
    const i = index(parent, last, !replace);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (isObj(parent)) {
    if (replace && !Object.hasOwn(parent, last)) throw new PatchError(`path ${pointer} does not exist`);
    setKey(parent, last, value);
  } else throw new PatchError(`path ${pointer} does not exist`);
  return doc;
}

export interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

/** RFC 6902, all or nothing: a failing operation is a PatchError naming it. */
export function applyJsonPatch(doc: unknown, ops: readonly JsonPatchOp[]): unknown {
  let out = clone(doc);
  ops.forEach((o, i) => {
    try {
      switch (o.op) {
        case 'add':
          out = add(out, o.path, clone(o.value), false);
          break;
        case 'replace':
          out = add(out, o.path, clone(o.value), true);
          break;
        case 'remove':
          remove(out, o.path);
          break;
        case 'move': {
          if (o.from === undefined) throw new PatchError('`move` needs `from`');
          if (o.path.startsWith(o.from + '/')) throw new PatchError('cannot move a value into itself');
          const v = remove(out, o.from);
          out = add(out, o.path, v, false);
          break;
        }
        case 'copy':
          if (o.from === undefined) throw new PatchError('`copy` needs `from`');
          out = add(out, o.path, clone(get(out, o.from)), false);
          break;
        case 'test':
          if (JSON.stringify(canonical(get(out, o.path))) !== JSON.stringify(canonical(o.value))) throw new PatchError(`test failed: ${o.path} is not ${JSON.stringify(o.value)}`);
          break;
        default:
          throw new PatchError(`unknown operation "${o.op}"`);
      }
    } catch (e) {
      if (e instanceof PatchError) throw new PatchError(`operation ${i} (${o.op} ${o.path}): ${e.message}`, i);
      throw e;
    }
  });
  return out;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObj(v)) {
    const o: Obj = {};
    for (const k of Object.keys(v).sort()) o[k] = canonical(v[k]);
    return o;
  }
  return v;
}

/** Built-in API groups get strategic merge; custom resources get JSON merge patch semantics (as kubectl does). */
export function isBuiltinApiVersion(apiVersion: unknown): boolean {
  if (typeof apiVersion !== 'string') return false;
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}
