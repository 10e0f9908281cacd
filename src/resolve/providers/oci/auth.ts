/**
 * Where credentials come from: the config's `{env: NAME}` references, else the user's docker
 * config.json (`auths`, `credHelpers`, `credsStore`), else anonymous. Values are registered with
 * the redactor the moment they are read, and never leave this provider except as request headers
 * to the registry's own host.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { RegistryConfig } from '../../../core/model.js';
import type { Redactor } from './redact.js';

export type Credentials =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string; source: string }
  | { kind: 'bearer'; token: string; source: string };

export interface HelperResult {
  code: number;
  stdout: string;
}

/** Runs `program args...` with `input` on stdin. Injectable so tests need no real helper. */
export type HelperRunner = (program: string, args: string[], input: string, timeoutMs: number) => Promise<HelperResult>;

export const defaultHelperRunner: HelperRunner = (program, args, input, timeoutMs) =>
  new Promise((resolve, reject) => {
    // (node:child_process asked for when a process is started: importing it loads net and dgram, a few ms of every run)
    const child = process.getBuiltinModule('node:child_process').spawn(program, args, { stdio: ['pipe', 'pipe', 'ignore'], timeout: timeoutMs, shell: false });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8') }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });

export type CredentialResult = { ok: true; creds: Credentials; warning?: string } | { ok: false; message: string };

export interface CredentialEnv {
  env: Readonly<Record<string, string | undefined>>;
  runHelper: HelperRunner;
  redactor: Redactor;
  helperTimeoutMs: number;
}

export async function loadCredentials(config: RegistryConfig, host: string, ctx: CredentialEnv): Promise<CredentialResult> {
  const auth = config.auth;
  if (auth && (auth.username || auth.password || auth.token)) {
    if (auth.token) {
      const token = ctx.env[auth.token.env];
      if (!token) return { ok: false, message: `auth.token refers to environment variable ${auth.token.env}, which is not set` };
      ctx.redactor.add(token);
      return { ok: true, creds: { kind: 'bearer', token, source: `env ${auth.token.env}` } };
    }
    if (!auth.username || !auth.password) return { ok: false, message: 'auth needs both username and password (or token)' };
    const username = ctx.env[auth.username.env];
    const password = ctx.env[auth.password.env];
    const missing = [!username ? auth.username.env : '', !password ? auth.password.env : ''].filter(Boolean);
    if (missing.length) return { ok: false, message: `auth refers to environment variable ${missing.join(' and ')}, which is not set` };
    ctx.redactor.addBasic(username!, password!);
    return { ok: true, creds: { kind: 'basic', username: username!, password: password!, source: `env ${auth.username.env}/${auth.password.env}` } };
  }
  return dockerConfigCredentials(host, ctx);
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

function normaliseKey(key: string): string {
  let k = key.trim().toLowerCase();
  k = k.replace(/^[a-z]+:\/\//, '');
  k = k.replace(/\/.*$/, '');
  return k;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

function sameRegistry(key: string, host: string): boolean {
  const k = normaliseKey(key);
  const h = host.toLowerCase();
  if (k === h) return true;
  return DOCKER_HUB.has(k) && DOCKER_HUB.has(h);
}

async function dockerConfigCredentials(host: string, ctx: CredentialEnv): Promise<CredentialResult> {
  const dir = ctx.env.DOCKER_CONFIG || (ctx.env.HOME ? path.join(ctx.env.HOME, '.docker') : undefined);
  if (!dir) return { ok: true, creds: { kind: 'none' } };
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { ok: true, creds: { kind: 'none' } };
  }
  let cfg: DockerConfig;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
    cfg = parsed as DockerConfig;
  } catch {
    return { ok: true, creds: { kind: 'none' }, warning: `docker config ${file} is not valid JSON; ignored` };
  }
  const helperEntry = Object.entries(cfg.credHelpers ?? {}).find(([k]) => sameRegistry(k, host));
  if (helperEntry && typeof helperEntry[1] === 'string') return runCredentialHelper(helperEntry[1], helperEntry[0], ctx);
  const authEntry = Object.entries(cfg.auths ?? {}).find(([k]) => sameRegistry(k, host));
  if (authEntry) {
    const [, a] = authEntry;
    if (a && typeof a.auth === 'string' && a.auth) {
      const decoded = Buffer.from(a.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) {
        const username = decoded.slice(0, i);
        const password = decoded.slice(i + 1);
        ctx.redactor.add(a.auth);
        ctx.redactor.addBasic(username, password);
        return { ok: true, creds: { kind: 'basic', username, password, source: 'docker config.json' } };
      }
    }
    if (a && typeof a.username === 'string' && typeof a.password === 'string') {
      ctx.redactor.addBasic(a.username, a.password);
      return { ok: true, creds: { kind: 'basic', username: a.username, password: a.password, source: 'docker config.json' } };
    }
  }
  if (typeof cfg.credsStore === 'string' && cfg.credsStore) return runCredentialHelper(cfg.credsStore, authEntry?.[0] ?? host, ctx);
  return { ok: true, creds: { kind: 'none' } };
}

async function runCredentialHelper(helper: string, serverUrl: string, ctx: CredentialEnv): Promise<CredentialResult> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
    return { ok: true, creds: { kind: 'none' }, warning: `docker credential helper name ${JSON.stringify(helper)} is not valid; ignored` };
  }
  const program = `docker-credential-${helper}`;
  let result: HelperResult;
  try {
    result = await ctx.runHelper(program, ['get'], serverUrl, ctx.helperTimeoutMs);
  } catch {
    return { ok: true, creds: { kind: 'none' }, warning: `docker credential helper ${program} could not be run; continuing anonymously` };
  }
  // Exit 1 with "credentials not found" is the documented "no entry": anonymous, quietly.
  if (result.code !== 0) return { ok: true, creds: { kind: 'none' } };
  try {
    const parsed = JSON.parse(result.stdout) as { Username?: unknown; Secret?: unknown };
    if (typeof parsed.Secret !== 'string' || !parsed.Secret) return { ok: true, creds: { kind: 'none' } };
    const username = typeof parsed.Username === 'string' ? parsed.Username : '';
    ctx.redactor.addBasic(username, parsed.Secret);
    return { ok: true, creds: { kind: 'basic', username, password: parsed.Secret, source: program } };
  } catch {
    return { ok: true, creds: { kind: 'none' }, warning: `docker credential helper ${program} printed something that is not JSON; ignored` };
  }
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate` (one or more challenges). */
export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  const re = /\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s+|$)((?:\s*,?\s*[A-Za-z0-9_-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^,\s]*))*)\s*,?/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < header.length && (m = re.exec(header)) !== null) {
    if (m[0] === '') break;
    const params: Record<string, string> = {};
    const pre = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
    let p: RegExpExecArray | null;
    while ((p = pre.exec(m[2] ?? '')) !== null) {
      params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    }
    out.push({ scheme: m[1]!.toLowerCase(), params });
  }
  return out;
}

/**
 * The token request of the Docker token flow: the challenge's realm with its `service` and one
 * `scope` parameter per scope. Refused: a realm that is not a URL, carries credentials, or is
 * not https (`allowedScheme` decides on plain http).
 */
export function tokenRequest(challenge: { realm: string; service?: string }, scopes: readonly string[], allowedScheme: (u: URL) => boolean): { ok: true; url: URL } | { ok: false; code: 'REGISTRY_AUTH' | 'REGISTRY_UNAVAILABLE'; reason: 'realm-refused' | 'bad-answer'; message: string } {
  let realm: URL;
  try {
    realm = new URL(challenge.realm);
  } catch {
    return { ok: false, code: 'REGISTRY_UNAVAILABLE', reason: 'bad-answer', message: `the token realm ${JSON.stringify(challenge.realm)} is not a URL` };
  }
  if (realm.username || realm.password || !allowedScheme(realm)) {
    return { ok: false, code: 'REGISTRY_AUTH', reason: 'realm-refused', message: `refused the token realm on ${realm.host}: it must be https (http only for loopback hosts or insecure: true) without credentials in the URL` };
  }
  if (challenge.service) realm.searchParams.set('service', challenge.service);
  for (const s of scopes) if (s) realm.searchParams.append('scope', s);
  return { ok: true, url: realm };
}

/** A token service's answer (`token` or `access_token`, `expires_in`, `issued_at`): the token and when to stop using it. */
export function tokenAnswer(value: unknown, nowMs: number): { token: string; expiresAt: number } | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const body = value as { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
  const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
  if (!token) return undefined;
  const lifetime = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60) * 1000;
  const issued = typeof body.issued_at === 'string' ? Date.parse(body.issued_at) : NaN;
  const start = Number.isNaN(issued) || issued > nowMs ? nowMs : issued;
  return { token, expiresAt: start + lifetime - Math.min(5000, lifetime / 10) };
}
