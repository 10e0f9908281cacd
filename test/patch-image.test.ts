/**
 * QA of issue 11 on the merged main: a patch could replace the resolved, pinned and
 * policy-checked image with `nginx:latest` or an unparsable reference, rendered with exit 0.
 * An image a patch brings in follows the sidecar rule (valid and pinned), else PATCH at the patch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseProject, cli, makeProject } from './helpers/project.js';

const withPatches = (kube: string) => {
  const files = baseProject();
  delete files['services/fn.yaml'];
  files['services/web.yaml'] = `${files['services/web.yaml']!}${kube}`;
  return files;
};

describe('images brought in by patches', () => {
  it.each([
    ['strategic merge to :latest', `    patches:\n      - target: { kind: Deployment }\n        patch: { spec: { template: { spec: { containers: [{ name: web, image: "nginx:latest" }] } } } }\n`, [16, 9]],
    ['JSON patch to an untagged image', `    patches:\n      - target: { kind: Deployment }\n        jsonPatch: [{ op: replace, path: /spec/template/spec/containers/0/image, value: evil.example.com/x }]\n`, [16, 9]],
    ['a sidecar added by a patch with an invalid reference', `    patches:\n      - target: { kind: Deployment }\n        patch: { spec: { template: { spec: { containers: [{ name: side, image: "Bad/Ref:1" }] } } } }\n`, [16, 9]],
  ] as [string, string, [number, number]][])('%s is a PATCH error at the patch', async (_name, kube, [line, column]) => {
    const dir = makeProject(withPatches(kube));
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).toBe(1);
    expect([...new Set(r.json.diagnostics.map((d) => [d.code, d.file, d.line, d.column].join(' ')))]).toEqual([`PATCH services/web.yaml ${line} ${column}`]);
  });

  it('a pinned image from a patch is kept', async () => {
    const dir = makeProject(withPatches(`    patches:\n      - target: { kind: Deployment }\n        patch: { spec: { template: { spec: { containers: [{ name: side, image: "envoyproxy/envoy:v1.31.0" }] } } } }\n`));
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.json.diagnostics).toEqual([]);
    expect(readFileSync(join(dir, 'rendered/dev/web/deployment.yaml'), 'utf8')).toMatch(/image: "?envoyproxy\/envoy:v1\.31\.0"?\n/);
  });
});
