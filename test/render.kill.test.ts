/**
 * Issue 8 item 2: kill -9 of a real `gitopsc render` at random moments. After every kill the
 * output is completed or rolled back (what the next run does first), and must then be wholly
 * the old render or wholly the new one, with no staging file left; the next render finishes
 * the new one.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openOutput } from '../src/write/apply.js';
import { buildCli } from './helpers/cli.js';
import { spawnEnv } from './helpers/env.js';
import { DIGEST, cli, makeProject, snapshot } from './helpers/project.js';

const SERVICES = 120;

function bigProject(): Record<string, string> {
  const files: Record<string, string> = {
    'gitopsc.config.yaml': 'environments:\n  - name: dev\n  - name: prod\nregistries:\n  local:\n    type: static\n    path: catalog.yaml\n    host: registry.example.com\n',
    'catalog.yaml': `packages:\n  shop/app:\n    - { tag: "1.0.0", digest: "${DIGEST('a')}" }\n    - { tag: "1.1.0", digest: "${DIGEST('b')}" }\n`,
  };
  for (let i = 0; i < SERVICES; i++) {
    files[`services/s${i}.yaml`] = `apiVersion: gitopsc/v1
kind: Service
metadata:
  name: s${i}
spec:
  artifact:
    registry: local
    package: shop/app
    select: { strategy: semver, range: "^1" }
  kubernetes:
    replicas: 2
    ports: [{ name: http, containerPort: 8080 }]
    service: { port: 80, targetPort: http }
`;
  }
  return files;
}

/** Every path under dir that is gitopsc's own bookkeeping (staging, journal, lock, temporaries). */
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => p !== '.gitopsc-owned' /* the ownership record stays */ && /\.gitopsc-|gitopsc-\d+-\d+\.tmp/.test(p));
}

let bin = '';
beforeAll(() => {
  bin = buildCli().bin;
}, 120_000);

describe('kill -9 during render', () => {
  it('leaves, after the next run, a tree that is wholly old or wholly new and no staging files', async () => {
    const dir = makeProject(bigProject());
    const out = join(dir, 'rendered');
    expect((await cli(dir, 'resolve')).code).toBe(0);
    // two locks: every deployment's image differs between them
    const lockNew = join(dir, 'lock.new');
    const lockOld = join(dir, 'lock.old');
    copyFileSync(join(dir, 'gitopsc.lock'), lockNew);
    writeFileSync(lockOld, readFileSync(lockNew, 'utf8').replaceAll('1.1.0', '1.0.0').replaceAll(DIGEST('b'), DIGEST('a')));
    const trees: Map<string, string>[] = [];
    for (const lock of [lockOld, lockNew]) {
      copyFileSync(lock, join(dir, 'gitopsc.lock'));
      expect((await cli(dir, 'render')).code).toBe(0);
      trees.push(snapshot(out));
    }
    // every service's files, and the ownership record
    expect(trees[0]!.size).toBe(SERVICES * 4 + 1);

    const run = () =>
      new Promise<{ ms: number; child: ReturnType<typeof spawn> }>((resolve) => {
        const t0 = Date.now();
        const child = spawn(process.execPath, [bin, '--cwd', dir, 'render'], { stdio: 'ignore', env: spawnEnv() });
        child.on('exit', () => resolve({ ms: Date.now() - t0, child }));
      });
    // calibrate: how long one render that rewrites every deployment takes (the tree is new)
    let state = 0; // the tree on disk is trees[state]
    copyFileSync(lockOld, join(dir, 'gitopsc.lock'));
    const full = (await run()).ms;
    expect(snapshot(out)).toEqual(trees[state]);

    const outcomes = { old: 0, new: 0 };
    const deadline = Date.now() + 5_000;
    let trials = 0;
    // the kill moments: a golden-ratio sequence from a random start, so that however many trials
    // fit, they spread evenly over the window
    const start = Math.random();
    // at least 4 trials on a loaded machine, up to 8 as fit in 5 s on an idle one (each is a
    // Node start and most of a 120-service render: 20 took 4-5 s of CPU; 8 moments of the
    // golden-ratio sequence leave no gap wider than 15% of the window)
    while (trials < 4 || (Date.now() < deadline && trials < 8)) {
      trials++;
      const target = 1 - state;
      copyFileSync(target ? lockNew : lockOld, join(dir, 'gitopsc.lock'));
      // kill from a quarter of the way in (startup, compile) to near the end (the writes)
      const delay = full * (0.25 + ((start + trials * 0.6180339887) % 1) * 0.7);
      const child = spawn(process.execPath, [bin, '--cwd', dir, 'render'], { stdio: 'ignore', env: spawnEnv() });
      const exited = new Promise((r) => child.on('exit', r));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await exited;

      // what the next run does first: complete or roll back, under the directory's lock
      const opened = await openOutput(out, { waitMs: 2000 });
      expect(opened.diagnostics).toEqual([]);
      opened.session!.release();
      const now = snapshot(out);
      const which = equal(now, trees[target]!) ? 'new' : equal(now, trees[state]!) ? 'old' : 'mixed';
      expect(which, `trial ${trials} killed after ${Math.round(delay)} ms`).not.toBe('mixed');
      outcomes[which as 'old' | 'new']++;
      expect(leftovers(out)).toEqual([]);

      // the tree on disk is now whole: the next trial flips from it
      state = which === 'new' ? target : state;
    }
    // the next render finishes whatever was interrupted last
    copyFileSync(state ? lockOld : lockNew, join(dir, 'gitopsc.lock'));
    expect((await cli(dir, 'render')).code).toBe(0);
    expect(equal(snapshot(out), trees[1 - state]!)).toBe(true);
    expect(leftovers(out)).toEqual([]);
    expect(trials).toBeGreaterThanOrEqual(4);
    console.log(`kill -9 trials: ${trials} (${outcomes.old} old, ${outcomes.new} new), full render ${full} ms`);
  }, 240_000);
});

function equal(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
