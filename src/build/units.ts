/**
 * The per-unit render cache: what each unit (service x environment) rendered for its exact
 * inputs, as [path, content hash] per file, keyed by the unit's input key (src/pipeline.ts). A
 * unit whose key is cached and whose files are on the output tree with those hashes is not
 * rendered at all.
 */
import { openJsonCache, toolVersion, type JsonCache } from './store.js';

export type UnitFiles = [path: string, hash: string][];

export interface UnitCache {
  get(key: string): UnitFiles | undefined;
  set(key: string, files: UnitFiles): void;
  save(): Promise<void>;
}

export function isUnitFiles(v: unknown): v is UnitFiles {
  return Array.isArray(v) && v.every((x) => Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string');
}

export function openUnitCache(root: string): UnitCache {
  const cache: JsonCache<unknown> = openJsonCache<unknown>(root, 'render', toolVersion());
  return {
    get(key) {
      const v = cache.get(key);
      return isUnitFiles(v) ? v : undefined;
    },
    set: (key, files) => cache.set(key, files),
    save: () => cache.save(),
  };
}

/** The cached files of a unit when every one is on the output tree with the cached hash. */
export function cachedUnit(cache: UnitCache, key: string, existing: ReadonlyMap<string, string>): UnitFiles | undefined {
  const files = cache.get(key);
  return files && files.every(([p, h]) => existing.get(p) === h) ? files : undefined;
}
