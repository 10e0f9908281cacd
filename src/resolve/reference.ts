import type { RegistryConfig } from '../core/model.js';
import { joinReference } from './provider.js';
import { providerPlugin } from './providers/index.js';

/** `host[:port][/prefix]/package` as rendered in image references (no scheme), from the registry's provider. Pure. */
export function referenceFor(config: RegistryConfig | undefined, pkg: string): string {
  const plugin = config ? providerPlugin(config.type) : undefined;
  if (!config || !plugin) return pkg;
  return joinReference(plugin.context.host(config), plugin.context.prefix(config), pkg);
}

/** The host of this registry's rendered references; undefined when they have none (the runtime pulls from Docker Hub). */
export function referenceHost(config: RegistryConfig | undefined): string | undefined {
  const plugin = config ? providerPlugin(config.type) : undefined;
  return config && plugin ? plugin.context.host(config) : undefined;
}
