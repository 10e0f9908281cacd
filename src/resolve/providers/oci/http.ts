/**
 * The registry HTTP client: one place for timeouts, the overall deadline, retries with
 * backoff and jitter, Retry-After, redirects (Authorization dropped off-host), the response-size
 * cap, the concurrency limit and authentication (Basic, static Bearer, the token flow).
 */
import type { Host } from '../../../host/index.js';
import type { ProviderFailure, ProviderFailureCode } from '../../provider.js';
import type { ReasonFor } from '../../../core/reasons.js';
import { loadCredentials, parseChallenges, tokenAnswer, tokenRequest, type CredentialResult, type Credentials, type HelperRunner } from './auth.js';
import { Semaphore } from './limit.js';
import { isLoopbackHost } from './media.js';
import { Redactor } from './redact.js';

export interface OciOptions {
  /** per request (headers and body), ms; default 20 s */
  timeoutMs?: number;
  /** for everything this provider does in one run, ms; default 55 s */
  deadlineMs?: number;
  /**
   * timeouts of one host, in a row, after which every request to it fails at once for the rest
   * of the run (the circuit breaker); default 2; 0 turns it off
   */
  breakerThreshold?: number;
  /** retries after the first attempt for connection errors, timeouts, 408, 429, 5xx; default 3 */
  retries?: number;
  /** exponential backoff: base * 2^attempt, capped, with jitter; defaults 250 ms and 5 s */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** longest Retry-After honoured; longer waits are cut to this; default 60 s */
  retryAfterCapMs?: number;
  /** largest response body accepted; default 16 MiB */
  maxBytes?: number;
  /** tags/list pages followed before failing; default 100 */
  maxPages?: number;
  /** `n` sent on tags/list; default 1000 */
  pageSize?: number;
  /** runs docker-credential-* helpers */
  runHelper?: HelperRunner;
  /** jitter source, [0,1) */
  random?: () => number;
}

export type ResolvedOptions = Required<Omit<OciOptions, 'runHelper'>> & { runHelper?: HelperRunner };

export const DEFAULT_OPTIONS: ResolvedOptions = {
  timeoutMs: 20_000,
  deadlineMs: 55_000,
  breakerThreshold: 2,
  retries: 3,
  backoffBaseMs: 250,
  backoffCapMs: 5_000,
  retryAfterCapMs: 60_000,
  maxBytes: 16 * 1024 * 1024,
  maxPages: 100,
  pageSize: 1000,
  random: Math.random,
};

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  url: URL;
}

export type HttpOutcome = { ok: true; res: HttpResponse } | { ok: false; failure: ProviderFailure };

type Exchange =
  | { kind: 'res'; res: HttpResponse }
  | { kind: 'error'; reason: string; why: ReasonFor<'REGISTRY_UNAVAILABLE'>; retryable: boolean };

interface TokenEntry {
  token: string;
  expiresAt: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRY_STATUS = (s: number) => s === 408 || s === 429 || s >= 500;

class TooLarge extends Error {}

/** Network errors that mean "no answer in time", as a timeout does (undici codes and errno). */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A per-host circuit breaker: after `threshold` timeouts in a row (no answer in between), the
 * host is taken as dead for the rest of the run: requests in flight are aborted and every later
 * request fails at once, instead of each waiting for its own timeouts and retries.
 */
export class HostBreaker {
  private failures = 0;
  private readonly controller = new AbortController();
  /** why the breaker opened; undefined while closed */
  reason: string | undefined;
  constructor(
    readonly host: string,
    private readonly threshold: number,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get open(): boolean {
    return this.reason !== undefined;
  }

  answered(): void {
    if (!this.open) this.failures = 0;
  }

  timedOut(reason: string): void {
    if (this.open || this.threshold <= 0) return;
    if (++this.failures >= this.threshold) {
      this.reason = reason;
      this.controller.abort();
    }
  }
}

/** Breakers by host, one set per Host object (that is, per run), shared by every client of it. */
const breakers = new WeakMap<Host, Map<string, HostBreaker>>();

export function breakerFor(host: Host, hostPort: string, threshold: number): HostBreaker {
  let m = breakers.get(host);
  if (!m) breakers.set(host, (m = new Map()));
  let b = m.get(hostPort);
  if (!b) m.set(hostPort, (b = new HostBreaker(hostPort, threshold)));
  return b;
}

/** Where a redirect may lead: the host of the request only (the default), or anywhere (content-addressed blobs). */
export type RedirectPolicy = 'same-host' | 'any';

export interface ClientInit {
  name: string;
  base: URL;
  insecure: boolean;
  host: Host;
  options: ResolvedOptions;
  redactor: Redactor;
  concurrency: number;
  loadCredentials: () => Promise<CredentialResult>;
}

export class RegistryClient {
  private readonly sem: Semaphore;
  private deadline: AbortSignal | undefined;
  private creds: Promise<CredentialResult> | undefined;
  private bearer: { realm: string; service?: string } | undefined;
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly tokenInflight = new Map<string, Promise<{ ok: true; token: string } | { ok: false; failure: ProviderFailure }>>();
  readonly warnings: ProviderFailure[] = [];
  /** requests sent (each attempt and hop), for the benchmark and tests */
  requests = 0;

  constructor(private readonly init: ClientInit) {
    this.sem = new Semaphore(Math.max(1, init.concurrency));
  }

  get registryHost(): string {
    return this.init.base.host;
  }

  failure<C extends ProviderFailureCode>(code: C, message: string, url?: URL, reason?: ReasonFor<C>): ProviderFailure {
    const where = `registry "${this.init.name}" (${this.init.base.host})`;
    return {
      code,
      ...(reason ? { reason } : {}),
      message: this.init.redactor.redact(`${where}: ${message}`),
      ...(url ? { path: url.pathname } : {}),
    };
  }

  private deadlineSignal(): AbortSignal {
    this.deadline ??= AbortSignal.timeout(this.init.options.deadlineMs);
    return this.deadline;
  }

  private credentials(): Promise<CredentialResult> {
    this.creds ??= this.init.loadCredentials().then((r) => {
      if (r.ok && r.warning) this.warnings.push({ code: 'REGISTRY_AUTH', reason: 'docker-config-ignored', severity: 'warning', message: this.init.redactor.redact(r.warning) });
      return r;
    });
    return this.creds;
  }

  private allowedScheme(url: URL): boolean {
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && (this.init.insecure || isLoopbackHost(url.hostname));
  }

  private sameRegistry(url: URL): boolean {
    return url.host === this.init.base.host && url.protocol === this.init.base.protocol;
  }

  private backoff(attempt: number): number {
    const { backoffBaseMs, backoffCapMs, random } = this.init.options;
    const d = Math.min(backoffCapMs, backoffBaseMs * 2 ** attempt);
    return Math.round(d * (0.5 + random() / 2));
  }

  private retryAfter(res: HttpResponse): number | undefined {
    const h = res.headers.get('retry-after');
    if (!h) return undefined;
    let ms: number;
    if (/^\s*\d+\s*$/.test(h)) ms = Number(h) * 1000;
    else {
      const t = Date.parse(h);
      if (Number.isNaN(t)) return undefined;
      ms = t - this.init.host.now().getTime();
    }
    return Math.max(0, Math.min(ms, this.init.options.retryAfterCapMs));
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || ms <= 0) return resolve();
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private breaker(url: URL): HostBreaker {
    return breakerFor(this.init.host, url.host, this.init.options.breakerThreshold);
  }

  private breakerError(b: HostBreaker): Exchange {
    return { kind: 'error', why: 'circuit-open', reason: `${b.host} is not answering (${b.reason ?? 'timeouts'}); not tried again in this run`, retryable: false };
  }

  /**
   * One request with redirects followed by hand, each hop with its own timeout. A redirect to
   * another host than the request's is refused unless `redirects` is 'any'.
   */
  private async exchange(method: 'GET' | 'HEAD', url: URL, headers: Record<string, string>, authorization: string | undefined, maxBytes: number, redirects: RedirectPolicy = 'same-host'): Promise<Exchange> {
    const deadline = this.deadlineSignal();
    const timeoutMs = Math.min(this.init.options.timeoutMs, this.init.options.deadlineMs);
    let current = url;
    for (let hop = 0; hop <= 5; hop++) {
      if (!this.allowedScheme(current)) {
        return { kind: 'error', why: 'redirect-refused', reason: `refused to follow a redirect to plain http on ${current.host}`, retryable: false };
      }
      const breaker = this.breaker(current);
      if (breaker.open) return this.breakerError(breaker);
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([timeout, deadline, breaker.signal]);
      const h = new Headers(headers);
      if (authorization && this.sameRegistry(current)) h.set('authorization', authorization);
      this.requests++;
      try {
        const resp = await this.init.host.fetch(current.href, { method, headers: h, redirect: 'manual', signal });
        breaker.answered();
        const location = resp.headers.get('location');
        if (REDIRECTS.has(resp.status) && location) {
          await resp.body?.cancel().catch(() => undefined);
          let next: URL;
          try {
            next = new URL(location, current);
          } catch {
            return { kind: 'error', why: 'redirect-refused', reason: `HTTP ${resp.status} redirects to a Location that is not a URL`, retryable: false };
          }
          if (redirects === 'same-host' && next.host !== url.host) {
            return { kind: 'error', why: 'redirect-refused', reason: `HTTP ${resp.status} redirects to another host (${next.host}); refused: only redirects on ${url.host} are followed`, retryable: false };
          }
          current = next;
          continue;
        }
        const body = method === 'HEAD' ? Buffer.alloc(0) : await readCapped(resp, maxBytes);
        return { kind: 'res', res: { status: resp.status, headers: resp.headers, body, url: current } };
      } catch (e) {
        if (e instanceof TooLarge) return { kind: 'error', why: 'too-large', reason: `response larger than the ${maxBytes}-byte limit`, retryable: false };
        if (deadline.aborted) return { kind: 'error', why: 'deadline', reason: `overall deadline of ${this.init.options.deadlineMs} ms exceeded`, retryable: false };
        if (timeout.aborted) {
          const reason = `no complete answer within ${timeoutMs} ms`;
          breaker.timedOut(reason);
          return { kind: 'error', why: 'timeout', reason, retryable: true };
        }
        if (breaker.signal.aborted) return this.breakerError(breaker);
        const reason = describeNetworkError(e);
        if (TIMEOUT_CODES.has(networkErrorCode(e) ?? '')) breaker.timedOut(reason);
        return { kind: 'error', why: 'unreachable', reason, retryable: true };
      }
    }
    return { kind: 'error', why: 'redirect-refused', reason: 'too many redirects', retryable: false };
  }

  /**
   * A registry request with auth, retries and the concurrency limit. Returns the final response
   * for any status except 401/403 (REGISTRY_AUTH) and retryable statuses that never recovered
   * (REGISTRY_UNAVAILABLE).
   */
  async request(method: 'GET' | 'HEAD', url: URL, opts: { repo?: string; accept?: string; maxBytes?: number; redirects?: RedirectPolicy } = {}): Promise<HttpOutcome> {
    const deadline = this.deadlineSignal();
    const what = `${method} ${url.pathname}`;
    const headers: Record<string, string> = { 'user-agent': 'gitopsc' };
    if (opts.accept) headers.accept = opts.accept;
    const maxBytes = opts.maxBytes ?? this.init.options.maxBytes;
    let attempt = 0;
    let challenged = false;
    let challengeScope: string | undefined;
    for (;;) {
      if (deadline.aborted) return { ok: false, failure: this.failure('REGISTRY_UNAVAILABLE', `${what}: overall deadline of ${this.init.options.deadlineMs} ms exceeded`, url, 'deadline') };
      const auth = await this.authorization(url, opts.repo, challengeScope);
      if (!auth.ok) return auth;
      const release = await this.sem.acquire();
      let ex: Exchange;
      try {
        ex = await this.exchange(method, url, headers, auth.header, maxBytes, opts.redirects);
      } finally {
        release();
      }
      if (ex.kind === 'error') {
        // no retry once the host's breaker is open: the next attempt could only fail at once
        if (ex.retryable && attempt < this.init.options.retries && !deadline.aborted && !this.breaker(url).open) {
          await this.sleep(this.backoff(attempt), deadline);
          attempt++;
          continue;
        }
        const tries = attempt + 1;
        return { ok: false, failure: this.failure('REGISTRY_UNAVAILABLE', `${what}: ${ex.reason}${tries > 1 ? ` (after ${tries} attempts)` : ''}`, url, ex.why) };
      }
      const res = ex.res;
      if (res.status === 401 && this.sameRegistry(res.url)) {
        const creds = await this.credentials();
        const c: Credentials = creds.ok ? creds.creds : { kind: 'none' };
        if (!challenged) {
          const bearer = parseChallenges(res.headers.get('www-authenticate')).find((x) => x.scheme === 'bearer' && x.params.realm);
          if (bearer && c.kind !== 'bearer') {
            challenged = true;
            this.bearer = { realm: bearer.params.realm!, ...(bearer.params.service ? { service: bearer.params.service } : {}) };
            challengeScope = bearer.params.scope;
            this.tokens.delete(this.scopeFor(opts.repo, challengeScope));
            continue;
          }
        }
        return { ok: false, failure: this.authFailure(what, res, c, url) };
      }
      if (res.status === 403) {
        const creds = await this.credentials();
        return { ok: false, failure: this.authFailure(what, res, creds.ok ? creds.creds : { kind: 'none' }, url) };
      }
      if (RETRY_STATUS(res.status)) {
        if (attempt < this.init.options.retries) {
          const ra = this.retryAfter(res);
          const delay = ra ?? this.backoff(attempt);
          await this.sleep(delay, deadline);
          attempt++;
          continue;
        }
        const code = registryErrorCode(res.body);
        return {
          ok: false,
          failure: this.failure('REGISTRY_UNAVAILABLE', `${what}: HTTP ${res.status}${code ? ` ${code}` : ''} (after ${attempt + 1} attempts)`, url, 'server-error'),
        };
      }
      return { ok: true, res };
    }
  }

  private authFailure(what: string, res: HttpResponse, creds: Credentials, url: URL): ProviderFailure {
    const code = registryErrorCode(res.body);
    const status = `HTTP ${res.status}${code ? ` ${code}` : ''}`;
    if (creds.kind === 'none') {
      return this.failure('REGISTRY_AUTH', `${what}: ${status}: the registry requires credentials and none are configured (auth in the config, or docker config.json)`, url, 'no-credentials');
    }
    const verb = res.status === 403 ? 'denied access with' : 'refused';
    return this.failure('REGISTRY_AUTH', `${what}: ${status}: the registry ${verb} the credentials from ${creds.source}`, url, 'refused');
  }

  private scopeFor(repo: string | undefined, challengeScope: string | undefined): string {
    return challengeScope ?? (repo ? `repository:${repo}:pull` : '');
  }

  private async authorization(url: URL, repo: string | undefined, challengeScope: string | undefined): Promise<{ ok: true; header?: string } | { ok: false; failure: ProviderFailure }> {
    if (!this.sameRegistry(url)) return { ok: true };
    const creds = await this.credentials();
    if (!creds.ok) return { ok: false, failure: this.failure('REGISTRY_AUTH', creds.message, url, 'credentials-unavailable') };
    const c = creds.creds;
    if (c.kind === 'bearer') return { ok: true, header: `Bearer ${c.token}` };
    if (this.bearer) {
      const scope = this.scopeFor(repo, challengeScope);
      const t = await this.token(scope, c, url);
      if (!t.ok) return t;
      return { ok: true, header: `Bearer ${t.token}` };
    }
    if (c.kind === 'basic') return { ok: true, header: basicHeader(c.username, c.password) };
    return { ok: true };
  }

  private token(scope: string, creds: Credentials, forUrl: URL): Promise<{ ok: true; token: string } | { ok: false; failure: ProviderFailure }> {
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > this.init.host.now().getTime()) return Promise.resolve({ ok: true, token: cached.token });
    let p = this.tokenInflight.get(scope);
    if (!p) {
      p = this.fetchToken(scope, creds, forUrl).finally(() => this.tokenInflight.delete(scope));
      this.tokenInflight.set(scope, p);
    }
    return p;
  }

  private async fetchToken(scope: string, creds: Credentials, forUrl: URL): Promise<{ ok: true; token: string } | { ok: false; failure: ProviderFailure }> {
    const req = tokenRequest(this.bearer!, scope ? [scope] : [], (u) => this.allowedScheme(u));
    if (!req.ok) return { ok: false, failure: this.failure(req.code, req.message, forUrl, req.reason) };
    const realm = req.url;
    // The password goes only to the configured registry's own host.
    const sendCreds = creds.kind === 'basic' && realm.host === this.init.base.host;
    const headers: Record<string, string> = { 'user-agent': 'gitopsc', accept: 'application/json' };
    const authHeader = sendCreds && creds.kind === 'basic' ? basicHeader(creds.username, creds.password) : undefined;
    const deadline = this.deadlineSignal();
    const what = `GET ${realm.host}${realm.pathname} (token)`;
    for (let attempt = 0; ; attempt++) {
      // authorization is attached only when the realm is on the registry's host (sameRegistry check in exchange)
      const ex = await this.exchange('GET', realm, headers, authHeader, 1024 * 1024);
      const retry = ex.kind === 'error' ? ex.retryable : RETRY_STATUS(ex.res.status);
      if (retry && attempt < this.init.options.retries && !deadline.aborted) {
        await this.sleep((ex.kind === 'res' ? this.retryAfter(ex.res) : undefined) ?? this.backoff(attempt), deadline);
        continue;
      }
      if (ex.kind === 'error') return { ok: false, failure: this.failure('REGISTRY_UNAVAILABLE', `${what}: ${ex.reason}`, forUrl, ex.why) };
      const res = ex.res;
      if (res.status === 401 || res.status === 403) {
        const who = creds.kind === 'basic' ? (sendCreds ? `the credentials from ${creds.source}` : 'an anonymous token request (credentials are sent only to the registry host)') : 'an anonymous token request';
        return { ok: false, failure: this.failure('REGISTRY_AUTH', `${what}: HTTP ${res.status}: the token service refused ${who}`, forUrl, 'token-refused') };
      }
      if (res.status !== 200) return { ok: false, failure: this.failure('REGISTRY_UNAVAILABLE', `${what}: HTTP ${res.status}`, forUrl, 'bad-answer') };
      const parsed = parseJsonBody(res);
      if (!parsed.ok) return { ok: false, failure: this.failure('REGISTRY_UNAVAILABLE', `${what}: ${parsed.reason}`, forUrl, 'bad-answer') };
      const answer = tokenAnswer(parsed.value, this.init.host.now().getTime());
      if (!answer) return { ok: false, failure: this.failure('REGISTRY_UNAVAILABLE', `${what}: the answer holds no token`, forUrl, 'bad-answer') };
      const { token } = answer;
      this.init.redactor.add(token);
      this.tokens.set(scope, answer);
      return { ok: true, token };
    }
  }
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

async function readCapped(resp: Response, max: number): Promise<Buffer> {
  const len = Number(resp.headers.get('content-length') ?? NaN);
  if (Number.isFinite(len) && len > max) {
    await resp.body?.cancel().catch(() => undefined);
    throw new TooLarge();
  }
  if (!resp.body) return Buffer.alloc(0);
  const reader = resp.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new TooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function networkErrorCode(e: unknown): string | undefined {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function describeNetworkError(e: unknown): string {
  const code = networkErrorCode(e);
  if (code) return `connection failed (${code})`;
  return 'connection failed';
}

/** The first `errors[].code` of a registry error body, if any. */
export function registryErrorCode(body: Buffer): string | undefined {
  if (body.length === 0 || body.length > 64 * 1024) return undefined;
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: unknown }> };
    const c = j.errors?.[0]?.code;
    return typeof c === 'string' && /^[A-Z_]{1,64}$/.test(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

export function parseJsonBody(res: HttpResponse): { ok: true; value: unknown } | { ok: false; reason: string } {
  const text = res.body.toString('utf8');
  const type = res.headers.get('content-type') ?? '';
  const looksHtml = /text\/html/i.test(type) || /^\s*</.test(text);
  const show = (t: string) => {
    const flat = t.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim(); // eslint-disable-line no-control-regex
    return JSON.stringify(flat.length > 80 ? flat.slice(0, 80) + '…' : flat);
  };
  if (looksHtml) return { ok: false, reason: `HTTP ${res.status} answered with an HTML page instead of JSON (a login page or proxy?): ${show(text)}` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: `HTTP ${res.status} answered with malformed JSON: ${show(text)}` };
  }
}

export { loadCredentials };
