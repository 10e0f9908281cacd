/** Cross-object rules for Kubernetes targets (issue 11 part 4): one row per rule, asserting code and position. */
import { describe, expect, it } from 'vitest';
import { baseProject, cli, DIGEST, makeProject } from './helpers/project.js';

/** A service file whose `kubernetes:` block is `kube` (lines from line 11 on). */
function service(kube: string, name = 'web', extra = ''): string {
  return `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: ${name}
spec:
  artifact:
    registry: local
    package: shop/web
    select: { strategy: semver, range: "^1.2" }
  kubernetes:
${kube}${extra}`;
}

async function validate(files: Record<string, string>) {
  const dir = makeProject(files);
  return (await cli(dir, 'validate', '--format', 'json')).json.diagnostics;
}

interface Row {
  rule: string;
  kube: string;
  name?: string;
  extra?: string;
  /** expected [line, column] of the one KUBERNETES diagnostic */
  at: [number, number];
  /** how many (one per environment when each environment composes its own value) */
  count?: number;
}

const PORTS = '    ports: [{ name: http, containerPort: 8080 }]\n';
const rows: Row[] = [
  { rule: 'instance label longer than 63 after composition', name: 'a'.repeat(60), kube: PORTS, at: [4, 9], count: 2 },
  { rule: 'a Service name must be DNS-1035', name: '9lives', kube: `${PORTS}    service: { port: 80, targetPort: http }\n`, at: [4, 9] },
  { rule: 'service.targetPort names an undeclared port', kube: `${PORTS}    service: { port: 80, targetPort: grpc }\n`, at: [12, 38] },
  { rule: 'a probe names an undeclared port', kube: `${PORTS}    probes: { readiness: { httpGet: { path: /, port: metrics } } }\n`, at: [12, 54] },
  { rule: 'a lifecycle hook names an undeclared port', kube: `${PORTS}    lifecycle: { preStop: { tcpSocket: { port: admin } } }\n`, at: [12, 48] },
  { rule: 'service.protocol contradicts the container port', kube: `    ports: [{ name: dns, containerPort: 53, protocol: UDP }]\n    service: { port: 53, targetPort: dns, protocol: TCP }\n`, at: [12, 53] },
  { rule: 'an Ingress without a Service', kube: `${PORTS}    ingress: { host: web.example.com }\n`, at: [12, 5] },
  { rule: 'className and ingressClassName differ', kube: `${PORTS}    service: { port: 80 }\n    ingress: { host: web.example.com, className: a, ingressClassName: b }\n`, at: [13, 50] },
  { rule: 'HPA on CPU without a CPU request', kube: `${PORTS}    autoscaling: { maxReplicas: 3 }\n`, at: [12, 5] },
  { rule: 'HPA on CPU with a sidecar that requests no CPU', kube: `${PORTS}    resources: { requests: { cpu: 100m } }\n    autoscaling: { maxReplicas: 3 }\n    pod: { containers: [{ name: log, image: "busybox:1.36" }] }\n`, at: [14, 33] },
  { rule: 'a volume mount names an undeclared volume', kube: `${PORTS}    volumeMounts: [{ name: config, mountPath: /etc/web }]\n`, at: [12, 28] },
  { rule: 'a sidecar image with + in its tag', kube: `${PORTS}    pod: { containers: [{ name: log, image: "busybox:1.0+b7" }] }\n`, at: [12, 45] },
  { rule: 'a sidecar image that is not pinned', kube: `${PORTS}    pod: { initContainers: [{ name: init, image: busybox }] }\n`, at: [12, 50] },
  { rule: 'a sidecar named like the main container', kube: `${PORTS}    pod: { containers: [{ name: web, image: "busybox:1.36" }] }\n`, at: [12, 33] },
  { rule: 'pod.labels cannot override a selector label', kube: `${PORTS}    pod: { labels: { app.kubernetes.io/name: x } }\n`, at: [12, 22] },
  { rule: 'metadata.labels cannot override a gitopsc label', name: 'web\n  labels: { app.kubernetes.io/instance: x }', kube: PORTS, at: [5, 13] },
  { rule: 'serviceAccount.name and serviceAccountName differ', kube: `${PORTS}    serviceAccountName: a\n    serviceAccount: { name: b }\n`, at: [13, 29] },
  { rule: 'an env value refers to a variable rendered after it', kube: `${PORTS}    env: { A_URL: "http://$(HOST)", HOST: db }\n`, at: [12, 19] },
  { rule: 'a PDB that allows no disruption (warning)', kube: `${PORTS}    replicas: 2\n    disruptionBudget: { minAvailable: 2 }\n`, at: [13, 5] },
  { rule: 'an override is located in the environment block', kube: PORTS, extra: '  environments:\n    prod:\n      kubernetes: { service: { port: 80, targetPort: web } }\n', at: [14, 54] },
];

describe('Kubernetes cross-object rules', () => {
  it.each(rows)('$rule', async (row) => {
    const files = baseProject();
    delete files['services/fn.yaml'];
    files['services/web.yaml'] = service(row.kube, row.name, row.extra);
    const diags = await validate(files);
    const k = diags.filter((d) => d.code === 'KUBERNETES');
    expect(diags.filter((d) => d.code !== 'KUBERNETES')).toEqual([]);
    expect(k.map((d) => [d.file, d.line, d.column])).toEqual(Array.from({ length: row.count ?? 1 }, () => ['services/web.yaml', ...row.at]));
  });

  it('accepts a service that follows every rule', async () => {
    const files = baseProject();
    files['services/web.yaml'] = service(`${PORTS}    resources: { requests: { cpu: 100m } }
    service: { port: 80, targetPort: http }
    ingress: { host: web.example.com, ingressClassName: nginx }
    autoscaling: { maxReplicas: 3 }
    probes: { readiness: { httpGet: { path: /, port: http } } }
    volumeMounts: [{ name: config, mountPath: /etc/web }]
    pod: { volumes: [{ name: config, configMap: { name: web } }], initContainers: [{ name: init, image: "busybox:1.36@${DIGEST('f')}" }] }
`);
    expect(await validate(files)).toEqual([]);
  });

  it('a registry without a host is an error for Kubernetes targets', async () => {
    const files = baseProject();
    files['gitopsc.config.yaml'] = files['gitopsc.config.yaml']!.replace('    host: registry.example.com\n', '');
    const diags = await validate(files);
    expect(diags.map((d) => [d.code, d.file, d.line, d.column])).toEqual([['KUBERNETES', 'services/web.yaml', 7, 15]]);
  });

  it('a catalog tag with + is refused at render with a hint', async () => {
    const files = baseProject();
    delete files['services/fn.yaml'];
    files['catalog.yaml'] = `packages:\n  shop/web:\n    - { tag: "1.2.1+build.7", digest: "${DIGEST('a')}" }\n`;
    const dir = makeProject(files);
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).toBe(1);
    const d = r.json.diagnostics as { code: string; line: number; column: number; hint?: string }[];
    expect(d.map((x) => [x.code, x.line, x.column])).toEqual([
      ['KUBERNETES', 6, 3],
      ['KUBERNETES', 6, 3],
    ]);
    expect(d[0]!.hint).toMatch(/\+/);
  });
});
