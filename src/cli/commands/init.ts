/**
 * `gitopsc init`: scaffold a project whose `resolve` and `render` succeed immediately
 * (static catalog, one service, two environments). Never overwrites a file.
 */
import { join, relative, sep } from 'node:path';
import { error } from '../../core/diagnostics.js';
import { pathExists, realPath, writeFileAtomic } from '../../host/fs.js';
import { packagePath, readPackageText } from '../../host/package.js';
import type { CommandContext, CommandResult } from '../types.js';
import { SEARCH_PLACES } from '../../config/discover.js';

const D = (n: number) => 'sha256:' + n.toString(16).padStart(2, '0').repeat(32);

export const SCAFFOLD: Record<string, string> = {
  'gitopsc.config.yaml': `# yaml-language-server: $schema=@SCHEMAS@/config.schema.json
services: ["services/**/*.yaml"]
environments:
  - name: dev
  - name: prod
    production: true
registries:
  local:
    type: static
    path: registry/catalog.yaml
    host: registry.example.com
policies:
  production:
    requireDigest: true
    allowPrerelease: false
output:
  dir: rendered
`,
  'services/hello.yaml': `# yaml-language-server: $schema=../@SCHEMAS@/service.schema.json
apiVersion: gitopsc/v1
kind: Service
metadata:
  name: hello
  labels:
    team: platform
spec:
  artifact:
    registry: local
    package: demo/hello
    select:
      strategy: semver
      range: "^1.0"
  kubernetes:
    namespace: demo
    replicas: 1
    ports:
      - name: http
        containerPort: 8080
    env:
      LOG_LEVEL: info
    resources:
      requests: { cpu: 50m, memory: 64Mi }
      limits: { memory: 128Mi }
    probes:
      readiness:
        httpGet: { path: /healthz, port: http }
    service:
      port: 80
      targetPort: http
  environments:
    prod:
      kubernetes:
        replicas: 3
        env:
          LOG_LEVEL: warn
`,
  'registry/catalog.yaml': `# A static catalog: the versions gitopsc may choose from, offline.
packages:
  demo/hello:
    - tag: "1.0.0"
      digest: ${D(0x10)}
      created: "2026-01-10T09:00:00Z"
    - tag: "1.1.0"
      digest: ${D(0x11)}
      created: "2026-02-10T09:00:00Z"
    - tag: "1.2.0-rc.1"
      digest: ${D(0x12)}
      created: "2026-03-01T09:00:00Z"
    - tag: "2.0.0"
      digest: ${D(0x20)}
      created: "2026-03-10T09:00:00Z"
`,
  '.gitignore': `.gitopsc/\n`,
};

/** Where the schemas of the running gitopsc are. */
const OWN_SCHEMAS = packagePath('schemas/');

/** The directory, relative to the project, that `$schema` comments point into. */
export const SCHEMA_COPY_DIR = '.schemas';

/**
 * `$schema` references that resolve in the new project, offline: into the project's
 * `node_modules/gitopsc/schemas/` when gitopsc is installed there (they follow upgrades), else
 * into a copy written to `.schemas/` (refresh it with `gitopsc schema --write .schemas`).
 */
function schemaDir(dir: string): { ref: string; copy: boolean } {
  try {
    const own = realPath(OWN_SCHEMAS);
    const local = join(dir, 'node_modules', 'gitopsc', 'schemas');
    if (pathExists(local) && realPath(local) === own) return { ref: 'node_modules/gitopsc/schemas', copy: false };
    const r = relative(realPath(dir), own);
    if (r.split(sep)[0] === 'node_modules') return { ref: r.split(sep).join('/'), copy: false };
  } catch {
    // fall through to a copy
  }
  return { ref: SCHEMA_COPY_DIR, copy: true };
}

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const dir = ctx.global.cwd;
  const existing = SEARCH_PLACES.filter((f) => f !== 'package.json' && pathExists(join(dir, f)));
  if (existing.length) return { diagnostics: [error('USAGE', `${existing[0]} already exists in ${dir}: gitopsc init never overwrites a project`, { reason: 'project-exists' })] };
  const schemas = schemaDir(dir);
  const files: Record<string, string> = {};
  for (const [file, content] of Object.entries(SCAFFOLD)) files[file] = content.replace('@SCHEMAS@', schemas.ref);
  if (schemas.copy) {
    for (const n of ['service', 'config', 'catalog']) files[`${SCHEMA_COPY_DIR}/${n}.schema.json`] = readPackageText(`schemas/${n}.schema.json`);
  }
  const written: string[] = [];
  for (const [file, content] of Object.entries(files)) {
    if (pathExists(join(dir, file))) continue;
    await writeFileAtomic(join(dir, file), content);
    written.push(file);
  }
  return {
    diagnostics: [],
    data: { files: written },
    lines: [...written.map((f) => `created ${f}`), '', 'next: gitopsc resolve && gitopsc render'],
  };
}
