/**
 * Compare two compile results (a base revision and the working tree): which artifact versions
 * changed, which rendered files were added, changed or removed, with a unified diff per resource.
 * Pure: the inputs are data, the output is data; formatting lives in ./format-*.ts.
 */
import type { CompileResult, ResolvedArtifact } from '../core/types.js';
import { unifiedDiff } from './lines.js';

export interface ArtifactVersion {
  tag: string;
  digest?: string;
  image: string;
  /** har: the registry's version id (publish trailers) */
  versionId?: string;
}

export interface ArtifactChange {
  service: string;
  environment: string;
  status: 'added' | 'removed' | 'changed';
  old?: ArtifactVersion;
  new?: ArtifactVersion;
}

export interface FileChange {
  /** relative to the output dir: `<env>/<service>/<name>` */
  path: string;
  service: string;
  environment: string;
  status: 'added' | 'removed' | 'changed';
  additions: number;
  deletions: number;
  /** unified diff hunks (no `---`/`+++` header) */
  hunks: string;
}

export interface DiffResult {
  /** shown in headers, e.g. `main (abc1234)` */
  baseLabel: string;
  headLabel: string;
  outputDir: string;
  artifacts: ArtifactChange[];
  files: FileChange[];
  changed: boolean;
}

const key = (service: string, environment: string): string => `${service}\u0000${environment}`;

function version(a: ResolvedArtifact): ArtifactVersion {
  const v: ArtifactVersion = a.digest ? { tag: a.tag, digest: a.digest, image: a.image } : { tag: a.tag, image: a.image };
  if (a.versionId) v.versionId = a.versionId;
  return v;
}

export function compareArtifacts(
  base: readonly ResolvedArtifact[],
  head: readonly ResolvedArtifact[],
): ArtifactChange[] {
  const before = new Map(base.map((a) => [key(a.service, a.environment), a]));
  const after = new Map(head.map((a) => [key(a.service, a.environment), a]));
  const out: ArtifactChange[] = [];
  for (const [k, n] of after) {
    const o = before.get(k);
    if (!o) out.push({ service: n.service, environment: n.environment, status: 'added', new: version(n) });
    else if (o.tag !== n.tag || (o.digest ?? '') !== (n.digest ?? '') || o.image !== n.image) {
      out.push({ service: n.service, environment: n.environment, status: 'changed', old: version(o), new: version(n) });
    }
  }
  for (const [k, o] of before) {
    if (!after.has(k)) out.push({ service: o.service, environment: o.environment, status: 'removed', old: version(o) });
  }
  return out.sort((x, y) => cmp(x.service, y.service) || cmp(x.environment, y.environment));
}

export function compareResults(
  base: Pick<CompileResult, 'files' | 'artifacts'>,
  head: Pick<CompileResult, 'files' | 'artifacts' | 'outputDir'>,
  labels: { base: string; head: string } = { base: 'base', head: 'working tree' },
): DiffResult {
  const before = new Map(base.files.map((f) => [f.path, f]));
  const after = new Map(head.files.map((f) => [f.path, f]));
  const files: FileChange[] = [];
  for (const [path, n] of after) {
    const o = before.get(path);
    if (o && o.content === n.content) continue;
    const d = unifiedDiff(o?.content ?? '', n.content);
    files.push({
      path,
      service: n.service,
      environment: n.environment,
      status: o ? 'changed' : 'added',
      additions: d.additions,
      deletions: d.deletions,
      hunks: d.body,
    });
  }
  for (const [path, o] of before) {
    if (after.has(path)) continue;
    const d = unifiedDiff(o.content, '');
    files.push({
      path,
      service: o.service,
      environment: o.environment,
      status: 'removed',
      additions: 0,
      deletions: d.deletions,
      hunks: d.body,
    });
  }
  files.sort((x, y) => cmp(x.service, y.service) || cmp(x.environment, y.environment) || cmp(x.path, y.path));
  const artifacts = compareArtifacts(base.artifacts, head.artifacts);
  return {
    baseLabel: labels.base,
    headLabel: labels.head,
    outputDir: head.outputDir,
    artifacts,
    files,
    changed: artifacts.length > 0 || files.length > 0,
  };
}

/** `sha256:0123456789ab` (12 hex digits, as docker shows image ids). */
export function shortDigest(digest: string | undefined): string {
  if (!digest) return '';
  const i = digest.indexOf(':');
  return i < 0 ? digest.slice(0, 12) : digest.slice(0, i + 1 + 12);
}

/** `1.4.3@sha256:0123456789ab`, or `1.4.3` without a digest, or `-` when absent. */
export function describeVersion(v: ArtifactVersion | undefined): string {
  if (!v) return '-';
  return v.digest ? `${v.tag}@${shortDigest(v.digest)}` : v.tag;
}

/** Drop control characters (terminal escapes from registry data) from text meant for humans. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
