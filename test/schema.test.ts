import { describe, expect, it } from 'vitest';
import { loadYaml } from '../src/load/yaml.js';
import { validateCatalog, validateConfig, validateService, schemaObject, LAMBDA_RUNTIME_IDS, SCHEMA_IDS, SCHEMA_KINDS } from '../src/validate/index.js';
import type { Diagnostic } from '../src/core/diagnostics.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const load = (src: string) => {
  const r = loadYaml('services/x.yaml', enc(src));
  expect(r.diagnostics).toEqual([]);
  return r.doc!;
};

const K8S = `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: checkout
  labels: { team: payments }
spec:
  artifact:
    registry: har
    package: payments/checkout
    select: { strategy: semver, range: "^1.4" }
  kubernetes:
    namespace: payments
    replicas: 2
    ports: [{ name: http, containerPort: 8080 }]
    env: { LOG_LEVEL: info }
    resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 256Mi } }
    probes: { readiness: { httpGet: { path: /healthz, port: http } } }
    service: { port: 80, targetPort: http }
    ingress: { host: shop.example.com, path: / }
    autoscaling: { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 }
    serviceAccountName: checkout
    imagePullSecrets: [har-pull]
  environments:
    prod:
      artifact: { select: { strategy: semver, range: "^1.4", labels: { approved: "true" } } }
      kubernetes: { replicas: 4 }
`;

const LAMBDA = `apiVersion: gitopsc/v1
kind: Service
metadata: { name: checkout-fn }
spec:
  artifact: { registry: har, package: payments/checkout-fn, format: file, file: function.zip }
  lambda:
    functionName: checkout-fn
    runtime: nodejs22.x
    handler: index.handler
    role: arn:aws:iam::123456789012:role/checkout
    memorySize: 512
    timeout: 30
    architectures: [arm64]
    environment: { STAGE: prod }
    code: { s3Bucket: acme-artifacts, s3Key: "{package}/{tag}/{file}" }
    alias: { name: live }
`;

const CONFIG = `services: ["services/**/*.yaml"]
environments:
  - name: dev
  - name: prod
    production: true
registries:
  har:
    type: oci
    url: https://pkg.harness.io
    prefix: acct123/docker-prod
    auth:
      username: { env: HAR_USER }
      password: { env: HAR_TOKEN }
  fixtures:
    type: static
    path: registry/catalog.yaml
    host: registry.example.com
policies:
  production:
    requireDigest: true
    allowPrerelease: false
    allowedRegistries: [har]
    denyTags: ["^latest$"]
    requireLabels: { approved: "true" }
templates: templates
output: { dir: rendered }
lock: gitopsc.lock
`;

/** Replace the first occurrence of `from` in `base` (and assert it was there). */
function edit(base: string, from: string, to: string): string {
  expect(base).toContain(from);
  return base.replace(from, to);
}

interface Case {
  name: string;
  src: string;
  line: number;
  column: number;
  hint?: RegExp;
  severity?: 'error' | 'warning';
}

const firstAt = (diags: Diagnostic[], line: number, column: number): Diagnostic | undefined =>
  diags.find((d) => d.line === line && d.column === column);

function check(diags: Diagnostic[], c: Case): void {
  const d = firstAt(diags, c.line, c.column);
  expect(d, `no diagnostic at ${c.line}:${c.column}; got ${diags.map((x) => `${x.line}:${x.column} ${x.message}`).join(' | ')}`).toBeDefined();
  expect(d!.code).toBe('SCHEMA');
  expect(d!.severity).toBe(c.severity ?? 'error');
  expect(d!.file).toBe('services/x.yaml');
  if (c.hint) expect(d!.hint).toMatch(c.hint);
}

describe('valid examples (CONTRACT 2.1, 2.2)', () => {
  it('kubernetes service', () => expect(validateService(load(K8S))).toEqual([]));
  it('lambda service', () => expect(validateService(load(LAMBDA))).toEqual([]));
  it('config', () => expect(validateConfig(load(CONFIG))).toEqual([]));
  it('catalog', () => {
    const cat = `packages:\n  payments/checkout:\n    - tag: "1.4.2"\n      digest: sha256:${'a'.repeat(64)}\n      created: "2024-05-01T10:00:00Z"\n      labels: { approved: "true" }\n      annotations: {}\n      platforms: [linux/amd64, linux/arm64]\n    - tag: "1.4.3"\n      platforms: { linux/amd64: "2024-05-01T10:00:00Z" }\n`;
    expect(validateCatalog(load(cat))).toEqual([]);
  });
});

describe('broken service files', () => {
  const cases: Case[] = [
    { name: 'numeric tag 1.10', src: edit(K8S, 'select: { strategy: semver, range: "^1.4" }', 'select: { strategy: exact, tag: 1.10 }'), line: 10, column: 37, hint: /quote it: `tag: "1\.10"` \(YAML reads 1\.10 as the number 1\.1\)/ },
    { name: 'numeric range', src: edit(K8S, 'range: "^1.4"', 'range: 1.4'), line: 10, column: 40, hint: /quote it: `range: "1\.4"`/ },
    { name: 'numeric env value', src: edit(K8S, 'LOG_LEVEL: info', 'LOG_LEVEL: 3'), line: 15, column: 23, hint: /quote it/ },
    { name: 'misspelled replicsa', src: edit(K8S, '    replicas: 2', '    replicsa: 2'), line: 13, column: 5, hint: /did you mean `replicas`\?/ },
    { name: 'negative replicas', src: edit(K8S, 'replicas: 2', 'replicas: -1'), line: 13, column: 15 },
    { name: 'bad DNS name Checkout_Svc', src: edit(K8S, 'name: checkout\n', 'name: Checkout_Svc\n'), line: 4, column: 9 },
    { name: 'wrong apiVersion', src: edit(K8S, 'gitopsc/v1', 'gitopsc/v2'), line: 1, column: 13 },
    { name: 'missing artifact package', src: edit(K8S, '    package: payments/checkout\n', ''), line: 7, column: 3 },
    { name: 'unknown strategy', src: edit(K8S, 'strategy: semver, range', 'strategy: semvr, range'), line: 10, column: 25, hint: /did you mean `semver`\?/ },
    { name: 'bad digest', src: edit(K8S, 'select: { strategy: semver, range: "^1.4" }', 'select: { strategy: exact, tag: "1.0.0", digest: "sha256:abc" }'), line: 10, column: 54 },
    { name: 'digest without strategy exact', src: edit(K8S, 'select: { strategy: semver, range: "^1.4" }', `select: { strategy: semver, digest: "sha256:${'a'.repeat(64)}" }`), line: 10, column: 33 },
    { name: 'exact without tag', src: edit(K8S, 'select: { strategy: semver, range: "^1.4" }', 'select: { strategy: exact }'), line: 10, column: 25 },
    { name: 'containerPort out of range', src: edit(K8S, 'containerPort: 8080', 'containerPort: 70000'), line: 14, column: 42 },
    { name: 'port name too long', src: edit(K8S, 'name: http,', 'name: http-port-way-too-long,'), line: 14, column: 21 },
    { name: 'bad quantity', src: edit(K8S, 'cpu: 100m', 'cpu: lots'), line: 16, column: 35 },
    { name: 'probe with two handlers', src: edit(K8S, 'httpGet: { path: /healthz, port: http }', 'httpGet: { path: /healthz, port: http }, exec: { command: [x] }'), line: 17, column: 15 },
    { name: 'autoscaling min > max', src: edit(K8S, 'minReplicas: 2, maxReplicas: 10', 'minReplicas: 12, maxReplicas: 10'), line: 20, column: 33 },
    { name: 'target CPU 0', src: edit(K8S, 'targetCPUUtilizationPercentage: 70', 'targetCPUUtilizationPercentage: 0'), line: 20, column: 85 },
    { name: 'both kubernetes and lambda', src: edit(K8S, '  environments:', '  lambda: { functionName: f, role: "arn:aws:iam::123456789012:role/x" }\n  environments:'), line: 6, column: 1 },
    { name: 'override: unknown key', src: edit(K8S, 'kubernetes: { replicas: 4 }', 'kubernetes: { replics: 4 }'), line: 26, column: 21, hint: /did you mean `replicas`\?/ },
    { name: 'override: autoscaling min > max in prod only', src: edit(K8S, 'kubernetes: { replicas: 4 }', 'kubernetes: { autoscaling: { minReplicas: 11, maxReplicas: 10 } }'), line: 26, column: 49 },
    { name: 'bad label value', src: edit(K8S, 'team: payments', 'team: "no spaces"'), line: 5, column: 19 },
  ];
  it.each(cases)('$name', (c) => check(validateService(load(c.src)), c));

  it('one diagnostic per problem for a misspelled key (no oneOf noise)', () => {
    const diags = validateService(load(edit(K8S, '    replicas: 2', '    replicsa: 2')));
    expect(diags).toHaveLength(1);
  });
  it('names the missing property', () => {
    const diags = validateService(load(edit(K8S, '    package: payments/checkout\n', '')));
    expect(diags).toHaveLength(1);
    expect(diags[0]).toMatchObject({ code: 'SCHEMA', reason: 'required' });
    expect(diags[0]!.message).toContain('`package`');
  });
});

describe('broken lambda services', () => {
  const cases: Case[] = [
    { name: 'memory 64', src: edit(LAMBDA, 'memorySize: 512', 'memorySize: 64'), line: 11, column: 17 },
    { name: 'timeout 901', src: edit(LAMBDA, 'timeout: 30', 'timeout: 901'), line: 12, column: 14 },
    { name: 'unknown runtime nodejs12.x', src: edit(LAMBDA, 'runtime: nodejs22.x', 'runtime: nodejs12.x'), line: 8, column: 14, hint: /nodejs22\.x/ },
    { name: 'reserved env name', src: edit(LAMBDA, 'STAGE: prod', 'STAGE: prod, AWS_REGION: eu-west-1'), line: 14, column: 33 },
    { name: 'TZ is a warning', src: edit(LAMBDA, 'STAGE: prod', 'STAGE: prod, TZ: UTC'), line: 14, column: 33, severity: 'warning' },
    { name: 'env > 4KB', src: edit(LAMBDA, 'STAGE: prod', `STAGE: "${'x'.repeat(4100)}"`), line: 14, column: 5 },
    { name: 'two architectures', src: edit(LAMBDA, '[arm64]', '[arm64, x86_64]'), line: 13, column: 20 },
    { name: 'bad role ARN', src: edit(LAMBDA, 'role: arn:aws:iam::123456789012:role/checkout', 'role: checkout'), line: 10, column: 11 },
    { name: 'missing role', src: edit(LAMBDA, '    role: arn:aws:iam::123456789012:role/checkout\n', ''), line: 6, column: 3 },
    { name: 'file format without handler', src: edit(LAMBDA, '    handler: index.handler\n', ''), line: 6, column: 3 },
    { name: 'image package with runtime', src: edit(LAMBDA, ', format: file, file: function.zip', ''), line: 8, column: 5 },
    { name: 'numeric alias name', src: edit(LAMBDA, 'alias: { name: live }', 'alias: { name: "42" }'), line: 16, column: 20 },
    { name: 'bad function name', src: edit(LAMBDA, 'functionName: checkout-fn', 'functionName: checkout fn'), line: 7, column: 19 },
  ];
  it.each(cases)('$name', (c) => check(validateService(load(c.src)), c));
});

describe('broken config files', () => {
  const cases: Case[] = [
    { name: 'literal password string', src: edit(CONFIG, 'password: { env: HAR_TOKEN }', 'password: hunter2'), line: 13, column: 17 },
    { name: 'unknown registry type', src: edit(CONFIG, 'type: oci', 'type: docker'), line: 8, column: 11 },
    { name: 'static registry without path', src: edit(CONFIG, '    path: registry/catalog.yaml\n', ''), line: 14, column: 3 },
    { name: 'plain http to a remote host', src: edit(CONFIG, 'https://pkg.harness.io', 'http://pkg.harness.io'), line: 9, column: 10 },
    { name: 'bad environment name', src: edit(CONFIG, 'name: dev', 'name: Dev'), line: 3, column: 11 },
    { name: 'duplicate environment', src: edit(CONFIG, 'name: prod', 'name: dev'), line: 4, column: 11 },
    { name: 'production not a boolean', src: edit(CONFIG, 'production: true', 'production: "yes"'), line: 5, column: 17 },
    { name: 'misspelled top-level key', src: edit(CONFIG, 'templates: templates', 'template: templates'), line: 25, column: 1, hint: /did you mean `templates`\?/ },
    { name: 'username without password', src: edit(CONFIG, '      password: { env: HAR_TOKEN }\n', ''), line: 11, column: 5 },
  ];
  it.each(cases)('$name', (c) => check(validateConfig(load(c.src)), c));
  it('says secrets are referenced, never stored', () => {
    const diags = validateConfig(load(edit(CONFIG, 'password: { env: HAR_TOKEN }', 'password: hunter2')));
    expect(diags).toHaveLength(1);
    expect(diags[0]).toMatchObject({ code: 'SCHEMA', reason: 'wrong-type' });
    // the schema's own guidance is the point of this test
    expect(diags[0]!.message).toMatch(/referenced, never stored/);
    expect(diags[0]!.message).not.toContain('hunter2');
  });
});

describe('schemas', () => {
  it.each(SCHEMA_KINDS)('%s has $id, title and a description on every property', (kind) => {
    const s = schemaObject(kind);
    expect(s.$id).toBe(SCHEMA_IDS[kind]);
    expect(typeof s.title).toBe('string');
    const missing: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties && typeof n.properties === 'object') {
        for (const [k, v] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
          if (!v.description && !v.$ref) missing.push(`${where}.${k}`);
        }
      }
      for (const [k, v] of Object.entries(n)) if (typeof v === 'object') walk(v, `${where}/${k}`);
    };
    walk(s, '#');
    expect(missing).toEqual([]);
  });
  it('the runtime enum matches src/validate/lambda-runtimes.ts', () => {
    const s = schemaObject('service') as { definitions: { lambdaFields: { properties: { runtime: { enum: string[] } } } } };
    expect(s.definitions.lambdaFields.properties.runtime.enum).toEqual([...LAMBDA_RUNTIME_IDS]);
  });
});

describe('many files', () => {
  // timing lives in `npm run bench`; this only proves a thousand files load and validate clean
  it('loads and validates 1000 service files without a problem', () => {
    const files = Array.from({ length: 1000 }, (_, i) => enc(K8S.replace('name: checkout\n', `name: svc-${i}\n`)));
    let problems = 0;
    for (let i = 0; i < files.length; i++) {
      const r = loadYaml(`services/svc-${i}.yaml`, files[i]!);
      problems += r.diagnostics.length + validateService(r.doc!).length;
    }
    expect(problems).toBe(0);
  });
});
