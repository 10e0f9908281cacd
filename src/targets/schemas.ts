/**
 * The shipped schemas' plug-in parts, made from the built-in plug-ins' fragments: the registry
 * entries of schemas/config.schema.json (one per provider) and the targets of
 * schemas/service.schema.json. `scripts/generate-schemas.mjs` (`npm run schemas`, and the build)
 * writes them; test/schema.plugins.test.ts checks the committed files are what this makes.
 */
import { BUILTIN_PROVIDERS } from '../resolve/providers/index.js';
import { schemaFileText, withProviders } from '../validate/plugin-schema.js';

type Obj = Record<string, unknown>;

/** Per schema file: the committed schema -> the text the generator writes. */
export const generatedSchemas: Record<string, (committed: Obj) => Promise<string>> = {
  config: async (committed) => schemaFileText(withProviders(committed, BUILTIN_PROVIDERS, { replace: true })),
};
