/** Rendering: golden output of the bundled example, injection safety, template overrides. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compile, fsSource } from '../src/pipeline.js';
import { emitYaml } from '../src/core/emit.js';
import { baseProject, cli, makeProject } from './helpers/project.js';
import { expectGoldenFixture } from './helpers/golden-fixture.js';

const EXAMPLE = join(import.meta.dirname, '../fixtures/example');
// The example's committed lock and rendered/ directory are the golden files.
describe('golden: the bundled example', () => {
  it('renders exactly the golden files (UPDATE_GOLDEN=1 to accept changes)', async () => {
    await expectGoldenFixture(EXAMPLE, { withRecord: true });
  });
});

describe('injection is impossible by construction', () => {
  const hostile: Record<string, string> = {
    NEWLINE_KEY: 'x\n    evil: true',
    QUOTE_BREAK: 'a" \n securityContext: {privileged: true}\n x: "',
    DOC: 'svc\n---\nkind: Secret',
    NORWAY: 'no',
    ON: 'on',
    VERSION: '1.10',
    OCTAL: '0755',
    NULLISH: '~',
    ALIAS: '*alias',
    ANCHOR: '&anchor x',
    TAG: '!!js/function f',
    COMMENT: 'a #comment',
    FLOW: '{a: 1}',
    UNICODE: 'ü \u2028 \u0085 😀',
    EMPTY: '',
  };

  it('every value round-trips exactly and adds no key', async () => {
    const files = baseProject();
    const env = Object.entries(hostile)
      .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)
      .join('\n');
    files['services/web.yaml'] = files['services/web.yaml']!.replace('    replicas: 2', `    replicas: 2\n    env:\n${env}`);
    const dir = makeProject(files);
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    const text = readFileSync(join(dir, 'rendered/dev/web/deployment.yaml'), 'utf8');
    const doc = parse(text, { version: '1.1' }) as { spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } } };
    const container = doc.spec.template.spec.containers[0]!;
    expect(Object.keys(container).sort()).toEqual(['env', 'image', 'name', 'ports']);
    expect(Object.fromEntries(container.env.map((e) => [e.name, e.value]))).toEqual(hostile);
  });

  it('emitYaml quotes every YAML 1.1-ambiguous scalar', () => {
    for (const s of ['yes', 'no', 'on', 'off', 'y', 'n', 'true', 'null', '~', '1.10', '0755', '2024-01-01', '1e3', '.inf', '-', '']) {
      const out = emitYaml({ k: s });
      expect(parse(out, { version: '1.1' })).toEqual({ k: s });
      expect(parse(out)).toEqual({ k: s });
    }
  });
});

describe('project templates', () => {
  it('override a built-in and add a new resource', async () => {
    const files = baseProject();
    files['gitopsc.config.yaml'] += 'templates: tpl\n';
    files['tpl/kubernetes/service.yaml.hbs'] = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{concat service.name "-custom"}}\n';
    files['tpl/kubernetes/configmap.yaml.hbs'] =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{service.name}}\ndata:\n  image: {{artifact.image}}\n  env: {{environment.name}}\n  production: {{#if environment.production}}"yes"{{else}}"no"{{/if}}\n';
    const dir = makeProject(files);
    await cli(dir, 'resolve');
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(readFileSync(join(dir, 'rendered/prod/web/service.yaml'), 'utf8')).toContain('name: web-custom');
    expect(readFileSync(join(dir, 'rendered/prod/web/configmap.yaml'), 'utf8')).toBe(
      `apiVersion: v1\ndata:\n  env: prod\n  image: "registry.example.com/shop/web:1.10.0@sha256:${'b'.repeat(64)}"\n  production: "yes"\nkind: ConfigMap\nmetadata:\n  name: web\n`,
    );
  });
});

describe('built-in templates are canonical by construction', () => {
  it('their output survives parse-and-re-emit unchanged, with every optional field set', async () => {
    const { canonicalize } = await import('../src/render/render.js');
    const files = baseProject();
    files['services/web.yaml'] = files['services/web.yaml']!.replace(
      '    replicas: 2',
      `    replicas: 2
    namespace: shop
    annotations: { "example.com/owner": "team-a", note: "yes" }
    env: { B: "1.10", A: "no", C: "x: y # z" }
    resources: { requests: { cpu: 100m }, limits: { memory: 1Gi } }
    probes:
      readiness: { httpGet: { path: /ready, port: http } }
      liveness: { tcpSocket: { port: 8080 }, periodSeconds: 5 }
      startup: { exec: { command: [cat, /tmp/ok] } }
    ingress: { host: web.example.com, className: nginx, tls: { secretName: web-tls }, annotations: { a: b } }
    autoscaling: { minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 60 }
    serviceAccountName: web
    imagePullSecrets: [pull-a, pull-b]
    command: [/app/web]
    args: ["--port=8080", "yes"]
    workingDir: /app
    envFrom: [{ configMapRef: { name: web-config } }, { secretRef: { name: web-secrets, optional: true }, prefix: S_ }]
    volumeMounts: [{ name: config, mountPath: /etc/web, readOnly: true }]
    securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
    lifecycle: { preStop: { sleep: { seconds: 5 } } }
    strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: "25%" } }
    minReadySeconds: 5
    revisionHistoryLimit: 0
    disruptionBudget: { minAvailable: 1 }
    serviceAccount: { create: true, annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/web" }, automountServiceAccountToken: false }
    pod:
      annotations: { "prometheus.io/scrape": "true" }
      labels: { tier: frontend }
      volumes:
        - { name: config, configMap: { name: web-config } }
        - { name: tmp, emptyDir: { sizeLimit: 0.5Gi } }
      securityContext: { fsGroup: 2000, seccompProfile: { type: RuntimeDefault } }
      nodeSelector: { kubernetes.io/os: linux }
      tolerations: [{ key: dedicated, operator: Equal, value: web, effect: NoSchedule }]
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: kubernetes.io/hostname, labelSelector: { matchLabels: { app.kubernetes.io/name: web } } } }] } }
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway }]
      priorityClassName: high
      terminationGracePeriodSeconds: 30
      initContainers: [{ name: migrate, args: [migrate] }, { name: proxy, image: "envoyproxy/envoy:v1.31.0", restartPolicy: Always }]
      containers: [{ name: log, image: "busybox:1.36", resources: { requests: { cpu: 0.05 } }, env: { DB: { secretKeyRef: { name: db, key: password } } } }]`,
    );
    const dir = makeProject(files);
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const state = await compile(fsSource(dir), { configFile: 'gitopsc.config.yaml' });
    expect(state.diagnostics).toEqual([]);
    const names = state.files.filter((f) => f.service === 'web').map((f) => f.path.split('/').pop());
    expect(new Set(names)).toEqual(new Set(['deployment.yaml', 'service.yaml', 'ingress.yaml', 'horizontalpodautoscaler.yaml', 'poddisruptionbudget.yaml', 'serviceaccount.yaml']));
    for (const f of state.files.filter((x) => x.path.endsWith('.yaml'))) {
      expect(canonicalize(f.content, 'yaml'), f.path).toEqual({ ok: true, content: f.content });
    }
  });
});
