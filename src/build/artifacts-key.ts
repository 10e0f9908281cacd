/**
 * The key of a compile's artifacts (publish's state memo, diff's artifact comparison): kept in
 * its own module so that `diff` does not load publish's.
 */
import { contentHash } from '../core/hash.js';
import type { CompileState, UnitJob } from '../pipeline.js';
import { referenceFor } from '../resolve/reference.js';
import { toolVersion } from './store.js';

/**
 * What the artifacts of a compile follow from, hashed: the lock's bytes (their entries: the
 * compile's `lockHash`, else its text hashed), each registry's image reference prefix (what its
 * provider puts before a package: the reference is that prefix and the package,
 * src/resolve/provider.ts joinReference), the units in order (one artifact per unit, of its
 * service and environment) and the tool's version (the code that makes them). Undefined without
 * a lock. Two compiles with the same key have the same artifacts (publish's state memo, diff).
 * (The units enter by their hash, unitsIdOf: a string of 3,000 NULs JSON-escaped cost ~20 ms.)
 */
export function artifactsKeyOf(state: Pick<CompileState, 'lockText' | 'lockHash' | 'project' | 'units'>): string | undefined {
  if (!state.project) return undefined;
  // (the hash of the bytes as read: decoding and hashing the text again costs ~20 ms at 1,000 services)
  const lock = state.lockHash !== undefined ? `b:${state.lockHash}` : state.lockText !== undefined ? `t:${contentHash(state.lockText)}` : undefined;
  if (lock === undefined) return undefined;
  const registries = Object.entries(state.project.config.registries ?? {}).map(([name, config]) => [name, referenceFor(config, '')]);
  return contentHash(JSON.stringify([toolVersion(), lock, registries, unitsIdOf(state.units)]));
}

const unitsIds = new WeakMap<readonly UnitJob[], string>();

/**
 * The units in order, by service and environment, hashed (once per list): what lines up the
 * units of two compiles (publish's known trees, src/build/publish.ts) and part of the artifacts key.
 */
export function unitsIdOf(units: readonly Pick<UnitJob, 'service' | 'environment'>[]): string {
  const known = unitsIds.get(units as readonly UnitJob[]);
  if (known !== undefined) return known;
  let ids = '';
  for (const u of units) ids += `${u.service}\u0000${u.environment}\n`;
  const id = contentHash(ids);
  unitsIds.set(units as readonly UnitJob[], id);
  return id;
}
