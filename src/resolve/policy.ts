/**
 * Policies never change which version is selected: they check the result. A failed check is
 * POLICY_VIOLATION at the service's `artifact` line. Pure.
 */
import { error, type Diagnostic } from '../core/diagnostics.js';
import type { ReasonFor } from '../core/reasons.js';
import type { LockEntry, Policy, VersionInfo } from '../core/model.js';
import type { Project, ServiceDecl } from '../project/types.js';
import { parseVersion, validateRegex } from '../resolve/select/index.js';

/** The policies that apply to an environment: its own, and "production" for production ones. */
export function policiesFor(project: Project, env: string): [string, Policy][] {
  const policies = project.config.policies ?? {};
  const e = project.environments.find((x) => x.name === env);
  const out: [string, Policy][] = [];
  if (e?.production && policies.production) out.push(['production', policies.production]);
  if (env !== 'production' && policies[env]) out.push([env, policies[env]!]);
  return out;
}

/**
 * `live` is what the registry says about the version now (har: quarantine, scan verdict), when
 * the registry reports such facts. A quarantined version is a violation whatever the policies.
 */
export function checkPolicy(project: Project, decl: ServiceDecl, entry: LockEntry, artifactPath: (string | number)[], live?: VersionInfo): Diagnostic[] {
  const out: Diagnostic[] = [];
  // positions only when something is reported: computing one may re-read the file
  const where = () => ({ file: decl.file, ...decl.doc.position(artifactPath, 'key'), service: decl.name, environment: entry.environment });
  if (live?.quarantined) {
    out.push(
      error(
        'POLICY_VIOLATION',
        `${decl.name} (${entry.environment}): the locked version ${entry.package}:${entry.tag} is quarantined in registry "${entry.registry}"${live.quarantineReason ? `: ${live.quarantineReason}` : ' (no reason given)'}; select another version (\`gitopsc resolve --update ${decl.name}\`)`,
        { ...where(), reason: 'quarantined' },
      ),
    );
  }
  for (const [name, p] of policiesFor(project, entry.environment)) {
    const v = (msg: string, reason: ReasonFor<'POLICY_VIOLATION'>) => out.push(error('POLICY_VIOLATION', `policy "${name}": ${msg} (${entry.package}:${entry.tag} in ${entry.environment})`, { ...where(), reason }));
    if (p.requireDigest && !entry.digest) v('a digest is required but none is known for this version', 'require-digest');
    if (p.allowPrerelease === false) {
      const ver = parseVersion(entry.tag, { strict: false });
      if (ver && ver.prerelease.length > 0) v(`prerelease tag "${entry.tag}" is not allowed`, 'prerelease');
    }
    if (p.allowedRegistries && !p.allowedRegistries.includes(entry.registry)) v(`registry "${entry.registry}" is not one of ${p.allowedRegistries.join(', ')}`, 'registry-not-allowed');
    for (const re of p.denyTags ?? []) {
      const r = validateRegex(re);
      // an invalid one is reported by the semantic check as INVALID_REGEX
      if (r.ok && r.re.test(entry.tag)) v(`tag "${entry.tag}" is denied by /${re}/`, 'denied-tag');
    }
    if (p.requireScan) {
      // live: what the registry says now (resolve, audit); else what the lock recorded (render)
      const got = live ? live.scanStatus : entry.scanStatus;
      if (!got || !p.requireScan.includes(got)) {
        v(`scan verdict ${p.requireScan.join(' or ')} is required but ${got ? `the version's is ${got}` : `registry "${entry.registry}" reports none for this version`}`, 'require-scan');
      }
    }
    for (const [k, want] of Object.entries(p.requireLabels ?? {})) {
      const got = entry.labels?.[k];
      if (got !== want) v(`label ${k}=${want} is required${got === undefined ? ' but the version has no such label' : ` but the version has ${k}=${got}`}`, 'require-label');
    }
  }
  return out;
}
