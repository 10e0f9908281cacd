/** The typed pod surface in the service schema: mistakes are SCHEMA diagnostics at the field, with one message each. */
import { describe, expect, it } from 'vitest';
import { baseProject, cli, makeProject } from './helpers/project.js';

async function validate(kube: string) {
  const files = baseProject();
  delete files['services/fn.yaml'];
  files['services/web.yaml'] = files['services/web.yaml']!.replace('    replicas: 2\n', `    replicas: 2\n${kube}`);
  return (await cli(makeProject(files), 'validate', '--format', 'json')).json.diagnostics;
}

describe('typed Kubernetes fields', () => {
  it.each([
    ['an env value that is a number (quote it)', '    env: { PORT: 8080 }\n', [[12, 18]]],
    ['a secretKeyRef without key', '    env: { DB: { secretKeyRef: { name: db } } }\n', [[12, 18]]],
    ['two sources in one env entry', '    env: { X: { secretKeyRef: { name: a, key: b }, fieldRef: { fieldPath: c } } }\n', [[12, 12]]],
    ['an unknown container field', '    securityContext: { runAsNonRot: true }\n', [[12, 24]]],
    ['an unknown pod field', '    pod: { hostNetwork: true }\n', [[12, 12]]],
    ['a volume with two sources', '    pod: { volumes: [{ name: a, emptyDir: {}, configMap: { name: b } }] }\n', [[12, 22]]],
    ['a PDB with both fields', '    disruptionBudget: { minAvailable: 1, maxUnavailable: 1 }\n', [[12, 5]]],
    ['a bad quantity', '    resources: { requests: { cpu: 1core } }\n', [[12, 35]]],
    ['a patch with neither patch nor jsonPatch', '    patches: [{ target: { kind: Deployment } }]\n', [[12, 15]]],
  ] as [string, string, [number, number][]][])('%s', async (_n, kube, want) => {
    const d = await validate(kube);
    expect(d.map((x) => [x.code, x.line, x.column])).toEqual(want.map(([l, c]) => ['SCHEMA', l, c]));
  });

  it('accepts every field in the README reference', async () => {
    expect(
      await validate(`    command: [/app]
    args: [a]
    workingDir: /app
    env: { A: "1", B: { secretKeyRef: { name: s, key: k } }, C: { configMapKeyRef: { name: c, key: k } }, D: { fieldRef: { fieldPath: status.podIP } } }
    envFrom: [{ secretRef: { name: s } }]
    volumeMounts: [{ name: v, mountPath: /v }]
    securityContext: { runAsNonRoot: true }
    lifecycle: { preStop: { sleep: { seconds: 3 } } }
    strategy: { type: Recreate }
    disruptionBudget: { maxUnavailable: "25%" }
    serviceAccount: { create: true, annotations: { a: b } }
    pod:
      volumes: [{ name: v, secret: { secretName: s } }]
      nodeSelector: { a: b }
      tolerations: [{ operator: Exists }]
      priorityClassName: p
      terminationGracePeriodSeconds: 10
`),
    ).toEqual([]);
  });
});
