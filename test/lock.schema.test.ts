/**
 * Issue 12, part 4: the lock is an input like any other, validated by a JSON Schema with
 * positions; merge-conflict markers are one YAML_SYNTAX at the first marker; a failing lock is
 * never rendered.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { head, isolateGit, makeRepo } from './helpers/git.js';
import { DIGEST, baseProject, cli, makeProject, snapshot } from './helpers/project.js';

async function resolved(): Promise<{ dir: string; lock: string }> {
  const dir = makeProject(baseProject());
  expect((await cli(dir, 'resolve')).code).toBe(0);
  expect((await cli(dir, 'render')).code).toBe(0);
  return { dir, lock: readFileSync(join(dir, 'gitopsc.lock'), 'utf8') };
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function at(text: string, needle: string, offset = 0): [number, number] {
  const i = text.indexOf(needle);
  expect(i, needle).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, i + offset).split('\n');
  return [before.length, before.at(-1)!.length + 1];
}

describe('a hand-edited lock', () => {
  it.each([
    ['a tag outside the OCI grammar', (l: string) => l.replace('tag: "1.10.0"', 'tag: "v2.1.0 ; rm -rf"'), 'tag: "v2.1.0', 5],
    ['a malformed digest', (l: string) => l.replace(/digest: "sha256:b{64}"/, `digest: "sha256:zz${'0'.repeat(62)}"`), 'digest: "sha256:zz', 8],
    ['an unknown strategy', (l: string) => l.replace('strategy: semver', 'strategy: newest'), 'strategy: newest', 10],
    ['an extra key', (l: string) => l.replace('strategy: semver', 'strategy: semver\n      pinned: true'), 'pinned: true', 0],
    ['a registry that is not the service\'s', (l: string) => l.replace('registry: local', 'registry: other'), 'registry: other', 10],
  ])('%s is SCHEMA at its position, in validate and render; nothing is rendered', async (_what, edit, needle, offset) => {
    const { dir, lock } = await resolved();
    const bad = edit(lock);
    expect(bad).not.toBe(lock);
    writeFileSync(join(dir, 'gitopsc.lock'), bad);
    const before = snapshot(dir);
    for (const cmd of ['validate', 'render']) {
      const r = await cli(dir, cmd, '--format', 'json');
      expect(r.code, cmd).toBe(1);
      expect(r.json.diagnostics.map((d) => [d.code, d.file, d.line, d.column]), cmd).toEqual([['SCHEMA', 'gitopsc.lock', ...at(bad, needle, offset)]]);
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it('merge-conflict markers are one YAML_SYNTAX at the first marker, in validate, render and resolve', async () => {
    const { dir, lock } = await resolved();
    const lines = lock.split('\n');
    const i = lines.findIndex((l) => l.includes('tag: "1.10.0"'));
    lines.splice(i, 1, '<<<<<<< HEAD', '      tag: "1.10.0"', '=======', '      tag: "1.2.0"', '>>>>>>> feature');
    writeFileSync(join(dir, 'gitopsc.lock'), lines.join('\n'));
    const before = snapshot(dir);
    for (const cmd of ['validate', 'render', 'resolve']) {
      const r = await cli(dir, cmd, '--format', 'json');
      expect(r.code, cmd).toBe(1);
      expect(r.json.diagnostics.map((d) => [d.code, d.file, d.line, d.column]), cmd).toEqual([['YAML_SYNTAX', 'gitopsc.lock', i + 1, 1]]);
      expect((r.json.diagnostics[0] as { hint?: string }).hint).toContain('gitopsc resolve');
    }
    expect(snapshot(dir)).toEqual(before);
    // and publish commits nothing from it
    isolateGit();
    const repo = makeRepo({ 'README.md': '# deploy\n' });
    const was = head(repo);
    const p = await cli(dir, 'publish', '--repo', repo, '--format', 'json');
    expect(p.code).toBe(1);
    expect(p.json.diagnostics.map((d) => d.code)).toEqual(['YAML_SYNTAX']);
    expect(head(repo)).toBe(was);
  });

  it('resolve re-resolves only the bad entry, keeping every other pin', async () => {
    const { dir, lock } = await resolved();
    const cat = join(dir, 'catalog.yaml');
    writeFileSync(cat, readFileSync(cat, 'utf8').replace('  fn/zip:\n', `    - { tag: "1.11.0", digest: "${DIGEST('f')}", created: "2026-02-15T00:00:00Z" }\n  fn/zip:\n`));
    // break the second web entry (prod): its digest
    const first = lock.indexOf(`digest: "${DIGEST('b')}"`);
    const second = lock.indexOf(`digest: "${DIGEST('b')}"`, first + 1);
    expect(second).toBeGreaterThan(first);
    writeFileSync(join(dir, 'gitopsc.lock'), lock.slice(0, second) + 'digest: "sha256:zz"' + lock.slice(second + `digest: "${DIGEST('b')}"`.length));
    const r = await cli(dir, 'resolve', '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.json.diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'SCHEMA']]);
    const after = readFileSync(join(dir, 'gitopsc.lock'), 'utf8');
    expect(after.match(/tag: "1\.10\.0"/g)).toHaveLength(1); // dev kept its pin
    expect(after.match(/tag: "1\.11\.0"/g)).toHaveLength(1); // prod was resolved again
  });

  it('`gitopsc schema lock` prints the schema', async () => {
    const r = await cli(makeProject({}), 'schema', 'lock');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { $id: string }).$id).toBe('https://gitopsc.dev/schemas/lock.schema.json');
  });
});
