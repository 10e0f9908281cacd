/** Machine rendering of a DiffResult: a plain object for the `--format json` output. */
import { shortDigest, type DiffResult } from './compare.js';
import { joinPath } from './format-text.js';

export function toJson(diff: DiffResult): Record<string, unknown> {
  return {
    changed: diff.changed,
    base: diff.baseLabel,
    head: diff.headLabel,
    artifacts: diff.artifacts.map((a) => ({
      service: a.service,
      environment: a.environment,
      status: a.status,
      old: a.old ? { ...a.old, digestShort: shortDigest(a.old.digest) || undefined } : null,
      new: a.new ? { ...a.new, digestShort: shortDigest(a.new.digest) || undefined } : null,
    })),
    files: diff.files.map((f) => ({
      path: joinPath(diff.outputDir, f.path),
      service: f.service,
      environment: f.environment,
      status: f.status,
      additions: f.additions,
      deletions: f.deletions,
      diff: f.hunks,
    })),
  };
}
