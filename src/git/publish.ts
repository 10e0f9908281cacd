/**
 * Publish rendered files into a deployment repository and commit there.
 *
 * Protocol (hazards.md section 4): clone or open -> take the lock -> refuse an unsafe state
 * (operation in progress, detached HEAD, dirty managed paths, staged changes) -> check out the
 * branch -> build the new tree in a *private* index from git objects (the working tree and the
 * user's index are not touched) -> commit-tree -> update-ref with the expected old value
 * (compare-and-swap) -> update the working tree with `read-tree -m -u old new` -> push without
 * force; a rejected push fetches, resets to the remote branch, rebuilds on top and retries.
 * Nothing is written before the commit exists, so an interrupted publish leaves the branch at
 * the old or the new commit, never half of it.
 */
import { existsSync, lstatSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { compareArtifacts, type ArtifactChange } from '../diff/compare.js';
import { error, warning, type Diagnostic } from '../diagnostics.js';
import type { CompileResult, ResolvedArtifact } from '../pipeline.js';
import { cleanGitEnv } from './env.js';
import { Git, GitError } from './exec.js';
import { acquireLock, describeHolder } from './lock.js';
import { commitMessage, type ChangedFile } from './message.js';
import { gitSource } from './source.js';
import { nextState, parseState, serializeState, STATE_FILE } from './state.js';

export const DEFAULT_AUTHOR = 'gitopsc <gitopsc@localhost>';
const ZERO = '0000000000000000000000000000000000000000';

export interface PublishOptions {
  /** a local working repository, a bare repository path, or a URL */
  repo: string;
  branch?: string;
  createBranch?: boolean;
  push?: boolean;
  /** `{placeholder}` template for the commit message; trailers are always appended */
  message?: string;
  /** `Name <email>`; default from GITOPSC_AUTHOR, else gitopsc <gitopsc@localhost> (the CLI also reads config `publish.author`) */
  author?: string;
  allowDetached?: boolean;
  /** directory inside the deployment repository that holds `<env>/<service>/...` (default: top) */
  path?: string;
  /** false: never sign; undefined: sign when git is configured to (commit.gpgsign) */
  sign?: boolean;
  lockTimeoutMs?: number;
  /** total push attempts (first + retries), default 4 */
  pushAttempts?: number;
  /** resolve a relative `repo` against this */
  cwd: string;
  /** the inherited environment (filtered by cleanGitEnv before any git runs) */
  env: Readonly<Record<string, string | undefined>>;
  /** test seam: runs before each push attempt */
  beforePush?: (attempt: number, repoDir: string) => Promise<void>;
}

export interface PublishInput {
  result: Pick<CompileResult, 'files' | 'artifacts'>;
  /** the environments being published: their directories are managed (written and pruned) */
  environments: string[];
  source: { url: string; commit?: string };
}

export interface PublishOutcome {
  diagnostics: Diagnostic[];
  committed: boolean;
  pushed: boolean;
  commit?: string;
  branch?: string;
  repoDir?: string;
  files: ChangedFile[];
  artifacts: ArtifactChange[];
  message?: string;
  attempts: number;
}

type Fail = { fail: Diagnostic[] };

export async function publish(input: PublishInput, opts: PublishOptions): Promise<PublishOutcome> {
  const out: PublishOutcome = { diagnostics: [], committed: false, pushed: false, files: [], artifacts: [], attempts: 0 };
  const env = cleanGitEnv(opts.env);
  const author = parseAuthor(opts.author ?? opts.env.GITOPSC_AUTHOR ?? DEFAULT_AUTHOR);
  if (!author) {
    out.diagnostics.push(error('USAGE', `--author must look like "Name <email>", got "${opts.author ?? opts.env.GITOPSC_AUTHOR}"`));
    return out;
  }
  const base = normalizeDir(opts.path ?? '');
  if (base === undefined) {
    out.diagnostics.push(error('USAGE', `--path must be a relative directory inside the repository, got "${opts.path}"`));
    return out;
  }
  for (const e of input.environments) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(e)) {
      out.diagnostics.push(error('USAGE', `environment name "${e}" cannot be used as a directory`));
      return out;
    }
  }

  // 1. Open a local working repository, or clone.
  const local = resolve(opts.cwd, opts.repo);
  let repoDir: string;
  let tempDir: string | undefined;
  const isDir = existsSync(local) && statSync(local).isDirectory();
  const isWorking = isDir && (await new Git(local, env).run(['rev-parse', '--is-bare-repository'])).stdout.toString().trim() === 'false';
  try {
    if (isWorking) {
      repoDir = (await new Git(local, env).git(['rev-parse', '--show-toplevel'])).trim();
    } else {
      if (!isDir && !looksLikeUrl(opts.repo)) {
        out.diagnostics.push(error('GIT', `deployment repository "${opts.repo}" not found (no such directory, and not a URL)`));
        return out;
      }
      if (!opts.push) {
        out.diagnostics.push(
          error('USAGE', `"${opts.repo}" is not a working tree: publishing into a fresh clone needs --push (or pass a local checkout)`),
        );
        return out;
      }
      tempDir = await mkdtemp(join(tmpdir(), 'gitopsc-publish-'));
      repoDir = join(tempDir, 'repo');
      const url = isDir ? local : opts.repo;
      await new Git(tempDir, env).git(['clone', '--quiet', '--no-tags', '--', url, repoDir], { timeoutMs: 600_000 });
    }
  } catch (e) {
    out.diagnostics.push(gitDiag(e, `cannot open the deployment repository ${redactUrl(opts.repo)}`));
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    return out;
  }
  out.repoDir = repoDir;
  const git = new Git(repoDir, env);

  // 2. The lock.
  const gitDir = (await git.git(['rev-parse', '--absolute-git-dir'])).trim();
  const lock = await acquireLock(join(gitDir, 'gitopsc-publish.lock'), { timeoutMs: opts.lockTimeoutMs ?? 60_000 });
  if (!lock.ok) {
    out.diagnostics.push(
      error('GIT', `another publish holds the lock on ${repoDir}: ${describeHolder(lock.holder)}; gave up after ${Math.round((opts.lockTimeoutMs ?? 60_000) / 1000)} s`, {
        hint: `if no publish is running, remove ${lock.path}`,
      }),
    );
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    return out;
  }
  try {
    const r = await publishLocked(git, gitDir, base, author, input, opts, out);
    if ('fail' in r) out.diagnostics.push(...r.fail);
  } catch (e) {
    out.diagnostics.push(gitDiag(e, `publish to ${redactUrl(opts.repo)} failed`));
  } finally {
    await lock.release();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
  return out;
}

async function publishLocked(
  git: Git,
  gitDir: string,
  base: string,
  author: { name: string; email: string },
  input: PublishInput,
  opts: PublishOptions,
  out: PublishOutcome,
): Promise<{ ok: true } | Fail> {
  // 3. Refuse an unsafe state.
  const busy = ['MERGE_HEAD', 'rebase-merge', 'rebase-apply', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'index.lock'].filter((f) => existsSync(join(gitDir, f)));
  if (busy.length > 0) {
    const what = busy[0] === 'MERGE_HEAD' ? 'a merge' : busy[0]!.startsWith('rebase') ? 'a rebase' : busy[0] === 'index.lock' ? 'another git process (index.lock)' : 'a cherry-pick or revert';
    return fail(`deployment repository ${git.cwd} has ${what} in progress; finish or abort it first (found .git/${busy.join(', .git/')})`);
  }
  const symbolic = await git.run(['symbolic-ref', '-q', 'HEAD']);
  const current = symbolic.code === 0 ? symbolic.stdout.toString().trim().replace(/^refs\/heads\//, '') : undefined;
  if (current === undefined && !opts.allowDetached && opts.branch === undefined) {
    return fail(`deployment repository ${git.cwd} has a detached HEAD; check out a branch, pass --branch, or --allow-detached`);
  }
  const managed = [...input.environments.map((e) => join2(base, e)), join2(base, STATE_FILE)];
  const dirty = await dirtyPaths(git, managed);
  if (dirty.length > 0) {
    return fail(
      `deployment repository ${git.cwd} has uncommitted changes in paths gitopsc manages: ${listNames(dirty)}; commit, stash or discard them first`,
    );
  }
  const headSha = await revParse(git, 'HEAD');
  const staged = headSha
    ? (await git.git(['diff', '--cached', '--name-only', '-z', 'HEAD'])).split('\0').filter(Boolean)
    : (await git.git(['ls-files', '-z'])).split('\0').filter(Boolean);
  if (staged.length > 0) {
    return fail(`deployment repository ${git.cwd} has staged changes that a commit would include: ${listNames(staged)}; commit or unstage them first`);
  }
  const link = symlinkOnPath(git.cwd, managed);
  if (link) return fail(`refusing to write through the symbolic link ${link} in the deployment repository`);

  // Branch.
  const branch = opts.branch ?? current;
  if (opts.branch !== undefined && opts.branch !== current) {
    if ((await git.run(['check-ref-format', '--branch', opts.branch])).code !== 0 || opts.branch.startsWith('-')) {
      return fail(`"${opts.branch}" is not a valid branch name`, 'USAGE');
    }
    if (await revParse(git, `refs/heads/${opts.branch}`)) {
      await git.git(['checkout', '--quiet', opts.branch, '--']);
    } else if (await revParse(git, `refs/remotes/origin/${opts.branch}`)) {
      await git.git(['checkout', '--quiet', '-b', opts.branch, '--track', `origin/${opts.branch}`, '--']);
    } else if (opts.createBranch) {
      if (headSha) await git.git(['checkout', '--quiet', '-b', opts.branch, '--']);
      else await git.git(['symbolic-ref', 'HEAD', `refs/heads/${opts.branch}`]);
    } else {
      return fail(`branch "${opts.branch}" does not exist in the deployment repository (locally or on origin); pass --create-branch to create it`, 'USAGE');
    }
  }
  out.branch = branch;
  const remote = opts.push ? await pushRemote(git) : undefined;
  if (opts.push && !remote) return fail(`--push: the deployment repository ${git.cwd} has no remote named origin`);
  if (opts.push && branch === undefined) return fail('--push with a detached HEAD needs --branch');

  // In push mode, start from the remote tip when we are behind it.
  if (remote && branch) {
    await fetchBranch(git, remote, branch);
    const tip = await revParse(git, `refs/remotes/${remote}/${branch}`);
    const head = await revParse(git, 'HEAD');
    if (tip && head !== tip && (!head || (await git.ok(['merge-base', '--is-ancestor', head, tip])))) {
      await resetTo(git, tip, head);
    }
  }

  const attempts = opts.push ? Math.max(1, opts.pushAttempts ?? 4) : 1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    out.attempts = attempt;
    const built = await buildCommit(git, base, author, input, opts, out);
    if ('fail' in built) return built;
    if (!remote || !branch) return { ok: true };
    const head = await revParse(git, 'HEAD');
    const tip = await revParse(git, `refs/remotes/${remote}/${branch}`);
    if (!head || head === tip) return { ok: true }; // nothing to push
    await opts.beforePush?.(attempt, git.cwd);
    const push = await git.run(['push', '--porcelain', '--no-verify', remote, `${head}:refs/heads/${branch}`], { timeoutMs: 300_000 });
    if (push.code === 0) {
      out.pushed = true;
      await git.run(['update-ref', `refs/remotes/${remote}/${branch}`, head]);
      return { ok: true };
    }
    const text = push.stdout.toString() + push.stderr;
    if (!/\[rejected\]|\[remote rejected\].*(stale|fetch first)|non-fast-forward|fetch first|stale info/.test(text)) {
      return fail(`git push to ${redactUrl(remote)} ${branch} failed: ${lastLines(push.stderr || text)}`);
    }
    if (attempt === attempts) {
      return fail(
        `git push to ${remote} ${branch} was rejected ${attempts} times (the branch keeps moving); the local commit ${head.slice(0, 7)} was not pushed`,
      );
    }
    // Someone moved the branch: take theirs and render on top of it.
    await fetchBranch(git, remote, branch);
    const theirs = await revParse(git, `refs/remotes/${remote}/${branch}`);
    if (!theirs) return fail(`git push rejected and ${remote}/${branch} cannot be fetched`);
    await resetTo(git, theirs, head);
    out.committed = false;
    out.commit = undefined;
  }
  return { ok: true };
}

/** Build the new tree from HEAD plus the desired files; commit it when it differs. */
async function buildCommit(
  git: Git,
  base: string,
  author: { name: string; email: string },
  input: PublishInput,
  opts: PublishOptions,
  out: PublishOutcome,
): Promise<{ ok: true } | Fail> {
  const head = await revParse(git, 'HEAD');
  const existing = new Map<string, Uint8Array>();
  if (head) {
    const src = await gitSource(git.cwd, head, base, { env: git.env });
    const prefixes = input.environments.map((e) => `${e}/`);
    const names = (await src.list()).filter((p) => p === STATE_FILE || prefixes.some((pre) => p.startsWith(pre)));
    const datas = await Promise.all(names.map((p) => src.read(p)));
    names.forEach((p, i) => existing.set(p, datas[i] ?? new Uint8Array()));
  }
  const dec = new TextDecoder();
  const oldState = parseState(existing.has(STATE_FILE) ? dec.decode(existing.get(STATE_FILE)) : undefined);
  const published = input.result.artifacts.filter((a) => input.environments.includes(a.environment));
  const artifacts = compareArtifacts(
    oldState.filter((a: ResolvedArtifact) => input.environments.includes(a.environment)),
    published,
  );
  const desired = new Map<string, { content: string; service: string; environment: string }>();
  for (const f of input.result.files) {
    if (!input.environments.includes(f.environment)) continue;
    const rel = normalizeDir(f.path);
    if (!rel || !input.environments.some((e) => rel.startsWith(`${e}/`))) {
      return fail(`rendered file "${f.path}" is outside the environment directories`, 'INTERNAL');
    }
    desired.set(rel, { content: f.content, service: f.service, environment: f.environment });
  }
  const files: ChangedFile[] = [];
  const writes = new Map<string, string>();
  const removes: string[] = [];
  for (const [p, d] of desired) {
    const old = existing.get(p);
    if (old === undefined) files.push({ path: p, service: d.service, environment: d.environment, status: 'added' });
    else if (dec.decode(old) !== d.content) files.push({ path: p, service: d.service, environment: d.environment, status: 'changed' });
    else continue;
    writes.set(p, d.content);
  }
  for (const p of existing.keys()) {
    if (p === STATE_FILE || desired.has(p)) continue;
    const [environment = '', service = ''] = p.split('/');
    files.push({ path: p, service, environment, status: 'removed' });
    removes.push(p);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  out.files = files;
  out.artifacts = artifacts;
  const state = serializeState(nextState(oldState, published, input.environments));
  const stateChanged = (existing.has(STATE_FILE) ? dec.decode(existing.get(STATE_FILE)) : undefined) !== state;
  if (files.length === 0 && artifacts.length === 0) return { ok: true }; // nothing changed
  if (stateChanged) writes.set(STATE_FILE, state);

  const msg = commitMessage({ artifacts, files, source: input.source.url, sourceCommit: input.source.commit, template: opts.message });
  if (!msg.ok) return fail(msg.error, 'USAGE');

  // A private index: the user's index and working tree stay as they are until the commit exists.
  const tmp = await mkdtemp(join(tmpdir(), 'gitopsc-index-'));
  try {
    const indexEnv = { GIT_INDEX_FILE: join(tmp, 'index') };
    if (head) await git.git(['read-tree', head], { env: indexEnv });
    else await git.git(['read-tree', '--empty'], { env: indexEnv });
    const paths = [...writes.keys()];
    const blobDir = join(tmp, 'blobs');
    await mkdir(blobDir);
    const blobFiles = await Promise.all(
      paths.map(async (p, i) => {
        const f = join(blobDir, String(i));
        await writeFile(f, writes.get(p)!);
        return f;
      }),
    );
    const oids = paths.length
      ? (await git.git(['hash-object', '-w', '--no-filters', '--stdin-paths'], { input: blobFiles.join('\n') + '\n' })).trim().split('\n')
      : [];
    const info = [
      ...paths.map((p, i) => `100644 ${oids[i]}\t${join2(base, p)}`),
      ...removes.map((p) => `0 ${ZERO}\t${join2(base, p)}`),
    ];
    await git.git(['update-index', '-z', '--index-info'], { env: indexEnv, input: info.join('\0') + '\0' });
    const tree = (await git.git(['write-tree'], { env: indexEnv })).trim();
    const msgFile = join(tmp, 'message');
    await writeFile(msgFile, msg.message, { mode: 0o600 });
    const sign = opts.sign === false ? false : (await git.run(['config', '--type=bool', '--get', 'commit.gpgsign'])).stdout.toString().trim() === 'true';
    const ident = { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email };
    const ct = await git.run(['commit-tree', tree, ...(head ? ['-p', head] : []), '-F', msgFile, ...(sign ? ['-S'] : [])], {
      env: ident,
      timeoutMs: 60_000,
    });
    if (ct.code !== 0) {
      const why = sign
        ? ' (git is configured to sign commits: gitopsc never prompts for a passphrase, so use an agent with the key unlocked, or --no-gpg-sign)'
        : '';
      return fail(`git commit-tree failed${why}: ${lastLines(ct.stderr)}`);
    }
    const commit = ct.stdout.toString().trim();
    const symbolic = await git.run(['symbolic-ref', '-q', 'HEAD']);
    const ref = symbolic.code === 0 ? symbolic.stdout.toString().trim() : 'HEAD';
    const upd = await git.run(['update-ref', '--no-deref', '-m', 'gitopsc publish', ref, commit, head ?? ZERO]);
    if (upd.code !== 0) return fail(`${ref} moved while publishing (${lastLines(upd.stderr)}); nothing was changed, run publish again`);
    // The working tree and the user's index follow the branch: a two-tree merge keeps any
    // unrelated local edits (the managed paths are clean: checked above).
    const rt = await git.run(head ? ['read-tree', '-m', '-u', head, commit] : ['read-tree', '-m', '-u', commit]);
    if (rt.code !== 0) {
      out.diagnostics.push(
        warning('GIT', `committed ${commit.slice(0, 7)} but could not update the working tree of ${git.cwd}: ${lastLines(rt.stderr)}`, {
          hint: 'run `git reset --keep HEAD` there',
        }),
      );
    }
    out.committed = true;
    out.commit = commit;
    out.message = msg.message;
    return { ok: true };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Paths under `managed` that differ from HEAD in the index or working tree, or are untracked. */
async function dirtyPaths(git: Git, managed: string[]): Promise<string[]> {
  const r = await git.git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=no', '--', ...managed.map((m) => `:(literal)${m}`)]);
  const names: string[] = [];
  const recs = r.split('\0');
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i]!;
    if (rec.length < 4) continue;
    names.push(rec.slice(3));
    if (rec[0] === 'R' || rec[0] === 'C') i++; // the source path of a rename follows
  }
  return names;
}

async function revParse(git: Git, ref: string): Promise<string | undefined> {
  const r = await git.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  return r.code === 0 ? r.stdout.toString().trim() : undefined;
}

async function pushRemote(git: Git): Promise<string | undefined> {
  const r = await git.run(['remote']);
  const remotes = r.stdout.toString().split('\n').filter(Boolean);
  return remotes.includes('origin') ? 'origin' : undefined;
}

async function fetchBranch(git: Git, remote: string, branch: string): Promise<void> {
  const r = await git.run(['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`], { timeoutMs: 300_000 });
  if (r.code !== 0 && !/couldn't find remote ref/i.test(r.stderr)) {
    throw new GitError(`git fetch ${remote} ${branch} failed: ${lastLines(r.stderr)}`, ['fetch'], r.stderr, r.code);
  }
}

/** Move the current branch (or detached HEAD) to `target`, keeping unrelated local edits. */
async function resetTo(git: Git, target: string, head: string | undefined): Promise<void> {
  if (head) {
    await git.git(['reset', '--quiet', '--keep', target]);
  } else {
    const symbolic = (await git.git(['symbolic-ref', 'HEAD'])).trim();
    await git.git(['update-ref', symbolic, target, ZERO]);
    await git.git(['read-tree', '-m', '-u', target]);
  }
}

function symlinkOnPath(root: string, rels: string[]): string | undefined {
  for (const rel of rels) {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = join(root, ...parts.slice(0, i));
      try {
        if (lstatSync(p).isSymbolicLink()) return parts.slice(0, i).join('/');
      } catch {
        break;
      }
    }
  }
  return undefined;
}

export function parseAuthor(s: string): { name: string; email: string } | undefined {
  const m = /^\s*([^<>\n]+?)\s*<([^<>\s]+)>\s*$/.exec(s);
  return m ? { name: m[1]!, email: m[2]! } : undefined;
}

function normalizeDir(p: string): string | undefined {
  const s = p.replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (s === '' || s === '.') return '';
  if (isAbsolute(p) || s.split('/').some((seg) => seg === '..' || seg === '' || seg === '.git' || seg === '.')) return undefined;
  return s;
}

function join2(base: string, rel: string): string {
  return base ? `${base}/${rel}` : rel;
}

function looksLikeUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^[^/\s]+@[^/\s:]+:/.test(s);
}

/** Drop userinfo (tokens) from a URL before it appears in a message or a trailer. */
export function redactUrl(s: string): string {
  return s.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 20).join(', ');
  return names.length > 20 ? `${shown} and ${names.length - 20} more` : shown;
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-3).join(' / ') || 'no output';
}

function fail(message: string, code: 'GIT' | 'USAGE' | 'INTERNAL' = 'GIT'): Fail {
  return { fail: [error(code, message)] };
}

function gitDiag(e: unknown, context: string): Diagnostic {
  if (e instanceof GitError) return error('GIT', `${context}: ${e.message}`);
  return error('FILESYSTEM', `${context}: ${e instanceof Error ? e.message : String(e)}`);
}
