/** Rendered resources checked against the Kubernetes API schema and project CRDs (issue 11 part 3). */
import { describe, expect, it } from 'vitest';
import { apiSchema, validateResource } from '../src/validate/kubernetes/api-schema.js';
import { baseProject, cli, makeProject } from './helpers/project.js';

const schema = apiSchema('1.32')!;

describe('the Kubernetes 1.32 API schema', () => {
  const deployment = (spec: Record<string, unknown>) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'web', image: 'x:1', ...spec }] } } },
  });
  it.each([
    ['an unknown field', { imagePullPolicyy: 'Always' }, ['spec', 'template', 'spec', 'containers', 0, 'imagePullPolicyy'], /unknown field/],
    ['a wrong type', { stdin: 'yes' }, ['spec', 'template', 'spec', 'containers', 0, 'stdin'], /true or false/],
    ['a string where a list belongs', { args: '--x' }, ['spec', 'template', 'spec', 'containers', 0, 'args'], /list/],
    ['a float where an integer belongs', { ports: [{ containerPort: 80.5 }] }, ['spec', 'template', 'spec', 'containers', 0, 'ports', 0, 'containerPort'], /integer/],
    ['a missing required field', { env: [{ value: 'x' }] }, ['spec', 'template', 'spec', 'containers', 0, 'env', 0], /required field "name"/],
  ] as [string, Record<string, unknown>, (string | number)[], RegExp][])('refuses %s', (_n, spec, path, msg) => {
    const v = validateResource(schema, deployment(spec));
    expect(v.known).toBe(true);
    const problems = v.known ? v.problems : [];
    expect(problems.map((p) => p.path)).toEqual([path]);
    expect(problems[0]!.message).toMatch(msg);
  });
  it('accepts quantities as numbers and int-or-string values', () => {
    const v = validateResource(schema, deployment({ resources: { requests: { cpu: 1 } }, readinessProbe: { httpGet: { port: 'http' } } }));
    expect(v).toEqual({ known: true, problems: [] });
  });
  it('knows the kinds gitopsc renders', () => {
    for (const k of ['apps/v1/Deployment', 'v1/Service', 'networking.k8s.io/v1/Ingress', 'autoscaling/v2/HorizontalPodAutoscaler', 'policy/v1/PodDisruptionBudget', 'v1/ServiceAccount', 'v1/ConfigMap']) {
      expect(schema.kinds[k], k).toBeDefined();
    }
  });
});

describe('render checks every resource', () => {
  const project = (extra: Record<string, string>) => {
    const files = { ...baseProject(), ...extra };
    delete files['services/fn.yaml'];
    return files;
  };

  it('a project template with a misspelled field is MANIFEST_INVALID at the rendered line', async () => {
    const dir = makeProject(
      project({
        'gitopsc.config.yaml': baseProject()['gitopsc.config.yaml']! + 'templates: templates\n',
        'templates/kubernetes/configmap.yaml.hbs': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{service.name}}\n  lables: { a: b }\ndata: { a: b }\n',
      }),
    );
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.file, d.line, d.column])).toEqual([
      ['MANIFEST_INVALID', 'rendered/dev/web/configmap.yaml', 6, 3],
      ['MANIFEST_INVALID', 'rendered/prod/web/configmap.yaml', 6, 3],
    ]);
  });

  it('a patch that adds an unknown field points at the service file too', async () => {
    const files = project({});
    files['services/web.yaml'] += '    patches:\n      - target: { kind: Deployment }\n        patch: { spec: { template: { spec: { containers: [{ name: web, imagePullPolicyy: Always }] } } } }\n';
    const dir = makeProject(files);
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'render', '--format', 'json', '--env', 'dev');
    const d = r.json.diagnostics as { code: string; file: string; line: number; related?: { file: string; line: number }[] }[];
    expect(d.map((x) => [x.code, x.file])).toEqual([['MANIFEST_INVALID', 'rendered/dev/web/deployment.yaml']]);
    expect(d[0]!.related?.[0]?.file).toBe('services/web.yaml');
  });

  it('custom resources are checked against the project CRDs, strictly', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: monitors.example.com }
spec:
  group: example.com
  names: { kind: Monitor, plural: monitors }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: { type: string }
            kind: { type: string }
            metadata: { type: object }
            spec:
              type: object
              required: [interval]
              properties:
                interval: { type: string }
`;
    const tpl = (field: string) => `apiVersion: example.com/v1\nkind: Monitor\nmetadata:\n  name: {{service.name}}\nspec:\n  ${field}: "30s"\n`;
    const files = (field: string) =>
      project({
        'gitopsc.config.yaml': baseProject()['gitopsc.config.yaml']! + 'templates: templates\nkubernetes: { version: "1.32", crds: crds }\n',
        'crds/monitor.yaml': crd,
        'templates/kubernetes/monitor.yaml.hbs': tpl(field),
      });
    const ok = makeProject(files('interval'));
    expect((await cli(ok, 'resolve')).code).toBe(0);
    expect((await cli(ok, 'render', '--format', 'json')).json.diagnostics).toEqual([]);
    const bad = makeProject(files('intervall'));
    expect((await cli(bad, 'resolve')).code).toBe(0);
    const r = await cli(bad, 'render', '--format', 'json', '--env', 'dev');
    expect(r.json.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([
      ['MANIFEST_INVALID', 'rendered/dev/web/monitor.yaml', 5],
      ['MANIFEST_INVALID', 'rendered/dev/web/monitor.yaml', 6],
    ]);
  });

  it('an unknown Kubernetes version is a SCHEMA error at the config', async () => {
    const dir = makeProject(project({ 'gitopsc.config.yaml': baseProject()['gitopsc.config.yaml']! + 'kubernetes: { version: "1.99" }\n' }));
    const r = await cli(dir, 'validate', '--format', 'json');
    expect(r.json.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['SCHEMA', 'gitopsc.config.yaml', 10]]);
  });
});
