/**
 * The build precompiles the built-in templates (scripts/precompile-templates.mjs): rendering
 * them with the precompiled code must give exactly the bytes (or the error) that compiling them
 * at run time gives, and code made from another source or Handlebars version is never used.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { discoverProject } from '../src/config/discover.js';
import { compile, fsSource } from '../src/pipeline.js';
import { createTemplateEngine, precompiledModule, TemplateError, type PrecompiledTable } from '../src/render/handlebars.js';
import { templateKind } from '../src/render/render.js';
import { builtinTemplates } from '../src/render/templates.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The generated CommonJS module, evaluated in memory. */
function evalTable(code: string): PrecompiledTable {
  const m = { exports: {} as PrecompiledTable };
  new Function('module', 'exports', code)(m, m.exports);
  return m.exports;
}

const builtins = builtinTemplates().flatMap((t) => {
  const kind = templateKind(t.name);
  return kind ? [{ ...t, kind }] : [];
});

/** What a template gives for a context: its bytes, or its error and position. */
function outcome(fn: (c: object) => string, context: object): string {
  try {
    return fn(context);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return `error ${e.line}:${e.column} ${e.message}`;
  }
}

/** The template contexts of every unit of the bundled example (Kubernetes and Lambda services). */
async function exampleContexts(): Promise<{ target: string; context: Record<string, unknown> }[]> {
  const found = await discoverProject({ cwd: `${ROOT}fixtures/example` });
  if (!found.ok) throw new Error('fixtures/example not found');
  const state = await compile(fsSource(found.root), { configFile: found.configFile, lazy: true });
  expect(state.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return state.units.map((u) => ({ target: u.target, context: u.context() }));
}

describe('precompiled built-in templates', () => {
  it('render the same bytes (or the same error) as the templates compiled at run time', async () => {
    const table = evalTable(precompiledModule(builtins));
    expect(Object.keys(table.templates ?? {})).toHaveLength(builtins.length);
    const pre = createTemplateEngine({ precompiled: table });
    const plain = createTemplateEngine({ precompiled: null });
    const contexts = await exampleContexts();
    expect(new Set(contexts.map((c) => c.target))).toEqual(new Set(['kubernetes', 'lambda']));
    let compared = 0;
    for (const t of builtins) {
      const a = pre.compile(t.source, t.kind, 'canonical');
      const b = plain.compile(t.source, t.kind, 'canonical');
      for (const { target, context } of contexts) {
        if (target !== t.target) continue;
        expect(outcome(a, context), `${t.file} for ${String((context.service as { name?: string } | undefined)?.name)}`).toBe(outcome(b, context));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(builtins.length);
  });

  it('never uses code made from another source or by another Handlebars version', () => {
    const source = 'a: {{name}}\n';
    const table = evalTable(precompiledModule([{ source, kind: 'yaml' }]));
    // the same key for an edited source does not exist: the edited source is compiled
    const edited = createTemplateEngine({ precompiled: table }).compile('b: {{name}}\n', 'yaml', 'canonical');
    expect(edited({ name: 'x' })).toBe('b: x\n');
    // code from another Handlebars version is not used (a wrong version with code that would show)
    const key = Object.keys(table.templates!)[0]!;
    const foreign = { version: '0.0.0', templates: { [key]: table.templates![key] } };
    const stale = evalTable(precompiledModule([{ source: 'c: {{name}}\n', kind: 'yaml' }]));
    const swapped = { version: table.version, templates: { [key]: Object.values(stale.templates!)[0] } };
    expect(createTemplateEngine({ precompiled: foreign }).compile(source, 'yaml', 'canonical')({ name: 'x' })).toBe('a: x\n');
    // the swapped table proves the table is what runs when version and key match
    expect(createTemplateEngine({ precompiled: swapped }).compile(source, 'yaml', 'canonical')({ name: 'x' })).toBe('c: x\n');
  });

  it('are what the shipped build uses: no Handlebars compiler is loaded to render a built-in', () => {
    // the build (npm run build) wrote dist/render/precompiled/templates.cjs
    const script = `
      import { createRequire } from 'node:module';
      const { createTemplateEngine } = await import('./dist/render/handlebars.js');
      const { builtinTemplates } = await import('./dist/render/templates.js');
      const { templateKind } = await import('./dist/render/render.js');
      const engine = createTemplateEngine();
      let n = 0;
      for (const t of builtinTemplates()) { engine.compile(t.source, templateKind(t.name), 'canonical'); n++; }
      const req = createRequire(import.meta.url + '/../dist/render/x.js');
      const loaded = Object.keys(req.cache).filter((k) => k.includes('/handlebars/'));
      console.log(JSON.stringify({ n, compiler: loaded.some((k) => k.includes('/compiler/')), runtime: loaded.some((k) => k.endsWith('handlebars.runtime.js')) }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' })) as { n: number; compiler: boolean; runtime: boolean };
    expect(out).toEqual({ n: builtinTemplates().length, compiler: false, runtime: true });
  });
});
