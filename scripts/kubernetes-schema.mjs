// Build step (run by hand when adding a Kubernetes version): derive the compact API schema that
// `src/validate/kubernetes/` checks rendered resources against, from the official JavaScript
// client, which the Kubernetes project generates from the OpenAPI spec of one Kubernetes minor
// version (@kubernetes/client-node 1.1.x <- Kubernetes 1.32; see its README "Compatibility").
//
//   npm pack @kubernetes/client-node@1.1.2 && tar xzf kubernetes-client-node-1.1.2.tgz
//   node scripts/kubernetes-schema.mjs package 1.32 > schemas/kubernetes/v1.32.json
//
// Output: { version, source, kinds: { "apps/v1/Deployment": "V1Deployment" }, types: { Model:
// { field: [type, format, required(0|1)] } } }, every field of every object the API accepts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, version] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const models = join(dir, 'dist/gen/models');
const types = {};
for (const f of readdirSync(models).sort()) {
  if (!f.endsWith('.js') || f === 'all.js' || f === 'ObjectSerializer.js') continue;
  const name = f.slice(0, -3);
  const mod = await import(pathToFileURL(join(models, f)).href);
  const cls = mod[name];
  if (!cls || !Array.isArray(cls.attributeTypeMap)) continue;
  const dts = readFileSync(join(models, `${name}.d.ts`), 'utf8');
  const fields = {};
  for (const a of cls.attributeTypeMap) {
    const required = new RegExp(`'${a.name.replace(/[$]/g, '\\$')}':`).test(dts) ? 1 : 0;
    fields[a.baseName] = [a.type, a.format ?? '', required];
  }
  types[name] = fields;
}
const kinds = {};
const apis = join(dir, 'dist/gen/apis');
for (const f of readdirSync(apis).sort()) {
  if (!f.endsWith('.js')) continue;
  const text = readFileSync(join(apis, f), 'utf8');
  const re = /localVarPath = '(\/apis?\/[^']*)'[\s\S]*?serialize\(body, "(V[0-9]\w*)"/g;
  for (const m of text.matchAll(re)) {
    const path = m[1];
    const model = m[2];
    const parts = path.split('/').filter(Boolean);
    const gv = parts[0] === 'api' ? parts[1] : `${parts[1]}/${parts[2]}`;
    if (!gv || gv.includes('{')) continue;
    const v = gv.split('/').pop();
    const prefix = v[0].toUpperCase() + v.slice(1);
    if (!model.startsWith(prefix)) continue;
    const kind = model.slice(prefix.length);
    if (!types[model] || !('kind' in types[model]) || /List$|Options$|^Scale$|Review$|Request$|^Eviction$|^Binding$/.test(kind)) continue;
    kinds[`${gv}/${kind}`] = model;
  }
}
const sortObj = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
process.stdout.write(JSON.stringify({ version, source: `${pkg.name}@${pkg.version}`, kinds: sortObj(kinds), types: sortObj(types) }) + '\n');
