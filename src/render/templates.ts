/**
 * Where templates come from: the built-ins shipped in `templates/` (read once per process)
 * and a project's own template directory (read through the ProjectSource).
 */
import { listPackageDir, readPackageText } from '../host/package.js';
import type { ProjectSource } from '../core/types.js';
import { targetGeneration, targetPlugin, targetPlugins } from '../targets/index.js';
import type { Target, TemplateSource } from './render.js';


let builtins: { generation: number; templates: TemplateSource[] } | undefined;

/** Every target's built-in templates (its plug-in names the directory), read once per process. */
export function builtinTemplates(): TemplateSource[] {
  if (builtins && builtins.generation === targetGeneration()) return builtins.templates;
  const out: TemplateSource[] = [];
  for (const plugin of targetPlugins()) {
    const target = plugin.id;
    // the plug-in's directory, as a URL (the package's templates/<id>/ for the built-ins)
    const dir = plugin.templates.href.replace(/\/?$/, '/');
    for (const f of listPackageDir(dir)) {
      if (f.isDirectory()) {
        // <dir>/<output>/<name>.hbs: the template set of one output (a Lambda consumer)
        for (const g of listPackageDir(`${dir}${f.name}`).map((d) => d.name)) {
          if (!g.endsWith('.hbs')) continue;
          // `_all`: rendered for every output; the others are parsed and re-emitted (canonical)
          const output = f.name === '_all' ? {} : { output: f.name };
          out.push({ target, name: g.slice(0, -4), file: `<builtin>/${target}/${f.name}/${g}`, source: readPackageText(`${dir}${f.name}/${g}`), builtin: true, ...output });
        }
        continue;
      }
      if (!f.name.endsWith('.hbs')) continue;
      out.push({ target, name: f.name.slice(0, -4), file: `<builtin>/${target}/${f.name}`, source: readPackageText(`${dir}${f.name}`), builtin: true, canonical: true, ...(plugin.defaultOutput ? { output: plugin.defaultOutput } : {}) });
    }
  }
  builtins = { generation: targetGeneration(), templates: out };
  return out;
}

/** `<dir>/kubernetes/<name>.yaml.hbs` and `<dir>/lambda/<name>.json.hbs` from the project. */
export async function projectTemplates(source: ProjectSource, dir: string, files: readonly string[]): Promise<TemplateSource[]> {
  const out: TemplateSource[] = [];
  const prefix = dir === '.' ? '' : `${dir}/`;
  for (const f of files) {
    if (!f.startsWith(prefix) || !f.endsWith('.hbs')) continue;
    const [target, name, ...rest] = f.slice(prefix.length).split('/');
    if (rest.length || !name || !target || !targetPlugin(target)) continue;
    const bytes = await source.read(f);
    if (bytes) out.push({ target: target as Target, name: name.slice(0, -4), file: f, source: new TextDecoder().decode(bytes) });
  }
  return out;
}
