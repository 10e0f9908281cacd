/**
 * The deployment commit message (pure): a subject, one line per changed service/environment
 * with old -> new tag@digest, and provenance trailers. `--message` templates use `{name}`
 * placeholders (`{{` and `}}` for literal braces); the trailers are always appended.
 */
import { describeVersion, type ArtifactChange } from '../diff/compare.js';

export interface ChangedFile {
  path: string;
  service: string;
  environment: string;
  status: 'added' | 'changed' | 'removed';
}

export interface MessageInput {
  artifacts: ArtifactChange[];
  files: ChangedFile[];
  source: string;
  sourceCommit?: string;
  template?: string;
}

export const PLACEHOLDERS = [
  'subject',
  'body',
  'changes',
  'artifacts',
  'services',
  'environments',
  'files',
  'source',
  'sourceCommit',
  'sourceCommitShort',
] as const;

type Values = Record<(typeof PLACEHOLDERS)[number], string>;

export type MessageResult = { ok: true; message: string; values: Values } | { ok: false; error: string };

export function commitMessage(input: MessageInput): MessageResult {
  const values = messageValues(input);
  let text: string;
  if (input.template !== undefined) {
    const r = fillTemplate(input.template, values);
    if (!r.ok) return r;
    text = r.text.trim() === '' ? values.subject : r.text.replace(/\s+$/, '');
  } else {
    text = `${values.subject}\n\n${values.body}`;
  }
  return { ok: true, message: `${text}\n\n${trailers(input).join('\n')}\n`, values };
}

export function trailers(input: MessageInput): string[] {
  const out = [`Gitopsc-Source: ${oneLine(input.source)}`];
  if (input.sourceCommit) out.push(`Gitopsc-Source-Commit: ${input.sourceCommit}`);
  for (const a of input.artifacts) {
    if (a.new) out.push(`Gitopsc-Artifact: ${a.service}/${a.environment} ${oneLine(a.new.image)}`);
    if (a.new?.versionId) out.push(`Gitopsc-Artifact-Version-Id: ${a.service}/${a.environment} ${oneLine(a.new.versionId)}`);
  }
  return out;
}

function messageValues(input: MessageInput): Values {
  const units = new Map<string, { service: string; environment: string; files: ChangedFile[]; artifact?: ArtifactChange }>();
  const unit = (service: string, environment: string) => {
    // an environment's own files (its kustomization.yaml) belong to no service
    const k = service ? `${service}/${environment}` : environment;
    let u = units.get(k);
    if (!u) {
      u = { service, environment, files: [] };
      units.set(k, u);
    }
    return u;
  };
  for (const f of input.files) unit(f.service, f.environment).files.push(f);
  for (const a of input.artifacts) unit(a.service, a.environment).artifact = a;
  const keys = [...units.keys()].sort();
  const serviceKeys = keys.filter((k) => units.get(k)!.service !== '');
  const changes = keys.map((k) => {
    const u = units.get(k)!;
    const n = u.files.length;
    const filesNote = n === 0 ? '' : ` (${n} file${n === 1 ? '' : 's'})`;
    const a = u.artifact;
    if (a?.status === 'changed') return `- ${k}: ${describeVersion(a.old)} -> ${describeVersion(a.new)}${filesNote}`;
    if (a?.status === 'added') return `- ${k}: added ${describeVersion(a.new)}${filesNote}`;
    if (a?.status === 'removed') return `- ${k}: removed (was ${describeVersion(a.old)})${filesNote}`;
    if (u.files.every((f) => f.status === 'removed')) return `- ${k}: removed${filesNote}`;
    return `- ${k}: configuration changed${filesNote}`;
  });
  const services = [...new Set(serviceKeys.map((k) => units.get(k)!.service))];
  const environments = [...new Set(keys.map((k) => units.get(k)!.environment))].sort();
  const count = (s: string) => input.files.filter((f) => f.status === s).length;
  const files = `${count('changed')} changed, ${count('added')} added, ${count('removed')} removed`;
  const changedArtifacts = input.artifacts.filter((a) => a.status === 'changed');
  let subject: string;
  const only = changedArtifacts[0];
  const sameBump =
    changedArtifacts.length === serviceKeys.length &&
    new Set(changedArtifacts.map((a) => `${a.service} ${a.old?.tag} ${a.new?.tag}`)).size === 1;
  const added = input.artifacts.filter((a) => a.status === 'added');
  const sameAdd = added.length === serviceKeys.length && new Set(added.map((a) => `${a.service} ${a.new?.tag}`)).size === 1;
  if (serviceKeys.length === 1 && only) {
    subject = `gitopsc: ${only.service}/${only.environment} ${only.old?.tag ?? '-'} -> ${only.new?.tag ?? '-'}`;
  } else if (sameAdd && added[0]) {
    subject = `gitopsc: ${added[0].service} ${added[0].new?.tag ?? '-'} in ${environments.join(', ')}`;
  } else if (sameBump && only) {
    subject = `gitopsc: ${only.service} ${only.old?.tag ?? '-'} -> ${only.new?.tag ?? '-'} in ${environments.join(', ')}`;
  } else if (serviceKeys.length === 1) {
    subject = `gitopsc: update ${serviceKeys[0]}`;
  } else if (serviceKeys.length === 0) {
    subject = `gitopsc: update ${environments.join(', ')}`;
  } else {
    subject = `gitopsc: update ${services.length} service${services.length === 1 ? '' : 's'} in ${environments.join(', ')}`;
  }
  const artifacts = input.artifacts
    .map((a) => `${a.service}/${a.environment} ${describeVersion(a.old)} -> ${describeVersion(a.new)}`)
    .join('; ');
  const body = `${changes.join('\n')}\n\nFiles: ${files}`;
  return {
    subject: oneLine(subject),
    body,
    changes: changes.join('\n'),
    artifacts,
    services: services.join(', '),
    environments: environments.join(', '),
    files,
    source: oneLine(input.source),
    sourceCommit: input.sourceCommit ?? '',
    sourceCommitShort: (input.sourceCommit ?? '').slice(0, 7),
  };
}

export function fillTemplate(template: string, values: Record<string, string>): { ok: true; text: string } | { ok: false; error: string } {
  let bad: string | undefined;
  const text = template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, name: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const k = (name ?? '').trim();
    if (Object.prototype.hasOwnProperty.call(values, k)) return values[k] as string;
    bad ??= k;
    return m;
  });
  if (bad !== undefined) {
    return { ok: false, error: `unknown placeholder {${bad}} in --message; known: ${Object.keys(values).map((k) => `{${k}}`).join(', ')}` };
  }
  return { ok: true, text };
}

function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
