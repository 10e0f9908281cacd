/**
 * Load a CommonJS dependency on first use, synchronously. Start-up cost is a feature: `yaml`,
 * `ajv` and `handlebars` together take longer to load than a warm `render --check` takes to run,
 * so they are loaded only on the paths that need them (the full YAML parser, schema validation
 * of changed files, rendering of changed services).
 */
import { createRequire } from 'node:module';

const requireCjs = createRequire(import.meta.url);

export function lazy<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= requireCjs(id) as T);
}
