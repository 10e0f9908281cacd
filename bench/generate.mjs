// Generate a synthetic gitopsc project: N services x 3 environments, a static catalog of
// ~20 versions per package with digests. Used by bench/run.mjs; also usable by hand:
//   node bench/generate.mjs DIR N
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export const ENVS = ['dev', 'staging', 'prod'];
export const VERSIONS = 20;

const digest = (s) => 'sha256:' + createHash('sha256').update(s).digest('hex');
export const svcName = (i) => `svc-${String(i).padStart(4, '0')}`;

export function serviceYaml(i, { replicasBump = 0 } = {}) {
  const name = svcName(i);
  return `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: ${name}
  labels: { team: team-${i % 17} }
spec:
  artifact:
    registry: local
    package: apps/${name}
    select: { strategy: semver, range: "^1.0" }
  kubernetes:
    namespace: ns-${i % 23}
    replicas: ${1 + replicasBump}
    ports: [{ name: http, containerPort: 8080 }]
    env: { LOG_LEVEL: info, SERVICE_NAME: ${name}, FEATURE_X: "on" }
    resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { cpu: 500m, memory: 256Mi } }
    probes: { readiness: { httpGet: { path: /healthz, port: http }, periodSeconds: 10 } }
    service: { port: 80, targetPort: http }
  environments:
    staging:
      kubernetes: { replicas: ${2 + replicasBump} }
    prod:
      kubernetes: { replicas: ${3 + replicasBump}, env: { LOG_LEVEL: warn } }
`;
}

export function generate(dir, n) {
  mkdirSync(join(dir, 'services'), { recursive: true });
  writeFileSync(
    join(dir, 'gitopsc.config.yaml'),
    `services: ["services/*.yaml"]
environments:
${ENVS.map((e) => `  - name: ${e}${e === 'prod' ? '\n    production: true' : ''}`).join('\n')}
registries:
  local: { type: static, path: catalog.yaml, host: registry.example.com }
output: { dir: rendered }
`,
  );
  const cat = ['packages:'];
  for (let i = 0; i < n; i++) {
    const name = svcName(i);
    writeFileSync(join(dir, 'services', `${name}.yaml`), serviceYaml(i));
    cat.push(`  apps/${name}:`);
    for (let v = 0; v < VERSIONS; v++) {
      const tag = `1.${Math.floor(v / 5)}.${v % 5}`;
      cat.push(`    - { tag: "${tag}", digest: "${digest(name + tag)}", created: "2026-01-${String(1 + v).padStart(2, '0')}T00:00:00Z" }`);
    }
  }
  writeFileSync(join(dir, 'catalog.yaml'), cat.join('\n') + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  generate(process.argv[2], Number(process.argv[3] ?? 200));
}
