/**
 * The Kubernetes view of one service for the built-in templates (`k8s` in the template
 * context): the pod template, Service ports, Ingress rules, HPA metrics, PodDisruptionBudget and
 * ServiceAccount, built from the effective `spec.kubernetes` with Kubernetes' own field names.
 * Pure; values are copied, never interpreted as YAML.
 */
import { canonicalQuantity } from './quantity.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
  hostPort?: number;
}

export interface ServiceSpec {
  port?: number;
  targetPort?: number | string;
  name?: string;
  protocol?: string;
  appProtocol?: string;
  nodePort?: number;
  type?: string;
  annotations?: Record<string, string>;
}

export interface IngressSpec {
  host?: string;
  path?: string;
  pathType?: string;
  className?: string;
  ingressClassName?: string;
  tls?: { secretName?: string };
  backend?: { service: { name: string; port: { number?: number; name?: string } } };
}

function sorted<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  // the default sort is UTF-16 code unit order, natively (keys are distinct strings)
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}

/** requests/limits with every quantity in canonical form (an invalid one is kept for the schema to report). */
export function canonicalResources(r: unknown): unknown {
  if (!isObj(r)) return r;
  const out: Obj = {};
  for (const [k, list] of Object.entries(r)) {
    if (!isObj(list)) {
      out[k] = list;
      continue;
    }
    const l: Obj = {};
    for (const [name, q] of Object.entries(list)) l[name] = typeof q === 'string' || typeof q === 'number' ? (canonicalQuantity(q) ?? q) : q;
    out[k] = l;
  }
  return out;
}

/** `NAME: value` or `NAME: {secretKeyRef|configMapKeyRef|fieldRef|resourceFieldRef}` -> EnvVar list, sorted by name. */
export function envList(env: unknown): Obj[] {
  if (!isObj(env)) return [];
  return Object.keys(env)
    .sort()
    .map((name) => {
      const v = env[name];
      if (isObj(v)) {
        const source: Obj = { ...v };
        if (isObj(source.resourceFieldRef) && source.resourceFieldRef.divisor !== undefined) {
          const d = source.resourceFieldRef.divisor as string | number;
          source.resourceFieldRef = { ...source.resourceFieldRef, divisor: canonicalQuantity(d) ?? d };
        }
        return { name, valueFrom: source };
      }
      return { name, value: String(v) };
    });
}

/** The container fields shared by the main, init and sidecar containers. */
function containerFields(c: Obj, out: Obj): void {
  for (const k of ['command', 'args', 'workingDir', 'envFrom', 'volumeMounts', 'securityContext', 'lifecycle', 'imagePullPolicy', 'restartPolicy'] as const) {
    if (c[k] !== undefined) out[k] = c[k];
  }
  const env = envList(c.env);
  if (env.length) out.env = env;
  if (Array.isArray(c.ports) && c.ports.length) out.ports = (c.ports as ContainerPort[]).map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' }));
  if (c.resources !== undefined) out.resources = canonicalResources(c.resources);
  const probes = isObj(c.probes) ? c.probes : {};
  if (probes.readiness) out.readinessProbe = probes.readiness;
  if (probes.liveness) out.livenessProbe = probes.liveness;
  if (probes.startup) out.startupProbe = probes.startup;
}

export function container(name: string, image: string, c: Obj): Obj {
  const out: Obj = { name, image };
  containerFields(c, out);
  return out;
}

function extraContainers(list: unknown, image: string): Obj[] {
  if (!Array.isArray(list)) return [];
  return list.filter(isObj).map((c) => container(String(c.name), typeof c.image === 'string' ? c.image : image, c));
}

function volumes(list: unknown): Obj[] | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.map((v) => {
    if (!isObj(v) || !isObj(v.emptyDir) || v.emptyDir.sizeLimit === undefined) return v as Obj;
    const q = v.emptyDir.sizeLimit as string | number;
    return { ...v, emptyDir: { ...v.emptyDir, sizeLimit: canonicalQuantity(q) ?? q } };
  });
}

/** The ServiceAccount the pods run as: explicit name, the declared one, or the service's own. */
export function serviceAccountName(spec: Obj, service: string): string | undefined {
  const sa = isObj(spec.serviceAccount) ? spec.serviceAccount : undefined;
  if (typeof spec.serviceAccountName === 'string') return spec.serviceAccountName;
  if (sa && typeof sa.name === 'string') return sa.name;
  if (sa && sa.create !== false) return service;
  return undefined;
}

const POD_FIELDS = [
  'securityContext',
  'nodeSelector',
  'tolerations',
  'affinity',
  'topologySpreadConstraints',
  'priorityClassName',
  'terminationGracePeriodSeconds',
  'automountServiceAccountToken',
  'runtimeClassName',
  'hostAliases',
  'dnsPolicy',
  'enableServiceLinks',
  'shareProcessNamespace',
] as const;

export function podSpec(spec: Obj, service: string, image: string): Obj {
  const pod = isObj(spec.pod) ? spec.pod : {};
  const out: Obj = {};
  out.containers = [container(service, image, spec), ...extraContainers(pod.containers, image)];
  const init = extraContainers(pod.initContainers, image);
  if (init.length) out.initContainers = init;
  for (const k of POD_FIELDS) if (pod[k] !== undefined) out[k] = pod[k];
  const vols = volumes(pod.volumes);
  if (vols) out.volumes = vols;
  const pulls = Array.isArray(spec.imagePullSecrets) ? (spec.imagePullSecrets as string[]) : [];
  if (pulls.length) out.imagePullSecrets = pulls.map((name) => ({ name }));
  const sa = serviceAccountName(spec, service);
  if (sa) out.serviceAccountName = sa;
  return out;
}

/** The container port a Service targets: by name, or by number (targetPort, else the Service port). */
export function targetedPort(spec: Obj): ContainerPort | undefined {
  const svc = spec.service as ServiceSpec | undefined;
  if (!svc) return undefined;
  const ports = (Array.isArray(spec.ports) ? spec.ports : []) as ContainerPort[];
  const target = svc.targetPort ?? svc.port;
  return ports.find((p) => (typeof target === 'string' ? p.name === target : p.containerPort === target));
}

export function servicePorts(spec: Obj): Obj[] {
  const svc = spec.service as ServiceSpec | undefined;
  if (!svc) return [];
  const target = targetedPort(spec);
  const port: Obj = { name: svc.name ?? target?.name ?? 'http', port: svc.port, protocol: svc.protocol ?? target?.protocol ?? 'TCP', targetPort: svc.targetPort ?? svc.port };
  if (svc.appProtocol !== undefined) port.appProtocol = svc.appProtocol;
  if (svc.nodePort !== undefined) port.nodePort = svc.nodePort;
  return [port];
}

export function ingressClass(ingress: IngressSpec | undefined): string | undefined {
  return ingress?.ingressClassName ?? ingress?.className;
}

export function ingressRules(spec: Obj, service: string): Obj[] {
  const ingress = spec.ingress as IngressSpec | undefined;
  if (!ingress) return [];
  const svc = spec.service as ServiceSpec | undefined;
  const backend = ingress.backend?.service ?? { name: service, port: { number: svc?.port ?? 80 } };
  const port = backend.port.number !== undefined ? { number: backend.port.number } : { name: String(backend.port.name) };
  const rule: Obj = { http: { paths: [{ backend: { service: { name: backend.name, port } }, path: ingress.path ?? '/', pathType: ingress.pathType ?? 'Prefix' }] } };
  if (ingress.host !== undefined) rule.host = ingress.host;
  return [rule];
}

export function disruptionBudgetSpec(spec: Obj, selectorLabels: Record<string, string>): Obj | undefined {
  const pdb = spec.disruptionBudget;
  if (!isObj(pdb)) return undefined;
  const out: Obj = { selector: { matchLabels: selectorLabels } };
  for (const k of ['minAvailable', 'maxUnavailable', 'unhealthyPodEvictionPolicy'] as const) if (pdb[k] !== undefined) out[k] = pdb[k];
  return out;
}

export function serviceAccount(spec: Obj, service: string): Obj | undefined {
  const sa = spec.serviceAccount;
  if (!isObj(sa) || sa.create === false) return undefined;
  const out: Obj = { name: serviceAccountName(spec, service) };
  if (isObj(sa.annotations) && Object.keys(sa.annotations).length) out.annotations = sorted(sa.annotations);
  if (typeof sa.automountServiceAccountToken === 'boolean') out.automount = { value: sa.automountServiceAccountToken };
  return out;
}
