/**
 * Editors (issue 15, part 7): the shipped schemas compile under ajv's strict mode with nothing
 * registered, as an editor's or another tool's validator reads them. (yaml-language-server on a
 * project made by `gitopsc init` is test/schema.editors.consumer.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { SCHEMA_KINDS } from '../src/validate/kinds.js';

const ROOT = join(import.meta.dirname, '..');
const addFormats = addFormatsModule as unknown as (a: Ajv) => void;

describe('the shipped schemas under ajv strict mode', () => {
  // strict: unknown keywords, ignored keywords and loose types are errors. The schemas use type
  // unions (standard JSON Schema: allowUnionTypes), OpenAPI's discriminator, and `required` in
  // oneOf branches naming properties defined beside them (strictRequired off): the options
  // gitopsc's own instance uses, with no keyword registered.
  it.each(SCHEMA_KINDS)('%s compiles with strict: true and only ajv-formats, no custom keywords', (kind) => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true, discriminator: true, strictRequired: false, allErrors: true });
    addFormats(ajv);
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', `${kind}.schema.json`), 'utf8')) as object;
    expect(() => ajv.compile(schema)).not.toThrow();
  });
});
