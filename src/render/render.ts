/**
 * Rendering: compile the template set once, then render each (service, environment) unit into
 * canonical files. Pure: template sources come in as data, files go out as data.
 */
import { lazy } from '../core/lazy.js';

const Y = lazy<typeof import('yaml')>('yaml');
import { error, type Diagnostic } from '../core/diagnostics.js';
import type { RenderedFile } from '../core/types.js';
import { buildContext, type RenderUnit } from './context.js';
import { fastLoad } from '../load/fast.js';
import { emitJson, emitYaml } from '../core/emit.js';
import { applyPatches } from './kubernetes/apply-patches.js';
import { checkRenderedFiles, type ManifestChecker } from '../validate/kubernetes/rendered.js';
import { closeFlow, TemplateError, type CompiledTemplate, type TemplateEngine } from './handlebars.js';
import { contextShape } from './shape.js';
import { checkTemplatePaths } from './template-paths.js';

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
  /** shipped with gitopsc: written in the quoted-scalar idiom and rendered directly */
  builtin?: boolean;
  /** lambda only: the consumer this built-in belongs to (`aws-cli`, `ack`, ...); absent = always rendered */
  output?: string;
}

interface Compiled {
  target: Target;
  name: string;
  file: string;
  kind: 'yaml' | 'json';
  canonical: boolean;
  /** rendered in the quoted-scalar idiom (the built-ins); re-emitted when not canonical */
  direct: boolean;
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
      diagnostics.push(error('TEMPLATE', `template ${s.name} must render a .yaml, .yml or .json file`, { reason: 'bad-output-name', file: s.file, line: 1, column: 1 }));
      continue;
    }
    try {
      // Built-ins are written in the quoted-scalar idiom and render directly (their bytes and
      // speed); every other template is contextual: structure from the template, values
      // substituted after. Built-ins that are not canonical by construction are re-emitted.
      const direct = Boolean(s.canonical || s.builtin);
      const mode = direct ? 'canonical' : 'contextual';
      const fn = engine.compile(s.source, kind, mode);
      // every path the template reads must exist in the context of its target (offline, before
      // any render); a template that reads one that cannot exist is reported once, here, not per unit
      const problems = direct ? [] : checkTemplatePaths(closeFlow(s.source), contextShape(s.target));
      for (const p of problems) {
        diagnostics.push(error('TEMPLATE', `${p.message} (in the context of a ${s.target} template)`, { reason: 'unknown-path', file: s.file, line: p.line, column: p.column, ...(p.hint ? { hint: p.hint } : {}) }));
      }
      if (problems.length === 0) {
        templates.push({ target: s.target, name: s.name, file: s.file, kind, canonical: Boolean(s.canonical) && kind === 'yaml', direct, fn, source: s.source, ...(s.output ? { output: s.output } : {}) });
      }
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      diagnostics.push(error('TEMPLATE', e.message, { reason: 'invalid-template', file: s.file, line: e.line, column: e.column, ...(e.hint ? { hint: e.hint } : {}) }));
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

export function renderUnit(set: TemplateSet, unit: RenderUnit, outputPrefix = '', checker?: () => ManifestChecker | undefined): { files: RenderedFile[]; diagnostics: Diagnostic[] } {
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
      diagnostics.push(
        error('TEMPLATE', `${e.message} (rendering ${unit.service} for environment ${unit.environment.name})`, { reason: 'render-failed', 
          file: t.file,
          line: pos.line,
          column: pos.column,
          ...at,
          ...(e.hint ? { hint: e.hint } : {}),
        }),
      );
      continue;
    }
    if (text.trim() === '') continue; // a template that renders nothing declares no resource
    if (t.direct && !t.canonical) {
      // built-ins that are canonical in their values, not in their layout (JSON, other consumers)
      const c = canonicalize(text, t.kind);
      if (!c.ok) {
        diagnostics.push(error('TEMPLATE', `${c.message} at rendered line ${c.line} (rendering ${unit.service} for environment ${unit.environment.name})`, { reason: 'invalid-output', file: t.file, line: 1, column: 1, ...at }));
        continue;
      }
      text = c.content;
    }
    files.push({ path: `${outputPrefix}${unit.environment.name}/${unit.service}/${t.name}`, content: text, service: unit.service, environment: unit.environment.name });
  }
  let out = files;
  if (unit.patches?.length && !diagnostics.length) {
    const r = applyPatches(files, unit.patches, { file: unit.file, ...at });
    if (r.diagnostics.length) return { files: [], diagnostics: r.diagnostics };
    out = r.files;
  }
  const check = unit.target === 'kubernetes' && !diagnostics.length ? checker?.() : undefined;
  if (check) {
    const problems = checkRenderedFiles(out, check, { file: unit.file, ...at, source: unit.source });
    diagnostics.push(...problems);
    if (problems.some((d) => d.severity === 'error')) return { files: [], diagnostics };
  }
  return { files: out, diagnostics };
}
