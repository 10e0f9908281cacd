import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { nodeHost, type Host } from '../../src/host/index.js';
import type { RegistryConfig } from '../../src/core/model.js';
import { createOciProvider, type OciOptions, type OciProvider } from '../../src/resolve/providers/oci/index.js';

export interface Sent {
  method: string;
  url: string;
  path: string;
  authorization?: string;
}

export interface Harness {
  provider: OciProvider;
  sent: Sent[];
  logs: string[];
  cacheDir: string;
  /** requests whose path matches */
  count(re: RegExp, method?: string): number;
}

export interface HarnessOptions {
  name?: string;
  config?: Partial<RegistryConfig>;
  env?: Record<string, string | undefined>;
  cacheDir?: string;
  options?: OciOptions;
  host?: Partial<Host>;
}

const tempDirs: string[] = [];

export function tempDir(prefix = 'gitopsc-oci-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

export function cleanupTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A provider for `url` with a recording fetch and fast retry settings. */
export function harness(url: string, o: HarnessOptions = {}): Harness {
  const sent: Sent[] = [];
  const logs: string[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const u = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const h = new Headers(init?.headers);
    const auth = h.get('authorization');
    sent.push({ method: init?.method ?? 'GET', url: u.href, path: u.pathname, ...(auth ? { authorization: auth } : {}) });
    return globalThis.fetch(input, init);
  };
  const host = nodeHost({ env: o.env ?? { HOME: '/nonexistent-home' }, fetch: fetchImpl, log: (l) => logs.push(l), interactive: false, ...o.host });
  const cacheDir = o.cacheDir ?? tempDir();
  const provider = createOciProvider(
    { name: o.name ?? 'local', config: { type: 'oci', url, ...o.config }, root: cacheDir, host, cacheDir },
    { retries: 2, backoffBaseMs: 5, backoffCapMs: 20, retryAfterCapMs: 200, timeoutMs: 5000, ...o.options },
  );
  return {
    provider,
    sent,
    logs,
    cacheDir,
    count: (re, method) => sent.filter((s) => re.test(s.path) && (!method || s.method === method)).length,
  };
}
