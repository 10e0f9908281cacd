/**
 * The template context for one service in one environment (CONTRACT 4.1), plus the derived
 * views the built-in templates use (`k8s`, `lambda`). Pure.
 */
import type { LockEntry } from '../core/model.js';
import * as k8s from './kubernetes/workload.js';
import type { UnitPatch } from './kubernetes/apply-patches.js';
import { DEFAULT_LAMBDA_OUTPUTS, lambdaView, type LambdaTarget } from './lambda.js';

export interface RenderUnit {
  service: string;
  /** project-relative service file, for diagnostics */
  file: string;
  environment: { name: string; production: boolean };
  labels: Record<string, string>;
  target: 'kubernetes' | 'lambda';
  /** the target block after the environment's overrides are merged */
  spec: Record<string, unknown>;
  artifact: {
    registry: string;
    package: string;
    format: 'image' | 'file';
    file?: string;
    /** host[:port][/prefix]/package */
    reference: string;
  };
  lock: LockEntry;
  /** Kubernetes patches, the service's then the environment's, with their positions */
  patches?: UnitPatch[];
  /** where a `spec.kubernetes`-relative path is written in the service file (not part of the cache key) */
  source?: (rel: readonly (string | number)[]) => { line: number; column: number } | undefined;
  /** Lambda only: outputs, AWS region/account and ECR mirror from the config */
  lambda?: LambdaTarget;
}

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
  if (u.target === 'kubernetes') {
    const scaling = spec.autoscaling as { targetCPUUtilizationPercentage?: number } | undefined;
    const pod = (spec.pod ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
    const podLabels = sortedRecord([...Object.entries(pod.labels ?? {}).filter(([k]) => !(k in labels)), ...Object.entries(labels)]);
    const podSpec = k8s.podSpec(spec, u.service, image);
    const ingress = spec.ingress as k8s.IngressSpec | undefined;
    context.k8s = {
      labels,
      selectorLabels,
      podLabels,
      podAnnotations: Object.keys(pod.annotations ?? {}).length ? sortedRecord(Object.entries(pod.annotations ?? {})) : false,
      revisionHistoryLimit: typeof spec.revisionHistoryLimit === 'number' ? { value: spec.revisionHistoryLimit } : false,
      podSpec,
      containers: podSpec.containers,
      imagePullSecrets: podSpec.imagePullSecrets ?? [],
      servicePorts: k8s.servicePorts(spec),
      serviceAnnotations: sortedRecord(Object.entries((spec.service as k8s.ServiceSpec | undefined)?.annotations ?? {})),
      ingressClassName: k8s.ingressClass(ingress) ?? '',
      ingressRules: k8s.ingressRules(spec, u.service),
      ingressTls: ingress?.tls ? [{ hosts: [ingress.host], secretName: ingress.tls.secretName }] : [],
      hpaMetrics: [{ resource: { name: 'cpu', target: { averageUtilization: scaling?.targetCPUUtilizationPercentage ?? 80, type: 'Utilization' } }, type: 'Resource' }],
      disruptionBudget: k8s.disruptionBudgetSpec(spec, selectorLabels) ?? false,
      serviceAccount: k8s.serviceAccount(spec, u.service) ?? false,
    };
  } else {
    context.lambda = lambdaView({
      service: u.service,
      environment: u.environment.name,
      spec,
      format: u.artifact.format,
      package: u.artifact.package,
      file: u.artifact.file,
      reference: u.artifact.reference,
      lock,
      labels: u.labels,
      target: u.lambda ?? { outputs: [...DEFAULT_LAMBDA_OUTPUTS], aws: {} },
    });
  }
  return context;
}
