/**
 * `gitopsc stage`: put each resolved Lambda zip where the function can load it (S3, at a
 * content-addressed key), verified against the lock, and record where in the lock.
 */
import { dirname, join } from 'node:path';
import { openInputCache } from '../../build/store.js';
import { error, hasErrors, type Diagnostic } from '../../core/diagnostics.js';
import type { ReasonFor } from '../../core/reasons.js';
import type { StagedCode } from '../../core/model.js';
import { compile, fsSource } from '../../pipeline.js';
import { serializeLock } from '../../resolve/lock.js';
import { reasonOf } from '../../host/fs.js';
import { blobsOf, codeSha256, isIndex, MAX_ZIP_BYTES, pickPlatform, planImages, planStage, verifyBytes, withStaged, type ImageJob, type ZipJob } from '../../stage/plan.js';
import { createPusher, type Pusher } from '../../stage/oci-push.js';
import type { Provider, ProviderFailure } from '../../resolve/provider.js';
import type { Project } from '../../project/types.js';
import { referenceFor } from '../../resolve/reference.js';
import type { Host } from '../../host/index.js';
import { openS3, type S3Store } from '../../stage/s3.js';
import { escapingPath, writeFileAtomic } from '../../host/fs.js';
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
  const imagePlan = planImages(project, state.lock, opts.env);
  diagnostics.push(...plan.diagnostics, ...imagePlan.diagnostics);
  const lockEscape = escapingPath(found.root, dirname(join(found.root, project.lockFile)));
  if (lockEscape) diagnostics.push(error('FILESYSTEM', `refusing to write ${project.lockFile} through ${lockEscape}: a symbolic link out of the project`, { reason: 'symlink-outside', file: project.lockFile }));
  if (hasErrors(diagnostics)) return { diagnostics, data: { staged: [] } };

  const providers = await providersFor(ctx.host, found.root, project, new Set([...plan.zips.map((z) => z.registry), ...imagePlan.images.map((i) => i.registry)]), ctx.global.registryTimeoutMs);
  const stores = new Map<string, S3Store>();
  const storeFor = (region: string | undefined) => {
    let s = stores.get(region ?? '');
    if (!s) stores.set(region ?? '', (s = openS3({ env: ctx.host.env, ...(region ? { region } : {}) })));
    return s;
  };
  const at = (z: ZipJob) => ({ file: z.file, line: z.line, column: z.column, service: z.service, environment: z.environment });
  const bytesByDigest = new Map<string, Promise<{ ok: true; bytes: Buffer } | { ok: false; diagnostic: Omit<Diagnostic, 'file' | 'line' | 'column'> }>>();
  const puts = new Map<string, Promise<{ ok: true; uploaded: boolean; versionId?: string } | { ok: false; message: string; reason: ReasonFor<'STAGE'> }>>();
  const rows: StagedRow[] = [];
  try {
    // one zip at a time: memory stays at one file, and S3 sees no burst
    for (const z of plan.zips) {
      const provider = providers.get(z.registry)!;
      const blobKey = `${z.registry}\u0000${z.package}\u0000${z.fileDigest}`;
      let fetched = bytesByDigest.get(blobKey);
      if (!fetched) {
        fetched = (async () => {
          const type = project.config.registries?.[z.registry]?.type ?? '?';
          if (!provider.fetchFile && !provider.fetchBlob) {
            return { ok: false as const, diagnostic: error('STAGE', `registry "${z.registry}": a ${type} registry serves no file bytes; stage zips from an oci or har registry`, { reason: 'no-file-bytes' }) };
          }
          // HAR generic packages have no OCI API: their files come by name from the package API
          const r = provider.fetchFile ? await provider.fetchFile(z.package, z.tag, z.fileName, z.fileDigest, MAX_ZIP_BYTES) : await provider.fetchBlob!(z.package, z.fileDigest, MAX_ZIP_BYTES);
          if (!r.ok) return { ok: false as const, diagnostic: r.failure.code === 'REGISTRY_AUTH' ? error('REGISTRY_AUTH', r.failure.message, { reason: r.failure.reason as ReasonFor<'REGISTRY_AUTH'> }) : error('REGISTRY_UNAVAILABLE', r.failure.message, { reason: r.failure.reason as ReasonFor<'REGISTRY_UNAVAILABLE'> }) };
          const problem = verifyBytes(z, r.value);
          if (problem) return { ok: false as const, diagnostic: error('REGISTRY_UNAVAILABLE', problem, { reason: 'content-mismatch' }) };
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
        diagnostics.push(error('STAGE', p.message, { ...at(z), reason: p.reason }));
        continue;
      }
      const staged: StagedCode = { s3Bucket: z.bucket, s3Key: z.key, ...(p.versionId ? { s3ObjectVersion: p.versionId } : {}), codeSha256: sha };
      rows.push({ service: z.service, environment: z.environment, ...staged, uploaded: p.uploaded });
    }
  } finally {
    for (const s of stores.values()) s.close();
  }
  const pushers = new Map<string, Pusher>();
  for (const img of imagePlan.images) {
    const r = await copyImage(img, project, providers.get(img.registry)!, pushers, ctx.host);
    if (!r.ok) diagnostics.push(error(r.code, r.message, { reason: r.reason, file: img.file, line: img.line, column: img.column, service: img.service, environment: img.environment }));
    else rows.push({ service: img.service, environment: img.environment, imageUri: r.imageUri, uploaded: r.copied > 0 });
  }
  const data: Record<string, unknown> = { staged: rows, lock: project.lockFile };
  // all or nothing: the lock records staging only when every zip is in place
  if (hasErrors(diagnostics)) return { diagnostics, data };
  const text = serializeLock(withStaged(state.lock, rows.map((r) => ({ service: r.service, environment: r.environment, staged: stagedOf(r) }))));
  const lines = rows.map((r) => `${r.service} (${r.environment}): ${r.imageUri ?? `s3://${r.s3Bucket}/${r.s3Key}`} ${r.uploaded ? 'uploaded' : 'already there'}`);
  if (text !== state.lockText) {
    try {
      await writeFileAtomic(join(found.root, project.lockFile), text);
    } catch (e) {
      diagnostics.push(error('FILESYSTEM', `cannot write ${project.lockFile}: ${reasonOf(e)}`, { reason: 'unwritable', file: project.lockFile }));
      return { diagnostics, data };
    }
    lines.push(`wrote ${project.lockFile}`);
  }
  lines.push(`staged ${plural(rows.length, 'artifact')} (${rows.filter((r) => r.uploaded).length} uploaded)`);
  return { diagnostics, data, lines };
}

function stagedOf(r: StagedRow): StagedCode {
  const { service: _s, environment: _e, uploaded: _u, ...staged } = r;
  return staged;
}

type CopyOutcome = { ok: true; imageUri: string; copied: number } | { ok: false; code: 'REGISTRY_UNAVAILABLE' | 'REGISTRY_AUTH' | 'STAGE'; reason?: ReasonFor<'REGISTRY_UNAVAILABLE' | 'REGISTRY_AUTH' | 'STAGE'>; message: string };

const failed = (f: ProviderFailure): CopyOutcome => ({ ok: false, code: f.code === 'REGISTRY_AUTH' ? 'REGISTRY_AUTH' : 'REGISTRY_UNAVAILABLE', reason: f.reason as ReasonFor<'REGISTRY_UNAVAILABLE' | 'REGISTRY_AUTH'>, message: f.message });

/** Largest blob copied through memory (a layer). */
const MAX_LAYER_BYTES = 1024 * 1024 * 1024;

/**
 * Copies one platform manifest (never the index), its config and its layers into the mirror by
 * the OCI distribution API: blobs the mirror has are skipped, blobs of the same registry are
 * mounted, others uploaded (verified by digest on both sides); the manifest goes last, by digest.
 */
async function copyImage(img: ImageJob, project: Project, source: Provider, pushers: Map<string, Pusher>, host: Host): Promise<CopyOutcome> {
  const mirrorConfig = project.config.registries![img.mirrorRegistry]!;
  let pusher = pushers.get(img.mirrorRegistry);
  if (!pusher) {
    const p = createPusher(img.mirrorRegistry, mirrorConfig, host);
    if (!p.ok) return failed(p.failure);
    pushers.set(img.mirrorRegistry, (pusher = p.value));
  }
  if (!source.fetchManifest || !source.fetchBlob) return { ok: false, code: 'STAGE', reason: 'no-image-bytes', message: `registry "${img.registry}" cannot serve image bytes; copy images from an oci registry` };
  let m = await source.fetchManifest(img.package, img.digest);
  if (!m.ok) return failed(m.failure);
  let digest = img.digest;
  let parsed = JSON.parse(m.value.bytes.toString('utf8')) as unknown;
  if (isIndex(parsed, m.value.mediaType)) {
    const child = pickPlatform(parsed, img.platform);
    if (!child.ok) return { ok: false, code: 'STAGE', reason: 'no-platform', message: `${img.package}:${img.tag}: ${child.message}` };
    digest = child.digest;
    m = await source.fetchManifest(img.package, digest);
    if (!m.ok) return failed(m.failure);
    parsed = JSON.parse(m.value.bytes.toString('utf8')) as unknown;
    if (isIndex(parsed, m.value.mediaType)) return { ok: false, code: 'STAGE', reason: 'nested-index', message: `${img.package}:${img.tag}: the ${img.platform} entry is itself an index` };
  }
  const blobs = blobsOf(parsed);
  if (!blobs.ok) return { ok: false, code: 'STAGE', reason: 'bad-manifest', message: `${img.package}@${digest}: ${blobs.message}` };
  const sourceConfig = project.config.registries![img.registry]!;
  // the mirror is push-capable (oci): a source of the same type at the same URL is the same registry
  const sameRegistry = sourceConfig.type === mirrorConfig.type && sourceConfig.url === mirrorConfig.url;
  const fromRepo = [sourceConfig.prefix?.replace(/^\/+|\/+$/g, ''), img.package].filter(Boolean).join('/');
  const repo = [mirrorConfig.prefix?.replace(/^\/+|\/+$/g, ''), img.mirrorRepository].filter(Boolean).join('/');
  let copied = 0;
  for (const b of blobs.blobs) {
    const has = await pusher.hasBlob(repo, b.digest);
    if (!has.ok) return failed(has.failure);
    if (has.value) continue;
    copied++;
    if (sameRegistry) {
      const mounted = await pusher.mount(repo, b.digest, fromRepo);
      if (!mounted.ok) return failed(mounted.failure);
      if (mounted.value) continue;
    }
    const bytes = await source.fetchBlob(img.package, b.digest, MAX_LAYER_BYTES);
    if (!bytes.ok) return failed(bytes.failure);
    const up = await pusher.upload(repo, b.digest, bytes.value);
    if (!up.ok) return failed(up.failure);
  }
  const put = await pusher.putManifest(repo, digest, m.value.bytes, m.value.mediaType);
  if (!put.ok) return failed(put.failure);
  return { ok: true, imageUri: `${referenceFor(mirrorConfig, img.mirrorRepository)}@${digest}`, copied };
}
