/**
 * A Harness Artifact Registry emulator for tests: a loopback HTTP server implementing the v3 REST
 * endpoints gitopsc uses (`/registries`, `/packages`, `/versions`, `/files`) from HAR's published
 * OpenAPI document (ar_v3.openapi.yaml, copied here with its MIT licence), plus HAR's OCI API at
 * `/v2/...`, proxied to a real `docker-registry`.
 *
 * Every request it receives and every response it serves is checked against the OpenAPI
 * document: unknown or ill-typed query parameters, missing required ones, and response bodies
 * that do not match the operation's schema are recorded in `violations` (tests assert it stays
 * empty), so the emulator cannot drift from HAR's contract. Faults are injected with `rules`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import type { Ajv as AjvType, ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);
const { Ajv } = require('ajv') as { Ajv: typeof AjvType };
const addFormats = require('ajv-formats') as (ajv: AjvType, formats?: string[]) => void;

export const API_PATH = '/gateway/har/api/v3';

type Json = Record<string, unknown>;

interface ParamDoc {
  name: string;
  in: string;
  required?: boolean;
  style?: string;
  explode?: boolean;
  schema: Json;
}

const doc = parse(readFileSync(new URL('./ar_v3.openapi.yaml', import.meta.url), 'utf8')) as Json;
/** the package API (generic uploads and downloads) */
const pkgDoc = parse(readFileSync(new URL('./ar_pkg.openapi.yaml', import.meta.url), 'utf8')) as Json;
export const GENERIC_DOWNLOAD = '/pkg/{accountId}/{registry}/generic/{package}/{version}';
const ajv = new Ajv({ strict: false, allErrors: true, formats: { int64: true, int32: true } });
addFormats(ajv, ['uuid', 'date-time', 'uri']);
ajv.addSchema(doc, 'har');

function deref<T>(node: unknown): T {
  let n = node as Json;
  while (n && typeof n.$ref === 'string') {
    const path = (n.$ref as string).replace(/^#\//, '').split('/');
    let cur: unknown = doc;
    for (const p of path) cur = (cur as Json)[p.replace(/~1/g, '/').replace(/~0/g, '~')];
    n = cur as Json;
  }
  return n as T;
}

const validators = new Map<string, ValidateFunction>();
function validatorFor(key: string, schema: Json): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    // refs inside the operation's schemas point into the whole document, added as `har`
    const rewritten = JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"har#/')) as Json;
    v = ajv.compile(rewritten);
    validators.set(key, v);
  }
  return v;
}

function operation(path: string, method: string, d: Json = doc): Json | undefined {
  const item = (d.paths as Json)[path] as Json | undefined;
  return item?.[method.toLowerCase()] as Json | undefined;
}

export interface HarVersionSeed {
  name: string;
  createdAt?: number | null;
  isQuarantined?: boolean;
  quarantineReason?: string;
  scanStatus?: 'ALLOWED' | 'BLOCKED' | 'WARN' | 'UNKNOWN';
  metadata?: Record<string, string>;
  files?: { name: string; content: Buffer | string }[];
  deleted?: boolean;
}

export interface HarPackageSeed {
  name: string;
  packageType: 'DOCKER' | 'GENERIC' | 'HELM';
  versions: HarVersionSeed[];
}

export interface HarRegistrySeed {
  name: string;
  packageType: 'DOCKER' | 'GENERIC';
  packages: HarPackageSeed[];
}

export interface Logged {
  method: string;
  path: string;
  query: URLSearchParams;
  apiKey?: string;
  authorization?: string;
  status: number;
}

/** Answers a request itself (true) or lets the emulator serve it (false). */
export type Rule = (req: IncomingMessage, url: URL, res: ServerResponse, emu: HarEmulator) => boolean | Promise<boolean>;

export interface EmulatorOptions {
  account: string;
  token?: string;
  /** the real registry behind `/v2/...` */
  ociUpstream?: string;
  registries: HarRegistrySeed[];
}

export interface HarEmulator {
  url: string;
  apiUrl: string;
  log: Logged[];
  violations: string[];
  rules: Rule[];
  seed: EmulatorOptions;
  /** OCI requests for a quarantined version (refused with 403, as HAR does) */
  quarantinedPulls: string[];
  /** answers with a JSON body checked against the operation's response schema */
  json(res: ServerResponse, opPath: string, status: number, body: unknown, headers?: Record<string, string>): void;
  count(re: RegExp): number;
  stop(): Promise<void>;
}

// stable ids derived from names, shaped as UUIDs (the documents say `format: uuid`)
function uuid(...parts: string[]): string {
  let h = 2166136261;
  const out: string[] = [];
  const text = parts.join('\u0000');
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
    h = Math.imul(h ^ round, 16777619) >>> 0;
    out.push(h.toString(16).padStart(8, '0'));
  }
  const hex = out.join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A V3Error body (its `type` is required by the document). */
export function errorBody(status: number, code: string, message: string): { error: { code: string; message: string; type: string } } {
  const type = status === 401 ? 'AUTHENTICATION_ERROR' : status === 403 ? 'PERMISSION_ERROR' : status === 400 || status === 404 ? 'INVALID_REQUEST_ERROR' : 'API_ERROR';
  return { error: { code, message, type } };
}

export function versionId(registry: string, pkg: string, version: string): string {
  return uuid('v', registry, pkg, version);
}

const hashOf = (alg: string, b: Buffer | string) => createHash(alg).update(b).digest('hex');

export async function startHarEmulator(opts: EmulatorOptions): Promise<HarEmulator> {
  const log: Logged[] = [];
  const violations: string[] = [];
  const rules: Rule[] = [];
  const quarantinedPulls: string[] = [];

  function checkRequest(opPath: string, url: URL, req: IncomingMessage, d: Json = doc): string[] {
    const op = operation(opPath, req.method ?? 'GET', d);
    if (!op) return [`${req.method} ${opPath} is not in the OpenAPI document`];
    const problems: string[] = [];
    const params = ((op.parameters as unknown[]) ?? []).map((p) => deref<ParamDoc>(p));
    const known = new Map(params.filter((p) => p.in === 'query').map((p) => [p.name, p]));
    for (const k of new Set(url.searchParams.keys())) if (!known.has(k)) problems.push(`unknown query parameter ${k}`);
    for (const p of known.values()) {
      const raw = url.searchParams.getAll(p.name);
      if (raw.length === 0) {
        if (p.required) problems.push(`missing required query parameter ${p.name}`);
        continue;
      }
      const schema = deref<Json>(p.schema);
      let value: unknown;
      const scalar = (s: string, t: unknown): unknown => (t === 'integer' ? (/^-?\d+$/.test(s) ? Number(s) : s) : t === 'boolean' ? (s === 'true' ? true : s === 'false' ? false : s) : s);
      if (schema.type === 'array') {
        const items = deref<Json>(schema.items);
        const parts = p.explode === false ? raw.flatMap((r) => r.split(',')) : raw;
        value = parts.map((s) => scalar(s, items.type));
      } else {
        if (raw.length > 1) problems.push(`query parameter ${p.name} given ${raw.length} times`);
        value = scalar(raw[0]!, schema.type);
      }
      const v = validatorFor(`param:${p.name}:${JSON.stringify(schema)}`, schema);
      if (!v(value)) problems.push(`query parameter ${p.name}=${raw.join(',')}: ${ajv.errorsText(v.errors)}`);
    }
    return problems;
  }

  function responseSchema(opPath: string, status: number): Json | undefined {
    const op = operation(opPath, 'GET');
    if (!op) return undefined;
    const responses = op.responses as Json;
    const r = deref<Json>(responses[String(status)] ?? responses.default);
    return ((r?.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema as Json | undefined;
  }

  function json(res: ServerResponse, opPath: string, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const schema = responseSchema(opPath, status);
    if (!schema) violations.push(`no response schema for GET ${opPath} ${status}`);
    else {
      const v = validatorFor(`res:${opPath}:${status in ((operation(opPath, 'GET')?.responses as Json) ?? {}) ? status : 'default'}`, schema);
      if (!v(body)) violations.push(`response GET ${opPath} ${status} does not match the OpenAPI document: ${ajv.errorsText(v.errors)}`);
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  const error = (res: ServerResponse, opPath: string, status: number, code: string, message: string, headers: Record<string, string> = {}) =>
    json(res, opPath, status, errorBody(status, code, message), headers);

  function page<T>(items: T[], url: URL): { page: number; size: number; hasMore: boolean; items: T[] } {
    const p = Number(url.searchParams.get('page') ?? '0');
    const size = Number(url.searchParams.get('size') ?? '20');
    const slice = items.slice(p * size, p * size + size);
    return { page: p, size, hasMore: (p + 1) * size < items.length, items: slice };
  }

  const acct = () => opts.account;
  const regItem = (r: HarRegistrySeed) => ({
    id: uuid('r', r.name),
    name: r.name,
    packageType: r.packageType,
    type: 'VIRTUAL',
    isPublic: false,
    url: `https://pkg.harness.io/${acct().toLowerCase()}/${r.name}`,
  });
  const pkgItem = (r: HarRegistrySeed, p: HarPackageSeed) => ({
    id: uuid('p', r.name, p.name),
    name: p.name,
    packageType: p.packageType,
    registryId: uuid('r', r.name),
    registryName: r.name,
    isPublic: false,
    latestVersion: p.versions.at(-1)?.name ?? '',
  });
  const verItem = (r: HarRegistrySeed, p: HarPackageSeed, v: HarVersionSeed) => ({
    id: versionId(r.name, p.name, v.name),
    name: v.name,
    packageId: uuid('p', r.name, p.name),
    packageName: p.name,
    packageType: p.packageType,
    registryId: uuid('r', r.name),
    registryName: r.name,
    registryType: 'VIRTUAL',
    fileCount: v.files?.length ?? 0,
    isQuarantined: v.isQuarantined ?? false,
    ...(v.quarantineReason ? { quarantineReason: v.quarantineReason } : {}),
    ...(v.scanStatus ? { scanStatus: v.scanStatus } : {}),
    ...(v.createdAt !== undefined ? { createdAt: v.createdAt } : {}),
  });

  function api(opPath: string, url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    if (q.get('account_identifier') !== acct()) return error(res, opPath, 404, 'NOT_FOUND', `account ${q.get('account_identifier')} not found`);
    const regs = opts.registries;
    const listParam = (name: string) => q.getAll(name).flatMap((s) => s.split(',')).filter(Boolean);
    switch (opPath) {
      case '/registries': {
        const term = q.get('search_term') ?? '';
        return json(res, opPath, 200, page(regs.filter((r) => r.name.includes(term)).map(regItem), url));
      }
      case '/packages': {
        const ids = listParam('registry_ids');
        const term = q.get('search_term') ?? '';
        const items = regs.filter((r) => ids.length === 0 || ids.includes(uuid('r', r.name))).flatMap((r) => r.packages.filter((p) => p.name.includes(term)).map((p) => pkgItem(r, p)));
        return json(res, opPath, 200, page(items, url));
      }
      case '/versions': {
        const rids = listParam('registry_ids');
        const pids = listParam('package_ids');
        const meta = q.getAll('metadata').map((m) => {
          const i = m.indexOf(':');
          return [m.slice(0, i), m.slice(i + 1)] as const;
        });
        const items = regs
          .filter((r) => rids.length === 0 || rids.includes(uuid('r', r.name)))
          .flatMap((r) =>
            r.packages
              .filter((p) => pids.length === 0 || pids.includes(uuid('p', r.name, p.name)))
              .flatMap((p) => p.versions.filter((v) => !v.deleted && meta.every(([k, val]) => v.metadata?.[k] === val)).map((v) => verItem(r, p, v))),
          );
        if (q.get('sort') === 'name:asc') items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        return json(res, opPath, 200, page(items, url));
      }
      case '/files': {
        const vid = q.get('version_id');
        for (const r of regs) {
          for (const p of r.packages) {
            for (const v of p.versions) {
              if (versionId(r.name, p.name, v.name) !== vid) continue;
              const items = (v.files ?? []).map((f) => ({
                id: uuid('f', r.name, p.name, v.name, f.name),
                name: f.name,
                path: `${p.name}/${v.name}/${f.name}`,
                size: String(Buffer.byteLength(f.content)),
                md5: hashOf('md5', f.content),
                sha1: hashOf('sha1', f.content),
                sha256: hashOf('sha256', f.content),
                sha512: hashOf('sha512', f.content),
                createdAt: v.createdAt ?? null,
                downloadUrl: `https://pkg.harness.io/pkg/${acct()}/${r.name}/generic/${p.name}/${v.name}?filename=${f.name}`,
              }));
              return json(res, opPath, 200, page(items, url));
            }
          }
        }
        return error(res, opPath, 404, 'NOT_FOUND', `version ${vid} not found`);
      }
    }
  }

  async function proxyOci(req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
    if (opts.token) {
      const a = req.headers.authorization ?? '';
      const m = /^Basic (.+)$/.exec(a);
      const pass = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':').slice(1).join(':') : '';
      if (pass !== opts.token) {
        const body = JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="Harness Registry"', 'docker-distribution-api-version': 'registry/2.0' });
        res.end(body);
        return;
      }
    }
    // like HAR, refuse to serve a quarantined version
    const m = /^\/v2\/([^/]+)\/([^/]+)\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (m && m[1] === opts.account.toLowerCase()) {
      const q = opts.registries.find((r) => r.name === m[2])?.packages.find((p) => p.name === m[3])?.versions.find((v) => v.name === m[4]);
      if (q?.isQuarantined) {
        quarantinedPulls.push(url.pathname);
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: `version is quarantined: ${q.quarantineReason ?? ''}` }] }));
        return;
      }
    }
    if (!opts.ociUpstream) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = {};
    for (const h of ['accept']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h] as string;
    const up = await fetch(`${opts.ociUpstream}${url.pathname}${url.search}`, { method: req.method, headers, redirect: 'manual' });
    const out: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (!['transfer-encoding', 'connection', 'content-encoding'].includes(k)) out[k] = v;
    });
    const body = req.method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await up.arrayBuffer());
    res.writeHead(up.status, out);
    res.end(body);
  }

  /** `GET /pkg/{accountId}/{registry}/generic/{package}/{version}?filename=` (ar_pkg.openapi.yaml) */
  async function download(req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
    const m = /^\/pkg\/([^/]+)\/([^/]+)\/generic\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!m) {
      violations.push(`request ${req.method} ${url.pathname}: not a path of the package API document`);
      res.writeHead(404).end();
      return;
    }
    const problems = checkRequest(GENERIC_DOWNLOAD, url, req, pkgDoc);
    if (problems.length) violations.push(...problems.map((p) => `request ${req.method} ${GENERIC_DOWNLOAD}: ${p}`));
    if (req.headers.authorization) violations.push(`request ${req.method} ${GENERIC_DOWNLOAD}: an Authorization header was sent to the package API (HAR takes x-api-key)`);
    for (const rule of rules) if (await rule(req, url, res, emu)) return;
    const text = (status: number, body: string) => {
      // the document lists 400, 401 and 5XX for this operation, plus 200
      if (![200, 400, 401].includes(status) && status < 500) violations.push(`response GET ${GENERIC_DOWNLOAD} ${status} is not in the package API document`);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    };
    if (problems.length) return text(400, problems.join('; '));
    if (opts.token && req.headers['x-api-key'] !== opts.token) return text(401, 'invalid or missing x-api-key');
    const [account, registry, pkg, version] = m.slice(1).map(decodeURIComponent);
    const filename = url.searchParams.get('filename');
    const f = account === acct()
      ? opts.registries.find((r) => r.name === registry)?.packages.find((p) => p.name === pkg)?.versions.find((v) => v.name === version && !v.deleted)?.files?.find((x) => x.name === filename)
      : undefined;
    // the document lists no 404 for this operation: a file that is not there is answered as invalid parameters (400)
    if (!f) return text(400, `no file ${filename} in ${pkg} ${version}`);
    const body = Buffer.from(f.content);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    res.end(body);
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://emulator');
      const entry: Logged = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        ...(typeof req.headers['x-api-key'] === 'string' ? { apiKey: req.headers['x-api-key'] } : {}),
        ...(typeof req.headers.authorization === 'string' ? { authorization: req.headers.authorization } : {}),
        status: 0,
      };
      log.push(entry);
      res.on('finish', () => (entry.status = res.statusCode));
      try {
        if (url.pathname.startsWith(API_PATH + '/')) {
          const opPath = url.pathname.slice(API_PATH.length);
          const problems = checkRequest(opPath, url, req);
          if (problems.length) violations.push(...problems.map((p) => `request ${req.method} ${opPath}: ${p}`));
          if (req.headers.authorization) violations.push(`request ${req.method} ${opPath}: an Authorization header was sent to the REST API (HAR takes x-api-key)`);
          for (const rule of rules) if (await rule(req, url, res, emu)) return;
          if (problems.length) return error(res, opPath, 400, 'BAD_REQUEST', problems.join('; '));
          if (opts.token && req.headers['x-api-key'] !== opts.token) return error(res, opPath, 401, 'UNAUTHORIZED', 'invalid or missing x-api-key');
          return api(opPath, url, res);
        }
        if (url.pathname.startsWith('/pkg/')) return await download(req, url, res);
        for (const rule of rules) if (await rule(req, url, res, emu)) return;
        if (url.pathname.startsWith('/v2/')) return await proxyOci(req, url, res);
        res.writeHead(404).end();
      } catch (e) {
        violations.push(`emulator error: ${(e as Error).message}`);
        if (!res.headersSent) res.writeHead(500).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const emu: HarEmulator = {
    url,
    apiUrl: url + API_PATH,
    log,
    violations,
    rules,
    seed: opts,
    quarantinedPulls,
    json,
    count: (re) => log.filter((l) => re.test(l.path)).length,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return emu;
}
