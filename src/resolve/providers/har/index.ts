/**
 * The `har` registry provider: Harness Artifact Registry through its own v3 REST API
 * (`/registries`, `/packages`, `/versions`, `/files`), with `x-api-key` auth.
 *
 * listTags: the package's versions from `/versions` (all pages), after the registry and package
 * ids are looked up by name. Each version carries HAR's id, upload time, quarantine state and
 * scan verdict, which `listed` hands to the resolver without another request.
 * describe: docker (and helm) packages get digests and image metadata from HAR's OCI API through
 * the `oci` provider, as `type: oci` would; generic packages get their files (name, sha256, size)
 * from `/files`. Label pairs are matched against HAR version metadata with `/versions?metadata=k:v`.
 *
 * HTTP goes through the oci provider's RegistryClient (timeouts, deadline, retries honouring
 * Retry-After, response-size cap, 401/403 as REGISTRY_AUTH, redaction); the token is handed to
 * the client as a static bearer credential and turned into `x-api-key` for the API's origin only.
 */
import type { FileInfo, RegistryConfig, ScanStatus, VersionInfo } from '../../../core/model.js';
import { HAR_DEFAULT_API, HAR_DEFAULT_URL, harPrefix, referenceFor } from '../../reference.js';
import type { DescribeNeed, Provider, ProviderContext, ProviderFailure, ProviderKind, ProviderResult } from '../../provider.js';
import { createdOf } from '../../select/index.js';
import { DEFAULT_OPTIONS, RegistryClient, parseJsonBody, type OciOptions, type ResolvedOptions } from '../oci/http.js';
import { createOciProvider, optionsFromEnv } from '../oci/index.js';
import { isLoopbackHost } from '../oci/media.js';
import { Redactor, excerpt } from '../oci/redact.js';

type Fail = { ok: false; failure: ProviderFailure };
type Res<T> = { ok: true; value: T } | Fail;

export interface HarOptions extends OciOptions {
  /** items per page asked of the v3 list endpoints (the API allows 1..100); default 100 */
  harPageSize?: number;
}

export interface HarProvider extends Provider {
  /** HTTP requests sent to the REST API so far */
  readonly requestCount: number;
}

export const har: ProviderKind = {
  id: 'har',
  create(ctx) {
    // an overall deadline given for the run (`--registry-timeout`, when the CLI passes one) wins over the environment
    const deadlineMs = (ctx as { deadlineMs?: unknown }).deadlineMs;
    return createHarProvider(ctx, { ...optionsFromEnv(ctx.host.env), ...(typeof deadlineMs === 'number' && deadlineMs > 0 ? { deadlineMs } : {}) });
  },
};

/** One HAR version as the v3 `/versions` API lists it. */
interface HarVersion {
  id: string;
  name: string;
  created?: string;
  quarantined: boolean;
  quarantineReason?: string;
  scanStatus?: ScanStatus;
}

interface HarPackage {
  registryId: string;
  packageId: string;
  packageType: string;
  versions: Map<string, HarVersion>;
}

const SCAN = new Set<ScanStatus>(['ALLOWED', 'WARN', 'BLOCKED', 'UNKNOWN']);
const SHA256 = /^[a-fA-F0-9]{64}$/;
/** package types served over HAR's OCI API */
const OCI_TYPES = new Set(['DOCKER', 'HELM']);

function isoFromMs(v: unknown): string | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function createHarProvider(ctx: ProviderContext, options: HarOptions = {}): HarProvider {
  const opts: ResolvedOptions = { ...DEFAULT_OPTIONS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as ResolvedOptions;
  const pageSize = Math.max(1, Math.min(100, options.harPageSize ?? 100));
  const cfg = ctx.config;
  const name = ctx.name;
  const redactor = new Redactor();
  const tokenEnv = cfg.auth?.token?.env;

  let configFailure: ProviderFailure | undefined;
  const fail = (message: string, code: ProviderFailure['code'] = 'REGISTRY_UNAVAILABLE', reason: ProviderFailure['reason'] = 'bad-config'): ProviderFailure => ({ code, reason, message: redactor.redact(`registry "${name}": ${message}`) });
  const parseBase = (field: 'url' | 'api', value: string): URL | undefined => {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      configFailure ??= fail(`${field} ${JSON.stringify(redactor.redact(value))} is not a valid URL`);
      return undefined;
    }
    if (u.username || u.password) {
      redactor.add(decodeURIComponent(u.password));
      configFailure ??= fail(`credentials in the registry ${field} are refused; use auth.token with an {env: NAME} reference`, 'REGISTRY_AUTH', 'url-credentials');
    } else if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      configFailure ??= fail(`${field} must be https:// (got ${u.protocol})`);
    } else if (u.protocol === 'http:' && !cfg.insecure && !isLoopbackHost(u.hostname)) {
      configFailure ??= fail(`plain http:// to ${u.host} is allowed only for loopback hosts or with insecure: true`);
    }
    return u;
  };
  const api = parseBase('api', cfg.api ?? HAR_DEFAULT_API);
  const pkgUrl = parseBase('url', cfg.url ?? HAR_DEFAULT_URL);
  if (!cfg.account || !cfg.registry) configFailure ??= fail('account and registry are required');
  const apiBase = api ? api.href.replace(/\/+$/, '') : 'https://invalid.invalid';
  const apiOrigin = api ? api.origin : 'https://invalid.invalid';
  // the package API (generic downloads) on the package host
  const pkgBase = pkgUrl ? pkgUrl.href.replace(/\/+$/, '') : 'https://invalid.invalid';
  const pkgOrigin = pkgUrl ? pkgUrl.origin : 'https://invalid.invalid';

  // The client adds `Authorization: Bearer <token>` for its own origin; HAR's REST API takes the
  // same token as `x-api-key`. The header is rewritten here and sent to the API's and the
  // package host's origins only (never to a storage host a download redirects to).
  const host = {
    ...ctx.host,
    fetch: ((input: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      const authz = headers.get('authorization');
      headers.delete('authorization');
      const target = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      if (authz && /^Bearer /.test(authz) && (target.origin === apiOrigin || target.origin === pkgOrigin)) headers.set('x-api-key', authz.slice(7));
      return ctx.host.fetch(input, { ...init, headers });
    }) as typeof fetch,
  };
  const clientFor = (origin: string) => new RegistryClient({
    name,
    base: new URL(origin),
    insecure: Boolean(cfg.insecure),
    host,
    options: opts,
    redactor,
    concurrency: cfg.concurrency && cfg.concurrency > 0 ? cfg.concurrency : 8,
    loadCredentials: () => {
      if (!tokenEnv) return Promise.resolve({ ok: true as const, creds: { kind: 'none' as const } });
      const token = ctx.host.env[tokenEnv];
      if (!token) return Promise.resolve({ ok: false as const, message: `auth.token refers to environment variable ${tokenEnv}, which is not set` });
      redactor.add(token);
      return Promise.resolve({ ok: true as const, creds: { kind: 'bearer' as const, token, source: `env ${tokenEnv}` } });
    },
  });
  const client = clientFor(apiOrigin);
  const pkgClient = pkgOrigin === apiOrigin ? client : clientFor(pkgOrigin);

  // Docker packages: HAR's OCI API on the package host, with the token as the password.
  const ociUserVar = 'GITOPSC_HAR_OCI_USERNAME';
  const ociConfig: RegistryConfig = {
    type: 'oci',
    url: cfg.url ?? HAR_DEFAULT_URL,
    prefix: harPrefix(cfg),
    ...(cfg.insecure ? { insecure: true } : {}),
    ...(cfg.concurrency ? { concurrency: cfg.concurrency } : {}),
    ...(tokenEnv ? { auth: cfg.auth?.username ? { username: cfg.auth.username, password: { env: tokenEnv } } : { username: { env: ociUserVar }, password: { env: tokenEnv } } } : {}),
  };
  let ociProvider: Provider | undefined;
  const oci = (): Provider =>
    (ociProvider ??= createOciProvider(
      { ...ctx, config: ociConfig, host: { ...ctx.host, env: { ...ctx.host.env, [ociUserVar]: ctx.host.env[ociUserVar] ?? cfg.account ?? 'gitopsc' } } },
      options,
    ));

  const scope = (): Record<string, string> => ({
    account_identifier: cfg.account ?? '',
    ...(cfg.org ? { org_identifier: cfg.org } : {}),
    ...(cfg.project ? { project_identifier: cfg.project } : {}),
  });

  function apiUrl(path: string, params: Record<string, string | number>): URL {
    const u = new URL(`${apiBase}/${path}`);
    for (const [k, v] of Object.entries({ ...scope(), ...params })) u.searchParams.set(k, String(v));
    return u;
  }

  function authHint(f: ProviderFailure): ProviderFailure {
    if (f.code !== 'REGISTRY_AUTH') return f;
    return { ...f, message: f.message.replace('(auth in the config, or docker config.json)', '(auth.token: {env: NAME} in the config)') };
  }

  /** GET one JSON page of the REST API. */
  async function getJson(url: URL, what: string): Promise<Res<Record<string, unknown>>> {
    const r = await client.request('GET', url, { accept: 'application/json' });
    if (!r.ok) return { ok: false, failure: authHint(r.failure) };
    const res = r.res;
    if (res.status !== 200) {
      const parsed = parseJsonBody(res);
      const err = parsed.ok && parsed.value && typeof parsed.value === 'object' ? ((parsed.value as { error?: { code?: unknown; message?: unknown } }).error ?? {}) : {};
      const detail = [str(err.code), str(err.message) ? excerpt(String(err.message)) : undefined].filter(Boolean).join(' ');
      const failure = res.status === 404 ? client.failure('PACKAGE_NOT_FOUND', `${what}: GET ${url.pathname}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`, url, 'no-package') : client.failure('REGISTRY_UNAVAILABLE', `${what}: GET ${url.pathname}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`, url, 'bad-answer');
      return { ok: false, failure };
    }
    const parsed = parseJsonBody(res);
    if (!parsed.ok) return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `${what}: GET ${url.pathname}: ${parsed.reason}`, url, 'bad-answer') };
    if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
      return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `${what}: GET ${url.pathname}: the answer is not a JSON object`, url, 'bad-answer') };
    }
    return { ok: true, value: parsed.value as Record<string, unknown> };
  }

  /**
   * Every item of a paged v3 list (`page`, `size`, `hasMore`, `items`). A page that repeats an
   * earlier one, a `page` other than the one asked for, or more than `maxPages` pages is a
   * failure: a truncated list could select the wrong version.
   */
  async function listAll(path: string, params: Record<string, string | number>, what: string): Promise<Res<Record<string, unknown>[]>> {
    const out: Record<string, unknown>[] = [];
    const seenPages = new Set<string>();
    for (let page = 0; ; page++) {
      const url = apiUrl(path, { ...params, page, size: pageSize });
      if (page >= opts.maxPages) {
        return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `${what}: more than ${opts.maxPages} pages of ${pageSize} (${out.length} items so far); refusing to truncate the list`, url, 'paging') };
      }
      const r = await getJson(url, what);
      if (!r.ok) return r;
      const body = r.value;
      const items = body.items;
      if (!Array.isArray(items) || typeof body.hasMore !== 'boolean') {
        return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `${what}: GET ${url.pathname}: the answer has no "items" list or "hasMore" flag`, url, 'bad-answer') };
      }
      if (typeof body.page === 'number' && body.page !== page) {
        return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `${what}: asked for page ${page}, the API answered page ${body.page}; refusing a list that may loop or skip`, url, 'paging') };
      }
      const objects = items.filter((x): x is Record<string, unknown> => Boolean(x) && typeof x === 'object' && !Array.isArray(x));
      if (body.hasMore && objects.length === 0) {
        return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `${what}: page ${page} is empty but says more follow; refusing a list that may loop`, url, 'paging') };
      }
      const signature = objects.map((x) => String(x.id ?? JSON.stringify(x))).join('\u0000');
      if (objects.length > 0 && seenPages.has(signature)) {
        return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `${what}: page ${page} repeats an earlier page; the API's paging loops`, url, 'paging') };
      }
      seenPages.add(signature);
      out.push(...objects);
      if (!body.hasMore) return { ok: true, value: out };
    }
  }

  let registryMemo: Promise<Res<{ id: string; packageType: string }>> | undefined;
  function registryId(): Promise<Res<{ id: string; packageType: string }>> {
    registryMemo ??= (async () => {
      const what = `registry ${cfg.registry}`;
      const r = await listAll('registries', { search_term: cfg.registry ?? '', ...(cfg.project ? {} : { scope: 'descendants' }) }, what);
      if (!r.ok) return r;
      const hit = r.value.find((x) => x.name === cfg.registry && typeof x.id === 'string');
      if (!hit) {
        const where = [cfg.account, cfg.org, cfg.project].filter(Boolean).join('/');
        return { ok: false, failure: client.failure('PACKAGE_NOT_FOUND', `HAR registry "${cfg.registry}" was not found in ${where} (${r.value.length} registries matched the search)`, undefined, 'no-registry') };
      }
      return { ok: true, value: { id: hit.id as string, packageType: String(hit.packageType ?? '') } };
    })();
    return registryMemo;
  }

  const packageMemo = new Map<string, Promise<ProviderResult<HarPackage>>>();
  function loadPackage(pkg: string): Promise<ProviderResult<HarPackage>> {
    let p = packageMemo.get(pkg);
    if (!p) {
      p = loadPackageUncached(pkg);
      packageMemo.set(pkg, p);
    }
    return p;
  }

  async function loadPackageUncached(pkg: string): Promise<ProviderResult<HarPackage>> {
    if (configFailure) return { ok: false, failure: configFailure };
    const reg = await registryId();
    if (!reg.ok) return reg;
    const what = `package ${pkg}`;
    const found = await listAll('packages', { registry_ids: reg.value.id, search_term: pkg }, what);
    if (!found.ok) return found;
    const hit = found.value.find((x) => x.name === pkg && (x.registryId === undefined || x.registryId === reg.value.id) && typeof x.id === 'string');
    if (!hit) return { ok: false, failure: client.failure('PACKAGE_NOT_FOUND', `package ${pkg} does not exist in HAR registry ${cfg.registry}`, undefined, 'no-package') };
    const packageId = hit.id as string;
    const listed = await listAll('versions', { registry_ids: reg.value.id, package_ids: packageId, sort: 'name:asc' }, `versions of ${pkg}`);
    if (!listed.ok) return listed;
    const versions = new Map<string, HarVersion>();
    const warnings: ProviderFailure[] = [];
    let foreign = 0;
    for (const v of listed.value) {
      // an API that ignored the filters must not slip another package's versions in
      if (v.packageId !== packageId || (v.registryId !== undefined && v.registryId !== reg.value.id)) {
        foreign++;
        continue;
      }
      const vname = str(v.name);
      const id = str(v.id);
      if (!vname || !id) continue;
      const scan = typeof v.scanStatus === 'string' && SCAN.has(v.scanStatus as ScanStatus) ? (v.scanStatus as ScanStatus) : undefined;
      const created = isoFromMs(v.createdAt);
      const reason = str(v.quarantineReason);
      versions.set(vname, {
        id,
        name: vname,
        quarantined: v.isQuarantined === true,
        ...(created ? { created } : {}),
        ...(reason ? { quarantineReason: reason } : {}),
        ...(scan ? { scanStatus: scan } : {}),
      });
    }
    if (foreign > 0) {
      warnings.push({ ...client.failure('REGISTRY_UNAVAILABLE', `versions of ${pkg}: ignored ${foreign} item${foreign === 1 ? '' : 's'} of other packages in the API's answer`, undefined, 'list-incomplete'), severity: 'warning' });
    }
    const value: HarPackage = { registryId: reg.value.id, packageId, packageType: String(hit.packageType ?? reg.value.packageType).toUpperCase(), versions };
    return warnings.length ? { ok: true, value, warnings } : { ok: true, value };
  }

  /** ids of the package's versions that carry metadata `key: value` */
  const metadataMemo = new Map<string, Promise<Res<Set<string>>>>();
  function withMetadata(p: HarPackage, pkg: string, key: string, value: string): Promise<Res<Set<string>>> {
    const k = `${p.packageId}\u0000${key}\u0000${value}`;
    let m = metadataMemo.get(k);
    if (!m) {
      m = listAll('versions', { registry_ids: p.registryId, package_ids: p.packageId, metadata: `${key}:${value}`, sort: 'name:asc' }, `versions of ${pkg} with metadata ${key}:${value}`).then((r) =>
        r.ok ? { ok: true as const, value: new Set(r.value.filter((v) => v.packageId === p.packageId).map((v) => String(v.id))) } : r,
      );
      metadataMemo.set(k, m);
    }
    return m;
  }

  const filesMemo = new Map<string, Promise<Res<FileInfo[]>>>();
  function filesOf(p: HarPackage, pkg: string, v: HarVersion): Promise<Res<FileInfo[]>> {
    let f = filesMemo.get(v.id);
    if (!f) {
      f = (async (): Promise<Res<FileInfo[]>> => {
        const r = await listAll('files', { registry_id: p.registryId, package_id: p.packageId, version_id: v.id }, `files of ${pkg} ${v.name}`);
        if (!r.ok) return r;
        const files: FileInfo[] = [];
        for (const x of r.value) {
          const sha = str(x.sha256);
          if (!sha || !SHA256.test(sha)) continue;
          const size = typeof x.size === 'string' && /^\d+$/.test(x.size) ? Number(x.size) : typeof x.size === 'number' ? x.size : undefined;
          const info = (n: string): FileInfo => ({ name: n, digest: `sha256:${sha.toLowerCase()}`, ...(size !== undefined ? { size } : {}) });
          const fname = str(x.name);
          const path = str(x.path);
          if (fname) files.push(info(fname));
          // `path` may be the file's path inside the version, or include package and version
          if (path && path !== fname) {
            files.push(info(path));
            const inner = path.replace(/^\/+/, '').split('/');
            const at = inner.indexOf(v.name);
            if (at >= 0 && at < inner.length - 1) files.push(info(inner.slice(at + 1).join('/')));
          }
        }
        // one name, two contents: the API mixed files of several versions; never guess which
        const seen = new Map<string, string>();
        for (const f of files) {
          const prev = seen.get(f.name);
          if (prev !== undefined && prev !== f.digest) {
            return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `files of ${pkg} ${v.name}: the API lists ${f.name} twice with different sha256; refusing to guess which is this version's`, undefined, 'ambiguous') };
          }
          seen.set(f.name, f.digest);
        }
        const unique = new Set<string>();
        return { ok: true, value: files.filter((f) => (unique.has(f.name) ? false : (unique.add(f.name), true))) };
      })();
      filesMemo.set(v.id, f);
    }
    return f;
  }

  function harFacts(v: HarVersion): VersionInfo {
    return {
      tag: v.name,
      versionId: v.id,
      quarantined: v.quarantined,
      ...(v.quarantineReason ? { quarantineReason: v.quarantineReason } : {}),
      ...(v.scanStatus ? { scanStatus: v.scanStatus } : {}),
    };
  }

  /**
   * One file of one version. Docker and helm packages: the blob from HAR's OCI API. Generic
   * packages: `GET /pkg/{accountId}/{registry}/generic/{package}/{version}?filename=` of the
   * package API (ar_pkg.openapi.yaml), with `x-api-key`; a redirect to a storage host is
   * followed (without the key), since the caller checks the bytes against the lock's digest.
   */
  async function fetchFile(pkg: string, version: string, file: string, digest: string, maxBytes: number): Promise<ProviderResult<Buffer>> {
    const p = await loadPackage(pkg);
    if (!p.ok) return p;
    if (OCI_TYPES.has(p.value.packageType)) return oci().fetchBlob!(pkg, digest, maxBytes);
    const seg = encodeURIComponent;
    const url = new URL(`${pkgBase}/pkg/${seg(cfg.account ?? '')}/${seg(cfg.registry ?? '')}/generic/${seg(pkg)}/${seg(version)}`);
    url.searchParams.set('filename', file);
    const r = await pkgClient.request('GET', url, { redirects: 'any', maxBytes });
    if (!r.ok) return { ok: false, failure: authHint(r.failure) };
    const res = r.res;
    if (res.status !== 200) {
      const what = res.status === 404 ? ` (${file} of ${pkg} ${version} is missing)` : '';
      return { ok: false, failure: client.failure('REGISTRY_UNAVAILABLE', `GET ${url.pathname}: HTTP ${res.status}${what}`, url, 'missing-content') };
    }
    return { ok: true, value: res.body };
  }

  const provider: HarProvider = {
    get requestCount() {
      return client.requests + (pkgClient === client ? 0 : pkgClient.requests);
    },
    reference: (pkg) => referenceFor(cfg, pkg),
    flush: () => ociProvider?.flush?.() ?? Promise.resolve(),
    // docker packages (`gitopsc stage` copying an image to a mirror): HAR's OCI API
    fetchManifest: (pkg, digest) => oci().fetchManifest!(pkg, digest),
    fetchBlob: (pkg, digest, maxBytes) => oci().fetchBlob!(pkg, digest, maxBytes),
    fetchFile,
    async listTags(pkg) {
      const p = await loadPackage(pkg);
      if (!p.ok) return p;
      return { ok: true, value: [...p.value.versions.keys()], ...(p.warnings ? { warnings: p.warnings } : {}) };
    },
    async listed(pkg, tag) {
      const p = await loadPackage(pkg);
      if (!p.ok) return p;
      const v = p.value.versions.get(tag);
      return { ok: true, value: v ? harFacts(v) : undefined };
    },
    async describe(pkg, tag, need: DescribeNeed) {
      const p = await loadPackage(pkg);
      if (!p.ok) return p;
      const v = p.value.versions.get(tag);
      if (!v) return { ok: false, failure: client.failure('TAG_NOT_FOUND', `version ${tag} of ${pkg} is not listed in HAR registry ${cfg.registry}`, undefined, 'not-listed') };
      // HAR serves no content of a quarantined version; what the listing says is all there is
      if (v.quarantined) return { ok: true, value: harFacts(v) };
      let info: VersionInfo;
      if (OCI_TYPES.has(p.value.packageType)) {
        const d = await oci().describe(pkg, tag, need);
        if (!d.ok) return d;
        info = { ...d.value, ...harFacts(v) };
        if (createdOf(d.value) !== undefined) info.createdSource = 'image';
        else if (v.created) {
          info.created = v.created;
          info.createdSource = 'HAR createdAt';
        }
      } else {
        info = { ...harFacts(v), ...(v.created ? { created: v.created, createdSource: 'HAR createdAt' } : {}) };
        if (need.file) {
          const f = await filesOf(p.value, pkg, v);
          if (!f.ok) return f;
          info.files = f.value;
          const file = f.value.find((x) => x.name === need.file);
          // a generic version has no manifest: its content digest is the named file's
          if (file) info.digest = file.digest;
        }
      }
      if (need.labelPairs?.length) {
        const labels: Record<string, string> = { ...(info.labels ?? {}) };
        for (const [k, val] of need.labelPairs) {
          const m = await withMetadata(p.value, pkg, k, val);
          if (!m.ok) return m;
          if (m.value.has(v.id)) labels[k] = val;
        }
        info.labels = labels;
      }
      return { ok: true, value: info };
    },
  };
  return provider;
}
