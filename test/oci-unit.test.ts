import { describe, expect, it } from 'vitest';
import { nextLink } from '../src/resolve/providers/oci/index.js';
import { parseChallenges, tokenAnswer, tokenRequest } from '../src/resolve/providers/oci/auth.js';
import { Redactor, displayUrl } from '../src/resolve/providers/oci/redact.js';

describe('oci helpers', () => {
  it('parses rel="next" Link headers', () => {
    expect(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"')).toBe('/v2/a/tags/list?n=2&last=b');
    expect(nextLink('<https://r.example/v2/a/tags/list?last=x>;rel=next')).toBe('https://r.example/v2/a/tags/list?last=x');
    expect(nextLink('</prev>; rel="prev", </next?a=1,2>; rel="next"')).toBe('/next?a=1,2');
    expect(nextLink('</x>; rel="nextish"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });

  it('parses WWW-Authenticate challenges', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
    expect(c).toEqual({ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } });
    expect(parseChallenges('Basic realm="test-registry"')[0]).toEqual({ scheme: 'basic', params: { realm: 'test-registry' } });
  });

  it('redacts userinfo, query secrets, auth headers and registered values', () => {
    const r = new Redactor();
    r.addBasic('bob', 'pa55word!');
    const text = r.redact('GET https://bob:pa55word!@h/x?X-Amz-Signature=abc&n=1 Authorization: Basic Ym9iOnBhNTV3b3JkIQ== pa55word!');
    expect(text).not.toMatch(/pa55word|abc&|Ym9iOnBhNTV3b3JkIQ/);
    expect(text).toContain('n=1');
    expect(displayUrl(new URL('https://u:p@h/path?access_token=zzz'))).toBe('https://h/path?access_token=***');
  });
});

describe('tokenRequest', () => {
  const https = (u: URL) => u.protocol === 'https:';
  it.each([
    ['push and a mount source: one scope parameter each', { realm: 'https://auth.example/token', service: 'reg' }, ['repository:a/b:push,pull', 'repository:c:pull'], 'https://auth.example/token?service=reg&scope=repository%3Aa%2Fb%3Apush%2Cpull&scope=repository%3Ac%3Apull'],
    ['no service, no scope', { realm: 'https://auth.example/token?x=1' }, [], 'https://auth.example/token?x=1'],
  ] as const)('%s', (_name, challenge, scopes, want) => {
    const r = tokenRequest(challenge, scopes, https);
    expect(r.ok && r.url.href).toBe(want);
  });
  it.each([
    ['not a URL', 'no realm', 'REGISTRY_UNAVAILABLE'],
    ['credentials in the realm', 'https://u:p@auth.example/token', 'REGISTRY_AUTH'],
    ['plain http', 'http://auth.example/token', 'REGISTRY_AUTH'],
  ] as const)('refuses a realm: %s', (_name, realm, code) => {
    const r = tokenRequest({ realm }, ['repository:a:pull'], https);
    expect(r.ok ? 'ok' : r.code).toBe(code);
  });
});

describe('tokenAnswer', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['token with its lifetime', { token: 't', expires_in: 300 }, { token: 't', expiresAt: now + 295_000 }],
    ['access_token, default 60 s', { access_token: 'a' }, { token: 'a', expiresAt: now + 55_000 }],
    ['issued earlier', { token: 't', expires_in: 100, issued_at: '2025-12-31T23:59:00Z' }, { token: 't', expiresAt: now - 60_000 + 95_000 }],
    ['no token', { expires_in: 10 }, undefined],
    ['not an object', 'tok', undefined],
  ] as const)('%s', (_name, body, want) => {
    expect(tokenAnswer(body, now)).toEqual(want);
  });
});
