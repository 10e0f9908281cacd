/**
 * Where templates come from: the built-ins shipped in `templates/` (read once per process)
 * and a project's own template directory (read through the ProjectSource).
 */
import { listPackageDir, readPackageText } from '../host/package.js';
import type { ProjectSource } from '../core/types.js';
import type { Target, TemplateSource } from './render.js';

const TARGETS: Target[] = ['kubernetes', 'lambda'];

let builtins: TemplateSource[] | undefined;

export function builtinTemplates(): TemplateSource[] {
  if (builtins) return builtins;
  const out: TemplateSource[] = [];
  for (const target of TARGETS) {
    for (const f of listPackageDir(`templates/${target}`)) {
      if (f.isDirectory() && target === 'lambda') {
        // templates/lambda/<output>/<name>.hbs: the template set of one Lambda consumer
        for (const g of listPackageDir(`templates/${target}/${f.name}`).map((d) => d.name)) {
          if (!g.endsWith('.hbs')) continue;
          // `_all`: rendered for every consumer; the others are parsed and re-emitted (canonical)
          const output = f.name === '_all' ? {} : { output: f.name };
          out.push({ target, name: g.slice(0, -4), file: `<builtin>/${target}/${f.name}/${g}`, source: readPackageText(`templates/${target}/${f.name}/${g}`), builtin: true, ...output });
        }
        continue;
      }
      if (!f.name.endsWith('.hbs')) continue;
      out.push({ target, name: f.name.slice(0, -4), file: `<builtin>/${target}/${f.name}`, source: readPackageText(`templates/${target}/${f.name}`), builtin: true, canonical: true, ...(target === 'lambda' ? { output: 'aws-cli' } : {}) });
    }
  }
  return (builtins = out);
}

/** `<dir>/kubernetes/<name>.yaml.hbs` and `<dir>/lambda/<name>.json.hbs` from the project. */
export async function projectTemplates(source: ProjectSource, dir: string, files: readonly string[]): Promise<TemplateSource[]> {
  const out: TemplateSource[] = [];
  const prefix = dir === '.' ? '' : `${dir}/`;
  for (const f of files) {
    if (!f.startsWith(prefix) || !f.endsWith('.hbs')) continue;
    const [target, name, ...rest] = f.slice(prefix.length).split('/');
    if (rest.length || !name || !TARGETS.includes(target as Target)) continue;
    const bytes = await source.read(f);
    if (bytes) out.push({ target: target as Target, name: name.slice(0, -4), file: f, source: new TextDecoder().decode(bytes) });
  }
  return out;
}
