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
 * the old or the new commit, never half of it. A URL or a bare repository is cloned bare into a
 * temporary directory (only the branch published): nothing is checked out there, the commit is
 * built from git objects and pushed by its id (publishScratch).
 */
import { existsSync, lstatSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { compareArtifacts, compareResults, type ArtifactChange, type DiffResult } from '../diff/compare.js';
import type { ReasonFor } from '../core/reasons.js';
import { error, hasErrors, warning, type Diagnostic } from '../core/diagnostics.js';
import type { RenderedFile, ResolvedArtifact } from '../core/types.js';
import type { DesiredFile } from '../write/plan.js';
import { contentHash, gitObjectId } from '../core/hash.js';
import { adoptionRule, envScope, planOwned, RECORD_FILE, serializeRecord } from '../write/ownership.js';
import { branchName } from './branch.js';
import { cleanGitEnv } from './env.js';
import { Git, GitError, type GitRun } from './exec.js';
import { acquireLock, describeHolder } from './lock.js';
import { commitMessage, type ChangedFile } from './message.js';
import { CatFile } from './cat-file.js';
import { changeTree, commitObject, parseTree, plainIdent, writeLooseObjects } from './objects.js';
import { gitTree, rememberBlob, type BlobHashMemo, type GitTree } from './tree.js';
import { nextState, parseState, serializeState, STATE_FILE } from './state.js';
import { gitDiag, gpgSign, join2, normalizeDir, openDeployment, readHeads, redactUrl, repoConfig, type DeploymentOptions, type OpenedDeployment, type PendingDeployment, type Prefetched, type RepoConfig } from './deployment.js';
import { filesRefs, readHead, readRefFile } from './refs.js';

export { beginDeployment, openDeployment, redactUrl, type DeploymentOptions, type OpenedDeployment, type PendingDeployment } from './deployment.js';

export const DEFAULT_AUTHOR = 'gitopsc <gitopsc@localhost>';
const ZERO = '0000000000000000000000000000000000000000';
const TMP_PREFIX = 'gitopsc-publish-tmp-';
const JOURNAL = 'gitopsc-publish.journal';
/** a relative path normalizeDir keeps as it is: `/`-separated segments of safe characters, none empty or starting with a dot */
const PLAIN_PATH = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

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
  /** false: never sign; true: always sign (git's own signing: gpg.format, user.signingkey); undefined: sign when git is configured to (commit.gpgsign) */
  sign?: boolean;
  /** overwrite (and own from now on) files in the deployment repository that gitopsc did not write */
  adopt?: boolean;
  /** no limit on pruning; also allows publishing zero services over existing output */
  allowPrune?: boolean;
  /** the most files one publish may remove (default: 25% of the managed files, at least 5) */
  maxPrune?: number;
  /** compute the commit (message, trailers, files, diff) and change nothing */
  dryRun?: boolean;
  /** push the commit to a new branch named from this template instead of moving the branch (needs --push) */
  branchTemplate?: string;
  lockTimeoutMs?: number;
  /** total push attempts (first + retries), default 4 */
  pushAttempts?: number;
  /** resolve a relative `repo` against this */
  cwd: string;
  /** the inherited environment (filtered by cleanGitEnv before any git runs) */
  env: Readonly<Record<string, string | undefined>>;
  /** test seam: runs before each push attempt */
  beforePush?: (attempt: number, repoDir: string) => Promise<void>;
  /** test seam: runs after the branch moved, before the working tree follows */
  afterRef?: () => Promise<void>;
}

/** A file to publish: its content is needed only where its hash differs from the deployment tree's. */
export interface PublishedFile extends DesiredFile {
  service: string;
  environment: string;
}

/** What the caller plans against: the deployment tree below `--path` at the branch's HEAD. */
export interface DeploymentTree {
  /** content hash of every file this publish manages or owns */
  hashes: ReadonlyMap<string, string>;
  read(path: string): Promise<string | undefined>;
}

export interface PublishInput {
  /** the artifacts, and the rendered files when `desired` is not given */
  result: { files?: readonly RenderedFile[]; artifacts: readonly ResolvedArtifact[] };
  /**
   * The files to publish, planned against the deployment tree (src/build/publish.ts renders
   * only the units whose files differ there). Runs once per attempt: a rejected push rebuilds
   * on the new tip. `renderedCount` excludes generated kustomizations (the prune guard).
   */
  desired?: (tree: DeploymentTree) => Promise<{ files: PublishedFile[]; renderedCount: number; diagnostics: Diagnostic[] }>;
  /** blob id -> content hash, kept between runs (src/cache/store.ts) */
  blobMemo?: BlobHashMemo;
  /** which states a publish of given artifacts writes again unchanged, kept between runs (stateMemoKey) */
  stateMemo?: { get(key: string): unknown; set(key: string, value: string): void };
  /**
   * A hash of everything the published artifacts follow from (src/build/publish.ts: the lock's
   * bytes, each registry's image reference prefix, the units in order, the tool's version): a
   * state the memo knows to come out of a publish of such artifacts unchanged is decided without
   * them (`result.artifacts` is then never read).
   */
  artifactsKey?: string;
  /** a cat-file process of the deployment repository to share (tests) */
  catFile?: CatFile;
  /** the environments being published: their directories are managed (written and pruned) */
  environments: string[];
  source: { url: string; commit?: string };
  /** every environment of the project is published: every file gitopsc owns is managed */
  allEnvironments?: boolean;
  /** Lambda output root below `path` (output.lambdaDir) */
  lambdaDir?: string;
  /** the one-time adoption rule for output published before the ownership record existed */
  adoptable?: (path: string) => boolean;
  /**
   * Work done while `git push` runs (a child process: the main thread only waits for it), such
   * as saving caches; called once per push attempt. Its failure is ignored.
   */
  whilePushing?: (attempt: number) => Promise<void>;
  /**
   * The files to write, planned without listing the deployment tree: `tree` is the id of the
   * tip's tree (a publish at the top of the repository), `scope` names the environments
   * published. Answers only for a tree `settled` named in that scope (then its managed files are
   * exactly the units' files remembered for it, and the ownership record names exactly them):
   * the files of the units that changed since, with their content, at the same paths (the files
   * whose hash differs); undefined when it does not know the tree, or any unit changed its paths
   * (the plan is then made the long way: `desired` and the ownership plan).
   */
  quick?: (tree: string, scope: string) => Promise<PublishedFile[] | undefined>;
  /**
   * The tree `tree` (a new commit's, at the top of the repository) holds, in `scope`, exactly the
   * files planned (`desired`'s, or those `quick` left as they were and its writes) and the
   * ownership record naming exactly them, besides the state: what `quick` may rely on later.
   */
  settled?: (tree: string, scope: string) => void;
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
  /** the change as a diff (for --dry-run's stat and the pull-request description) */
  diff?: DiffResult;
  dryRun?: boolean;
  /** --branch-template: the branch the commit was pushed to */
  prBranch?: string;
  /** refusals of the ownership record and the prune guard (listing what would go) */
  prunes?: string[];
}

type Fail = { fail: Diagnostic[] };


function sameDeployment(a: DeploymentOptions, b: DeploymentOptions): boolean {
  return a.repo === b.repo && a.branch === b.branch && Boolean(a.push) === Boolean(b.push) && Boolean(a.dryRun) === Boolean(b.dryRun) && a.cwd === b.cwd && a.env === b.env;
}

/**
 * @param opened the deployment repository, opened ahead (`beginDeployment`) with the same
 *   options; publish owns it from here (its temporary clone is removed however publish ends)
 */
export async function publish(input: PublishInput, opts: PublishOptions, opened?: PendingDeployment): Promise<PublishOutcome> {
  try {
    return await publishWith(input, opts, opened);
  } finally {
    await opened?.discard(); // a no-op when publish removed it already
  }
}

async function publishWith(input: PublishInput, opts: PublishOptions, opened: PendingDeployment | undefined): Promise<PublishOutcome> {
  const out: PublishOutcome = { diagnostics: [], committed: false, pushed: false, files: [], artifacts: [], attempts: 0 };
  const env = cleanGitEnv(opts.env);
  const author = parseAuthor(opts.author ?? opts.env.GITOPSC_AUTHOR ?? DEFAULT_AUTHOR);
  if (!author) {
    out.diagnostics.push(error('USAGE', `--author must look like "Name <email>", got "${opts.author ?? opts.env.GITOPSC_AUTHOR}"`, { reason: 'bad-option' }));
    return out;
  }
  const base = normalizeDir(opts.path ?? '');
  if (base === undefined) {
    out.diagnostics.push(error('USAGE', `--path must be a relative directory inside the repository, got "${opts.path}"`, { reason: 'bad-option' }));
    return out;
  }
  if (opts.branchTemplate !== undefined && !opts.push && !opts.dryRun) {
    out.diagnostics.push(error('USAGE', '--branch-template pushes a new branch for a pull request: it needs --push', { reason: 'missing-option' }));
    return out;
  }
  for (const e of input.environments) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(e)) {
      out.diagnostics.push(error('USAGE', `environment name "${e}" cannot be used as a directory`, { reason: 'bad-environment-name' }));
      return out;
    }
  }

  // 1. Open a local working repository, or clone (perhaps begun already, while the project compiled).
  let o: OpenedDeployment;
  if (opened && sameDeployment(opened.options, opts)) o = await opened.result;
  else {
    await opened?.discard();
    o = await openDeployment(opts);
  }
  if (!o.ok) {
    out.diagnostics.push(...o.diagnostics);
    return out;
  }
  const { repoDir, tempDir, scratch } = o;
  out.repoDir = repoDir;
  const git = new Git(repoDir, env);

  // 2. The lock.
  let lock: Awaited<ReturnType<typeof acquireLock>>;
  try {
    const gitDir = scratch ? repoDir : (o.gitDir ?? (await git.git(['rev-parse', '--absolute-git-dir'])).trim());
    lock = await acquireLock(join(gitDir, 'gitopsc-publish.lock'), { timeoutMs: opts.lockTimeoutMs ?? 60_000 });
  } catch (e) {
    // EACCES, EROFS, ...: a filesystem failure (exit 4), and the temporary clone goes
    out.diagnostics.push(gitDiag(e, `cannot take the publish lock in ${git.cwd}`));
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    return out;
  }
  const gitDir = dirname(lock.path);
  if (!lock.ok) {
    out.diagnostics.push(
      error('GIT', `another publish holds the lock on ${repoDir}: ${describeHolder(lock.holder)}; gave up after ${Math.round((opts.lockTimeoutMs ?? 60_000) / 1000)} s`, { reason: 'locked', 
        hint: `if no publish is running, remove ${lock.path}`,
      }),
    );
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    return out;
  }
  try {
    const r = scratch ? await publishScratch(git, gitDir, base, author, input, opts, out, o.prefetched) : await publishLocked(git, gitDir, base, author, input, opts, out, o.config);
    if ('fail' in r) out.diagnostics.push(...r.fail);
  } catch (e) {
    out.diagnostics.push(gitDiag(e, `publish to ${redactUrl(opts.repo)} failed`));
  } finally {
    (await o.prefetched?.catch(() => undefined))?.catFile?.close();
    await lock.release();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
  return out;
}


/**
 * Publish from a temporary bare clone (`--push` to a URL or a bare repository): nobody else
 * uses the clone, so there is no working tree, index, journal or local edit to look after.
 * The commit is built on the branch's tip from git objects and pushed; a rejected push
 * fetches the moved branch and builds again on top of it.
 */
async function publishScratch(
  git: Git,
  gitDir: string,
  base: string,
  author: { name: string; email: string },
  input: PublishInput,
  opts: PublishOptions,
  out: PublishOutcome,
  prefetched?: Promise<Prefetched | undefined>,
): Promise<{ ok: true } | Fail> {
  // the clone's branches (one, or none in an empty repository) and which one HEAD names
  const pre = await prefetched?.catch(() => undefined);
  const { heads, current } = pre ?? (await readHeads(git));
  const branch = opts.branch ?? current;
  if (branch === undefined) return fail('--push with a detached HEAD needs --branch', 'GIT', 'detached-head');
  // a branch the remote has is a valid name
  if (opts.branch !== undefined && !heads.has(opts.branch) && ((await git.run(['check-ref-format', '--branch', opts.branch])).code !== 0 || opts.branch.startsWith('-'))) {
    return fail(`"${opts.branch}" is not a valid branch name`, 'USAGE', 'bad-option');
  }
  const remote = 'origin';
  out.branch = branch;
  let tip = heads.get(branch);
  if (!tip && branch !== current) {
    if (!opts.createBranch) {
      return fail(`branch "${branch}" does not exist in the deployment repository (locally or on origin); pass --create-branch to create it`, 'USAGE', 'unknown-branch');
    }
    tip = current ? heads.get(current) : undefined; // a new branch starts from the default branch, as `checkout -b` does
  }

  if (opts.dryRun || opts.branchTemplate !== undefined) {
    out.attempts = 1;
    const built = await buildCommit(git, base, author, input, opts, out, { parent: tip, ref: undefined, gitDir, prefetched: pre });
    if ('fail' in built || opts.dryRun || !out.commit || !out.prBranch) return built;
    const push = await pushing(git, [remote, `+${out.commit}:refs/heads/${out.prBranch}`], input, out.attempts);
    if (push.code !== 0) return fail(`git push to ${redactUrl(opts.repo)} ${out.prBranch} failed: ${lastLines(push.stderr || push.stdout.toString())}`, 'GIT', 'push-failed');
    out.pushed = true;
    return { ok: true };
  }

  const attempts = Math.max(1, opts.pushAttempts ?? 4);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    out.attempts = attempt;
    const built = await buildCommit(git, base, author, input, opts, out, { parent: tip, ref: 'none', gitDir, prefetched: pre });
    if ('fail' in built) return built;
    if (!out.commit) return { ok: true }; // nothing changed: nothing to push
    const commit = out.commit;
    await opts.beforePush?.(attempt, git.cwd);
    const push = await pushing(git, [remote, `${commit}:refs/heads/${branch}`], input, attempt);
    if (push.code === 0) {
      out.pushed = true;
      return { ok: true };
    }
    const text = push.stdout.toString() + push.stderr;
    if (!/\[rejected\]|\[remote rejected\].*(stale|fetch first)|non-fast-forward|fetch first|stale info/.test(text)) {
      return fail(`git push to ${redactUrl(opts.repo)} ${branch} failed: ${lastLines(push.stderr || text)}`, 'GIT', 'push-failed');
    }
    if (attempt === attempts) {
      return fail(`git push to ${remote} ${branch} was rejected ${attempts} times (the branch keeps moving); the commit ${commit.slice(0, 7)} was not pushed`, 'GIT', 'push-rejected');
    }
    // Someone moved the branch: take theirs and build on top of it.
    await fetchBranch(git, remote, branch);
    const theirs = await revParse(git, `refs/remotes/${remote}/${branch}`);
    if (!theirs) return fail(`git push rejected and ${remote}/${branch} cannot be fetched`, 'GIT', 'push-rejected');
    tip = theirs;
    out.committed = false;
    out.commit = undefined;
  }
  return { ok: true };
}

async function publishLocked(
  git: Git,
  gitDir: string,
  base: string,
  author: { name: string; email: string },
  input: PublishInput,
  opts: PublishOptions,
  out: PublishOutcome,
  asked?: Promise<RepoConfig>,
): Promise<{ ok: true } | Fail> {
  // the config (signing, origin, how objects are written), asked when the repository was opened
  const config = (asked ?? repoConfig(git)).catch(() => undefined);
  // 3. Refuse an unsafe state.
  const busy = ['MERGE_HEAD', 'rebase-merge', 'rebase-apply', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'index.lock'].filter((f) => existsSync(join(gitDir, f)));
  if (busy.length > 0) {
    const what = busy[0] === 'MERGE_HEAD' ? 'a merge' : busy[0]!.startsWith('rebase') ? 'a rebase' : busy[0] === 'index.lock' ? 'another git process (index.lock)' : 'a cherry-pick or revert';
    return fail(`deployment repository ${git.cwd} has ${what} in progress; finish or abort it first (found .git/${busy.join(', .git/')})`, 'GIT', 'operation-in-progress');
  }
  await sweepStale(gitDir);
  out.diagnostics.push(...(await recoverInterrupted(git, gitDir)));
  // HEAD's branch and commit: from the ref files, else from git
  const at = await headOf(git, gitDir);
  const current = at.ref?.replace(/^refs\/heads\//, '');
  if (current === undefined && !opts.allowDetached && opts.branch === undefined) {
    return fail(`deployment repository ${git.cwd} has a detached HEAD; check out a branch, pass --branch, or --allow-detached`, 'GIT', 'detached-head');
  }
  const managed = [
    ...input.environments.map((e) => join2(base, e)),
    ...(input.lambdaDir ? input.environments.map((e) => join2(base, `${input.lambdaDir}/${e}`)) : []),
    join2(base, STATE_FILE),
    join2(base, RECORD_FILE),
  ];
  const { dirty, staged } = await unsafePaths(git, managed, at.commit);
  if (dirty.length > 0) {
    return fail(
      `deployment repository ${git.cwd} has uncommitted changes in paths gitopsc manages: ${listNames(dirty)}; commit, stash or discard them first`, 'GIT', 'dirty-worktree',
    );
  }
  const headSha = at.commit;
  if (staged.length > 0) {
    return fail(`deployment repository ${git.cwd} has staged changes that a commit would include: ${listNames(staged)}; commit or unstage them first`, 'GIT', 'staged-changes');
  }
  const link = symlinkOnPath(git.cwd, managed);
  if (link) return fail(`refusing to write through the symbolic link ${link} in the deployment repository`, 'GIT', 'write-through-symlink');

  // Branch.
  const branch = opts.branch ?? current;
  const remote = opts.push ? ((await config)?.origin ? 'origin' : await pushRemote(git)) : undefined;
  if (opts.push && !remote) return fail(`--push: the deployment repository ${git.cwd} has no remote named origin`, 'GIT', 'no-remote');
  if (opts.branch !== undefined && opts.branch !== current) {
    if ((await git.run(['check-ref-format', '--branch', opts.branch])).code !== 0 || opts.branch.startsWith('-')) {
      return fail(`"${opts.branch}" is not a valid branch name`, 'USAGE', 'bad-option');
    }
  }
  if (opts.push && branch === undefined) return fail('--push with a detached HEAD needs --branch', 'GIT', 'detached-head');

  // --dry-run and --branch-template leave the checked-out branch alone: they build on its tip
  // (the remote tip when pushing) without checking anything out.
  if (opts.dryRun || opts.branchTemplate !== undefined) {
    out.branch = branch;
    if (remote && branch && !opts.dryRun) await fetchBranch(git, remote, branch);
    const tip =
      (remote && branch ? await refCommit(git, gitDir, `refs/remotes/${remote}/${branch}`) : undefined) ??
      (branch ? await refCommit(git, gitDir, `refs/heads/${branch}`) : undefined) ??
      (branch === current || branch === undefined ? headSha : undefined);
    if (branch && !tip && opts.branch !== undefined && !opts.createBranch && !(await refCommit(git, gitDir, `refs/remotes/origin/${branch}`))) {
      return fail(`branch "${branch}" does not exist in the deployment repository (locally or on origin); pass --create-branch to create it`, 'USAGE', 'unknown-branch');
    }
    out.attempts = 1;
    const built = await buildCommit(git, base, author, input, opts, out, { parent: tip, ref: undefined, gitDir, config });
    if ('fail' in built || opts.dryRun || !out.commit || !out.prBranch) return built;
    const push = await pushing(git, [remote!, `+${out.commit}:refs/heads/${out.prBranch}`], input, out.attempts);
    if (push.code !== 0) return fail(`git push to ${redactUrl(remote!)} ${out.prBranch} failed: ${lastLines(push.stderr || push.stdout.toString())}`, 'GIT', 'push-failed');
    out.pushed = true;
    return { ok: true };
  }

  if (opts.branch !== undefined && opts.branch !== current) {
    if (await refCommit(git, gitDir, `refs/heads/${opts.branch}`)) {
      await git.git(['checkout', '--quiet', opts.branch, '--']);
    } else if (await refCommit(git, gitDir, `refs/remotes/origin/${opts.branch}`)) {
      await git.git(['checkout', '--quiet', '-b', opts.branch, '--track', `origin/${opts.branch}`, '--']);
    } else if (opts.createBranch) {
      if (headSha) await git.git(['checkout', '--quiet', '-b', opts.branch, '--']);
      else await git.git(['symbolic-ref', 'HEAD', `refs/heads/${opts.branch}`]);
    } else {
      return fail(`branch "${opts.branch}" does not exist in the deployment repository (locally or on origin); pass --create-branch to create it`, 'USAGE', 'unknown-branch');
    }
  }
  out.branch = branch;

  // In push mode, start from the remote tip when we are behind it.
  const tracking = remote && branch ? `refs/remotes/${remote}/${branch}` : undefined;
  let tip: string | undefined;
  if (remote && branch && tracking) {
    await fetchBranch(git, remote, branch);
    tip = await refCommit(git, gitDir, tracking);
    const head = (await headOf(git, gitDir)).commit;
    if (tip && head !== tip && (!head || (await git.ok(['merge-base', '--is-ancestor', head, tip])))) {
      await resetTo(git, tip, head);
    }
  }

  const attempts = opts.push ? Math.max(1, opts.pushAttempts ?? 4) : 1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    out.attempts = attempt;
    const built = await buildCommit(git, base, author, input, opts, out, { parent: (await headOf(git, gitDir)).commit, ref: 'HEAD', gitDir, config });
    if ('fail' in built) return built;
    if (!remote || !branch || !tracking) return { ok: true };
    const head = (await headOf(git, gitDir)).commit;
    if (!head || head === tip) return { ok: true }; // nothing to push
    await opts.beforePush?.(attempt, git.cwd);
    const push = await pushing(git, [remote, `${head}:refs/heads/${branch}`], input, attempt);
    if (push.code === 0) {
      out.pushed = true;
      // the push moves the remote-tracking branch itself where the remote's fetch refspec maps it
      if ((await refCommit(git, gitDir, tracking)) !== head) await git.run(['update-ref', tracking, head]);
      return { ok: true };
    }
    const text = push.stdout.toString() + push.stderr;
    if (!/\[rejected\]|\[remote rejected\].*(stale|fetch first)|non-fast-forward|fetch first|stale info/.test(text)) {
      return fail(`git push to ${redactUrl(remote)} ${branch} failed: ${lastLines(push.stderr || text)}`, 'GIT', 'push-failed');
    }
    if (attempt === attempts) {
      return fail(
        `git push to ${remote} ${branch} was rejected ${attempts} times (the branch keeps moving); the local commit ${head.slice(0, 7)} was not pushed`, 'GIT', 'push-rejected',
      );
    }
    // Someone moved the branch: take theirs and render on top of it.
    await fetchBranch(git, remote, branch);
    const theirs = await refCommit(git, gitDir, tracking);
    if (!theirs) return fail(`git push rejected and ${remote}/${branch} cannot be fetched`, 'GIT', 'push-rejected');
    tip = theirs;
    await resetTo(git, theirs, head);
    out.committed = false;
    out.commit = undefined;
  }
  return { ok: true };
}

const SAME_STATE = 'same';

/** The state memo's key: the state's blob id, the environments published and their artifacts (all of what the new state follows from). */
function stateMemoKey(stateOid: string, environments: readonly string[], published: readonly ResolvedArtifact[]): string {
  return `state:${stateOid}:${contentHash(JSON.stringify([environments, published]))}`;
}

/** The same, by a hash of what the artifacts follow from (PublishInput.artifactsKey) instead of the artifacts. */
function stateInputsKey(stateOid: string, environments: readonly string[], artifactsKey: string): string {
  return `state-in:${stateOid}:${contentHash(JSON.stringify([environments, artifactsKey]))}`;
}

/** `git push` (never forced but by a `+` refspec, no hooks of ours), with the caller's `whilePushing` work done meanwhile. */
async function pushing(git: Git, args: readonly string[], input: PublishInput, attempt: number): Promise<GitRun> {
  const push = git.run(['push', '--porcelain', '--no-verify', ...args], { timeoutMs: 300_000 });
  await input.whilePushing?.(attempt).catch(() => undefined);
  return push;
}

/** Build the new tree from HEAD plus the desired files; commit it when it differs. */
async function buildCommit(
  git: Git,
  base: string,
  author: { name: string; email: string },
  input: PublishInput,
  opts: PublishOptions,
  out: PublishOutcome,
  at: { parent: string | undefined; ref: 'HEAD' | 'none' | undefined; gitDir: string; prefetched?: Prefetched; config?: Promise<RepoConfig | undefined> },
): Promise<{ ok: true } | Fail> {
  const head = at.parent;
  const inScope = input.allEnvironments ? () => true : envScope(input.environments, input.lambdaDir);
  // The deployment tree at HEAD: what this publish may read are the managed directories, the
  // record, the state, and every recorded file (an environment removed from the config is
  // still gitopsc's to prune). Files are compared by content hash; the text of a file is read
  // only where it changes (the diff) or is the record or the state.
  const listed = at.prefetched && head && at.prefetched.commit === head && at.prefetched.base === base ? at.prefetched.listing : undefined;
  const catFile = input.catFile ?? (listed ? at.prefetched?.catFile : undefined) ?? new CatFile(git.cwd, git.env);
  // a tree the caller knows by its id (input.quick, at the top of the repository): the files to
  // write are planned without listing it, hashing its files or reading the ownership record
  const scopeKey = base === '' && (input.quick || input.settled) ? contentHash(JSON.stringify([input.environments, input.lambdaDir ?? null, Boolean(input.allEnvironments)])) : undefined;
  const known = head && scopeKey !== undefined && input.quick ? await knownTree(catFile, head, scopeKey, input.quick, envScope(input.environments, input.lambdaDir)) : undefined;
  const tree = known?.tree ?? (await gitTree(git, head, base, { memo: input.blobMemo, catFile, listing: listed?.() }));
  const textAt = async (p: string) => (tree.oids.has(p) ? ((await tree.read(p)) ?? '') : undefined);
  const recordText = known ? undefined : await textAt(RECORD_FILE);
  // The state this publish would write follows from the state there (its blob id), the
  // environments and the artifacts published: a state known to come out the same is neither
  // parsed nor compared (its artifacts cannot have changed) nor written again. Known by what
  // the artifacts follow from, the artifacts are not even listed.
  const stateOid = tree.oids.get(STATE_FILE);
  const inputsKey = input.stateMemo && stateOid && input.artifactsKey !== undefined ? stateInputsKey(stateOid, input.environments, input.artifactsKey) : undefined;
  const sameByInputs = inputsKey !== undefined && input.stateMemo?.get(inputsKey) === SAME_STATE;
  const published = sameByInputs ? [] : input.result.artifacts.filter((a) => input.environments.includes(a.environment));
  const stateKey = !sameByInputs && input.stateMemo && stateOid ? stateMemoKey(stateOid, input.environments, published) : undefined;
  const sameState = sameByInputs || (stateKey !== undefined && input.stateMemo?.get(stateKey) === SAME_STATE);
  const stateText = sameState ? undefined : await textAt(STATE_FILE);
  // the record's paths, as a set only when a path outside the managed directories asks (a README, an environment removed)
  let recordedSet: Set<string> | undefined;
  const recorded = { has: (p: string) => (recordedSet ??= new Set((recordText ?? '').split('\n'))).has(p) };
  const scope = envScope(input.environments, input.lambdaDir);
  const inTree = (p: string) => p === RECORD_FILE || scope(p) || recorded.has(p);
  const oldState = sameState ? [] : parseState(stateText);
  const artifacts = sameState
    ? []
    : compareArtifacts(
        oldState.filter((a: ResolvedArtifact) => input.environments.includes(a.environment)),
        published,
      );
  const plan = known ? knownPlan(known.writes) : await planFiles();
  if ('fail' in plan) return plan;
  const { files, writes, removes, desired } = plan;
  if (known) out.prunes = [];

  /** The files to write and remove, planned against the tree's listing: the caller's files, the ownership record. */
  async function planFiles(): Promise<Fail | (Plan & { exact: boolean })> {
    const hashed = await tree.hashes((p) => p !== STATE_FILE && inTree(p));
    if ('problem' in hashed) return { fail: [hashed.problem] };
    const hashes = hashed.files;
    const managedRoot = envScope(input.environments, input.lambdaDir);
    // what to publish: planned by the caller against this tree (rendering only what differs), or every rendered file
    const planned = input.desired
      ? await input.desired({ hashes, read: (p) => tree.read(p) })
      : {
          files: (input.result.files ?? []).filter((f) => input.environments.includes(f.environment)).map((f) => ({ path: f.path, hash: contentHash(f.content), content: f.content, service: f.service, environment: f.environment })),
          renderedCount: (input.result.files ?? []).filter((f) => input.environments.includes(f.environment) && !/(^|\/)kustomization\.yaml$/.test(f.path)).length,
          diagnostics: [] as Diagnostic[],
        };
    if (hasErrors(planned.diagnostics)) return { fail: planned.diagnostics };
    const desired = new Map<string, PublishedFile>();
    const envs = new Set(input.environments);
    for (const f of planned.files) {
      if (!envs.has(f.environment)) continue;
      // a plain relative path (segments of safe characters, none starting with a dot) is its own normal form
      const rel = PLAIN_PATH.test(f.path) ? f.path : normalizeDir(f.path);
      if (!rel || !managedRoot(rel) || rel === STATE_FILE || rel === RECORD_FILE) {
        return fail(`rendered file "${f.path}" is outside the environment directories`, 'INTERNAL', 'invalid-output-path');
      }
      desired.set(rel, rel === f.path ? f : { ...f, path: rel });
    }
    const owned = planOwned({
      // planned by path, hash and content (a file's service and environment ride along unread),
      // in the record's order: a record that names exactly these paths is taken as it is
      desired: [...desired.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
      renderedCount: planned.renderedCount,
      existing: hashes,
      recordText,
      inScope,
      adoptable: input.adoptable ?? adoptionRule(input.environments, [...new Set([...desired.keys()].map((p) => p.split('/').pop()!))], input.lambdaDir),
      adopt: opts.adopt,
      allowPrune: opts.allowPrune,
      maxPrune: opts.maxPrune,
      show: (p) => join2(base, p),
    });
    out.prunes = owned.prunes.map((p) => join2(base, p));
    if (hasErrors(owned.diagnostics)) return { fail: owned.diagnostics };
    const files: ChangedFile[] = [];
    const writes = new Map<string, string>();
    const removes = owned.plan.removes;
    for (const w of owned.plan.writes) {
      writes.set(w.path, w.content);
      if (w.path === RECORD_FILE) continue;
      const d = desired.get(w.path)!;
      files.push({ path: w.path, service: d.service, environment: d.environment, status: w.kind === 'add' ? 'added' : 'changed' });
    }
    for (const p of removes) {
      const parts = p.split('/');
      const [environment = '', service = ''] = input.lambdaDir && p.startsWith(`${input.lambdaDir}/`) ? parts.slice(input.lambdaDir.split('/').length) : parts;
      files.push({ path: p, service, environment, status: 'removed' });
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    // whether the new tree holds, in scope, exactly the desired files and a record naming exactly
    // them (what input.settled tells the caller): as many files as those, the record's text theirs
    let exact = false;
    if (scopeKey !== undefined && input.settled) {
      let n = hashes.size;
      for (const p of removes) if (hashes.has(p)) n--;
      for (const p of writes.keys()) if (!hashes.has(p)) n++;
      exact = n === desired.size + 1 && (writes.get(RECORD_FILE) ?? recordText) === serializeRecord(desired.keys());
    }
    return { files, writes, removes, desired, exact };
  }
  out.files = files;
  out.artifacts = artifacts;
  const state = sameState ? undefined : serializeState(nextState(oldState, published, input.environments));
  const stateChanged = state !== undefined && stateText !== state;
  if (input.stateMemo && state !== undefined) {
    // what the next publish of the same artifacts finds there: this state, the same again
    const oid = stateChanged ? gitObjectId('blob', Buffer.from(state, 'utf8')) : stateOid;
    const key = oid ? stateMemoKey(oid, input.environments, published) : undefined;
    if (key && input.stateMemo.get(key) !== SAME_STATE) input.stateMemo.set(key, SAME_STATE);
    const byInputs = oid && input.artifactsKey !== undefined ? stateInputsKey(oid, input.environments, input.artifactsKey) : undefined;
    if (byInputs && input.stateMemo.get(byInputs) !== SAME_STATE) input.stateMemo.set(byInputs, SAME_STATE);
  } else if (sameState && !sameByInputs && inputsKey !== undefined) input.stateMemo?.set(inputsKey, SAME_STATE); // known by the artifacts: by their inputs from now on
  if (files.length === 0 && artifacts.length === 0) return { ok: true }; // nothing changed
  // whether git is configured to sign, looked up while the commit is prepared
  const signing = opts.sign !== undefined || opts.dryRun ? Promise.resolve(opts.sign === true) : (at.prefetched?.gpgsign ?? at.config?.then((c) => c?.sign ?? gpgSign(git)) ?? gpgSign(git));
  if (stateChanged && state !== undefined) writes.set(STATE_FILE, state);

  // the change as a diff: --dry-run's stat and the pull-request description
  const asFile = (path: string, content: string, f?: { service: string; environment: string }): RenderedFile => ({ path: join2(base, path), content, service: f?.service ?? '', environment: f?.environment ?? '' });
  const byPath = new Map(files.map((f) => [f.path, f]));
  // (a known tree's planned files are all there: they change in place)
  const before = await Promise.all(files.filter((f) => (known ? f.status !== 'added' : tree.oids.has(f.path))).map(async (f) => asFile(f.path, (await tree.read(f.path)) ?? '', byPath.get(f.path))));
  // the artifact changes are those computed above (comparing them again costs a pass over every unit)
  const fileDiff = compareResults(
    { files: before, artifacts: [] },
    { files: files.filter((f) => desired.has(f.path)).map((f) => asFile(f.path, writes.get(f.path) ?? '', byPath.get(f.path))), artifacts: [], outputDir: base || '.' },
    { base: head ? head.slice(0, 7) : '(empty)', head: 'this publish' },
  );
  out.diff = { ...fileDiff, artifacts, changed: artifacts.length > 0 || fileDiff.files.length > 0 };

  const msg = commitMessage({ artifacts, files, source: input.source.url, sourceCommit: input.source.commit, template: opts.message });
  if (!msg.ok) return fail(msg.error, 'USAGE', 'bad-option');
  out.message = msg.message;
  if (opts.branchTemplate !== undefined) {
    const b = branchName(opts.branchTemplate, { artifacts, files, environments: input.environments, contentKey: [...writes].map(([p, c]) => `${p}\0${contentHash(c)}`).join('\n') + removes.join('\n') });
    if (!b.ok) return fail(b.error, 'USAGE', 'bad-option');
    if ((await git.run(['check-ref-format', '--branch', b.branch])).code !== 0 || b.branch.startsWith('-')) {
      return fail(`--branch-template gives "${b.branch}", which is not a valid branch name`, 'USAGE', 'bad-option');
    }
    out.prBranch = b.branch;
  }
  if (opts.dryRun) {
    out.dryRun = true;
    return { ok: true };
  }

  // A private index (in the git directory, where the next publish sweeps up what a killed one
  // left): the user's index and working tree stay as they are until the commit exists.
  const tmp = await mkdtemp(join(at.gitDir, TMP_PREFIX));
  try {
    const paths = [...writes.keys()];
    // the new tree from git objects, in this process: in a temporary clone of a SHA-1
    // repository; in a working repository whose git directory holds its objects (not a linked
    // worktree's), SHA-1 with refs in files, whose config writes loose objects as this does
    const local = at.ref === 'none' ? undefined : await at.config;
    const inProcess = at.ref === 'none' || (local?.looseObjects === true && filesRefs(at.gitDir));
    const fast = inProcess && head && /^[0-9a-f]{40}$/.test(head) ? await treeInProcess(catFile, at.gitDir, head, base, writes, removes) : undefined;
    let tree: string;
    let oids: string[];
    if (fast) ({ tree, oids } = fast);
    else {
      const indexEnv = { GIT_INDEX_FILE: join(tmp, 'index') };
      // the index of the parent and the new blobs are independent: both at once
      [, oids] = await Promise.all([
        git.git(head ? ['read-tree', head] : ['read-tree', '--empty'], { env: indexEnv }),
        (async () => {
          if (!paths.length) return [];
          const blobDir = join(tmp, 'blobs');
          await mkdir(blobDir);
          const blobFiles = await Promise.all(
            paths.map(async (p, i) => {
              const f = join(blobDir, String(i));
              await writeFile(f, writes.get(p)!);
              return f;
            }),
          );
          return (await git.git(['hash-object', '-w', '--no-filters', '--stdin-paths'], { input: blobFiles.join('\n') + '\n' })).trim().split('\n');
        })(),
      ]);
      if (oids.length !== paths.length) return fail(`git hash-object wrote ${oids.length} objects for ${paths.length} files`, 'GIT', 'command-failed');
      const info = [
        ...paths.map((p, i) => `100644 ${oids[i]}\t${join2(base, p)}`),
        ...removes.map((p) => `0 ${ZERO}\t${join2(base, p)}`),
      ];
      await git.git(['update-index', '-z', '--index-info'], { env: indexEnv, input: info.join('\0') + '\0' });
      tree = (await git.git(['write-tree'], { env: indexEnv })).trim();
    }
    // the blobs written now need not be read by the next publish that lists the tree to be
    // compared (one over a tree it knows reads none: its memo is not even opened)
    if (!known) paths.forEach((p, i) => rememberBlob(input.blobMemo, oids[i]!, contentHash(writes.get(p)!)));
    if (scopeKey !== undefined && plan.exact) input.settled?.(tree, scopeKey);
    const sign = await signing;
    // the tree built in process, unsigned, in a repository whose config asks nothing of the
    // commit object: the commit as `git commit-tree` writes it, in process too
    const config = fast && !sign ? (at.ref === 'none' ? await at.prefetched?.commitConfig?.catch(() => undefined) : local) : undefined;
    let commit: string;
    if (config?.plain && !config.sign && plainIdent(author) && process.env.TZ === git.env.TZ) {
      const c = commitObject({ tree, parents: head ? [head] : [], author, when: new Date(), message: msg.message });
      await writeLooseObjects(join(at.gitDir, 'objects'), [c]);
      commit = c.oid;
    } else {
      const msgFile = join(tmp, 'message');
      await writeFile(msgFile, msg.message, { mode: 0o600 });
      const ident = { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email };
      const ct = await git.run(['commit-tree', tree, ...(head ? ['-p', head] : []), '-F', msgFile, ...(sign ? ['-S'] : [])], {
        env: ident,
        timeoutMs: 60_000,
      });
      if (ct.code !== 0) {
        const why = sign
          ? opts.sign
            ? ' (--sign uses git\'s own signing: set gpg.format and user.signingkey in the deployment repository; gitopsc never prompts for a passphrase)'
            : ' (git is configured to sign commits: gitopsc never prompts for a passphrase, so use an agent with the key unlocked, or --no-gpg-sign)'
          : '';
        return fail(`git commit-tree failed${why}: ${lastLines(ct.stderr)}`, 'GIT', 'commit-failed');
      }
      commit = ct.stdout.toString().trim();
    }
    if (at.ref === 'none') {
      // a temporary clone: the commit is pushed by its id, no local branch follows it
    } else if (at.ref === undefined) {
      // --branch-template: the commit goes on its own branch; the checked-out branch stays
      const upd = await git.run(['update-ref', '-m', 'gitopsc publish', `refs/heads/${out.prBranch}`, commit]);
      if (upd.code !== 0) return fail(`cannot create branch ${out.prBranch}: ${lastLines(upd.stderr)}`, 'GIT', 'command-failed');
    } else {
      const ref = (await headOf(git, at.gitDir)).ref ?? 'HEAD';
      // the journal lets the next publish finish the working-tree update if this one is killed
      await writeFile(join(at.gitDir, JOURNAL), JSON.stringify({ ref, old: head ?? null, new: commit }) + '\n');
      const upd = await git.run(['update-ref', '--no-deref', '-m', 'gitopsc publish', ref, commit, head ?? ZERO]);
      if (upd.code !== 0) {
        await rm(join(at.gitDir, JOURNAL), { force: true });
        return fail(`${ref} moved while publishing (${lastLines(upd.stderr)}); nothing was changed, run publish again`, 'GIT', 'ref-moved');
      }
      await opts.afterRef?.();
      // The working tree and the user's index follow the branch: a two-tree merge keeps any
      // unrelated local edits (the managed paths are clean: checked above).
      const rt = await git.run(head ? ['read-tree', '-m', '-u', head, commit] : ['read-tree', '-m', '-u', commit]);
      if (rt.code !== 0) {
        out.diagnostics.push(
          warning('GIT', `committed ${commit.slice(0, 7)} but could not update the working tree of ${git.cwd}: ${lastLines(rt.stderr)}`, { reason: 'worktree-not-updated', 
            hint: 'run `git reset --keep HEAD` there',
          }),
        );
      }
      await rm(join(at.gitDir, JOURNAL), { force: true });
    }
    out.committed = true;
    out.commit = commit;
    out.message = msg.message;
    return { ok: true };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** What buildCommit writes and removes, the published files by path, and the changed files as the outcome lists them. */
interface Plan {
  files: ChangedFile[];
  writes: Map<string, string>;
  removes: string[];
  desired: ReadonlyMap<string, PublishedFile>;
  /** the new tree holds exactly the desired files and the record naming them (input.settled) */
  exact: boolean;
}

/**
 * The plan of a tree the caller knows (input.quick): its files written where their hash differs,
 * at the paths they had; no record change, nothing removed. Taken in path order, as planOwned
 * gives the long way's (quick gives them in unit order): `writes` is hashed into the branch
 * template's `{hash}`, which must not depend on which way planned.
 */
function knownPlan(changed: readonly PublishedFile[]): Plan {
  const files: ChangedFile[] = [];
  const writes = new Map<string, string>();
  const desired = new Map<string, PublishedFile>();
  for (const f of [...changed].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    writes.set(f.path, f.content!);
    desired.set(f.path, f);
    files.push({ path: f.path, service: f.service, environment: f.environment, status: 'changed' });
  }
  return { files, writes, removes: [], desired, exact: true };
}

const S_IFMT = 0o170000;

/**
 * The tip's tree (`head`, at the top of the repository) when `quick` knows it by its id: the
 * files to write, and the tree as the plan reads it (the state's blob id, from its directory's
 * tree; a file's text by its path). Undefined when `quick` does not know it, or it cannot be read.
 */
async function knownTree(catFile: CatFile, head: string, scope: string, quick: NonNullable<PublishInput['quick']>, inScope: (path: string) => boolean): Promise<{ tree: GitTree; writes: PublishedFile[] } | undefined> {
  let top: { id: string; bytes: Uint8Array };
  try {
    top = await catFile.namedTree(`${head}^{tree}`);
  } catch {
    return undefined;
  }
  const writes = await quick(top.id, scope);
  // (each a plain path, its own normal form, in the environments' directories: as the long way plans it)
  if (!writes || writes.some((f) => f.content === undefined || !PLAIN_PATH.test(f.path) || !inScope(f.path))) return undefined;
  // the state's blob id (a regular file, as a listing keeps it), read from the trees on its way
  const oids = new Map<string, string>();
  try {
    const parts = STATE_FILE.split('/');
    let entries = parseTree(top.bytes);
    for (let i = 0; i < parts.length; i++) {
      const e = entries.find((x) => x.name === parts[i]);
      if (!e) break;
      const kind = Number.parseInt(e.mode, 8) & S_IFMT;
      if (i === parts.length - 1) {
        if (kind === 0o100000) oids.set(STATE_FILE, e.oid);
      } else if (kind === 0o040000) entries = parseTree(await catFile.tree(e.oid));
      else break;
    }
  } catch {
    return undefined;
  }
  const describe = head.slice(0, 7);
  const bytes = (path: string) => catFile.blob(oids.get(path) ?? `${head}:${path}`);
  const dec = new TextDecoder();
  return {
    writes,
    tree: {
      describe,
      oids,
      bytes,
      read: async (path) => dec.decode(await bytes(path)),
      hashes: () => Promise.reject(new Error('a known tree is not listed')),
    },
  };
}

/**
 * The tree of `head` with `writes` and `removes` (below `base`) applied, built from git objects
 * in this process and written as loose objects (./objects.ts); undefined when it cannot be built
 * that way (the caller goes through an index).
 */
async function treeInProcess(catFile: CatFile, gitDir: string, head: string, base: string, writes: ReadonlyMap<string, string>, removes: readonly string[]): Promise<{ tree: string; oids: string[] } | undefined> {
  const blobs = [...writes].map(([path, text]) => {
    const bytes = Buffer.from(text, 'utf8');
    return { path: join2(base, path), oid: gitObjectId('blob', bytes), type: 'blob' as const, bytes };
  });
  const changed = await changeTree(
    (t) => catFile.tree(t),
    `${head}^{tree}`,
    new Map(blobs.map((b) => [b.path, b.oid])),
    removes.map((p) => join2(base, p)),
  );
  if (!changed) return undefined;
  await writeLooseObjects(join(gitDir, 'objects'), [...blobs, ...changed.objects]);
  return { tree: changed.tree, oids: blobs.map((b) => b.oid) };
}

/**
 * A publish killed between moving the branch and updating the index and working tree leaves
 * its journal: the branch is at `new`, the index and the managed files still at `old`. Bring
 * exactly the paths that differ between the two commits to `new` (they were clean when that
 * publish started: it checked). A journal whose branch is elsewhere is stale and dropped.
 */
async function recoverInterrupted(git: Git, gitDir: string): Promise<Diagnostic[]> {
  const file = join(gitDir, JOURNAL);
  let j: { ref?: unknown; old?: unknown; new?: unknown };
  try {
    j = JSON.parse(await readFile(file, 'utf8')) as typeof j;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    await rm(file, { force: true }); // torn: written by a publish killed before it moved anything
    return [];
  }
  const ref = typeof j.ref === 'string' ? j.ref : 'HEAD';
  const cur = await revParse(git, ref);
  if (typeof j.new === 'string' && cur === j.new) {
    const old = typeof j.old === 'string' ? j.old : undefined;
    const diff = old
      ? (await git.git(['diff-tree', '-r', '-z', '--no-renames', '--name-status', old, j.new])).split('\0').filter(Boolean)
      : ['A', ...(await git.git(['ls-tree', '-r', '-z', '--name-only', j.new])).split('\0').filter(Boolean).flatMap((p) => [p, 'A'])].slice(0, -1);
    const present: string[] = [];
    const gone: string[] = [];
    for (let i = 0; i + 1 < diff.length; i += 2) (diff[i] === 'D' ? gone : present).push(diff[i + 1]!);
    if (present.length) await git.git(['checkout', j.new, '--', ...present.map((p) => `:(literal)${p}`)]);
    if (gone.length) await git.git(['rm', '-q', '--cached', '--ignore-unmatch', '--', ...gone.map((p) => `:(literal)${p}`)]);
    for (const p of gone) await rm(join(git.cwd, p), { force: true });
    await rm(file, { force: true });
    return [warning('GIT', `finished the working-tree update of an interrupted publish (${j.new.slice(0, 7)}) in ${git.cwd}`, { reason: 'completed-interrupted' })];
  }
  await rm(file, { force: true });
  return [];
}

/** Private index directories of publishes that were killed (we hold the lock: none is live). */
async function sweepStale(gitDir: string): Promise<void> {
  const names = await readdir(gitDir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(TMP_PREFIX)).map((n) => rm(join(gitDir, n), { recursive: true, force: true })));
}

/** A ref's commit: from the ref files (./refs.ts), else `rev-parse`. */
async function refCommit(git: Git, gitDir: string, ref: string): Promise<string | undefined> {
  const plain = filesRefs(gitDir) ? readRefFile(gitDir, ref) : undefined;
  return plain ? plain.commit : revParse(git, ref);
}

/** HEAD's branch (`refs/heads/<name>`; undefined when detached) and commit (undefined before the first): from the ref files, else from git. */
async function headOf(git: Git, gitDir: string): Promise<{ ref?: string; commit?: string }> {
  const plain = readHead(gitDir);
  if (plain) return plain;
  const [symbolic, commit] = await Promise.all([git.run(['symbolic-ref', '-q', 'HEAD']), revParse(git, 'HEAD')]);
  return { ...(symbolic.code === 0 ? { ref: symbolic.stdout.toString().trim() } : {}), commit };
}

/**
 * What keeps a publish out of a working repository, from one `git status` of the whole
 * repository: `dirty`, the paths under `managed` that differ from HEAD in the index or the
 * working tree or are untracked; `staged`, the paths whose index entry differs from HEAD's
 * (anything in the index before the first commit), which a commit would include. Status shows a
 * staged submodule commit whatever the submodule's `ignore` says; `git diff --cached HEAD` (asked
 * only when status shows something staged) honours it, so it has the last word.
 */
async function unsafePaths(git: Git, managed: readonly string[], head: string | undefined): Promise<{ dirty: string[]; staged: string[] }> {
  // (a submodule's own working tree is not looked into: its staged commit still is)
  // (--no-renames: a rename is its two paths, each judged by itself)
  const r = await git.git(['status', '--porcelain=v1', '-z', '--no-renames', '--untracked-files=all', '--ignored=no', '--ignore-submodules=dirty']);
  const under = (p: string) => managed.some((m) => p === m || p.startsWith(`${m}/`));
  const dirty: string[] = [];
  const staged: string[] = [];
  const recs = r.split('\0');
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i]!;
    if (rec.length < 4) continue;
    const path = rec.slice(3);
    // the source path of a rename or copy, staged or in the working tree, follows
    const from = rec[0] === 'R' || rec[0] === 'C' || rec[1] === 'R' || rec[1] === 'C' ? recs[++i] : undefined;
    if (under(path) || (from !== undefined && under(from))) dirty.push(path);
    if (rec[0] !== ' ' && rec[0] !== '?' && rec[0] !== '!') staged.push(path);
  }
  if (staged.length === 0 || head === undefined) return { dirty, staged };
  return { dirty, staged: (await git.git(['diff', '--cached', '--name-only', '-z', head, '--'])).split('\0').filter(Boolean) };
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
    // `reset --keep` trusts the index's stat data: a file copied or touched with the same bytes
    // would stop it ("not uptodate"); refresh first (its exit code only says some file changed,
    // which reset then judges itself)
    await git.run(['update-index', '-q', '--refresh']);
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

function listNames(names: string[]): string {
  const shown = names.slice(0, 20).join(', ');
  return names.length > 20 ? `${shown} and ${names.length - 20} more` : shown;
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-3).join(' / ') || 'no output';
}

function fail<C extends 'GIT' | 'USAGE' | 'INTERNAL'>(message: string, code: C, reason: ReasonFor<C>): Fail {
  return { fail: [error(code, message, { reason })] };
}
