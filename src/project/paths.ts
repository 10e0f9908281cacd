import { posix } from 'node:path';

/**
 * A project-relative path from user input, normalised; undefined when it is absolute or
 * escapes the project root (`../x`, `a/../../x`). Paths from user input never leave the root.
 */
export function safeRelative(p: string): string | undefined {
  if (p.includes('\0') || p.includes('\\')) return undefined;
  if (posix.isAbsolute(p) || /^[A-Za-z]:/.test(p)) return undefined;
  const n = posix.normalize(p).replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../')) return undefined;
  return n === '' ? '.' : n;
}
