/**
 * The shipped schemas' plug-in parts (registry entries per provider, targets) are generated from
 * the plug-ins' fragments by scripts/generate-schemas.mjs (`npm run schemas`, run by the build):
 * the committed files must be exactly what the generator makes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedSchemas } from '../src/targets/schemas.js';
import { createAjv } from '../src/validate/schema.js';

const committed = (kind: string): string => readFileSync(new URL(`../schemas/${kind}.schema.json`, import.meta.url), 'utf8');

describe.each(Object.keys(generatedSchemas))('schemas/%s.schema.json', (kind) => {
  const make = generatedSchemas[kind]!;

  it('is what the generator makes from the plug-ins (run `npm run schemas` after changing a fragment)', async () => {
    const text = committed(kind);
    expect(await make(JSON.parse(text) as Record<string, unknown>)).toBe(text);
  });

  it('compiles in ajv strict mode', async () => {
    expect(() => createAjv().compile(JSON.parse(committed(kind)) as object)).not.toThrow();
  });
});

describe('the generator owns the registry entries', () => {
  it('writes them back when they are missing or stale', async () => {
    const text = committed('config');
    const schema = JSON.parse(text) as { definitions: Record<string, unknown> };
    const defs = schema.definitions;
    const registry = defs.registry as { oneOf: unknown[]; description: string };
    for (const id of ['oci', 'static', 'har']) delete defs[`${id}Registry`];
    registry.oneOf = [];
    registry.description = 'stale';
    expect(await generatedSchemas.config!(schema)).toBe(text);
  });
});
