/**
 * The key of a compile's artifacts (publish's state memo, diff's artifact comparison): kept in
 * its own module so that `diff` does not load publish's.
 */
import { contentHash } from '../core/hash.js';
import type { CompileState } from '../pipeline.js';
import { referenceFor } from '../resolve/reference.js';
import { toolVersion } from './store.js';

/**
 * What the artifacts of a compile follow from, hashed: the lock's bytes (their entries: the
 * compile's `lockHash`, else its text hashed), each registry's image reference prefix (what its
 * provider puts before a package: the reference is that prefix and the package,
 * src/resolve/provider.ts joinReference), the units in order (one artifact per unit, of its
 * service and environment) and the tool's version (the code that makes them). Undefined without
 * a lock. Two compiles with the same key have the same artifacts (publish's state memo, diff).
 */
export function artifactsKeyOf(state: Pick<CompileState, 'lockText' | 'lockHash' | 'project' | 'units'>): string | undefined {
  if (!state.project) return undefined;
  // (the hash of the bytes as read: decoding and hashing the text again costs ~20 ms at 1,000 services)
  const lock = state.lockHash !== undefined ? `b:${state.lockHash}` : state.lockText !== undefined ? `t:${contentHash(state.lockText)}` : undefined;
  if (lock === undefined) return undefined;
  const registries = Object.entries(state.project.config.registries ?? {}).map(([name, config]) => [name, referenceFor(config, '')]);
  let units = '';
  for (const u of state.units) units += `${u.service}\u0000${u.environment}\n`;
  return contentHash(JSON.stringify([toolVersion(), lock, registries, units]));
}
