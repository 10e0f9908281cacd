/**
 * Contextual interpolation (issue 10): templates written the way Helm users write them render
 * the values their authors meant, read value by value by a YAML 1.2 reader (`yaml`), a YAML 1.1
 * reader (`yaml` with version 1.1, and PyYAML when python3 has it), and JSON.parse.
 */
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createTemplateEngine } from '../src/render/handlebars.js';
import { TemplateError } from '../src/render/contextual.js';

const engine = createTemplateEngine();

function ctx(over: { name?: string; tag?: string; spec?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    service: { name: over.name ?? 'checkout', labels: { team: 'payments' } },
    environment: { name: 'prod', production: true },
    artifact: { registry: 'har', package: 'payments/checkout', tag: over.tag ?? '1.5.0', digest: 'sha256:' + 'a'.repeat(64), image: 'r.example.com/payments/checkout:1.5.0', fileDigest: '', labels: {}, created: '' },
    spec: over.spec ?? { replicas: 2, env: { LOG_LEVEL: 'info', B: 'yes' }, ports: [{ name: 'http', containerPort: 8080 }], service: { port: 80 } },
  };
}

function render(source: string, context: object, kind: 'yaml' | 'json' = 'yaml'): string {
  return engine.compile(source, kind)(context);
}

function renderError(source: string, context: object, kind: 'yaml' | 'json' = 'yaml'): TemplateError {
  try {
    engine.compile(source, kind)(context);
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('expected a TemplateError');
}

/** Debian's python3 (python3-yaml, which .ci/run installs) first, as emit.fuzz.consumer.test.ts reads: a python3 on PATH may be a version manager's shim (pyenv's: a shell script and five processes, ~0.5 s of CPU per start) */
const PYTHON = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0);
const PY = PYTHON !== undefined;

/** PyYAML (YAML 1.1, safe_load) of several documents at once, as JSON. */
function pyyaml(texts: string[]): unknown[] {
  const r = spawnSync(PYTHON!, ['-c', 'import sys,json,yaml\nfor d in json.load(sys.stdin): print(json.dumps(yaml.safe_load(d)))'], { input: JSON.stringify(texts), encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
}

/** Every reader sees exactly `want`. */
function readsAs(texts: string[], wants: unknown[]): void {
  texts.forEach((t, i) => {
    expect(parse(t, { version: '1.2' }), t).toEqual(wants[i]);
    expect(parse(t, { version: '1.1', merge: false }), t).toEqual(wants[i]);
  });
}

describe('templates as Helm users write them', () => {
  const cases: { name: string; tpl: string; ctx?: Parameters<typeof ctx>[0]; want: Record<string, unknown> }[] = [
    { name: 'image from package and tag', tpl: 'image: {{artifact.package}}:{{artifact.tag}}\n', want: { image: 'payments/checkout:1.5.0' } },
    { name: 'a prefix', tpl: 'VERSION: v{{artifact.tag}}\n', want: { VERSION: 'v1.5.0' } },
    { name: 'a quoted value', tpl: 'name: "{{service.name}}"\ntag: "{{artifact.tag}}"\n', want: { name: 'checkout', tag: '1.5.0' } },
    { name: 'a service named on, quoted', tpl: 'name: "{{service.name}}"\n', ctx: { name: 'on' }, want: { name: 'on' } },
    { name: 'a service named on, plain', tpl: 'name: {{service.name}}\n', ctx: { name: 'on' }, want: { name: 'on' } },
    { name: 'a suffix on a service named on', tpl: 'name: {{service.name}}-config\n', ctx: { name: 'on' }, want: { name: 'on-config' } },
    { name: 'a tag 1.10, whole', tpl: 'tag: {{artifact.tag}}\n', ctx: { tag: '1.10' }, want: { tag: '1.10' } },
    { name: 'a tag 1.10 with a suffix', tpl: 'tag: {{artifact.tag}}-x\n', ctx: { tag: '1.10' }, want: { tag: '1.10-x' } },
    { name: 'a single-quoted value', tpl: "tag: '{{artifact.tag}}'\n", ctx: { tag: '1.10' }, want: { tag: '1.10' } },
    { name: 'a number keeps its type', tpl: 'replicas: {{spec.replicas}}\n', want: { replicas: 2 } },
    { name: 'a quoted number is a string', tpl: 'replicas: "{{spec.replicas}}"\n', want: { replicas: '2' } },
    { name: 'a boolean keeps its type', tpl: 'production: {{environment.production}}\n', want: { production: true } },
    { name: 'a literal block', tpl: 'data:\n  app.properties: |\n    greeting={{service.name}}\n    tag={{artifact.tag}}\n', want: { data: { 'app.properties': 'greeting=checkout\ntag=1.5.0\n' } } },
    { name: 'a folded block', tpl: 'note: >\n  built from\n  {{artifact.tag}}\n', want: { note: 'built from 1.5.0\n' } },
    { name: 'a URL', tpl: 'url: https://{{service.name}}.example.com:{{spec.service.port}}/x?env={{environment.name}}\n', want: { url: 'https://checkout.example.com:80/x?env=prod' } },
    { name: 'a key from a value', tpl: 'labels:\n  {{service.name}}/tier: web\n  app: {{service.name}}\n', want: { labels: { 'checkout/tier': 'web', app: 'checkout' } } },
    { name: 'a whole key from a value', tpl: 'data:\n  {{service.name}}: x\n', ctx: { name: 'on' }, want: { data: { on: 'x' } } },
    { name: 'a flow sequence', tpl: 'args: [--name={{service.name}}, "{{artifact.tag}}", {{spec.replicas}}]\n', want: { args: ['--name=checkout', '1.5.0', 2] } },
    { name: 'a flow mapping', tpl: 'sel: {app: {{service.name}}, n: {{spec.replicas}}}\n', want: { sel: { app: 'checkout', n: 2 } } },
    { name: 'each over a map', tpl: 'data:\n{{#each spec.env}}\n  {{@key}}: {{this}}\n{{/each}}\n', want: { data: { LOG_LEVEL: 'info', B: 'yes' } } },
    { name: 'each over a list', tpl: 'ports:\n{{#each spec.ports}}\n  - name: {{name}}\n    port: {{containerPort}}\n{{/each}}\n', want: { ports: [{ name: 'http', port: 8080 }] } },
    { name: 'each with @index and ../', tpl: 'items:\n{{#each spec.ports}}\n  - "{{../service.name}}-{{@index}}"\n{{/each}}\n', want: { items: ['checkout-0'] } },
    { name: 'inline if/else', tpl: 'mode: {{#if environment.production}}prod{{else}}dev{{/if}}\nreplicas: {{#if environment.production}}3{{else}}1{{/if}}\n', want: { mode: 'prod', replicas: 3 } },
    { name: 'with', tpl: '{{#with spec.service}}\nport: {{port}}\n{{/with}}\n', want: { port: 80 } },
    { name: 'comments with values', tpl: '# {{service.name}} at {{artifact.tag}}: a comment\nname: {{service.name}} # the {{service.name}} service\n', want: { name: 'checkout' } },
    { name: 'yaml of an object, whole', tpl: 'env:{{yaml spec.env indent=2}}\nports: {{yaml spec.ports}}\n', want: { env: { LOG_LEVEL: 'info', B: 'yes' }, ports: [{ name: 'http', containerPort: 8080 }] } },
    { name: 'an object as a whole value', tpl: 'env: {{spec.env}}\n', want: { env: { LOG_LEVEL: 'info', B: 'yes' } } },
    { name: 'json text in a string', tpl: "data:\n  config.json: '{{json spec.env}}'\n", want: { data: { 'config.json': '{"B":"yes","LOG_LEVEL":"info"}' } } },
    { name: 'helpers in a label', tpl: 'name: {{trimSuffix (trunc (printf "%s-%s" service.name environment.name) 9) "-"}}\n', want: { name: 'checkout' } },
    { name: 'quote is a no-op', tpl: 'name: {{quote service.name}}\nport: {{quote spec.service.port}}\n', want: { name: 'checkout', port: '80' } },
  ];

  it.each(cases)('$name', ({ tpl, ctx: over, want }) => {
    const out = render(tpl, ctx(over));
    readsAs([out], [want]);
  });

  it.runIf(PY)('PyYAML (YAML 1.1) reads every case the same', () => {
    const outs = cases.map((c) => render(c.tpl, ctx(c.ctx)));
    expect(pyyaml(outs)).toEqual(cases.map((c) => c.want));
  });

  it('a JSON template: quoted, bare and concatenated values', () => {
    const tpl = `{
  "name": "{{service.name}}",
  "replicas": {{spec.replicas}},
  "image": "{{artifact.package}}:{{artifact.tag}}",
  "env": {{json spec.env}},
  "tags": { {{#each spec.env}}"{{@key}}": "v{{this}}"{{#unless @last}},{{/unless}}{{/each}} },
  "production": {{environment.production}}
}
`;
    const out = render(tpl, ctx({ name: 'on', tag: '1.10' }), 'json');
    expect(JSON.parse(out)).toEqual({ name: 'on', replicas: 2, image: 'payments/checkout:1.10', env: { LOG_LEVEL: 'info', B: 'yes' }, tags: { LOG_LEVEL: 'vinfo', B: 'vyes' }, production: true });
    expect(out.endsWith('}\n')).toBe(true);
  });
});

describe('hostile values are data', () => {
  const hostile = ['x\n    evil: true', 'a" \n securityContext: {privileged: true}\n x: "', "it's", 'svc\n---\nkind: Secret', 'a #comment', 'k: v', '- item', '{{service.name}}', '}}', '&a', '*a', '!!js/function f', '', '~', 'null', 'no', '0755', '1e3', '\u2028\u0085\t', '"', '\\'];
  const contexts = ['v: {{x}}\n', 'v: "{{x}}"\n', "v: '{{x}}'\n", 'v: a{{x}}b\n', 'v: |\n  {{x}}\n', 'v: [{{x}}, "{{x}}"]\n', '{{x}}: 1\n', 'v: {k: {{x}}}\n', '# {{x}}\nv: 1\n'];
  it.each(contexts)('in %j', (tpl) => {
    for (const x of hostile) {
      const out = render(tpl, { x });
      const got = parse(out) as Record<string, unknown>;
      expect(Object.keys(got).length, out).toBe(1);
      expect(parse(out, { version: '1.1' }), out).toEqual(got);
    }
  });
});

describe('TEMPLATE diagnostics point at the template', () => {
  it('a misspelt variable names the missing segment, with a did-you-mean, at the interpolation', () => {
    const e = renderError('kind: ConfigMap\nmetadata:\n  name: {{servce.name}}\n', ctx());
    expect([e.line, e.column]).toEqual([3, 9]);
    expect(e.message).toContain('"servce"');
    expect(e.message).toContain('did you mean "service"');
  });
  it('a misspelt field deeper in', () => {
    const e = renderError('a: 1\nb: x-{{service.nmae}}\n', ctx());
    expect([e.line, e.column]).toEqual([2, 6]);
    expect(e.message).toContain('"nmae"');
    expect(e.message).toContain('"name"');
  });
  it('a misspelt path inside a helper call', () => {
    const e = renderError('a: 1\nb: {{trunc servce.name 5}}\n', ctx());
    expect([e.line, e.column]).toEqual([2, 4]);
    expect(e.message).toContain('"servce"');
  });
  it('invalid YAML in the template text is reported where the text is', () => {
    const e = renderError('a: {{service.name}}\nb: [1, 2\nc: 3\n', ctx());
    expect(e.line).toBeGreaterThanOrEqual(2);
    expect(e.message).toMatch(/valid YAML/);
  });
  it('a bad indentation after a block is reported on its template line', () => {
    const e = renderError('a:\n  b: {{service.name}}\n c: 1\n', ctx());
    expect(e.line).toBe(3);
  });
  it('a value that repeats a key is refused at the interpolation', () => {
    const e = renderError('labels:\n  app: x\n  {{service.name}}: y\n', ctx({ name: 'app' }));
    expect([e.line, e.column]).toEqual([3, 3]);
  });
  it('an object inside text is refused at the interpolation', () => {
    const e = renderError('a: 1\nb: "x{{spec.env}}"\n', ctx());
    expect([e.line, e.column]).toEqual([2, 6]);
  });
  it('invalid JSON is reported at the template position', () => {
    const e = renderError('{\n  "a": {{spec.replicas}}\n  "b": 1\n}\n', ctx(), 'json');
    expect(e.line).toBe(3);
  });
});

describe('the engine is generic: the built-in templates, rendered as project templates', () => {
  it('give the same bytes through contextual interpolation as through the canonical path', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { baseProject, makeProject, cli } = await import('./helpers/project.js');
    const { compile, fsSource } = await import('../src/pipeline.js');
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
    ingress: { host: web.example.com, className: nginx, tls: { secretName: web-tls }, annotations: { a: b } }
    autoscaling: { minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 60 }
    serviceAccountName: web
    imagePullSecrets: [pull-a, pull-b]`,
    );
    files['services/fn.yaml'] = files['services/fn.yaml']!.replace('    code: { s3Bucket: bucket }', '    code: { s3Bucket: bucket }\n    description: "on"\n    environment: { STAGE: "1.10" }\n    alias: { name: live }');
    const builtin = makeProject(files);
    expect((await cli(builtin, 'resolve')).code).toBe(0);
    const a = await compile(fsSource(builtin), { configFile: 'gitopsc.config.yaml' });
    expect(a.diagnostics).toEqual([]);
    const root = join(import.meta.dirname, '../templates');
    const copies: Record<string, string> = { ...files, 'gitopsc.config.yaml': files['gitopsc.config.yaml']! + 'templates: tpl\n' };
    for (const target of ['kubernetes', 'lambda']) {
      for (const f of readdirSync(join(root, target)).filter((n) => n.endsWith('.hbs'))) copies[`tpl/${target}/${f}`] = readFileSync(join(root, target, f), 'utf8');
    }
    const own = makeProject(copies);
    expect((await cli(own, 'resolve')).code).toBe(0);
    const b = await compile(fsSource(own), { configFile: 'gitopsc.config.yaml' });
    expect(b.diagnostics).toEqual([]);
    expect(b.files.length).toBeGreaterThanOrEqual(8);
    expect(b.files).toEqual(a.files);
  });
});

describe('keys from values', () => {
  it('__proto__ is a key like any other, never the prototype', () => {
    expect(render('a:\n  {{x}}: 1\n', { x: '__proto__' })).toBe('a:\n  __proto__: 1\n');
    expect(render('{ "{{x}}": 1 }', { x: '__proto__' }, 'json')).toBe('{\n  "__proto__": 1\n}\n');
  });
});

describe('YAML errors point at their cause in the template', () => {
  const rows: [string, number, number][] = [
    ['a: "{{service.name}}\nb: 1\n', 1, 4],
    ["a: 1\nb: 'it\nc: 2\n", 2, 4],
    ['data:\n  a: {{service.name}}\n   b: [1\n', 3, 4],
    ['a: 1\nb: [1, 2\nc: 3\n', 3, 1],
    ['a:\n  b: {{service.name}}\n c: 1\n', 3, 1],
    ['a: x\n- b\n', 2, 1],
    ['a:\n\tb: 1\n', 2, 1],
  ];
  it.each(rows)('%j at %i:%i', (tpl, line, column) => {
    const e = renderError(tpl, ctx());
    expect([e.line, e.column]).toEqual([line, column]);
  });
});

describe('#each written inline on an indented line renders one item per line', () => {
  const env = { spec: { env: { A: 'x', B: 'y: z' }, list: ['a', 'b'] } };
  const rows: [string, unknown][] = [
    ['data:\n  {{#each spec.env}}{{@key}}: {{this}}{{/each}}\nkind: X\n', { data: { A: 'x', B: 'y: z' }, kind: 'X' }],
    ['data:\n  {{#each spec.env}}{{@key}}: {{this}}\n  {{/each}}\nkind: X\n', { data: { A: 'x', B: 'y: z' }, kind: 'X' }],
    ['items:\n  {{#each spec.list}}- {{this}}{{/each}}\nkind: X\n', { items: ['a', 'b'], kind: 'X' }],
    ['data:\n{{#each spec.env}}\n  {{@key}}: {{this}}\n{{/each}}\nkind: X\n', { data: { A: 'x', B: 'y: z' }, kind: 'X' }],
    ['args: "{{#each spec.list}}{{this}},{{/each}}"\n', { args: 'a,b,' }],
    ['args: {{#each spec.list}}{{this}} {{/each}}\n', { args: 'a b' }],
  ];
  it.each(rows)('%j', (tpl, want) => {
    const out = render(tpl, env);
    expect(parse(out), out).toEqual(want);
  });
});

describe('a template that renders only comments renders nothing', () => {
  it('no file, no error', () => {
    expect(render('# a ConfigMap when there is an ingress\n{{#if spec.ingress}}\nkind: ConfigMap\n{{/if}}\n', ctx())).toBe('');
    expect(render('---\n# x\nkind: ConfigMap\nname: {{service.name}}\n', ctx())).toBe('kind: ConfigMap\nname: checkout\n');
  });
});

describe('Handlebars errors at the tag at fault', () => {
  const rows: [string, number, number][] = [
    ['a: 1\nb: {{#if service.name}}\nc: 2\n', 2, 4],
    ['a: 1\n{{#each spec.ports}}\n  {{#if name}}\n  - x\n{{/each}}\n', 3, 3],
    ['a: 1\nb: {{#if service.name}}y{{/each}}\n', 2, 4],
    ['a: 1\nb: {{trunk service.name 3}}\n', 2, 4],
    ['a: 1\nb: {{> part}}\n', 2, 4],
  ];
  it.each(rows)('%j at %i:%i', (tpl, line, column) => {
    try {
      engine.compile(tpl, 'yaml')(ctx());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TemplateError);
      expect([(e as TemplateError).line, (e as TemplateError).column]).toEqual([line, column]);
    }
  });
});
