/**
 * The provider registry: the one map from a registry's `type` to its plug-in (one folder,
 * `providers/<id>/`, whose `plugin.ts` holds its id, config schema fragment, context, traits and
 * lazily loaded factory). Adding a provider: its folder, and one line in BUILTIN below.
 * Commands that never touch a registry never load a client.
 */
import { addRegistrySchema, removePluginSchema } from '../../validate/plugin-schema.js';
import type { ProviderKind, ProviderPlugin } from '../provider.js';
import { plugin as har } from './har/plugin.js';
import { plugin as oci } from './oci/plugin.js';
import { plugin as staticCatalog } from './static/plugin.js';

/** The providers gitopsc ships, in the order the config schema lists them. */
export const BUILTIN_PROVIDERS: readonly ProviderPlugin[] = [oci, staticCatalog, har];

const registry = new Map<string, ProviderPlugin>(BUILTIN_PROVIDERS.map((p) => [p.id, p]));

const ID = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Register a provider (a built-in is in BUILTIN_PROVIDERS; a library user or a test registers its
 * own here). Its schema fragment is added to the config schema the validator uses from then on.
 */
export function registerProvider(plugin: ProviderPlugin): void {
  if (!ID.test(plugin.id)) throw new Error(`provider id ${JSON.stringify(plugin.id)} must be lowercase letters, digits and '-'`);
  if (BUILTIN_PROVIDERS.some((p) => p.id === plugin.id)) throw new Error(`provider "${plugin.id}" is built in`);
  registry.set(plugin.id, plugin);
  addRegistrySchema(plugin);
}

/** Undo `registerProvider` (tests, and library users that register for one run). Built-ins stay. */
export function unregisterProvider(id: string): void {
  if (BUILTIN_PROVIDERS.some((p) => p.id === id)) return;
  registry.delete(id);
  removePluginSchema('provider', id);
}

/** The plug-in of a registry `type`; undefined for a type no provider has (the schema refuses those). */
export function providerPlugin(type: string): ProviderPlugin | undefined {
  return registry.get(type);
}

/** Every registered provider, built-ins first. */
export function providerPlugins(): ProviderPlugin[] {
  return [...registry.values()];
}

/** The factory of a registry `type` (loads the client). */
export async function providerKind(type: string): Promise<ProviderKind> {
  const p = registry.get(type);
  if (!p) throw new Error(`no provider for registry type "${type}"`);
  return p.load();
}
