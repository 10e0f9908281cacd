// Build step: precompile the built-in templates (templates/) to Handlebars code in
// dist/render/precompiled/templates.cjs, so that rendering them loads only Handlebars' run time
// and generates no code. The run time uses an entry only when its key (the template's source,
// kind and the code it is compiled with) and the Handlebars version match; otherwise it compiles.
import { mkdirSync, writeFileSync } from 'node:fs';
import { precompiledModule } from '../dist/render/handlebars.js';
import { templateKind } from '../dist/render/render.js';
import { builtinTemplates } from '../dist/render/templates.js';

const templates = builtinTemplates().flatMap((t) => {
  const kind = templateKind(t.name);
  return kind ? [{ source: t.source, kind }] : [];
});
const out = new URL('../dist/render/precompiled/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL('templates.cjs', out), precompiledModule(templates));
console.error(`precompiled ${templates.length} templates`);
