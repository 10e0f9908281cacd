/**
 * Ownership: gitopsc prunes and overwrites only files it wrote. The output directory holds an
 * ownership record, `.gitopsc-owned` (one path per line, sorted; no extension, so neither Argo
 * CD, Flux nor kustomize reads it as a manifest), written with the output as one more planned
 * file, as Helm keeps a release record and kapp an app record. Pure: the caller reads the
 * directory (render) or the git tree (publish) and applies the plan.
 *
 * The one-time adoption rule (stated in the README): when no record exists yet, gitopsc owns
 * exactly the files named like one of its templates' outputs directly inside
 * `[<lambdaDir>/]<environment>/<service>/` of a configured environment: the output of earlier
 * versions. Every other file (a README, a hand-written `kustomization.yaml`, an Argo CD
 * `Application`) stays the user's.
 */
import { error, info, type Diagnostic } from '../core/diagnostics.js';
import { contentHash } from '../core/hash.js';
import { planWrites, type Content, type DesiredFile, type WritePlan } from './plan.js';

export const RECORD_FILE = '.gitopsc-owned';
const HEADER = '# gitopsc ownership record: the files below were written by gitopsc, which prunes and overwrites only these. Do not edit.\n';

const BAD_RECORD_PATH = /(?:^|\/)\.{0,2}(?:\/|$)/;

/** The record's paths, or undefined when there is no record (text undefined). */
export function parseRecord(text: string | undefined): Set<string> | undefined {
  if (text === undefined) return undefined;
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) continue;
    // a record names relative paths below the output directory, never anything else: no
    // leading or trailing `/`, no empty, `.` or `..` segment, no NUL
    if (BAD_RECORD_PATH.test(l) || l.includes('\0')) continue;
    out.add(l);
  }
  return out;
}

export function serializeRecord(paths: Iterable<string>): string {
  // the default sort compares UTF-16 code units, as `<` does
  const sorted = [...new Set(paths)].sort();
  return HEADER + sorted.map((p) => `${p}\n`).join('');
}

/** Which paths belong to the environments of this run: `<env>/...` and `<lambdaDir>/<env>/...`. */
export function envScope(envs: readonly string[], lambdaDir?: string): (path: string) => boolean {
  const prefixes = envs.flatMap((e) => (lambdaDir ? [`${e}/`, `${lambdaDir}/${e}/`] : [`${e}/`]));
  return (p) => prefixes.some((pre) => p.startsWith(pre));
}

/** The one-time adoption rule: `[<lambdaDir>/]<env>/<service>/<name>` with `name` a template output. */
export function adoptionRule(envs: readonly string[], names: readonly string[], lambdaDir?: string): (path: string) => boolean {
  const envSet = new Set(envs);
  const nameSet = new Set(names);
  return (p) => {
    let parts = p.split('/');
    if (lambdaDir && p.startsWith(`${lambdaDir}/`)) parts = p.slice(lambdaDir.length + 1).split('/');
    return parts.length === 3 && envSet.has(parts[0]!) && parts[1] !== '' && nameSet.has(parts[2]!);
  };
}

/**
 * The record's text when it names exactly the desired paths (the common case: a render of the
 * same services), else undefined. Then every desired file is owned, nothing in or out of scope
 * is pruned or kept besides them, and the new record is the same text: what `planOwned` finds
 * the long way, without parsing the record or sorting its paths. Only for desired paths given
 * sorted, once each, and each one a record line keeps as it is.
 */
function unchangedRecord(input: OwnedPlanInput<Content>): string | undefined {
  const text = input.recordText;
  const desired = input.desired;
  if (text === undefined || !text.startsWith(HEADER) || desired.length === 0) return undefined;
  let prev: string | undefined;
  let at = HEADER.length;
  for (const { path: p } of desired) {
    if (prev !== undefined && !(prev < p)) return undefined;
    prev = p;
    if (p === RECORD_FILE || p.trim() !== p || p.startsWith('#') || p.includes('\n') || p.includes('\0') || BAD_RECORD_PATH.test(p)) return undefined;
    if (!text.startsWith(p, at) || text.charCodeAt(at + p.length) !== 10) return undefined;
    at += p.length + 1;
  }
  return at === text.length ? text : undefined;
}

/** Default --max-prune: a quarter of the managed files, at least 5. */
export function defaultMaxPrune(managed: number): number {
  return Math.max(5, Math.floor(managed / 4));
}

export interface OwnedPlanInput<C extends Content = string> {
  /** what this run renders (paths relative to the output root; never the record) */
  desired: readonly DesiredFile<C>[];
  /** how many of `desired` are rendered resources (not generated kustomizations); default all */
  renderedCount?: number;
  /** content hash of every file now under the output root (the record included, if any) */
  existing: ReadonlyMap<string, string>;
  /** the record's text, undefined when there is none */
  recordText: string | undefined;
  /** paths this run manages (the selected environments) */
  inScope: (path: string) => boolean;
  /** the one-time adoption rule, used only when there is no record */
  adoptable: (path: string) => boolean;
  /** overwrite (and take over) files gitopsc did not write */
  adopt?: boolean;
  /** no limit on pruning, and rendering zero services over existing output is allowed */
  allowPrune?: boolean;
  /** the most files one run may prune; default defaultMaxPrune(managed files) */
  maxPrune?: number;
  /** how a path is shown in messages (e.g. `rendered/dev/x.yaml`) */
  show?: (path: string) => string;
  /** the flag names, for messages */
  command?: string;
}

export interface OwnedPlan<C extends Content = string> {
  plan: WritePlan<C>;
  diagnostics: Diagnostic[];
  /** files that go in this run (also when refused: what would go) */
  prunes: string[];
  /** files on disk owned before this run that were not in a record (one-time adoption) */
  adopted: string[];
}

/**
 * Plan a run over a directory gitopsc shares with others: writes only desired files, prunes
 * only owned ones, refuses to overwrite a foreign file (FILESYSTEM) unless `adopt`, and refuses
 * a mass deletion (PRUNE_GUARD) unless `allowPrune`. The record is one more planned file.
 */
export function planOwned<C extends Content = string>(input: OwnedPlanInput<C>): OwnedPlan<C | string> {
  const same = unchangedRecord(input);
  if (same !== undefined) {
    // the record names exactly the files this run renders: none foreign, none to prune, the same record
    const recordFile: DesiredFile = { path: RECORD_FILE, hash: contentHash(same), content: same };
    return { plan: planWrites<C | string>([...input.desired, recordFile], input.existing, false), diagnostics: [], prunes: [], adopted: [] };
  }
  const show = input.show ?? ((p: string) => p);
  const diagnostics: Diagnostic[] = [];
  const record = parseRecord(input.recordText);
  const adopted: string[] = [];
  let owned: Set<string>;
  if (record) owned = new Set([...record].filter((p) => p !== RECORD_FILE));
  else {
    owned = new Set();
    for (const p of input.existing.keys()) {
      if (p !== RECORD_FILE && input.adoptable(p)) {
        owned.add(p);
        adopted.push(p);
      }
    }
  }
  const wanted = new Set(input.desired.map((d) => d.path));

  // a file in the way that gitopsc did not write
  for (const d of input.desired) {
    const cur = input.existing.get(d.path);
    if (d.path === RECORD_FILE) {
      diagnostics.push(error('FILESYSTEM', `a rendered file cannot be named ${RECORD_FILE}: that name is gitopsc's ownership record`, { file: show(d.path), reason: 'reserved-name' }));
      continue;
    }
    if (cur === undefined || owned.has(d.path) || cur === d.hash || input.adopt) continue;
    diagnostics.push(
      error('FILESYSTEM', `${show(d.path)} exists and was not written by gitopsc; refusing to overwrite it`, {
        reason: 'not-owned',
        file: show(d.path),
        hint: `move or delete it, or pass --adopt to let gitopsc overwrite it and manage it from now on`,
      }),
    );
  }

  const managed = [...owned].filter((p) => input.inScope(p) && input.existing.has(p));
  const prunes = managed.filter((p) => !wanted.has(p)).sort();
  if (!input.allowPrune) {
    const max = input.maxPrune ?? defaultMaxPrune(managed.length);
    const zero = (input.renderedCount ?? input.desired.length) === 0 && managed.some((p) => !wanted.has(p));
    if (zero || prunes.length > max) {
      const why = zero
        ? `this run renders no file, and would remove all ${managed.length} managed files`
        : `this run would remove ${prunes.length} of ${managed.length} managed files, more than --max-prune ${max}`;
      diagnostics.push(
        error('PRUNE_GUARD', `refusing to prune: ${why}; nothing was changed`, {
          reason: zero ? 'renders-nothing' : 'too-many',
          hint: 'check the services patterns and --env; if the removal is intended, pass --allow-prune (or a higher --max-prune)',
        }),
      );
      for (const p of prunes) diagnostics.push(info('PRUNE_GUARD', 'would be removed', { file: show(p), reason: 'would-remove' }));
    }
  }

  // the new record: kept out-of-scope entries that still exist, plus everything rendered now
  const next = new Set<string>();
  for (const p of owned) if (!input.inScope(p) && input.existing.has(p)) next.add(p);
  for (const p of wanted) next.add(p);
  const recordContent = serializeRecord(next);
  const recordFile: DesiredFile = { path: RECORD_FILE, hash: contentHash(recordContent), content: recordContent };

  const removeSet = new Set(prunes);
  const desired: DesiredFile<C | string>[] = [...input.desired.filter((d) => d.path !== RECORD_FILE), recordFile];
  const plan = planWrites(desired, input.existing, (p) => removeSet.has(p));
  return { plan, diagnostics, prunes, adopted: adopted.sort() };
}
