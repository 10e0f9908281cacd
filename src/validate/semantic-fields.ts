/**
 * Field checks JSON Schema cannot express well, on the base spec and on each environment's
 * effective spec (base deep-merged with its override). Pure; codes are SCHEMA.
 */
import { error, warning, type Diagnostic, type DiagnosticAt } from '../core/diagnostics.js';
import type { ReasonFor } from '../core/reasons.js';
import { pathToString } from '../load/pointer.js';
import { deepMerge } from '../core/merge.js';
import { redactUrlValue } from '../core/redact.js';
import type { JsonPath, LoadedDoc } from '../load/types.js';

/** Names Lambda reserves (AWS docs, "Defined runtime environment variables"). */
export const LAMBDA_RESERVED_ENV = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);
/** Listed as reserved in some AWS pages but set by many users: a warning, not an error. */
export const LAMBDA_RESERVED_ENV_WARN = new Set(['TZ']);
export const LAMBDA_ENV_MAX_BYTES = 4096;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const utf8 = new TextEncoder();

interface Context {
  env?: string;
  eff: Obj;
  /** where a spec-relative path is in the file: in the override when it sets it, else the base */
  locate(rel: JsonPath): JsonPath;
}

export function checkServiceFields(doc: LoadedDoc): Diagnostic[] {
  if (!isObj(doc.data) || !isObj(doc.data.spec)) return [];
  const spec = doc.data.spec;
  const base: Obj = { artifact: spec.artifact, kubernetes: spec.kubernetes, lambda: spec.lambda };
  const contexts: Context[] = [{ eff: base, locate: (rel) => ['spec', ...rel] }];
  if (isObj(spec.environments)) {
    for (const [env, override] of Object.entries(spec.environments)) {
      if (!isObj(override)) continue;
      const eff = deepMerge(base, override) as Obj;
      const oArtifact = override.artifact;
      if (isObj(oArtifact) && 'select' in oArtifact && isObj(eff.artifact)) eff.artifact = { ...eff.artifact, select: oArtifact.select };
      contexts.push({
        env,
        eff,
        locate: (rel) => {
          let node: unknown = override;
          for (const seg of rel) {
            if (!isObj(node) || !(String(seg) in node)) return ['spec', ...rel];
            node = node[String(seg)];
          }
          return ['spec', 'environments', env, ...rel];
        },
      });
    }
  }
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const ctx of contexts) {
    for (const d of checkEffective(ctx, doc)) {
      const k = `${d.line}:${d.column}:${d.message}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(d);
    }
  }
  return out;
}

function checkEffective(ctx: Context, doc: LoadedDoc): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (rel: JsonPath, target: 'key' | 'value', message: string, reason: ReasonFor<'SCHEMA'>, severity: 'error' | 'warning' = 'error'): void => {
    const where = ctx.locate(rel);
    const make = severity === 'error' ? error : warning;
    out.push(make('SCHEMA', message, { file: doc.file, ...doc.position(where, target), reason, ...(ctx.env ? { environment: ctx.env } : {}) }));
  };
  const name = (rel: JsonPath): string => pathToString(['spec', ...rel]);
  const { artifact, kubernetes, lambda } = ctx.eff;

  const format = isObj(artifact) && typeof artifact.format === 'string' ? artifact.format : 'image';
  if (isObj(artifact)) {
    if (format === 'file' && artifact.file === undefined) report(['artifact', 'format'], 'value', `${name(['artifact', 'file'])} is required with \`format: file\``, 'required');
    if (format !== 'file' && artifact.file !== undefined) report(['artifact', 'file'], 'key', `${name(['artifact', 'file'])} is only allowed with \`format: file\``, 'not-allowed-here');
    const select = artifact.select;
    if (isObj(select)) {
      const strategy = typeof select.strategy === 'string' ? select.strategy : 'semver';
      if (select.digest !== undefined && strategy !== 'exact') {
        report(['artifact', 'select', 'digest'], 'key', `${name(['artifact', 'select', 'digest'])} is only allowed with \`strategy: exact\``, 'not-allowed-here');
      }
      if ((strategy === 'exact' || strategy === 'digest') && select.tag === undefined) {
        report(['artifact', 'select', 'strategy'], 'value', `\`strategy: ${strategy}\` needs a \`tag\``, 'required');
      }
    }
  }

  if (isObj(kubernetes) && isObj(kubernetes.autoscaling)) {
    const { minReplicas, maxReplicas } = kubernetes.autoscaling;
    if (typeof minReplicas === 'number' && typeof maxReplicas === 'number' && minReplicas > maxReplicas) {
      report(['kubernetes', 'autoscaling', 'minReplicas'], 'value', `${name(['kubernetes', 'autoscaling', 'minReplicas'])} (${minReplicas}) must not exceed maxReplicas (${maxReplicas})`, 'min-exceeds-max');
    }
  }

  if (isObj(lambda)) {
    const env = lambda.environment;
    if (isObj(env)) {
      let size = 0;
      for (const [k, v] of Object.entries(env)) {
        size += utf8.encode(k).length + (typeof v === 'string' ? utf8.encode(v).length : 0);
        if (LAMBDA_RESERVED_ENV.has(k)) report(['lambda', 'environment', k], 'key', `\`${k}\` is reserved by AWS Lambda and cannot be set`, 'reserved-env');
        else if (LAMBDA_RESERVED_ENV_WARN.has(k)) report(['lambda', 'environment', k], 'key', `\`${k}\` is listed as reserved by AWS Lambda; it may be refused`, 'reserved-env', 'warning');
      }
      if (size > LAMBDA_ENV_MAX_BYTES) {
        report(['lambda', 'environment'], 'key', `${name(['lambda', 'environment'])} is ${size} bytes; Lambda allows ${LAMBDA_ENV_MAX_BYTES} bytes (4 KB) in total`, 'lambda-env-too-large');
      }
    }
    if (format === 'file') {
      for (const field of ['runtime', 'handler'] as const) {
        if (lambda[field] === undefined) report(['lambda'], 'key', `${name(['lambda', field])} is required with \`format: file\``, 'required');
      }
      if (!isObj(lambda.code) || lambda.code.s3Bucket === undefined) report(['lambda', 'code'], 'key', `${name(['lambda', 'code', 's3Bucket'])} is required with \`format: file\``, 'required');
      if (lambda.mirror !== undefined) report(['lambda', 'mirror'], 'key', `${name(['lambda', 'mirror'])} is for images; a zip is staged to \`code.s3Bucket\``, 'not-allowed-here');
    } else {
      for (const field of ['runtime', 'handler'] as const) {
        if (lambda[field] !== undefined) report(['lambda', field], 'key', `${name(['lambda', field])} must not be set for an image package (the image defines it)`, 'not-allowed-here');
      }
      if (lambda.layers !== undefined) report(['lambda', 'layers'], 'key', `${name(['lambda', 'layers'])} must not be set for an image package: Lambda refuses layers for container images (put them in the image)`, 'not-allowed-here');
      if (lambda.code !== undefined) report(['lambda', 'code'], 'key', `${name(['lambda', 'code'])} is for \`format: file\` (zip in S3); an image package runs the resolved image`, 'not-allowed-here');
    }
  }
  return out;
}

/** Config checks beyond the schema: unique environments, http only where safe, auth shape. */
export function checkConfigFields(doc: LoadedDoc): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!isObj(doc.data)) return out;
  const at = (path: JsonPath, target: 'key' | 'value', message: string, extra: DiagnosticAt<'SCHEMA'> = {}): void => {
    out.push(error('SCHEMA', message, { file: doc.file, ...doc.position(path, target), ...extra }));
  };
  const envs = doc.data.environments;
  if (Array.isArray(envs)) {
    const first = new Map<string, number>();
    envs.forEach((e, i) => {
      if (!isObj(e) || typeof e.name !== 'string') return;
      const prev = first.get(e.name);
      if (prev === undefined) first.set(e.name, i);
      else {
        const p = doc.position(['environments', prev, 'name'], 'value');
        at(['environments', i, 'name'], 'value', `duplicate environment \`${e.name}\``, { reason: 'duplicate-environment', related: [{ file: doc.file, ...p, message: 'first defined here' }] });
      }
    });
  }
  checkUrlCredentials(doc.data, [], (path, shown) =>
    at(path, 'value', `${pathToString(path)} must not hold credentials (got "${shown}"): refer to them with auth: { username: { env: NAME }, password: { env: NAME } } or token: { env: NAME }`, { reason: 'url-credentials' }),
  );
  const regs = doc.data.registries;
  if (isObj(regs)) {
    for (const [name, r] of Object.entries(regs)) {
      if (!isObj(r) || (r.type !== 'oci' && r.type !== 'har')) continue;
      if (typeof r.url === 'string' && /^http:\/\//i.test(r.url) && r.insecure !== true) {
        let host: string;
        try {
          host = new URL(r.url).hostname;
        } catch {
          host = '';
        }
        if (!/^(localhost|127(\.\d+){3}|\[::1\])$/.test(host)) {
          at(['registries', name, 'url'], 'value', `registries.${name}.url uses plain http; use https, or set \`insecure: true\``, { reason: 'insecure-http' });
        }
      }
      if (isObj(r.auth) && r.auth.token !== undefined && (r.auth.username !== undefined || r.auth.password !== undefined)) {
        at(['registries', name, 'auth', 'token'], 'key', `registries.${name}.auth: give either \`token\` or \`username\` and \`password\`, not both`, { reason: 'conflicting-auth' });
      }
    }
  }
  return out;
}

const HTTP_USERINFO = /^\s*https?:\/\/[^]*@/i;

/**
 * Credentials written into an http(s) URL anywhere in the config (a registry `url`, from YAML or
 * from the environment through a JS config) are refused, shown only as `https://***@host`.
 */
function checkUrlCredentials(value: unknown, path: JsonPath, report: (path: JsonPath, shown: string) => void): void {
  if (typeof value === 'string') {
    if (HTTP_USERINFO.test(value)) {
      const shown = redactUrlValue(value);
      report(path, shown.length > 80 ? `${shown.slice(0, 77)}...` : shown);
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => checkUrlCredentials(v, [...path, i], report));
  else if (isObj(value)) for (const [k, v] of Object.entries(value)) checkUrlCredentials(v, [...path, k], report);
}
