/**
 * Shell completion (issue 15, part 5), for real in bash: the script printed by
 * `gitopsc completion bash` is sourced, `complete -p` shows it registered, and the completion
 * function runs with COMP_WORDS/COMP_CWORD as bash sets them on <Tab>.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './helpers/cli.js';
import { baseProject, cli, makeProject } from './helpers/project.js';

let binDir: string;
let dir: string;
/** The file holding what `gitopsc completion bash` printed (sourced by every case but the `live` one). */
let bashScript: string;

beforeAll(async () => {
  binDir = buildCli().binDir;
  dir = makeProject(baseProject());
  // printed by the CLI in this process (the `live` case below runs the bin's `completion bash`)
  const printed = await cli(dir, 'completion', 'bash');
  expect(printed.code, printed.stderr).toBe(0);
  bashScript = join(mkdtempSync(join(tmpdir(), 'gitopsc-completion-')), 'gitopsc.bash');
  writeFileSync(bashScript, printed.stdout);
}, 120_000);

const bashQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * What bash offers for the command line `gitopsc ...words` with the cursor at the end of the
 * last word (asynchronous: the cases run side by side). The script is the one `gitopsc
 * completion bash` printed, from its file; `live` sources it as the README says instead
 * (`source <(gitopsc completion bash)`: one more CLI run).
 */
async function bashComplete(words: string[], cwd = dir, live = false): Promise<string[]> {
  const script = [
    live ? 'source <(gitopsc completion bash)' : `source ${bashQuote(bashScript)}`,
    'complete -p gitopsc',
    `COMP_WORDS=(gitopsc ${words.map(bashQuote).join(' ')})`,
    `COMP_CWORD=${words.length}`,
    '_gitopsc',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const c = spawn('bash', ['-c', script], { cwd, env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status) => done({ status, stdout, stderr }));
  });
  expect(r.status, r.stderr).toBe(0);
  const [registration, ...out] = r.stdout.split('\n');
  expect(registration).toMatch(/^complete .*-F _gitopsc gitopsc$/);
  return out.filter(Boolean);
}

describe('bash completion', { concurrent: true }, () => {
  it.each<[string[], string[]]>([
    [['ren'], ['render']],
    [['re'], ['resolve', 'render']],
    [[''], ['validate', 'resolve', 'render', 'init', 'schema', 'diff', 'publish', 'completion', 'help']],
    [['render', '--c'], ['--check', '--cwd', '--config']],
    [['render', '--env', ''], ['dev', 'prod']],
    [['render', '--env', 'p'], ['prod']],
    [['resolve', '--update', ''], ['fn', 'web']],
    [['resolve', '--update', 'web', ''], ['fn', 'web']],
    [['resolve', '--input', 'w'], ['web.tag=']],
    [['--format', ''], ['text', 'json', 'github', 'markdown']],
    [['schema', ''], ['service', 'config', 'catalog', 'lock']],
    [['completion', ''], ['bash', 'zsh', 'fish']],
    [['help', 'pu'], ['publish']],
  ])('gitopsc %j<Tab>', async (words, want) => {
    const got = await bashComplete(words);
    // the command list grows with new commands; everything else is exact
    if (words.join(' ') === '') expect(got).toEqual(expect.arrayContaining(want));
    else expect([...got].sort()).toEqual([...want].sort());
  });

  it('honours --cwd for service names, and offers nothing (so files) for a path', async () => {
    const other = makeProject({ ...baseProject(), 'services/api.yaml': baseProject()['services/web.yaml']!.replace('name: web', 'name: api') });
    expect(await bashComplete(['--cwd', other, 'resolve', '--update', ''], '/', true)).toEqual(['api', 'fn', 'web']);
    expect(await bashComplete(['render', '--out', 'zz-none-'])).toEqual([]);
  });

  it('new commands complete without touching the script: candidates come from the command tree', async () => {
    const r = await cli(dir, '__complete', '--', '');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).not.toContain('__complete');
  });
});

describe('zsh and fish scripts', () => {
  it.each([
    ['zsh', ['-n']],
    ['fish', ['--no-execute']],
  ])('%s: the script parses (when the shell is installed)', async (shell, flags) => {
    const r = await cli(dir, 'completion', shell);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('gitopsc __complete --');
    const has = spawnSync(shell, ['-c', 'exit 0']).status === 0;
    if (!has) {
      console.log(`skipped the ${shell} syntax check: ${shell} is not installed`);
      return;
    }
    const file = join(mkdtempSync(join(tmpdir(), 'gitopsc-completion-')), `gitopsc.${shell}`);
    writeFileSync(file, r.stdout);
    const p = spawnSync(shell, [...flags, file], { encoding: 'utf8' });
    expect(p.status, p.stderr).toBe(0);
  });

  it('fish completes from the script (when fish is installed)', () => {
    if (spawnSync('fish', ['-c', 'exit 0']).status !== 0) {
      console.log('skipped the fish completion run: fish is not installed');
      return;
    }
    const run = (line: string) =>
      spawnSync('fish', ['--no-config', '-c', `gitopsc completion fish | source; complete -C ${JSON.stringify(line)}`], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` },
      });
    const cmds = run('gitopsc ren');
    expect(cmds.status, cmds.stderr).toBe(0);
    expect(cmds.stdout.split('\n').map((l) => l.split('\t')[0])).toContain('render');
    expect(run('gitopsc render --env ').stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort()).toEqual(['dev', 'prod']);
  });

  it('an unknown shell is a usage error', async () => {
    const r = await cli(dir, 'completion', 'tcsh', '--format', 'json');
    expect([r.code, r.json.diagnostics.map((d) => d.code)]).toEqual([2, ['USAGE']]);
  });
});
