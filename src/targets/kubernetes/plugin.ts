/**
 * `spec.kubernetes`: a Deployment (and, when declared, a Service, Ingress, HPA, PDB and
 * ServiceAccount). What gitopsc knows of this target (see ../types.ts `TargetPlugin`).
 */
import * as k8s from '../../render/kubernetes/workload.js';
import { any, leaf, list, map, obj } from '../../render/shape-kit.js';
import type { TargetPlugin } from '../types.js';
import { checkKubernetes } from './check.js';
import { patchesFor, sourceIn } from './unit.js';

function sortedRecord<T>(entries: [string, T][]): Record<string, T> {
  const o: Record<string, T> = {};
  for (const [k, v] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) o[k] = v;
  return o;
}

export const plugin: TargetPlugin = {
  id: 'kubernetes',
  title: 'a Kubernetes workload',
  schema: async () => (await import('./schema.js')).schema,
  templates: new URL('../../../templates/kubernetes/', import.meta.url),
  unit: ({ decl, env }) => ({ ...patchesFor(decl, env), source: sourceIn(decl, env), manifestCheck: true }),
  view(u, { image, labels, selectorLabels }) {
    const spec = u.spec;
    const scaling = spec.autoscaling as { targetCPUUtilizationPercentage?: number } | undefined;
    const pod = (spec.pod ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
    const podLabels = sortedRecord([...Object.entries(pod.labels ?? {}).filter(([k]) => !(k in labels)), ...Object.entries(labels)]);
    const podSpec = k8s.podSpec(spec, u.service, image);
    const ingress = spec.ingress as k8s.IngressSpec | undefined;
    return {
      k8s: {
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
      },
    };
  },
  viewShape: () => ({
    k8s: obj({
      labels: map(),
      selectorLabels: map(),
      podLabels: map(),
      // false when absent, so that {{#if}} reads naturally
      podAnnotations: any,
      revisionHistoryLimit: any,
      podSpec: any,
      containers: list(),
      imagePullSecrets: list(obj({ name: leaf })),
      servicePorts: list(),
      serviceAnnotations: map(),
      ingressClassName: leaf,
      ingressRules: list(),
      ingressTls: list(),
      hpaMetrics: list(),
      disruptionBudget: any,
      serviceAccount: any,
    }),
  }),
  checkService: checkKubernetes,
  traits: { imageTag: true, needsImage: true, kustomize: true, manifestCheck: true },
};
