/**
 * Rendering: compile the template set once, then render each (service, environment) unit into
 * canonical files. Pure: template sources come in as data, files go out as data.
 */
import { lazy } from '../lazy.js';

const Y = lazy<typeof import('yaml')>('yaml');
import { error, type Diagnostic } from '../diagnostics.js';
import type { RenderedFile } from '../pipeline.js';
import { buildContext, type RenderUnit } from './context.js';
import { fastLoad } from '../load/fast.js';
import { emitJson, emitYaml } from './emit.js';
import { TemplateError, type CompiledTemplate, type TemplateEngine } from './handlebars.js';

export type Target = 'kubernetes' | 'lambda';

export interface TemplateSource {
  target: Target;
  /** output file name: `deployment.yaml`, `function.json` */
  name: string;
  /** where the template came from, for diagnostics (project-relative, or `<builtin>/...`) */
  file: string;
  source: string;
  /**
   * The template's output is already canonical (sorted keys, {{yaml}} for nested values), so it
   * skips the parse-and-re-emit step. Only built-ins say so, and a test holds them to it.
   */
  canonical?: boolean;
  /** lambda only: the consumer this built-in belongs to (`aws-cli`, `ack`, ...); absent = always rendered */
  output?: string;
}

interface Compiled {
  target: Target;
  name: string;
  file: string;
  kind: 'yaml' | 'json';
  canonical: boolean;
  fn: CompiledTemplate;
  source: string;
  output?: string;
}

export interface TemplateSet {
  templates: Compiled[];
  diagnostics: Diagnostic[];
}

export function templateKind(name: string): 'yaml' | 'json' | undefined {
  if (/\.ya?ml$/.test(name)) return 'yaml';
  if (/\.json$/.test(name)) return 'json';
  return undefined;
}

/** Compile every template once. Project templates with the same target and name replace built-ins. */
export function compileTemplates(engine: TemplateEngine, sources: TemplateSource[]): TemplateSet {
  const byKey = new Map<string, TemplateSource>();
  for (const s of sources) {
    const key = `${s.target}/${s.name}`;
    // a project template that replaces a built-in renders for the same consumer
    const replaced = byKey.get(key);
    byKey.set(key, replaced?.output && !s.output ? { ...s, output: replaced.output } : s);
  }
  const templates: Compiled[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const s = byKey.get(key)!;
    const kind = templateKind(s.name);
    if (!kind) {
      diagnostics.push(error('TEMPLATE', `template ${s.name} must render a .yaml, .yml or .json file`, { file: s.file, line: 1, column: 1 }));
      continue;
    }
    try {
      templates.push({ target: s.target, name: s.name, file: s.file, kind, canonical: Boolean(s.canonical) && kind === 'yaml', fn: engine.compile(s.source, kind), source: s.source, ...(s.output ? { output: s.output } : {}) });
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      diagnostics.push(error('TEMPLATE', e.message, { file: s.file, line: e.line, column: e.column }));
    }
  }
  return { templates, diagnostics };
}

/** Canonicalise one rendered text: parse it and emit it with sorted keys and safe quoting. */
export function canonicalize(text: string, kind: 'yaml' | 'json'): { ok: true; content: string } | { ok: false; message: string; line: number } {
  if (kind === 'json') {
    try {
      const v: unknown = JSON.parse(text);
      if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, message: 'rendered JSON is not an object', line: 1 };
      return { ok: true, content: emitJson(v) };
    } catch (e) {
      const m = /position (\d+)/.exec((e as Error).message);
      const line = m ? text.slice(0, Number(m[1])).split('\n').length : 1;
      return { ok: false, message: `rendered output is not valid JSON: ${(e as Error).message}`, line };
    }
  }
  // The common case (our templates' output) takes the fast reader; anything else the full parser.
  const fast = fastLoad('rendered', text);
  if (fast) return { ok: true, content: emitYaml(fast.data) };
  const docs = Y().parseAllDocuments(text, { version: '1.2', merge: false, uniqueKeys: true, resolveKnownTags: false, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length !== 1) return { ok: false, message: `rendered output must be exactly one YAML document (got ${list.length})`, line: 1 };
  const doc = list[0]!;
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line ?? 1;
    return { ok: false, message: `rendered output is not valid YAML: ${problem.message.split('\n')[0]}`, line };
  }
  const v: unknown = doc.toJS({ maxAliasCount: 0 });
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, message: 'rendered YAML is not a mapping', line: 1 };
  return { ok: true, content: emitYaml(v) };
}

/**
 * Handlebars reports a path through a missing object (`spec.probes.readiness` without `probes`)
 * as a TypeError with no position; find the first use of the property it names instead.
 */
function guessPosition(source: string, message: string): { line: number; column: number } | undefined {
  const m = /reading '([^']+)'/.exec(message);
  if (!m) return undefined;
  const at = source.search(new RegExp(`\\.${m[1]!.replace(/[^\w-]/g, '')}\\b`));
  if (at < 0) return undefined;
  const before = source.slice(0, at).split('\n');
  const start = before.at(-1)!.lastIndexOf('{{');
  return { line: before.length, column: (start >= 0 ? start : before.at(-1)!.length) + 1 };
}

export function renderUnit(set: TemplateSet, unit: RenderUnit, outputPrefix = ''): { files: RenderedFile[]; diagnostics: Diagnostic[] } {
  const context = buildContext(unit);
  const files: RenderedFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const at = { service: unit.service, environment: unit.environment.name };
  for (const t of set.templates) {
    if (t.target !== unit.target) continue;
    if (t.output && unit.target === 'lambda' && !(unit.lambda?.outputs ?? ['aws-cli']).includes(t.output as never)) continue;
    let text: string;
    try {
      text = t.fn(context);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      const pos = e.line === 1 && e.column === 1 ? (guessPosition(t.source, e.message) ?? e) : e;
      diagnostics.push(error('TEMPLATE', `${e.message} (rendering ${unit.service} for ${unit.environment.name})`, { file: t.file, line: pos.line, column: pos.column, ...at }));
      continue;
    }
    if (text.trim() === '') continue; // a template that renders nothing declares no resource
    if (t.canonical) {
      files.push({ path: `${outputPrefix}${unit.environment.name}/${unit.service}/${t.name}`, content: text, service: unit.service, environment: unit.environment.name });
      continue;
    }
    const c = canonicalize(text, t.kind);
    if (!c.ok) {
      diagnostics.push(
        error('TEMPLATE', `${c.message} at rendered line ${c.line} (rendering ${unit.service} for ${unit.environment.name})`, {
          file: t.file,
          line: 1,
          column: 1,
          ...at,
          hint: 'every {{ }} emits one whole quoted scalar: build strings with {{concat a "-b"}}, objects with {{json x}}',
        }),
      );
      continue;
    }
    files.push({ path: `${outputPrefix}${unit.environment.name}/${unit.service}/${t.name}`, content: c.content, service: unit.service, environment: unit.environment.name });
  }
  return { files, diagnostics };
}
