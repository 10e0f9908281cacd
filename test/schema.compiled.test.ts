/**
 * The build writes standalone validators (scripts/compile-schemas.mjs); they must report exactly
 * what the runtime-compiled schema reports. Needs `npm run build` (npm ci runs it).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createAjv, schemaHash, schemaObject } from '../src/validate/schema.js';
import { SCHEMA_KINDS, type SchemaKind } from '../src/validate/kinds.js';
import { baseProject } from './helpers/project.js';
import { loadYaml } from '../src/load/yaml.js';

const require = createRequire(import.meta.url);
const compiled = (kind: SchemaKind) => `../dist/validate/compiled/${kind}.cjs`;

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; keyword: string; params: unknown; message?: string }[] | null };

function shape(v: Validate, data: unknown) {
  const ok = v(data);
  return { ok, errors: (v.errors ?? []).map((e) => ({ path: e.instancePath, keyword: e.keyword, params: e.params, message: e.message })) };
}

const files = baseProject();
const samples: [SchemaKind, string][] = [
  ['service', files['services/web.yaml']!],
  ['service', files['services/fn.yaml']!],
  ['service', files['services/web.yaml']!.replace('replicas: 2', 'replicsa: -2')],
  ['service', files['services/web.yaml']!.replace('range: "^1.2"', 'range: 1.10').replace('name: web', 'name: Web_Svc')],
  ['service', files['services/fn.yaml']!.replace('nodejs22.x', 'nodejs12.x').replace('handler: index.handler', 'handler: index.handler\n    memorySize: 64')],
  ['config', files['gitopsc.config.yaml']!],
  ['config', files['gitopsc.config.yaml']!.replace('type: static', 'type: oci\n    url: ftp://x\n    auth: { password: hunter2 }')],
  ['catalog', files['catalog.yaml']!],
  ['catalog', 'packages:\n  a/b:\n    - { tag: 1.0, digest: "sha256:zz" }\n'],
];

describe('precompiled schema validators', () => {
  it('exist after the build and match the shipped schemas', () => {
    for (const kind of SCHEMA_KINDS) {
      expect(existsSync(new URL(compiled(kind), import.meta.url)), `run npm run build: ${compiled(kind)} is missing`).toBe(true);
      expect((require(compiled(kind)) as { schemaHash: string }).schemaHash).toBe(schemaHash(kind));
    }
  });

  // one runtime compile per kind, shared by its samples (a validator keeps no state between
  // calls but its last `errors`, which shape() reads right after the call): the service schema
  // took about 0.3 s of CPU per compile
  const runtimes = new Map<SchemaKind, Validate>();
  it.each(samples)('%s sample reports the same as the runtime-compiled schema', (kind, text) => {
    const data = loadYaml('x.yaml', new TextEncoder().encode(text)).doc!.data;
    let runtime = runtimes.get(kind);
    if (!runtime) runtimes.set(kind, (runtime = createAjv().compile(schemaObject(kind)) as unknown as Validate));
    const standalone = (require(compiled(kind)) as { validate: Validate }).validate;
    expect(shape(standalone, data)).toEqual(shape(runtime, data));
  });
});
