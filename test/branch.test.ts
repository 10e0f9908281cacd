/** `publish --branch-template` names (pure). */
import { describe, expect, it } from 'vitest';
import { branchName } from '../src/git/branch.js';
import type { ArtifactChange } from '../src/diff/compare.js';

const change = (service: string, environment: string, tag: string): ArtifactChange => ({ service, environment, status: 'changed', new: { tag, image: `x/${service}:${tag}` } });

describe('branchName', () => {
  it.each([
    ['gitopsc/{env}/{service}', [change('web', 'prod', '1.2.0')], 'gitopsc/prod/web'],
    ['gitopsc/{env}/{service}-{tag}', [change('web', 'prod', '1.2.0')], 'gitopsc/prod/web-1.2.0'],
    ['gitopsc/{env}/{service}', [change('web', 'prod', '1.2.0'), change('api', 'dev', '2.0.0')], 'gitopsc/dev-prod/2-services'],
    ['gitopsc/{env}/{tag}', [change('web', 'prod', '1.2.0'), change('web', 'dev', '1.2.0')], 'gitopsc/dev-prod/multi'],
  ])('%s', (template, artifacts, want) => {
    expect(branchName(template, { artifacts, files: [], environments: ['dev', 'prod'], contentKey: 'k' })).toEqual({ ok: true, branch: want });
  });

  it('{hash} depends on the change only', () => {
    const a = branchName('g/{hash}', { artifacts: [], files: [], environments: ['dev'], contentKey: 'one' });
    const b = branchName('g/{hash}', { artifacts: [], files: [], environments: ['dev'], contentKey: 'one' });
    const c = branchName('g/{hash}', { artifacts: [], files: [], environments: ['dev'], contentKey: 'two' });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.ok && /^g\/[0-9a-f]{8}$/.test(a.branch)).toBe(true);
  });

  it('an unknown placeholder is an error', () => {
    expect(branchName('g/{nope}', { artifacts: [], files: [], environments: ['dev'], contentKey: '' }).ok).toBe(false);
  });
});
