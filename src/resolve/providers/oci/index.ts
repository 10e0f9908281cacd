/**
 * The `oci` registry provider: OCI Distribution / Docker Registry HTTP API v2.
 *
 * listTags: tags/list with Link pagination (same origin only, loop detection, page cap).
 * describe: HEAD the manifest for its digest; manifest and config blob only when metadata,
 * a platform or a file is needed, cached on disk by digest.
 */
import type { FileInfo, PlatformInfo, VersionInfo } from '../../../core/model.js';
import type { DescribeNeed, Provider, ProviderContext, ProviderFailure, ProviderKind, ProviderResult } from '../../provider.js';
import { defaultHelperRunner, loadCredentials } from './auth.js';
import { MetaCache, type ChildMeta, type ManifestMeta, CACHE_VERSION } from './cache.js';
import { DEFAULT_OPTIONS, RegistryClient, parseJsonBody, registryErrorCode, type HttpResponse, type OciOptions, type ResolvedOptions } from './http.js';
import {
  ANNOTATION_CREATED,
  ANNOTATION_TITLE,
  DIGEST_RE,
  DOCKER_IMAGE_CONFIG,
  MANIFEST_ACCEPT,
  OCI_EMPTY,
  OCI_IMAGE_CONFIG,
  TAG_RE,
  isIndexType,
  isLoopbackHost,
} from './media.js';
import { redactUrlValue } from '../../../core/redact.js';
import { digestOf } from '../../../core/hash.js';
import { Redactor } from './redact.js';

export type { OciOptions } from './http.js';
export type { HelperRunner } from './auth.js';

type Fail = { ok: false; failure: ProviderFailure };
type Res<T> = { ok: true; value: T } | Fail;

export interface OciProvider extends Provider {
  /** HTTP requests sent so far (every attempt and redirect hop) */
  readonly requestCount: number;
}

/** Options from the environment, so the CLI can be tuned without config changes. */
export function optionsFromEnv(env: Readonly<Record<string, string | undefined>>): OciOptions {
  const num = (k: string): number | undefined => {
    const v = env[k];
    if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
    return Number(v);
  };
  const o: OciOptions = {};
  // a timeout or deadline of 0 would fail every request: ignored like any other invalid value
  const t = num('GITOPSC_REGISTRY_TIMEOUT_MS');
  if (t) o.timeoutMs = t;
  const d = num('GITOPSC_REGISTRY_DEADLINE_MS');
  if (d) o.deadlineMs = d;
  const r = num('GITOPSC_REGISTRY_RETRIES');
  if (r !== undefined) o.retries = r;
  return o;
}

/** The client options of a provider: the environment's, with `--registry-timeout` (ctx.deadlineMs) winning. */
export function optionsFor(ctx: ProviderContext): OciOptions {
  return { ...optionsFromEnv(ctx.host.env), ...(ctx.deadlineMs ? { deadlineMs: ctx.deadlineMs } : {}) };
}

export const oci: ProviderKind = {
  id: 'oci',
  create(ctx) {
    return createOciProvider(ctx, optionsFor(ctx));
  },
};

function trimSlashes(s: string | undefined): string {
  return (s ?? '').replace(/^\/+|\/+$/g, '');
}

function validRepo(name: string): boolean {
  if (!name || name.length > 255) return false;
  return name.split('/').every((seg) => /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(seg) && seg !== '.' && seg !== '..');
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x === 'string') out[k] = x;
  }
  return out;
}

function validTime(v: unknown): string | undefined {
  return typeof v === 'string' && v && !Number.isNaN(Date.parse(v)) ? v : undefined;
}

function newest(times: Array<string | undefined>): string | undefined {
  let best: string | undefined;
  for (const t of times) if (t && (!best || Date.parse(t) > Date.parse(best))) best = t;
  return best;
}

export function platformMatches(want: string, p: { os: string; architecture: string; variant?: string }): boolean {
  const [os, arch, variant] = want.split('/');
  if (p.os !== os || p.architecture !== arch) return false;
  if (!variant) return true;
  if (p.variant === variant) return true;
  return arch === 'arm64' && variant === 'v8' && !p.variant;
}


export function createOciProvider(ctx: ProviderContext, options: OciOptions = {}): OciProvider {
  const opts: ResolvedOptions = { ...DEFAULT_OPTIONS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as ResolvedOptions;
  const redactor = new Redactor();
  const name = ctx.name;
  const prefix = trimSlashes(ctx.config.prefix);

  let base: URL | undefined;
  let configFailure: ProviderFailure | undefined;
  const fail = (message: string, code: ProviderFailure['code'], reason: ProviderFailure['reason']): ProviderFailure => ({
    code,
    reason,
    message: redactor.redact(`registry "${name}": ${message}`),
  });
  try {
    if (!ctx.config.url) throw new Error('missing');
    base = new URL(ctx.config.url);
    if (base.username || base.password) {
      redactor.add(decodeURIComponent(base.password));
      configFailure = fail('credentials in the registry URL are refused; use auth with {env: NAME} references', 'REGISTRY_AUTH', 'url-credentials');
    } else if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      configFailure = fail(`url must be https:// (got ${base.protocol})`, 'REGISTRY_UNAVAILABLE', 'bad-config');
    } else if (base.protocol === 'http:' && !ctx.config.insecure && !isLoopbackHost(base.hostname)) {
      configFailure = fail(`plain http:// to ${base.host} is allowed only for loopback hosts or with insecure: true`, 'REGISTRY_UNAVAILABLE', 'bad-config');
    }
  } catch {
    configFailure = fail(`url ${JSON.stringify(redactUrlValue(String(ctx.config.url ?? '')))} is not a valid URL`, 'REGISTRY_UNAVAILABLE', 'bad-config');
    base = undefined;
  }

  const origin = base ? new URL(`${base.protocol}//${base.host}`) : new URL('https://invalid.invalid');
  const client = new RegistryClient({
    name,
    base: origin,
    insecure: Boolean(ctx.config.insecure),
    host: ctx.host,
    options: opts,
    redactor,
    concurrency: ctx.config.concurrency && ctx.config.concurrency > 0 ? ctx.config.concurrency : 8,
    loadCredentials: () =>
      loadCredentials(ctx.config, origin.host, {
        env: ctx.host.env,
        runHelper: opts.runHelper ?? defaultHelperRunner,
        redactor,
        helperTimeoutMs: Math.min(opts.timeoutMs, 30_000),
      }),
  });
  const cache = new MetaCache(ctx.cacheDir);
  const tagMemo = new Map<string, Promise<ProviderResult<string[]>>>();
  const headMemo = new Map<string, Promise<Res<string>>>();
  const metaMemo = new Map<string, Promise<Res<ManifestMeta>>>();
  /**
   * Per repository, the first metadata describe probes with HEAD whether the metadata cache
   * is warm; when it is cold, the others GET manifests by tag (1 request instead of HEAD + GET).
   */
  const coldProbe = new Map<string, Promise<boolean>>();

  const repoOf = (pkg: string): Res<string> => {
    const repo = [prefix, trimSlashes(pkg)].filter(Boolean).join('/');
    if (!validRepo(repo)) return { ok: false, failure: fail(`${JSON.stringify(pkg)} is not a valid repository path`, 'PACKAGE_NOT_FOUND', 'invalid-reference') };
    return { ok: true, value: repo };
  };
  const v2 = (repo: string, rest: string): URL => new URL(`/v2/${repo}/${rest}`, origin);
  const withWarnings = <T>(r: ProviderResult<T>): ProviderResult<T> => {
    if (!r.ok || client.warnings.length === 0) return r;
    const warnings = [...(r.warnings ?? []), ...client.warnings.splice(0)];
    return { ...r, warnings };
  };

  function unexpected(res: HttpResponse, what: string): ProviderFailure {
    const code = registryErrorCode(res.body);
    return client.failure('REGISTRY_UNAVAILABLE', `${what}: unexpected HTTP ${res.status}${code ? ` ${code}` : ''}`, res.url, 'bad-answer');
  }

  async function listTagsUncached(repo: string): Promise<ProviderResult<string[]>> {
    const tags = new Set<string>();
    const warnings: ProviderFailure[] = [];
    const seen = new Set<string>();
    let invalid = 0;
    let url: URL | undefined = v2(repo, `tags/list?n=${opts.pageSize}`);
    let pages = 0;
    while (url) {
      if (seen.has(url.href)) {
        warnings.push({ ...client.failure('REGISTRY_UNAVAILABLE', `tags/list of ${repo}: the Link header leads back to a page already read; stopped there`, url, 'list-incomplete'), severity: 'warning' });
        break;
      }
      seen.add(url.href);
      if (++pages > opts.maxPages) {
        return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `tags/list of ${repo}: more than ${opts.maxPages} pages (${tags.size} tags so far); refusing to truncate the list`, url, 'paging') };
      }
      const r = await client.request('GET', url, { repo, accept: 'application/json' });
      if (!r.ok) return r;
      const res = r.res;
      const errCode = registryErrorCode(res.body);
      if (res.status === 404 || errCode === 'NAME_UNKNOWN') {
        return { ok: false, failure: client.failure('PACKAGE_NOT_FOUND', `repository ${repo} does not exist (GET ${res.url.pathname}: HTTP ${res.status}${errCode ? ` ${errCode}` : ''})`, res.url, 'no-repository') };
      }
      if (res.status !== 200) return { ok: false, failure: unexpected(res, `GET ${res.url.pathname}`) };
      const parsed = parseJsonBody(res);
      if (!parsed.ok) return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${res.url.pathname}: ${parsed.reason}`, res.url, 'bad-answer') };
      const body = parsed.value as { tags?: unknown } | null;
      const list = body && typeof body === 'object' ? body.tags : undefined;
      if (!Array.isArray(list)) {
        // `"tags": null` (distribution, once the last manifest of a repository is deleted) or no
        // list at all: the registry did not say which tags exist, so nothing can be selected.
        const what = list === null ? '"tags" is null' : list === undefined ? 'the answer has no "tags" list' : '"tags" is not a list';
        return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${res.url.pathname}: ${what} (the registry did not list the tags of ${repo})`, res.url, 'bad-answer') };
      }
      for (const t of list as unknown[]) {
        if (typeof t === 'string' && TAG_RE.test(t)) tags.add(t);
        else invalid++;
      }
      const next = nextLink(res.headers.get('link'));
      if (!next) break;
      let nextUrl: URL;
      try {
        nextUrl = new URL(next, res.url);
      } catch {
        return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${res.url.pathname}: the Link header is not a valid URL`, res.url, 'bad-answer') };
      }
      if (nextUrl.origin !== origin.origin) {
        warnings.push({
          ...client.failure('REGISTRY_UNAVAILABLE', `tags/list of ${repo}: refused to follow a next-page link to another host (${nextUrl.host}); the list may be incomplete`, res.url, 'list-incomplete'),
          severity: 'warning',
        });
        break;
      }
      url = nextUrl;
    }
    if (invalid > 0) {
      warnings.push({ ...client.failure('REGISTRY_UNAVAILABLE', `tags/list of ${repo}: ignored ${invalid} entr${invalid === 1 ? 'y' : 'ies'} that are not valid tags`, undefined, 'list-incomplete'), severity: 'warning' });
    }
    return warnings.length ? { ok: true, value: [...tags], warnings } : { ok: true, value: [...tags] };
  }

  async function headDigest(repo: string, tag: string): Promise<Res<string>> {
    const url = v2(repo, `manifests/${tag}`);
    const r = await client.request('HEAD', url, { repo, accept: MANIFEST_ACCEPT });
    if (!r.ok) return r;
    let res = r.res;
    if (res.status === 200) {
      const d = res.headers.get('docker-content-digest');
      if (d && DIGEST_RE.test(d)) return { ok: true, value: d };
    }
    // No digest header, or a 404/405 to explain: GET the manifest.
    const g = await client.request('GET', url, { repo, accept: MANIFEST_ACCEPT, maxBytes: 4 * 1024 * 1024 });
    if (!g.ok) return g;
    res = g.res;
    if (res.status === 200) {
      const d = res.headers.get('docker-content-digest');
      const computed = digestOf(res.body, d?.startsWith('sha512:') ? 'sha512' : 'sha256');
      if (d && DIGEST_RE.test(d) && d !== computed) {
        return { ok: false, failure: digestMismatch(url, 'GET', d, computed) };
      }
      return { ok: true, value: computed };
    }
    const code = registryErrorCode(res.body);
    if (res.status === 404 && code === 'NAME_UNKNOWN') {
      return { ok: false, failure: client.failure('PACKAGE_NOT_FOUND', `repository ${repo} does not exist (HTTP 404 NAME_UNKNOWN)`, url, 'no-repository') };
    }
    if (res.status === 404) {
      // distribution answers MANIFEST_UNKNOWN for a missing repository too: ask tags/list.
      const listed = await provider.listTags(repo.slice(prefix ? prefix.length + 1 : 0));
      if (!listed.ok && listed.failure.code === 'PACKAGE_NOT_FOUND') return listed;
    }
    if (res.status === 404) return { ok: false, failure: client.failure('TAG_NOT_FOUND', `tag ${tag} of ${repo} does not exist (HTTP 404${code ? ` ${code}` : ''})`, url, 'no-tag') };
    return { ok: false, failure: unexpected(res, `GET ${url.pathname}`) };
  }

  type Fetched = { digest: string; prefetched: { value: unknown; mediaType?: string } };

  /**
   * GET a manifest by tag: its bytes and their digest. A Docker-Content-Digest that differs from
   * the bytes is a registry error. Anything else that is off is undefined when `soft` (the
   * caller falls back to HEAD), else a failure.
   */
  async function getByTag(repo: string, tag: string, soft: boolean): Promise<Res<Fetched> | undefined> {
    const url = v2(repo, `manifests/${tag}`);
    const r = await client.request('GET', url, { repo, accept: MANIFEST_ACCEPT, maxBytes: 4 * 1024 * 1024 });
    if (!r.ok) return soft ? undefined : r;
    const res = r.res;
    if (res.status !== 200) {
      if (soft) return undefined;
      if (res.status === 404) return { ok: false, failure: client.failure('TAG_NOT_FOUND', `tag ${tag} of ${repo} does not exist (HTTP 404${registryErrorCode(res.body) ? ` ${registryErrorCode(res.body)}` : ''})`, url, 'no-tag') };
      return { ok: false, failure: unexpected(res, `GET ${url.pathname}`) };
    }
    const header = res.headers.get('docker-content-digest');
    const digest = digestOf(res.body, header?.startsWith('sha512:') ? 'sha512' : 'sha256');
    if (header && header !== digest) return { ok: false, failure: digestMismatch(url, 'GET', header, digest) };
    const parsed = parseJsonBody(res);
    if (!parsed.ok) return soft ? undefined : { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${url.pathname}: ${parsed.reason}`, url, 'bad-answer') };
    const ct = res.headers.get('content-type')?.split(';')[0]?.trim();
    return { ok: true, value: { digest, prefetched: { value: parsed.value, ...(ct ? { mediaType: ct } : {}) } } };
  }

  function digestMismatch(url: URL, method: 'GET' | 'HEAD', claimed: string, actual: string): ProviderFailure {
    return client.failure(
      'REGISTRY_UNAVAILABLE',
      `${method} ${url.pathname}: the registry's Docker-Content-Digest ${claimed} does not match the manifest it serves (${actual}); refusing to pin either`,
      url,
      'content-mismatch',
    );
  }

  async function fetchJsonByDigest(repo: string, kind: 'manifests' | 'blobs', digest: string, accept: string | undefined): Promise<Res<unknown> & { mediaType?: string }> {
    const url = v2(repo, `${kind}/${digest}`);
    // blobs are content-addressed (checked below), so they may come from a storage host (S3, a CDN)
    const r = await client.request('GET', url, { repo, ...(accept ? { accept } : {}), ...(kind === 'blobs' ? { redirects: 'any' as const } : {}) });
    if (!r.ok) return r;
    const res = r.res;
    if (res.status === 404) {
      return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${url.pathname}: HTTP 404 ${registryErrorCode(res.body) ?? ''}`.trim() + ` (the ${kind === 'blobs' ? 'blob' : 'manifest'} ${digest} is missing)`, url, 'missing-content') };
    }
    if (res.status !== 200) return { ok: false, failure: unexpected(res, `GET ${url.pathname}`) };
    const alg = digest.split(':')[0]!;
    if (digestOf(res.body, alg) !== digest) {
      return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${url.pathname}: the content does not match its digest`, url, 'content-mismatch') };
    }
    const parsed = parseJsonBody(res);
    if (!parsed.ok) return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${url.pathname}: ${parsed.reason}`, url, 'bad-answer') };
    const ct = res.headers.get('content-type')?.split(';')[0]?.trim();
    return { ok: true, value: parsed.value, ...(ct ? { mediaType: ct } : {}) };
  }

  function getMeta(repo: string, digest: string, prefetched?: { value: unknown; mediaType?: string }): Promise<Res<ManifestMeta>> {
    let p = metaMemo.get(digest);
    if (!p) {
      p = loadMeta(repo, digest, prefetched);
      metaMemo.set(digest, p);
      p.then((r) => {
        if (!r.ok) metaMemo.delete(digest);
      }, () => metaMemo.delete(digest));
    }
    return p;
  }

  async function loadMeta(repo: string, digest: string, prefetched?: { value: unknown; mediaType?: string }): Promise<Res<ManifestMeta>> {
    const cached = await cache.get(digest);
    if (cached) return { ok: true, value: cached };
    const m = prefetched ? { ok: true as const, ...prefetched } : await fetchJsonByDigest(repo, 'manifests', digest, MANIFEST_ACCEPT);
    if (!m.ok) return m;
    const manifest = (m.value && typeof m.value === 'object' ? m.value : {}) as Record<string, unknown>;
    const mediaType = typeof manifest.mediaType === 'string' ? manifest.mediaType : (m.mediaType ?? '');
    const annotations = stringMap(manifest.annotations);
    const artifactType = typeof manifest.artifactType === 'string' ? manifest.artifactType : undefined;
    let meta: ManifestMeta;
    if (isIndexType(mediaType) || Array.isArray(manifest.manifests)) {
      const entries = (Array.isArray(manifest.manifests) ? manifest.manifests : []) as Array<Record<string, unknown>>;
      const wanted = entries.filter((e) => {
        const p = e.platform as Record<string, unknown> | undefined;
        return typeof e.digest === 'string' && DIGEST_RE.test(e.digest) && p && typeof p.os === 'string' && typeof p.architecture === 'string' && p.os !== 'unknown';
      });
      const kids = await Promise.all(wanted.map((e) => getMeta(repo, e.digest as string)));
      const children: ChildMeta[] = [];
      for (let i = 0; i < wanted.length; i++) {
        const k = kids[i]!;
        if (!k.ok) return k;
        const p = wanted[i]!.platform as Record<string, unknown>;
        children.push({
          digest: k.value.digest,
          os: p.os as string,
          architecture: p.architecture as string,
          ...(typeof p.variant === 'string' && p.variant ? { variant: p.variant } : {}),
          ...(k.value.created ? { created: k.value.created } : {}),
          labels: k.value.labels,
          annotations: k.value.annotations,
          files: k.value.files,
        });
      }
      const created = validTime(annotations[ANNOTATION_CREATED]);
      meta = { v: CACHE_VERSION, digest, mediaType, annotations, labels: {}, files: [], children, ...(created ? { created } : {}), ...(artifactType ? { artifactType } : {}) };
    } else {
      const layers = (Array.isArray(manifest.layers) ? manifest.layers : []) as Array<Record<string, unknown>>;
      const files: FileInfo[] = [];
      for (const l of layers) {
        const title = stringMap(l.annotations)[ANNOTATION_TITLE];
        if (title && typeof l.digest === 'string' && DIGEST_RE.test(l.digest)) {
          files.push({ name: title, digest: l.digest, ...(typeof l.size === 'number' ? { size: l.size } : {}), ...(typeof l.mediaType === 'string' ? { mediaType: l.mediaType } : {}) });
        }
      }
      const config = (manifest.config && typeof manifest.config === 'object' ? manifest.config : undefined) as Record<string, unknown> | undefined;
      const cfgType = typeof config?.mediaType === 'string' ? config.mediaType : '';
      const isImageConfig = cfgType === OCI_IMAGE_CONFIG || cfgType === DOCKER_IMAGE_CONFIG;
      let cfg: Record<string, unknown> = {};
      const cfgDigest = typeof config?.digest === 'string' && DIGEST_RE.test(config.digest) ? config.digest : undefined;
      const cfgSize = typeof config?.size === 'number' ? config.size : 0;
      if (cfgDigest && cfgType !== OCI_EMPTY && cfgSize > 2 && cfgSize <= opts.maxBytes) {
        const c = await fetchJsonByDigest(repo, 'blobs', cfgDigest, undefined);
        if (c.ok && c.value && typeof c.value === 'object') cfg = c.value as Record<string, unknown>;
        else if (!c.ok && (isImageConfig || c.failure.code !== 'REGISTRY_UNAVAILABLE' || !/JSON/.test(c.failure.message))) return c;
      }
      const inner = (cfg.config && typeof cfg.config === 'object' ? cfg.config : {}) as Record<string, unknown>;
      let labels = stringMap(inner.Labels);
      if (!isImageConfig) {
        // Generic artifacts: their metadata lives in manifest annotations.
        const extra = Object.fromEntries(Object.entries(annotations).filter(([k]) => !k.startsWith('org.opencontainers.')));
        labels = { ...labels, ...extra };
      }
      const created = validTime(annotations[ANNOTATION_CREATED]) ?? validTime(cfg.created);
      const platform =
        typeof cfg.os === 'string' && typeof cfg.architecture === 'string'
          ? { os: cfg.os, architecture: cfg.architecture, ...(typeof cfg.variant === 'string' && cfg.variant ? { variant: cfg.variant } : {}) }
          : undefined;
      meta = {
        v: CACHE_VERSION,
        digest,
        mediaType,
        annotations,
        labels,
        files,
        ...(created ? { created } : {}),
        ...(platform ? { platform } : {}),
        ...(artifactType ? { artifactType } : {}),
      };
    }
    await cache.put(meta);
    return { ok: true, value: meta };
  }

  function toVersion(tag: string, meta: ManifestMeta, need: DescribeNeed): VersionInfo {
    if (meta.children) {
      const matching = need.platform ? meta.children.filter((c) => platformMatches(need.platform!, c)) : meta.children;
      const platforms: PlatformInfo[] = matching.map((c) => ({
        os: c.os,
        architecture: c.architecture,
        ...(c.variant ? { variant: c.variant } : {}),
        digest: c.digest,
        ...(c.created ? { created: c.created } : {}),
      }));
      if (need.platform) {
        const chosen = matching[0];
        if (!chosen) return { tag, digest: meta.digest, annotations: meta.annotations, labels: {}, platforms: [], files: [] };
        const created = chosen.created ?? meta.created;
        return { tag, digest: chosen.digest, ...(created ? { created } : {}), labels: chosen.labels, annotations: { ...meta.annotations, ...chosen.annotations }, platforms, files: chosen.files };
      }
      const created = meta.created ?? newest(meta.children.map((c) => c.created));
      // Labels of an index: the pairs every platform image carries.
      const labels: Record<string, string> = {};
      const [first, ...rest] = meta.children;
      if (first) for (const [k, v] of Object.entries(first.labels)) if (rest.every((c) => c.labels[k] === v)) labels[k] = v;
      return { tag, digest: meta.digest, ...(created ? { created } : {}), labels, annotations: meta.annotations, platforms, files: [] };
    }
    const p = meta.platform;
    const platforms: PlatformInfo[] =
      p && (!need.platform || platformMatches(need.platform, p))
        ? [{ ...p, digest: meta.digest, ...(meta.created ? { created: meta.created } : {}) }]
        : [];
    return { tag, digest: meta.digest, ...(meta.created ? { created: meta.created } : {}), labels: meta.labels, annotations: meta.annotations, platforms, files: meta.files };
  }

  /** One blob's bytes by digest, checked against the digest (a mismatch is the registry's fault). */
  async function fetchBlob(pkg: string, digest: string, maxBytes: number): Promise<ProviderResult<Buffer>> {
    if (configFailure) return { ok: false, failure: configFailure };
    const repo = repoOf(pkg);
    if (!repo.ok) return repo;
    if (!DIGEST_RE.test(digest)) return { ok: false, failure: fail(`${JSON.stringify(digest)} is not a digest`, 'PACKAGE_NOT_FOUND', 'invalid-reference') };
    const url = v2(repo.value, `blobs/${digest}`);
    // blobs are content-addressed (checked below), so they may come from a storage host (S3, a CDN)
    const r = await client.request('GET', url, { repo: repo.value, redirects: 'any', maxBytes });
    if (!r.ok) return r;
    const res = r.res;
    if (res.status === 404) {
      return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${url.pathname}: HTTP 404 ${registryErrorCode(res.body) ?? ''}`.trim() + ` (the blob ${digest} is missing)`, url, 'missing-content') };
    }
    if (res.status !== 200) return { ok: false, failure: unexpected(res, `GET ${url.pathname}`) };
    const actual = digestOf(res.body, digest.split(':')[0]!);
    if (actual !== digest) {
      return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${url.pathname}: the registry served bytes whose digest is ${actual}, not ${digest}; refusing to use them`, url, 'content-mismatch') };
    }
    return withWarnings({ ok: true, value: res.body });
  }

  /** One manifest's bytes by digest, as served (never re-serialised: its digest must stay). */
  async function fetchManifest(pkg: string, digest: string): Promise<ProviderResult<{ bytes: Buffer; mediaType: string }>> {
    if (configFailure) return { ok: false, failure: configFailure };
    const repo = repoOf(pkg);
    if (!repo.ok) return repo;
    if (!DIGEST_RE.test(digest)) return { ok: false, failure: fail(`${JSON.stringify(digest)} is not a digest`, 'PACKAGE_NOT_FOUND', 'invalid-reference') };
    const url = v2(repo.value, `manifests/${digest}`);
    const r = await client.request('GET', url, { repo: repo.value, accept: MANIFEST_ACCEPT });
    if (!r.ok) return r;
    const res = r.res;
    if (res.status === 404) return { ok: false, failure: client.failure('TAG_NOT_FOUND', `manifest ${digest} of ${repo.value} does not exist (HTTP 404)`, url, 'no-manifest') };
    if (res.status !== 200) return { ok: false, failure: unexpected(res, `GET ${url.pathname}`) };
    if (digestOf(res.body, digest.split(':')[0]!) !== digest) {
      return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${url.pathname}: the content does not match its digest`, url, 'content-mismatch') };
    }
    let mediaType = res.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    try {
      const m = JSON.parse(res.body.toString('utf8')) as { mediaType?: unknown };
      if (typeof m.mediaType === 'string') mediaType = m.mediaType;
    } catch {
      return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${url.pathname}: the manifest is not JSON`, url, 'bad-answer') };
    }
    return withWarnings({ ok: true, value: { bytes: res.body, mediaType } });
  }

  const provider: OciProvider = {
    get requestCount() {
      return client.requests;
    },
    flush: () => cache.flush(),
    fetchBlob,
    fetchManifest,
    reference(pkg: string): string {
      const host = base ? base.host : redactUrlValue(String(ctx.config.url ?? ''));
      return [host, prefix, trimSlashes(pkg)].filter(Boolean).join('/');
    },
    listTags(pkg: string): Promise<ProviderResult<string[]>> {
      if (configFailure) return Promise.resolve({ ok: false, failure: configFailure });
      const repo = repoOf(pkg);
      if (!repo.ok) return Promise.resolve(repo);
      let p = tagMemo.get(repo.value);
      if (!p) {
        p = listTagsUncached(repo.value);
        tagMemo.set(repo.value, p);
      }
      return p.then(withWarnings);
    },
    async describe(pkg: string, tag: string, need: DescribeNeed): Promise<ProviderResult<VersionInfo>> {
      if (configFailure) return { ok: false, failure: configFailure };
      const repo = repoOf(pkg);
      if (!repo.ok) return repo;
      if (!TAG_RE.test(tag)) {
        return { ok: false, failure: client.failure('TAG_NOT_FOUND', `${JSON.stringify(tag)} is not a valid tag`, v2(repo.value, 'manifests/'), 'invalid-tag') };
      }
      const key = `${repo.value}\u0000${tag}`;
      const needMeta = need.metadata || Boolean(need.platform) || Boolean(need.file);
      let settleProbe: ((cold: boolean) => void) | undefined;
      const probe = needMeta ? coldProbe.get(repo.value) : undefined;
      if (needMeta && !probe) coldProbe.set(repo.value, new Promise<boolean>((resolve) => (settleProbe = resolve)));
      if (probe && (await probe) && !headMemo.has(key)) {
        // The cache missed for this repository before: GET the manifest by tag (digest and
        // body in one request) instead of HEAD + GET.
        const g = await getByTag(repo.value, tag, true);
        if (g && !g.ok) return g;
        if (g) {
          headMemo.set(key, Promise.resolve({ ok: true, value: g.value.digest }));
          const meta = await getMeta(repo.value, g.value.digest, g.value.prefetched);
          if (!meta.ok) return meta;
          return withWarnings({ ok: true, value: toVersion(tag, meta.value, need) });
        }
      }
      let h = headMemo.get(key);
      if (!h) {
        h = headDigest(repo.value, tag);
        headMemo.set(key, h);
      }
      const d = await h;
      if (!d.ok) {
        settleProbe?.(false);
        return d;
      }
      if (!need.metadata && !need.platform && !need.file) return withWarnings({ ok: true, value: { tag, digest: d.value } });
      const known = metaMemo.has(d.value) || Boolean(await cache.get(d.value));
      settleProbe?.(!known);
      let prefetched: Fetched['prefetched'] | undefined;
      if (!known) {
        // The bytes are needed: fetch them by tag, so that the digest the HEAD gave is checked
        // against what the tag really serves (a mismatch is a registry error, never pinned).
        const g = (await getByTag(repo.value, tag, false))!;
        if (!g.ok) return g;
        if (g.value.digest !== d.value) return { ok: false, failure: digestMismatch(v2(repo.value, `manifests/${tag}`), 'HEAD', d.value, g.value.digest) };
        prefetched = g.value.prefetched;
      }
      const meta = await getMeta(repo.value, d.value, prefetched);
      if (!meta.ok) return meta;
      return withWarnings({ ok: true, value: toVersion(tag, meta.value, need) });
    },
  };
  return provider;
}

/** The `rel="next"` target of a Link header, if any. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}
