import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { error } from '../../diagnostics.js';
import type { CommandResult } from '../types.js';

export const SCHEMA_NAMES = ['service', 'config', 'catalog', 'lock'] as const;

export function run(name: string): CommandResult {
  if (!(SCHEMA_NAMES as readonly string[]).includes(name)) {
    return { diagnostics: [error('USAGE', `unknown schema "${name}": one of ${SCHEMA_NAMES.join(', ')}`)] };
  }
  const text = readFileSync(fileURLToPath(new URL(`../../../schemas/${name}.schema.json`, import.meta.url)), 'utf8');
  return { diagnostics: [], stdout: text.endsWith('\n') ? text : text + '\n', data: { schema: JSON.parse(text) as unknown } };
}
