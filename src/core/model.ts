/**
 * The data model shared by every stage, after loading and schema validation.
 * Plain data only: no behaviour, no third-party types.
 */

export type Strategy = 'semver' | 'newest-build' | 'alphabetical' | 'numerical' | 'natural' | 'exact' | 'digest';

/** `spec.artifact.select`, section 3 of the contract. */
export interface SelectSpec {
  strategy?: Strategy;
  range?: string;
  prerelease?: 'include' | 'exclude';
  strictSemver?: boolean;
  tag?: string;
  digest?: string;
  regex?: string;
  extract?: string;
  ignore?: string[];
  order?: 'asc' | 'desc';
  platform?: string;
  labels?: Record<string, string>;
  /** har: keep only versions whose scan verdict is listed (`ALLOWED`, `WARN`, `BLOCKED`, `UNKNOWN`) */
  scan?: ScanStatus[];
}

export type ScanStatus = 'ALLOWED' | 'WARN' | 'BLOCKED' | 'UNKNOWN';

export interface ArtifactSpec {
  registry: string;
  package: string;
  format?: 'image' | 'file';
  file?: string;
  select?: SelectSpec;
}

export type EnvRef = { env: string };

/**
 * A registry entry of the config. `type` names its provider (src/resolve/providers/<type>/);
 * the fields below are those of the built-in providers, and a provider's own fields are typed
 * by its schema fragment (hence the index signature).
 */
export interface RegistryConfig {
  type: string;
  [field: string]: unknown;
  url?: string;
  prefix?: string;
  insecure?: boolean;
  auth?: { username?: EnvRef; password?: EnvRef; token?: EnvRef };
  path?: string;
  host?: string;
  /** oci only: requests in flight at once */
  concurrency?: number;
  /** har: the v3 REST API base (default the Harness gateway) */
  api?: string;
  /** har: account identifier */
  account?: string;
  /** har: registry identifier */
  registry?: string;
  org?: string;
  project?: string;
}

export interface Policy {
  requireDigest?: boolean;
  allowPrerelease?: boolean;
  allowedRegistries?: string[];
  denyTags?: string[];
  requireLabels?: Record<string, string>;
  /** the selected version's scan verdict must be one of these (har) */
  requireScan?: ScanStatus[];
}

/** Where Lambda functions live: `aws` at the top of the config, overridden per environment. */
export interface AwsTarget {
  region?: string;
  account?: string;
}

export type LambdaOutput = 'aws-cli' | 'ack' | 'harness' | 'cloudformation';

export interface EnvironmentConfig {
  name: string;
  production?: boolean;
  aws?: AwsTarget;
}

/** The config file as written, after validation. */
export interface ProjectConfig {
  services?: string[];
  environments?: EnvironmentConfig[];
  registries?: Record<string, RegistryConfig>;
  policies?: Record<string, Policy>;
  aws?: AwsTarget;
  lambda?: { outputs?: LambdaOutput[] };
  templates?: string;
  kubernetes?: { version?: string; crds?: string };
  output?: { dir?: string; kustomization?: boolean; lambdaDir?: string };
  lock?: string;
  publish?: { author?: string };
}

/** One version of a package as a provider knows it. */
export interface PlatformInfo {
  os: string;
  architecture: string;
  variant?: string;
  /** digest of the platform's child manifest, when the version is an index */
  digest?: string;
  created?: string;
}

export interface FileInfo {
  /** org.opencontainers.image.title of the layer */
  name: string;
  digest: string;
  size?: number;
  mediaType?: string;
}

export interface VersionInfo {
  tag: string;
  digest?: string;
  created?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  platforms?: PlatformInfo[];
  /** format: file: the layers of the artifact */
  files?: FileInfo[];
  /** where `created` comes from, when a provider knows several sources (har: image or HAR upload time) */
  createdSource?: string;
  /** har: the registry's id of this version */
  versionId?: string;
  /** har: quarantined versions are never selected */
  quarantined?: boolean;
  quarantineReason?: string;
  scanStatus?: ScanStatus;
}

/** A staged copy: a zip in S3 (`format: file`) or an image in an ECR mirror. */
export interface StagedRecord {
  s3Bucket?: string;
  s3Key?: string;
  s3ObjectVersion?: string;
  /** base64 SHA-256 of the zip, as Lambda reports CodeSha256 */
  codeSha256?: string;
  /** an image copied to an ECR mirror: `host/repository@digest` */
  imageUri?: string;
}

/** What `gitopsc stage` recorded for a lock entry (the outputs render from it). */
export type StagedCode = StagedRecord;

/** `spec.kubernetes` (loosely typed: the schema is the authority). */
export type KubernetesSpec = Record<string, unknown>;
export type LambdaSpec = Record<string, unknown>;

export interface ServiceFile {
  apiVersion: 'gitopsc/v1';
  kind: 'Service';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    artifact: ArtifactSpec;
    kubernetes?: KubernetesSpec;
    lambda?: LambdaSpec;
    environments?: Record<string, { artifact?: Partial<ArtifactSpec>; kubernetes?: KubernetesSpec; lambda?: LambdaSpec }>;
  };
}

/** The version one service runs in one environment. */
export interface PinnedArtifact {
  service: string;
  environment: string;
  registry: string;
  package: string;
  tag: string;
  digest?: string;
  fileDigest?: string;
  /** har: the registry's id of the version (traceability) */
  versionId?: string;
}

/** A lock entry: one per service and environment. */
export interface LockEntry extends PinnedArtifact {
  strategy: Strategy;
  /** fingerprint of the effective criteria; an entry whose fingerprint differs is stale */
  fingerprint: string;
  /** metadata kept so that render can stay offline */
  created?: string;
  labels?: Record<string, string>;
  /** runtime inputs this entry was resolved with (`<+input>` criteria) */
  input?: Record<string, string>;
  /** har: the scan verdict when the version was selected (render checks `requireScan` offline) */
  scanStatus?: ScanStatus;
  /** where `gitopsc stage` put the code (Lambda): the S3 object, or the image copied to a mirror */
  staged?: StagedRecord;
}
