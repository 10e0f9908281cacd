/** QA of issues 11/12/14 on the merged main: the publish commit message with `output.kustomization` (pure). */
import { describe, expect, it } from 'vitest';
import { commitMessage } from '../src/git/message.js';
import type { ArtifactChange } from '../src/diff/compare.js';

const added = (service: string, environment: string, tag: string): ArtifactChange => ({
  service,
  environment,
  status: 'added',
  new: { tag, image: `x/${service}:${tag}` },
});

describe('commit message with environment kustomization files', () => {
  it('an environment kustomization.yaml is not counted as a service named ""', () => {
    const r = commitMessage({
      artifacts: [added('web', 'prod', '1.2.0')],
      files: [
        { path: 'prod/web/deployment.yaml', service: 'web', environment: 'prod', status: 'added' },
        { path: 'prod/kustomization.yaml', service: '', environment: 'prod', status: 'changed' },
      ],
      source: 'src',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.message.split('\n')[0]).toBe('gitopsc: web 1.2.0 in prod');
    expect(r.values.services).toBe('web');
    expect(r.values.changes).toBe('- prod: configuration changed (1 file)\n- web/prod: added 1.2.0 (1 file)');
    expect(r.message).not.toContain('- /prod');
  });

  it('only environment files changed', () => {
    const r = commitMessage({
      artifacts: [],
      files: [{ path: 'dev/kustomization.yaml', service: '', environment: 'dev', status: 'added' }],
      source: 'src',
    });
    expect(r.ok && r.message.split('\n')[0]).toBe('gitopsc: update dev');
  });
});
