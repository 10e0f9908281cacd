/**
 * What a unit rendered for an exact key (UnitJob.key, src/pipeline.ts): the path and content
 * hash of every file, and the warnings it gave. Only a render without errors is remembered, so
 * a unit found here renders cleanly; its warnings are replayed. `diff` and `publish` use it to
 * skip units whose output is known: a key equal in base and head, a file already in the
 * deployment tree; `render` the units whose files on disk already hold their output. Pure over
 * a key-value store (the `units` JsonCache of src/build/store.ts on disk).
 */
import { hasErrors, type Diagnostic } from '../core/diagnostics.js';
import { contentHash } from '../core/hash.js';
import type { RenderedFile } from '../core/types.js';
import type { UnitJob } from '../pipeline.js';

export interface KeyValue {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export interface UnitOutcome {
  /** [path, content hash] per rendered file */
  files: [string, string][];
  warnings: Diagnostic[];
}

export interface Rendered {
  files: RenderedFile[];
  diagnostics: Diagnostic[];
  /** false when the unit's output came from the memo: `files` is then empty */
  rendered: boolean;
}

function isOutcome(v: unknown): v is UnitOutcome {
  const o = v as UnitOutcome | undefined;
  if (typeof o !== 'object' || o === null || !Array.isArray(o.files) || !Array.isArray(o.warnings)) return false;
  // (a loop: asked of every unit of a project on each render)
  for (const x of o.files as unknown[]) if (!Array.isArray(x) || x.length !== 2 || typeof x[0] !== 'string' || typeof x[1] !== 'string') return false;
  return true;
}

export class UnitMemo {
  /** how many units were rendered through this memo */
  renders = 0;

  constructor(private readonly store?: KeyValue) {}

  get(key: string): UnitOutcome | undefined {
    const v = this.store?.get(`unit:${key}`);
    return isOutcome(v) ? v : undefined;
  }

  /**
   * The outcome remembered for this key when every file it names is in `existing` with the
   * remembered hash (the output tree still holds what the unit renders).
   */
  present(key: string, existing: ReadonlyMap<string, string>): UnitOutcome | undefined {
    const o = this.get(key);
    if (!o) return undefined;
    for (const f of o.files) if (existing.get(f[0]) !== f[1]) return undefined;
    return o;
  }

  /**
   * The outcome remembered for this key with every file's bytes, when `blobs` holds them all
   * (the content-addressed store of rendered bytes, src/build/pack.ts, checks them by hash).
   */
  stored<C = string>(key: string, blobs: { get(hash: string): C | undefined }): { files: { path: string; hash: string; content: C }[]; warnings: Diagnostic[] } | undefined {
    const o = this.get(key);
    if (!o) return undefined;
    const files: { path: string; hash: string; content: C }[] = [];
    for (const [path, hash] of o.files) {
      const content = blobs.get(hash);
      if (content === undefined) return undefined;
      files.push({ path, hash, content });
    }
    return { files, warnings: o.warnings };
  }

  /** `stored`, as the unit's rendered files (what diff compares and publish commits). */
  storedUnit(unit: Pick<UnitJob, 'key' | 'service' | 'environment'>, blobs: { get(hash: string): string | undefined }): { files: RenderedFile[]; warnings: Diagnostic[] } | undefined {
    const s = this.stored(unit.key, blobs);
    return s && { files: s.files.map((f) => ({ path: f.path, content: f.content, service: unit.service, environment: unit.environment })), warnings: s.warnings };
  }

  /** Render the unit and remember its outcome when it has no errors; `hashes` are the files' content hashes. */
  render(unit: Pick<UnitJob, 'key' | 'render'>): { files: RenderedFile[]; diagnostics: Diagnostic[]; hashes: string[] } {
    const r = unit.render();
    this.renders++;
    const hashes = r.files.map((f) => contentHash(f.content));
    if (!hasErrors(r.diagnostics)) {
      this.store?.set(`unit:${unit.key}`, { files: r.files.map((f, i) => [f.path, hashes[i]!]), warnings: r.diagnostics } satisfies UnitOutcome);
    }
    return { ...r, hashes };
  }
}
