/**
 * The template context for one service in one environment (CONTRACT 4.1), plus the derived
 * views the built-in templates use (`k8s`, `lambda`). Pure.
 */
import { targetPlugin } from '../targets/index.js';
import type { RenderUnit } from './unit.js';

export type { RenderUnit } from './unit.js';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function sortedRecord<T>(entries: [string, T][]): Record<string, T> {
  const o: Record<string, T> = {};
  for (const [k, v] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) o[k] = v;
  return o;
}

export function imageReference(reference: string, tag: string, digest?: string): string {
  return digest ? `${reference}:${tag}@${digest}` : `${reference}:${tag}`;
}

export { expandKey } from './lambda.js';
/** The S3 key of a zip when `code.s3Key` is not given: content-addressed by the file's digest. */
export { DEFAULT_S3_KEY } from './lambda.js';

export function buildContext(u: RenderUnit): Record<string, unknown> {
  const { lock } = u;
  const image = imageReference(u.artifact.reference, lock.tag, lock.digest);
  const selectorLabels = sortedRecord([
    ['app.kubernetes.io/name', u.service],
    ['app.kubernetes.io/instance', `${u.service}-${u.environment.name}`],
  ]);
  const standard: [string, string][] = [
    ...Object.entries(selectorLabels),
    ['app.kubernetes.io/managed-by', 'gitopsc'],
  ];
  if (lock.tag.length <= 63 && LABEL_VALUE.test(lock.tag)) standard.push(['app.kubernetes.io/version', lock.tag]);
  const standardKeys = new Set(standard.map(([k]) => k));
  const labels = sortedRecord([...Object.entries(u.labels).filter(([k]) => !standardKeys.has(k)), ...standard]);
  const spec = u.spec;
  const context: Record<string, unknown> = {
    service: { name: u.service, labels: u.labels },
    environment: u.environment,
    artifact: {
      registry: u.artifact.registry,
      package: u.artifact.package,
      tag: lock.tag,
      digest: lock.digest ?? '',
      image,
      fileDigest: lock.fileDigest ?? '',
      labels: lock.labels ?? {},
      created: lock.created ?? '',
    },
    spec,
  };
  // the target's own view (`k8s`, `lambda`): src/targets/<id>/
  const plugin = targetPlugin(u.target);
  if (plugin) Object.assign(context, plugin.view(u, { image, labels, selectorLabels }));
  return context;
}
