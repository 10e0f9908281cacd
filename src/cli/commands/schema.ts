/**
 * `gitopsc schema NAME` prints one JSON Schema; `gitopsc schema --write DIR` writes all of them
 * into DIR (for editors: a `$schema` path that resolves without the network).
 */
import { join, relative, resolve } from 'node:path';
import { error } from '../../core/diagnostics.js';
import { writeFileAtomic } from '../../host/fs.js';
import { readPackageText } from '../../host/package.js';
import type { CommandContext, CommandResult } from '../types.js';

export const SCHEMA_NAMES = ['service', 'config', 'catalog', 'lock'] as const;

function schemaText(name: string): string {
  const text = readPackageText(`schemas/${name}.schema.json`);
  return text.endsWith('\n') ? text : text + '\n';
}

export async function run(ctx: CommandContext, name: string | undefined, opts: { write?: string } = {}): Promise<CommandResult> {
  if (opts.write !== undefined) {
    if (name !== undefined) return { diagnostics: [error('USAGE', `schema --write writes every schema: give no name (got "${name}")`, { reason: 'bad-argument' })] };
    const dir = resolve(ctx.global.cwd, opts.write);
    const files: string[] = [];
    try {
      for (const n of SCHEMA_NAMES) {
        const file = join(dir, `${n}.schema.json`);
        await writeFileAtomic(file, schemaText(n));
        files.push(relative(ctx.global.cwd, file).split('\\').join('/') || file);
      }
    } catch (e) {
      return { diagnostics: [error('FILESYSTEM', `cannot write the schemas into ${opts.write}: ${(e as Error).message}`, { reason: 'unwritable' })] };
    }
    return { diagnostics: [], data: { files }, lines: files.map((f) => `wrote ${f}`) };
  }
  if (name === undefined || !(SCHEMA_NAMES as readonly string[]).includes(name)) {
    return { diagnostics: [error('USAGE', name === undefined ? `schema needs a name: one of ${SCHEMA_NAMES.join(', ')} (or --write DIR)` : `unknown schema "${name}": one of ${SCHEMA_NAMES.join(', ')}`, { reason: 'bad-argument' })] };
  }
  const text = schemaText(name);
  return { diagnostics: [], stdout: text, data: { schema: JSON.parse(text) as unknown } };
}
