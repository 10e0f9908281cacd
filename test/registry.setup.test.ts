/**
 * Issue 8 item 15: CI and the test setup stop only what they started, by PID, never a process
 * found by its name (which on a shared machine may be someone else's).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './registry/helpers.js';
import { runningRegistryPids, startRegistry } from './registry/server.js';

/** Whether the process runs (a zombie waiting for a parent that does not reap it has ended). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

describe('stopping only what was started', () => {
  it('.ci/run kills nothing by name and still keeps the package from starting its service', () => {
    const script = readFileSync(resolve('.ci/run'), 'utf8')
      .split('\n')
      .filter((l) => !l.trim().startsWith('#'))
      .join('\n');
    expect(script).not.toMatch(/\b(pkill|killall|pgrep)\b/);
    expect(script).not.toMatch(/\bkill\b/);
    expect(script).toContain('policy-rc.d');
  });

  it('stop() ends the registry it started, by PID', async () => {
    const reg = await startRegistry();
    expect(runningRegistryPids()).toContain(reg.pid);
    expect(alive(reg.pid)).toBe(true);
    await reg.stop();
    expect(await gone(reg.pid)).toBe(true);
    expect(runningRegistryPids()).not.toContain(reg.pid);
  });

  it('a test process that ends without stop() leaves no registry running', async () => {
    // bundle the real setup module with a driver that starts a registry and exits at once
    const dir = tempDir('gitopsc-regsetup-');
    const driver = join(dir, 'driver.ts');
    writeFileSync(driver, `import { startRegistry } from ${JSON.stringify(resolve('test/registry/server.ts'))};\nconst r = await startRegistry();\nconsole.log(r.pid);\nprocess.exit(0);\n`);
    const out = join(dir, 'driver.mjs');
    const b = spawnSync(resolve('node_modules/.bin/esbuild'), [driver, '--bundle', '--platform=node', '--format=esm', `--outfile=${out}`, '--log-level=error'], { encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
    const run = spawnSync(process.execPath, [out], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const pid = Number(run.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    const ended = await gone(pid);
    if (!ended) process.kill(pid, 'SIGKILL'); // the one process this test made, by its PID
    expect(ended).toBe(true);
  });
});
