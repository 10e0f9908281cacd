/**
 * Lambda image functions: Lambda runs container images only from Amazon ECR in the function's
 * region. An image whose registry is not such an ECR registry is refused unless the service
 * names an ECR mirror (`spec.lambda.mirror`), which `gitopsc stage` fills. Pure.
 *
 * One exception: a registry on a loopback host (`localhost`, 127.0.0.0/8, `::1`) stands in for
 * ECR (LocalStack serves ECR on localhost; the tests run a registry there). Nothing outside the
 * machine can be reached that way, so the rule for real hosts is unchanged.
 */
import { error, type Diagnostic } from '../../core/diagnostics.js';
import type { ReasonFor } from '../../core/reasons.js';
import { effectiveService } from '../../project/effective.js';
import type { Project } from '../../project/types.js';
import { ecrHost, lambdaTarget } from '../../render/lambda.js';
import { referenceFor } from '../../resolve/reference.js';

export function checkLambdaImages(project: Project): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const registries = project.config.registries ?? {};
  for (const decl of project.services) {
    if (!decl.data.spec.lambda) continue;
    for (const env of project.environments) {
      const eff = effectiveService(decl, env.name);
      if ((eff.artifact.format ?? 'image') !== 'image') continue;
      const region = lambdaTarget(project.config, env.name, eff.spec, eff.artifact.package).aws.region;
      const mirror = eff.spec.mirror as { registry: string; repository?: string } | undefined;
      const overMirror = decl.data.spec.environments?.[env.name]?.lambda?.mirror !== undefined;
      const mirrorPath = overMirror ? ['spec', 'environments', env.name, 'lambda', 'mirror', 'registry'] : ['spec', 'lambda', 'mirror', 'registry'];
      const report = (path: (string | number)[], message: string, reason: ReasonFor<'POLICY_VIOLATION' | 'UNKNOWN_REGISTRY'>, code: 'POLICY_VIOLATION' | 'UNKNOWN_REGISTRY' = 'POLICY_VIOLATION'): void => {
        const pos = decl.doc.position(path, 'value');
        const key = `${decl.file}:${pos.line}:${pos.column}:${message}`;
        if (seen.has(key)) return;
        seen.add(key);
        out.push(error(code, message, { file: decl.file, ...pos, service: decl.name, environment: env.name, reason }));
      };
      let name: string;
      let path: (string | number)[];
      let host: string;
      if (mirror) {
        const config = registries[mirror.registry];
        if (!config) {
          report(mirrorPath, `mirror registry "${mirror.registry}" is not declared in ${project.configFile}`, 'undeclared', 'UNKNOWN_REGISTRY');
          continue;
        }
        name = mirror.registry;
        path = mirrorPath;
        host = referenceFor(config, mirror.repository ?? eff.artifact.package).split('/')[0]!;
      } else {
        name = eff.artifact.registry;
        path = [...eff.artifactPath, 'registry'];
        const config = registries[name];
        if (!config) continue; // UNKNOWN_REGISTRY is reported by checkProject
        host = referenceFor(config, eff.artifact.package).split('/')[0]!;
      }
      if (loopbackHost(host)) continue;
      const ecr = ecrHost(host);
      const where = region ? `Amazon ECR in ${region}` : 'Amazon ECR';
      if (!ecr) {
        report(
          path,
          mirror
            ? `mirror registry "${name}" (${host}) is not Amazon ECR: Lambda runs container images only from ${where}`
            : `Lambda runs container images only from ${where}, and registry "${name}" (${host}) is not: name an ECR mirror in spec.lambda.mirror ({ registry: <an ECR registry of the config> }) and run \`gitopsc stage\``,
          'image-not-in-ecr',
        );
      } else if (region && ecr.region !== region) {
        report(path, `registry "${name}" is Amazon ECR in ${ecr.region}, but ${env.name} deploys to ${region}: Lambda runs images only from ECR in the function's region`, 'ecr-wrong-region');
      }
    }
  }
  return out;
}

/**
 * Whether a registry host (`host[:port]`, `[v6]:port`) is on loopback: `localhost`, an IPv4
 * address in 127.0.0.0/8 or `::1`. Names that merely start with these (`127.0.0.1.nip.io`,
 * `localhost.example.com`) are not.
 */
export function loopbackHost(host: string): boolean {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return isLoopbackV6(bracketed[1]!);
  const name = /^([^:]+)(?::\d+)?$/.exec(host)?.[1]?.toLowerCase();
  if (name === undefined) return isLoopbackV6(host);
  if (name === 'localhost') return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return v4 !== null && v4.slice(1).every((o) => Number(o) <= 255) && v4[1] === '127';
}

function isLoopbackV6(addr: string): boolean {
  // (node:net asked for here, not imported: loading it costs every render that never checks an address a few ms)
  return process.getBuiltinModule('node:net').isIPv6(addr) && /^[0:]*:0{0,3}1$/.test(addr);
}
