/**
 * Cross-object rules for Kubernetes targets, on each environment's effective spec: what the API
 * server or the cluster would refuse, or silently get wrong, after gitopsc composes names,
 * labels and objects. Each problem is located at the field the user has to change (in the
 * environment override when it sets it, else in the base). Pure.
 */
import { error, warning, type Diagnostic, type DiagnosticAt } from '../core/diagnostics.js';
import type { ReasonFor } from '../core/reasons.js';
import type { JsonPath } from '../load/types.js';
import type { ProjectConfig } from '../core/model.js';
import { deepMerge } from '../core/merge.js';
import type { ServiceDecl } from '../project/types.js';
import { targetedPort, type ContainerPort, type IngressSpec, type ServiceSpec } from '../render/kubernetes/workload.js';
import { imageProblem } from '../core/image.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const STANDARD_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/version'];

interface Ctx {
  decl: ServiceDecl;
  env: string;
  spec: Obj;
  /** a spec.kubernetes-relative path -> where it is written (override, else base) */
  locate(rel: JsonPath): JsonPath;
  out: Diagnostic[];
}

function report(ctx: Ctx, rel: JsonPath | ['metadata', ...string[]], message: string, extra: DiagnosticAt<'KUBERNETES'> & { reason: ReasonFor<'KUBERNETES'> }, target: 'key' | 'value' = 'value', severity: 'error' | 'warning' = 'error'): void {
  const path = rel[0] === 'metadata' ? rel : ctx.locate(rel);
  ctx.out.push((severity === 'error' ? error : warning)('KUBERNETES', message, { file: ctx.decl.file, ...ctx.decl.doc.position(path, target), service: ctx.decl.name, environment: ctx.env, ...extra }));
}

/** Every Kubernetes rule for one service, in every environment; a problem shared by several environments is reported once. */
export function checkKubernetes(decl: ServiceDecl, environments: readonly string[], config: ProjectConfig): Diagnostic[] {
  const s = decl.data.spec;
  if (!s.kubernetes) return [];
  const out: Diagnostic[] = [];
  for (const env of environments) {
    const override = s.environments?.[env]?.kubernetes;
    const spec = deepMerge(s.kubernetes, override) as Obj;
    const locate = (rel: JsonPath): JsonPath => {
      let node: unknown = override;
      for (const seg of rel) {
        if (Array.isArray(node) && typeof seg === 'number') node = node[seg];
        else if (isObj(node) && String(seg) in node) node = node[String(seg)];
        else return ['spec', 'kubernetes', ...rel];
      }
      return ['spec', 'environments', env, 'kubernetes', ...rel];
    };
    const ctx: Ctx = { decl, env, spec, locate, out };
    checkNames(ctx);
    checkContainers(ctx);
    checkService(ctx);
    checkIngress(ctx);
    checkAutoscaling(ctx);
    checkServiceAccount(ctx);
    checkDisruptionBudget(ctx);
    checkRegistry(ctx, config, env);
  }
  const seen = new Set<string>();
  return out.filter((d) => {
    const k = `${d.line}:${d.column}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function checkNames(ctx: Ctx): void {
  const name = ctx.decl.name;
  const instance = `${name}-${ctx.env}`;
  if (instance.length > 63) {
    report(ctx, ['metadata', 'name'], `the app.kubernetes.io/instance label "${instance}" (service "${name}" + "-" + environment "${ctx.env}") is ${instance.length} characters; label values are limited to 63`, { reason: 'label-too-long',
      hint: `shorten the service name to at most ${62 - ctx.env.length} characters`,
    });
  }
  if (ctx.spec.service !== undefined && !DNS_1035.test(name)) {
    report(ctx, ['metadata', 'name'], `"${name}" cannot name a Service: Service names are DNS-1035 labels (they must start with a letter)`, { reason: 'invalid-service-name' });
  }
  for (const k of Object.keys(ctx.decl.data.metadata.labels ?? {})) {
    if (STANDARD_LABELS.includes(k)) report(ctx, ['metadata', 'labels', k], `metadata.labels cannot set "${k}": gitopsc sets it (selectors depend on it)`, { reason: 'reserved-label' }, 'key');
  }
  const pod = isObj(ctx.spec.pod) ? ctx.spec.pod : {};
  if (isObj(pod.labels)) {
    for (const k of Object.keys(pod.labels)) {
      if (STANDARD_LABELS.includes(k)) report(ctx, ['pod', 'labels', k], `pod.labels cannot set "${k}": gitopsc sets it (selectors depend on it)`, { reason: 'reserved-label' }, 'key');
    }
  }
}

interface ContainerAt {
  c: Obj;
  rel: JsonPath;
  name: string;
  ports: ContainerPort[];
}

function containersOf(ctx: Ctx): ContainerAt[] {
  const pod = isObj(ctx.spec.pod) ? ctx.spec.pod : {};
  const list: ContainerAt[] = [{ c: ctx.spec, rel: [], name: ctx.decl.name, ports: (ctx.spec.ports ?? []) as ContainerPort[] }];
  for (const field of ['initContainers', 'containers'] as const) {
    const l = pod[field];
    if (!Array.isArray(l)) continue;
    l.forEach((c, i) => {
      if (isObj(c)) list.push({ c, rel: ['pod', field, i], name: String(c.name), ports: (Array.isArray(c.ports) ? c.ports : []) as ContainerPort[] });
    });
  }
  return list;
}

function checkContainers(ctx: Ctx): void {
  const pod = isObj(ctx.spec.pod) ? ctx.spec.pod : {};
  const volumes = new Set<string>();
  if (Array.isArray(pod.volumes)) {
    pod.volumes.forEach((v, i) => {
      if (!isObj(v) || typeof v.name !== 'string') return;
      if (volumes.has(v.name)) report(ctx, ['pod', 'volumes', i, 'name'], `volume "${v.name}" is declared twice`, { reason: 'duplicate-volume' });
      volumes.add(v.name);
    });
  }
  const names = new Map<string, JsonPath>();
  for (const { c, rel, name, ports } of containersOf(ctx)) {
    if (names.has(name)) report(ctx, [...rel, 'name'], rel.length === 0 ? `container name "${name}" is used twice` : `container "${name}" has the name of another container in the pod (the main container is named after the service)`, { reason: 'duplicate-container' });
    names.set(name, rel);
    if (rel.length && typeof c.image === 'string') {
      const p = imageProblem(c.image);
      if (p) report(ctx, [...rel, 'image'], p.message, { reason: p.reason, ...(p.hint ? { hint: p.hint } : {}) });
    }
    const portNames = new Set<string>();
    ports.forEach((p, i) => {
      if (p.name === undefined) return;
      if (portNames.has(p.name)) report(ctx, [...rel, 'ports', i, 'name'], `port name "${p.name}" is used twice in container "${name}"`, { reason: 'duplicate-port-name' });
      portNames.add(p.name);
    });
    const named = (port: unknown, at: JsonPath, what: string) => {
      if (typeof port === 'string' && !portNames.has(port)) {
        report(ctx, at, `${what} names port "${port}", which container "${name}" does not declare${portNames.size ? ` (declared: ${[...portNames].join(', ')})` : ' (it declares no named ports)'}`, { reason: 'unknown-port' });
      }
    };
    const probes = isObj(c.probes) ? c.probes : {};
    for (const [kind, probe] of Object.entries(probes)) {
      if (!isObj(probe)) continue;
      for (const h of ['httpGet', 'tcpSocket'] as const) if (isObj(probe[h])) named(probe[h].port, [...rel, 'probes', kind, h, 'port'], `the ${kind} probe`);
    }
    const lifecycle = isObj(c.lifecycle) ? c.lifecycle : {};
    for (const [hook, handler] of Object.entries(lifecycle)) {
      if (!isObj(handler)) continue;
      for (const h of ['httpGet', 'tcpSocket'] as const) if (isObj(handler[h])) named(handler[h].port, [...rel, 'lifecycle', hook, h, 'port'], `the ${hook} hook`);
    }
    if (isObj(c.env)) {
      // gitopsc renders env sorted by name, and Kubernetes expands $(NAME) only for names defined earlier
      for (const [k, v] of Object.entries(c.env)) {
        if (typeof v !== 'string') continue;
        for (const m of v.matchAll(/(?<!\$)\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g)) {
          const ref = m[1]!;
          if (ref in c.env && ref > k) {
            report(ctx, [...rel, 'env', k], `env ${k} refers to $(${ref}), which is rendered after it (env is sorted by name) and so would not be expanded`, { reason: 'env-order', hint: `rename one of them so that ${ref} sorts before ${k}` });
          }
        }
      }
    }
    if (Array.isArray(c.volumeMounts)) {
      c.volumeMounts.forEach((m, i) => {
        if (isObj(m) && typeof m.name === 'string' && !volumes.has(m.name)) {
          report(ctx, [...rel, 'volumeMounts', i, 'name'], `volumeMounts names volume "${m.name}", which pod.volumes does not declare${volumes.size ? ` (declared: ${[...volumes].join(', ')})` : ''}`, { reason: 'unknown-volume' });
        }
      });
    }
  }
}

function checkService(ctx: Ctx): void {
  if (!isObj(ctx.spec.service)) return;
  const svc = ctx.spec.service as ServiceSpec;
  const ports = (ctx.spec.ports ?? []) as ContainerPort[];
  if (typeof svc.targetPort === 'string' && !ports.some((p) => p.name === svc.targetPort)) {
    const declared = ports.map((p) => p.name).filter(Boolean);
    report(ctx, ['service', 'targetPort'], `service.targetPort names port "${svc.targetPort}", which the container does not declare${declared.length ? ` (declared: ${declared.join(', ')})` : ' (it declares no named ports)'}`, { reason: 'unknown-port' });
  }
  const target = targetedPort(ctx.spec);
  if (target && svc.protocol !== undefined && svc.protocol !== (target.protocol ?? 'TCP')) {
    report(ctx, ['service', 'protocol'], `service.protocol is ${svc.protocol} but the container port it targets (${target.name ?? target.containerPort}) is ${target.protocol ?? 'TCP'}`, { reason: 'protocol-mismatch' });
  }
  if (svc.nodePort !== undefined && (svc.type ?? 'ClusterIP') === 'ClusterIP') {
    report(ctx, ['service', 'nodePort'], 'service.nodePort needs `type: NodePort` or `type: LoadBalancer`', { reason: 'node-port-type' });
  }
}

function checkIngress(ctx: Ctx): void {
  if (!isObj(ctx.spec.ingress)) return;
  const ingress = ctx.spec.ingress as IngressSpec;
  if (ingress.className !== undefined && ingress.ingressClassName !== undefined && ingress.className !== ingress.ingressClassName) {
    report(ctx, ['ingress', 'className'], `ingress.className (${ingress.className}) and ingress.ingressClassName (${ingress.ingressClassName}) differ: give one`, { reason: 'conflicting-fields' });
  }
  if (ingress.backend) {
    const port: { number?: number; name?: string } = ingress.backend.service?.port ?? {};
    if ((port.number === undefined) === (port.name === undefined)) report(ctx, ['ingress', 'backend', 'service', 'port'], 'ingress.backend.service.port needs exactly one of `number` or `name`', { reason: 'ingress-port' });
  } else if (ctx.spec.service === undefined) {
    report(ctx, ['ingress'], 'an Ingress needs a Service to route to: declare `service` (rendered beside it) or name one with `ingress.backend.service`', { reason: 'ingress-needs-service' }, 'key');
  }
}

function checkAutoscaling(ctx: Ctx): void {
  if (!isObj(ctx.spec.autoscaling)) return;
  const pod = isObj(ctx.spec.pod) ? ctx.spec.pod : {};
  const list: [Obj, JsonPath, string][] = [[ctx.spec, [], ctx.decl.name]];
  if (Array.isArray(pod.containers)) pod.containers.forEach((c, i) => isObj(c) && list.push([c, ['pod', 'containers', i], String(c.name)]));
  for (const [c, rel, name] of list) {
    const requests = isObj(c.resources) && isObj(c.resources.requests) ? c.resources.requests : {};
    if (requests.cpu === undefined) {
      report(ctx, rel.length ? [...rel, 'name'] : ['autoscaling'], `autoscaling on CPU utilisation needs a CPU request on every container, and container "${name}" has none (the HPA could never scale)`, { reason: 'hpa-needs-cpu-request',
        hint: `set ${rel.length ? `pod.containers[${String(rel[2])}].` : ''}resources.requests.cpu`,
      }, rel.length ? 'value' : 'key');
    }
  }
}

function checkServiceAccount(ctx: Ctx): void {
  const sa = ctx.spec.serviceAccount;
  if (isObj(sa) && typeof sa.name === 'string' && typeof ctx.spec.serviceAccountName === 'string' && sa.name !== ctx.spec.serviceAccountName) {
    report(ctx, ['serviceAccount', 'name'], `serviceAccount.name (${sa.name}) and serviceAccountName (${ctx.spec.serviceAccountName}) differ: the pods would not run as the account rendered`, { reason: 'conflicting-fields' });
  }
}

function checkRegistry(ctx: Ctx, config: ProjectConfig, env: string): void {
  const s = ctx.decl.data.spec;
  const over = s.environments?.[env]?.artifact?.registry;
  const name = over ?? s.artifact.registry;
  const reg = config.registries?.[name];
  if (!reg || reg.type !== 'static' || reg.host) return;
  const path: JsonPath = over !== undefined ? ['spec', 'environments', env, 'artifact', 'registry'] : ['spec', 'artifact', 'registry'];
  ctx.out.push(
    error('KUBERNETES', `registry "${name}" has no host, so the rendered image would be pulled from Docker Hub`, {
      reason: 'registry-no-host',
      file: ctx.decl.file,
      ...ctx.decl.doc.position(path, 'value'),
      service: ctx.decl.name,
      environment: env,
      hint: `set registries.${name}.host to the registry the cluster pulls from (for Docker Hub: docker.io)`,
    }),
  );
}

function checkDisruptionBudget(ctx: Ctx): void {
  const pdb = ctx.spec.disruptionBudget;
  if (!isObj(pdb) || isObj(ctx.spec.autoscaling)) return;
  const replicas = typeof ctx.spec.replicas === 'number' ? ctx.spec.replicas : 1;
  const blocks = (typeof pdb.minAvailable === 'number' && pdb.minAvailable >= replicas) || pdb.minAvailable === '100%' || pdb.maxUnavailable === 0 || pdb.maxUnavailable === '0%';
  if (blocks) {
    report(ctx, ['disruptionBudget'], `the PodDisruptionBudget allows no disruption with ${replicas} replica${replicas === 1 ? '' : 's'}: node drains and cluster upgrades would block`, { reason: 'pdb-blocks', hint: 'lower minAvailable below replicas, or raise replicas' }, 'key', 'warning');
  }
}
