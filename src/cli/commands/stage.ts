/**
 * `gitopsc stage`: put each resolved Lambda zip where the function can load it (S3, at a
 * content-addressed key), verified against the lock, and record where in the lock.
 */
import { dirname, join } from 'node:path';
import { openInputCache } from '../../cache/store.js';
import { error, hasErrors, type Diagnostic } from '../../diagnostics.js';
import type { StagedCode } from '../../model.js';
import { compile, fsSource } from '../../pipeline.js';
import { serializeLock } from '../../resolve/lock.js';
import { reasonOf } from '../../source/errors.js';
import { codeSha256, MAX_ZIP_BYTES, planStage, verifyBytes, withStaged, type ZipJob } from '../../stage/plan.js';
import { openS3, type S3Store } from '../../stage/s3.js';
import { escapingPath, writeFileAtomic } from '../../write/apply.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult, plural } from './common.js';
import { providersFor } from './resolve.js';

export interface StageOptions {
  env?: string[];
}

interface StagedRow extends StagedCode {
  service: string;
  environment: string;
  uploaded: boolean;
}

export async function run(ctx: CommandContext, opts: StageOptions): Promise<CommandResult> {
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const state = await compile(fsSource(found.root), { ...found, envs: opts.env, lazy: true, cache: openInputCache(found.root) });
  const diagnostics: Diagnostic[] = [...state.diagnostics];
  const project = state.project;
  if (!project || !state.lock || hasErrors(diagnostics)) return { diagnostics, data: { staged: [] } };
  const plan = planStage(project, state.lock, opts.env);
  diagnostics.push(...plan.diagnostics);
  const lockEscape = escapingPath(found.root, dirname(join(found.root, project.lockFile)));
  if (lockEscape) diagnostics.push(error('FILESYSTEM', `refusing to write ${project.lockFile} through ${lockEscape}: a symbolic link out of the project`, { file: project.lockFile }));
  if (hasErrors(diagnostics)) return { diagnostics, data: { staged: [] } };

  const providers = await providersFor(ctx, found.root, project, new Set(plan.zips.map((z) => z.registry)));
  const stores = new Map<string, S3Store>();
  const storeFor = (region: string | undefined) => {
    let s = stores.get(region ?? '');
    if (!s) stores.set(region ?? '', (s = openS3({ env: ctx.host.env, ...(region ? { region } : {}) })));
    return s;
  };
  const at = (z: ZipJob) => ({ file: z.file, line: z.line, column: z.column, service: z.service, environment: z.environment });
  const bytesByDigest = new Map<string, Promise<{ ok: true; bytes: Buffer } | { ok: false; diagnostic: Omit<Diagnostic, 'file' | 'line' | 'column'> }>>();
  const puts = new Map<string, Promise<{ ok: true; uploaded: boolean; versionId?: string } | { ok: false; message: string }>>();
  const rows: StagedRow[] = [];
  try {
    // one zip at a time: memory stays at one file, and S3 sees no burst
    for (const z of plan.zips) {
      const provider = providers.get(z.registry)!;
      const blobKey = `${z.registry}\u0000${z.package}\u0000${z.fileDigest}`;
      let fetched = bytesByDigest.get(blobKey);
      if (!fetched) {
        fetched = (async () => {
          if (!provider.fetchBlob) {
            return { ok: false as const, diagnostic: error('STAGE', `registry "${z.registry}" (${project.config.registries?.[z.registry]?.type ?? '?'}) cannot serve file bytes; stage zips from an oci registry`) };
          }
          const r = await provider.fetchBlob(z.package, z.fileDigest, MAX_ZIP_BYTES);
          if (!r.ok) return { ok: false as const, diagnostic: error(r.failure.code === 'REGISTRY_AUTH' ? 'REGISTRY_AUTH' : 'REGISTRY_UNAVAILABLE', r.failure.message) };
          const problem = verifyBytes(z, r.value);
          if (problem) return { ok: false as const, diagnostic: error('REGISTRY_UNAVAILABLE', problem) };
          return { ok: true as const, bytes: r.value };
        })();
        bytesByDigest.set(blobKey, fetched);
      }
      const got = await fetched;
      if (!got.ok) {
        diagnostics.push({ ...got.diagnostic, ...at(z) });
        continue;
      }
      const sha = codeSha256(got.bytes);
      const putKey = `${z.region ?? ''}\u0000${z.bucket}\u0000${z.key}`;
      let put = puts.get(putKey);
      if (!put) {
        put = storeFor(z.region)
          .put(z.bucket, z.key, got.bytes, sha, z.fileDigest)
          .then((r) => (r.ok ? { ok: true as const, ...r.value } : r));
        puts.set(putKey, put);
      }
      const p = await put;
      if (!p.ok) {
        diagnostics.push(error('STAGE', p.message, at(z)));
        continue;
      }
      const staged: StagedCode = { s3Bucket: z.bucket, s3Key: z.key, ...(p.versionId ? { s3ObjectVersion: p.versionId } : {}), codeSha256: sha };
      rows.push({ service: z.service, environment: z.environment, ...staged, uploaded: p.uploaded });
    }
  } finally {
    for (const s of stores.values()) s.close();
  }
  const data: Record<string, unknown> = { staged: rows, lock: project.lockFile };
  // all or nothing: the lock records staging only when every zip is in place
  if (hasErrors(diagnostics)) return { diagnostics, data };
  const text = serializeLock(withStaged(state.lock, rows.map((r) => ({ service: r.service, environment: r.environment, staged: stagedOf(r) }))));
  const lines = rows.map((r) => `${r.service} (${r.environment}): s3://${r.s3Bucket}/${r.s3Key} ${r.uploaded ? 'uploaded' : 'already there'}`);
  if (text !== state.lockText) {
    try {
      await writeFileAtomic(join(found.root, project.lockFile), text);
    } catch (e) {
      diagnostics.push(error('FILESYSTEM', `cannot write ${project.lockFile}: ${reasonOf(e)}`, { file: project.lockFile }));
      return { diagnostics, data };
    }
    lines.push(`wrote ${project.lockFile}`);
  }
  lines.push(`staged ${plural(rows.length, 'zip')} (${rows.filter((r) => r.uploaded).length} uploaded)`);
  return { diagnostics, data, lines };
}

function stagedOf(r: StagedRow): StagedCode {
  const { service: _s, environment: _e, uploaded: _u, ...staged } = r;
  return staged;
}
