/**
 * The registry provider interface. A provider is a small object with an id and a factory,
 * registered in `providers/index.ts`. Providers report failures as data (`ProviderFailure`),
 * which the resolver turns into located diagnostics naming the service and its `artifact` line.
 */
import type { Host } from '../host/index.js';
import type { RegistryConfig, VersionInfo } from '../core/model.js';
import type { ReasonFor } from '../core/reasons.js';

export type ProviderFailureCode =
  | 'PACKAGE_NOT_FOUND'
  | 'TAG_NOT_FOUND'
  | 'REGISTRY_UNAVAILABLE'
  | 'REGISTRY_AUTH';

export interface ProviderFailure {
  code: ProviderFailureCode;
  /** the rule, a reason id of `code` (docs/diagnostics.md) */
  reason?: ReasonFor<ProviderFailureCode>;
  /** Already redacted: never contains a credential. */
  message: string;
  /** The URL path of the failing request (oci), for the diagnostic. */
  path?: string;
  severity?: 'error' | 'warning';
}

export type ProviderResult<T> = { ok: true; value: T; warnings?: ProviderFailure[] } | { ok: false; failure: ProviderFailure };

/** What the resolver needs to know about one tag. */
export interface DescribeNeed {
  /** created, labels, annotations, platforms (newest-build, labels and platform filters) */
  metadata: boolean;
  /** `os/arch[/variant]`: the recorded digest becomes the matching child's */
  platform?: string;
  /** format: file: the file whose layer digest is recorded */
  file?: string;
  /** label pairs the selection or a policy asks about (har: matched against version metadata) */
  labelPairs?: [string, string][];
}

export interface ProviderContext {
  /** the registry's name in the config */
  name: string;
  config: RegistryConfig;
  /** absolute project root (the config file's directory) */
  root: string;
  host: Host;
  /** absolute directory for on-disk caches (metadata by digest) */
  cacheDir: string;
  /** overall deadline of registry requests in this run, ms (`--registry-timeout`); wins over the environment */
  deadlineMs?: number;
}

export interface Provider {
  /** Every tag of the package (all pages), in whatever order the registry gives. */
  listTags(pkg: string): Promise<ProviderResult<string[]>>;
  /** The digest (always) and, when asked, metadata of one tag. */
  describe(pkg: string, tag: string, need: DescribeNeed): Promise<ProviderResult<VersionInfo>>;
  /** `host[:port][/prefix]/package`, without tag or digest, as rendered in image references. */
  reference(pkg: string): string;
  /**
   * What the registry's own listing says about one tag (har: version id, quarantine, scan
   * verdict), without describing it; undefined when the tag is not listed. Providers whose
   * listing carries no such facts leave this out.
   */
  listed?(pkg: string, tag: string): Promise<ProviderResult<VersionInfo | undefined>>;
  /**
   * The bytes of one blob by digest (`gitopsc stage`: a `format: file` artifact's file),
   * verified against the digest; at most `maxBytes`. Providers that cannot serve bytes leave
   * this out.
   */
  fetchBlob?(pkg: string, digest: string, maxBytes: number): Promise<ProviderResult<Buffer>>;
  /**
   * The bytes of one named file of one version (`gitopsc stage` for registries whose files are
   * not content-addressed blobs, such as HAR generic packages); at most `maxBytes`. The caller
   * verifies the bytes against the lock's digest. Preferred over `fetchBlob` when present.
   */
  fetchFile?(pkg: string, version: string, file: string, digest: string, maxBytes: number): Promise<ProviderResult<Buffer>>;
  /** A manifest's exact bytes and media type by digest (`gitopsc stage`: image copies), verified. */
  fetchManifest?(pkg: string, digest: string): Promise<ProviderResult<{ bytes: Buffer; mediaType: string }>>;
  /** Persist what this run learnt (caches); called only after a run that succeeded. */
  flush?(): Promise<void>;
}

export interface ProviderKind {
  id: RegistryConfig['type'];
  create(ctx: ProviderContext): Provider;
}
