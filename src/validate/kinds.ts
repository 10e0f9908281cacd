/** The four document kinds gitopsc validates, and the `$id` of each shipped schema. */

export type SchemaKind = 'service' | 'config' | 'catalog' | 'lock';
export const SCHEMA_KINDS: readonly SchemaKind[] = ['service', 'config', 'catalog', 'lock'];

/** `$id` of each schema (also what `gitopsc schema` prints). */
export const SCHEMA_IDS: Readonly<Record<SchemaKind, string>> = {
  service: 'https://gitopsc.dev/schemas/service.schema.json',
  config: 'https://gitopsc.dev/schemas/config.schema.json',
  catalog: 'https://gitopsc.dev/schemas/catalog.schema.json',
  lock: 'https://gitopsc.dev/schemas/lock.schema.json',
};
