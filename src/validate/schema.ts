/**
 * JSON Schema validation with one isolated Ajv instance. The instance and each schema are built
 * lazily, at most once per process: ajv's compile is slow, so commands that never validate never
 * pay for it.
 */
import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';
import type { FormatsPlugin } from 'ajv-formats';
import { lazy } from '../core/lazy.js';
import type { Diagnostic } from '../core/diagnostics.js';
import { contentHashOf } from '../core/hash.js';
import { requireGenerated } from '../host/code-cache.js';
import { readPackageText } from '../host/package.js';
import type { LoadedDoc } from '../load/types.js';
import { ajvErrorsToDiagnostics } from './ajv-errors.js';
import type { SchemaKind } from './kinds.js';
import { SCHEMA_MESSAGES } from './messages.js';
import { pluginSchemaGeneration, registeredPluginsKey, withRegisteredPlugins } from './plugin-schema.js';

/** Where the schema file is: `schemas/` at the package root (from src/validate or dist/validate). */
export function schemaFileUrl(kind: SchemaKind): URL {
  return new URL(`../../schemas/${kind}.schema.json`, import.meta.url);
}

const texts = new Map<SchemaKind, string>();

/** The schema's JSON text, exactly as shipped (read once; these files are part of the package). */
export function schemaText(kind: SchemaKind): string {
  let t = texts.get(kind);
  if (t === undefined) {
    t = readPackageText(`schemas/${kind}.schema.json`);
    texts.set(kind, t);
  }
  return t;
}

/** The shipped schema (standard keywords only), as JSON. */
export function shippedSchema(kind: SchemaKind): Record<string, unknown> {
  return JSON.parse(schemaText(kind)) as Record<string, unknown>;
}

/**
 * The schema our ajv compiles: the shipped one plus gitopsc's error wording (src/validate/messages.ts)
 * as `errorMessage` / `patternErrorMessage` annotations, registered as keywords in createAjv.
 */
export function schemaObject(kind: SchemaKind): Record<string, unknown> {
  // plug-ins registered at run time add their fragments (built-ins are in the shipped file)
  const schema = withRegisteredPlugins(kind, shippedSchema(kind));
  for (const [pointer, message] of Object.entries(SCHEMA_MESSAGES[kind])) {
    let node: unknown = schema;
    for (const part of pointer.split('/').slice(1)) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
    if (!node || typeof node !== 'object') throw new Error(`src/validate/messages.ts: ${kind} schema has nothing at ${pointer}`);
    Object.assign(node, message);
  }
  return schema;
}

const requireCjs = createRequire(import.meta.url);
const ajvModule = lazy<{ Ajv: typeof Ajv }>('ajv');
const formatsModule = lazy<FormatsPlugin & { default?: FormatsPlugin }>('ajv-formats');

let ajv: Ajv | undefined;
const validators = new Map<SchemaKind, { generation: number; validate: ValidateFunction }>();

/**
 * A new Ajv instance with our options. `code` is for the build step that writes standalone
 * validators (scripts/compile-schemas.mjs); at run time the shared instance below is used.
 */
export function createAjv(code?: Record<string, unknown>): Ajv {
  const instance = new (ajvModule().Ajv)({
    allErrors: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    verbose: true,
    discriminator: true,
    coerceTypes: false,
    $data: false,
    useDefaults: false,
    removeAdditional: false,
    ...(code ? { code } : {}),
  });
  // ajv-formats is CommonJS; its default export is the plugin.
  const mod = formatsModule();
  const addFormats = mod.default ?? mod;
  addFormats(instance, ['uri', 'date-time']);
  // Annotations read by our error mapper and by editors (vscode-json-languageservice).
  instance.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  instance.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  return instance;
}

/** The hash a precompiled validator records of the schema it was built from. */
export function schemaHash(kind: SchemaKind): string {
  // run-time plug-ins' fragments enter the hash only when there are any (the build's hash is unchanged)
  const extra = registeredPluginsKey(kind);
  return contentHashOf([schemaText(kind), JSON.stringify(SCHEMA_MESSAGES[kind]), ...(extra ? [extra] : [])]);
}

/**
 * The build writes each schema's validator as standalone code (dist/validate/compiled/), which
 * loads in a few milliseconds where compiling the schema takes a few hundred. It is used only
 * when it was built from the very schema text shipped beside it.
 */
function precompiled(kind: SchemaKind): ValidateFunction | undefined {
  try {
    // (through the code cache the build wrote beside it, when it is for these bytes and this Node)
    const mod = requireGenerated(requireCjs.resolve(`./compiled/${kind}.cjs`)) as { schemaHash?: string; validate?: ValidateFunction };
    return mod.schemaHash === schemaHash(kind) && typeof mod.validate === 'function' ? mod.validate : undefined;
  } catch {
    return undefined;
  }
}

/** The compiled validator for `kind` (compiled on first use, then cached). */
export function getValidator(kind: SchemaKind): ValidateFunction {
  const generation = pluginSchemaGeneration();
  const cached = validators.get(kind);
  if (cached && cached.generation === generation) return cached.validate;
  // a schema recompiled after a registration needs an instance that has not seen its $id (and
  // none is made when the precompiled validator is used: making one loads ajv and its meta-schemas)
  const v = precompiled(kind) ?? (cached ? createAjv() : (ajv ??= createAjv())).compile(schemaObject(kind));
  validators.set(kind, { generation, validate: v });
  return v;
}

/** JSON Schema validation only: every ajv error as one located SCHEMA diagnostic. */
export function validateDocument(kind: SchemaKind, doc: LoadedDoc): Diagnostic[] {
  const validate = getValidator(kind);
  if (validate(doc.data)) return [];
  return ajvErrorsToDiagnostics(validate.errors ?? [], doc, () => withRegisteredPlugins(kind, shippedSchema(kind)));
}
