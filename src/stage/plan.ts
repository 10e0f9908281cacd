/**
 * `gitopsc stage`, the pure part: which lock entries have code to put where (Lambda zips to
 * S3), the checks on the bytes before upload, and the lock with what staging recorded.
 * The S3 client is src/stage/s3.ts; the registry side is the provider's `fetchBlob`.
 */
import { error, type Diagnostic } from '../core/diagnostics.js';
import type { LockEntry, StagedCode } from '../core/model.js';
import { digestOf, sha256Base64 } from '../core/hash.js';
import { effectiveService, lambdaPlatform } from '../project/effective.js';
import type { Project } from '../project/types.js';
import { DEFAULT_S3_KEY, expandKey, lambdaTarget } from '../render/lambda.js';
import { fingerprint, lockKey, type Lock } from '../resolve/lock.js';

/** What every staging job names: the unit, where diagnostics point, and the locked artifact. */
interface StageJob {
  service: string;
  environment: string;
  /** project-relative service file and the position diagnostics point at */
  file: string;
  line: number;
  column: number;
  registry: string;
  package: string;
  tag: string;
}

/** One zip to put in S3 for one service in one environment. */
export interface ZipJob extends StageJob {
  /** the file's name in the artifact (`artifact.file`) */
  fileName: string;
  /** the lock's digest of the file's bytes */
  fileDigest: string;
  bucket: string;
  key: string;
  /** the environment's region from the config, when it names one */
  region?: string;
}

export interface StagePlan {
  zips: ZipJob[];
  diagnostics: Diagnostic[];
}

/** Largest zip staged (Lambda: 250 MB unzipped; the zip cannot be bigger). */
export const MAX_ZIP_BYTES = 256 * 1024 * 1024;

const PLACEHOLDER = /\{\w+\}/;

/**
 * The zips to stage: every Lambda service with a `format: file` artifact, in every selected
 * environment, from its lock entry. A missing or stale entry is LOCK_STALE (run resolve first).
 */
export function planStage(project: Project, lock: Lock, envs?: readonly string[]): StagePlan {
  const zips: ZipJob[] = [];
  const diagnostics: Diagnostic[] = [];
  const environments = project.environments.filter((e) => !envs || envs.includes(e.name));
  for (const decl of project.services) {
    for (const env of environments) {
      const eff = effectiveService(decl, env.name);
      if (eff.target !== 'lambda' || (eff.artifact.format ?? 'image') !== 'file') continue;
      const at = (path: (string | number)[], target: 'key' | 'value' = 'key') => ({ file: decl.file, ...decl.doc.position(path, target), service: decl.name, environment: env.name });
      const entry = lock.get(lockKey(decl.name, env.name));
      if (!entry || entry.fingerprint !== fingerprint(eff.artifact)) {
        diagnostics.push(error('LOCK_STALE', `${decl.name} (${env.name}): ${entry ? 'the selection criteria changed since the lock was written' : `no entry in ${project.lockFile}`}: run \`gitopsc resolve\` before \`gitopsc stage\``, { ...at(eff.artifactPath), reason: entry ? 'criteria-changed' : 'no-entry' }));
        continue;
      }
      if (!entry.fileDigest || !eff.artifact.file) {
        diagnostics.push(error('LOCK_STALE', `${decl.name} (${env.name}): the lock entry has no fileDigest for ${eff.artifact.file ?? 'the file'}: run \`gitopsc resolve --update ${decl.name}\``, { ...at(eff.artifactPath), reason: 'no-file-digest' }));
        continue;
      }
      const code = (eff.spec.code ?? {}) as { s3Bucket?: string; s3Key?: string };
      const codePath = ['spec', 'lambda', 'code'];
      if (!code.s3Bucket) {
        diagnostics.push(error('SCHEMA', `${decl.name} (${env.name}): lambda.code.s3Bucket is required to stage a zip`, { ...at(['spec', 'lambda']), reason: 'required' }));
        continue;
      }
      // the same region, account and key the Lambda outputs render (src/render/lambda.ts)
      const aws = lambdaTarget(project.config, env.name, eff.spec, eff.artifact.package).aws;
      const key = expandKey(code.s3Key ?? DEFAULT_S3_KEY, { ...keyValues(decl.name, env.name, eff.artifact.package, eff.artifact.file, entry), region: aws.region, account: aws.account });
      const keyProblem = s3KeyProblem(key);
      if (keyProblem) {
        diagnostics.push(error('SCHEMA', `${decl.name} (${env.name}): the S3 key ${JSON.stringify(key)} ${keyProblem}`, { ...at([...codePath, 's3Key'], 'value'), reason: 'invalid-s3-key' }));
        continue;
      }
      const region = aws.region;
      const pos = decl.doc.position(eff.artifactPath, 'key');
      zips.push({
        service: decl.name,
        environment: env.name,
        file: decl.file,
        line: pos.line,
        column: pos.column,
        registry: eff.artifact.registry,
        package: eff.artifact.package,
        tag: entry.tag,
        fileName: eff.artifact.file,
        fileDigest: entry.fileDigest,
        bucket: code.s3Bucket,
        key,
        ...(typeof region === 'string' && region ? { region } : {}),
      });
    }
  }
  return { zips, diagnostics };
}

function keyValues(service: string, environment: string, pkg: string, file: string, entry: LockEntry): Record<string, string | undefined> {
  return { package: pkg, tag: entry.tag, file, digest: entry.digest, fileDigest: entry.fileDigest, service, environment };
}

/** Why an expanded key cannot be an S3 object key (undefined: it can). */
export function s3KeyProblem(key: string): string | undefined {
  const m = PLACEHOLDER.exec(key);
  if (m) return `still contains ${m[0]}: placeholders are {package}, {tag}, {file}, {digest}, {fileDigest}, {service}, {environment}, {region}, {account}`;
  if (!key) return 'is empty';
  if (Buffer.byteLength(key) > 1024) return 'is longer than 1024 bytes';
  if (key.startsWith('/')) return 'starts with "/"';
  if (key.split('/').some((s) => s === '.' || s === '..')) return 'has a "." or ".." segment';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'contains a control character';
  return undefined;
}

/** The content digest of bytes in the form of `digest` (`sha256:` or `sha512:`). */
export function digestOfBytes(bytes: Uint8Array, digest: string): string {
  const alg = digest.startsWith('sha512:') ? 'sha512' : 'sha256';
  return digestOf(bytes, alg);
}

/** Lambda's CodeSha256: the base64 SHA-256 of the zip. */
export function codeSha256(bytes: Uint8Array): string {
  return sha256Base64(bytes);
}

/** The bytes fetched for a job are exactly the ones the lock pinned (checked again before upload). */
export function verifyBytes(job: Pick<ZipJob, 'fileDigest' | 'package' | 'tag' | 'fileName'>, bytes: Uint8Array): string | undefined {
  const actual = digestOfBytes(bytes, job.fileDigest);
  if (actual === job.fileDigest) return undefined;
  return `${job.package}:${job.tag} ${job.fileName}: the registry served bytes whose digest is ${actual}, not the locked ${job.fileDigest}; nothing was uploaded`;
}

/** The lock with `staged` recorded for each (service, environment). Pure: the input is not changed. */
export function withStaged(lock: Lock, staged: ReadonlyArray<{ service: string; environment: string; staged: StagedCode }>): Lock {
  const next: Lock = new Map(lock);
  for (const s of staged) {
    const k = lockKey(s.service, s.environment);
    const e = next.get(k);
    if (e) next.set(k, { ...e, staged: s.staged });
  }
  return next;
}

/** One image to copy into an ECR mirror for one Lambda service in one environment. */
export interface ImageJob extends StageJob {
  /** the lock's digest: a single-platform manifest, or an index to pick the platform from */
  digest: string;
  /** `linux/amd64` or `linux/arm64`, from `architectures` */
  platform: string;
  mirrorRegistry: string;
  mirrorRepository: string;
}

/**
 * The images to copy: every Lambda image function (`format: image`) whose spec names a
 * `mirror: { registry, repository? }`. The mirror must be an `oci` registry of the config.
 */
export function planImages(project: Project, lock: Lock, envs?: readonly string[]): { images: ImageJob[]; diagnostics: Diagnostic[] } {
  const images: ImageJob[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const decl of project.services) {
    for (const env of project.environments.filter((e) => !envs || envs.includes(e.name))) {
      const eff = effectiveService(decl, env.name);
      if (eff.target !== 'lambda' || (eff.artifact.format ?? 'image') !== 'image') continue;
      const mirror = eff.spec.mirror as { registry?: string; repository?: string } | undefined;
      if (!mirror?.registry) continue;
      const at = (path: (string | number)[]) => ({ file: decl.file, ...decl.doc.position(path, 'value'), service: decl.name, environment: env.name });
      const entry = lock.get(lockKey(decl.name, env.name));
      if (!entry || entry.fingerprint !== fingerprint(eff.artifact) || !entry.digest) {
        diagnostics.push(error('LOCK_STALE', `${decl.name} (${env.name}): no current lock entry with a digest: run \`gitopsc resolve\` before \`gitopsc stage\``, { ...at(eff.artifactPath), reason: 'no-entry' }));
        continue;
      }
      const reg = project.config.registries?.[mirror.registry];
      if (!reg || reg.type !== 'oci') {
        diagnostics.push(error('UNKNOWN_REGISTRY', `${decl.name} (${env.name}): lambda.mirror.registry ${JSON.stringify(mirror.registry)} is not ${reg ? 'an oci' : 'a'} registry of the config`, { ...at(['spec', 'lambda', 'mirror', 'registry']), reason: 'not-an-oci-registry' }));
        continue;
      }
      const pos = decl.doc.position(eff.artifactPath, 'key');
      images.push({
        service: decl.name,
        environment: env.name,
        file: decl.file,
        line: pos.line,
        column: pos.column,
        registry: eff.artifact.registry,
        package: eff.artifact.package,
        tag: entry.tag,
        digest: entry.digest,
        // the platform the lock pinned (effectiveService sets it from `architectures`)
        platform: eff.artifact.select?.platform ?? lambdaPlatform(eff.spec.architectures),
        mirrorRegistry: mirror.registry,
        mirrorRepository: mirror.repository ?? eff.artifact.package,
      });
    }
  }
  return { images, diagnostics };
}

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
}

const DIGEST = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;

/** Whether a manifest (parsed) is an index / manifest list. */
export function isIndex(manifest: unknown, mediaType: string): boolean {
  return /index|manifest\.list/.test(mediaType) || Array.isArray((manifest as { manifests?: unknown } | null)?.manifests);
}

/** The child of an index for `linux/<arch>` (never the index itself). */
export function pickPlatform(index: unknown, platform: string): { ok: true; digest: string } | { ok: false; message: string } {
  const [os, arch] = platform.split('/');
  const entries = ((index as { manifests?: unknown[] } | null)?.manifests ?? []) as Array<{ digest?: unknown; platform?: { os?: unknown; architecture?: unknown } }>;
  const hit = entries.filter((e) => e.platform?.os === os && e.platform?.architecture === arch && typeof e.digest === 'string' && DIGEST.test(e.digest));
  if (hit.length === 0) {
    const have = entries.map((e) => `${String(e.platform?.os)}/${String(e.platform?.architecture)}`).join(', ') || 'none';
    return { ok: false, message: `the image has no ${platform} manifest (platforms: ${have}); Lambda runs one architecture, set architectures accordingly` };
  }
  return { ok: true, digest: hit[0]!.digest as string };
}

/** The blobs a single-platform manifest references: its config and layers. */
export function blobsOf(manifest: unknown): { ok: true; blobs: Descriptor[] } | { ok: false; message: string } {
  const m = manifest as { config?: Descriptor; layers?: Descriptor[] } | null;
  const all = [m?.config, ...(Array.isArray(m?.layers) ? m.layers : [])];
  const blobs: Descriptor[] = [];
  for (const d of all) {
    if (!d || typeof d.digest !== 'string' || !DIGEST.test(d.digest)) return { ok: false, message: 'the manifest has a config or layer without a valid digest' };
    if (!blobs.some((b) => b.digest === d.digest)) blobs.push(d);
  }
  return { ok: true, blobs };
}
