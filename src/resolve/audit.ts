/**
 * `gitopsc audit`: re-check every locked version against its registry, without selecting
 * anything. A version quarantined since it was locked, a scan verdict a policy no longer
 * accepts, or a locked tag that vanished or moved is reported, naming the service and
 * environment. Provider calls are the only I/O.
 */
import { error, type Diagnostic } from '../core/diagnostics.js';
import type { ReasonFor } from '../core/reasons.js';
import type { PinnedArtifact, ScanStatus } from '../core/model.js';
import { effectiveService } from '../project/effective.js';
import type { Project } from '../project/types.js';
import type { Provider } from './provider.js';
import { lockKey, type Lock } from './lock.js';
import { checkPolicy } from './policy.js';

/** One locked version and what its registry says of it now. */
export interface AuditRow extends Omit<PinnedArtifact, 'fileDigest'> {
  /** ok: nothing to report; violation: a policy or quarantine finding; missing: no lock entry; gone: the version no longer exists; error: the registry failed */
  status: 'ok' | 'violation' | 'missing' | 'gone' | 'error';
  quarantined?: boolean;
  quarantineReason?: string;
  scanStatus?: ScanStatus;
}

export interface AuditOutcome {
  rows: AuditRow[];
  diagnostics: Diagnostic[];
}

export async function auditLock(project: Project, lock: Lock, providers: Map<string, Provider>, opts: { envs?: string[] } = {}): Promise<AuditOutcome> {
  const envs = project.environments.filter((e) => !opts.envs || opts.envs.includes(e.name));
  const units = project.services.flatMap((decl) => envs.map((e) => ({ decl, env: e.name })));
  const results = await Promise.all(
    units.map(async ({ decl, env }): Promise<{ row?: AuditRow; diagnostics: Diagnostic[] }> => {
      const eff = effectiveService(decl, env);
      const at = () => ({ file: decl.file, ...decl.doc.position(eff.artifactPath, 'key'), service: decl.name, environment: env });
      const entry = lock.get(lockKey(decl.name, env));
      if (!entry) {
        return { diagnostics: [error('LOCK_STALE', `${decl.name} (${env}): no lock entry to audit; run \`gitopsc resolve\``, { ...at(), reason: 'no-entry' })] };
      }
      const row: AuditRow = {
        service: decl.name,
        environment: env,
        registry: entry.registry,
        package: entry.package,
        tag: entry.tag,
        ...(entry.digest ? { digest: entry.digest } : {}),
        ...(entry.versionId ? { versionId: entry.versionId } : {}),
        status: 'ok',
      };
      const provider = providers.get(entry.registry);
      if (!provider) {
        row.status = 'error';
        return { row, diagnostics: [error('UNKNOWN_REGISTRY', `${decl.name} (${env}): the lock names registry "${entry.registry}", which is not declared`, { ...at(), reason: 'locked-registry' })] };
      }
      const failed = <C extends Diagnostic['code']>(code: C, message: string, status: AuditRow['status'], reason?: ReasonFor<C>) => {
        row.status = status;
        return { row, diagnostics: [error(code, `${decl.name} (${env}): ${message}`, { ...at(), reason })] };
      };
      let diagnostics: Diagnostic[];
      if (provider.listed) {
        const l = await provider.listed(entry.package, entry.tag);
        if (!l.ok) return failed(l.failure.code, l.failure.message, 'error', l.failure.reason);
        if (!l.value) return failed('TAG_NOT_FOUND', `the locked version ${entry.package}:${entry.tag} no longer exists in registry "${entry.registry}"`, 'gone', 'locked-version-gone');
        const live = l.value;
        if (live.quarantined) {
          row.quarantined = true;
          if (live.quarantineReason) row.quarantineReason = live.quarantineReason;
        }
        if (live.scanStatus) row.scanStatus = live.scanStatus;
        if (entry.versionId && live.versionId && live.versionId !== entry.versionId) {
          return failed('DIGEST_MISMATCH', `the locked version ${entry.package}:${entry.tag} was replaced in registry "${entry.registry}" (version id ${entry.versionId} is now ${live.versionId})`, 'violation', 'version-replaced');
        }
        diagnostics = checkPolicy(project, decl, entry, eff.artifactPath, live);
        // a quarantined version's content is not served: the finding above is the answer
        if (live.quarantined) {
          if (diagnostics.length) row.status = 'violation';
          return { row, diagnostics };
        }
      } else {
        diagnostics = checkPolicy(project, decl, entry, eff.artifactPath);
      }
      // the content the lock pins is still what the tag serves
      const platform = eff.artifact.select?.platform;
      const file = (eff.artifact.format ?? 'image') === 'file' ? eff.artifact.file : undefined;
      const d = await provider.describe(entry.package, entry.tag, { metadata: false, ...(platform ? { platform } : {}), ...(file && entry.fileDigest ? { file } : {}) });
      if (!d.ok) {
        if (d.failure.code === 'TAG_NOT_FOUND') return failed('TAG_NOT_FOUND', `the locked version ${entry.package}:${entry.tag} no longer exists in registry "${entry.registry}"`, 'gone', 'locked-version-gone');
        return failed(d.failure.code, d.failure.message, 'error', d.failure.reason as ReasonFor<typeof d.failure.code>);
      }
      if (entry.digest && d.value.digest && d.value.digest !== entry.digest) {
        return failed('DIGEST_MISMATCH', `tag ${entry.tag} of ${entry.package} now points at ${d.value.digest}, but the lock has ${entry.digest}`, 'violation', 'tag-moved');
      }
      const nowFile = file && d.value.files?.find((f) => f.name === file);
      if (entry.fileDigest && d.value.files && (!nowFile || nowFile.digest !== entry.fileDigest)) {
        return failed('DIGEST_MISMATCH', `file ${file ?? ''} of ${entry.package}:${entry.tag} ${nowFile ? `is now ${nowFile.digest}` : 'is gone'}, but the lock has ${entry.fileDigest}`, 'violation', 'file-changed');
      }
      if (diagnostics.length) row.status = 'violation';
      return { row, diagnostics };
    }),
  );
  const rows = results.flatMap((r) => (r.row ? [r.row] : []));
  rows.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.environment < b.environment ? -1 : a.environment > b.environment ? 1 : 0));
  return { rows, diagnostics: results.flatMap((r) => r.diagnostics) };
}
