/** Patches (issue 11 part 2): strategic merge and RFC 6902 tables, and patches through the pipeline with positions. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { applyJsonPatch, strategicMerge, type JsonPatchOp } from '../src/render/kubernetes/patch.js';
import { baseProject, cli, makeProject } from './helpers/project.js';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { a: '1' } },
  spec: {
    template: {
      spec: {
        containers: [{ name: 'web', image: 'x:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 8080, name: 'http' }] }],
        tolerations: [{ key: 'a', operator: 'Exists' }],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
    },
  },
});

describe('strategic merge', () => {
  const c = (d: unknown) => (d as { spec: { template: { spec: Record<string, unknown> } } }).spec.template.spec;
  it.each([
    ['maps merge', { metadata: { labels: { b: '2' } } }, (d: unknown) => expect((d as { metadata: unknown }).metadata).toEqual({ name: 'web', labels: { a: '1', b: '2' } })],
    ['null deletes', { metadata: { labels: null } }, (d: unknown) => expect((d as { metadata: unknown }).metadata).toEqual({ name: 'web' })],
    [
      'containers merge by name; env by name',
      { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'B', value: '2' }] }, { name: 'side', image: 'y:1' }] } } } },
      (d: unknown) =>
        expect(c(d).containers).toEqual([
          { name: 'web', image: 'x:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 8080, name: 'http' }] },
          { name: 'side', image: 'y:1' },
        ]),
    ],
    ['lists without a merge key replace', { spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } } } }, (d: unknown) => expect(c(d).tolerations).toEqual([{ key: 'b', operator: 'Exists' }])],
    ['$patch: delete removes a keyed element', { spec: { template: { spec: { volumes: [{ name: 'v', $patch: 'delete' }] } } } }, (d: unknown) => expect(c(d).volumes).toEqual([])],
    ['$patch: replace on a map', { spec: { template: { spec: { $patch: 'replace', containers: [{ name: 'only', image: 'z:1' }] } } } }, (d: unknown) => expect(c(d)).toEqual({ containers: [{ name: 'only', image: 'z:1' }] })],
    ['container ports merge by containerPort', { spec: { template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 9090, name: 'metrics' }] }] } } } }, (d: unknown) =>
      expect((c(d).containers as { ports: unknown }[])[0]!.ports).toEqual([{ containerPort: 8080, name: 'http' }, { containerPort: 9090, name: 'metrics' }])],
  ] as [string, unknown, (d: unknown) => void][])('%s', (_name, patch, check) => {
    const before = deployment();
    check(strategicMerge(before, patch));
    expect(before).toEqual(deployment());
  });

  it('custom resources merge like a JSON merge patch (lists replace)', () => {
    expect(strategicMerge({ spec: { containers: [{ name: 'a', x: 1 }] } }, { spec: { containers: [{ name: 'a', y: 2 }] } }, false)).toEqual({ spec: { containers: [{ name: 'a', y: 2 }] } });
  });

  it('a keyed list element without its key is an error', () => {
    expect(() => strategicMerge(deployment(), { spec: { template: { spec: { containers: [{ image: 'y' }] } } } })).toThrow(/merge key `name`/);
  });
});

describe('RFC 6902 JSON patch', () => {
  const doc = () => ({ a: { b: [1, 2, 3] }, 'x/y': 1, 't~': 2 });
  it.each([
    [[{ op: 'add', path: '/a/b/1', value: 9 }], { a: { b: [1, 9, 2, 3] }, 'x/y': 1, 't~': 2 }],
    [[{ op: 'add', path: '/a/b/-', value: 4 }], { a: { b: [1, 2, 3, 4] }, 'x/y': 1, 't~': 2 }],
    [[{ op: 'add', path: '/a/c', value: { d: 1 } }], { a: { b: [1, 2, 3], c: { d: 1 } }, 'x/y': 1, 't~': 2 }],
    [[{ op: 'remove', path: '/x~1y' }], { a: { b: [1, 2, 3] }, 't~': 2 }],
    [[{ op: 'replace', path: '/t~0', value: 3 }], { a: { b: [1, 2, 3] }, 'x/y': 1, 't~': 3 }],
    [[{ op: 'move', from: '/a/b', path: '/c' }], { a: {}, c: [1, 2, 3], 'x/y': 1, 't~': 2 }],
    [[{ op: 'copy', from: '/a/b/0', path: '/z' }], { a: { b: [1, 2, 3] }, 'x/y': 1, 't~': 2, z: 1 }],
    [[{ op: 'test', path: '/a/b', value: [1, 2, 3] }], doc()],
  ] as [JsonPatchOp[], unknown][])('%j', (ops, want) => {
    expect(applyJsonPatch(doc(), ops)).toEqual(want);
  });

  it.each([
    [[{ op: 'replace', path: '/nope', value: 1 }], 0],
    [[{ op: 'add', path: '/a/b/1', value: 0 }, { op: 'remove', path: '/a/b/9' }], 1],
    [[{ op: 'test', path: '/a/b/0', value: 2 }], 0],
    [[{ op: 'add', path: '/missing/x', value: 1 }], 0],
    [[{ op: 'move', from: '/a', path: '/a/b/x' }], 0],
  ] as [JsonPatchOp[], number][])('fails on %j at operation %i', (ops, at) => {
    try {
      applyJsonPatch(doc(), ops);
      expect.unreachable();
    } catch (e) {
      expect((e as { op?: number }).op).toBe(at);
    }
  });
});

describe('patches in a service file', () => {
  const withPatches = (kube: string, envs = '') => {
    const files = baseProject();
    delete files['services/fn.yaml'];
    files['services/web.yaml'] = `${files['services/web.yaml']!}${kube}${envs}`;
    return files;
  };

  it('applies the service patches, then the environment ones', async () => {
    const dir = makeProject(
      withPatches(
        `    patches:
      - target: { kind: Deployment }
        patch: { spec: { template: { spec: { hostNetwork: false, containers: [{ name: web, stdin: true }] } } } }
      - target: { kind: Service, name: web }
        jsonPatch: [{ op: add, path: /spec/sessionAffinity, value: ClientIP }]
`,
        `  environments:
    prod:
      kubernetes:
        patches:
          - target: { kind: Deployment }
            jsonPatch: [{ op: replace, path: /spec/replicas, value: 5 }]
`,
      ),
    );
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    const dev = parse(readFileSync(join(dir, 'rendered/dev/web/deployment.yaml'), 'utf8')) as { spec: { replicas: number; template: { spec: { hostNetwork: boolean; containers: { stdin?: boolean; image: string }[] } } } };
    const prod = parse(readFileSync(join(dir, 'rendered/prod/web/deployment.yaml'), 'utf8')) as typeof dev;
    expect(dev.spec.template.spec.hostNetwork).toBe(false);
    expect(dev.spec.template.spec.containers[0]!.stdin).toBe(true);
    expect(dev.spec.template.spec.containers[0]!.image).toMatch(/^registry\.example\.com\/shop\/web:/);
    expect(dev.spec.replicas).toBe(2);
    expect(prod.spec.replicas).toBe(5);
    expect(prod.spec.template.spec.hostNetwork).toBe(false);
    expect(readFileSync(join(dir, 'rendered/dev/web/service.yaml'), 'utf8')).toContain('sessionAffinity: ClientIP\n');
  });

  it.each([
    ['a target that selects nothing', `    patches:\n      - target: { kind: Ingress }\n        patch: { metadata: { annotations: { a: b } } }\n`, [[15, 9]]],
    ['a JSON patch operation that fails, at the operation', `    patches:\n      - target: { kind: Deployment }\n        jsonPatch:\n          - { op: add, path: /spec/x, value: 1 }\n          - { op: remove, path: /spec/nope }\n`, [[18, 33]]],
    ['a patch that changes the kind', `    patches:\n      - target: { kind: Service }\n        patch: { kind: Secret }\n`, [[16, 9]]],
  ] as [string, string, [number, number][]][])('%s is a PATCH error with a position', async (_name, kube, want) => {
    const dir = makeProject(withPatches(kube));
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).toBe(1);
    const d = r.json.diagnostics;
    expect(new Set(d.map((x) => x.code))).toEqual(new Set(['PATCH']));
    expect([...new Set(d.map((x) => `${x.line}:${x.column}`))]).toEqual(want.map(([l, c]) => `${l}:${c}`));
  });
});
