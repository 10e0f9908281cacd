/**
 * Writing to a mirror registry for `gitopsc stage` (host layer): the OCI distribution API's
 * blob HEAD, cross-repository mount, monolithic upload (POST then PUT ?digest=) and manifest
 * PUT by digest. Credentials come from the registry's config like the provider's (env
 * references or docker config/credential helpers: ECR's helper answers with basic auth); they
 * are sent only to the mirror's host and never printed. A 401 with a Bearer challenge is
 * answered by the Docker token flow (the challenge parsed like the provider's): a token for
 * `repository:<target>:push,pull` (and `repository:<source>:pull` for a cross-repository mount),
 * asked of the realm with the credentials only when the realm is on the mirror's own host.
 */
import type { Host } from '../host/index.js';
import type { RegistryConfig } from '../core/model.js';
import type { ProviderFailure } from '../resolve/provider.js';
import { basicHeader } from '../resolve/providers/oci/http.js';
import { defaultHelperRunner, loadCredentials, parseChallenges, tokenAnswer, tokenRequest, type Credentials } from '../resolve/providers/oci/auth.js';
import { Redactor } from '../resolve/providers/oci/redact.js';
import { isLoopbackHost } from '../resolve/providers/oci/media.js';

const MAX_TOKEN_ANSWER = 1024 * 1024;

export type PushResult<T> = { ok: true; value: T } | { ok: false; failure: ProviderFailure };

export interface Pusher {
  /** true when the mirror repository already has the blob */
  hasBlob(repo: string, digest: string): Promise<PushResult<boolean>>;
  /** mount a blob from another repository of the same registry; false: the registry wants an upload */
  mount(repo: string, digest: string, from: string): Promise<PushResult<boolean>>;
  upload(repo: string, digest: string, bytes: Buffer): Promise<PushResult<void>>;
  putManifest(repo: string, digest: string, bytes: Buffer, mediaType: string): Promise<PushResult<void>>;
}

export function createPusher(name: string, config: RegistryConfig, host: Host): PushResult<Pusher> {
  const redactor = new Redactor();
  const fail = (message: string, code: ProviderFailure['code'] = 'REGISTRY_UNAVAILABLE', reason?: ProviderFailure['reason']): ProviderFailure => ({ code, ...(reason ? { reason } : {}), message: redactor.redact(`mirror registry "${name}": ${message}`) });
  let base: URL;
  try {
    base = new URL(config.url ?? '');
  } catch {
    return { ok: false, failure: fail('its url is not a valid URL', 'REGISTRY_UNAVAILABLE', 'bad-config') };
  }
  if (base.username || base.password) return { ok: false, failure: fail('credentials in the registry URL are refused', 'REGISTRY_AUTH', 'url-credentials') };
  if (base.protocol !== 'https:' && !(base.protocol === 'http:' && (config.insecure || isLoopbackHost(base.hostname)))) {
    return { ok: false, failure: fail(`url must be https:// (plain http only for loopback hosts or with insecure: true)`, 'REGISTRY_UNAVAILABLE', 'bad-config') };
  }
  const origin = `${base.protocol}//${base.host}`;
  const timeoutMs = Number(host.env.GITOPSC_REGISTRY_TIMEOUT_MS) > 0 ? Number(host.env.GITOPSC_REGISTRY_TIMEOUT_MS) : 120_000;
  const allowedScheme = (u: URL) => u.protocol === 'https:' || (u.protocol === 'http:' && (config.insecure === true || isLoopbackHost(u.hostname)));
  let creds: Promise<PushResult<Credentials>> | undefined;
  const credentials = () =>
    (creds ??= loadCredentials(config, base.host, { env: host.env, runHelper: defaultHelperRunner, redactor, helperTimeoutMs: 30_000 }).then((c): PushResult<Credentials> => {
      if (!c.ok) return { ok: false, failure: fail(c.message, 'REGISTRY_AUTH', 'credentials-unavailable') };
      if (c.creds.kind === 'basic') redactor.add(c.creds.password);
      if (c.creds.kind === 'bearer') redactor.add(c.creds.token);
      return { ok: true, value: c.creds };
    }));
  // the token flow, once the mirror has challenged with Bearer: one token per scope set
  let bearer: { realm: string; service?: string } | undefined;
  const tokens = new Map<string, { token: string; expiresAt: number }>();

  async function fetchToken(scopes: string[], c: Credentials): Promise<PushResult<string>> {
    const key = scopes.join(' ');
    const cached = tokens.get(key);
    if (cached && cached.expiresAt > host.now().getTime()) return { ok: true, value: cached.token };
    const req = tokenRequest(bearer!, scopes, allowedScheme);
    if (!req.ok) return { ok: false, failure: fail(req.message, req.code, req.reason) };
    const realm = req.url;
    // the password goes only to the mirror's own host
    const sendCreds = c.kind === 'basic' && realm.host === base.host && realm.protocol === base.protocol;
    const headers = new Headers({ 'user-agent': 'gitopsc', accept: 'application/json' });
    if (sendCreds && c.kind === 'basic') headers.set('authorization', basicHeader(c.username, c.password));
    const what = `GET ${realm.host}${realm.pathname} (token)`;
    let res: Response;
    try {
      res = await host.fetch(realm.href, { method: 'GET', headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      return { ok: false, failure: fail(`${what}: ${err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.message)}`, 'REGISTRY_UNAVAILABLE', err.name === 'TimeoutError' ? 'timeout' : 'unreachable') };
    }
    // a token answer is small: refuse a long one before reading it
    if (Number(res.headers.get('content-length') ?? 0) > MAX_TOKEN_ANSWER) {
      await res.body?.cancel().catch(() => undefined);
      return { ok: false, failure: fail(`${what}: the answer is larger than ${MAX_TOKEN_ANSWER} bytes`, 'REGISTRY_UNAVAILABLE', 'too-large') };
    }
    const text = (await res.text().catch(() => '')).slice(0, MAX_TOKEN_ANSWER);
    if (res.status === 401 || res.status === 403) {
      const who = c.kind === 'basic' ? (sendCreds ? `the credentials from ${c.source}` : 'an anonymous token request (credentials are sent only to the registry host)') : 'an anonymous token request';
      return { ok: false, failure: fail(`${what}: HTTP ${res.status}: the token service refused ${who}`, 'REGISTRY_AUTH', 'token-refused') };
    }
    if (res.status !== 200) return { ok: false, failure: fail(`${what}: HTTP ${res.status}`, 'REGISTRY_UNAVAILABLE', 'bad-answer') };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, failure: fail(`${what}: the answer is not JSON`, 'REGISTRY_UNAVAILABLE', 'bad-answer') };
    }
    const answer = tokenAnswer(body, host.now().getTime());
    if (!answer) return { ok: false, failure: fail(`${what}: the answer holds no token`, 'REGISTRY_UNAVAILABLE', 'bad-answer') };
    const { token } = answer;
    redactor.add(token);
    tokens.set(key, answer);
    return { ok: true, value: token };
  }

  async function authorization(scopes: string[]): Promise<PushResult<string | undefined>> {
    const c = await credentials();
    if (!c.ok) return c;
    const cr = c.value;
    if (cr.kind === 'bearer') return { ok: true, value: `Bearer ${cr.token}` };
    if (bearer) {
      const t = await fetchToken(scopes, cr);
      return t.ok ? { ok: true, value: `Bearer ${t.value}` } : t;
    }
    if (cr.kind === 'basic') return { ok: true, value: basicHeader(cr.username, cr.password) };
    return { ok: true, value: undefined };
  }

  async function send(method: string, url: URL, scopes: string[], init: { body?: Buffer; headers?: Record<string, string> } = {}): Promise<PushResult<Response>> {
    if (url.origin !== origin) return { ok: false, failure: fail(`refused to send to another host (${url.host})`, 'REGISTRY_UNAVAILABLE', 'redirect-refused') };
    for (let challenged = false; ; ) {
      const a = await authorization(scopes);
      if (!a.ok) return a;
      const headers = new Headers({ 'user-agent': 'gitopsc', ...init.headers });
      if (a.value) headers.set('authorization', a.value);
      let res: Response;
      try {
        res = await host.fetch(url.href, { method, headers, ...(init.body ? { body: init.body } : {}), redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      } catch (e) {
        const err = e as Error & { cause?: { code?: string } };
        const why = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.message);
        return { ok: false, failure: fail(`${method} ${url.pathname}: ${why}`, 'REGISTRY_UNAVAILABLE', 'unreachable') };
      }
      if (res.status === 401 && !challenged) {
        const c = await credentials();
        const challenge = parseChallenges(res.headers.get('www-authenticate')).find((x) => x.scheme === 'bearer' && x.params.realm);
        if (challenge && c.ok && c.value.kind !== 'bearer') {
          await res.body?.cancel().catch(() => undefined);
          challenged = true;
          bearer = { realm: challenge.params.realm!, ...(challenge.params.service ? { service: challenge.params.service } : {}) };
          tokens.delete(scopes.join(' '));
          continue;
        }
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: false, failure: fail(`${method} ${url.pathname}: HTTP ${res.status}: the credentials may not push here`, 'REGISTRY_AUTH', 'refused') };
      }
      return { ok: true, value: res };
    }
  }
  const v2 = (repo: string, rest: string) => new URL(`/v2/${repo}/${rest}`, origin);
  const push = (repo: string) => [`repository:${repo}:push,pull`];
  const unexpected = async (res: Response, what: string): Promise<PushResult<never>> => {
    const text = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
    return { ok: false, failure: fail(`${what}: unexpected HTTP ${res.status}${text ? ` (${text})` : ''}`, 'REGISTRY_UNAVAILABLE', 'bad-answer') };
  };

  async function startUpload(repo: string, query: string, scopes = push(repo)): Promise<PushResult<Response>> {
    return send('POST', v2(repo, `blobs/uploads/${query}`), scopes, { headers: { 'content-length': '0' } });
  }

  async function finish(repo: string, res: Response, digest: string, bytes: Buffer): Promise<PushResult<void>> {
    const location = res.headers.get('location');
    await res.body?.cancel().catch(() => undefined);
    if (res.status !== 202 || !location) return unexpected(res, `POST /v2/${repo}/blobs/uploads/`);
    const url = new URL(location, origin);
    url.searchParams.set('digest', digest);
    const put = await send('PUT', url, push(repo), { body: bytes, headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) } });
    if (!put.ok) return put;
    if (put.value.status !== 201) return unexpected(put.value, `PUT /v2/${repo}/blobs/uploads/`);
    await put.value.body?.cancel().catch(() => undefined);
    return { ok: true, value: undefined };
  }

  return {
    ok: true,
    value: {
      async hasBlob(repo, digest) {
        const r = await send('HEAD', v2(repo, `blobs/${digest}`), push(repo));
        if (!r.ok) return r;
        if (r.value.status === 200) return { ok: true, value: true };
        if (r.value.status === 404) return { ok: true, value: false };
        return unexpected(r.value, `HEAD /v2/${repo}/blobs/${digest}`);
      },
      async mount(repo, digest, from) {
        const r = await startUpload(repo, `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, [...push(repo), `repository:${from}:pull`]);
        if (!r.ok) return r;
        await r.value.body?.cancel().catch(() => undefined);
        if (r.value.status === 201) return { ok: true, value: true };
        // 202: the registry opened an upload session instead (docker-registry leaves it to expire)
        if (r.value.status === 202) return { ok: true, value: false };
        return unexpected(r.value, `POST /v2/${repo}/blobs/uploads/?mount=`);
      },
      async upload(repo, digest, bytes) {
        const r = await startUpload(repo, '');
        if (!r.ok) return r;
        return finish(repo, r.value, digest, bytes);
      },
      async putManifest(repo, digest, bytes, mediaType) {
        const r = await send('PUT', v2(repo, `manifests/${digest}`), push(repo), { body: bytes, headers: { 'content-type': mediaType } });
        if (!r.ok) return r;
        if (r.value.status !== 201) return unexpected(r.value, `PUT /v2/${repo}/manifests/${digest}`);
        await r.value.body?.cancel().catch(() => undefined);
        return { ok: true, value: undefined };
      },
    },
  };
}
