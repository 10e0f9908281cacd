/** Validation entry points: JSON Schema plus field checks, every problem a located diagnostic. */
import type { Diagnostic } from '../core/diagnostics.js';
import type { LoadedDoc } from '../load/types.js';
import { validateDocument } from './schema.js';
import { checkConfigFields, checkServiceFields } from './semantic-fields.js';

export { validateDocument, getValidator, schemaText, schemaObject, schemaFileUrl } from './schema.js';
export { SCHEMA_IDS, SCHEMA_KINDS, type SchemaKind } from './kinds.js';
export { LAMBDA_RUNTIMES, LAMBDA_RUNTIME_IDS, daysUntilDeprecation } from './lambda-runtimes.js';

export function validateService(doc: LoadedDoc): Diagnostic[] {
  return [...validateDocument('service', doc), ...checkServiceFields(doc)];
}

export function validateConfig(doc: LoadedDoc): Diagnostic[] {
  return [...validateDocument('config', doc), ...checkConfigFields(doc)];
}

export function validateCatalog(doc: LoadedDoc): Diagnostic[] {
  return validateDocument('catalog', doc);
}

export function validateLock(doc: LoadedDoc): Diagnostic[] {
  return validateDocument('lock', doc);
}
