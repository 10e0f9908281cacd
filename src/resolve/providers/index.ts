/**
 * The provider registry: one explicit map from `type` to a lazily loaded provider kind, so
 * that commands which never touch a registry never load the OCI client.
 */
import type { RegistryConfig } from '../../core/model.js';
import type { ProviderKind } from '../provider.js';

export const PROVIDERS: Record<RegistryConfig['type'], () => Promise<ProviderKind>> = {
  static: async () => (await import('./static/index.js')).staticProvider,
  oci: async () => (await import('./oci/index.js')).oci,
  har: async () => (await import('./har/index.js')).har,
};
