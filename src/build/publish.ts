/**
 * `publish` through the build stage: compile without rendering, then plan the files against
 * the deployment repository's git tree (src/git/tree.ts, an OutputTree) so that only the units
 * whose files are not already there with the same content hash are rendered. The unit memo
 * (./unit-memo.ts) remembers the hashes each key rendered to. Nothing in the deployment
 * repository is touched unless every unit can render: a unit the memo does not know is
 * rendered (and its errors reported) before git runs. A unit the memo knows whose files the tree
 * lacks takes their bytes from `rendered.pack` (./pack.ts, each blob checked against its hash)
 * when it holds them all: its service is neither loaded again nor rendered.
 */
import { cacheDirProblem, openInputCache, openJsonCache, SERVICES_SLACK, toolVersion, unlessEqual, type JsonCache } from './store.js';
import { error, hasErrors, warning, type Diagnostic } from '../core/diagnostics.js';
import { cleanGitEnv } from '../git/env.js';
import { sourceProvenance, type Provenance } from '../git/repo.js';
import { contentHash } from '../core/hash.js';
import type { RenderedFile } from '../core/types.js';
import { beginDeployment, publish, type DeploymentOptions, type DeploymentTree, type PendingDeployment, type PublishedFile, type PublishInput, type PublishOptions, type PublishOutcome } from '../git/publish.js';
import { compile, fsSource, type CompileState, type UnitJob } from '../pipeline.js';
import type { ConfigRef } from '../project/load.js';
import { kustomizationFiles, type UnitOutput } from '../write/kustomization.js';
import { adoptionRule } from '../write/ownership.js';
import { UnitMemo } from './unit-memo.js';
import { openBlobMemo, openSourceStat, openTreeBlobMemo } from './source-stat.js';
import { openPack } from './pack.js';
import { artifactsKeyOf, unitsIdOf } from './artifacts-key.js';

export interface PublishPlanInput {
  state: Pick<CompileState, 'units' | 'project' | 'environments'>;
  /** the environments published (default: all) */
  envs?: readonly string[];
  memo: Pick<UnitMemo, 'get' | 'render'>;
  /** units rendered before git ran (their files), by unit key */
  prerendered?: ReadonlyMap<string, RenderedFile[]>;
  /** the keys of the units whose remembered files were found in this tree already (the others are looked up) */
  present?: ReadonlySet<string>;
}

/** Whether every remembered file is in the tree with its hash. */
function inTree(files: readonly (readonly [string, string])[], hashes: ReadonlyMap<string, string>): boolean {
  for (let i = 0; i < files.length; i++) if (hashes.get(files[i]![0]) !== files[i]![1]) return false;
  return true;
}

/**
 * Pure over the compile and the tree: the files to publish. A unit whose remembered files are
 * all in the tree with the same hash is not rendered (its files carry no content: the write
 * plan leaves them alone); every other unit is rendered.
 */
export function planPublishFiles(input: PublishPlanInput, tree: Pick<DeploymentTree, 'hashes'>): { files: PublishedFile[]; renderedCount: number; diagnostics: Diagnostic[] } {
  const files: PublishedFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const outputs: UnitOutput[] = [];
  // the units' paths are needed only for the generated kustomizations
  const kustomization = Boolean(input.state.project?.kustomization);
  const hashes = tree.hashes;
  for (const u of input.state.units) {
    const known = input.memo.get(u.key);
    if (known && (input.present?.has(u.key) || inTree(known.files, hashes))) {
      if (known.warnings.length) diagnostics.push(...known.warnings);
      for (const [path, hash] of known.files) files.push({ path, hash, service: u.service, environment: u.environment });
      if (kustomization) outputs.push({ service: u.service, environment: u.environment, target: u.target, paths: known.files.map(([p]) => p) });
      continue;
    }
    // a unit the memo knows renders what it remembers: rendered for its bytes only, the memo is not written again
    const r = input.prerendered?.get(u.key) ? { files: input.prerendered.get(u.key)!, diagnostics: [] } : known ? u.render() : input.memo.render(u);
    diagnostics.push(...r.diagnostics);
    for (const f of r.files) files.push({ path: f.path, hash: contentHash(f.content), content: f.content, service: f.service, environment: f.environment });
    outputs.push({ service: u.service, environment: u.environment, target: u.target, paths: r.files.map((f) => f.path) });
  }
  const renderedCount = files.length;
  if (input.state.project?.kustomization) {
    for (const k of kustomizationFiles(outputs, input.envs ?? input.state.environments)) {
      files.push({ path: k.path, hash: contentHash(k.content), content: k.content, service: '', environment: k.path.split('/')[0]! });
    }
  }
  return { files, renderedCount, diagnostics };
}

/** deployed.json's key of the last tree a publish built, per scope: [tree id, units id, unit keys joined by newlines] */
const TREE_PREFIX = 'tree:';

/** A cache opened when first used (its `save` a no-op until then). */
function lazily(open: () => JsonCache<unknown>): JsonCache<unknown> {
  let cache: JsonCache<unknown> | undefined;
  return {
    get: (key) => (cache ??= open()).get(key),
    set: (key, value) => (cache ??= open()).set(key, value),
    save: () => cache?.save() ?? Promise.resolve(),
  };
}

export interface PublishProjectOptions extends ConfigRef {
  root: string;
  envs?: string[];
  /** the inherited environment (filtered by cleanGitEnv before git runs) */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * The deployment repository `run` will publish to: opened (a URL or bare repository cloned)
   * while the project compiles. Only read: nothing there changes unless the compile succeeds.
   */
  deploy?: DeploymentOptions;
  /** `deploy`, opened already by the caller (beginDeployment); preparePublish owns it from here */
  opened?: PendingDeployment;
  /** the source's provenance (sourceProvenance of `root`), begun already by the caller */
  provenance?: Promise<Provenance | undefined>;
}

export interface PreparedPublish {
  diagnostics: Diagnostic[];
  state?: CompileState;
  /** run the publish (git), then save the caches when it succeeded; with `deploy`, call it (it removes the temporary clone) */
  run?: (opts: PublishOptions) => Promise<PublishOutcome>;
}

/**
 * Compile (lazily, with the input cache) and render what the unit memo does not know; errors
 * stop here, before any git. `run` then publishes, rendering only what the tree lacks.
 */
export async function preparePublish(opts: PublishProjectOptions): Promise<PreparedPublish> {
  const opened = opts.opened ?? (opts.deploy ? beginDeployment(opts.deploy) : undefined);
  let r: PreparedPublish;
  try {
    r = await prepare(opts, opened);
  } catch (e) {
    await opened?.discard();
    throw e;
  }
  if (!r.run || hasErrors(r.diagnostics)) {
    await opened?.discard(); // the compile failed: the clone goes, nothing was changed
    return { diagnostics: r.diagnostics, state: r.state };
  }
  return r;
}

async function prepare(opts: PublishProjectOptions, opened: PendingDeployment | undefined): Promise<PreparedPublish> {
  // the source's provenance is git's work, begun first (a fork from a smaller heap) and done while the project compiles
  const provenance = (opts.provenance ?? sourceProvenance(opts.root, cleanGitEnv(opts.env))).then(
    (p) => ({ p }),
    (e: unknown) => ({ e }),
  );
  const cached = cacheDirProblem(opts.root) === undefined;
  const inputs = cached ? unlessEqual(openInputCache(opts.root)) : undefined;
  const store = cached ? unlessEqual(openJsonCache<unknown>(opts.root, 'units', toolVersion())) : undefined;
  const unitMemo = new UnitMemo(store);
  // the bytes of rendered files by content hash (what render, and publish, rendered before)
  const pack = cached ? openPack(opts.root) : undefined;
  // each unit's remembered outcome is looked up (and checked) once, not once per attempt
  const outcomes = new Map<string, ReturnType<UnitMemo['get']>>();
  const memo: Pick<UnitMemo, 'get' | 'render'> = {
    get: (key) => {
      if (!outcomes.has(key)) outcomes.set(key, unitMemo.get(key));
      return outcomes.get(key);
    },
    render: (u) => {
      outcomes.delete(u.key);
      return unitMemo.render(u);
    },
  };
  const ref = { configFile: opts.configFile, configData: opts.configData, configKey: opts.configKey, envs: opts.envs };
  // per-service records (src/pipeline.ts): only the service files whose content changed are loaded
  const services = cached ? unlessEqual(openJsonCache<unknown>(opts.root, 'services', toolVersion(), { onlyUsed: true, slack: SERVICES_SLACK })) : undefined;
  // the service files by stat data: an unchanged one is taken from its record without a read
  // (read when first asked: a publish over a tree it knows looks up no blob)
  const blobs = cached ? lazily(() => openBlobMemo(opts.root)) : undefined;
  const treeBlobs = cached ? lazily(() => openTreeBlobMemo(opts.root)) : undefined;
  const stat = blobs ? openSourceStat(opts.root, fsSource(opts.root), blobs) : undefined;
  // the state memo and the trees this project's publishes built (a few entries: those of this run are kept)
  const deployed = cached ? unlessEqual(openJsonCache<unknown>(opts.root, 'deployed', toolVersion(), { onlyUsed: true })) : undefined;
  const compileLazy = async (records: boolean): Promise<CompileState> => {
    const source = stat?.source ?? fsSource(opts.root);
    let st = await compile(source, { ...ref, lazy: true, cache: inputs, ...(records && services ? { records: { store: services, hashOf: stat?.hashOf } } : {}) });
    if (!hasErrors(st.diagnostics)) {
      st.outputNames(); // compiles the templates (unless a record knows they compile): their errors are reported even when no unit renders
      // templates that do not compile: the diagnostics of a full compile (which stops before the lock)
      if (hasErrors(st.templateDiagnostics())) st = await compile(fsSource(opts.root), { ...ref, cache: inputs });
      // (set on the state itself: a copy would list its artifacts, which a publish may not need)
      else st.diagnostics = [...st.diagnostics, ...st.templateDiagnostics()];
    }
    return st;
  };
  let state = await compileLazy(true);
  if (hasErrors(state.diagnostics)) return { diagnostics: [...state.diagnostics], state };
  // the units rendered now (the memo does not know them) are loaded again first; a service file
  // that changed since it was hashed: compile without records
  const unknown = state.units.filter((u) => !memo.get(u.key));
  if (unknown.length > 0 && state.prepare && !(await state.prepare(unknown))) state = await compileLazy(false);
  const diagnostics = [...state.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics, state };
  // every unit's diagnostics, as a full render gives them: remembered, or rendered now
  const prerendered = new Map<string, RenderedFile[]>();
  for (const u of state.units as UnitJob[]) {
    const known = memo.get(u.key);
    if (known) {
      diagnostics.push(...known.warnings);
      continue;
    }
    const r = memo.render(u);
    diagnostics.push(...r.diagnostics);
    prerendered.set(u.key, r.files);
  }
  if (hasErrors(diagnostics)) return { diagnostics, state };

  let source: { url: string; commit?: string } = { url: opts.root };
  const prov = await provenance;
  if ('e' in prov) throw prov.e;
  const p = prov.p;
  if (p) {
    source = { url: p.url, commit: p.commit };
    if (p.dirty.length > 0) {
      diagnostics.push(
        warning('GIT', `publishing uncommitted changes of the source (${p.dirty.length} file${p.dirty.length === 1 ? '' : 's'}, e.g. ${p.dirty[0]}): Gitopsc-Source-Commit names HEAD`, { reason: 'dirty-source' }),
      );
    }
  }
  const final = state;
  // the units in order, by service and environment: a settled tree's unit keys line up with these
  const unitsId = unitsIdOf(final.units);
  return {
    diagnostics,
    state,
    run: async (popts) => {
      /** the files of the last plan (every file published, with its content where it was rendered or read): what the pack keeps */
      let planned: readonly PublishedFile[] = [];
      /** whether the pack has anything to keep from the last plan */
      let keep = true;
      const input: PublishInput = {
        // listed when asked for (not when the state memo knows the state by artifactsKey)
        result: {
          get artifacts() {
            return final.artifacts;
          },
        },
        artifactsKey: artifactsKeyOf(final),
        desired: async (tree) => {
          // the units whose files the tree lacks: their bytes from the pack when it holds them
          // all (the memo's warnings were reported above), else rendered, those taken from
          // records after loading their service again
          const need: UnitJob[] = [];
          const present = new Set<string>();
          for (const u of final.units as UnitJob[]) {
            if (prerendered.has(u.key)) continue;
            const known = memo.get(u.key);
            if (known && inTree(known.files, tree.hashes)) {
              present.add(u.key);
              continue;
            }
            const stored = known && pack ? unitMemo.storedUnit(u, pack) : undefined;
            if (stored) prerendered.set(u.key, stored.files);
            else need.push(u);
          }
          if (final.prepare && need.length > 0 && !(await final.prepare(need))) {
            return {
              files: [],
              renderedCount: 0,
              diagnostics: [error('FILESYSTEM', 'a service file changed while it was being published; nothing was published: run publish again', { reason: 'changed-during-run' })],
            };
          }
          const r = planPublishFiles({ state: final, envs: opts.envs, memo, prerendered, present }, tree);
          planned = r.files;
          keep = true;
          // every unit's warnings were reported above; only an error (a bug: these units rendered cleanly before) stops the publish
          return { ...r, diagnostics: r.diagnostics.filter((d) => d.severity === 'error') };
        },
        // the deployment trees this project's publishes built, by their id: which unit keys' files they hold
        quick: deployed && !final.project?.kustomization ? (tree, scope) => Promise.resolve(quickPlan(tree, scope)) : undefined,
        settled: deployed && !final.project?.kustomization ? (tree, scope) => deployed.set(`${TREE_PREFIX}${scope}`, [tree, unitsId, final.units.map((u) => u.key).join('\n')]) : undefined,
        blobMemo: treeBlobs ? { get: (k) => treeBlobs.get(k), set: (k, v) => treeBlobs.set(k, v) } : undefined,
        stateMemo: deployed ? { get: (k) => deployed.get(k), set: (k, v) => deployed.set(k, v) } : undefined,
        environments: opts.envs ?? final.environments,
        source,
        allEnvironments: opts.envs === undefined,
        lambdaDir: final.project?.lambdaDir,
        adoptable: adoptionRule(final.environments, final.outputNames(), final.project?.lambdaDir),
      };
      /**
       * The files of a tree a publish of this project built (`settled`: it holds exactly the
       * files of the units it names, in this compile's unit order, and the ownership record
       * naming them): the files of the units whose key changed since, where their hash differs,
       * when each is at the paths it had and its bytes come from a render or the pack; else
       * undefined (the plan is made against the tree's listing).
       */
      const quickPlan = (tree: string, scope: string): PublishedFile[] | undefined => {
        const v = deployed?.get(`${TREE_PREFIX}${scope}`);
        if (!Array.isArray(v) || v[0] !== tree || v[1] !== unitsId || typeof v[2] !== 'string') return undefined;
        const keys = v[2].split('\n');
        const units = final.units as UnitJob[];
        if (keys.length !== units.length) return undefined;
        const envs = new Set(opts.envs ?? final.environments);
        const writes: PublishedFile[] = [];
        let rendered = false;
        for (let i = 0; i < units.length; i++) {
          const u = units[i]!;
          if (u.key === keys[i]) continue;
          const was = memo.get(keys[i]!);
          rendered ||= prerendered.has(u.key);
          const now = prerendered.get(u.key) ?? (memo.get(u.key) && pack ? unitMemo.storedUnit(u, pack)?.files : undefined);
          if (!was || !now || now.length !== was.files.length || !envs.has(u.environment)) return undefined;
          for (let j = 0; j < now.length; j++) {
            const f = now[j]!;
            if (f.path !== was.files[j]![0] || f.environment !== u.environment) return undefined;
            const hash = contentHash(f.content);
            if (hash !== was.files[j]![1]) writes.push({ path: f.path, hash, content: f.content, service: f.service, environment: f.environment });
          }
        }
        // what the pack keeps: every unit's files (by hash), the bytes of those written; nothing
        // when every file written came from the pack (it holds them all already)
        keep = rendered;
        if (rendered) {
          const all: PublishedFile[] = [];
          for (const u of units) for (const [path, hash] of memo.get(u.key)?.files ?? []) all.push({ path, hash, service: u.service, environment: u.environment });
          planned = all.concat(writes);
        }
        return writes;
      };
      const save = async () => {
        await inputs?.save();
        await store?.save();
        await services?.save();
        await blobs?.save();
        await treeBlobs?.save();
        await deployed?.save();
        await stat?.save();
        // the bytes rendered now, for the next publish (or render) that needs them
        if (keep) await pack?.save(planned);
      };
      // the caches hold facts (content hashes, records, unit outcomes), true whether or not the
      // push lands: they are saved while git pushes, and again only when a retry rendered more
      let early: Promise<void> | undefined;
      input.whilePushing = (attempt) => (attempt === 1 ? (early = save()) : Promise.resolve());
      const outcome = await publish(input, popts, opened);
      await early;
      if (!hasErrors(outcome.diagnostics) && (!early || outcome.attempts > 1)) await save();
      return outcome;
    },
  };
}
