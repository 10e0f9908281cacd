/**
 * On-disk metadata cache keyed by manifest digest. Content addressed, so entries never go stale;
 * writes are atomic (temp file + rename); unreadable or corrupt entries are ignored and
 * overwritten. Holds only public metadata, never a credential.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { FileInfo } from '../../../core/model.js';
import { DIGEST_RE } from './media.js';

export const CACHE_VERSION = 1;

/** What a manifest says of itself, for a single image, an index child or an artifact. */
interface MetaCore {
  digest: string;
  created?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  files: FileInfo[];
}

export interface ChildMeta extends MetaCore {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ManifestMeta extends MetaCore {
  v: number;
  mediaType: string;
  artifactType?: string;
  /** single image: from its config */
  platform?: { os: string; architecture: string; variant?: string };
  /** index: its platform children (attestation entries left out) */
  children?: ChildMeta[];
}

/**
 * Entries learnt in a run are kept in memory and written by `flush()`, which the CLI calls only
 * when the whole run succeeded: a failed run leaves the disk as it was.
 */
export class MetaCache {
  private readonly pending = new Map<string, ManifestMeta>();

  constructor(private readonly dir: string | undefined) {}

  async flush(): Promise<void> {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const meta of all) await this.write(meta);
  }

  private file(digest: string): string | undefined {
    if (!this.dir || !DIGEST_RE.test(digest)) return undefined;
    const [alg, hex] = digest.split(':') as [string, string];
    return path.join(this.dir, 'oci-metadata', alg, hex.slice(0, 2), `${hex}.json`);
  }

  async get(digest: string): Promise<ManifestMeta | undefined> {
    const mem = this.pending.get(digest);
    if (mem) return mem;
    const f = this.file(digest);
    if (!f) return undefined;
    try {
      const parsed = JSON.parse(await readFile(f, 'utf8')) as Partial<ManifestMeta>;
      if (!parsed || parsed.v !== CACHE_VERSION || parsed.digest !== digest || typeof parsed.mediaType !== 'string') return undefined;
      if (!parsed.labels || typeof parsed.labels !== 'object' || !Array.isArray(parsed.files)) return undefined;
      if (!parsed.annotations || typeof parsed.annotations !== 'object') return undefined;
      return parsed as ManifestMeta;
    } catch {
      return undefined;
    }
  }

  async put(meta: ManifestMeta): Promise<void> {
    if (this.file(meta.digest)) this.pending.set(meta.digest, meta);
  }

  private async write(meta: ManifestMeta): Promise<void> {
    const f = this.file(meta.digest);
    if (!f) return;
    const tmp = `${f}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(path.dirname(f), { recursive: true });
      await writeFile(tmp, JSON.stringify(meta) + '\n', { mode: 0o644 });
      await rename(tmp, f);
    } catch {
      // A cache that cannot be written only costs speed.
      await unlink(tmp).catch(() => undefined);
    }
  }
}
