/**
 * The build stage: incremental compilation and output state for `render` and `render --check`.
 * It owns the project memo (src/build/memo.ts), the per-unit cache (unit-memo.ts, shared with diff and publish), the input
 * cache (store.ts), the output tree (dir-tree.ts), the write plan and ownership planning
 * (src/write/plan.ts, ownership.ts), drift, and applying (src/write/apply.ts).
 *
 * `render --check` writes its caches too (under `.gitopsc/`, never the output), so that a
 * repository whose hook only checks is fast from the second run.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { error, hasErrors, warning, type Diagnostic } from '../core/diagnostics.js';
import { contentHash } from '../core/hash.js';
import type { ReasonFor } from '../core/reasons.js';
import type { CompileState } from '../pipeline.js';
import { compile, fsSource } from '../pipeline.js';
import { escapingPath } from '../host/fs.js';
import { applyPlan, hasPendingJournal, JOURNAL_FILE, openOutput, type ApplyObserver, type OutputSession } from '../write/apply.js';
import { kustomizationFiles, type UnitOutput } from '../write/kustomization.js';
import { adoptionRule, envScope, planOwned, RECORD_FILE } from '../write/ownership.js';
import type { Content, DesiredFile } from '../write/plan.js';
import { dirTree } from './dir-tree.js';
import { entryFor, fstatOf, hashIn, memoHitResult, MEMO_MAX_BYTES, MEMO_MAX_FILES, MEMO_SKIP, memoKey, readMemo, sameContent, sameStat, scanTree, statWritten, takeOver, writeMemo, type MemoEntry, type ProjectMemo, type StatData } from './memo.js';
import { cacheDirProblem, openInputCache, openJsonCache, SERVICES_SLACK, toolVersion, unlessEqual } from './store.js';
import { openPack } from './pack.js';
import { UnitMemo } from './unit-memo.js';

/** What the build returns: diagnostics, machine data (the `--format json` fields) and human lines. */
export interface BuildResult {
  diagnostics: Diagnostic[];
  data?: Record<string, unknown>;
  lines?: string[];
  stdout?: string;
}

/** The project as config discovery found it (src/config/discover.ts). */
export interface BuildProject {
  root: string;
  configFile: string;
  configData?: unknown;
  configKey?: string;
}

export interface RenderRequest {
  project: BuildProject;
  /** absolute cwd and the --config flag of this run (recorded in the memo for the start-up fast path) */
  cwd: string;
  config?: string;
  /** --env: only these environments */
  env?: string[];
  /** --out, absolute */
  out?: string;
  check?: boolean;
  adopt?: boolean;
  allowPrune?: boolean;
  maxPrune?: number;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The 1-based number of the first line where two texts differ. */
export function firstDifference(a: string, b: string): number {
  const x = a.split('\n');
  const y = b.split('\n');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i + 1;
}

/** A planned file's text (bytes kept by the pack are UTF-8). */
function textOf(c: Content): string {
  return typeof c === 'string' ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('utf8');
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

export function isDiagnostic(v: unknown): v is Diagnostic {
  return typeof v === 'object' && v !== null && 'code' in v && 'severity' in v;
}

const OUT = '\u0000out/';

/**
 * `render` and `render --check`: compile, compare with the output tree, then write (or, with
 * check, report the drift as DRIFT diagnostics). Returns what the CLI prints.
 */
export async function renderProject(req: RenderRequest): Promise<BuildResult> {
  const { root } = req.project;
  const cacheProblem = cacheDirProblem(root);
  if (cacheProblem) return { diagnostics: [cacheProblem], data: { files: [] } };
  const outArg = req.out;
  const outside = (dir: string) => {
    const r = relative(root, dir);
    return r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r);
  };

  // One walk takes the stat data of every project file (an explicit output directory outside the
  // project too) and re-hashes only what changed since the memo. A JS config may read the
  // environment, and --env renders a part: no memo then. Neither is a project with symbolic
  // links (followed when reading, not when scanning), an unreadable file or an interrupted render.
  const given = takeOver(root);
  const old = given ? given.memo : readMemo(root);
  const racyFrom = old?.written;
  const scan = given?.scan ?? scanTree(root, old, racyFrom, { skip: MEMO_SKIP, maxFiles: MEMO_MAX_FILES, maxBytes: MEMO_MAX_BYTES });
  const tree = scan.entries && !scan.links && !scan.pending ? scan.entries : undefined;
  const outScan = outArg && outside(outArg) ? scanTree(outArg, old, racyFrom, { prefix: OUT }) : undefined;
  const outTree = outScan?.entries && !outScan.pending ? outScan.entries : undefined;
  const dirs = outScan ? new Map([...scan.dirs, ...outScan.dirs]) : scan.dirs;
  const memoable = tree !== undefined && (!outScan || outTree !== undefined) && !req.env && req.project.configData === undefined;
  // (never changed below: the scan's own map when there is no output directory outside)
  let state0: ReadonlyMap<string, MemoEntry> = tree ?? new Map<string, MemoEntry>();
  if (outTree) {
    const both = new Map(state0);
    for (const [p, e] of outTree) both.set(p, e);
    state0 = both;
  }
  const key = memoKey(req.project.configFile, outArg ?? '');
  // the output and template directories, as the compile below finds them (until then, as recorded)
  let unlisted = old?.unlisted;
  const record = (entries: Map<string, MemoEntry>, result: ProjectMemo['result'], touched?: ReadonlySet<string>) =>
    writeMemo(root, { key, cwd: req.cwd, config: req.config ?? '', root, configFile: req.project.configFile, result, entries, dirs, layout: old?.layout, ...(unlisted ? { unlisted } : {}) }, touched, outTree ? outArg : undefined);
  // (a scan handed over by the fast path is one whose content differs from the memo's)
  if (memoable && old && old.key === key && !given && sameContent(state0, old.entries)) {
    // the project is as the memo recorded it: record the new stat data (or this cwd) so that the next run reads nothing
    if (scan.rehashed + scan.relisted + (outScan ? outScan.rehashed + outScan.relisted : 0) > 0 || !sameStat(state0, old.entries) || old.cwd !== req.cwd || old.config !== (req.config ?? '')) record(new Map(state0), old.result);
    return memoHitResult(old, Boolean(req.check));
  }

  const inputs = openInputCache(root);
  const units = openJsonCache<unknown>(root, 'units', toolVersion());
  const memo = new UnitMemo(units);
  // the bytes of files rendered before, by content hash: a deleted output is written from it
  const pack = req.check ? undefined : openPack(root);
  // per-service records: only the services whose file changed are loaded (their hashes are the scan's)
  // (a record or key set again as it was is not a change; a few records of earlier states may stay)
  const services = unlessEqual(openJsonCache<unknown>(root, 'services', toolVersion(), { onlyUsed: true, slack: SERVICES_SLACK }));
  const hashOf = tree ? (rel: string) => hashIn(tree, rel) : undefined;
  let state = await compile(fsSource(root), { ...req.project, envs: req.env, lazy: true, cache: inputs, records: { store: services, hashOf } });
  const diagnostics = [...state.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics, data: { files: [] } };
  const outDir = outArg ?? join(root, state.outputDir);
  // how output paths are shown: project-relative when the output is inside the project
  const rel = relative(root, outDir).split(sep).join('/');
  const prefix = outside(outDir) ? `${outDir}/` : rel ? `${rel}/` : '';
  // (none without the project: its template directory could be anywhere)
  const templates = state.project?.templatesDir;
  unlisted = state.project && !outside(outDir) && rel ? { out: rel, ...(templates !== undefined ? { templates } : {}) } : undefined;
  const shown = (p: string) => prefix + p;
  const fsError = (message: string, reason: ReasonFor<'FILESYSTEM'>, file = shown('') || '.') => ({ diagnostics: [...diagnostics, error('FILESYSTEM', message, { file, reason })], data: { files: [] } });
  if (!outArg) {
    // output.dir of the config never leads out of the project through a symbolic link
    const esc = escapingPath(root, outDir);
    if (esc) return fsError(`refusing to write the output through ${esc}: a symbolic link out of the project`, 'symlink-outside');
  }

  // The output directory is locked for the rest of the run, and a render interrupted before is
  // completed (or rolled back) first, so that what is on disk is one whole render.
  let session: OutputSession | undefined;
  if (req.check) {
    if (hasPendingJournal(outDir)) {
      diagnostics.push(error('DRIFT', 'an interrupted render left this directory half-written: run `gitopsc render` to complete it', { file: shown(JOURNAL_FILE), line: 1, column: 1, reason: 'interrupted-render' }));
    }
  } else {
    const opened = await openOutput(outDir);
    if (!opened.session) return { diagnostics: [...diagnostics, ...opened.diagnostics], data: { files: [] } };
    session = opened.session;
  }
  // the memo of a render is written once the output is unlocked: removing the lock changes the
  // output directory's listing, which the memo records
  let recordAfter: (() => void) | undefined;
  try {
    return await renderInto(session);
  } finally {
    session?.release();
    recordAfter?.();
  }

  async function renderInto(session: OutputSession | undefined): Promise<BuildResult> {
    // Render only the units whose inputs changed or whose files on disk differ; the cache
    // remembers the content hash each unit produced for its exact inputs.
    const untouched = !session || (session.recovered === 'none' && !session.waited);
    const inTree = untouched && tree !== undefined && !outside(outDir) && !MEMO_SKIP.has(rel.split('/')[0]!);
    const known = untouched && outTree ? { entries: outTree, prefix: OUT } : inTree && !outScan ? { entries: tree, prefix: rel ? `${rel}/` : '' } : undefined;
    const output = dirTree(outDir, shown, known);
    const hashed = await output.hashes();
    if ('problem' in hashed) return { diagnostics: [...diagnostics, hashed.problem], data: { files: [] } };
    const existing = hashed.files;
    // units whose bytes were kept are written from the pack: neither rendered nor prepared.
    // Units taken from records render after their service is loaded again; a file that changed
    // since it was hashed means compiling without records.
    // (their bytes as kept, written as they are: never decoded)
    const stored = new Map<string, { files: DesiredFile<Buffer>[]; warnings: Diagnostic[] }>();
    const bytes = pack && { get: pack.bytes };
    const sort = () => {
      const present = state.units.map((u) => memo.present(u.key, existing));
      // (a unit renders at least one file: as many blobs, at least, are asked for)
      pack?.expect(present.reduce((n, p) => (p ? n : n + 1), 0));
      const toRender = state.units.filter((u, i) => {
        if (present[i]) return false;
        const s = bytes && memo.stored(u.key, bytes);
        if (s) stored.set(u.key, s);
        return !s;
      });
      return { present, toRender };
    };
    const first = sort();
    let present = first.present;
    if (state.prepare && !(await state.prepare(first.toRender))) {
      state = await compile(fsSource(root), { ...req.project, envs: req.env, lazy: true, cache: inputs });
      if (hasErrors(state.diagnostics)) return { diagnostics: state.diagnostics, data: { files: [] } };
      diagnostics.splice(0, diagnostics.length, ...state.diagnostics);
      stored.clear();
      present = sort().present;
    }
    const desired: DesiredFile<Content>[] = [];
    // what each unit wrote, for the generated kustomizations only
    const kustomize = Boolean(state.project?.kustomization);
    const outputs: UnitOutput[] = [];
    let rendered = 0;
    for (const [i, unit] of state.units.entries()) {
      const known = present[i];
      if (known) {
        // not rendered again: its files are on disk, its warnings are replayed
        diagnostics.push(...known.warnings);
        // (present: each file is in the output tree with this hash, as planWrites would look up again)
        for (const [path, hash] of known.files) desired.push({ path, hash, present: true });
        if (kustomize) outputs.push({ environment: unit.environment, service: unit.service, target: unit.target, paths: known.files.map(([p]) => p) });
        continue;
      }
      const kept = stored.get(unit.key);
      if (kept) {
        // not rendered again: the bytes it renders to were kept
        diagnostics.push(...kept.warnings);
        desired.push(...kept.files);
        if (kustomize) outputs.push({ environment: unit.environment, service: unit.service, target: unit.target, paths: kept.files.map((f) => f.path) });
        continue;
      }
      const r = memo.render(unit);
      rendered++;
      diagnostics.push(...r.diagnostics);
      if (hasErrors(r.diagnostics)) continue;
      const files = r.files.map((f, i) => ({ path: f.path, hash: r.hashes[i]!, content: f.content }));
      desired.push(...files);
      if (kustomize) outputs.push({ environment: unit.environment, service: unit.service, target: unit.target, paths: files.map((f) => f.path) });
    }
    diagnostics.push(...state.templateDiagnostics());
    if (hasErrors(diagnostics)) return { diagnostics, data: { files: [] } };

    const renderedCount = desired.length;
    const envs = req.env ?? state.environments;
    if (kustomize) {
      for (const k of kustomizationFiles(outputs, envs)) desired.push({ path: k.path, hash: contentHash(k.content), content: k.content });
    }
    // the pack keeps new blobs in the order units ask for them (units, then each unit's files),
    // not in path order: a later render whose output was deleted then takes them one after
    // another from the pack read whole (see openPack's `next`), instead of indexing it first
    const byUnit = pack ? desired.slice() : undefined;
    desired.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const recordText = readRecord(outDir, shown(RECORD_FILE));
    if (isDiagnostic(recordText)) return { diagnostics: [...diagnostics, recordText], data: { files: [] } };
    const lambdaDir = state.project?.lambdaDir;
    const owned = planOwned({
      desired,
      existing,
      recordText,
      renderedCount,
      // a whole render manages every file it owns (an environment removed from the config is pruned)
      inScope: req.env ? envScope(envs, lambdaDir) : () => true,
      adoptable: adoptionRule(state.environments, state.outputNames(), lambdaDir),
      adopt: req.adopt,
      // --check changes nothing: it lists what would be pruned as DRIFT instead
      allowPrune: req.allowPrune || req.check,
      maxPrune: req.maxPrune,
      show: shown,
    });
    diagnostics.push(...owned.diagnostics);
    const plan = owned.plan;
    const files = desired.map((f) => shown(f.path));
    if (hasErrors(owned.diagnostics)) return { diagnostics, data: { files, pruned: owned.prunes.map(shown) } };
    // the memo is the project as this run leaves it
    // a first render writes its tree whole beside the output directory and renames it in: the
    // stat data of what it wrote is taken there, before the rename (nothing else writes below
    // it), so that the memo neither looks at each file again nor lists the directories
    let fresh: ReturnType<typeof statWritten>;
    const remember = memoable && (outTree || inTree);
    // each file's stat data taken from its descriptor as it is written (by index of plan.writes)
    const stats: (StatData | undefined)[] = [];
    const observer: ApplyObserver = {
      file(fd, i) {
        if (!remember) return;
        try {
          stats[i] = fstatOf(fd);
        } catch {
          /* looked at by path below */
        }
      },
      written(tmp) {
        if (!remember) return;
        try {
          fresh = statWritten(tmp, plan.writes.map((w) => w.path), stats);
        } catch {
          fresh = undefined;
        }
      },
    };
    const memoAfter = (writes: readonly { path: string; content: Content }[], removes: readonly string[]) => {
      if (!memoable || !(outTree || inTree)) return;
      const at = (p: string) => (outTree ? `${OUT}${p}` : rel ? `${rel}/${p}` : p);
      const known = observer.fresh ? fresh : undefined;
      // desired is sorted by path: a written file's hash by binary search
      const hashOfPath = (path: string): string | undefined => {
        let lo = 0;
        let hi = desired.length - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const p = desired[mid]!.path;
          // (a path rendered twice is left to the content's own hash)
          if (p === path) return desired[mid - 1]?.path === path || desired[mid + 1]?.path === path ? undefined : desired[mid]!.hash;
          if (p < path) lo = mid + 1;
          else hi = mid - 1;
        }
        return undefined;
      };
      // the scan's own map (state0 when there is no output directory outside the project): nothing
      // reads it once the output is planned, so it becomes the memo's rather than being copied
      const entries = state0 === tree ? tree : new Map(state0);
      for (const w of writes) {
        const hash = hashOfPath(w.path) ?? contentHash(w.content);
        const st = known?.files.get(w.path);
        const e: MemoEntry | undefined = st ? [hash, st[0], st[1], st[2], st[3], st[4], st[5], st[6]] : entryFor(join(outDir, w.path), hash);
        if (e) entries.set(at(w.path), e);
        else return; // a written file that cannot be looked at: no memo this time
      }
      for (const r of removes) entries.delete(at(r));
      // the directories whose listings this run changed: the output directory (its staging and
      // journal), every ancestor of a file written or removed, and the root; the scan listed the rest
      // (a tree written whole: its directories as they were written, below the output directory)
      const touched = new Set<string>(['']);
      // (an output directory outside the project: its root's key, listed again below it)
      if (outTree) touched.add(OUT);
      if (known) {
        for (const [d, e] of known.dirs) dirs.set(at(d), e);
        // the output directory inside the project and its ancestors
        if (!outTree) for (let i = rel.length; i > 0; i = rel.lastIndexOf('/', i - 1)) touched.add(rel.slice(0, i));
      } else {
        if (!outTree && rel) touched.add(rel);
        // a file written changed the listing of the directory it is in; a directory this run
        // made (not recorded by the scan) changed its parent's too, and so on up (a directory
        // the scan recorded was there: its parent's listing is as it was). A removal may have
        // taken empty directories with it: every ancestor.
        for (const w of writes) {
          const a = at(w.path);
          for (let i = a.lastIndexOf('/'); i > 0; i = a.lastIndexOf('/', i - 1)) {
            const d = a.slice(0, i);
            touched.add(d);
            if (dirs.has(d)) break;
          }
        }
        for (const r of removes) {
          const a = at(r);
          for (let i = a.lastIndexOf('/'); i > 0; i = a.lastIndexOf('/', i - 1)) touched.add(a.slice(0, i));
        }
      }
      const result = { files, out: shown('') || '.', warnings: [...diagnostics] };
      // recorded once the output is unlocked (the lock's removal changes the output directory)
      recordAfter = () => record(entries, result, touched);
    };
    if (req.check) {
      // the ownership record is bookkeeping, not output: it follows the files, so it is not drift
      const drifted = plan.writes.filter((x) => x.path !== RECORD_FILE);
      for (const w of drifted) {
        if (w.kind === 'add') diagnostics.push(error('DRIFT', 'missing: a fresh render would write this file', { file: shown(w.path), line: 1, column: 1, reason: 'missing' }));
        else {
          const line = firstDifference((await output.read(w.path)) ?? '', textOf(w.content));
          diagnostics.push(error('DRIFT', `differs from a fresh render from line ${line} on`, { file: shown(w.path), line, column: 1, reason: 'differs' }));
        }
      }
      for (const r of plan.removes) diagnostics.push(error('DRIFT', 'would be pruned: no service renders this file', { file: shown(r), line: 1, column: 1, reason: 'would-prune' }));
      const drift = drifted.length + plan.removes.length;
      // --check writes nothing below the output; its caches go under .gitopsc/ like render's
      if (!hasErrors(diagnostics) && plan.writes.length === 0) memoAfter([], []);
      await inputs.save();
      await units.save();
      await services.save();
      return { diagnostics, data: { files, drift }, lines: drift ? [] : [`${plural(desired.length, 'file')} up to date`] };
    }
    diagnostics.push(...(await applyPlan(outDir, plan, session, observer)));
    if (!hasErrors(diagnostics)) {
      // caches are written only by a run that succeeded
      memoAfter(plan.writes, plan.removes);
      await inputs.save();
      await units.save();
      await services.save();
      await pack?.save(byUnit ?? desired);
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

/**
 * `render --stdout`: every rendered YAML document of the selected environments as one
 * multi-document stream, ordered by output path (environment, service, file), each introduced by
 * `---` and a `# Source: <env>/<service>/<file>` comment as `helm template` does. Lambda configs
 * (`*.json`) are not Kubernetes documents: they are left out, with one `info` diagnostic on stderr
 * naming how many. Nothing is written, not even caches.
 */
export async function streamProject(project: BuildProject, env: string[] | undefined): Promise<BuildResult> {
  const state: CompileState = await compile(fsSource(project.root), { ...project, envs: env });
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
