/**
 * The lock file `gitopsc.lock`: YAML, sorted, no timestamps; one entry per service and
 * environment. Parsing turns a hand-broken lock into diagnostics; serialising is canonical so
 * that the lock is byte-identical when nothing changed. Pure.
 */
import { error, type Diagnostic } from '../core/diagnostics.js';
import type { LoadedDoc } from '../load/types.js';
import type { ArtifactSpec, LockEntry, StagedCode, Strategy } from '../core/model.js';
import { emitJsonValue, emitYaml } from '../core/emit.js';
import { sha256Hex } from '../core/hash.js';

export const LOCK_VERSION = 1;
const HEADER = '# gitopsc.lock: written by `gitopsc resolve`. Do not edit by hand; commit it.\n';

export type Lock = Map<string, LockEntry>;

export function lockKey(service: string, environment: string): string {
  return `${service}\u0000${environment}`;
}

const fingerprints = new WeakMap<ArtifactSpec, string>();

/** A fingerprint of the effective criteria as written (runtime inputs unexpanded). */
export function fingerprint(artifact: ArtifactSpec): string {
  let f = fingerprints.get(artifact);
  if (f === undefined) fingerprints.set(artifact, (f = computeFingerprint(artifact)));
  return f;
}

function computeFingerprint(artifact: ArtifactSpec): string {
  const criteria = {
    registry: artifact.registry,
    package: artifact.package,
    format: artifact.format ?? 'image',
    file: artifact.file ?? null,
    select: artifact.select ?? {},
  };
  return 'sha256:' + sha256Hex(emitJsonValue(criteria)).slice(0, 16);
}

/** The same grammars as schemas/lock.schema.json (the schema reports them with positions). */
/** the OCI tag grammar, plus `+` for SemVer build metadata of generic packages (Kubernetes images refuse it at render) */
const LOCK_TAG = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

const STRATEGIES = new Set<Strategy>(['semver', 'newest-build', 'alphabetical', 'numerical', 'natural', 'exact', 'digest']);

/**
 * The lock's entries and what is wrong with it. `only`: the entries of this one service alone
 * (and its diagnostics), for a caller that knows the whole lock parses without errors.
 */
export function parseLock(doc: LoadedDoc, only?: string): { lock: Lock; diagnostics: Diagnostic[] } {
  const lock: Lock = new Map();
  const diagnostics: Diagnostic[] = [];
  const bad = (path: (string | number)[], msg: string) =>
    diagnostics.push(error('LOCK_STALE', `${msg}; run \`gitopsc resolve\` to rewrite the lock`, { file: doc.file, ...doc.position(path, 'value'), reason: 'invalid-entry' }));
  const data = doc.data as { lockVersion?: unknown; services?: unknown } | null;
  if (data === null || data === undefined) return { lock, diagnostics };
  if (typeof data !== 'object' || Array.isArray(data)) {
    bad([], 'the lock file is not a mapping');
    return { lock, diagnostics };
  }
  if (data.lockVersion !== LOCK_VERSION) bad(['lockVersion'], `unsupported lockVersion ${JSON.stringify(data.lockVersion)} (expected ${LOCK_VERSION})`);
  const services = (data.services ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  if (typeof services !== 'object' || Array.isArray(services)) {
    bad(['services'], 'services must be a mapping');
    return { lock, diagnostics };
  }
  for (const [service, envs] of Object.entries(services)) {
    if (!envs || typeof envs !== 'object') continue;
    if (only !== undefined && service !== only) continue;
    for (const [environment, e] of Object.entries(envs)) {
      if (
        !e ||
        typeof e !== 'object' ||
        typeof e.tag !== 'string' ||
        !LOCK_TAG.test(e.tag) ||
        typeof e.registry !== 'string' ||
        typeof e.package !== 'string' ||
        typeof e.fingerprint !== 'string' ||
        !STRATEGIES.has(e.strategy as Strategy) ||
        (e.digest !== undefined && (typeof e.digest !== 'string' || !DIGEST.test(e.digest))) ||
        (e.fileDigest !== undefined && (typeof e.fileDigest !== 'string' || !DIGEST.test(e.fileDigest)))
      ) {
        bad(['services', service, environment], `lock entry ${service}/${environment} is malformed`);
        continue;
      }
      const entry: LockEntry = {
        service,
        environment,
        registry: e.registry,
        package: e.package,
        tag: e.tag,
        strategy: e.strategy as Strategy,
        fingerprint: e.fingerprint,
      };
      if (typeof e.digest === 'string') entry.digest = e.digest;
      if (typeof e.fileDigest === 'string') entry.fileDigest = e.fileDigest;
      if (typeof e.versionId === 'string') entry.versionId = e.versionId;
      if (typeof e.scanStatus === 'string' && ['ALLOWED', 'WARN', 'BLOCKED', 'UNKNOWN'].includes(e.scanStatus)) entry.scanStatus = e.scanStatus as LockEntry['scanStatus'];
      if (typeof e.created === 'string') entry.created = e.created;
      if (e.labels && typeof e.labels === 'object') entry.labels = e.labels as Record<string, string>;
      if (e.input && typeof e.input === "object") entry.input = e.input as Record<string, string>;
      const staged = parseStaged(e.staged);
      if (staged) entry.staged = staged;
      lock.set(lockKey(service, environment), entry);
    }
  }
  return { lock, diagnostics };
}

/**
 * Merge-conflict markers (`<<<<<<< `, `=======`, `>>>>>>> ` at the start of a line): one
 * YAML_SYNTAX at the first marker, instead of whatever the YAML parser makes of them.
 */
export function conflictMarker(file: string, text: string): Diagnostic | undefined {
  // one search over the text (a lock of thousands of entries is not split into lines): a line
  // that is a marker, its end being a `\n` or the end of the text
  const m = CONFLICT_MARKER.exec(text);
  if (!m) return undefined;
  const start = m.index + (m[0].startsWith('\n') ? 1 : 0);
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < start; i = text.indexOf('\n', i + 1)) line++;
  return error('YAML_SYNTAX', `${file} has a merge-conflict marker: the lock cannot be read`, {
    reason: 'conflict-marker',
    file,
    line,
    column: 1,
    hint: 'resolve the conflict (keep either side, or delete the conflicting entries), then run `gitopsc resolve` to rewrite the lock',
  });
}

/** `<<<<<<< `, `>>>>>>> `, `||||||| ` (or alone on the line), `=======` alone, at the start of a line. */
const CONFLICT_MARKER = /(?:^|\n)(?:(?:<{7}|>{7}|\|{7})(?: |\r?(?=\n|$))|={7}\r?(?=\n|$))/;

const STAGED_KEYS = ['s3Bucket', 's3Key', 's3ObjectVersion', 'codeSha256', 'imageUri'] as const;

/** `staged:` of a lock entry: only its known string fields; anything else is dropped. */
function parseStaged(v: unknown): StagedCode | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: StagedCode = {};
  for (const k of STAGED_KEYS) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'string' && x) out[k] = x;
  }
  return Object.keys(out).length ? out : undefined;
}

export function serializeLock(lock: Lock): string {
  const services: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const e of lock.values()) {
    const { service, environment, ...rest } = e;
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rest)) if (v !== undefined && !(typeof v === 'object' && v && Object.keys(v).length === 0)) clean[k] = v;
    (services[service] ??= {})[environment] = clean;
  }
  return HEADER + emitYaml({ lockVersion: LOCK_VERSION, services });
}
