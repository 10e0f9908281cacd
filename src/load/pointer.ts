import type { JsonPath } from './types.js';

/**
 * The one place that turns an ajv `instancePath` (a JSON pointer, RFC 6901) into a path array.
 * `""` is the root; `/spec/ports/0/name` -> ['spec', 'ports', '0', 'name'] (array indexes stay
 * strings: `position()` reads them as indexes when the node is a sequence).
 */
export function pointerToPath(pointer: string): string[] {
  if (pointer === '' || pointer === '#') return [];
  const body = pointer.startsWith('#') ? pointer.slice(1) : pointer;
  return body
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A path for messages: `spec.kubernetes.ports[0].name`; keys that are not identifiers are quoted. */
export function pathToString(path: JsonPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number' || /^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}
