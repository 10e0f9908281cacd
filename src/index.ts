/**
 * The gitopsc library API: `import { compile, resolve, planWrites, applyWrites, diff } from 'gitopsc'`.
 *
 * A facade over the pipeline with stable names and option objects: the stages behind it may
 * move without changing what is exported here. Every function reports user mistakes and
 * environment failures as {@link Diagnostic} data (code, file, 1-based line and column), never
 * as exceptions; an exception is a bug. Nothing here writes unless its name says so
 * ({@link applyWrites}).
 *
 * @packageDocumentation
 */
import { compileRequest, type CompileRequest } from './api/compile.js';
import { resolveRequest, type ResolveRequest } from './api/resolve.js';
import { applyRequest, planRequest } from './api/write.js';
import * as core from './core/diagnostics.js';
import type * as reasons from './core/reasons.js';
import type * as coreTypes from './core/types.js';
import type * as model from './core/model.js';
import * as compare from './diff/compare.js';
import * as host from './host/index.js';
import type * as provider from './resolve/provider.js';
import type * as resolver from './resolve/resolve.js';
import type * as select from './resolve/select/index.js';
import { fsSource as fsProjectSource } from './source/fs.js';
import type * as plan from './write/plan.js';

/**
 * A user mistake or an environment failure, as data: a stable {@link Code} and {@link Reason}, a severity, a
 * message, and where: a project-relative `file` with 1-based `line` and `column`, the service
 * and environment, a `hint`, and `related` locations.
 */
export type Diagnostic = core.Diagnostic;
/** A diagnostic's stable code (one of {@link CODES}); never reworded between versions. */
export type Code = core.Code;
/** A diagnostic's stable reason id under its code (kebab-case, e.g. `unknown-environment`; docs/diagnostics.md). Match on code + reason, never on the message. */
export type Reason = reasons.Reason;
/** `error` fails the run; `warning` and `info` do not. */
export type Severity = core.Severity;
/** A 1-based line and column. */
export type Position = core.Position;
/** A second location a diagnostic points at ("first defined here"). */
export type RelatedLocation = core.RelatedLocation;

/**
 * Where project files come from: the working tree ({@link fsSource}), a git revision, or files
 * held in memory. Paths are project-relative with `/` separators.
 */
export type ProjectSource = coreTypes.ProjectSource;
/** A path a {@link ProjectSource} could not list (an unreadable directory, a symbolic link out of the project). */
export type SourceProblem = coreTypes.SourceProblem;
/** One rendered file: its path relative to the output directory (`<env>/<service>/<name>`), its content, and whose it is. */
export type RenderedFile = coreTypes.RenderedFile;
/** The version one service runs in one environment, with its rendered image reference (`host/package:tag@digest`). */
export type ResolvedArtifact = coreTypes.ResolvedArtifact;
/** What {@link compile} returns: diagnostics, the output directory and environments, the rendered files and the resolved artifacts. */
export type CompileResult = coreTypes.CompileResult;
/** The version one service runs in one environment (a lock entry's identity: registry, package, tag, digests). */
export type PinnedArtifact = model.PinnedArtifact;
/** What a registry says about one tag: digest, creation time, labels, platforms, files. */
export type VersionInfo = model.VersionInfo;

/**
 * The one door to the outside world for resolving: environment (for `{env: NAME}` credential
 * references), clock, `fetch`, and progress output. Make one with {@link nodeHost}.
 */
export type Host = host.Host;

/**
 * A registry provider: lists a package's tags and describes one tag (digest, metadata), and
 * reports failures as data ({@link ProviderFailure}). Pass your own to {@link resolve} through
 * `providers` to resolve against a registry gitopsc has no provider for, or a test double.
 */
export type Provider = provider.Provider;
/** A provider's answer: a value (with warnings) or a failure. */
export type ProviderResult<T> = provider.ProviderResult<T>;
/** Why a provider could not answer: a registry code and a message that never holds a credential. */
export type ProviderFailure = provider.ProviderFailure;
/** The registry codes a {@link ProviderFailure} may carry. */
export type ProviderFailureCode = provider.ProviderFailureCode;
/** What the resolver needs a provider to say about one tag (metadata, a platform, a file). */
export type DescribeNeed = provider.DescribeNeed;

/** One lock entry as a resolve left it: the pinned version, its strategy, and whether this run changed it. */
export type ResolvedEntry = resolver.ResolvedRow;
/** Why a version was selected (`explain: true`): every candidate tag, kept or dropped, with the reason. */
export type Explanation = resolver.ExplainBlock;
/** One candidate tag in an {@link Explanation}. */
export type TraceEntry = select.TraceEntry;

/** Which files to add, change and prune in an output directory; `unchanged` counts the rest. */
export type WritePlan = plan.WritePlan;
/** One file a {@link WritePlan} writes. */
export type PlannedWrite = plan.PlannedWrite;

/** What {@link diff} returns: artifact and file changes between two compile results. */
export type DiffResult = compare.DiffResult;
/** One artifact version that changed between the two sides of a {@link diff}. */
export type ArtifactChange = compare.ArtifactChange;
/** An artifact's version on one side of a {@link diff}. */
export type ArtifactVersion = compare.ArtifactVersion;
/** One rendered file that changed between the two sides of a {@link diff}, with its unified diff hunks. */
export type FileChange = compare.FileChange;

/** Every diagnostic {@link Code}, e.g. `SCHEMA`, `LOCK_STALE`, `TEMPLATE`. */
export const CODES: readonly Code[] = core.CODES;

/**
 * Whether any diagnostic is an error (warnings and infos are not).
 * @param diagnostics - what a function of this API returned
 */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return core.hasErrors(diagnostics);
}

/**
 * A {@link ProjectSource} over a directory of the file system: the project as `gitopsc` itself
 * reads it (symbolic links that stay inside the project are followed; others are reported).
 * @param root - the project's root directory (the config file's directory)
 */
export function fsSource(root: string): ProjectSource {
  return fsProjectSource(root);
}

/**
 * The {@link Host} of a Node process: `process.env`, the real clock, `fetch`, and progress on stderr.
 * @param overrides - members to replace (e.g. `env`, `fetch`, or a silent `log` and `status`)
 */
export function nodeHost(overrides: Partial<Host> = {}): Host {
  return host.nodeHost(overrides);
}

/** Options of {@link compile}. Give either `cwd` (a directory) or `source`. */
export type CompileOptions = CompileRequest;

/**
 * Compile a project in memory: load, validate and check it, read its lock, and render every
 * service in every (selected) environment. Returns the diagnostics and exactly the files
 * `gitopsc render` would write (paths relative to the output directory), with the resolved
 * artifacts. Offline: the lock must be current (`LOCK_STALE` otherwise; see {@link resolve}).
 * Reads the project only; writes nothing and uses no cache.
 *
 * @example
 * ```ts
 * const result = await compile({ cwd: 'fixtures/example' });
 * if (hasErrors(result.diagnostics)) console.error(result.diagnostics);
 * for (const f of result.files) console.log(f.path);
 * ```
 */
export function compile(options: CompileOptions = {}): Promise<CompileResult> {
  return compileRequest(options);
}

/** Options of {@link resolve}. */
export type ResolveOptions = ResolveRequest;

/** What {@link resolve} returns. */
export interface ResolveResult {
  diagnostics: Diagnostic[];
  /** The lock file, relative to the project root (undefined when the project did not load). */
  lockFile?: string;
  /** The new lock file's text; undefined when there are errors (a failing resolve must not write a lock). */
  lockText?: string;
  /** The lock file's text as it was read (undefined when there was none): compare to see if it changed. */
  previousLockText?: string;
  /** Every (service, environment) resolved. */
  resolved: ResolvedEntry[];
  /** With `explain`: why each version was selected. */
  explain: Explanation[];
}

/**
 * Resolve a project's artifacts to digests through its registries, using the given
 * {@link Host} for every network, environment and clock access: keep fresh lock entries,
 * select the others. Returns the new lock's text; writes nothing (not the lock, not the
 * registry caches): write `lockText` to `lockFile` yourself.
 *
 * @example
 * ```ts
 * const r = await resolve({ cwd: 'shop', host: nodeHost({ log: () => {}, status: () => {} }) });
 * if (!hasErrors(r.diagnostics) && r.lockText !== r.previousLockText) await writeFile(join('shop', r.lockFile!), r.lockText!);
 * ```
 */
export async function resolve(options: ResolveOptions): Promise<ResolveResult> {
  const r = await resolveRequest(options);
  return {
    diagnostics: r.diagnostics,
    ...(r.lockFile !== undefined ? { lockFile: r.lockFile } : {}),
    ...(r.lockText !== undefined ? { lockText: r.lockText } : {}),
    ...(r.previousLockText !== undefined ? { previousLockText: r.previousLockText } : {}),
    resolved: r.resolved,
    explain: r.explain,
  };
}

/** Options of {@link planWrites}. */
export interface PlanWritesOptions {
  /** The files the directory should hold, paths relative to it (e.g. `CompileResult.files`). */
  files: readonly { path: string; content: string }[];
  /** The output directory (it may not exist yet). */
  outDir: string;
  /** Overwrite, and own from now on, files in the way that gitopsc did not write (`--adopt`). */
  adopt?: boolean;
  /** Prune without limit, and allow writing nothing over existing output (`--allow-prune`). */
  allowPrune?: boolean;
  /** The most files one run may prune (`--max-prune`). Default: a quarter of the managed files, at least 5. */
  maxPrune?: number;
}

/** What {@link planWrites} returns: apply `plan` only when `diagnostics` has no error. */
export interface PlanWritesResult {
  plan: WritePlan;
  diagnostics: Diagnostic[];
}

/**
 * Plan the writes that make a directory hold `files`: which files to add, change and prune,
 * by content hash, as `gitopsc render` does. Only files gitopsc wrote (listed in the
 * directory's `.gitopsc-owned` record) are overwritten or pruned; the record is one more
 * planned file. A foreign file in the way is `FILESYSTEM`, a mass deletion `PRUNE_GUARD`.
 * Reads the directory; writes nothing.
 */
export function planWrites(options: PlanWritesOptions): Promise<PlanWritesResult> {
  return planRequest(options);
}

/** Options of {@link applyWrites}. */
export interface ApplyWritesOptions {
  /** The output directory the plan was made for. */
  outDir: string;
  /** A plan from {@link planWrites}. */
  plan: WritePlan;
}

/**
 * Apply a write plan to its directory, all or nothing: the directory is locked, files are
 * staged and renamed into place under a journal that the next run completes or rolls back if
 * this one is killed. Never writes through a symbolic link. Returns `FILESYSTEM` diagnostics on
 * failure (nothing changed, unless the message says the next run completes it).
 */
export function applyWrites(options: ApplyWritesOptions): Promise<Diagnostic[]> {
  return applyRequest(options);
}

/** Labels of the two sides of a {@link diff}, shown in formatted headers. */
export interface DiffLabels {
  base: string;
  head: string;
}

/**
 * Compare two compile results (e.g. a base revision's and the working tree's): which artifact
 * versions changed, and which rendered files were added, changed or removed, with a unified
 * diff per file. Pure.
 *
 * @param base - the old side (`{ files: [], artifacts: [] }` for nothing)
 * @param head - the new side
 * @param labels - default `{ base: 'base', head: 'working tree' }`
 */
export function diff(
  base: Pick<CompileResult, 'files' | 'artifacts'>,
  head: Pick<CompileResult, 'files' | 'artifacts' | 'outputDir'>,
  labels?: DiffLabels,
): DiffResult {
  return compare.compareResults(base, head, labels);
}
