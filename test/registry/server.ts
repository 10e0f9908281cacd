/**
 * Starts Debian's `docker-registry` (CNCF distribution 2.8) on a free loopback port with its
 * storage in a temporary directory (tmpfs when available), optionally behind htpasswd basic
 * auth, and stops it. Never uses the packaged service or port 5000.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const INSTALL_HINT =
  'docker-registry was not found. The OCI tests run against a real registry: install it with `sudo apt-get install -y docker-registry` (Debian/Ubuntu), or set REGISTRY_BIN to the binary.';

/** Precomputed bcrypt (cost 4) for the test-only user `ci` / `s3cret-test-only`, used when `htpasswd` is not installed. */
export const TEST_USER = 'ci';
export const TEST_PASSWORD = 's3cret-test-only';
const FIXTURE_HTPASSWD = 'ci:$2y$04$l27rbmokLBi5RzRkqna1.OpzJYrGGzhp960FwQ1lsCSU48yx7cpHO';

export function findRegistryBinary(): string | undefined {
  const candidates = [process.env.REGISTRY_BIN, '/usr/bin/docker-registry', '/usr/local/bin/docker-registry'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  try {
    const p = execFileSync('sh', ['-c', 'command -v docker-registry || command -v registry'], { encoding: 'utf8' }).trim();
    return p || undefined;
  } catch {
    return undefined;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RegistryInstance {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT */
  host: string;
  port: number;
  /** the registry process, for stopping it by PID */
  pid: number;
  dir: string;
  auth?: { username: string; password: string };
  /** the registry's log so far (for failure messages) */
  log(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** htpasswd basic auth with TEST_USER / TEST_PASSWORD */
  htpasswd?: boolean;
}

function htpasswdLine(): string {
  try {
    return execFileSync('htpasswd', ['-Bbn', '-C', '4', TEST_USER, TEST_PASSWORD], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return FIXTURE_HTPASSWD;
  }
}

function tempRoot(): string {
  const shm = '/dev/shm';
  const parent = existsSync(shm) ? shm : tmpdir();
  try {
    return mkdtempSync(path.join(parent, 'gitopsc-reg-'));
  } catch {
    return mkdtempSync(path.join(tmpdir(), 'gitopsc-reg-'));
  }
}

/**
 * Every registry process this process started and has not stopped, by PID. If the process ends
 * without `stop()` (a crashed test file, an interrupted run), its 'exit' handler kills exactly
 * these PIDs: never a process found by name, so nothing another user or run started is touched.
 */
const running = new Map<number, string>();
let exitHookInstalled = false;

function track(child: ChildProcess, dir: string): void {
  if (child.pid === undefined) return;
  running.set(child.pid, dir);
  child.once('exit', () => running.delete(child.pid!));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const [pid, dir] of running) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

/** The PIDs of the registries this process started and has not stopped. */
export function runningRegistryPids(): number[] {
  return [...running.keys()];
}

export async function startRegistry(options: StartOptions = {}): Promise<RegistryInstance> {
  const bin = findRegistryBinary();
  if (!bin) throw new Error(INSTALL_HINT);
  const dir = tempRoot();
  const lines = [
    'version: 0.1',
    'log: { level: error, accesslog: { disabled: true } }',
    'storage:',
    `  filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'data'))} }`,
    '  delete: { enabled: true }',
    '  cache: { blobdescriptor: inmemory }',
    'http:',
    '  addr: 127.0.0.1:0',
    '  secret: not-a-secret-test-only',
  ];
  if (options.htpasswd) {
    writeFileSync(path.join(dir, 'htpasswd'), htpasswdLine() + '\n');
    lines.push('auth:', `  htpasswd: { realm: test-registry, path: ${JSON.stringify(path.join(dir, 'htpasswd'))} }`);
  }
  writeFileSync(path.join(dir, 'config.yml'), lines.join('\n') + '\n');
  const logFile = path.join(dir, 'registry.log');
  let lastError: string | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(bin, ['serve', path.join(dir, 'config.yml')], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', REGISTRY_HTTP_ADDR: `127.0.0.1:${port}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    track(child, dir);
    const log: Buffer[] = [];
    child.stderr?.on('data', (b: Buffer) => log.push(b));
    let exited = false;
    child.on('exit', () => (exited = true));
    const logText = () => Buffer.concat(log).toString('utf8');
    const url = `http://127.0.0.1:${port}`;
    const started = Date.now();
    let ready = false;
    while (!exited && Date.now() - started < 10_000) {
      try {
        const r = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        if ((r.status === 200 || r.status === 401) && r.headers.get('docker-distribution-api-version') && !exited) {
          ready = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 15));
    }
    if (!ready || exited) {
      lastError = logText();
      child.kill('SIGKILL');
      continue;
    }
    const instance: RegistryInstance = {
      url,
      host: `127.0.0.1:${port}`,
      port,
      pid: child.pid ?? 0,
      dir,
      ...(options.htpasswd ? { auth: { username: TEST_USER, password: TEST_PASSWORD } } : {}),
      log: () => {
        const text = logText();
        writeFileSync(logFile, text);
        return text;
      },
      stop: async () => {
        if (!exited) {
          const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 2000);
          await done;
          clearTimeout(t);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return instance;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`docker-registry (${bin}) did not start: ${lastError ?? 'no output'}`);
}
