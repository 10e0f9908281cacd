/**
 * `diff` through the build stage: the base revision (git objects) and the working tree are
 * compiled without rendering, and only the units whose keys differ between the two are
 * rendered. A unit whose key is equal on both sides renders the same files on both: it cannot
 * change the diff, and is rendered only when the unit memo does not know its outcome (its
 * errors and warnings must still be reported, and its paths are needed for kustomizations).
 * Both sides read their validated inputs from the one input cache.
 */
import { cacheDirProblem, openInputCache, openJsonCache, SERVICES_SLACK, toolVersion, unlessEqual } from './store.js';
import { error, hasErrors, type Diagnostic } from '../core/diagnostics.js';
import type { CompileResult, ProjectSource, RenderedFile, ResolvedArtifact } from '../core/types.js';
import { compareResults, type DiffResult } from '../diff/compare.js';
import { CatFile } from '../git/cat-file.js';
import { cleanGitEnv } from '../git/env.js';
import { GitError } from '../git/exec.js';
import { defaultBase, openSourceAt, openSourceForBase } from '../git/repo.js';
import { gitSource } from '../git/source.js';
import { compile, fsSource, type CompileState, type UnitJob } from '../pipeline.js';
import type { ConfigRef } from '../project/load.js';
import { kustomizationRenderedFiles, type UnitOutput } from '../write/kustomization.js';
import { UnitMemo } from './unit-memo.js';
import { openPack } from './pack.js';
import { contentHash } from '../core/hash.js';
import { openBlobMemo, openSourceStat } from './source-stat.js';
import { rememberBlob } from '../git/tree.js';
import { artifactsKeyOf, unitsIdOf } from './artifacts-key.js';

export interface DiffSide {
  files: RenderedFile[];
  artifacts: ResolvedArtifact[];
}

export interface UnitDiff {
  base: DiffSide;
  head: DiffSide & { outputDir: string };
  /** diagnostics of the head units rendered or replayed (in unit order) */
  headDiagnostics: Diagnostic[];
  /** diagnostics of the base units rendered (in unit order) */
  baseDiagnostics: Diagnostic[];
}

const id = (u: Pick<UnitJob, 'service' | 'environment'>) => `${u.service}\u0000${u.environment}`;

/** The kustomization files of one side, from the paths of every unit (`envs`: the selected environments). */
function kustomizations(state: CompileState, outputs: UnitOutput[], envs: readonly string[] | undefined): RenderedFile[] {
  if (!state.project?.kustomization) return [];
  return kustomizationRenderedFiles(outputs, envs ?? state.environments);
}

type Outcome = NonNullable<ReturnType<UnitMemo['get']>>;

/** A unit's files from the bytes kept by content hash (rendered.pack), with its remembered warnings. */
export interface Kept {
  files: RenderedFile[];
  warnings: Diagnostic[];
}

/** The kept files of a unit the memo knows, or undefined (then it renders). */
export type KeptOf = (unit: UnitJob) => Kept | undefined;

/** What diff does with one unit: the one set of rules unitDiff and unitsToRender share. */
type Step =
  /** the same key on both sides, its outcome known: never in the diff, nothing rendered */
  | { kind: 'known'; head: UnitJob; base: UnitJob; outcome: Outcome }
  /** the same key on both sides, outcome unknown: rendered once for its diagnostics and paths */
  | { kind: 'same'; head: UnitJob; base: UnitJob }
  /** different inputs, byte-identical output (a field no template reads) */
  | { kind: 'equal'; head: UnitJob; base: UnitJob; outcome: Outcome; baseOutcome: Outcome }
  /** changed, added (no base) or removed (no head): rendered on each side it has, unless its bytes were kept */
  | { kind: 'changed'; head?: UnitJob; base?: UnitJob; headKept?: Kept; baseKept?: Kept };

/** The steps of the last pair of compiles (unitsToRender, then unitDiff, ask for the same). */
const lastSteps = new WeakMap<CompileState, { base: CompileState | undefined; memo: UnitMemo; kept?: KeptOf; steps: Step[] }>();

function steps(base: CompileState | undefined, head: CompileState, memo: UnitMemo, kept?: KeptOf): Step[] {
  const last = lastSteps.get(head);
  if (last && last.base === base && last.memo === memo && last.kept === kept) return last.steps;
  const out: Step[] = [];
  lastSteps.set(head, { base, memo, kept, steps: out });
  // the same units in the same order on both sides (the usual case): paired by position, without a map of either
  const aligned = base !== undefined && base.units.length === head.units.length && unitsIdOf(base.units) === unitsIdOf(head.units);
  const baseUnits = aligned ? undefined : new Map((base?.units ?? []).map((u) => [id(u), u]));
  const headIds = aligned ? undefined : new Set(head.units.map(id));
  for (let i = 0; i < head.units.length; i++) {
    const h = head.units[i]!;
    const b = aligned ? base.units[i] : baseUnits!.get(id(h));
    const known = memo.get(h.key);
    if (b && b.key === h.key) out.push(known ? { kind: 'known', head: h, base: b, outcome: known } : { kind: 'same', head: h, base: b });
    else {
      const knownBase = b ? memo.get(b.key) : undefined;
      if (b && known && knownBase && sameFiles(known.files, knownBase.files)) out.push({ kind: 'equal', head: h, base: b, outcome: known, baseOutcome: knownBase });
      else out.push({ kind: 'changed', head: h, base: b, headKept: known && kept?.(h), baseKept: knownBase && kept?.(b!) });
    }
  }
  if (headIds) for (const b of base?.units ?? []) if (!headIds.has(id(b))) out.push({ kind: 'changed', base: b, baseKept: memo.get(b.key) && kept?.(b) });
  return out;
}

/**
 * Pure over two lazy compiles (`compile(..., { lazy: true })`): the files whose comparison
 * gives the same diff as rendering every unit on both sides. `base` undefined: no base.
 */
export function unitDiff(base: CompileState | undefined, head: CompileState, memo: UnitMemo, envs?: readonly string[], kept?: KeptOf): UnitDiff {
  // (the artifacts are listed when read: a lazy compile lists them from the lock on demand)
  const out: UnitDiff = {
    base: {
      files: [],
      get artifacts() {
        return base?.artifacts ?? [];
      },
    },
    head: {
      files: [],
      get artifacts() {
        return head.artifacts;
      },
      outputDir: head.outputDir,
    },
    headDiagnostics: [],
    baseDiagnostics: [],
  };
  // the unit paths the kustomizations are made from (none without kustomizations)
  const headOutputs: UnitOutput[] | undefined = head.project?.kustomization ? [] : undefined;
  const baseOutputs: UnitOutput[] | undefined = base?.project?.kustomization ? [] : undefined;
  const output = (to: UnitOutput[] | undefined, u: UnitJob, paths: () => readonly string[]) => to?.push({ service: u.service, environment: u.environment, target: u.target, paths: paths() });
  // one side of a changed unit: its kept bytes, else rendered
  const changed = (u: UnitJob | undefined, k: Kept | undefined, files: RenderedFile[], diagnostics: Diagnostic[], to: UnitOutput[] | undefined) => {
    if (!u) return;
    const r = k ? { files: k.files, diagnostics: k.warnings } : memo.render(u);
    diagnostics.push(...r.diagnostics);
    files.push(...r.files);
    output(to, u, () => r.files.map((f) => f.path));
  };
  for (const step of steps(base, head, memo, kept)) {
    switch (step.kind) {
      case 'known': {
        out.headDiagnostics.push(...step.outcome.warnings);
        const paths = () => step.outcome.files.map(([p]) => p);
        output(headOutputs, step.head, paths);
        output(baseOutputs, step.base, paths);
        break;
      }
      case 'same': {
        const r = memo.render(step.head);
        out.headDiagnostics.push(...r.diagnostics);
        out.baseDiagnostics.push(...r.diagnostics);
        const paths = () => r.files.map((f) => f.path);
        output(headOutputs, step.head, paths);
        output(baseOutputs, step.base, paths);
        break;
      }
      case 'equal':
        out.headDiagnostics.push(...step.outcome.warnings);
        out.baseDiagnostics.push(...step.baseOutcome.warnings);
        output(headOutputs, step.head, () => step.outcome.files.map(([p]) => p));
        output(baseOutputs, step.base, () => step.baseOutcome.files.map(([p]) => p));
        break;
      case 'changed':
        changed(step.head, step.headKept, out.head.files, out.headDiagnostics, headOutputs);
        changed(step.base, step.baseKept, out.base.files, out.baseDiagnostics, baseOutputs);
        break;
    }
  }
  // the kustomizations list every unit's files: they are made from the paths of all of them
  if (headOutputs) out.head.files.push(...kustomizations(head, sortOutputs(headOutputs, head.units), envs));
  if (base && baseOutputs) out.base.files.push(...kustomizations(base, sortOutputs(baseOutputs, base.units), envs));
  return out;
}

/** The units unitDiff renders, per side (its rules, without rendering). */
export function unitsToRender(base: CompileState | undefined, head: CompileState, memo: UnitMemo, kept?: KeptOf): { base: UnitJob[]; head: UnitJob[] } {
  const out = { base: [] as UnitJob[], head: [] as UnitJob[] };
  for (const step of steps(base, head, memo, kept)) {
    if (step.kind === 'same') out.head.push(step.head);
    else if (step.kind === 'changed') {
      if (step.head && !step.headKept) out.head.push(step.head);
      if (step.base && !step.baseKept) out.base.push(step.base);
    }
  }
  return out;
}

/** Whether a side's units can render (those taken from records are loaded again). */
async function prepared(state: CompileState, units: readonly UnitJob[]): Promise<boolean> {
  return !state.prepare || units.length === 0 || state.prepare(units);
}

/** In the compile's unit order (the order a full render sees them in). */
function sortOutputs(outputs: UnitOutput[], units: readonly UnitJob[]): UnitOutput[] {
  const order = new Map(units.map((u, i) => [id(u), i]));
  return outputs.sort((x, y) => (order.get(id(x)) ?? 0) - (order.get(id(y)) ?? 0));
}

function sameFiles(a: readonly [string, string][], b: readonly [string, string][]): boolean {
  return a.length === b.length && a.every(([p, h], i) => b[i]![0] === p && b[i]![1] === h);
}

export interface DiffProjectOptions extends ConfigRef {
  root: string;
  /** the commit-ish to compare with (default: the merge base with the default branch) */
  base?: string;
  envs?: string[];
  /** the inherited environment (filtered by cleanGitEnv before git runs) */
  env: Readonly<Record<string, string | undefined>>;
}

export interface DiffProjectResult {
  diagnostics: Diagnostic[];
  diff?: DiffResult;
  /** units rendered (for measurements and tests) */
  rendered?: number;
}

/**
 * A lazy compile, or, when the templates do not compile, a full one: its diagnostics are then
 * exactly those a full compile reports (it stops before the lock).
 */
async function compileLazy(source: Parameters<typeof compile>[0], opts: Parameters<typeof compile>[1]): Promise<CompileState> {
  const state = await compile(source, { ...opts, lazy: true });
  if (hasErrors(state.diagnostics)) return state;
  state.outputNames(); // compiles the templates: their errors are reported even when no unit renders
  if (hasErrors(state.templateDiagnostics())) return compile(source, { ...opts, lazy: false });
  // (set on the state itself: a copy would list its artifacts, which diff may not need)
  state.diagnostics = [...state.diagnostics, ...state.templateDiagnostics()];
  return state;
}

export async function diffProject(opts: DiffProjectOptions): Promise<DiffProjectResult> {
  const env = cleanGitEnv(opts.env);
  // with --base, the repository and the base commit are one git process
  const src = opts.base !== undefined ? await openSourceAt(opts.root, env, opts.base) : await openSourceForBase(opts.root, env);
  if (!src) return { diagnostics: [error('GIT', `${opts.root} is not inside a git repository: diff needs a base revision`, { reason: 'not-a-repository' })] };

  // the base's ref, listing and blobs are git's work, done while the working tree compiles
  const catFile = new CatFile(src.git.cwd, env);
  // caches are used only when .gitopsc/ is the project's own (never through a link out of it)
  const cached = cacheDirProblem(opts.root) === undefined;
  // the working tree's files by stat data (no read when unchanged), and the bytes read: a base
  // file with the same blob id is not read from git again
  const fs = fsSource(opts.root);
  const blobs = cached ? openBlobMemo(opts.root) : undefined;
  const stat = blobs ? openSourceStat(opts.root, fs, blobs) : undefined;
  const seen = new Map<string, Uint8Array>();
  const headSource: ProjectSource = stat?.source ?? {
    ...fs,
    read: async (rel) => {
      const b = await fs.read(rel);
      if (b) seen.set(rel, b);
      return b;
    },
  };
  const known = (rel: string) => stat?.readBytes(rel) ?? seen.get(rel);
  const baseP = (async (): Promise<{ ref?: { ref: string; sha: string }; source?: ReturnType<typeof gitSource>; problem?: Diagnostic }> => {
    let ref: { ref: string; sha: string } | undefined;
    try {
      if (opts.base !== undefined) {
        const sha = (src as { commit?: string }).commit;
        if (!sha) return { problem: error('GIT', `--base ${opts.base} is not a commit in ${opts.root}`, { reason: 'bad-base' }) };
        ref = { ref: opts.base, sha };
      } else {
        ref = await defaultBase(src.git, src.originHead, catFile);
      }
    } catch (e) {
      return { problem: error('GIT', e instanceof GitError ? e.message : String(e), { reason: 'command-failed' }) };
    }
    if (!ref) return {};
    const source = gitSource(src.git.cwd, ref.sha, src.prefix, { env, catFile, resolved: true, known });
    source.catch(() => undefined); // reported when awaited
    return { ref, source };
  })();

  const inputs = cached ? unlessEqual(openInputCache(opts.root)) : undefined;
  const units = cached ? unlessEqual(openJsonCache<unknown>(opts.root, 'units', toolVersion())) : undefined;
  const memo = new UnitMemo(units);
  // the bytes of rendered files by content hash: a changed unit the memo knows is not rendered
  // when they are all kept (neither is its service loaded again); what diff renders is kept too
  const pack = cached ? openPack(opts.root) : undefined;
  const kept: KeptOf | undefined = pack ? (u) => memo.storedUnit(u, pack) : undefined;
  // per-service records (src/pipeline.ts): each side loads only the services whose files differ from a record's
  const services = cached ? unlessEqual(openJsonCache<unknown>(opts.root, 'services', toolVersion(), { onlyUsed: true, slack: SERVICES_SLACK })) : undefined;
  const records = services ? { store: services, hashOf: stat?.hashOf } : undefined;

  const cref: ConfigRef & { envs?: string[] } = { configFile: opts.configFile, configData: opts.configData, configKey: opts.configKey, envs: opts.envs };
  let head = await compileLazy(headSource, { ...cref, cache: inputs, records });
  const problems: Diagnostic[] = [];
  const b = await baseP;
  if (b.problem) {
    catFile.close();
    return { diagnostics: [b.problem] };
  }
  const baseRef = b.ref;

  let base: CompileState | undefined;
  let baseLabel = 'empty';
  if (baseRef && b.source) {
    baseLabel = `${baseRef.ref === baseRef.sha ? baseRef.sha.slice(0, 7) : baseRef.ref} (${baseRef.sha.slice(0, 7)})`;
    try {
      const listed = await b.source;
      // a blob read from the base is known by its id from now on (the next diff takes its record unread)
      const source: typeof listed = blobs
        ? {
            ...listed,
            read: async (rel) => {
              const bytes = await listed.read(rel);
              const oid = bytes && listed.oid(rel);
              if (oid && stat?.blobHash(oid) === undefined) rememberBlob(blobs, oid, contentHash(bytes));
              return bytes;
            },
          }
        : listed;
      // A project that did not exist at the base compares against nothing.
      if ((await source.read(opts.configFile)) !== undefined || opts.configData !== undefined) {
        // a JS/TS config cannot be evaluated from git objects: its evaluated data is reused
        // the base's files by blob id: a blob whose bytes the working tree held is not read
        const baseRecords = services ? { store: services, hashOf: (rel: string) => { const oid = source.oid(rel); return oid ? stat?.blobHash(oid) : undefined; } } : undefined;
        base = await compileLazy(source, { ...cref, cache: inputs, records: baseRecords });
        // the units taken from records that unitDiff renders are loaded again first; a file
        // that changed since it was hashed: both sides without records
        const needed = unitsToRender(base, head, memo, kept);
        if (!(await prepared(head, needed.head)) || !(await prepared(base, needed.base))) {
          head = await compileLazy(headSource, { ...cref, cache: inputs });
          base = await compileLazy(source, { ...cref, cache: inputs });
        }
      }
    } catch (e) {
      problems.push(error('GIT', `cannot read the base revision ${baseRef.sha.slice(0, 7)}: ${e instanceof Error ? e.message : String(e)}`, { reason: 'command-failed' }));
    }
  }
  if (!base && !(await prepared(head, unitsToRender(undefined, head, memo, kept).head))) head = await compileLazy(headSource, { ...cref, cache: inputs });
  catFile.close();
  const u = unitDiff(base, head, memo, opts.envs, kept);
  // in the order a full compile of each side reports them: the head's, then the base's errors
  const diagnostics: Diagnostic[] = [...head.diagnostics, ...u.headDiagnostics];
  for (const d of [...(base?.diagnostics ?? []), ...u.baseDiagnostics]) {
    if (d.severity === 'error') diagnostics.push({ ...d, message: `at base ${baseRef!.sha.slice(0, 7)}: ${d.message}` });
  }
  diagnostics.push(...problems);
  if (hasErrors(diagnostics)) return { diagnostics, rendered: memo.renders };
  await inputs?.save();
  await units?.save();
  await services?.save();
  await stat?.save();
  await blobs?.save();
  // the head's files by hash (every unit's, as far as the memo knows them), with the bytes rendered now: what the pack keeps
  if (pack) {
    const files: { hash: string; content?: string }[] = [];
    for (const unit of head.units) for (const [, hash] of memo.get(unit.key)?.files ?? []) files.push({ hash });
    for (const f of u.head.files) files.push({ hash: contentHash(f.content), content: f.content });
    await pack.save(files);
  }
  // two compiles whose artifacts follow from the same inputs have the same artifacts: no change
  // to list, and neither side lists them (each would read its whole lock)
  const keyOf = base ? artifactsKeyOf(base) : undefined;
  const same = keyOf !== undefined && keyOf === artifactsKeyOf(head);
  const baseSide: Pick<CompileResult, 'files' | 'artifacts'> = base ? { files: u.base.files, artifacts: same ? [] : u.base.artifacts } : { files: [], artifacts: [] };
  const headSide = { files: u.head.files, artifacts: same ? [] : u.head.artifacts, outputDir: u.head.outputDir };
  return { diagnostics, diff: compareResults(baseSide, headSide, { base: baseLabel, head: 'working tree' }), rendered: memo.renders };
}
