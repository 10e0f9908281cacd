/**
 * Reason ids (src/core/reasons.ts): kebab-case, keyed by a real code, each (code, reason) once,
 * every id written in src/ registered, and docs/diagnostics.md listing exactly the table
 * (`UPDATE_GOLDEN=1` rewrites the table in the doc).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODES, type Code } from '../src/core/diagnostics.js';
import { REASONS } from '../src/core/reasons.js';
import { baseProject, cli, makeProject } from './helpers/project.js';

const ROOT = join(import.meta.dirname, '..');
const DOC = join(ROOT, 'docs', 'diagnostics.md');
const BEGIN = '<!-- reasons:begin (generated from src/core/reasons.ts; UPDATE_GOLDEN=1 npx vitest run test/reasons.test.ts) -->';
const END = '<!-- reasons:end -->';

const table = REASONS as unknown as Record<string, Record<string, string>>;
const pairs = Object.entries(table).flatMap(([code, rs]) => Object.entries(rs).map(([reason, meaning]) => ({ code, reason, meaning })));

function markdownTable(): string {
  const rows = pairs.map((p) => `| \`${p.code}\` | \`${p.reason}\` | ${p.meaning.replace(/\|/g, '\\|')} |`);
  return [BEGIN, '| code | reason | meaning |', '|---|---|---|', ...rows, END].join('\n');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('reason ids', () => {
  it('are kebab-case, one line of meaning each, under a real code', () => {
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) {
      expect(CODES, p.code).toContain(p.code as Code);
      expect(p.reason, `${p.code} ${p.reason}`).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(p.meaning.trim(), `${p.code} ${p.reason}`).not.toBe('');
      expect(p.meaning, `${p.code} ${p.reason}`).not.toContain('\n');
    }
  });

  it('are unique per (code, reason)', () => {
    const keys = pairs.map((p) => `${p.code}/${p.reason}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('every reason written in src/ is in the table, with the code written beside it', () => {
    const all = new Set(pairs.map((p) => p.reason));
    const problems: string[] = [];
    let sites = 0;
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const rel = file.slice(ROOT.length + 1);
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          // other `reason` fields: the selection trace's per-tag verdicts (`parsed:`) and prose
          if (/\bparsed: /.test(line)) return;
          for (const m of line.matchAll(/\breason: '([^' ]*)'/g)) {
            sites += 1;
            const reason = m[1]!;
            if (!all.has(reason)) problems.push(`${rel}:${i + 1}: reason '${reason}' is not in src/core/reasons.ts`);
            // on a one-line construction, the code literal before the reason must own it
            const before = line.slice(0, m.index);
            const code = [...before.matchAll(/\b(?:error|warning|info)\('([A-Z_]+)'|\bcode: '([A-Z_]+)'/g)].at(-1);
            const c = code?.[1] ?? code?.[2];
            if (c && table[c] && !(reason in table[c]!)) problems.push(`${rel}:${i + 1}: reason '${reason}' is not a reason of ${c}`);
          }
        });
    }
    expect(problems).toEqual([]);
    expect(sites).toBeGreaterThan(150);
  });

  it('docs/diagnostics.md lists exactly the table', () => {
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    expect(start, 'the doc has the reasons markers').toBeGreaterThanOrEqual(0);
    const got = doc.slice(start, end + END.length);
    const want = markdownTable();
    if (got !== want && process.env.UPDATE_GOLDEN === '1') writeFileSync(DOC, doc.slice(0, start) + want + doc.slice(end + END.length));
    else expect(got).toBe(want);
  });

  it('every diagnostic of a broken project carries a reason of its code, in --format json', async () => {
    const files = baseProject();
    const web = files['services/web.yaml']!;
    const dir = makeProject({
      ...files,
      'services/web.yaml': web.replace('    replicas: 2', '    replicsa: 2'),
      'services/dup.yaml': web.replace('name: web', 'name: dup').replace('  kubernetes:', '  kubernetes:\n    replicas: 1'),
      'services/typo.yaml': web.replace('name: web', 'name: typo').replace('registry: local', 'registry: nope'),
      'services/rx.yaml': web.replace('name: web', 'name: rx').replace('range: "^1.2"', 'regex: "(", range: "^1.2"'),
    });
    const runs = [await cli(dir, 'validate', '--format', 'json'), await cli(makeProject(baseProject()), 'render', '--format', 'json')];
    const seen = runs.flatMap((r) => r.json.diagnostics.map((d) => [d.code, d.reason]));
    expect(seen.length).toBeGreaterThan(4);
    for (const [code, reason] of seen) expect(Object.keys(table[code!] ?? {}), `${code} ${reason}`).toContain(reason);
    expect(new Set(seen.map(([c]) => c))).toEqual(new Set(['SCHEMA', 'INVALID_REGEX', 'YAML_SYNTAX', 'UNKNOWN_REGISTRY', 'LOCK_STALE']));
  });
});
