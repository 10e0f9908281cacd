/** Canonical quantities: what the API server stores (values checked against apimachinery's resource.Quantity). */
import { describe, expect, it } from 'vitest';
import { canonicalQuantity } from '../src/render/kubernetes/quantity.js';

describe('canonicalQuantity', () => {
  it.each([
    ['100m', '100m'],
    [0.1, '100m'],
    ['0.1', '100m'],
    ['.5', '500m'],
    [1.5, '1500m'],
    [2, '2'],
    ['2000m', '2'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['1500000', '1500k'],
    ['1.5Gi', '1536Mi'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['2048Ki', '2Mi'],
    ['1Ki', '1Ki'],
    ['0.5Ki', '512'],
    ['1000Ki', '1000Ki'],
    ['0.5Mi', '512Ki'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['1E6', '1e6'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['129M', '129M'],
    ['123Mi', '123Mi'],
    ['0', '0'],
    ['0Gi', '0'],
    ['0.0001', '100u'],
    ['1n', '1n'],
    ['0.0000000001', '1n'],
    ['1.0000000001', '1000000001n'],
    ['+1', '1'],
    ['1.', '1'],
    ['10G', '10G'],
    ['1.5k', '1500'],
  ] as [string | number, string][])('%s -> %s', (input, want) => {
    expect(canonicalQuantity(input)).toBe(want);
  });

  it.each(['', 'abc', '1.2.3', '1Gb', '1 Gi', 'Gi', '1e', '0x10', '1ki'])('refuses %j', (input) => {
    expect(canonicalQuantity(input)).toBeUndefined();
  });
});
