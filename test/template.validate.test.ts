/**
 * `validate` checks templates offline (issue 10, part 4): parse errors, unknown helpers, and every
 * path a template reads against the context shape of its target, at the template's line and column.
 */
import { describe, expect, it } from 'vitest';
import { buildContext, type RenderUnit } from '../src/render/context.js';
import { contextShape, type Shape } from '../src/render/shape.js';
import { checkTemplatePaths } from '../src/render/template-paths.js';
import { baseProject, cli, makeProject } from './helpers/project.js';

const k8s = contextShape('kubernetes');
const lambda = contextShape('lambda');

describe('paths a template reads, against the context shape', () => {
  const rows: { tpl: string; shape?: Shape; want: [number, number, string][] }[] = [
    { tpl: 'a: {{service.name}}\n', want: [] },
    { tpl: 'a: {{servce.name}}\n', want: [[1, 4, '"servce"']] },
    { tpl: 'a: {{service.nmae}}\n', want: [[1, 4, '"nmae"']] },
    { tpl: '{{#if spec.ingres}}\na: 1\n{{/if}}\n', want: [[1, 1, '"ingres"']] },
    { tpl: 'x:\n{{#each spec.port}}\n  - {{name}}\n{{/each}}\n', want: [[2, 1, '"port"']] },
    { tpl: 'x:\n{{#each spec.ports}}\n  - {{name}}-{{containerPort}}-{{nmae}}\n{{/each}}\n', want: [[3, 32, '"nmae"']] },
    { tpl: 'x:\n{{#each spec.ports as |p|}}\n  - {{p.name}}-{{p.nam}}\n{{/each}}\n', want: [[3, 16, '"nam"']] },
    { tpl: 'x:\n{{#each spec.env}}\n  {{@key}}: {{this}}-{{../service.name}}-{{../servic}}\n{{/each}}\n', want: [[3, 42, '"servic"']] },
    { tpl: '{{#with spec.service}}\np: {{port}}\nq: {{prot}}\n{{/with}}\n', want: [[3, 4, '"prot"']] },
    { tpl: 'a: {{spec.env.ANY_NAME}}\nb: {{spec.resources.limits.memory}}\nc: {{k8s.labels.x}}\n', want: [] },
    { tpl: 'a: {{spec.replicas.x}}\n', want: [[1, 4, 'single value']] },
    { tpl: 'a: {{trunc servce.name 3}}\nb: {{sha256 (json spec.nope)}}\n', want: [[1, 4, '"servce"'], [2, 4, '"nope"']] },
    { tpl: 'a: {{@root.spec.replicas}} {{@root.spec.replica}}\n', want: [[1, 28, '"replica"']] },
    { tpl: 'a: {{spec.functionName}}\n', want: [[1, 4, '"functionName"']] },
    { tpl: 'a: {{spec.functionName}} {{lambda.code.S3Key}}\n', shape: lambda, want: [] },
    { tpl: 'a: {{k8s.labels}}\n', shape: lambda, want: [[1, 4, '"k8s"']] },
  ];
  it.each(rows)('$tpl', ({ tpl, shape, want }) => {
    const got = checkTemplatePaths(tpl, shape ?? k8s);
    expect(got.map((p) => [p.line, p.column])).toEqual(want.map(([l, c]) => [l, c]));
    got.forEach((p, i) => expect(p.message).toContain(want[i]![2]));
  });

  it('suggests the right name', () => {
    const [p] = checkTemplatePaths('a: {{servce.name}}\n', k8s);
    expect(p!.message).toContain('did you mean "service"');
  });
});

/** Every key buildContext produces is in the shape (the two are written side by side). */
function conforms(v: unknown, s: Shape, path: string): string[] {
  if (s.t === 'any' || v === undefined || v === null) return [];
  if (s.t === 'leaf') return typeof v === 'object' ? [`${path} is an object, shape says leaf`] : [];
  if (s.t === 'list') return Array.isArray(v) ? v.flatMap((x, i) => conforms(x, s.items, `${path}.${i}`)) : [`${path} is not a list`];
  if (typeof v !== 'object' || Array.isArray(v)) return [`${path} is not a mapping`];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => {
    const next = s.props[k] ?? s.extra;
    return next ? conforms(x, next, `${path}.${k}`) : [`${path}.${k} is missing from the shape`];
  });
}

describe('the shape describes the context buildContext builds', () => {
  const lock = { registry: 'r', package: 'p', tag: '1.0.0', digest: 'sha256:' + 'a'.repeat(64), strategy: 'semver', fingerprint: 'x', fileDigest: 'sha256:' + 'b'.repeat(64), labels: { a: 'b' }, created: '2026-01-01' };
  it('kubernetes, every optional field set', () => {
    const unit = {
      service: 'web', file: 's.yaml', environment: { name: 'prod', production: true }, labels: { team: 'a' }, target: 'kubernetes',
      spec: { namespace: 'n', replicas: 2, ports: [{ name: 'http', containerPort: 80 }], env: { A: 'b' }, resources: { limits: { cpu: '1' } }, probes: { readiness: { httpGet: { path: '/', port: 80 } } }, service: { port: 80 }, ingress: { host: 'h', tls: { secretName: 's' } }, autoscaling: { maxReplicas: 3 }, imagePullSecrets: ['x'] },
      artifact: { registry: 'r', package: 'p', format: 'image', reference: 'h/p' },
      lock,
    } as unknown as RenderUnit;
    expect(conforms(buildContext(unit), k8s, '')).toEqual([]);
  });
  it('lambda, zip and image', () => {
    for (const format of ['file', 'image'] as const) {
      const unit = {
        service: 'fn', file: 's.yaml', environment: { name: 'prod', production: true }, labels: {}, target: 'lambda',
        spec: { functionName: 'f', role: 'arn', runtime: 'nodejs22.x', handler: 'i.h', code: { s3Bucket: 'b' }, architectures: ['arm64'], environment: { A: 'b' }, alias: { name: 'live' } },
        artifact: { registry: 'r', package: 'p', format, file: 'f.zip', reference: 'h/p' },
        lock,
      } as unknown as RenderUnit;
      expect(conforms(buildContext(unit), lambda, '')).toEqual([]);
    }
  });
});

describe('gitopsc validate', () => {
  it('reports a misspelt variable, an unknown helper and a parse error in templates, at their positions', async () => {
    const files = baseProject();
    files['gitopsc.config.yaml'] += 'templates: tpl\n';
    files['tpl/kubernetes/configmap.yaml.hbs'] = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{servce.name}}-config\n';
    files['tpl/kubernetes/pdb.yaml.hbs'] = 'apiVersion: v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {{toUpper service.name}}\n';
    files['tpl/kubernetes/broken.yaml.hbs'] = 'a: 1\nb: {{#if x}}\n';
    files['tpl/lambda/extra.json.hbs'] = '{ "replicas": {{spec.replicas}} }\n';
    const dir = makeProject(files);
    const r = await cli(dir, 'validate', '--format', 'json');
    expect(r.code).toBe(1);
    const got = r.json.diagnostics.map((d) => [d.code, d.file, d.line, d.column]).sort();
    expect(got).toEqual(
      [
        ['TEMPLATE', 'tpl/kubernetes/broken.yaml.hbs', 2, 4],
        ['TEMPLATE', 'tpl/kubernetes/configmap.yaml.hbs', 4, 9],
        ['TEMPLATE', 'tpl/kubernetes/pdb.yaml.hbs', 4, 9],
        ['TEMPLATE', 'tpl/lambda/extra.json.hbs', 1, 15],
      ].sort(),
    );
    const msg = r.json.diagnostics.find((d) => d.file === 'tpl/kubernetes/configmap.yaml.hbs')!.message;
    expect(msg).toContain('did you mean "service"');
  });
});

describe('gitopsc validate tries project templates against every locked service and environment', () => {
  it('a field one service lacks fails validate, at the template position, naming service and environment', async () => {
    const files = baseProject();
    files['gitopsc.config.yaml'] += 'templates: tpl\n';
    files['tpl/kubernetes/route.yaml.hbs'] = 'apiVersion: v1\nkind: ConfigMap\ndata:\n  host: {{spec.ingress.host}}\n';
    files['services/web.yaml'] = files['services/web.yaml']!.replace('  environments:', '').concat('  environments:\n    prod:\n      kubernetes: { ingress: { host: web.example.com } }\n');
    const dir = makeProject(files);
    // without a lock there is nothing to try: the static checks pass
    expect((await cli(dir, 'validate', '--format', 'json')).code).toBe(0);
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'validate', '--format', 'json');
    expect(r.code).toBe(1);
    const ds = r.json.diagnostics as unknown as { code: string; file: string; line: number; column: number; service: string; environment: string }[];
    expect(ds.map((d) => [d.code, d.file, d.line, d.column, d.service, d.environment])).toEqual([['TEMPLATE', 'tpl/kubernetes/route.yaml.hbs', 4, 9, 'web', 'dev']]);
  });
});
