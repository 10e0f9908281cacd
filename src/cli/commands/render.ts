import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { cacheDirProblem, openInputCache, openJsonCache, toolVersion } from '../../cache/store.js';
import { error, hasErrors, warning, type Diagnostic } from '../../core/diagnostics.js';
import type { ReasonFor } from '../../core/reasons.js';
import { compile, fsSource } from '../../pipeline.js';
import { escapingPath } from '../../host/fs.js';
import { applyPlan, hasPendingJournal, hashTree, JOURNAL_FILE, openOutput, type OutputSession } from '../../write/apply.js';
import { contentHash, contentHashOf } from '../../core/hash.js';
import type { DesiredFile } from '../../write/plan.js';
import { kustomizationFiles, type UnitOutput } from '../../write/kustomization.js';
import { adoptionRule, envScope, planOwned, RECORD_FILE } from '../../write/ownership.js';
import type { CommandContext, CommandResult } from '../types.js';
import { findProject, isResult, plural } from './common.js';

export interface RenderOptions {
  env?: string[];
  out?: string;
  check?: boolean;
  /** overwrite files gitopsc did not write, and own them from now on */
  adopt?: boolean;
  allowPrune?: boolean;
  maxPrune?: string | number;
  /** print the rendered YAML documents as one stream on stdout; write nothing */
  stdout?: boolean;
}

/** What a unit rendered last time: [path, content hash] per file, keyed by the unit's input key. */
type RenderCacheEntry = [string, string][];

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The 1-based number of the first line where two texts differ. */
export function firstDifference(a: string, b: string): number {
  const x = a.split('\n');
  const y = b.split('\n');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i + 1;
}

function isEntry(v: unknown): v is RenderCacheEntry {
  return Array.isArray(v) && v.every((x) => Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string');
}

const SKIP = new Set(['.git', 'node_modules', '.gitopsc']);
const MEMO_MAX_FILES = 100_000;
const MEMO_MAX_BYTES = 256 * 1024 * 1024;

/**
 * The state of the last successful render: a hash of every project file (inputs and outputs)
 * and what that render reported. When the project is byte for byte in that state again, the
 * output is known to be up to date without compiling anything.
 */
interface ProjectMemo {
  key: string;
  files: string[];
  out: string;
  warnings: Diagnostic[];
}

function isMemo(v: unknown, key: string): v is ProjectMemo {
  const m = v as ProjectMemo | undefined;
  return Boolean(m && m.key === key && Array.isArray(m.files) && Array.isArray(m.warnings) && typeof m.out === 'string');
}

function memoKey(parts: readonly string[], tree: ReadonlyMap<string, string>): string {
  return contentHashOf([...parts.map((p) => `${p}\u0000`), ...[...tree.keys()].sort().map((k) => `${k}\u0000${tree.get(k)!}\n`)]);
}

/**
 * `render --stdout`: every rendered YAML document of the selected environments as one
 * multi-document stream, ordered by output path (environment, service, file), each introduced by
 * `---` and a `# Source: <env>/<service>/<file>` comment as `helm template` does. Lambda configs
 * (`*.json`) are not Kubernetes documents: they are left out, with one `info` diagnostic on stderr
 * naming how many. Nothing is written, not even caches.
 */
export async function renderStream(ctx: CommandContext, opts: RenderOptions): Promise<CommandResult> {
  const clash = opts.check ? '--check' : opts.out !== undefined ? '--out' : ctx.global.format !== 'text' ? `--format ${ctx.global.format}` : undefined;
  if (clash) return { diagnostics: [error('USAGE', `render --stdout prints YAML on stdout: it cannot be combined with ${clash}`, { reason: 'conflicting-options' })] };
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const state = await compile(fsSource(found.root), { ...found, envs: opts.env });
  const diagnostics = [...state.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics };
  const files = [...state.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const yaml = files.filter((f) => /\.ya?ml$/.test(f.path));
  const left = files.length - yaml.length;
  if (left) {
    diagnostics.push({
      code: 'NOT_YAML',
      reason: 'left-out',
      severity: 'info',
      message: `render --stdout left out ${plural(left, 'non-YAML file')} (${files.find((f) => !/\.ya?ml$/.test(f.path))!.path}${left > 1 ? ', ...' : ''}): Lambda configs are not Kubernetes documents; use gitopsc render`,
    });
  }
  // Several environments usually render the same object (kind, namespace, name) once each:
  // applied as one stream, the last would silently win. Say so, naming one.
  const seen = new Map<string, string>();
  const twice: string[] = [];
  const { parseAllDocuments } = await import('yaml');
  for (const f of yaml) {
    for (const doc of parseAllDocuments(f.content)) {
      const o = (doc as { toJS(): unknown }).toJS() as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
      if (!o || typeof o !== 'object' || typeof o.kind !== 'string') continue;
      const id = `${o.kind} ${typeof o.metadata?.namespace === 'string' ? `${o.metadata.namespace}/` : ''}${String(o.metadata?.name)}`;
      const env = f.path.split('/')[0]!;
      const first = seen.get(id);
      if (first === undefined) seen.set(id, env);
      else if (first !== env) twice.push(`${id} (${first}, ${env})`);
    }
  }
  if (twice.length) {
    diagnostics.push(
      warning('USAGE', `render --stdout: ${plural(twice.length, 'object')} appear in more than one environment, e.g. ${twice[0]}; choose one with --env before piping to kubectl apply`, { reason: 'duplicate-objects' }),
    );
  }
  const stream = yaml.map((f) => `---\n# Source: ${f.path}\n${f.content.endsWith('\n') ? f.content : f.content + '\n'}`).join('');
  return { diagnostics, stdout: stream, data: { files: yaml.map((f) => f.path) } };
}

/** `--max-prune N`: a non-negative integer, or undefined for the default. */
export function parseMaxPrune(v: string | number | undefined): number | undefined | Diagnostic {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || String(v).trim() === '') return error('USAGE', `--max-prune must be a whole number of files, got ${String(v)}`, { reason: 'bad-option' });
  return n;
}

/** The ownership record's text under `dir`, undefined when absent; unreadable is an error. */
export function readRecord(dir: string, show: string): string | undefined | Diagnostic {
  try {
    return readFileSync(join(dir, RECORD_FILE), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return error('FILESYSTEM', `cannot read the ownership record: ${(e as Error).message}`, { file: show, reason: 'unreadable' });
  }
}

function isDiag(v: unknown): v is Diagnostic {
  return typeof v === 'object' && v !== null && 'code' in v && 'severity' in v;
}

export async function run(ctx: CommandContext, opts: RenderOptions): Promise<CommandResult> {
  if (opts.stdout) return renderStream(ctx, opts);
  const maxPrune = parseMaxPrune(opts.maxPrune);
  if (isDiag(maxPrune)) return { diagnostics: [maxPrune] };
  const pruneLimit: number | undefined = maxPrune;
  const found = await findProject(ctx);
  if (isResult(found)) return found;
  const cacheProblem = cacheDirProblem(found.root);
  if (cacheProblem) return { diagnostics: [cacheProblem], data: { files: [] } };
  const cache = openJsonCache<unknown>(found.root, 'render', toolVersion());
  const outArg = opts.out ? resolve(ctx.global.cwd, opts.out) : undefined;
  const outside = (dir: string) => {
    const r = relative(found.root, dir);
    return r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r);
  };

  // One walk hashes every project file; an explicit output directory outside the project is
  // hashed too. A JS config may read the environment, and --env renders a part: no memo then.
  // Neither is a project with symbolic links (followed when reading, not when hashing), an
  // unreadable file or an interrupted render.
  const treeHash = hashTree(found.root, { skip: SKIP, maxFiles: MEMO_MAX_FILES, maxBytes: MEMO_MAX_BYTES });
  const tree = treeHash.files && !treeHash.links && !treeHash.pending ? treeHash.files : undefined;
  const outHash = outArg && outside(outArg) ? hashTree(outArg) : undefined;
  const outTree = outHash?.files && !outHash.pending ? outHash.files : undefined;
  const memoable = tree !== undefined && (!outHash || outTree !== undefined) && !opts.env && found.configData === undefined;
  const state0 = new Map(tree ?? []);
  for (const [p, h] of outTree ?? []) state0.set(`\u0000out/${p}`, h);
  const memoParts = [found.configFile, outArg ?? ''];
  if (memoable) {
    const memo = cache.get('project');
    if (isMemo(memo, memoKey(memoParts, state0))) {
      const n = plural(memo.files.length, 'file');
      if (opts.check) return { diagnostics: memo.warnings, data: { files: memo.files, drift: 0 }, lines: [`${n} up to date`] };
      return { diagnostics: memo.warnings, data: { files: memo.files, written: [], pruned: [], rendered: 0 }, lines: [`rendered ${n} to ${memo.out} (no changes)`] };
    }
  }

  const inputs = openInputCache(found.root);
  const state = await compile(fsSource(found.root), { ...found, envs: opts.env, lazy: true, cache: inputs });
  const diagnostics = [...state.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics, data: { files: [] } };
  const outDir = outArg ?? join(found.root, state.outputDir);
  // how output paths are shown: project-relative when the output is inside the project
  const rel = relative(found.root, outDir).split(sep).join('/');
  const prefix = outside(outDir) ? `${outDir}/` : rel ? `${rel}/` : '';
  const shown = (p: string) => prefix + p;
  const fsError = (message: string, reason: ReasonFor<'FILESYSTEM'>, file = shown('') || '.') => ({ diagnostics: [...diagnostics, error('FILESYSTEM', message, { file, reason })], data: { files: [] } });
  if (!outArg) {
    // output.dir of the config never leads out of the project through a symbolic link
    const esc = escapingPath(found.root, outDir);
    if (esc) return fsError(`refusing to write the output through ${esc}: a symbolic link out of the project`, 'symlink-outside');
  }

  // The output directory is locked for the rest of the run, and a render interrupted before is
  // completed (or rolled back) first, so that what is on disk is one whole render.
  let session: OutputSession | undefined;
  if (opts.check) {
    if (hasPendingJournal(outDir)) {
      diagnostics.push(error('DRIFT', 'an interrupted render left this directory half-written: run `gitopsc render` to complete it', { file: shown(JOURNAL_FILE), line: 1, column: 1, reason: 'interrupted-render' }));
    }
  } else {
    const opened = await openOutput(outDir);
    if (!opened.session) return { diagnostics: [...diagnostics, ...opened.diagnostics], data: { files: [] } };
    session = opened.session;
  }
  try {
    return await renderInto(session);
  } finally {
    session?.release();
  }

  async function renderInto(session: OutputSession | undefined): Promise<CommandResult> {
    // Render only the units whose inputs changed or whose files on disk differ; the cache
    // remembers the content hash each unit produced for its exact inputs.
    const untouched = !session || (session.recovered === 'none' && !session.waited);
    const inTree = untouched && tree !== undefined && !outside(outDir) && !SKIP.has(rel.split('/')[0]!);
    let existing: Map<string, string>;
    if (untouched && outTree) existing = outTree;
    else if (inTree && !outHash) existing = subtree(tree, rel);
    else {
      const h = hashTree(outDir);
      if (!h.files) return fsError(`cannot read ${shown(h.unreadable?.path ?? '')}: ${h.unreadable?.reason ?? 'unknown error'}`, 'unreadable', shown(h.unreadable?.path ?? ''));
      existing = h.files;
    }
    const desired: DesiredFile[] = [];
    const outputs: UnitOutput[] = [];
    let rendered = 0;
    for (const unit of state.units) {
      const cached = cache.get(unit.key);
      if (isEntry(cached) && cached.every(([p, h]) => existing.get(p) === h)) {
        for (const [path, hash] of cached) desired.push({ path, hash });
        outputs.push({ environment: unit.environment, service: unit.service, target: unit.target, paths: cached.map(([p]) => p) });
        continue;
      }
      const r = unit.render();
      rendered++;
      diagnostics.push(...r.diagnostics);
      if (hasErrors(r.diagnostics)) continue;
      const files = r.files.map((f) => ({ path: f.path, hash: contentHash(f.content), content: f.content }));
      cache.set(unit.key, files.map((f) => [f.path, f.hash]));
      desired.push(...files);
      outputs.push({ environment: unit.environment, service: unit.service, target: unit.target, paths: files.map((f) => f.path) });
    }
    diagnostics.push(...state.templateDiagnostics());
    if (hasErrors(diagnostics)) return { diagnostics, data: { files: [] } };

    const renderedCount = desired.length;
    const envs = opts.env ?? state.environments;
    if (state.project?.kustomization) {
      for (const k of kustomizationFiles(outputs, envs)) desired.push({ path: k.path, hash: contentHash(k.content), content: k.content });
    }
    desired.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const recordText = readRecord(outDir, shown(RECORD_FILE));
    if (isDiag(recordText)) return { diagnostics: [...diagnostics, recordText], data: { files: [] } };
    const lambdaDir = state.project?.lambdaDir;
    const owned = planOwned({
      desired,
      existing,
      recordText,
      renderedCount,
      // a whole render manages every file it owns (an environment removed from the config is pruned)
      inScope: opts.env ? envScope(envs, lambdaDir) : () => true,
      adoptable: adoptionRule(state.environments, state.outputNames(), lambdaDir),
      adopt: opts.adopt,
      // --check changes nothing: it lists what would be pruned as DRIFT instead
      allowPrune: opts.allowPrune || opts.check,
      maxPrune: pruneLimit,
      show: shown,
    });
    diagnostics.push(...owned.diagnostics);
    const plan = owned.plan;
    const files = desired.map((f) => shown(f.path));
    if (hasErrors(owned.diagnostics)) return { diagnostics, data: { files, pruned: owned.prunes.map(shown) } };
    if (opts.check) {
      // the ownership record is bookkeeping, not output: it follows the files, so it is not drift
      for (const w of plan.writes.filter((x) => x.path !== RECORD_FILE)) {
        if (w.kind === 'add') diagnostics.push(error('DRIFT', 'missing: a fresh render would write this file', { file: shown(w.path), line: 1, column: 1, reason: 'missing' }));
        else {
          const line = firstDifference(readText(join(outDir, w.path)), w.content);
          diagnostics.push(error('DRIFT', `differs from a fresh render from line ${line} on`, { file: shown(w.path), line, column: 1, reason: 'differs' }));
        }
      }
      for (const r of plan.removes) diagnostics.push(error('DRIFT', 'would be pruned: no service renders this file', { file: shown(r), line: 1, column: 1, reason: 'would-prune' }));
      const drift = plan.writes.filter((x) => x.path !== RECORD_FILE).length + plan.removes.length;
      // --check writes nothing, not even its caches
      return { diagnostics, data: { files, drift }, lines: drift ? [] : [`${plural(desired.length, 'file')} up to date`] };
    }
    diagnostics.push(...(await applyPlan(outDir, plan, session)));
    if (!hasErrors(diagnostics)) {
      // caches are written only by a run that succeeded; the memo is the project as this run leaves it
      if (memoable && (outTree || inTree)) {
        const key = (p: string) => (outTree ? `\u0000out/${p}` : `${rel}/${p}`);
        const hashes = new Map(desired.map((d) => [d.path, d.hash]));
        for (const w of plan.writes) state0.set(key(w.path), hashes.get(w.path) ?? contentHash(w.content));
        for (const r of plan.removes) state0.delete(key(r));
        const memo: ProjectMemo = { key: memoKey(memoParts, state0), files, out: shown('') || '.', warnings: diagnostics };
        cache.set('project', memo);
      }
      await inputs.save();
      await cache.save();
    }
    // the ownership record is bookkeeping: not counted among the files written
    const written = plan.writes.filter((w) => w.path !== RECORD_FILE).map((w) => shown(w.path));
    const changed = written.length + plan.removes.length;
    return {
      diagnostics,
      data: { files, written, pruned: plan.removes.map(shown), rendered, ...(owned.adopted.length ? { adopted: owned.adopted.map(shown) } : {}) },
      lines: [`rendered ${plural(desired.length, 'file')} to ${shown('') || '.'} (${changed ? `${written.length} written, ${plan.removes.length} pruned` : 'no changes'})`],
    };
  }
}

/** The entries under `dir/` of a tree, relative to it. */
function subtree(tree: ReadonlyMap<string, string>, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const p = dir ? `${dir}/` : '';
  for (const [k, v] of tree) if (k.startsWith(p)) out.set(k.slice(p.length), v);
  return out;
}
