/**
 * The S3 side of `gitopsc stage` (host layer): one client per region through the AWS SDK's
 * standard credential chain (environment, shared config and credentials files, SSO, container
 * and instance roles). Credentials are the SDK's business: never read, logged or printed here.
 *
 * An object is put with one PUT carrying its SHA-256 (`x-amz-checksum-sha256`), so S3 stores
 * all of the bytes or none; an object already at the key with the same checksum (the metadata
 * this module sets) is not uploaded again.
 */
import type { ReasonFor } from '../core/reasons.js';
import { HeadObjectCommand, PutObjectCommand, S3Client, type S3ServiceException } from '@aws-sdk/client-s3';

/** User metadata on staged objects: the base64 SHA-256 of the bytes (Lambda's CodeSha256). */
export const SHA_METADATA = 'gitopsc-sha256';
export const DIGEST_METADATA = 'gitopsc-file-digest';

export type S3Outcome<T> = { ok: true; value: T } | { ok: false; message: string; reason: ReasonFor<'STAGE'> };

export interface PutResult {
  /** false: an object with the same checksum was already there */
  uploaded: boolean;
  versionId?: string;
}

export interface S3Store {
  put(bucket: string, key: string, body: Uint8Array, sha256: string, fileDigest: string): Promise<S3Outcome<PutResult>>;
  close(): void;
}

export interface S3Options {
  env: Readonly<Record<string, string | undefined>>;
  /** the environment's region from the config; else AWS_REGION / AWS_DEFAULT_REGION / the SDK's config files */
  region?: string;
}

function positiveInt(v: string | undefined, fallback: number): number {
  return v !== undefined && /^\d+$/.test(v.trim()) && Number(v) > 0 ? Number(v) : fallback;
}

export function openS3(o: S3Options): S3Store {
  // the SDK warns on stderr about Node < 22 once per process; not the user's concern here
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const endpoint = o.env.AWS_ENDPOINT_URL_S3 || o.env.AWS_ENDPOINT_URL || undefined;
  const region = o.region || o.env.AWS_REGION || o.env.AWS_DEFAULT_REGION || undefined;
  const timeoutMs = positiveInt(o.env.GITOPSC_S3_TIMEOUT_MS, 120_000);
  // keys in the Host's environment are used as the SDK's own chain would (it reads them first);
  // without them the chain goes on (shared files, SSO, container and instance roles)
  const credentials =
    o.env.AWS_ACCESS_KEY_ID && o.env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: o.env.AWS_ACCESS_KEY_ID, secretAccessKey: o.env.AWS_SECRET_ACCESS_KEY, ...(o.env.AWS_SESSION_TOKEN ? { sessionToken: o.env.AWS_SESSION_TOKEN } : {}) }
      : undefined;
  const client = new S3Client({
    ...(region ? { region } : {}),
    ...(credentials ? { credentials } : {}),
    // S3-compatible servers (MinIO, s3rver, LocalStack) behind a custom endpoint want path-style
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    maxAttempts: positiveInt(o.env.GITOPSC_S3_ATTEMPTS, 3),
    requestHandler: { connectionTimeout: Math.min(timeoutMs, 10_000), requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  });
  const where = (bucket: string, key: string) => `s3://${bucket}/${key}${region ? ` (${region})` : ''}`;

  return {
    close: () => client.destroy(),
    async put(bucket, key, body, sha256, fileDigest) {
      let head: { sha?: string; length?: number; versionId?: string } | undefined;
      try {
        const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        head = { sha: h.Metadata?.[SHA_METADATA], length: h.ContentLength, versionId: h.VersionId };
      } catch (e) {
        // 404: not there yet; 403: without s3:ListBucket S3 answers 403 for a missing key, so the PUT decides
        const status = statusOf(e);
        if (status !== 404 && status !== 403) return { ok: false, message: `HEAD ${where(bucket, key)}: ${describe(e)}`, reason: classify(e) };
      }
      if (head && head.sha === sha256 && head.length === body.byteLength) {
        return { ok: true, value: { uploaded: false, ...(head.versionId ? { versionId: head.versionId } : {}) } };
      }
      try {
        const r = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentLength: body.byteLength,
            ContentType: 'application/zip',
            ChecksumSHA256: sha256,
            Metadata: { [SHA_METADATA]: sha256, [DIGEST_METADATA]: fileDigest },
          }),
        );
        return { ok: true, value: { uploaded: true, ...(r.VersionId ? { versionId: r.VersionId } : {}) } };
      } catch (e) {
        return { ok: false, message: `PUT ${where(bucket, key)}: ${describe(e)}; nothing was stored`, reason: classify(e) };
      }
    },
  };
}

function statusOf(e: unknown): number | undefined {
  return (e as S3ServiceException | undefined)?.$metadata?.httpStatusCode;
}

/** The STAGE reason of an SDK failure (the same cases as `describe`). */
function classify(e: unknown): ReasonFor<'STAGE'> {
  const err = e as (S3ServiceException & { code?: string; cause?: { code?: string } }) | undefined;
  const status = statusOf(e);
  const name = err?.name ?? 'Error';
  const firstLine = String(err?.message ?? e).split('\n')[0]!;
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(firstLine)) return 's3-no-credentials';
  if (/Region is missing/i.test(firstLine)) return 's3-no-region';
  if (status === 403) return 's3-access-denied';
  if (status === 404 && name === 'NoSuchBucket') return 's3-no-bucket';
  if (status !== undefined) return 's3-http-error';
  if (name === 'TimeoutError' || /timed? ?out/i.test(firstLine) || (err?.code ?? err?.cause?.code) === 'ETIMEDOUT') return 's3-timeout';
  return 's3-unreachable';
}

/** A one-line reason for an SDK failure; SDK messages name no secrets, and no stack is shown. */
function describe(e: unknown): string {
  const err = e as (S3ServiceException & { code?: string; cause?: { code?: string } }) | undefined;
  const status = statusOf(e);
  const name = err?.name ?? 'Error';
  const code = err?.code ?? err?.cause?.code;
  const firstLine = String(err?.message ?? e).split('\n')[0]!.slice(0, 300);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(firstLine)) {
    return 'no AWS credentials found by the SDK\'s standard chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, container or instance role)';
  }
  if (/Region is missing/i.test(firstLine)) return 'no region: set the environment\'s region in the config, or AWS_REGION';
  if (status === 403) return `access denied (HTTP 403 ${name}): the credentials may not write this bucket`;
  if (status === 404 && name === 'NoSuchBucket') return 'the bucket does not exist (HTTP 404 NoSuchBucket)';
  if (status !== undefined) return `HTTP ${status} ${name}${firstLine && firstLine !== name && firstLine !== 'UnknownError' ? `: ${firstLine}` : ''}`;
  if (name === 'TimeoutError' || /timed? ?out/i.test(firstLine) || code === 'ETIMEDOUT') return `timed out (${firstLine})`;
  return `${code ? `${code}: ` : ''}${firstLine}`;
}
