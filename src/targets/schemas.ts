/**
 * The shipped schemas' plug-in parts, made from the built-in plug-ins' fragments: the registry
 * entries of schemas/config.schema.json (one per provider) and the targets of
 * schemas/service.schema.json (`spec.<id>`, its override, its definitions).
 * `scripts/generate-schemas.mjs` (`npm run schemas`, and the build) writes them;
 * test/schema.plugins.test.ts checks the committed files are what this makes.
 */
import { BUILTIN_PROVIDERS } from '../resolve/providers/index.js';
import { schemaFileText, withProviders, withTargets } from '../validate/plugin-schema.js';
import { BUILTIN_TARGETS } from './index.js';

type Obj = Record<string, unknown>;

/** Per schema file: the committed schema -> the text the generator writes. */
export const generatedSchemas: Record<string, (committed: Obj) => Promise<string>> = {
  config: async (committed) => schemaFileText(withProviders(committed, BUILTIN_PROVIDERS, { replace: true })),
  service: async (committed) => {
    const targets = await Promise.all(BUILTIN_TARGETS.map(async (t) => ({ id: t.id, schema: await t.schema() })));
    return schemaFileText(withTargets(committed, targets, { replace: true }));
  },
};
