/**
 * QA of issue 12 on the merged main: `output.lambdaDir` may not name gitopsc's own files in the
 * output directory (`.gitopsc-owned`, the render journal and lock, the deployment repository's
 * `.gitopsc/`): Lambda files there were left behind unpruned, or the render failed half-way.
 */
import { describe, expect, it } from 'vitest';
import { baseProject, cli, makeProject } from './helpers/project.js';

describe('output.lambdaDir and gitopsc internal names', () => {
  it.each(['.gitopsc-owned', '.gitopsc', '.gitopsc-render.lock', 'lambda/.hidden'])('refuses lambdaDir %s at its line', async (value) => {
    const files = baseProject();
    files['gitopsc.config.yaml'] += `output:\n  lambdaDir: "${value}"\n`;
    const dir = makeProject(files);
    const r = await cli(dir, 'validate', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.json.diagnostics.map((d) => [d.code, d.file, d.line, d.column])).toEqual([['SCHEMA', 'gitopsc.config.yaml', 11, 14]]);
  });
});
