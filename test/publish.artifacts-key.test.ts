/** artifactsKeyOf (src/build/publish.ts): the hash of everything a compile's artifacts follow from. */
import { describe, expect, it } from 'vitest';
import { artifactsKeyOf } from '../src/build/artifacts-key.js';
import type { CompileState } from '../src/pipeline.js';

type State = Pick<CompileState, 'lockText' | 'lockHash' | 'project' | 'units'>;

const unit = (service: string, environment: string) => ({ key: `${service}/${environment}`, service, environment, target: 'kubernetes' }) as CompileState['units'][number];

function state(over: { lockText?: string | null; registries?: Record<string, unknown>; units?: [string, string][] } = {}): State {
  return {
    lockText: over.lockText === null ? undefined : (over.lockText ?? 'version: 1\nentries: []\n'),
    project: { config: { registries: over.registries ?? { har: { type: 'static', path: 'catalog.yaml', host: 'pkg.harness.io' } } } } as unknown as CompileState['project'],
    units: (over.units ?? [['web', 'dev'], ['web', 'prod']]).map(([s, e]) => unit(s, e)),
  };
}

describe('artifactsKeyOf', () => {
  const base = artifactsKeyOf(state());
  it.each<[string, State, boolean]>([
    ['the same inputs', state(), true],
    ['the same registries under another config file layout (an unrelated key order)', state({ registries: { har: { host: 'pkg.harness.io', path: 'catalog.yaml', type: 'static' } } }), true],
    ['a unit\'s key only (its rendering changed, not its artifact)', { ...state(), units: state().units.map((u) => ({ ...u, key: 'other' })) }, true],
    ['another lock text', state({ lockText: 'version: 1\nentries: [x]\n' }), false],
    ['another registry host (the image reference prefix)', state({ registries: { har: { type: 'static', path: 'catalog.yaml', host: 'mirror.example.com' } } }), false],
    ['another registry name', state({ registries: { other: { type: 'static', path: 'catalog.yaml', host: 'pkg.harness.io' } } }), false],
    ['a unit more', state({ units: [['web', 'dev'], ['web', 'prod'], ['api', 'dev']] }), false],
    ['the units in another order', state({ units: [['web', 'prod'], ['web', 'dev']] }), false],
    ['a unit of another environment', state({ units: [['web', 'dev'], ['web', 'staging']] }), false],
  ])('%s', (_name, s, equal) => {
    expect(artifactsKeyOf(s) === base).toBe(equal);
  });

  it('no key without a lock text', () => {
    expect(artifactsKeyOf(state({ lockText: null }))).toBeUndefined();
  });

  it('by the lock bytes\' hash when the compile gives it (the text is then not read)', () => {
    const withHash = (lockHash: string): State => {
      const s = state();
      return { ...s, lockHash, get lockText(): string { throw new Error('the lock text was decoded'); } };
    };
    const a = artifactsKeyOf(withHash('h1'));
    expect(a).toBeDefined();
    expect(artifactsKeyOf(withHash('h1'))).toBe(a);
    expect(artifactsKeyOf(withHash('h2'))).not.toBe(a);
    // a key by bytes never equals a key by text
    expect(a).not.toBe(base);
    expect(artifactsKeyOf({ ...state({ lockText: null }), lockHash: 'h1' })).toBe(a);
  });
});
