/**
 * The template context for one service in one environment (CONTRACT 4.1), plus the derived
 * views the built-in templates use (`k8s`, `lambda`). Pure.
 */
import type { LockEntry } from '../model.js';

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

/** The S3 key of a zip when `code.s3Key` is not given: content-addressed by the file's digest. */
export const DEFAULT_S3_KEY = '{package}/{fileDigest}/{file}';

/** Expand `{package}`, `{tag}`, `{file}`, `{digest}`, `{fileDigest}`, `{service}`, `{environment}`. */
export function expandKey(template: string, values: Record<string, string | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
}

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
    const env = (spec.env ?? {}) as Record<string, string>;
    const ports = (spec.ports ?? []) as { name?: string; containerPort: number; protocol?: string }[];
    const svc = spec.service as { port?: number; targetPort?: unknown; name?: string; protocol?: string } | undefined;
    const probes = (spec.probes ?? {}) as Record<string, unknown>;
    const backend = svc?.port ?? ports[0]?.containerPort ?? 80;
    const ingress = spec.ingress as { host?: string; path?: string; pathType?: string; tls?: { secretName?: string } } | undefined;
    const scaling = spec.autoscaling as { targetCPUUtilizationPercentage?: number } | undefined;
    const container: Record<string, unknown> = { name: u.service, image };
    if (ports.length) container.ports = ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' }));
    if (Object.keys(env).length) container.env = Object.keys(env).sort().map((name) => ({ name, value: String(env[name]) }));
    if (spec.resources) container.resources = spec.resources;
    if (probes.readiness) container.readinessProbe = probes.readiness;
    if (probes.liveness) container.livenessProbe = probes.liveness;
    if (probes.startup) container.startupProbe = probes.startup;
    context.k8s = {
      labels,
      selectorLabels,
      containers: [container],
      imagePullSecrets: ((spec.imagePullSecrets ?? []) as string[]).map((name) => ({ name })),
      servicePorts: svc ? [{ name: svc.name ?? 'http', port: svc.port, protocol: svc.protocol ?? 'TCP', targetPort: svc.targetPort ?? svc.port }] : [],
      ingressRules: ingress
        ? [
            {
              host: ingress.host,
              http: {
                paths: [
                  {
                    backend: { service: { name: u.service, port: typeof backend === 'number' ? { number: backend } : { name: String(backend) } } },
                    path: ingress.path ?? '/',
                    pathType: ingress.pathType ?? 'Prefix',
                  },
                ],
              },
            },
          ]
        : [],
      ingressTls: ingress?.tls ? [{ hosts: [ingress.host], secretName: ingress.tls.secretName }] : [],
      hpaMetrics: [{ resource: { name: 'cpu', target: { averageUtilization: scaling?.targetCPUUtilizationPercentage ?? 80, type: 'Utilization' } }, type: 'Resource' }],
    };
  } else {
    const zip = u.artifact.format === 'file';
    const code = (spec.code ?? {}) as { s3Bucket?: string; s3Key?: string; s3ObjectVersion?: string };
    const keyValues = {
      package: u.artifact.package,
      tag: lock.tag,
      file: u.artifact.file,
      digest: lock.digest,
      fileDigest: lock.fileDigest,
      service: u.service,
      environment: u.environment.name,
    };
    context.lambda = {
      zip,
      packageType: zip ? 'Zip' : 'Image',
      code: zip
        ? {
            S3Bucket: code.s3Bucket ?? '',
            S3Key: expandKey(code.s3Key ?? DEFAULT_S3_KEY, keyValues),
            ...(code.s3ObjectVersion ? { S3ObjectVersion: code.s3ObjectVersion } : {}),
          }
        : { ImageUri: image },
      architectures: (spec.architectures as string[] | undefined) ?? ['x86_64'],
      tags: sortedRecord([...Object.entries(labels)]),
    };
  }
  return context;
}
