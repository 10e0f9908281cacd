/**
 * Issue 8 item 6: user regexes (select.regex, ignore, policy denyTags) run in linear time, in
 * `resolve` and in the offline `render` / `render --check` of a pre-commit hook, so that a pushed
 * tag cannot stall every commit. With a backtracking engine each run below would not finish.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseProject, cli, DIGEST, makeProject } from './helpers/project.js';

const LONG = 'a'.repeat(100) + '-';

describe('catastrophic regexes against a long tag', () => {
  it('resolve, render and render --check finish fast and keep their results', async () => {
    const files = baseProject();
    files['catalog.yaml'] = files['catalog.yaml']!.replace('  fn/zip:', `    - { tag: "${LONG}", digest: "${DIGEST('9')}" }\n  fn/zip:`);
    files['services/web.yaml'] = files['services/web.yaml']!.replace(
      '{ strategy: semver, range: "^1.2" }',
      '{ strategy: alphabetical, ignore: ["^(a|a)*$"], regex: "(a|a)*" }',
    );
    files['gitopsc.config.yaml'] += 'policies:\n  production: { denyTags: ["^(a+)+$", "^(a|aa)+$"] }\n';
    const dir = makeProject(files);
    for (const args of [['resolve'], ['render'], ['render', '--check']]) {
      const t0 = performance.now();
      const r = await cli(dir, ...args, '--format', 'json');
      expect(r.json.diagnostics.filter((d) => d.severity === 'error'), args.join(' ')).toEqual([]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(performance.now() - t0, args.join(' ')).toBeLessThan(10_000);
      // the offline runs check the policy against the long tag from the lock
      if (args[0] === 'resolve') expect(readFileSync(join(dir, 'gitopsc.lock'), 'utf8')).toContain(`tag: ${LONG}`);
    }
  });
});
