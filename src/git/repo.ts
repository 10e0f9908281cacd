/** Facts about the *source* repository (the project's own), read with the clean env. */
import type { CatFile } from './cat-file.js';
import { Git } from './exec.js';
import { redactUrl } from './deployment.js';

export interface SourceRepo {
  git: Git;
  /** the project root relative to the repository top, `/`-separated, '' at the top */
  prefix: string;
  /**
   * The branch `refs/remotes/origin/HEAD` names, short (`origin/main`, as `git symbolic-ref
   * --short` gives it); null when it names none (absent, not symbolic, dangling); asked by
   * openSourceForBase in the same process (defaultBase then does not ask again)
   */
  originHead?: string | null;
}

export async function openSource(projectRoot: string, env: Record<string, string>): Promise<SourceRepo | undefined> {
  const git = new Git(projectRoot, env);
  const r = await git.run(['rev-parse', '--show-prefix']);
  if (r.code !== 0) return undefined;
  return { git, prefix: r.stdout.toString().trim().replace(/\/$/, '') };
}

/**
 * openSource for `diff` without a base, and the branch `refs/remotes/origin/HEAD` names, in one
 * git process: `rev-parse` prints the prefix, then the short name of the ref the symbolic ref
 * resolves to (`--abbrev-ref=loose` shortens as `symbolic-ref --short` does), or stops with an
 * error when it resolves to nothing; `origin/HEAD` itself when it is not symbolic.
 */
export async function openSourceForBase(projectRoot: string, env: Record<string, string>): Promise<SourceRepo | undefined> {
  const git = new Git(projectRoot, env);
  const r = await git.run(['rev-parse', '--show-prefix', '--abbrev-ref=loose', 'refs/remotes/origin/HEAD']);
  const lines = r.stdout.toString().split('\n');
  // outside a repository nothing is printed: openSource says so (and a stray failure is asked again)
  if (lines.length < 2) return openSource(projectRoot, env);
  const name = lines[1]!.trim();
  const originHead = r.code === 0 && lines.length === 3 && name && name !== 'origin/HEAD' ? name : null;
  return { git, prefix: lines[0]!.trim().replace(/\/$/, ''), originHead };
}

/**
 * openSource and the commit `rev` names, in one git process: undefined outside a repository;
 * `commit` undefined when `rev` is not a commit there.
 */
export async function openSourceAt(projectRoot: string, env: Record<string, string>, rev: string): Promise<(SourceRepo & { commit?: string }) | undefined> {
  const git = new Git(projectRoot, env);
  const r = await git.run(['rev-parse', '--show-prefix', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  // inside a repository the prefix line is printed (empty at the top) whether or not `rev` resolves
  const out = r.stdout.toString();
  const nl = out.indexOf('\n');
  if (nl < 0) return r.code === 0 ? undefined : openSource(projectRoot, env);
  const commit = out.slice(nl + 1).trim();
  return { git, prefix: out.slice(0, nl).trim().replace(/\/$/, ''), ...(r.code === 0 && /^[0-9a-f]{40,64}$/.test(commit) ? { commit } : {}) };
}

export interface Provenance {
  /** origin's URL without credentials, else the repository's top directory */
  url: string;
  /** HEAD, undefined before the first commit */
  commit?: string;
  /** files below the project root that differ from HEAD (staged, unstaged or untracked) */
  dirty: string[];
}

/**
 * For the trailers: origin's URL without credentials (else the repository path), HEAD, and
 * the project's uncommitted files; undefined outside a git repository. Three git processes run
 * at once (`status --porcelain=v2 --branch` names HEAD too; the top directory is used only when
 * there is no origin).
 */
export async function sourceProvenance(projectRoot: string, env: Record<string, string>): Promise<Provenance | undefined> {
  const git = new Git(projectRoot, env);
  // the repository's top directory names the source when there is no origin (and says whether
  // this is a repository at all): asked at once too, so that no process waits for another
  // (started later, it would wait for a main thread busy compiling)
  const [origin, st, top] = await Promise.all([
    git.run(['remote', 'get-url', 'origin']),
    git.run(['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=normal', '--', '.']),
    git.run(['rev-parse', '--show-toplevel']),
  ]);
  let url: string;
  if (origin.code === 0) url = redactUrl(origin.stdout.toString().trim());
  else {
    if (top.code !== 0) return undefined;
    url = top.stdout.toString().trim();
  }
  const status = parseStatusV2(st.code === 0 ? st.stdout.toString('utf8') : '');
  if (st.code !== 0) {
    // no status (an unreadable index, ...): HEAD is still named
    const head = await git.run(['rev-parse', '--verify', '--quiet', 'HEAD']);
    if (head.code === 0) status.commit = head.stdout.toString().trim();
  }
  return { url, ...status };
}

/** `git status --porcelain=v2 --branch -z`: HEAD's commit and the paths of the entries. */
export function parseStatusV2(text: string): { commit?: string; dirty: string[] } {
  let commit: string | undefined;
  const dirty: string[] = [];
  const recs = text.split('\0');
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i]!;
    if (r.startsWith('# branch.oid ')) {
      const oid = r.slice('# branch.oid '.length);
      if (/^[0-9a-f]{40,64}$/.test(oid)) commit = oid;
      continue;
    }
    // the path follows a fixed number of space-separated fields: 8 (changed), 9 (renamed or
    // copied: the original path is the next record), 10 (unmerged), 1 (untracked, ignored)
    const fields = r[0] === '1' ? 8 : r[0] === '2' ? 9 : r[0] === 'u' ? 10 : r[0] === '?' || r[0] === '!' ? 1 : 0;
    if (fields === 0 || r[1] !== ' ') continue;
    let at = 0;
    for (let f = 0; f < fields && at >= 0; f++) at = r.indexOf(' ', at + 1);
    if (at < 0) continue;
    dirty.push(r.slice(at + 1));
    if (r[0] === '2') i++;
  }
  return { commit, dirty };
}

/**
 * The default base for `diff`: the merge base of HEAD with the default branch (origin/HEAD,
 * else origin/main, origin/master, main, master), else HEAD itself. HEAD and every candidate
 * are resolved in one `git cat-file --batch-check` (the names are read as `rev-parse` reads
 * them) instead of one `rev-parse --verify` each; then one `merge-base` per candidate until one
 * has a merge base with HEAD: three processes for the usual case, where there were up to seven,
 * one after the other.
 */
export async function defaultBase(git: Git, originHead?: string | null, catFile?: CatFile): Promise<{ ref: string; sha: string } | undefined> {
  const candidates: string[] = [];
  if (originHead === undefined) {
    const asked = await git.run(['symbolic-ref', '-q', '--short', 'refs/remotes/origin/HEAD']);
    if (asked.code === 0) candidates.push(asked.stdout.toString().trim());
  } else if (originHead !== null) candidates.push(originHead);
  candidates.push('origin/main', 'origin/master', 'main', 'master');
  const names = ['HEAD', ...candidates.map((c) => `${c}^{commit}`)];
  let ids: (string | undefined)[];
  if (catFile) {
    // through the cat-file process the base's files are read through
    ids = await Promise.all(names.map((n) => catFile.commitId(n).then((id) => (/^[0-9a-f]{40,64}$/.test(id) ? id : undefined), () => undefined)));
  } else {
    const batch = await git.run(['cat-file', '--batch-check'], { input: names.map((n) => `${n}\n`).join('') });
    // one line per name: "<oid> <type> <size>", or "<name> missing" / "<name> ambiguous"
    const lines = batch.code === 0 ? batch.stdout.toString().split('\n') : [];
    ids = names.map((_, i) => /^([0-9a-f]{40,64}) commit \d+$/.exec(lines[i] ?? '')?.[1]);
  }
  const commit = (i: number) => ids[i];
  const head = commit(0);
  if (head === undefined) return undefined; // no commits yet
  for (const [i, ref] of candidates.entries()) {
    if (commit(i + 1) === undefined) continue;
    const mb = await git.run(['merge-base', 'HEAD', ref]);
    if (mb.code === 0) return { ref: `merge-base(HEAD, ${ref})`, sha: mb.stdout.toString().trim() };
  }
  return { ref: 'HEAD', sha: head };
}
