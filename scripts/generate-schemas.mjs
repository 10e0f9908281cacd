// Build step: write the plug-in owned parts of the shipped JSON Schemas from the plug-ins'
// fragments: the registry entries of schemas/config.schema.json (src/resolve/providers/<id>/plugin.ts)
// and the targets of schemas/service.schema.json (src/targets/<id>/). Everything else in those
// files is written by hand. `--check` writes nothing and fails when a file differs (CI, tests).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { generatedSchemas } from '../dist/targets/schemas.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const [kind, make] of Object.entries(generatedSchemas)) {
  const url = new URL(`../schemas/${kind}.schema.json`, import.meta.url);
  const before = readFileSync(url, 'utf8');
  const after = await make(JSON.parse(before));
  if (after === before) continue;
  if (check) {
    console.error(`schemas/${kind}.schema.json is not what the plug-ins make: run npm run schemas`);
    stale++;
    continue;
  }
  const tmp = new URL(`../schemas/.${kind}.schema.json.tmp`, import.meta.url);
  writeFileSync(tmp, after);
  renameSync(tmp, url);
  console.error(`wrote schemas/${kind}.schema.json`);
}
process.exitCode = stale ? 1 : 0;
