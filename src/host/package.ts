/**
 * The files gitopsc ships (`schemas/`, `templates/`, `package.json`), read from the package
 * root: two levels above this module, in src/host/ as in dist/host/. They are part of the
 * program, not the user's project, so they are read here rather than through a ProjectSource.
 */
import { existsSync, readdirSync, readFileSync, type Dirent } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../', import.meta.url);

/** Absolute path of a shipped file or directory, e.g. `schemas/service.schema.json`. */
export function packagePath(rel: string): string {
  return fileURLToPath(new URL(rel, ROOT));
}

export function readPackageText(rel: string): string {
  return readFileSync(new URL(rel, ROOT), 'utf8');
}

export function packageFileExists(rel: string): boolean {
  return existsSync(new URL(rel, ROOT));
}

/** A shipped directory's entries, sorted by name (bytewise). */
export function listPackageDir(rel: string): Dirent[] {
  return readdirSync(new URL(rel.endsWith('/') ? rel : `${rel}/`, ROOT), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

let version: string | undefined;

/** `version` of the package.json shipped beside the code. */
export function packageVersion(): string {
  return (version ??= (JSON.parse(readPackageText('package.json')) as { version: string }).version);
}
