/**
 * Correctness under caching (issue 5, part 3): a cache never changes output. Every case compares
 * bytes: the output of a run with caches against the output of a run of the same inputs with no
 * cache and no previous output (`coldRender`), and the files each run reports as written.
 */
import { existsSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INPUTS, MEMO, RENDER, cacheText, dropMemo, coldCopy, coldRender, forge, outputs, parseCache, readCache, withoutCaches, withoutMemo, writeCache } from './helpers/cache.js';
import { DIGEST, baseProject, cli, makeProject, snapshot, writeFiles, type CliRun } from './helpers/project.js';

/** the per-service records of the incremental compile (src/pipeline.ts ServiceRecord) */
const SERVICES = '.gitopsc/cache/services.json';
/** the validated config and lock (the other inputs are in inputs.json) */
const PROJECT = '.gitopsc/cache/project.json';

const CONFIGMAP =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{service.name}}\ndata:\n  image: {{artifact.image}}\n  env: {{environment.name}}\n  production: {{#if environment.production}}"yes"{{else}}"no"{{/if}}\n';

/** The base project plus a project template directory and a per-environment override. */
function richProject(): Record<string, string> {
  const files = baseProject();
  files['gitopsc.config.yaml'] += 'templates: tpl\n';
  files['tpl/kubernetes/configmap.yaml.hbs'] = CONFIGMAP;
  files['services/web.yaml'] += `  environments:
    prod:
      kubernetes:
        replicas: 4
`;
  return files;
}

async function ok(dir: string, ...args: string[]): Promise<CliRun> {
  const r = await cli(dir, ...args, '--format', 'json');
  expect(r.json.diagnostics, `${args.join(' ')}: ${r.stdout}`).toEqual([]);
  expect(r.code).toBe(0);
  return r;
}

interface RenderData {
  files: string[];
  written: string[];
  pruned: string[];
  rendered: number;
}
const data = (r: CliRun) => r.json as unknown as RenderData;
/** the kept bytes of rendered files (src/build/pack.ts) */
const PACK = '.gitopsc/cache/rendered.pack';
/** a units.json entry */
type Outcome = { files: [string, string][]; warnings: unknown[] };

/** A project resolved and rendered once, so every cache is warm. */
async function warm(files: Record<string, string>): Promise<{ dir: string; first: Map<string, string> }> {
  const dir = makeProject(files);
  await ok(dir, 'resolve');
  const r = await ok(dir, 'render');
  expect(data(r).written.length).toBeGreaterThan(0);
  expect(existsSync(join(dir, RENDER))).toBe(true);
  expect(existsSync(join(dir, INPUTS))).toBe(true);
  return { dir, first: outputs(dir) };
}

/** Render with caches; the output must equal a render of the same inputs with no cache. */
async function renderMatchesCold(dir: string, ...args: string[]): Promise<RenderData> {
  const r = data(await ok(dir, 'render', ...args));
  expect(outputs(dir)).toEqual(await coldRender(dir));
  return r;
}

const WEB_FILES = ['dev', 'prod'].flatMap((e) => ['configmap', 'deployment', 'service'].map((n) => `rendered/${e}/web/${n}.yaml`));
const sorted = (xs: string[]) => [...xs].sort();
const edit = (dir: string, rel: string, f: (s: string) => string) => {
  const before = readFileSync(join(dir, rel), 'utf8');
  const after = f(before);
  expect(after, `edit of ${rel} changed nothing`).not.toBe(before);
  writeFileSync(join(dir, rel), after);
};

describe('warm and cold renders are byte-identical', () => {
  it('render with caches, render again, and render after deleting .gitopsc and the output', async () => {
    const { dir, first } = await warm(richProject());
    expect(first.size).toBe(13); // 12 rendered files and the ownership record

    const again = data(await ok(dir, 'render'));
    expect(again.rendered).toBe(0);
    expect(again.written).toEqual([]);
    expect(again.pruned).toEqual([]);
    expect(outputs(dir)).toEqual(first);

    rmSync(join(dir, '.gitopsc'), { recursive: true });
    rmSync(join(dir, 'rendered'), { recursive: true });
    const cold = data(await ok(dir, 'render'));
    expect(cold.rendered).toBe(4);
    expect(cold.written).toHaveLength(12);
    expect(outputs(dir)).toEqual(first);
    expect(outputs(dir)).toEqual(await coldRender(dir));
  });

  it('output deleted but caches warm: every file is written from the kept bytes, no unit rendered again, identically', async () => {
    const { dir, first } = await warm(richProject());
    rmSync(join(dir, 'rendered'), { recursive: true });
    const r = data(await ok(dir, 'render'));
    expect(r.rendered).toBe(0);
    expect(r.written).toHaveLength(12);
    expect(outputs(dir)).toEqual(first);
  });

  it('the kept bytes are in the order the units ask for them (units, then each unit\'s files), not in path order', async () => {
    // two Kubernetes services (units api/dev, api/prod, web/dev, web/prod; paths dev/api, dev/web, ...)
    const files = richProject();
    files['services/api.yaml'] = files['services/web.yaml']!.replace('name: web', 'name: api');
    const { dir } = await warm(files);
    // the records' hashes as the pack holds them: `<hash> <length>\n<bytes>` after its header line
    const pack = readFileSync(join(dir, PACK));
    const held: string[] = [];
    for (let at = pack.indexOf(10) + 1; at < pack.length; ) {
      const nl = pack.indexOf(10, at);
      const [hash, len] = pack.toString('latin1', at, nl).split(' ');
      held.push(hash!);
      at = nl + 1 + Number(len);
    }
    const units = Object.values(readCache(dir, RENDER).entries) as Outcome[];
    const asked = [...new Set(units.flatMap((o) => o.files.map(([, hash]) => hash)))];
    const byPath = [...new Set(units.flatMap((o) => o.files).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, hash]) => hash))];
    expect(asked).not.toEqual(byPath);
    expect(held).toEqual(asked);
  });

  it('kept bytes that are damaged, truncated or foreign are rendered again, identically', async () => {
    const { dir, first } = await warm(richProject());
    const pack = join(dir, PACK);
    const good = readFileSync(pack, 'latin1');
    // same length, other bytes: the content hash refuses them
    const damaged = good.replace('replicas: 2', 'replicas: 9');
    expect(damaged).not.toBe(good);
    const cases: [string, string, (r: RenderData) => void][] = [
      ['damaged', damaged, (r) => expect(r.rendered).toBe(1)],
      ['truncated', good.slice(0, Math.floor(good.length / 2)), (r) => expect(r.rendered).toBeGreaterThan(0)],
      ['foreign', `not a pack\n${good.slice(good.indexOf('\n') + 1)}`, (r) => expect(r.rendered).toBe(4)],
    ];
    for (const [name, text, rendered] of cases) {
      writeFileSync(pack, text, 'latin1');
      rmSync(join(dir, 'rendered'), { recursive: true });
      const r = data(await ok(dir, 'render'));
      rendered(r);
      expect(r.written, name).toHaveLength(12);
      expect(outputs(dir), name).toEqual(first);
    }
    // the render after the foreign one kept every file's bytes again
    rmSync(join(dir, 'rendered'), { recursive: true });
    expect(data(await ok(dir, 'render')).rendered).toBe(0);
    expect(outputs(dir)).toEqual(first);
  });

  it('the kept bytes follow a change: an output deleted after it is written from them, equal to a no-cache render', async () => {
    const { dir } = await warm(richProject());
    edit(dir, 'services/web.yaml', (s) => s.replace('replicas: 2', 'replicas: 3'));
    expect(data(await ok(dir, 'render')).rendered).toBe(1);
    rmSync(join(dir, 'rendered'), { recursive: true });
    const r = data(await ok(dir, 'render'));
    expect(r.rendered).toBe(0);
    expect(outputs(dir)).toEqual(await coldRender(dir));
  });

  it('caches deleted but output present: units render again and nothing is written', async () => {
    const { dir, first } = await warm(richProject());
    rmSync(join(dir, '.gitopsc'), { recursive: true });
    const r = data(await ok(dir, 'render'));
    expect(r.rendered).toBe(4);
    expect(r.written).toEqual([]);
    expect(outputs(dir)).toEqual(first);
  });

  it('a warm cache serves `--env` and `--out` renders with the same bytes', async () => {
    const { dir, first } = await warm(richProject());
    const dev = data(await ok(dir, 'render', '--env', 'dev'));
    expect(dev.rendered).toBe(0);
    expect(outputs(dir)).toEqual(first);
    const out = data(await ok(dir, 'render', '--out', 'elsewhere'));
    expect(out.written).toHaveLength(12);
    expect(outputs(dir, 'elsewhere')).toEqual(first);
  });
});

describe('editing a service re-renders exactly that service', () => {
  it('a spec change rewrites only the files whose bytes change, equal to a no-cache render', async () => {
    const { dir, first } = await warm(richProject());
    edit(dir, 'services/web.yaml', (s) => s.replace('replicas: 2', 'replicas: 3'));
    const r = await renderMatchesCold(dir);
    // prod overrides replicas: its effective spec, hence its unit key, is unchanged
    expect(r.rendered).toBe(1);
    expect(r.written).toEqual(['rendered/dev/web/deployment.yaml']);
    expect(r.pruned).toEqual([]);
    expect(outputs(dir).get('dev/web/deployment.yaml')).toContain('replicas: 3');
    for (const [p, c] of first) if (p !== 'dev/web/deployment.yaml') expect(outputs(dir).get(p), p).toBe(c);
  });

  it('the warnings of units not rendered again are still reported (replayed from the unit cache)', async () => {
    const files = baseProject();
    files['gitopsc.config.yaml'] += 'templates: tpl\n';
    // a kind no schema knows: every Kubernetes unit renders a MANIFEST_INVALID no-schema warning
    files['tpl/kubernetes/widget.yaml.hbs'] = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {{service.name}}\n';
    files['services/api.yaml'] = files['services/web.yaml']!.replace('name: web', 'name: api');
    const dir = makeProject(files);
    await ok(dir, 'resolve');
    const warnings = (r: CliRun) => r.json.diagnostics.map((d) => `${d.code}/${d.reason} ${d.service}/${d.environment}`).sort();
    const first = await cli(dir, 'render', '--format', 'json');
    expect(first.code).toBe(0);
    expect(warnings(first)).toEqual(['MANIFEST_INVALID/no-schema api/dev', 'MANIFEST_INVALID/no-schema api/prod', 'MANIFEST_INVALID/no-schema web/dev', 'MANIFEST_INVALID/no-schema web/prod']);
    edit(dir, 'services/web.yaml', (s) => s.replace('replicas: 2', 'replicas: 3'));
    const second = await cli(dir, 'render', '--format', 'json');
    expect(second.code).toBe(0);
    expect((second.json as unknown as RenderData).rendered).toBe(2); // web in dev and prod; api comes from the cache
    expect(warnings(second)).toEqual(warnings(first));
  });

  it('a per-environment override re-renders that environment only', async () => {
    const { dir } = await warm(richProject());
    edit(dir, 'services/web.yaml', (s) => s.replace('replicas: 4', 'replicas: 5'));
    const r = await renderMatchesCold(dir);
    expect(r.written).toEqual(['rendered/prod/web/deployment.yaml']);
  });

  it('an edit of the bytes only (a comment) renders nothing again and writes nothing', async () => {
    const { dir, first } = await warm(richProject());
    edit(dir, 'services/web.yaml', (s) => `# owned by the shop team\n${s}`);
    const r = await renderMatchesCold(dir);
    expect(r.rendered).toBe(0);
    expect(r.written).toEqual([]);
    expect(outputs(dir)).toEqual(first);
  });

  it('labels and env edits reach every file of the service', async () => {
    const { dir } = await warm(richProject());
    edit(dir, 'services/web.yaml', (s) => s.replace('  name: web\n', '  name: web\n  labels: { team: shop }\n'));
    const r = await renderMatchesCold(dir);
    expect(sorted(r.written)).toEqual(['rendered/dev/web/deployment.yaml', 'rendered/dev/web/service.yaml', 'rendered/prod/web/deployment.yaml', 'rendered/prod/web/service.yaml']);
  });
});

describe('renaming and deleting services', () => {
  it('a service file moved to a new path (same content) changes nothing', async () => {
    const { dir, first } = await warm(richProject());
    writeFiles(dir, { 'services/shop/web-service.yaml': readFileSync(join(dir, 'services/web.yaml'), 'utf8') });
    unlinkSync(join(dir, 'services/web.yaml'));
    const r = await renderMatchesCold(dir);
    expect(r.written).toEqual([]);
    expect(r.pruned).toEqual([]);
    expect(outputs(dir)).toEqual(first);
  });

  it('a renamed service (metadata.name) prunes the old files and writes the new ones', async () => {
    const { dir, first } = await warm(richProject());
    edit(dir, 'services/web.yaml', (s) => s.replace('name: web', 'name: storefront'));
    // the lock is keyed by service name: rendering first is refused and writes nothing
    const before = snapshot(dir);
    const stale = await cli(dir, 'render', '--format', 'json');
    expect(stale.code).not.toBe(0);
    expect(stale.json.diagnostics.map((d) => d.code)).toContain('LOCK_STALE');
    expect(snapshot(dir)).toEqual(before);
    await ok(dir, 'resolve');
    // 6 of 8 files go: more than the default --max-prune allows
    const r = await renderMatchesCold(dir, '--allow-prune');
    const web = [...first.keys()].filter((p) => p.includes('/web/'));
    expect(sorted(r.pruned)).toEqual(web.map((p) => `rendered/${p}`).sort());
    expect(sorted(r.written)).toEqual(web.map((p) => `rendered/${p.replace('/web/', '/storefront/')}`).sort());
    expect(r.rendered).toBe(2);
    expect(outputs(dir).get('dev/storefront/configmap.yaml')).toContain('name: storefront');
  });

  it('a deleted service has its files pruned', async () => {
    const { dir, first } = await warm(richProject());
    unlinkSync(join(dir, 'services/fn.yaml'));
    const r = await renderMatchesCold(dir, '--allow-prune') /* 6 of 13 files: over the prune guard */;
    expect(sorted(r.pruned)).toEqual(['rendered/dev/fn/function.json', 'rendered/dev/fn/update-function-code.json', 'rendered/dev/fn/update-function-configuration.json', 'rendered/prod/fn/function.json', 'rendered/prod/fn/update-function-code.json', 'rendered/prod/fn/update-function-configuration.json']);
    expect(r.written).toEqual([]);
    expect(r.rendered).toBe(0);
    const rest = [...first].filter(([p]) => !p.includes('/fn/') && p !== '.gitopsc-owned');
    expect(outputs(dir)).toEqual(new Map<string, string>([...rest, ['.gitopsc-owned', outputs(dir).get('.gitopsc-owned')!]]));
    expect(outputs(dir).get('.gitopsc-owned')).not.toContain('/fn/');
  });

  it('a deleted service restored from the same bytes comes back identical', async () => {
    const { dir, first } = await warm(richProject());
    const fn = readFileSync(join(dir, 'services/fn.yaml'), 'utf8');
    unlinkSync(join(dir, 'services/fn.yaml'));
    await ok(dir, 'render', '--allow-prune');
    writeFiles(dir, { 'services/fn.yaml': fn });
    const r = await renderMatchesCold(dir);
    expect(sorted(r.written)).toEqual(['rendered/dev/fn/function.json', 'rendered/dev/fn/update-function-code.json', 'rendered/dev/fn/update-function-configuration.json', 'rendered/prod/fn/function.json', 'rendered/prod/fn/update-function-code.json', 'rendered/prod/fn/update-function-configuration.json']);
    expect(outputs(dir)).toEqual(first);
  });
});

describe('per-service records (services.json): a render after a change equals one without caches', () => {
  /** The JSON result of `render` in a copy of dir without caches or output (diagnostics and files). */
  async function coldResult(dir: string): Promise<CliRun & { files: Map<string, string> }> {
    const fresh = coldCopy(dir);
    const r = await cli(fresh, 'render', '--format', 'json');
    const files = outputs(fresh);
    rmSync(fresh, { recursive: true, force: true });
    return { ...r, files };
  }
  const recordKeys = (dir: string) => Object.keys(readCache(dir, SERVICES).entries).filter((k) => k.startsWith('s:')).sort();
  // a PDB that allows no disruption: a KUBERNETES warning of the compile, kept in web's record
  const pdb = (s: string) => s.replace('    replicas: 2\n', '    replicas: 2\n    disruptionBudget: { minAvailable: 2 }\n');

  it('one service changed: only its record is new, and the warnings of the others are reported in their place', async () => {
    const files = richProject();
    files['services/web.yaml'] = pdb(files['services/web.yaml']!);
    files['services/api.yaml'] = files['services/web.yaml']!.replace('name: web', 'name: api');
    const dir = makeProject(files);
    expect((await cli(dir, 'resolve')).code).toBe(0);
    const first = await cli(dir, 'render', '--format', 'json');
    expect(first.code).toBe(0);
    expect(first.json.diagnostics.map((d) => `${d.severity} ${d.code} ${d.file}`)).toEqual(['warning KUBERNETES services/api.yaml', 'warning KUBERNETES services/web.yaml']);
    const before = recordKeys(dir);
    expect(before).toHaveLength(3);
    edit(dir, 'services/fn.yaml', (s) => `${s}# edited\n`);
    edit(dir, 'services/web.yaml', (s) => s.replace('replicas: 2', 'replicas: 3'));
    const second = await cli(dir, 'render', '--format', 'json');
    const cold = await coldResult(dir);
    expect(second.code).toBe(cold.code);
    expect(second.json.diagnostics).toEqual(cold.json.diagnostics);
    expect(outputs(dir)).toEqual(cold.files);
    const after = recordKeys(dir);
    // api's record is the one kept; fn and web have new ones
    expect(after.filter((k) => before.includes(k))).toEqual(before.filter((k) => k.includes(':services/api.yaml:')));
    expect(after).toHaveLength(3);
  });

  it('a change that gives two services one name: the diagnostics of a render without caches, nothing written', async () => {
    const { dir } = await warm(richProject());
    edit(dir, 'services/fn.yaml', (s) => s.replace('name: fn', 'name: web'));
    const before = snapshot(dir);
    const r = await cli(dir, 'render', '--format', 'json');
    const cold = await coldResult(dir);
    expect(r.code).toBe(1);
    expect(r.json.diagnostics).toEqual(cold.json.diagnostics);
    expect(r.json.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.file}`)).toEqual(['DUPLICATE_SERVICE services/fn.yaml', 'DUPLICATE_SERVICE services/web.yaml']);
    expect(withoutCaches(dir)).toEqual(new Map([...before].filter(([p]) => !p.startsWith('.gitopsc/'))));
  });

  it('an unchanged service whose output was deleted renders again from its file (the record has no bytes)', async () => {
    const { dir, first } = await warm(richProject());
    edit(dir, 'services/web.yaml', (s) => s.replace('replicas: 2', 'replicas: 3'));
    rmSync(join(dir, 'rendered/prod/fn'), { recursive: true });
    const r = await renderMatchesCold(dir);
    expect(sorted(r.written)).toEqual(['rendered/dev/web/deployment.yaml', 'rendered/prod/fn/function.json', 'rendered/prod/fn/update-function-code.json', 'rendered/prod/fn/update-function-configuration.json']);
    expect(outputs(dir).get('prod/fn/function.json')).toBe(first.get('prod/fn/function.json'));
  });
});

describe('templates, config and lock invalidate what they should', () => {
  it('editing a project template re-renders every unit of its target', async () => {
    const { dir } = await warm(richProject());
    edit(dir, 'tpl/kubernetes/configmap.yaml.hbs', (s) => s.replace('  env: {{environment.name}}\n', '  env: {{environment.name}}\n  team: "shop"\n'));
    const r = await renderMatchesCold(dir);
    expect(r.rendered).toBeGreaterThanOrEqual(2);
    expect(sorted(r.written)).toEqual(['rendered/dev/web/configmap.yaml', 'rendered/prod/web/configmap.yaml']);
    expect(outputs(dir).get('prod/web/configmap.yaml')).toContain('team: shop');
  });

  it('adding and removing a template file writes and prunes its files', async () => {
    const { dir } = await warm(richProject());
    writeFiles(dir, { 'tpl/kubernetes/extra.yaml.hbs': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{concat service.name "-extra"}}\n' });
    const added = await renderMatchesCold(dir);
    expect(sorted(added.written)).toEqual(['rendered/dev/web/extra.yaml', 'rendered/prod/web/extra.yaml']);
    unlinkSync(join(dir, 'tpl/kubernetes/extra.yaml.hbs'));
    const removed = await renderMatchesCold(dir);
    expect(sorted(removed.pruned)).toEqual(['rendered/dev/web/extra.yaml', 'rendered/prod/web/extra.yaml']);
    expect(removed.written).toEqual([]);
  });

  it('a project template overriding a built-in re-renders and restores on removal', async () => {
    const { dir, first } = await warm(richProject());
    writeFiles(dir, { 'tpl/kubernetes/service.yaml.hbs': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{concat service.name "-custom"}}\n' });
    const over = await renderMatchesCold(dir);
    expect(sorted(over.written)).toEqual(['rendered/dev/web/service.yaml', 'rendered/prod/web/service.yaml']);
    unlinkSync(join(dir, 'tpl/kubernetes/service.yaml.hbs'));
    const back = await renderMatchesCold(dir);
    expect(sorted(back.written)).toEqual(['rendered/dev/web/service.yaml', 'rendered/prod/web/service.yaml']);
    expect(outputs(dir)).toEqual(first);
  });

  it('an environment flag in the config re-renders what reads it', async () => {
    const { dir } = await warm(richProject());
    edit(dir, 'gitopsc.config.yaml', (s) => s.replace('  - name: dev\n', '  - name: dev\n    production: true\n'));
    const r = await renderMatchesCold(dir);
    expect(r.written).toEqual(['rendered/dev/web/configmap.yaml']);
    expect(outputs(dir).get('dev/web/configmap.yaml')).toContain('production: "yes"');
  });

  it('a registry host in the config re-renders every image reference', async () => {
    const { dir } = await warm(richProject());
    edit(dir, 'gitopsc.config.yaml', (s) => s.replace('host: registry.example.com', 'host: mirror.example.com:5000'));
    const r = await renderMatchesCold(dir);
    expect(sorted(r.written)).toEqual(['rendered/dev/web/configmap.yaml', 'rendered/dev/web/deployment.yaml', 'rendered/prod/web/configmap.yaml', 'rendered/prod/web/deployment.yaml']);
    expect(outputs(dir).get('prod/web/deployment.yaml')).toContain('mirror.example.com:5000/shop/web:1.10.0@');
  });

  it('a new environment in the config renders it; removing it prunes it', async () => {
    const { dir, first } = await warm(richProject());
    edit(dir, 'gitopsc.config.yaml', (s) => s.replace('  - name: prod\n', '  - name: qa\n  - name: prod\n'));
    await ok(dir, 'resolve');
    const added = await renderMatchesCold(dir);
    expect(sorted(added.written)).toEqual(['rendered/qa/fn/function.json', 'rendered/qa/fn/update-function-code.json', 'rendered/qa/fn/update-function-configuration.json', 'rendered/qa/web/configmap.yaml', 'rendered/qa/web/deployment.yaml', 'rendered/qa/web/service.yaml']);
    edit(dir, 'gitopsc.config.yaml', (s) => s.replace('  - name: qa\n', ''));
    const removed = await renderMatchesCold(dir, '--allow-prune');
    expect(removed.pruned).toHaveLength(6);
    expect(outputs(dir)).toEqual(first);
  });

  it('`resolve --update` after a catalog change re-renders the services whose lock entry moved', async () => {
    const { dir } = await warm(richProject());
    edit(dir, 'catalog.yaml', (s) =>
      s.replace('  fn/zip:\n', `    - { tag: "1.11.0", digest: "${DIGEST('f')}", created: "2026-02-15T00:00:00Z" }\n  fn/zip:\n`),
    );
    // the catalog is not a render input: before resolving, nothing changes
    const unchanged = data(await ok(dir, 'render'));
    expect(unchanged.written).toEqual([]);
    await ok(dir, 'resolve', '--update');
    const r = await renderMatchesCold(dir);
    // every web file: the image, and the app.kubernetes.io/version label on the Service
    expect(sorted(r.written)).toEqual(WEB_FILES);
    expect(r.rendered).toBe(2);
    expect(outputs(dir).get('dev/web/deployment.yaml')).toContain(`shop/web:1.11.0@${DIGEST('f')}`);
    expect(outputs(dir).get('dev/web/service.yaml')).toContain('app.kubernetes.io/version: "1.11.0"');
  });

  it('a hand-edited tag in the lock re-renders exactly that unit', async () => {
    const { dir } = await warm(richProject());
    edit(dir, 'gitopsc.lock', (s) => {
      const at = s.indexOf('\n  web:\n    dev:\n');
      expect(at).toBeGreaterThan(0);
      return s.slice(0, at) + s.slice(at).replace('tag: "1.10.0"', 'tag: "1.10.1"');
    });
    const r = await renderMatchesCold(dir);
    expect(sorted(r.written)).toEqual(WEB_FILES.filter((p) => p.startsWith('rendered/dev/')));
    expect(r.rendered).toBe(1);
    expect(outputs(dir).get('dev/web/deployment.yaml')).toContain('shop/web:1.10.1@');
    expect(outputs(dir).get('prod/web/deployment.yaml')).toContain('shop/web:1.10.0@');
  });
});

describe('a corrupt or foreign cache is ignored and rebuilt', () => {
  const fileLevel: [string, (c: string) => string][] = [
    ['garbage bytes', () => '\u0000\uffff\u00fe not json at all \u0007'],
    ['truncated JSON', (c) => c.slice(0, Math.floor(c.length / 2))],
    ['empty file', () => ''],
    ['JSON null', () => 'null'],
    ['a JSON array', () => '[1,2,3]'],
    ['another format', (c) => c.replace(/"format":1/, '"format":999')],
    ['a foreign version', (c) => c.replace(/"version":"[^"]*"/, '"version":"0.0.0-other+schemas"')],
    ['entries not an object (checksum forged)', (c) => { const f = forge({ ...parseCache(c), entries: 'x' as unknown as Record<string, unknown> }); return cacheText(f); }],
    ['a stale checksum after a hand edit', (c) => cacheText({ ...parseCache(c), entries: { ...parseCache(c).entries, extra: 1 } })],
  ];

  for (const cacheFile of [INPUTS, PROJECT, RENDER, SERVICES]) {
    // project.json and services.json are read by the same code as inputs.json: three kinds of damage each
    const kinds = cacheFile === PROJECT || cacheFile === SERVICES ? fileLevel.filter(([w]) => ['garbage bytes', 'truncated JSON', 'a foreign version'].includes(w)) : fileLevel;
    for (const [what, corrupt] of kinds) {
      it(`${cacheFile}: ${what}`, async () => {
        const { dir, first } = await warm(richProject());
        const good = readCache(dir, cacheFile);
        writeCache(dir, cacheFile, corrupt(readFileSync(join(dir, cacheFile), 'utf8')));
        // with the output in place, and with it deleted
        const r = data(await ok(dir, 'render'));
        expect(r.written).toEqual([]);
        expect(outputs(dir)).toEqual(first);
        // the kept bytes go too, so that every unit renders again and the cache is rebuilt whole
        rmSync(join(dir, 'rendered'), { recursive: true });
        rmSync(join(dir, PACK));
        writeCache(dir, cacheFile, corrupt(cacheText(good)));
        await ok(dir, 'render');
        expect(outputs(dir)).toEqual(first);
        expect(outputs(dir)).toEqual(await coldRender(dir));
        // rebuilt: same format and version as a fresh cache, and used by the next run
        const rebuilt = readCache(dir, cacheFile);
        expect({ format: rebuilt.format, version: rebuilt.version }).toEqual({ format: good.format, version: good.version });
        expect(Object.keys(rebuilt.entries).sort()).toEqual(Object.keys(good.entries).sort());
        expect(data(await ok(dir, 'render')).rendered).toBe(0);
      });
    }
  }

  it('units.json: entries whose hashes match no file on disk are rendered again', async () => {
    const { dir, first } = await warm(richProject());
    const c = withoutMemo(readCache(dir, RENDER));
    for (const k of Object.keys(c.entries)) c.entries[k] = { ...(c.entries[k] as Outcome), files: (c.entries[k] as Outcome).files.map(([p]) => [p, 'not-a-real-hash']) };
    writeCache(dir, RENDER, forge(c));
    dropMemo(dir);
    const r = data(await ok(dir, 'render'));
    expect(r.rendered).toBe(4);
    expect(r.written).toEqual([]);
    expect(outputs(dir)).toEqual(first);
    expect(readCache(dir, RENDER).entries).not.toEqual(c.entries);
  });

  it('units.json: entries naming files of another unit are rendered again', async () => {
    const { dir, first } = await warm(richProject());
    const c = withoutMemo(readCache(dir, RENDER));
    for (const k of Object.keys(c.entries)) c.entries[k] = { files: [['dev/nobody/deployment.yaml', 'x']], warnings: [] };
    writeCache(dir, RENDER, forge(c));
    dropMemo(dir);
    const r = data(await ok(dir, 'render'));
    expect(r.rendered).toBe(4);
    expect(outputs(dir)).toEqual(first);
  });

  it('units.json: unknown keys are kept harmless and never match', async () => {
    const { dir, first } = await warm(richProject());
    const c = withoutMemo(readCache(dir, RENDER));
    c.entries['unit:not-a-unit-key'] = { files: [['dev/web/deployment.yaml', 'zzz']], warnings: [] };
    writeCache(dir, RENDER, forge(c));
    dropMemo(dir);
    const r = data(await ok(dir, 'render'));
    expect(r.rendered).toBe(0);
    expect(outputs(dir)).toEqual(first);
  });

  it('units.json: tuples of the wrong arity are rendered again', async () => {
    const { dir, first } = await warm(richProject());
    const c = withoutMemo(readCache(dir, RENDER));
    for (const k of Object.keys(c.entries)) c.entries[k] = { files: [['dev/web/deployment.yaml']], warnings: [] };
    writeCache(dir, RENDER, forge(c));
    dropMemo(dir);
    const r = data(await ok(dir, 'render'));
    expect(r.rendered).toBe(4);
    expect(outputs(dir)).toEqual(first);
  });

  // Values of the wrong type under real keys: with a stale checksum (a hand edit, a half-written
  // file) the whole file is ignored; render entries are also shape-checked when the checksum is
  // forged to match.
  const wrongShapes: [string, unknown][] = [
    ['a string', 'x'],
    ['an object', { path: 'dev/web/deployment.yaml' }],
    ['a number', 42],
  ];
  it('units.json entries that are not unit outcomes are ignored, even with a matching checksum', async () => {
    const { dir, first } = await warm(richProject());
    for (const [what, value] of wrongShapes) {
      const c = withoutMemo(readCache(dir, RENDER));
      for (const k of Object.keys(c.entries)) c.entries[k] = value;
      writeCache(dir, RENDER, forge(c));
      dropMemo(dir);
      const r = await cli(dir, 'render', '--format', 'json');
      expect(r.json.diagnostics, what).toEqual([]);
      expect(r.code, what).toBe(0);
      expect(outputs(dir), what).toEqual(first);
      expect(Object.values(withoutMemo(readCache(dir, RENDER)).entries).every((e) => Array.isArray((e as Outcome).files)), what).toBe(true);
    }
  });

  it('inputs.json service entries of the wrong shape (hand edit, stale checksum) are ignored', async () => {
    const { dir, first } = await warm(richProject());
    rmSync(join(dir, RENDER));
    dropMemo(dir);
    for (const [what, value] of [...wrongShapes, ['null', null] as [string, unknown], ['an empty object', {}] as [string, unknown]]) {
      const c = readCache(dir, INPUTS);
      const keys = Object.keys(c.entries).filter((k) => k.startsWith('service:'));
      expect(keys).toHaveLength(2);
      for (const k of keys) c.entries[k] = value;
      writeCache(dir, INPUTS, c);
      const r = await cli(dir, 'render', '--format', 'json');
      expect(r.json.diagnostics, what).toEqual([]);
      expect(r.code, what).toBe(0);
      expect(outputs(dir), what).toEqual(first);
    }
  });

  it('a hand-edited inputs.json entry of the right shape is ignored (checksum)', async () => {
    const { dir, first } = await warm(richProject());
    const c = readCache(dir, INPUTS);
    const web = Object.entries(c.entries).find(([k, v]) => k.startsWith('service:') && (v as { metadata: { name: string } }).metadata.name === 'web');
    expect(web).toBeDefined();
    (web![1] as { spec: { kubernetes: { replicas: number } } }).spec.kubernetes.replicas = 9;
    writeCache(dir, INPUTS, c);
    rmSync(join(dir, RENDER));
    dropMemo(dir);
    const r = data(await ok(dir, 'render'));
    expect(r.written).toEqual([]);
    expect(outputs(dir)).toEqual(first);
  });

  it('inputs.json: a file whose entry was removed is validated again and re-cached', async () => {
    const { dir, first } = await warm(richProject());
    const good = readCache(dir, INPUTS);
    writeCache(dir, INPUTS, forge({ ...good, entries: {} }));
    writeCache(dir, RENDER, forge(withoutMemo(readCache(dir, RENDER))));
    // the per-service records would answer before the input cache is asked
    rmSync(join(dir, SERVICES));
    dropMemo(dir);
    await ok(dir, 'render');
    expect(outputs(dir)).toEqual(first);
    expect(Object.keys(readCache(dir, INPUTS).entries).sort()).toEqual(Object.keys(good.entries).sort());
  });

  it('a cache directory that cannot be written only costs time', async () => {
    const { dir, first } = await warm(richProject());
    rmSync(join(dir, '.gitopsc'), { recursive: true });
    writeFiles(dir, { '.gitopsc': 'a file where the directory should be' });
    rmSync(join(dir, 'rendered'), { recursive: true });
    await ok(dir, 'render');
    expect(outputs(dir)).toEqual(first);
  });
});

describe('drift is detected even when every unit is cached', () => {
  it('a hand-edited output file fails `render --check` and is restored by `render`', async () => {
    const { dir, first } = await warm(richProject());
    writeFileSync(join(dir, 'rendered/dev/web/deployment.yaml'), first.get('dev/web/deployment.yaml')!.replace('replicas: 2', 'replicas: 9'));
    const check = await cli(dir, 'render', '--check', '--format', 'json');
    expect(check.code).not.toBe(0);
    expect(check.json.diagnostics.map((d) => [d.code, d.file])).toEqual([['DRIFT', 'rendered/dev/web/deployment.yaml']]);
    const r = data(await ok(dir, 'render'));
    expect(r.written).toEqual(['rendered/dev/web/deployment.yaml']);
    // restored from the kept bytes of the unit's last render
    expect(r.rendered).toBe(0);
    expect(outputs(dir)).toEqual(first);
    await ok(dir, 'render', '--check');
  });

  it('a missing file, an extra file and a same-length edit are each drift', async () => {
    const { dir, first } = await warm(richProject());
    unlinkSync(join(dir, 'rendered/prod/fn/function.json'));
    writeFiles(dir, { 'rendered/prod/web/stray.yaml': 'kind: Stray\n' });
    const svc = first.get('dev/web/service.yaml')!;
    writeFileSync(join(dir, 'rendered/dev/web/service.yaml'), svc.replace('port: 80', 'port: 81'));
    const check = await cli(dir, 'render', '--check', '--format', 'json');
    expect(check.code).not.toBe(0);
    expect(sorted(check.json.diagnostics.map((d) => `${d.code} ${d.file}`))).toEqual([
      'DRIFT rendered/dev/web/service.yaml',
      'DRIFT rendered/prod/fn/function.json',
    ]);
    const r = data(await ok(dir, 'render'));
    expect(sorted(r.written)).toEqual(['rendered/dev/web/service.yaml', 'rendered/prod/fn/function.json']);
    // stray.yaml was not written by gitopsc: it is neither drift nor pruned
    expect(r.pruned).toEqual([]);
    expect(outputs(dir)).toEqual(new Map<string, string>([...first, ['prod/web/stray.yaml', 'kind: Stray\n']]));
  });
});

describe('what writes the caches', () => {
  it('`render --check` writes its caches under .gitopsc/ and never the output, whether it passes or finds drift', async () => {
    const { dir } = await warm(richProject());
    rmSync(join(dir, '.gitopsc'), { recursive: true });
    const outside = withoutCaches(dir);
    await ok(dir, 'render', '--check');
    expect(withoutCaches(dir)).toEqual(outside);
    for (const f of [MEMO, RENDER, INPUTS]) expect(existsSync(join(dir, f)), f).toBe(true);
    // the second check is answered by the memo: it compiles nothing, so it re-creates no cache
    rmSync(join(dir, INPUTS));
    rmSync(join(dir, SERVICES));
    await ok(dir, 'render', '--check');
    expect(existsSync(join(dir, INPUTS))).toBe(false);
    expect(existsSync(join(dir, SERVICES))).toBe(false);

    edit(dir, 'services/web.yaml', (s) => s.replace('replicas: 2', 'replicas: 3'));
    const before = withoutCaches(dir);
    const memo = readFileSync(join(dir, MEMO), 'utf8');
    const check = await cli(dir, 'render', '--check', '--format', 'json');
    expect(check.code).not.toBe(0);
    expect(check.json.diagnostics.map((d) => d.code)).toEqual(['DRIFT']);
    expect(withoutCaches(dir)).toEqual(before);
    // drift is never recorded as the up-to-date state
    expect(readFileSync(join(dir, MEMO), 'utf8')).toBe(memo);
    // the caches of what it compiled are written (the services' records)
    expect(existsSync(join(dir, SERVICES))).toBe(true);
  });

  it('a failed render (LOCK_STALE) writes neither output nor cache', async () => {
    const { dir } = await warm(richProject());
    edit(dir, 'services/web.yaml', (s) => s.replace('range: "^1.2"', 'range: "^1.10"'));
    writeFiles(dir, { 'services/new.yaml': readFileSync(join(dir, 'services/fn.yaml'), 'utf8').replace(/\bfn\b(?!\/)/g, 'fresh') });
    const before = snapshot(dir);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).not.toBe(0);
    expect(r.json.diagnostics.map((d) => d.code)).toContain('LOCK_STALE');
    expect(snapshot(dir)).toEqual(before);
  });

  it('a failed render (template error in one unit) writes neither output nor cache', async () => {
    const { dir } = await warm(richProject());
    rmSync(join(dir, 'rendered'), { recursive: true });
    writeFiles(dir, { 'tpl/kubernetes/configmap.yaml.hbs': 'apiVersion: v1\nkind: ConfigMap\n{{#if}}\n' });
    const before = snapshot(dir);
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).not.toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a failed validate does not cache the files that were valid', async () => {
    const dir = makeProject(richProject());
    writeFiles(dir, { 'services/broken.yaml': 'apiVersion: gitopsc/v1\nkind: Service\nmetadata: {}\n' });
    const r = await cli(dir, 'validate', '--format', 'json');
    expect(r.code).not.toBe(0);
    expect(existsSync(join(dir, '.gitopsc'))).toBe(false);
    unlinkSync(join(dir, 'services/broken.yaml'));
    await ok(dir, 'validate');
    // the services in inputs.json, the config (and lock) in project.json
    expect(Object.keys(readCache(dir, INPUTS).entries).length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(readCache(dir, PROJECT).entries).length).toBeGreaterThanOrEqual(1);
  });

  it('the cache lives only in .gitopsc/cache and every command leaves the other files as a cacheless run does', async () => {
    const { dir } = await warm(richProject());
    await ok(dir, 'validate');
    const fresh = coldCopy(dir);
    await ok(fresh, 'resolve');
    await ok(fresh, 'render');
    await ok(fresh, 'validate');
    expect(withoutCaches(dir)).toEqual(withoutCaches(fresh));
    expect([...snapshot(dir).keys()].filter((p) => p.startsWith('.gitopsc/')).every((p) => p.startsWith('.gitopsc/cache/') || p === '.gitopsc/.gitignore')).toBe(true);
  });
});

describe('positions of cached files come from their bytes', () => {
  async function duplicateDiagnostics(copy: (web: string) => string) {
    const files = richProject();
    // comments above the name, so a fallback to line 1 would be visible
    files['services/web.yaml'] = `# the storefront\n# owned by the shop team\n${files['services/web.yaml']}`;
    const { dir } = await warm(files);
    expect(Object.keys(readCache(dir, INPUTS).entries).filter((k) => k.startsWith('service:'))).toHaveLength(2);
    writeFiles(dir, { 'services/zz-web-copy.yaml': copy(files['services/web.yaml']!) });
    const warmRun = await cli(dir, 'validate', '--format', 'json');
    const coldDir = coldCopy(dir);
    const coldRun = await cli(coldDir, 'validate', '--format', 'json');
    expect(warmRun.code).not.toBe(0);
    expect(warmRun.json.diagnostics).toEqual(coldRun.json.diagnostics);
    expect(warmRun.stdout).toBe(coldRun.stdout.split(coldDir).join(dir));
    const dups = warmRun.json.diagnostics.filter((d) => d.code === 'DUPLICATE_SERVICE');
    expect(dups).toHaveLength(2);
    return dups;
  }

  it('a cached service file joined by a new file of the same name: DUPLICATE_SERVICE at the right line', async () => {
    const dups = await duplicateDiagnostics((web) => web.replace(/^# .*\n/gm, '').replace('replicas: 2', 'replicas: 7'));
    const byFile = Object.fromEntries(dups.map((d) => [d.file, [d.line, d.column]]));
    // the value of `  name: web`: line 6 of the cached file (2 comments + apiVersion, kind, metadata), line 4 of the copy
    expect(byFile).toEqual({ 'services/web.yaml': [6, 9], 'services/zz-web-copy.yaml': [4, 9] });
  });

  it('two files with identical bytes share a cache entry but keep their own positions', async () => {
    const dups = await duplicateDiagnostics((web) => web);
    expect(Object.fromEntries(dups.map((d) => [d.file, d.line]))).toEqual({ 'services/web.yaml': 6, 'services/zz-web-copy.yaml': 6 });
  });

  it('a cached file renamed into a duplicate keeps the new path in diagnostics', async () => {
    const { dir } = await warm(richProject());
    renameSync(join(dir, 'services/web.yaml'), join(dir, 'services/renamed.yaml'));
    writeFiles(dir, { 'services/other.yaml': readFileSync(join(dir, 'services/renamed.yaml'), 'utf8') });
    const r = await cli(dir, 'render', '--format', 'json');
    expect(r.code).not.toBe(0);
    expect(sorted(r.json.diagnostics.filter((d) => d.code === 'DUPLICATE_SERVICE').map((d) => `${d.file}:${d.line}`))).toEqual(['services/other.yaml:4', 'services/renamed.yaml:4']);
  });
});

describe('the input cache key covers everything validation depends on', () => {
  it('package.json renamed to gitopsc.config.json (same bytes) is validated again, not taken from the cache', async () => {
    const files = baseProject();
    delete files['gitopsc.config.yaml'];
    files['package.json'] = `${JSON.stringify({ name: 'shop', gitopsc: { environments: [{ name: 'dev' }], registries: { local: { type: 'static', path: 'catalog.yaml', host: 'registry.example.com' } } } }, null, 2)}\n`;
    const dir = makeProject(files);
    await ok(dir, 'validate');
    // the `config:<hash>` entry was validated under the `gitopsc` key; the same bytes as a
    // gitopsc.config.json are validated at the root, where `name` and `gitopsc` are unknown
    renameSync(join(dir, 'package.json'), join(dir, 'gitopsc.config.json'));
    const warmRun = await cli(dir, 'validate', '--format', 'json');
    const coldDir = coldCopy(dir);
    const coldRun = await cli(coldDir, 'validate', '--format', 'json');
    expect(coldRun.json.diagnostics.map((d) => d.code)).toEqual(['SCHEMA', 'SCHEMA']);
    expect(warmRun.json.diagnostics).toEqual(coldRun.json.diagnostics);
    expect(warmRun.code).toBe(coldRun.code);
  });
});

describe('the project memo', () => {
  it('answers render and render --check without compiling when no project file changed, and only then', async () => {
    const dir = makeProject(baseProject());
    await ok(dir, 'resolve');
    const first = data(await ok(dir, 'render'));
    expect(first.rendered).toBe(4);
    const again = data(await ok(dir, 'render'));
    expect(again).toMatchObject({ rendered: 0, written: [], pruned: [], files: first.files });
    const check = await cli(dir, 'render', '--check', '--format', 'json');
    expect([check.code, check.json.files]).toEqual([0, first.files]);
    // any byte of any project file, even one gitopsc does not read, sends it down the full path
    writeFiles(dir, { 'README.md': 'hello\n' });
    expect(data(await ok(dir, 'render'))).toMatchObject({ rendered: 0, written: [] });
    // an output edit is drift, memo or not
    writeFiles(dir, { 'rendered/prod/web/service.yaml': 'x: 1\n' });
    const drift = await cli(dir, 'render', '--check', '--format', 'json');
    expect(drift.json.diagnostics.map((d) => [d.code, d.file])).toEqual([['DRIFT', 'rendered/prod/web/service.yaml']]);
    expect(data(await ok(dir, 'render')).written).toEqual(['rendered/prod/web/service.yaml']);
    expect(outputs(dir)).toEqual(await coldRender(dir));
  });
});
