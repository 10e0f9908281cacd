/**
 * Opening the deployment repository for `publish` (src/git/publish.ts): a local working
 * repository as it is, anything else (a URL, a bare repository) cloned bare into a temporary
 * directory, whose branches, tip listing, ownership record and state are read ahead. Kept apart
 * from the publish itself so that the CLI can begin it (the clone is a child process) before it
 * loads the compiler: the clone runs while the rest of the program loads and compiles.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { error, type Diagnostic } from '../core/diagnostics.js';
import { processAlive } from '../host/process.js';
import { RECORD_FILE } from '../write/ownership.js';
import { CatFile } from './cat-file.js';
import { cleanGitEnv } from './env.js';
import { Git, GitError } from './exec.js';
import { readHeadFile, readRefFile } from './refs.js';
import { lsTree } from './source.js';
import { STATE_FILE } from './state.js';

const CLONE_PREFIX = 'gitopsc-publish-';

/** Temporary clones of publishes on this host that were killed (their pid is gone). */
async function sweepStaleClones(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  const ours = new RegExp(`^${CLONE_PREFIX}(\\d+)-`);
  for (const n of names) {
    if (!n.startsWith(CLONE_PREFIX)) continue;
    const m = ours.exec(n);
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    await rm(join(tmpdir(), n), { recursive: true, force: true });
  }
}

/** What `openDeployment` needs: where the deployment repository is, and how it is published to. */
export interface DeploymentOptions {
  /** a local working repository, a bare repository path, or a URL */
  repo: string;
  branch?: string;
  push?: boolean;
  dryRun?: boolean;
  /** resolve a relative `repo` against this */
  cwd: string;
  /** the inherited environment (filtered by cleanGitEnv before any git runs) */
  env: Readonly<Record<string, string | undefined>>;
  /** the --path the publish will use: a temporary clone lists the branch's tree below it ahead */
  path?: string;
}

/** A temporary clone's branches, and the listing of the published branch's tip below `base`, read ahead. */
export interface Prefetched {
  heads: Map<string, string>;
  current?: string;
  base: string;
  commit?: string;
  /**
   * The listing of the tip below `base` (`lsTree`), begun when first asked for: a publish over
   * a tree it knows by its id never lists it (src/git/publish.ts, PublishInput.quick)
   */
  listing?: () => Promise<Map<string, string>>;
  /** the clone's cat-file, which has begun reading the tip's ownership record and state */
  catFile?: CatFile;
  /** whether git is configured to sign commits there (asked early: a process forked from a small heap costs less) */
  gpgsign?: Promise<boolean>;
  /** the same `git config` process's whole answer */
  commitConfig?: Promise<CommitConfig>;
}

export function gpgSign(git: Git): Promise<boolean> {
  return git.run(['config', '--type=bool', '--get', 'commit.gpgsign']).then((r) => r.stdout.toString().trim() === 'true');
}

/** What git's config says about the commits a publish makes (src/git/publish.ts). */
export interface CommitConfig {
  /** commit.gpgsign */
  sign: boolean;
  /** no i18n.commitEncoding other than UTF-8, and nothing unreadable: `git commit-tree` would write the commit object src/git/objects.ts commitObject builds */
  plain: boolean;
}

/** commit.gpgsign and i18n.commitEncoding, in one `git config` process. */
export function commitConfig(git: Git): Promise<CommitConfig> {
  return git.run(['config', '--get-regexp', '^(commit\\.gpgsign|i18n\\.commitencoding)$']).then((r) => parseCommitConfig(r.code, r.stdout.toString()));
}

/** What publish reads of a working repository's config, in one `git config` process (src/git/publish.ts). */
export interface RepoConfig extends CommitConfig {
  /** a remote named origin is configured (a `remote.origin.*` key); false: none in the config (a legacy `remotes/` file may still name one: ask `git remote`) */
  origin: boolean;
  /**
   * Loose objects written in process (./objects.ts) are as git writes them there: no
   * core.sharedRepository (group permissions), no core.fsync or core.fsyncObjectFiles (git
   * would sync them to disk)
   */
  looseObjects: boolean;
}

export function repoConfig(git: Git): Promise<RepoConfig> {
  return git
    .run(['config', '--get-regexp', '^(commit\\.gpgsign|i18n\\.commitencoding|remote\\.origin\\.[^.]+|core\\.sharedrepository|core\\.fsync|core\\.fsyncobjectfiles)$'])
    .then((r) => parseRepoConfig(r.code, r.stdout.toString()));
}

/** `git config --get-regexp` output of repoConfig (exit 1: none set). */
export function parseRepoConfig(code: number, out: string): RepoConfig {
  const commit = parseCommitConfig(code, out);
  let origin = false;
  let looseObjects = code === 0 || (code === 1 && out === '');
  if (code === 0) {
    for (const line of out.split('\n')) {
      const sp = line.indexOf(' ');
      const key = sp < 0 ? line : line.slice(0, sp);
      const value = sp < 0 ? undefined : line.slice(sp + 1);
      if (key.startsWith('remote.origin.')) origin = true;
      else if (key === 'core.sharedrepository') looseObjects &&= value !== undefined && /^(umask|false|no|off|0)$/i.test(value);
      else if (key === 'core.fsync' || key === 'core.fsyncobjectfiles') looseObjects = false;
    }
  }
  return { ...commit, origin, looseObjects };
}

/** `git config --get-regexp` output (exit 1: none set); the last value of a key wins, bools as git reads them. */
export function parseCommitConfig(code: number, out: string): CommitConfig {
  if (code !== 0) return { sign: false, plain: code === 1 && out === '' };
  let sign = false;
  let plain = true;
  for (const line of out.split('\n')) {
    if (!line) continue;
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? undefined : line.slice(sp + 1);
    if (key === 'commit.gpgsign') {
      const b = gitBool(value);
      // unreadable: `config --type=bool` fails, which reads as false; and the commit goes through git
      sign = b === true;
      if (b === undefined) plain = false;
    } else if (key === 'i18n.commitencoding') plain = value !== undefined && /^utf-?8$/i.test(value);
  }
  return { sign, plain };
}

/** git's boolean (git_parse_maybe_bool): no value is true, '' false, true/yes/on, false/no/off, an integer; undefined when none of these. */
function gitBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return true;
  if (v === '') return false;
  if (/^(true|yes|on)$/i.test(v)) return true;
  if (/^(false|no|off)$/i.test(v)) return false;
  const m = /^\s*[-+]?(\d+)[kmg]?$/i.exec(v);
  return m ? Number(m[1]) !== 0 : undefined;
}

export type OpenedDeployment =
  | {
      ok: true;
      repoDir: string;
      scratch: boolean;
      tempDir?: string;
      prefetched?: Promise<Prefetched | undefined>;
      /** a working repository's git directory (`rev-parse --absolute-git-dir`) */
      gitDir?: string;
      /** a working repository's config as publish reads it, asked when it was opened */
      config?: Promise<RepoConfig>;
    }
  | { ok: false; diagnostics: Diagnostic[] };

/** A deployment repository being opened ahead of `publish` (its temporary clone is removed by `discard`). */
export interface PendingDeployment {
  options: DeploymentOptions;
  result: Promise<OpenedDeployment>;
  /** remove the temporary clone, when the publish will not run */
  discard(): Promise<void>;
}

/**
 * Open the deployment repository: a local working repository as it is, anything else (a URL, a
 * bare repository) cloned into a temporary directory. Reads only: the deployment repository is
 * never written here, so this may begin before the project is known to compile.
 */
export async function openDeployment(opts: DeploymentOptions): Promise<OpenedDeployment> {
  const env = cleanGitEnv(opts.env);
  const local = resolve(opts.cwd, opts.repo);
  let tempDir: string | undefined;
  const isDir = existsSync(local) && statSync(local).isDirectory();
  try {
    // a bare repository says so in its config (which spares a git process); anything else asks git
    if (isDir && !saysBare(local)) {
      const working = await workingRepo(new Git(local, env));
      if (working) return { ok: true, ...working, scratch: false, config: repoConfig(new Git(working.repoDir, env)) };
    }
    if (!isDir && !looksLikeUrl(opts.repo)) {
      return { ok: false, diagnostics: [error('GIT', `deployment repository "${opts.repo}" not found (no such directory, and not a URL)`, { reason: 'repository-not-found' })] };
    }
    if (!opts.push && !opts.dryRun) {
      return {
        ok: false,
        diagnostics: [error('USAGE', `"${opts.repo}" is not a working tree: publishing into a fresh clone needs --push (or pass a local checkout)`, { reason: 'missing-option' })],
      };
    }
    // the clone begins now, synchronously (the caller may load and compile the project next);
    // stale clones are swept meanwhile (this one is named by this process's pid: never swept)
    tempDir = mkdtempSync(join(tmpdir(), `${CLONE_PREFIX}${process.pid}-`));
    const repoDir = join(tempDir, 'repo.git');
    const base = normalizeDir(opts.path ?? '');
    const shared = isDir && base !== undefined ? sharedClone(local, repoDir, opts.branch, base, env) : undefined;
    const swept = sweepStaleClones().catch(() => undefined);
    const done = await shared;
    if (done) {
      await swept;
      return { ok: true, repoDir, tempDir, scratch: true, prefetched: done.prefetched };
    }
    if (shared) await rm(repoDir, { recursive: true, force: true }); // a clone after all, in its place
    const cloned = scratchClone(new Git(tempDir, env), isDir ? local : opts.repo, repoDir, opts.branch, !isDir);
    await cloned;
    await swept;
    // the branches and the tip's tree are read while the project still compiles
    const prefetched = base === undefined ? undefined : prefetch(new Git(repoDir, env), opts.branch, base);
    prefetched?.catch(() => undefined); // publish reads them again itself
    return { ok: true, repoDir, tempDir, scratch: true, prefetched };
  } catch (e) {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    return { ok: false, diagnostics: [gitDiag(e, `cannot open the deployment repository ${redactUrl(opts.repo)}`)] };
  }
}

/**
 * A local bare repository, "cloned" as `git clone --shared --bare --single-branch` would: a bare
 * repository of our own whose objects are the deployment repository's (objects/info/alternates),
 * holding the published branch as its only branch and its HEAD. It is made with a few file
 * writes instead of a git process, so its reads (the branches, then the tip's listing, record
 * and state) begin at once, while the caller loads and compiles. Only the new objects of the
 * publish are written, into the temporary repository; the push sends them as from a clone.
 * Undefined when this does not fit (the repository's format has extensions, such as SHA-256 or
 * reftable; it is shallow or has grafts; a path git's config cannot hold plainly; the branch
 * does not exist there): the caller clones.
 */
async function sharedClone(local: string, repoDir: string, branch: string | undefined, base: string, env: Record<string, string>): Promise<{ prefetched: Promise<Prefetched> } | undefined> {
  let config: string;
  try {
    config = readFileSync(join(local, 'config'), 'utf8');
  } catch {
    return undefined;
  }
  if (/^\s*\[\s*extensions\b/im.test(config) || !/^\s*repositoryformatversion\s*=\s*[01]\s*$/im.test(config) || /["\\\n\r\0]/.test(local) || local !== local.trim()) return undefined;
  if (branch !== undefined && (branch.startsWith('-') || /\s/.test(branch))) return undefined;
  // a shallow repository (or one with grafts) lends objects whose history is cut: cloned
  if (existsSync(join(local, 'shallow')) || existsSync(join(local, 'info', 'grafts')) || existsSync(join(local, 'objects', 'info', 'grafts'))) return undefined;
  mkdirSync(join(repoDir, 'objects', 'info'), { recursive: true });
  mkdirSync(join(repoDir, 'refs', 'heads'), { recursive: true });
  mkdirSync(join(repoDir, 'refs', 'tags'));
  writeFileSync(join(repoDir, 'objects', 'info', 'alternates'), `${join(local, 'objects')}\n`);
  writeFileSync(join(repoDir, 'config'), `[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n[remote "origin"]\n\turl = "${local}"\n`);
  writeFileSync(join(repoDir, 'description'), 'gitopsc publish: a temporary repository\n');
  const git = new Git(repoDir, env);
  // asked at once, in the temporary repository (as of a clone: the deployment repository's own config does not apply)
  const asked = commitConfig(git);
  asked.catch(() => undefined);
  const gpgsign = asked.then((c) => c.sign);
  gpgsign.catch(() => undefined);
  // the branch's tip from the ref files (no git process), else as git lists it
  let found = readBranchRef(local, branch);
  if (!found) {
    try {
      const heads = await readHeads(new Git(local, env));
      const name = branch ?? heads.current;
      found = name === undefined ? undefined : { name, commit: heads.heads.get(name) };
    } catch {
      return undefined;
    }
  }
  const name = found?.name;
  const commit = found?.commit;
  if (name === undefined || !commit || !/^[0-9a-f]{40}$/.test(commit)) return undefined; // an empty repository, a new branch: cloned
  // the branch and HEAD, as the clone has them
  mkdirSync(dirname(join(repoDir, 'refs', 'heads', name)), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'heads', name), `${commit}\n`);
  writeFileSync(join(repoDir, 'HEAD'), `ref: refs/heads/${name}\n`);
  const listing = lazyListing(git, commit, base);
  const catFile = new CatFile(git.cwd, git.env, 60_000);
  // the tip's tree (a publish over a tree it knows plans from its id), the record and the state
  if (base === '') catFile.namedTree(`${commit}^{tree}`).catch(() => undefined);
  if (!/\s/.test(base)) for (const p of [RECORD_FILE, STATE_FILE]) catFile.blob(`${commit}:${join2(base, p)}`).catch(() => undefined);
  return { prefetched: Promise.resolve({ heads: new Map([[name, commit]]), current: name, base, commit, listing, catFile, gpgsign, commitConfig: asked }) };
}

/**
 * A branch of a repository whose refs are files (the config says no extension, such as
 * reftable, and the caller checked it), read as git's files backend reads it: the loose ref
 * `refs/heads/<name>`, else its line in `packed-refs`; `branch` undefined: the one HEAD names.
 * `{ name }` without a commit: the branch does not exist. Undefined when in doubt (a symbolic
 * ref, a name that is not plain, a worktree's git directory, anything unreadable): ask git.
 */
export function readBranchRef(gitDir: string, branch: string | undefined): { name: string; commit?: string } | undefined {
  try {
    if (existsSync(join(gitDir, 'commondir'))) return undefined;
    let name = branch;
    if (name === undefined) {
      const head = readHeadFile(gitDir);
      if (!head || !('ref' in head)) return undefined;
      name = head.ref.slice('refs/heads/'.length);
    }
    const found = readRefFile(gitDir, `refs/heads/${name}`);
    return found && { name, ...found };
  } catch {
    return undefined;
  }
}

/**
 * A working repository's top directory and git directory, in one `git rev-parse` (it prints one
 * line per option, in order, and stops at the first it cannot answer: `--show-toplevel` in a
 * bare repository or inside a git directory); undefined when it is not a working repository.
 * Throws GitError as `git rev-parse --show-toplevel` fails where `--is-bare-repository` says false.
 */
async function workingRepo(git: Git): Promise<{ repoDir: string; gitDir: string } | undefined> {
  const r = await git.run(['rev-parse', '--is-bare-repository', '--absolute-git-dir', '--show-toplevel']);
  const lines = r.stdout.toString().split('\n');
  if (lines[0] !== 'false') return undefined;
  if (r.code === 0 && lines.length === 4 && lines[3] === '' && lines[1] && lines[2]) return { gitDir: lines[1], repoDir: lines[2] };
  if (r.code === 0) {
    // a path with a newline in it: one question at a time
    const repoDir = (await git.git(['rev-parse', '--show-toplevel'])).trim();
    return { repoDir, gitDir: (await new Git(repoDir, git.env).git(['rev-parse', '--absolute-git-dir'])).trim() };
  }
  const detail = r.stderr.trim().split('\n').slice(-3).join(' / ');
  throw new GitError(`git rev-parse failed: ${detail || `exit ${r.code}`}`, ['rev-parse', '--show-toplevel'], r.stderr, r.code);
}

/** Whether `dir` is a bare repository by its own config (`[core] bare = true` beside HEAD and objects/); false: ask git. */
function saysBare(dir: string): boolean {
  try {
    if (!existsSync(join(dir, 'HEAD')) || !statSync(join(dir, 'objects')).isDirectory()) return false;
    const core = /^\s*\[core\]\s*$([^[]*)/im.exec(readFileSync(join(dir, 'config'), 'utf8'));
    return core !== null && /^\s*bare\s*=\s*true\s*$/im.test(core[1]!);
  } catch {
    return false;
  }
}

/** A temporary clone's branches and which one HEAD names (an unborn HEAD too). */
export async function readHeads(git: Git): Promise<{ heads: Map<string, string>; current?: string }> {
  const heads = new Map<string, string>();
  let current: string | undefined;
  for (const line of (await git.git(['for-each-ref', '--format=%(HEAD) %(objectname) %(refname)', 'refs/heads/'])).split('\n')) {
    const m = /^([* ]) ([0-9a-f]+) refs\/heads\/(.+)$/.exec(line);
    if (!m) continue;
    heads.set(m[3]!, m[2]!);
    if (m[1] === '*') current = m[3];
  }
  if (current === undefined) {
    const symbolic = await git.run(['symbolic-ref', '-q', 'HEAD']); // an unborn branch
    if (symbolic.code === 0) current = symbolic.stdout.toString().trim().replace(/^refs\/heads\//, '');
  }
  return { heads, current };
}

async function prefetch(git: Git, branch: string | undefined, base: string): Promise<Prefetched> {
  // all at once, right after the clone: the main thread is busy compiling, and each step of a
  // chain would wait for it to yield (the clone is private: its refs cannot move meanwhile)
  const config = commitConfig(git);
  config.catch(() => undefined);
  const gpgsign = config.then((c) => c.sign);
  gpgsign.catch(() => undefined);
  const ref = branch !== undefined && !branch.startsWith('-') ? `refs/heads/${branch}` : 'HEAD';
  const listing = lazyListing(git, ref, base);
  // the record and the state are read by every publish (the cat-file is shared, and starts now)
  // kept while the project compiles (closed when the publish ends): buildCommit reads through it
  const catFile = new CatFile(git.cwd, git.env, 60_000);
  if (!/\s/.test(base)) for (const p of [RECORD_FILE, STATE_FILE]) catFile.blob(`${ref}:${join2(base, p)}`).catch(() => undefined);
  const { heads, current } = await readHeads(git);
  const commit = heads.get(branch ?? current ?? '');
  if (commit && base === '') catFile.namedTree(`${commit}^{tree}`).catch(() => undefined);
  return { heads, current, base, commit, listing: commit ? listing : undefined, catFile, gpgsign, commitConfig: config };
}

/** `lsTree` of `commit` below `base`, begun on the first call. */
function lazyListing(git: Git, commit: string, base: string): () => Promise<Map<string, string>> {
  let listing: Promise<Map<string, string>> | undefined;
  return () => (listing ??= lsTree(git, commit, base));
}

/** Begin opening the deployment repository now (see `publish`'s `opened`). */
export function beginDeployment(options: DeploymentOptions): PendingDeployment {
  const result = openDeployment(options);
  return {
    options,
    result,
    discard: async () => {
      const o = await result;
      if (o.ok) (await o.prefetched?.catch(() => undefined))?.catFile?.close();
      if (o.ok && o.tempDir) await rm(o.tempDir, { recursive: true, force: true });
    },
  };
}

/**
 * The temporary clone of a repository given by URL or as a bare repository: bare (no working
 * tree to check out, nor to delete afterwards: a publish reads and writes git objects only),
 * without tags, and with only the branch published when it exists there (else the remote's
 * HEAD, which --create-branch starts from); from a URL only its tip (`--depth 1`). A local
 * path is cloned with hard links.
 */
async function scratchClone(git: Git, url: string, dir: string, branch: string | undefined, shallow: boolean): Promise<void> {
  // from a URL, only the tip: the commit needs its parent's tree, not the history (a push from a
  // shallow clone sends only what the remote lacks, and the remote has the parent)
  const depth = shallow ? ['--depth', '1'] : [];
  const clone = (only: string[]) => git.run(['clone', '--quiet', '--bare', '--no-tags', '--single-branch', ...depth, ...only, '--', url, dir], { timeoutMs: 600_000 });
  let r = branch !== undefined && !branch.startsWith('-') ? await clone(['--branch', branch]) : undefined;
  if (r && r.code !== 0 && /remote branch .* not found/i.test(r.stderr)) {
    // no such branch there yet: the default branch (what --create-branch starts from)
    await rm(dir, { recursive: true, force: true });
    r = undefined;
  }
  r ??= await clone([]);
  if (r.code !== 0) {
    const detail = r.stderr.trim().split('\n').slice(-3).join(' / ');
    throw new GitError(`git clone failed: ${detail || `exit ${r.code}`}`, ['clone'], r.stderr, r.code);
  }
}

export function normalizeDir(p: string): string | undefined {
  const s = p.replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (s === '' || s === '.') return '';
  if (isAbsolute(p) || s.split('/').some((seg) => seg === '..' || seg === '' || seg === '.git' || seg === '.')) return undefined;
  return s;
}

export function join2(base: string, rel: string): string {
  return base ? `${base}/${rel}` : rel;
}

export function looksLikeUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^[^/\s]+@[^/\s:]+:/.test(s);
}

/** Drop userinfo (tokens) from a URL before it appears in a message or a trailer. */
export function redactUrl(s: string): string {
  return s.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

export function gitDiag(e: unknown, context: string): Diagnostic {
  if (e instanceof GitError) return error('GIT', `${context}: ${e.message}`, { reason: 'command-failed' });
  return error('FILESYSTEM', `${context}: ${e instanceof Error ? e.message : String(e)}`, { reason: 'unwritable' });
}
