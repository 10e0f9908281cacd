/**
 * Temporary git repositories for tests, made from object literals (as changesets' tests do).
 * Every git here runs with a private global config and no system config, so results never
 * depend on the machine; inherited GIT_* variables are removed from process.env once.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CompileResult, RenderedFile, ResolvedArtifact } from '../../src/pipeline.js';
import { refreshIndex } from './index-refresh.js';

let configured = false;

/** Isolate git from the machine: private global config, no system config, no inherited GIT_*. */
export function isolateGit(): void {
  if (configured) return;
  configured = true;
  for (const k of Object.keys(process.env)) if (k.startsWith('GIT_')) delete process.env[k];
  const home = mkdtempSync(join(tmpdir(), 'gitopsc-home-'));
  const cfg = join(home, 'gitconfig');
  writeFileSync(
    cfg,
    // no automatic maintenance: `git commit` and `receive-pack` would start `git maintenance run
    // --auto` / `gc --auto` after each commit and push (about 100 processes per run, and a gc may
    // go on in the background while the test removes its repository); no commit-graph or
    // multi-pack-index files are ever written here (no gc, no maintenance), so git reads none:
    // off, `git fsck` does not start `commit-graph verify` and `multi-pack-index verify` (two
    // processes per fsck that verified nothing)
    '[core]\n\tcommitGraph = false\n\tmultiPackIndex = false\n[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[advice]\n\tdetachedHead = false\n[maintenance]\n\tauto = false\n[gc]\n\tauto = 0\n[receive]\n\tautogc = false\n',
  );
  process.env.GIT_CONFIG_GLOBAL = cfg;
  process.env.GIT_CONFIG_NOSYSTEM = '1';
}

export function tmp(prefix = 'gitopsc-test-'): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

export function git(cwd: string, ...args: string[]): string {
  isolateGit();
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

/** A copy's index made to hold the copy's stat data: `git update-index -q --refresh`, in this process where it can be (test/helpers/index-refresh.ts). */
export function refresh(worktree: string): void {
  if (!refreshIndex(worktree)) git(worktree, 'update-index', '-q', '--refresh');
}

/**
 * Repositories made once per test file (per worker: the module is shared by a worker's files)
 * for each distinct set of files, then copied whole (.git included) for every caller: git
 * init/add/commit and two clones ran about 250 git processes per test run for a handful of
 * distinct repositories. A copy is the same repository (the same objects, refs and commit
 * ids); its index's stat data (inodes, times) are the template's, refreshed as `git
 * update-index --refresh` does (not every git command refreshes them: `git reset` and `read-tree -m`
 * call a file whose stat data differ "not uptodate" and refuse), in this process (`refresh`).
 */
const templates = new Map<string, string>();

function fromTemplate(key: string, make: (dir: string) => void): string {
  let t = templates.get(key);
  if (t === undefined || !existsSync(t)) {
    t = join(tmp('gitopsc-template-'), 'repo');
    make(t);
    templates.set(key, t);
  }
  return t;
}

/** A working repository with one commit holding `files`. */
export function makeRepo(files: Record<string, string>, dir = tmp()): string {
  const t = fromTemplate(`repo\0${JSON.stringify(Object.entries(files))}`, (d) => {
    mkdirSync(d, { recursive: true });
    git(d, 'init', '-q');
    writeFiles(d, files);
    git(d, 'add', '-A');
    git(d, 'commit', '-q', '--allow-empty', '-m', 'initial');
  });
  cpSync(t, dir, { recursive: true });
  refresh(dir);
  return dir;
}

/**
 * A bare "remote" seeded with `files`, and a working clone of it (`origin` of the clone is this
 * `bare`); `head`: the one commit, the bare's main and the clone's HEAD (read by git once per template).
 */
export function makeRemote(files: Record<string, string>): { bare: string; work: string; head: string } {
  const key = `remote\0${JSON.stringify(Object.entries(files))}`;
  const t = fromTemplate(key, (root) => {
    mkdirSync(root, { recursive: true });
    const seed = makeRepo(files, join(root, 'seed'));
    git(root, 'clone', '-q', '--bare', seed, join(root, 'remote.git'));
    git(root, 'clone', '-q', join(root, 'remote.git'), join(root, 'work'));
    remoteHeads.set(key, head(join(root, 'work')));
  });
  const root = tmp();
  cpSync(t, root, { recursive: true });
  // the clones name their origin by absolute path: the copy's own
  for (const config of [join(root, 'remote.git/config'), join(root, 'work/.git/config')]) {
    writeFileSync(config, readFileSync(config, 'utf8').split(t).join(root));
  }
  refresh(join(root, 'work'));
  return { bare: join(root, 'remote.git'), work: join(root, 'work'), head: remoteHeads.get(key)! };
}
const remoteHeads = new Map<string, string>();

/**
 * Copies of a starting state that several cases share, made once per test file (per worker)
 * by `make` in a fresh directory: for a set-up that runs git or the code under test to get there
 * (a first publish, a resolved project), which then costs one recursive copy per case instead of
 * tens of git processes. A copy is the same state: the same files, objects, refs and commit ids.
 * Inside it, the template's absolute path is replaced by the copy's in every repository's
 * `config` and `objects/info/alternates` and in what `make` returned (JSON), and every working
 * tree's index has its stat data refreshed (`refresh`, as makeRepo does).
 * A copy must not depend on anything else that names the template's path.
 */
const states = new Map<string, Promise<{ template: string; value: string }>>();

export async function copyOf<T = undefined>(key: string, make: (root: string) => Promise<T> | T): Promise<{ root: string; value: T }> {
  let state = states.get(key);
  if (state === undefined || !existsSync((await state.catch(() => ({ template: '' }))).template)) {
    state = (async () => {
      const template = tmp('gitopsc-state-');
      const value = await make(template);
      return { template, value: JSON.stringify(value ?? null) };
    })();
    states.set(key, state);
  }
  const { template, value } = await state;
  const root = tmp();
  cpSync(template, root, { recursive: true, verbatimSymlinks: true });
  const worktrees: string[] = [];
  const visit = (dir: string) => {
    const names = readdirSync(dir);
    const bare = names.includes('HEAD') && names.includes('objects') && names.includes('refs');
    if (bare) {
      for (const f of ['config', 'objects/info/alternates']) {
        const p = join(dir, f);
        if (existsSync(p)) writeFileSync(p, readFileSync(p, 'utf8').split(template).join(root));
      }
      return;
    }
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name === '.git') worktrees.push(dir);
      visit(join(dir, e.name));
    }
  };
  visit(root);
  for (const w of worktrees) refresh(w);
  return { root, value: JSON.parse(value.split(JSON.stringify(template).slice(1, -1)).join(JSON.stringify(root).slice(1, -1))) as T };
}

export function head(dir: string, ref = 'HEAD'): string {
  return git(dir, 'rev-parse', ref).trim();
}

/** A hand-made compile result: `{checkout: {dev: '1.0.0'}}` -> one deployment per service/env. */
export function compileResult(services: Record<string, Record<string, string>>, extra: Partial<CompileResult> = {}): CompileResult {
  const files: RenderedFile[] = [];
  const artifacts: ResolvedArtifact[] = [];
  const envs = new Set<string>();
  for (const [service, byEnv] of Object.entries(services)) {
    for (const [environment, tag] of Object.entries(byEnv)) {
      envs.add(environment);
      const digest = 'sha256:' + fakeDigest(`${service}:${tag}`);
      const image = `registry.example.com/acme/${service}:${tag}@${digest}`;
      artifacts.push({ service, environment, registry: 'fixtures', package: `acme/${service}`, tag, digest, image });
      files.push({
        path: `${environment}/${service}/deployment.yaml`,
        service,
        environment,
        content: deployment(service, environment, image),
      });
      files.push({
        path: `${environment}/${service}/service.yaml`,
        service,
        environment,
        content: `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${service}\n  namespace: ${environment}\nspec:\n  ports:\n    - port: 80\n      targetPort: http\n  selector:\n    app: ${service}\n`,
      });
    }
  }
  return { diagnostics: [], outputDir: 'rendered', environments: [...envs].sort(), files, artifacts, ...extra };
}

export function deployment(service: string, environment: string, image: string, replicas = 2): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${service}`,
    `  namespace: ${environment}`,
    'spec:',
    `  replicas: ${replicas}`,
    '  selector:',
    '    matchLabels:',
    `      app: ${service}`,
    '  template:',
    '    metadata:',
    '      labels:',
    `        app: ${service}`,
    '    spec:',
    '      containers:',
    `        - name: ${service}`,
    `          image: ${image}`,
    '          ports:',
    '            - containerPort: 8080',
    '              name: http',
    '',
  ].join('\n');
}

export function fakeDigest(s: string): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 64; round++) {
    for (const c of s + round) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

/** Someone else's clone of `bare`: `move()` commits a README change there and pushes it. */
export function otherClone(bare: string): { move(readme: string, message: string): void } {
  const dir = join(tmp(), 'o');
  git(dirname(dir), 'clone', '-q', bare, 'o');
  return {
    move(readme, message) {
      writeFiles(dir, { 'README.md': readme });
      git(dir, 'commit', '-q', '-am', message);
      git(dir, 'push', '-q', 'origin', 'main');
    },
  };
}
