/**
 * The target registry: the one map from a service's `spec.<id>` to its target plug-in (one
 * folder, `src/targets/<id>/`, whose `plugin.ts` holds its id, schema fragment, built-in
 * templates, unit data, view of the template context, checks and output rules). Adding a
 * target: its folder, and one line in BUILTIN_TARGETS below.
 */
import { addTargetSchema, removePluginSchema } from '../validate/plugin-schema.js';
import { plugin as kubernetes } from './kubernetes/plugin.js';
import { plugin as lambda } from './lambda/plugin.js';
import type { TargetPlugin } from './types.js';

export type { SharedContext, TargetPlugin } from './types.js';

/** The targets gitopsc ships, in the order the service schema lists them. */
export const BUILTIN_TARGETS: readonly TargetPlugin[] = [kubernetes, lambda];

const registry = new Map<string, TargetPlugin>(BUILTIN_TARGETS.map((t) => [t.id, t]));
let generation = 0;

const ID = /^[a-z][a-z0-9-]{0,31}$/;
const RESERVED = new Set(['artifact', 'environments']);

/**
 * Register a target (a built-in is in BUILTIN_TARGETS; a library user or a test registers its
 * own here). Its schema fragment is added to the service schema the validator uses from then on.
 */
export async function registerTarget(plugin: TargetPlugin): Promise<void> {
  if (!ID.test(plugin.id) || RESERVED.has(plugin.id)) throw new Error(`target id ${JSON.stringify(plugin.id)} must be lowercase letters, digits and '-', and not artifact or environments`);
  if (BUILTIN_TARGETS.some((t) => t.id === plugin.id)) throw new Error(`target "${plugin.id}" is built in`);
  registry.set(plugin.id, plugin);
  addTargetSchema({ id: plugin.id, schema: await plugin.schema() });
  generation++;
}

/** Undo `registerTarget` (tests, and library users that register for one run). Built-ins stay. */
export function unregisterTarget(id: string): void {
  if (BUILTIN_TARGETS.some((t) => t.id === id)) return;
  if (registry.delete(id)) generation++;
  removePluginSchema('target', id);
}

/** The plug-in of a target id; undefined for one no target has (the schema refuses those). */
export function targetPlugin(id: string): TargetPlugin | undefined {
  return registry.get(id);
}

/** Every registered target, built-ins first. */
export function targetPlugins(): TargetPlugin[] {
  return [...registry.values()];
}

/** Changes whenever a target is registered (caches of built-in templates are then stale). */
export function targetGeneration(): number {
  return generation;
}
