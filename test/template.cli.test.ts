/** Templates through the CLI (issue 10): render diagnostics at the template's position, `gitopsc context`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { baseProject, cli, makeProject } from './helpers/project.js';

function project(templates: Record<string, string>, edit?: (f: Record<string, string>) => void): string {
  const files = baseProject();
  files['gitopsc.config.yaml'] += 'templates: tpl\n';
  // the templates directory exists even when a test adds no template to it
  files['tpl/README.md'] = 'project templates\n';
  for (const [k, v] of Object.entries(templates)) files[`tpl/${k}`] = v;
  edit?.(files);
  return makeProject(files);
}

describe('render: TEMPLATE diagnostics at the template position, naming service and environment', () => {
  it('a field the service does not have', async () => {
    const dir = project({ 'kubernetes/route.yaml.hbs': 'apiVersion: v1\nkind: ConfigMap\ndata:\n  host: https://{{spec.ingress.host}}/\n' });
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).toBe(1);
    const ds = r.json.diagnostics as unknown as { code: string; reason: string; file: string; line: number; column: number; service: string; environment: string; message: string }[];
    expect(ds.map((d) => [d.code, d.reason, d.file, d.line, d.column, d.service, d.environment]).sort()).toEqual([
      ['TEMPLATE', 'render-failed', 'tpl/kubernetes/route.yaml.hbs', 4, 17, 'web', 'dev'],
      ['TEMPLATE', 'render-failed', 'tpl/kubernetes/route.yaml.hbs', 4, 17, 'web', 'prod'],
    ]);
    // the missing segment is named
    expect(ds[0]!.message).toContain('"ingress"');
  });

  it('template text that does not parse, at its own line', async () => {
    const dir = project({ 'kubernetes/cm.yaml.hbs': 'apiVersion: v1\nkind: ConfigMap\ndata:\n  a: {{service.name}}\n   b: [1\n' });
    await cli(dir, 'resolve');
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).toBe(1);
    const lines = new Set(r.json.diagnostics.map((d) => `${d.file}:${d.line}`));
    expect([...lines]).toEqual(['tpl/kubernetes/cm.yaml.hbs:5']);
  });

  it('a ConfigMap a Helm user writes renders what they meant, for a service named on with tag 1.10', async () => {
    const dir = project(
      {
        'kubernetes/configmap.yaml.hbs': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{service.name}}-config
  labels:
    app.kubernetes.io/name: "{{service.name}}"
    version: {{artifact.tag}}
  annotations:
    checksum/env: {{sha256 spec.env}}
data:
  IMAGE: {{artifact.package}}:{{artifact.tag}}
  VERSION: v{{artifact.tag}}
  app.properties: |
    greeting=hello {{service.name}}
{{#each spec.env}}
  {{@key}}: {{this}}
{{/each}}
`,
      },
      (f) => {
        f['services/web.yaml'] = f['services/web.yaml']!.replace('name: web', 'name: "on"').replace('    replicas: 2', '    replicas: 2\n    env: { LOG_LEVEL: "no", NOTE: "a: b # c" }').replace('select: { strategy: semver, range: "^1.2" }', 'select: { strategy: exact, tag: "1.10" }');
        f['catalog.yaml'] = f['catalog.yaml']!.replace('"1.10.0"', '"1.10"');
      },
    );
    const res = await cli(dir, 'resolve', '--format', 'json');
    expect(res.json.diagnostics).toEqual([]);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    const text = readFileSync(join(dir, 'rendered/prod/on/configmap.yaml'), 'utf8');
    const want = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'on-config', labels: { 'app.kubernetes.io/name': 'on', version: '1.10' }, annotations: { 'checksum/env': expect.stringMatching(/^[0-9a-f]{64}$/) } },
      data: { IMAGE: 'shop/web:1.10', VERSION: 'v1.10', 'app.properties': 'greeting=hello on\n', LOG_LEVEL: 'no', NOTE: 'a: b # c' },
    };
    expect(parse(text, { version: '1.2' })).toEqual(want);
    expect(parse(text, { version: '1.1' })).toEqual(want);
  });
});

describe('gitopsc context', () => {
  it('prints the context per environment, as JSON and as YAML', async () => {
    const dir = project({});
    await cli(dir, 'resolve');
    const r = await cli(dir, 'context', 'web', '--env', 'prod', '--format', 'json');
    expect(r.code).toBe(0);
    const contexts = r.json.contexts as { service: string; environment: string; target: string; context: Record<string, Record<string, unknown>> }[];
    expect(contexts.map((c) => [c.service, c.environment, c.target])).toEqual([['web', 'prod', 'kubernetes']]);
    expect(Object.keys(contexts[0]!.context).sort()).toEqual(['artifact', 'environment', 'k8s', 'service', 'spec']);
    expect(contexts[0]!.context.artifact!.tag).toBe('1.10.0');
    expect(contexts[0]!.context.spec!.replicas).toBe(2);
    const t = await cli(dir, 'context', 'fn');
    expect(t.code).toBe(0);
    const docs = t.stdout.split('---\n').map((d) => parse(d) as Record<string, unknown>);
    expect(docs.map((d) => (d.environment as { name: string }).name)).toEqual(['dev', 'prod']);
    expect(Object.keys(docs[0]!).sort()).toEqual(['artifact', 'environment', 'lambda', 'service', 'spec']);
  });
  it('an unknown service is a usage error with a did-you-mean', async () => {
    const dir = project({});
    const r = await cli(dir, 'context', 'wbe', '--format', 'json');
    expect(r.code).toBe(2);
    expect(r.json.diagnostics[0]).toMatchObject({ code: 'USAGE', reason: 'unknown-service' });
    expect(r.json.diagnostics[0]!.message).toContain('did you mean "web"');
  });
});
