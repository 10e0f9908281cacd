/**
 * The effective service in one environment: the base spec with the environment's overrides
 * deep-merged over it (arrays and scalars replace; `artifact.select` replaces whole). Pure.
 */
import type { ArtifactSpec } from '../core/model.js';
import { deepMerge } from '../core/merge.js';
import type { ServiceDecl } from './types.js';

export interface EffectiveService {
  artifact: ArtifactSpec;
  target: 'kubernetes' | 'lambda';
  spec: Record<string, unknown>;
  /** JSON path of the `select` that applies (for positions) */
  selectPath: (string | number)[];
  artifactPath: (string | number)[];
}

export function effectiveService(decl: ServiceDecl, env: string): EffectiveService {
  const s = decl.data.spec;
  const o = s.environments?.[env];
  const target = s.kubernetes ? 'kubernetes' : 'lambda';
  const base = (s[target] ?? {}) as Record<string, unknown>;
  const spec = deepMerge(base, o?.[target]) as Record<string, unknown>;
  const overSelect = o?.artifact?.select;
  // no override: the base artifact itself (one object, so its fingerprint is computed once)
  const artifact: ArtifactSpec = o?.artifact ? { ...s.artifact, ...o.artifact, select: overSelect ?? s.artifact.select } : s.artifact;
  const hasOverArtifact = o?.artifact !== undefined;
  return {
    artifact: lambdaImagePlatform(artifact, target, spec),
    target,
    spec,
    selectPath: overSelect ? ['spec', 'environments', env, 'artifact', 'select'] : ['spec', 'artifact', 'select'],
    artifactPath: hasOverArtifact ? ['spec', 'environments', env, 'artifact'] : ['spec', 'artifact'],
  };
}

/**
 * Lambda runs one single-platform image, never an index: an image function resolves the
 * platform of its architecture (arm64 -> linux/arm64, else linux/amd64) unless `select.platform`
 * names one, so the lock records that platform's manifest digest.
 */
export function lambdaPlatform(architectures: unknown): string {
  return Array.isArray(architectures) && architectures[0] === 'arm64' ? 'linux/arm64' : 'linux/amd64';
}

function lambdaImagePlatform(artifact: ArtifactSpec, target: 'kubernetes' | 'lambda', spec: Record<string, unknown>): ArtifactSpec {
  if (target !== 'lambda' || (artifact.format ?? 'image') !== 'image' || artifact.select?.platform) return artifact;
  return { ...artifact, select: { ...artifact.select, platform: lambdaPlatform(spec.architectures) } };
}
