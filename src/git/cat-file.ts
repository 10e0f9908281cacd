/**
 * One long-lived `git cat-file --batch` per repository: every blob read (a base revision's
 * service files, a deployment tree's files) goes through the same process instead of one
 * spawn per file or per batch. Requests are answered in order; the process is ended after a
 * short idle time and never keeps Node alive on its own.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { GitError } from './exec.js';

const IDLE_MS = 250;

interface Waiter {
  oid: string;
  /** the object type asked for */
  type: 'blob' | 'tree' | 'commit';
  resolve: (b: Uint8Array, id: string) => void;
  reject: (e: Error) => void;
}

interface Refable {
  ref?: () => void;
  unref?: () => void;
}

export class CatFile {
  private child: ChildProcessWithoutNullStreams | undefined;
  private queue: Waiter[] = [];
  private outgoing: string[] = [];
  private buf: Buffer = Buffer.alloc(0);
  /** chunks read since `buf` was last joined, and how many bytes `buf` must grow by before a parse can finish */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private need = 0;
  private idle: NodeJS.Timeout | undefined;
  private stderr = '';
  private readonly cache = new Map<string, Uint8Array>();
  /** trees asked for by name (namedTree), answered or on their way */
  private readonly named = new Map<string, Promise<{ id: string; bytes: Uint8Array }>>();

  constructor(
    private readonly cwd: string,
    private readonly env: Record<string, string>,
    /** how long the process stays after its last answer (it never keeps Node alive meanwhile) */
    private readonly idleMs = IDLE_MS,
  ) {}

  /** The blob's bytes (cached per oid). Rejects with GitError when it is not a readable blob. */
  blob(oid: string): Promise<Uint8Array> {
    return this.read(oid, 'blob');
  }

  /** A tree object's bytes (git's binary tree format). Rejects with GitError when it is not a tree. */
  tree(oid: string): Promise<Uint8Array> {
    return this.read(oid, 'tree');
  }

  /** A tree asked for by name (`<commit>^{tree}`, `<commit>:<dir>`): its id and its bytes. Rejects with GitError when it is not a tree. */
  namedTree(name: string): Promise<{ id: string; bytes: Uint8Array }> {
    let p = this.named.get(name);
    if (!p) {
      p = new Promise((resolve, reject) => this.ask(name, 'tree', (bytes, id) => resolve({ id, bytes }), reject));
      p.catch(() => this.named.delete(name));
      this.named.set(name, p);
    }
    return p;
  }

  /** The id of the commit a name (`HEAD`, `origin/main^{commit}`) gives, as `git cat-file --batch-check` resolves it. Rejects with GitError when it names none. */
  commitId(name: string): Promise<string> {
    return new Promise((resolve, reject) => this.ask(name, 'commit', (_bytes, id) => resolve(id), reject));
  }

  private read(oid: string, type: Waiter['type']): Promise<Uint8Array> {
    const hit = this.cache.get(`${type}:${oid}`);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => this.ask(oid, type, resolve, reject));
  }

  private ask(oid: string, type: Waiter['type'], resolve: Waiter['resolve'], reject: Waiter['reject']): void {
    const child = this.process();
    if (!child) {
      reject(new GitError('cannot start git cat-file', ['cat-file'], this.stderr, -1));
      return;
    }
    this.queue.push({ oid, type, resolve, reject });
    // the requests of one tick go down in one write
    if (this.outgoing.length === 0) {
      setImmediate(() => {
        const lines = this.outgoing.splice(0).join('');
        if (lines) this.child?.stdin.write(lines);
      });
    }
    this.outgoing.push(`${oid}\n`);
  }

  /** End the process now (pending reads still complete). */
  close(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    this.child?.stdin.end();
  }

  private process(): ChildProcessWithoutNullStreams | undefined {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    if (this.child) {
      this.setRef(true);
      return this.child;
    }
    let child: ChildProcessWithoutNullStreams;
    try {
      // (node:child_process asked for when the process is started: importing it loads net and dgram)
      child = process.getBuiltinModule('node:child_process').spawn('git', ['cat-file', '--batch'], { cwd: this.cwd, env: this.env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    } catch (e) {
      this.stderr = String(e);
      return undefined;
    }
    this.child = child;
    this.buf = Buffer.alloc(0);
    this.pending = [];
    this.pendingLen = 0;
    this.need = 0;
    this.stderr = '';
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (b: Buffer) => {
      // a large blob arrives in many chunks: join them once it is whole, not chunk by chunk
      this.pending.push(b);
      this.pendingLen += b.length;
      if (this.pendingLen < this.need) return;
      this.buf = this.buf.length || this.pending.length > 1 ? Buffer.concat([this.buf, ...this.pending]) : b;
      this.pending = [];
      this.pendingLen = 0;
      this.need = 0;
      this.drain();
    });
    child.stderr.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
    const gone = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.outgoing = [];
      const err = new GitError(`git cat-file --batch ended: ${why}${this.stderr.trim() ? `: ${this.stderr.trim()}` : ''}`, ['cat-file'], this.stderr, 1);
      for (const w of this.queue.splice(0)) w.reject(err);
    };
    child.on('error', (e) => gone(String(e)));
    child.on('close', (code) => gone(`exit ${code}`));
    return child;
  }

  private drain(): void {
    for (;;) {
      const w = this.queue[0];
      if (!w) break;
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) return;
      const header = this.buf.subarray(0, nl).toString('utf8');
      const [named, type, size] = header.split(' ');
      // `<name> missing` (a name asked for may hold spaces), `<name> ambiguous`, or no size
      if (/ (missing|ambiguous)$/.test(header) || size === undefined || !/^\d+$/.test(size)) {
        this.buf = this.buf.subarray(nl + 1);
        this.queue.shift();
        w.reject(new GitError(`git cat-file: ${header}`, ['cat-file'], '', 1));
        continue;
      }
      const n = Number(size);
      if (this.buf.length < nl + 1 + n + 1) {
        this.need = nl + 1 + n + 1 - this.buf.length;
        return;
      }
      const data = new Uint8Array(this.buf.subarray(nl + 1, nl + 1 + n));
      this.buf = this.buf.subarray(nl + 1 + n + 1);
      this.queue.shift();
      if (type !== w.type) {
        w.reject(new GitError(`git cat-file: ${w.oid} is a ${type}, not a ${w.type}`, ['cat-file'], '', 1));
        continue;
      }
      this.cache.set(`${type}:${w.oid}`, data);
      // asked for by name (`rev:path`): known by its id too
      if (named && named !== w.oid) this.cache.set(`${type}:${named}`, data);
      w.resolve(data, named ?? w.oid);
    }
    // idle: let Node exit without waiting for the process, and end it soon
    this.setRef(false);
    this.idle = setTimeout(() => this.close(), this.idleMs);
    this.idle.unref();
  }

  private setRef(on: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const h of [c, c.stdin, c.stdout, c.stderr] as Refable[]) (on ? h.ref : h.unref)?.call(h);
  }
}
