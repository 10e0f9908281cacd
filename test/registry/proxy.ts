/**
 * A small fault-injecting HTTP proxy in front of the real registry, for what distribution 2.8
 * cannot do itself: Link pagination, 429 with Retry-After, 503 bursts, stalled bodies, an HTML
 * login page, the bearer token flow with its own token endpoint, and redirects to another host.
 * Rules run in order; the first that handles a request wins; everything else is forwarded.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Logged {
  method: string;
  path: string;
  /** host header as sent by the client */
  host: string;
  authorization?: string;
}

export type Rule = (req: IncomingMessage, res: ServerResponse, proxy: Proxy) => boolean | Promise<boolean>;

export interface Proxy {
  url: string;
  host: string;
  port: number;
  /** every request received, in order */
  log: Logged[];
  rules: Rule[];
  /** forwards to the upstream registry (with `upstreamAuth` if set); `edit` may change the answer's headers */
  forward(req: IncomingMessage, res: ServerResponse, path?: string, edit?: (headers: Record<string, string | string[] | undefined>) => void): void;
  upstreamAuth?: string;
  upstreamUrl: string;
  stop(): Promise<void>;
}

export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, bind = '127.0.0.1'): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, bind, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

export async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function startProxy(upstream: string, bind = '127.0.0.1'): Promise<Proxy> {
  const up = new URL(upstream);
  const proxy: Proxy = {
    url: '',
    host: '',
    port: 0,
    log: [],
    rules: [],
    upstreamUrl: up.origin,
    forward(req, res, path, edit) {
      const headers = { ...req.headers, host: up.host };
      delete headers.authorization;
      if (proxy.upstreamAuth) headers.authorization = proxy.upstreamAuth;
      const out = httpRequest({ hostname: up.hostname, port: up.port, method: req.method, path: path ?? req.url, headers }, (r) => {
        const answer = { ...r.headers };
        edit?.(answer);
        res.writeHead(r.statusCode ?? 502, answer);
        r.pipe(res);
      });
      out.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(out);
    },
    stop: async () => undefined,
  };
  const { server, port } = await listen((req, res) => {
    proxy.log.push({ method: req.method ?? '', path: req.url ?? '', host: req.headers.host ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    void (async () => {
      for (const rule of proxy.rules) if (await rule(req, res, proxy)) return;
      proxy.forward(req, res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  }, bind);
  proxy.port = port;
  proxy.host = `${bind}:${port}`;
  proxy.url = `http://${bind}:${port}`;
  proxy.stop = () => stopServer(server);
  return proxy;
}

// ---------------------------------------------------------------- rules

const path = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://x');

export function matching(re: RegExp, method?: string): (req: IncomingMessage) => boolean {
  return (req) => re.test(path(req).pathname) && (!method || req.method === method);
}

/** Answers the first `times` matching requests with `status` (then lets them through). */
export function failTimes(match: (req: IncomingMessage) => boolean, times: number, status: number, headers: Record<string, string> = {}, body = ''): Rule {
  let left = times;
  return (req, res) => {
    if (left <= 0 || !match(req)) return false;
    left--;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body || JSON.stringify({ errors: [{ code: status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', message: 'injected' }] }));
    return true;
  };
}

/** Headers sent, part of the body, then nothing: the body never completes. */
export function stall(match: (req: IncomingMessage) => boolean, times = Infinity): Rule {
  let left = times;
  return (req, res) => {
    if (left <= 0 || !match(req)) return false;
    left--;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
    res.write('{"name":"x","tags":["1.0.0"');
    return true;
  };
}

/** An HTML login page with 200, as captive portals and SSO proxies answer. */
export function htmlPage(match: (req: IncomingMessage) => boolean, extra = ''): Rule {
  return (req, res) => {
    if (!match(req)) return false;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form action="/login?session=abc123secret">${extra}</form></body></html>`);
    return true;
  };
}

/** A body that is not JSON but not HTML either. */
export function malformed(match: (req: IncomingMessage) => boolean, body = '{"tags": ["1.0.0", '): Rule {
  return (req, res) => {
    if (!match(req)) return false;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return true;
  };
}

/** A body of `size` bytes. */
export function huge(match: (req: IncomingMessage) => boolean, size: number, chunked = false): Rule {
  return (req, res) => {
    if (!match(req)) return false;
    res.writeHead(200, { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': String(size) }) });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!res.write(chunk.subarray(0, n))) return res.once('drain', pump);
      }
      res.end();
    };
    pump();
    return true;
  };
}

export type LinkMode = 'relative' | 'absolute' | 'cross-host' | 'loop' | 'endless';

/**
 * Paginates tags/list from the upstream's full list (sorted), `pageSize` per page, with a
 * Link header as `mode` says. `otherHost` is used for cross-host links.
 */
export function paginate(pageSize: number, mode: LinkMode = 'relative', otherHost = '127.0.0.2:9'): Rule {
  return async (req, res, proxy) => {
    const u = path(req);
    const m = /^\/v2\/(.+)\/tags\/list$/.exec(u.pathname);
    if (!m || req.method !== 'GET') return false;
    const name = m[1]!;
    const upstream = await fetch(`${proxy.upstreamUrl}/v2/${name}/tags/list`, { headers: proxy.upstreamAuth ? { authorization: proxy.upstreamAuth } : {} });
    const body = (await upstream.json()) as { tags?: string[] | null };
    if (upstream.status !== 200) {
      res.writeHead(upstream.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      return true;
    }
    const all = [...(body.tags ?? [])].sort();
    const last = u.searchParams.get('last');
    const page = Number(u.searchParams.get('page') ?? '0');
    let start = last ? all.findIndex((t) => t > last) : 0;
    if (start < 0) start = all.length;
    const slice = mode === 'endless' ? [`e${page}`] : all.slice(start, start + pageSize);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const more = mode === 'endless' || start + pageSize < all.length;
    if (more) {
      const lastTag = slice[slice.length - 1] ?? '';
      let next = `/v2/${name}/tags/list?n=${pageSize}&last=${encodeURIComponent(lastTag)}`;
      if (mode === 'endless') next = `/v2/${name}/tags/list?page=${page + 1}`;
      if (mode === 'loop' && last) next = `/v2/${name}/tags/list?n=${pageSize}&last=${encodeURIComponent(last)}`;
      if (mode === 'absolute') next = `${proxy.url}${next}`;
      if (mode === 'cross-host') next = `http://${otherHost}${next}`;
      headers.link = `<${next}>; rel="next"`;
    }
    res.writeHead(200, headers);
    res.end(JSON.stringify({ name, tags: slice }));
    return true;
  };
}

export interface TokenServer {
  url: string;
  host: string;
  /** token requests: the Authorization header received (if any) and the query */
  requests: Array<{ authorization?: string; service: string | null; scope: string | null }>;
  issued: string[];
  handle(req: IncomingMessage, res: ServerResponse): void;
  stop(): Promise<void>;
}

export interface TokenOptions {
  bind?: string;
  credentials?: { username: string; password: string };
  /** with credentials: also grant tokens to requests that carry none */
  anonymous?: boolean;
  expiresIn?: number;
  field?: 'token' | 'access_token';
}

function tokenHandler(ts: TokenServer, opts: TokenOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const u = path(req);
    const authorization = req.headers.authorization;
    ts.requests.push({ ...(authorization ? { authorization } : {}), service: u.searchParams.get('service'), scope: u.searchParams.get('scope') });
    if (opts.credentials) {
      const want = 'Basic ' + Buffer.from(`${opts.credentials.username}:${opts.credentials.password}`).toString('base64');
      if (authorization !== want && !(opts.anonymous && !authorization)) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"details":"incorrect username or password"}');
        return;
      }
    }
    const token = `tok-${ts.issued.length + 1}-${Math.random().toString(36).slice(2)}`;
    ts.issued.push(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ [opts.field ?? 'token']: token, expires_in: opts.expiresIn ?? 300, issued_at: new Date().toISOString() }));
  };
}

/** A token endpoint on its own server (another host when `bind` differs from the registry's). */
export async function startTokenServer(opts: TokenOptions = {}): Promise<TokenServer> {
  const ts: TokenServer = { url: '', host: '', requests: [], issued: [], handle: () => undefined, stop: async () => undefined };
  ts.handle = tokenHandler(ts, opts);
  const { server, port } = await listen((req, res) => ts.handle(req, res), opts.bind ?? '127.0.0.1');
  ts.host = `${opts.bind ?? '127.0.0.1'}:${port}`;
  ts.url = `http://${ts.host}/token`;
  ts.stop = () => stopServer(server);
  return ts;
}

/** A token endpoint served by the proxy itself at /token (the registry's own host). */
export function proxyTokenServer(proxy: Proxy, opts: TokenOptions = {}): { ts: TokenServer; rule: Rule } {
  const ts: TokenServer = { url: `${proxy.url}/token`, host: proxy.host, requests: [], issued: [], handle: () => undefined, stop: async () => undefined };
  ts.handle = tokenHandler(ts, opts);
  const rule: Rule = (req, res) => {
    if (path(req).pathname !== '/token') return false;
    ts.handle(req, res);
    return true;
  };
  return { ts, rule };
}

/** Requires `Authorization: Bearer <issued token>` on /v2/ requests, challenging with `realm` (scope push,pull for writes). */
export function requireBearer(ts: TokenServer, realm: string = ts.url, service = 'test-registry'): Rule {
  return (req, res) => {
    const u = path(req);
    if (!u.pathname.startsWith('/v2/')) return false;
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (token && ts.issued.includes(token)) return false;
    const m = /^\/v2\/(.+?)\/(?:tags|manifests|blobs)\//.exec(u.pathname);
    const actions = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push,pull';
    const scope = m ? `,scope="repository:${m[1]}:${actions}"` : '';
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="${realm}",service="${service}"${scope}` });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    return true;
  };
}

/** Redirects blob GETs to `target` (another host), which serves them from the upstream. */
export function redirectBlobs(target: Proxy): Rule {
  return (req, res) => {
    const u = path(req);
    if (!/\/blobs\/sha256:/.test(u.pathname) || req.method !== 'GET') return false;
    res.writeHead(307, { location: `${target.url}${u.pathname}?X-Amz-Signature=sekritsig123&X-Amz-Credential=abc` });
    res.end();
    return true;
  };
}

/** Forwards matching requests and lets `edit` change the registry's response headers. */
export function editHeaders(match: (req: IncomingMessage) => boolean, edit: (headers: Record<string, string | string[] | undefined>) => void): Rule {
  return (req, res, proxy) => {
    if (!match(req)) return false;
    proxy.forward(req, res, undefined, edit);
    return true;
  };
}

/** Answers matching requests with a redirect (`status`) to the same path and query on `target`. */
export function redirectTo(match: (req: IncomingMessage) => boolean, target: string, status = 302): Rule {
  return (req, res) => {
    if (!match(req)) return false;
    res.writeHead(status, { location: new URL(req.url ?? '/', target).href });
    res.end();
    return true;
  };
}

/** Accepts the connection and never answers: a hung or dead registry behind a load balancer. */
export function silent(match: (req: IncomingMessage) => boolean = () => true): Rule {
  return (req) => match(req);
}
