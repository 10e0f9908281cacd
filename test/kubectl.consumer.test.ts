/**
 * The real consumer: kubectl 1.32's typed decode and re-encode (`kubectl set ... --local`, which
 * decodes into the Go API types with no cluster) must keep every field of every rendered
 * Deployment and Service exactly: an unknown field would be dropped, a wrong type refused and a
 * non-canonical quantity rewritten. (kubectl has no offline typed path for other kinds; those are
 * covered by the API schema check in manifest-check.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { baseProject, cli, makeProject } from './helpers/project.js';

const KUBECTL = '/usr/bin/kubectl';
const ROOT = join(import.meta.dirname, '../fixtures');

function rendered(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? rendered(p) : p.endsWith('.yaml') ? [p] : [];
  });
}

/** Every field of `a` is in `b` with the same value; returns the paths that are not. */
function missing(a: unknown, b: unknown, path = ''): string[] {
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || b.length !== a.length) return [path];
    return a.flatMap((x, i) => missing(x, b[i], `${path}[${i}]`));
  }
  if (a && typeof a === 'object') {
    if (!b || typeof b !== 'object') return [path];
    return Object.entries(a).flatMap(([k, v]) => missing(v, (b as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return a === b ? [] : [`${path}: ${JSON.stringify(a)} became ${JSON.stringify(b)}`];
}

const files = ['example/rendered', 'web-service/rendered'].flatMap((d) => rendered(join(ROOT, d)));
const cases = files
  .map((f) => ({ f, doc: parse(readFileSync(f, 'utf8')) as { kind: string; metadata: { name: string }; spec: Record<string, unknown> } }))
  .filter((c) => c.doc.kind === 'Deployment' || c.doc.kind === 'Service')
  .map((c) => ({ name: c.f.slice(ROOT.length + 1), ...c }));

/** A service that sets every pod-spec field gitopsc types, rendered into a temporary project. */
async function everyField(): Promise<string> {
  const files = baseProject();
  delete files['services/fn.yaml'];
  files['services/web.yaml'] = files['services/web.yaml']!.replace(
    '    replicas: 2',
    `    replicas: 2
    namespace: shop
    command: [/app/web]
    args: ["--port=8080"]
    workingDir: /app
    imagePullPolicy: IfNotPresent
    env: { A: "1", S: { secretKeyRef: { name: s, key: k, optional: true } }, C: { configMapKeyRef: { name: c, key: k } }, P: { fieldRef: { fieldPath: metadata.name } }, M: { resourceFieldRef: { resource: limits.memory, divisor: 1Mi } } }
    envFrom: [{ configMapRef: { name: web-config } }, { secretRef: { name: web-secrets, optional: true }, prefix: S_ }]
    volumeMounts: [{ name: config, mountPath: /etc/web, readOnly: true, subPath: app.yaml }, { name: tmp, mountPath: /tmp }, { name: data, mountPath: /data }, { name: all, mountPath: /all }]
    securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: [ALL], add: [NET_BIND_SERVICE] }, seccompProfile: { type: RuntimeDefault } }
    lifecycle: { preStop: { exec: { command: [sleep, "5"] } }, postStart: { httpGet: { path: /started, port: http } } }
    resources: { requests: { cpu: 0.1, memory: 0.5Gi, ephemeral-storage: 1Gi }, limits: { cpu: 2000m, memory: 1536Mi } }
    probes:
      readiness: { httpGet: { path: /ready, port: http, httpHeaders: [{ name: X, value: y }] }, periodSeconds: 5, failureThreshold: 3 }
      liveness: { tcpSocket: { port: 8080 }, initialDelaySeconds: 10 }
      startup: { grpc: { port: 9090 }, periodSeconds: 2 }
    strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: "25%" } }
    minReadySeconds: 5
    revisionHistoryLimit: 3
    serviceAccount: { create: true }
    imagePullSecrets: [pull]
    pod:
      annotations: { a: b }
      labels: { tier: web }
      volumes:
        - { name: config, configMap: { name: web-config, defaultMode: 420, items: [{ key: app.yaml, path: app.yaml }] } }
        - { name: tmp, emptyDir: { medium: Memory, sizeLimit: 0.5Gi } }
        - { name: data, persistentVolumeClaim: { claimName: web-data } }
        - { name: all, projected: { sources: [{ secret: { name: s } }, { serviceAccountToken: { path: token, audience: vault, expirationSeconds: 3600 } }, { downwardAPI: { items: [{ path: labels, fieldRef: { fieldPath: metadata.labels } }] } }] } }
      securityContext: { fsGroup: 2000, fsGroupChangePolicy: OnRootMismatch, supplementalGroups: [3000], sysctls: [{ name: net.ipv4.ip_local_port_range, value: "1024 65000" }] }
      nodeSelector: { kubernetes.io/os: linux }
      tolerations: [{ key: dedicated, operator: Equal, value: web, effect: NoSchedule }, { operator: Exists, effect: NoExecute, tolerationSeconds: 60 }]
      affinity:
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: kubernetes.io/arch, operator: In, values: [amd64] }] }] } }
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: kubernetes.io/hostname, labelSelector: { matchLabels: { app.kubernetes.io/name: web } } } }] }
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: { matchLabels: { app.kubernetes.io/name: web } } }]
      priorityClassName: high
      terminationGracePeriodSeconds: 30
      dnsPolicy: ClusterFirst
      hostAliases: [{ ip: 10.0.0.1, hostnames: [db.local] }]
      initContainers: [{ name: migrate, args: [migrate] }, { name: proxy, image: "envoyproxy/envoy:v1.31.0", restartPolicy: Always, ports: [{ name: admin, containerPort: 9901 }] }]
      containers: [{ name: log, image: "busybox:1.36", command: [sh, -c, "tail -f /dev/null"], resources: { requests: { cpu: 10m } } }]`,
  );
  files['services/web.yaml'] = files['services/web.yaml']!.replace('    ports: [{ name: http, containerPort: 8080 }]', '    ports: [{ name: http, containerPort: 8080 }, { name: grpc, containerPort: 9090 }]');
  const dir = makeProject(files);
  expect((await cli(dir, 'resolve')).code).toBe(0);
  const r = await cli(dir, 'render', '--format', 'json', '--env', 'dev');
  expect(r.json.diagnostics).toEqual([]);
  return join(dir, 'rendered/dev/web/deployment.yaml');
}

describe.skipIf(!existsSync(KUBECTL))('kubectl 1.32 typed round trip', () => {
  it('has rendered resources to check', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });
  it('a Deployment that sets every typed field survives kubectl typed decode unchanged', async () => {
    const f = await everyField();
    roundTrip(f, parse(readFileSync(f, 'utf8')) as (typeof cases)[number]['doc']);
  });
  it.each(cases)('$name survives kubectl typed decode unchanged', ({ f, doc }) => roundTrip(f, doc));
});

function roundTrip(f: string, doc: (typeof cases)[number]['doc']): void {
  {
    const env = { ...process.env, KUBECONFIG: '/dev/null' };
    let args: string[];
    const want = structuredClone(doc) as Record<string, unknown> & typeof doc;
    if (doc.kind === 'Deployment') {
      // a no-op prints nothing: change the main container's image to a sentinel and expect that
      args = ['set', 'image', '--local', '-f', f, `${doc.metadata.name}=sentinel.example/img:1`, '-o', 'json'];
      const containers = (want.spec.template as { spec: { containers: { name: string; image: string }[] } }).spec.containers;
      containers.find((c) => c.name === doc.metadata.name)!.image = 'sentinel.example/img:1';
    } else {
      args = ['set', 'selector', '--local', '-f', f, 'sentinel=1', '-o', 'json'];
      want.spec.selector = { sentinel: '1' };
    }
    const out = JSON.parse(execFileSync(KUBECTL, args, { env, encoding: 'utf8' })) as unknown;
    expect(missing(want, out)).toEqual([]);
  }
}
