/**
 * How an environment's override applies to a service's base spec (contract: mappings merge,
 * arrays and scalars replace). Pure; shared by validation, the effective spec and the checks.
 */

/** Deep merge for overrides: mappings merge, everything else replaces. Never touches prototypes. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = {};
  // Object.keys: the same own enumerable keys in the same order as Object.entries, without a pair per key
  for (const k of Object.keys(base)) if (k !== '__proto__') out[k] = base[k];
  for (const k of Object.keys(over)) if (k !== '__proto__') out[k] = deepMerge(out[k], over[k]);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
