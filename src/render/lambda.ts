/**
 * The `lambda` view of the template context: what every Lambda output (aws-cli, ack, harness,
 * cloudformation) needs, computed once from the effective spec, the lock entry and the
 * environment's AWS target. Pure.
 */
import type { AwsTarget, LambdaOutput, LockEntry, ProjectConfig } from '../core/model.js';
import { referenceFor } from '../resolve/reference.js';
import { lambdaPlatform } from '../project/effective.js';

export const LAMBDA_OUTPUTS: readonly LambdaOutput[] = ['aws-cli', 'ack', 'harness', 'cloudformation'];
export const DEFAULT_LAMBDA_OUTPUTS: readonly LambdaOutput[] = ['aws-cli'];

/** Where and for whom a Lambda unit renders: chosen in the config (`lambda.outputs`, `aws`). */
export interface LambdaTarget {
  outputs: LambdaOutput[];
  aws: AwsTarget;
  /** `host/repository` of the service's ECR mirror (`spec.lambda.mirror`), when it names one */
  mirror?: string;
}

export interface LambdaInputs {
  service: string;
  environment: string;
  spec: Record<string, unknown>;
  format: 'image' | 'file';
  package: string;
  file?: string;
  /** host[:port][/prefix]/package of the source registry */
  reference: string;
  lock: LockEntry;
  /** metadata.labels of the service (added to every rendered resource) */
  labels: Record<string, string>;
  target: LambdaTarget;
}

function sortedRecord<T>(entries: [string, T][]): Record<string, T> {
  const o: Record<string, T> = {};
  for (const [k, v] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) o[k] = v;
  return o;
}

/** Expand `{package}`, `{tag}`, `{file}`, `{digest}`, `{fileDigest}`, `{service}`, `{environment}`, `{region}`, `{account}`. */
/** The S3 key of a zip when `code.s3Key` is not given: content-addressed by the file's digest (where `gitopsc stage` uploads). */
export const DEFAULT_S3_KEY = '{package}/{fileDigest}/{file}';

export function expandKey(template: string, values: Record<string, string | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
}

/** Lambda's CodeSha256: base64 of the raw SHA-256, from a `sha256:<hex>` digest. */
export function codeSha256(digest: string | undefined): string | undefined {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest ?? '');
  return m ? Buffer.from(m[1]!, 'hex').toString('base64') : undefined;
}

/** Platform of a Lambda architecture, as OCI indexes name it. */

/** `<account>.dkr.ecr.<region>.amazonaws.com[.cn]`: the ECR registry host parts, or undefined. */
export function ecrHost(host: string): { account: string; region: string } | undefined {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$/.exec(host);
  return m ? { account: m[1]!, region: m[2]! } : undefined;
}

export function lambdaView(u: LambdaInputs): Record<string, unknown> {
  const { spec, lock } = u;
  const zip = u.format === 'file';
  const staged = lock.staged ?? {};
  const aws = u.target.aws;
  const code = (spec.code ?? {}) as { s3Bucket?: string; s3Key?: string; s3ObjectVersion?: string };
  const keyValues = {
    package: u.package,
    tag: lock.tag,
    file: u.file,
    digest: lock.digest,
    fileDigest: lock.fileDigest,
    service: u.service,
    environment: u.environment,
    region: aws.region,
    account: aws.account,
  };
  // Lambda takes `repo:tag` or `repo@digest`, not both; a digest pins exactly what runs.
  const imageUri = staged.imageUri ?? (u.target.mirror && lock.digest ? `${u.target.mirror}@${lock.digest}` : lock.digest ? `${u.reference}@${lock.digest}` : `${u.reference}:${lock.tag}`);
  const s3 = zip
    ? {
        bucket: staged.s3Bucket ?? code.s3Bucket ?? '',
        key: staged.s3Key ?? expandKey(code.s3Key ?? DEFAULT_S3_KEY, keyValues),
        ...((staged.s3ObjectVersion ?? code.s3ObjectVersion) ? { objectVersion: staged.s3ObjectVersion ?? code.s3ObjectVersion } : {}),
      }
    : undefined;
  const sha = zip ? (staged.codeSha256 ?? codeSha256(lock.fileDigest)) : undefined;
  // metadata.labels are added to every rendered resource; spec.lambda.tags win. The Kubernetes
  // recommended labels (app.kubernetes.io/*) mean nothing to Lambda and are not tags.
  const userTags = (spec.tags ?? {}) as Record<string, string>;
  const tags = sortedRecord(Object.entries({ ...u.labels, ...userTags }));
  const alias = spec.alias as { name: string; description?: string; functionVersion?: string } | undefined;
  const codeDigest = zip ? lock.fileDigest : lock.digest;
  const hex = /^sha256:([0-9a-f]{64})$/.exec(codeDigest ?? '')?.[1];
  return {
    zip,
    packageType: zip ? 'Zip' : 'Image',
    code: zip ? { S3Bucket: s3!.bucket, S3Key: s3!.key, ...(s3!.objectVersion ? { S3ObjectVersion: s3!.objectVersion } : {}) } : { ImageUri: imageUri },
    s3,
    imageUri: zip ? undefined : imageUri,
    codeSha256: sha ?? '',
    architectures: (spec.architectures as string[] | undefined) ?? ['x86_64'],
    platform: lambdaPlatform(spec.architectures),
    variables: (spec.environment ?? {}) as Record<string, string>,
    layers: zip ? ((spec.layers as string[] | undefined) ?? []) : [],
    tags,
    tagList: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    publish: spec.publish !== false,
    alias: alias ? { ...alias, functionVersion: alias.functionVersion ?? '$LATEST' } : undefined,
    region: aws.region ?? '',
    account: aws.account ?? '',
    outputs: u.target.outputs,
    /** names Kubernetes objects (ack) and versions (cloudformation) can carry */
    versionDescription: `${lock.tag}${codeDigest ? ` ${codeDigest}` : ''}`.slice(0, 256),
    ack: {
      aliasName: alias ? `${u.service}-${alias.name.toLowerCase().replace(/_/g, '-')}`.slice(0, 253) : '',
      versionName: `${u.service}-${hex ? hex.slice(0, 12) : lock.tag.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 253).replace(/-+$/, ''),
    },
  };
}

/** The config's Lambda outputs, the environment's AWS region/account and the service's ECR mirror. */
export function lambdaTarget(config: ProjectConfig, env: string, spec: Record<string, unknown>, pkg: string): LambdaTarget {
  const over = config.environments?.find((e) => e.name === env)?.aws;
  const aws = { ...config.aws, ...over };
  const mirror = spec.mirror as { registry: string; repository?: string } | undefined;
  const mirrorConfig = mirror ? config.registries?.[mirror.registry] : undefined;
  return {
    outputs: [...(config.lambda?.outputs ?? DEFAULT_LAMBDA_OUTPUTS)],
    aws: { ...(aws.region ? { region: aws.region } : {}), ...(aws.account ? { account: aws.account } : {}) },
    ...(mirror && mirrorConfig ? { mirror: referenceFor(mirrorConfig, mirror.repository ?? pkg) } : {}),
  };
}
