/**
 * The parts of the shipped JSON Schemas that plug-ins own: the registry entries of
 * `schemas/config.schema.json` (one per provider, `type: <id>`) and the targets of
 * `schemas/service.schema.json` (`spec.<id>` and its per-environment override).
 *
 * Pure functions over schema objects: `scripts/generate-schemas.mjs` writes the built-in
 * plug-ins' fragments into the committed schemas with them (a test checks the files are what
 * they make), and a plug-in registered at run time (`registerProvider`, `registerTarget`) is
 * added to the schema the validator is compiled from.
 */

/** A provider's registry entry for `type: <id>`: its own properties (without `type`). */
export interface RegistrySchemaFragment {
  description: string;
  properties: Record<string, unknown>;
  /** required properties besides `type` */
  required?: string[];
  /** `definitions` the fragment's `$ref`s need besides the shared ones (secretRef) */
  definitions?: Record<string, unknown>;
}

/** A target's part of the service schema. */
export interface TargetSchemaFragment {
  /** the schema of `spec.<id>` (may `$ref` its own definitions) */
  spec: Record<string, unknown>;
  /** the schema of `spec.environments.<env>.<id>` (all fields optional) */
  override: Record<string, unknown>;
  /** the definitions both refer to (`#/definitions/<name>`), merged into the schema's */
  definitions?: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The definition name of provider `id`'s registry entry. */
export const registryDefinition = (id: string): string => `${id}Registry`;

function entryOf(id: string, f: RegistrySchemaFragment): Obj {
  return {
    description: f.description,
    type: 'object',
    additionalProperties: false,
    properties: { type: { description: 'Registry kind.', const: id }, ...f.properties },
    required: ['type', ...(f.required ?? [])],
  };
}

/** Insert `entries` into `defs` right after `anchor` (keeps the file's order stable). */
function insertAfter(defs: Obj, anchor: string, entries: [string, unknown][]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(defs)) {
    out[k] = v;
    if (k === anchor) for (const [ek, ev] of entries) out[ek] = ev;
  }
  if (!(anchor in defs)) for (const [ek, ev] of entries) out[ek] = ev;
  return out;
}

/**
 * The config schema with these providers' registry entries. `replace: true` (the generator)
 * drops every entry the schema listed first; otherwise (run-time registration) the given ones
 * are added, replacing one of the same id. Returns a new object; `schema` is not changed.
 */
export function withProviders(schema: Obj, providers: readonly { id: string; schema: RegistrySchemaFragment }[], opts: { replace?: boolean } = {}): Obj {
  const out = structuredClone(schema);
  const defs = (isObj(out.definitions) ? out.definitions : {}) as Obj;
  const registry = (isObj(defs.registry) ? defs.registry : {}) as Obj;
  const listed = ((registry.oneOf ?? []) as { $ref?: string }[]).map((r) => String(r.$ref ?? '').replace('#/definitions/', ''));
  const ids = new Set(providers.map((p) => p.id));
  const keep = opts.replace ? [] : listed.filter((name) => !ids.has(name.replace(/Registry$/, '')));
  let next: Obj = Object.fromEntries(Object.entries(defs).filter(([k]) => !(opts.replace ? listed.includes(k) : [...ids].map(registryDefinition).includes(k))));
  const entries: [string, unknown][] = [];
  for (const p of providers) {
    entries.push([registryDefinition(p.id), entryOf(p.id, p.schema)]);
    for (const [k, v] of Object.entries(p.schema.definitions ?? {})) if (!(k in next)) entries.push([k, v]);
  }
  const names = [...keep, ...providers.map((p) => registryDefinition(p.id))];
  const anchorName = keep.length ? keep[keep.length - 1]! : 'registry';
  next = insertAfter(next, anchorName, entries);
  const types = names.map((n) => `\`type: ${n.replace(/Registry$/, '')}\``);
  next.registry = {
    ...registry,
    description: `A registry: ${types.length > 1 ? `${types.slice(0, -1).join(', ')} or ${types[types.length - 1]}` : (types[0] ?? 'none')}.`,
    oneOf: names.map((n) => ({ $ref: `#/definitions/${n}` })),
  };
  out.definitions = next;
  return out;
}

/**
 * The service schema with these targets: `spec.<id>` (exactly one target per service), its
 * per-environment override and their definitions. `replace: true` (the generator) drops the
 * targets the schema listed first; otherwise the given ones are added or replaced.
 */
export function withTargets(schema: Obj, targets: readonly { id: string; schema: TargetSchemaFragment }[], opts: { replace?: boolean } = {}): Obj {
  const out = structuredClone(schema);
  const props = (out.properties as Obj).spec as Obj;
  const specProps = props.properties as Obj;
  const oneOf = ((props.oneOf ?? []) as { required?: string[] }[]).map((o) => o.required?.[0]).filter((x): x is string => typeof x === 'string');
  const ids = targets.map((t) => t.id);
  const drop = new Set(opts.replace ? oneOf : ids);
  const keep = oneOf.filter((id) => !drop.has(id));
  const envs = specProps.environments as Obj;
  const envProps = ((envs.additionalProperties as Obj).properties ?? {}) as Obj;
  const order = [...keep, ...ids];
  // spec: artifact, then the targets, then environments (as written by hand before)
  const nextSpec: Obj = {};
  for (const [k, v] of Object.entries(specProps)) {
    if (drop.has(k)) continue;
    if (k === 'environments') for (const t of targets) nextSpec[t.id] = t.schema.spec;
    nextSpec[k] = v;
  }
  props.properties = nextSpec;
  const nextEnv: Obj = {};
  for (const [k, v] of Object.entries(envProps)) if (!drop.has(k)) nextEnv[k] = v;
  for (const t of targets) nextEnv[t.id] = t.schema.override;
  (envs.additionalProperties as Obj).properties = nextEnv;
  props.oneOf = order.map((id) => ({ type: 'object', required: [id] }));
  let defs = (out.definitions ?? {}) as Obj;
  if (opts.replace) {
    // the targets' definitions come after the hand-written ones, in target order
    const owned = new Set(targets.flatMap((t) => Object.keys(t.schema.definitions ?? {})));
    defs = Object.fromEntries(Object.entries(defs).filter(([k]) => !owned.has(k)));
  }
  for (const t of targets) for (const [k, v] of Object.entries(t.schema.definitions ?? {})) defs[k] = v;
  out.definitions = defs;
  if (opts.replace) out.definitions = reachable(out, defs);
  return out;
}

/** The definitions still referenced from the schema (a removed target's are dropped). */
function reachable(schema: Obj, defs: Obj): Obj {
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObj(node)) {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/')) {
          const name = v.slice('#/definitions/'.length);
          if (!seen.has(name) && name in defs) {
            seen.add(name);
            visit(defs[name]);
          }
        } else if (k !== 'definitions') visit(v);
      }
    }
  };
  visit(schema);
  return Object.fromEntries(Object.entries(defs).filter(([k]) => seen.has(k)));
}

/** A schema object as the committed file is written: two-space JSON and a final newline. */
export function schemaFileText(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

// Plug-ins registered at run time (a library user's or a test's own): their fragments are added
// to the shipped schemas before the validator is compiled. Built-ins are in the shipped files.
const extraProviders: { id: string; schema: RegistrySchemaFragment }[] = [];
const extraTargets: { id: string; schema: TargetSchemaFragment }[] = [];
let generation = 0;

export function addRegistrySchema(p: { id: string; schema: RegistrySchemaFragment }): void {
  const i = extraProviders.findIndex((x) => x.id === p.id);
  if (i >= 0) extraProviders.splice(i, 1);
  extraProviders.push({ id: p.id, schema: p.schema });
  generation++;
}

export function addTargetSchema(t: { id: string; schema: TargetSchemaFragment }): void {
  const i = extraTargets.findIndex((x) => x.id === t.id);
  if (i >= 0) extraTargets.splice(i, 1);
  extraTargets.push({ id: t.id, schema: t.schema });
  generation++;
}

/** Forget a run-time plug-in's fragment (`unregisterProvider`, `unregisterTarget`). */
export function removePluginSchema(kind: 'provider' | 'target', id: string): void {
  const list: { id: string }[] = kind === 'provider' ? extraProviders : extraTargets;
  const i = list.findIndex((x) => x.id === id);
  if (i >= 0) {
    list.splice(i, 1);
    generation++;
  }
}

/** Changes whenever a plug-in schema is registered (compiled validators are then stale). */
export function pluginSchemaGeneration(): number {
  return generation;
}

/** The shipped schema of `kind` with the run-time plug-ins' fragments, or the schema itself when there are none. */
export function withRegisteredPlugins(kind: string, schema: Obj): Obj {
  if (kind === 'config' && extraProviders.length) return withProviders(schema, extraProviders);
  if (kind === 'service' && extraTargets.length) return withTargets(schema, extraTargets);
  return schema;
}

/** What the run-time plug-ins add to `kind`'s schema, as text for the schema hash ('' when nothing). */
export function registeredPluginsKey(kind: string): string {
  if (kind === 'config') return extraProviders.length ? JSON.stringify(extraProviders) : '';
  if (kind === 'service') return extraTargets.length ? JSON.stringify(extraTargets) : '';
  return '';
}
