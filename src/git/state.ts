/**
 * The deployment repository's record of what it holds: `<path>/.gitopsc/artifacts.json`, one
 * entry per service and environment (sorted, no timestamps, so it only changes with an artifact).
 * It sits next to the manifests, never inside them (like Argo CD's hydrator.metadata), and gives
 * the next publish its "old" versions for the commit message.
 */
import type { ResolvedArtifact } from '../core/types.js';

export const STATE_FILE = '.gitopsc/artifacts.json';

export function parseState(text: string | undefined): ResolvedArtifact[] {
  if (!text) return [];
  try {
    const data = JSON.parse(text) as { artifacts?: unknown };
    if (!Array.isArray(data.artifacts)) return [];
    return data.artifacts.filter(
      (a): a is ResolvedArtifact =>
        typeof a === 'object' && a !== null && typeof (a as ResolvedArtifact).service === 'string' && typeof (a as ResolvedArtifact).environment === 'string',
    );
  } catch {
    return [];
  }
}

/** The new state: entries of the published environments replaced, others kept. */
export function nextState(previous: readonly ResolvedArtifact[], published: readonly ResolvedArtifact[], envs: readonly string[]): ResolvedArtifact[] {
  const kept = previous.filter((a) => !envs.includes(a.environment));
  return [...kept, ...published.filter((a) => envs.includes(a.environment))].sort(
    (x, y) => cmp(x.service, y.service) || cmp(x.environment, y.environment),
  );
}

export function serializeState(artifacts: readonly ResolvedArtifact[]): string {
  const entries = artifacts.map((a) => {
    const e: Record<string, string> = { service: a.service, environment: a.environment, registry: a.registry, package: a.package, tag: a.tag };
    if (a.digest) e.digest = a.digest;
    if (a.fileDigest) e.fileDigest = a.fileDigest;
    if (a.versionId) e.versionId = a.versionId;
    e.image = a.image;
    return e;
  });
  return JSON.stringify({ artifacts: entries }, null, 2) + '\n';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
