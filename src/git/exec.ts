/**
 * Runs git. We spawn git directly instead of going through simple-git because:
 *  - simple-git 4 refuses an explicit env containing GIT_ASKPASS, GIT_SSH_COMMAND,
 *    GIT_CONFIG_GLOBAL, GIT_EDITOR, ... (its `.env()` check), which CI and tests legitimately
 *    set, and with no `.env()` the child inherits everything, including a hook's GIT_INDEX_FILE;
 *  - its spawn options are limited to uid/gid: we need `detached` (a new session, so no
 *    controlling terminal for gpg's pinentry to wait on) and stdin closed, so a signing setup
 *    that wants a passphrase fails fast instead of hanging;
 *  - `git cat-file --batch` needs a streamed stdin.
 * Every call gets the allow-listed env of ./env.ts and a deadline.
 */

export interface GitRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface GitOptions {
  cwd: string;
  env: Record<string, string>;
  input?: Buffer | string;
  /** default 120 s; the process group is killed after it */
  timeoutMs?: number;
}

export class GitError extends Error {
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly stderr: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export function runGit(args: readonly string[], opts: GitOptions): Promise<GitRun> {
  return new Promise((resolve) => {
    let child;
    try {
      // (node:child_process asked for when a process is started: importing it loads net and dgram, a few ms of every run)
      child = process.getBuiltinModule('node:child_process').spawn('git', [...args], {
        cwd: opts.cwd,
        env: opts.env,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
        windowsHide: true,
      });
    } catch (e) {
      resolve({ code: -1, stdout: Buffer.alloc(0), stderr: String(e) });
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs ?? 120_000);
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout: Buffer.concat(out), stderr: String(e) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code: timedOut ? -2 : (code ?? -1),
        stdout: Buffer.concat(out),
        stderr: timedOut ? `timed out after ${opts.timeoutMs ?? 120_000} ms\n${stderr}` : stderr,
      });
    });
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** A git bound to one directory and env; `git()` throws GitError on a non-zero exit. */
export class Git {
  constructor(
    readonly cwd: string,
    readonly env: Record<string, string>,
  ) {}

  run(args: readonly string[], extra: Partial<GitOptions> = {}): Promise<GitRun> {
    return runGit(args, { cwd: this.cwd, env: this.env, ...extra, ...(extra.env ? { env: { ...this.env, ...extra.env } } : {}) });
  }

  async git(args: readonly string[], extra: Partial<GitOptions> = {}): Promise<string> {
    const r = await this.run(args, extra);
    if (r.code !== 0) {
      const detail = r.stderr.trim().split('\n').slice(-3).join(' / ');
      throw new GitError(`git ${args[0] ?? ''} failed: ${detail || `exit ${r.code}`}`, args, r.stderr, r.code);
    }
    return r.stdout.toString('utf8');
  }

  /** Exit status only (e.g. `rev-parse --verify`). */
  async ok(args: readonly string[]): Promise<boolean> {
    return (await this.run(args)).code === 0;
  }
}
