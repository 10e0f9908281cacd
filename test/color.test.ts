/**
 * The palette without colour is picocolors' own (every formatter String), built without
 * loading picocolors (src/cli/output/color.ts: the start-up fast path does not load it).
 */
import picocolors from 'picocolors';
import { describe, expect, it } from 'vitest';
import { palette } from '../src/cli/output/color.js';

describe('palette', () => {
  const off = picocolors.createColors(false);
  it('without colour has every key picocolors has, each formatting as picocolors does', () => {
    const plain = palette(false);
    expect(Object.keys(plain).sort()).toEqual(Object.keys(off).sort());
    for (const [k, f] of Object.entries(off)) {
      if (typeof f !== 'function') expect(plain[k as keyof typeof plain]).toBe(f);
      else for (const x of ['a', 1, null, undefined, '']) expect((plain[k as keyof typeof plain] as (v: unknown) => string)(x)).toBe((f as (v: unknown) => string)(x));
    }
  });

  it('with colour is picocolors with colour', () => {
    expect(palette(true).red('x')).toBe(picocolors.createColors(true).red('x'));
  });
});
