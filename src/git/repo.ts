/** Facts about the *source* repository (the project's own), read with the clean env. */
import { Git } from './exec.js';
import { redactUrl } from './publish.js';

export interface SourceRepo {
  git: Git;
  /** the project root relative to the repository top, `/`-separated, '' at the top */
  prefix: string;
}

export async function openSource(projectRoot: string, env: Record<string, string>): Promise<SourceRepo | undefined> {
  const git = new Git(projectRoot, env);
  const r = await git.run(['rev-parse', '--show-prefix']);
  if (r.code !== 0) return undefined;
  return { git, prefix: r.stdout.toString().trim().replace(/\/$/, '') };
}

/** For the trailers: origin's URL without credentials (else the repository path) and HEAD. */
export async function sourceProvenance(src: SourceRepo): Promise<{ url: string; commit?: string; dirty: string[] }> {
  const top = (await src.git.git(['rev-parse', '--show-toplevel'])).trim();
  const origin = await src.git.run(['remote', 'get-url', 'origin']);
  const url = origin.code === 0 ? redactUrl(origin.stdout.toString().trim()) : top;
  const head = await src.git.run(['rev-parse', '--verify', '--quiet', 'HEAD']);
  const commit = head.code === 0 ? head.stdout.toString().trim() : undefined;
  const st = await src.git.run(['status', '--porcelain=v1', '-z', '--untracked-files=normal', '--', '.']);
  const dirty = st.stdout
    .toString()
    .split('\0')
    .filter((x) => x.length > 3)
    .map((x) => x.slice(3));
  return { url, commit, dirty };
}

/**
 * The default base for `diff`: the merge base of HEAD with the default branch (origin/HEAD,
 * else origin/main, origin/master, main, master), else HEAD itself.
 */
export async function defaultBase(git: Git): Promise<{ ref: string; sha: string } | undefined> {
  const head = await git.run(['rev-parse', '--verify', '--quiet', 'HEAD']);
  if (head.code !== 0) return undefined; // no commits yet
  const candidates: string[] = [];
  const originHead = await git.run(['symbolic-ref', '-q', '--short', 'refs/remotes/origin/HEAD']);
  if (originHead.code === 0) candidates.push(originHead.stdout.toString().trim());
  candidates.push('origin/main', 'origin/master', 'main', 'master');
  for (const ref of candidates) {
    if ((await git.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).code !== 0) continue;
    const mb = await git.run(['merge-base', 'HEAD', ref]);
    if (mb.code === 0) return { ref: `merge-base(HEAD, ${ref})`, sha: mb.stdout.toString().trim() };
  }
  return { ref: 'HEAD', sha: head.stdout.toString().trim() };
}
