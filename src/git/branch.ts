/**
 * `publish --branch-template 'gitopsc/{env}/{service}'`: the name of the branch one publish
 * pushes for a pull request, as Argo CD Image Updater and Kargo name their write-back branches.
 * Pure. Placeholders: `{env}` (the changed environments, joined by `-`), `{service}` (the changed
 * service, or `N-services`), `{tag}` (the new tag when exactly one artifact changed, else
 * `multi`), `{hash}` (8 hex digits of the changed file contents: unique per change).
 */
import { sha256Hex } from '../core/hash.js';
import type { ArtifactChange } from '../diff/compare.js';
import type { ChangedFile } from './message.js';

export const BRANCH_PLACEHOLDERS = ['env', 'service', 'tag', 'hash'] as const;

export function branchName(
  template: string,
  change: { artifacts: readonly ArtifactChange[]; files: readonly ChangedFile[]; environments: readonly string[]; contentKey: string },
): { ok: true; branch: string } | { ok: false; error: string } {
  const units = [...change.artifacts.map((a) => [a.service, a.environment]), ...change.files.map((f) => [f.service, f.environment])].filter(([s, e]) => s && e);
  const envs = [...new Set(units.map(([, e]) => e!))].sort();
  const services = [...new Set(units.map(([s]) => s!))].sort();
  const tags = change.artifacts.filter((a) => a.new).map((a) => a.new!.tag);
  const values: Record<(typeof BRANCH_PLACEHOLDERS)[number], string> = {
    env: (envs.length ? envs : [...change.environments]).join('-'),
    service: services.length === 1 ? services[0]! : `${services.length}-services`,
    tag: change.artifacts.length === 1 && tags.length === 1 ? tags[0]! : 'multi',
    hash: sha256Hex(change.contentKey).slice(0, 8),
  };
  let bad: string | undefined;
  const branch = template.replace(/\{([^{}]*)\}/g, (_m, name: string) => {
    if ((BRANCH_PLACEHOLDERS as readonly string[]).includes(name)) return values[name as keyof typeof values];
    bad ??= name;
    return '';
  });
  if (bad !== undefined) return { ok: false, error: `--branch-template: unknown placeholder {${bad}} (known: ${BRANCH_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})` };
  return { ok: true, branch };
}
