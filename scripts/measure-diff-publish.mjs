// Measure `gitopsc diff` and `gitopsc publish --dry-run` of a one-service change in an
// N-service project (bench/generate.mjs) kept in a git repository. Not part of `npm run bench`.
//   node scripts/measure-diff-publish.mjs [N=1000] [ROUNDS=5] [--keep DIR] [--prof DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate, serviceYaml, svcName } from '../bench/generate.mjs';

const args = process.argv.slice(2);
const flag = (f) => { const i = args.indexOf(f); if (i < 0) return undefined; const v = args[i + 1]; args.splice(i, 2); return v; };
const keep = flag('--keep');
const prof = flag('--prof');
const n = Number(args[0] ?? 1000);
const rounds = Number(args[1] ?? 5);
// the `gitopsc` command as package.json's bin names it
const cli = resolve(new URL('..', import.meta.url).pathname, JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).bin.gitopsc);
const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const dir = keep ?? mkdtempSync(join(base, 'gitopsc-diffbench-'));
const deploy = `${dir}-deploy`;
const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b', NO_COLOR: '1' };
const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const run = (cwd, a, extra = []) => {
  // wall time is unreliable on a shared machine: CPU time (user + sys) from /usr/bin/time too
  const r = spawnSync('/usr/bin/time', ['-f', '@@%e %U %S', process.execPath, ...extra, cli, ...a], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const m = /@@([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr) ?? ['', '0', '0', '0'];
  return { ms: Number(m[1]) * 1000, cpu: (Number(m[2]) + Number(m[3])) * 1000, status: r.status, out: r.stdout, err: r.stderr.slice(0, m.index) };
};
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

if (!existsSync(join(dir, '.git'))) {
  generate(dir, n);
  git(dir, 'init', '-q', '-b', 'main');
  let r = run(dir, ['resolve']);
  if (r.status !== 0) throw new Error(`resolve: ${r.err}`);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'base');
  // the deployment repository, published once from the base
  rmSync(deploy, { recursive: true, force: true });
  git(base, 'init', '-q', '-b', 'main', deploy);
  git(deploy, 'commit', '-q', '--allow-empty', '-m', 'init');
  r = run(dir, ['publish', '--repo', deploy]);
  if (r.status !== 0) throw new Error(`publish: ${r.err}`);
  // one service changed in the working tree
  writeFileSync(join(dir, 'services', `${svcName(7)}.yaml`), serviceYaml(7, { replicasBump: 1 }));
}
const cmds = {
  diff: ['diff'],
  'diff --format json': ['diff', '--format', 'json'],
  'publish --dry-run': ['publish', '--repo', deploy, '--dry-run'],
};
const helmish = run(dir, ['diff']); // warm-up (fills caches)
if (helmish.status !== 0 && helmish.status !== 1) throw new Error(`diff: ${helmish.err}`);
run(dir, ['publish', '--repo', deploy, '--dry-run']);
for (const [label, a] of Object.entries(cmds)) {
  const ms = [];
  const cpu = [];
  let last;
  for (let i = 0; i < rounds; i++) { last = run(dir, a); ms.push(last.ms); cpu.push(last.cpu); }
  console.log(`${label.padEnd(22)} wall median ${median(ms).toFixed(0)} ms, cpu median ${median(cpu).toFixed(0)} ms  (cpu ${cpu.map((x) => x.toFixed(0)).join(' ')})  exit ${last.status}  stdout ${last.out.length} B`);
}
const node0 = [];
const node0cpu = [];
for (let i = 0; i < rounds; i++) {
  const r = spawnSync('/usr/bin/time', ['-f', '@@%e %U %S', process.execPath, '-e', '0'], { encoding: 'utf8' });
  const m = /@@([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr) ?? ['', '0', '0', '0'];
  node0.push(Number(m[1]) * 1000);
  node0cpu.push((Number(m[2]) + Number(m[3])) * 1000);
}
console.log(`${'node -e 0'.padEnd(22)} wall median ${median(node0).toFixed(0)} ms, cpu median ${median(node0cpu).toFixed(0)} ms`);
if (prof) {
  run(dir, ['diff'], ['--cpu-prof', '--cpu-prof-dir', join(prof, 'diff')]);
  run(dir, ['publish', '--repo', deploy, '--dry-run'], ['--cpu-prof', '--cpu-prof-dir', join(prof, 'publish')]);
  console.log(`profiles in ${prof}`);
}
console.log(`project ${dir}, deployment repo ${deploy}${keep ? '' : ' (kept; delete by hand)'}`);
