/**
 * One of Node's internal bindings through `process.binding` (the fs binding's stat calls, zlib's
 * crc32): the functions Node's own modules call, without the JS layer above them. Undefined where
 * using one could change what a run prints or may do: when `--pending-deprecation` wraps
 * process.binding to warn, or under the permission model, which checks in the JS layer. A caller
 * still checks what it takes against the public API before trusting it.
 */
export function nodeBinding(name: 'fs' | 'zlib'): Record<string, unknown> | undefined {
  try {
    const p = process as unknown as { binding?: ((name: string) => unknown) & { name?: string }; permission?: unknown };
    if (typeof p.binding !== 'function' || p.binding.name !== 'binding' || p.permission !== undefined) return undefined;
    const b = p.binding(name);
    return typeof b === 'object' && b !== null ? (b as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
