import { describe, expect, it } from 'vitest';
import { QuantityError } from './errors.ts';
import { parseQuantity } from './quantity.ts';

describe('parseQuantity', () => {
  it.each([
    // text, scale, expected — milli for CPU, unit for bytes and counts; rounded up like Kubernetes
    ['500m', 'milli', 500],
    ['0.5', 'milli', 500],
    ['0.1', 'milli', 100],
    ['1', 'milli', 1000],
    ['3860m', 'milli', 3860],
    ['2.5', 'milli', 2500],
    ['100u', 'milli', 1],
    ['1n', 'milli', 1],
    ['1e3', 'milli', 1_000_000],
    ['1', 'unit', 1],
    ['1Ki', 'unit', 1024],
    ['512Mi', 'unit', 512 * 1024 ** 2],
    ['1.5Gi', 'unit', 1.5 * 1024 ** 3],
    ['12880280Ki', 'unit', 12880280 * 1024],
    ['128974848', 'unit', 128974848],
    ['129e6', 'unit', 129_000_000],
    ['129M', 'unit', 129_000_000],
    ['1E', 'unit', 1e18],
    ['1E3', 'unit', 1000],
    ['0.5', 'unit', 1],
    ['110', 'unit', 110],
    ['.5Gi', 'unit', 512 * 1024 ** 2],
    ['+2k', 'unit', 2000],
    ['-1', 'unit', -1],
    ['0', 'milli', 0],
  ] as const)('%s (%s) = %d', (text, scale, expected) => {
    expect(parseQuantity(text, scale, 'field')).toBe(expected);
  });

  it('accepts numbers as written in JSON', () => {
    expect(parseQuantity(2, 'milli', 'cpu')).toBe(2000);
  });

  it.each(['', '1.5.5', 'Gi', '1GB', '1 Gi', '1e', 'abc', '1ki', '--1'])(
    'rejects %j naming the field',
    (text) => {
      expect(() => parseQuantity(text, 'unit', 'spec.containers[0].resources.requests.memory')).toThrow(
        QuantityError,
      );
      expect(() => parseQuantity(text, 'unit', 'spec.containers[0].resources.requests.memory')).toThrow(
        /^spec\.containers\[0\]\.resources\.requests\.memory: ".*" is not a Kubernetes quantity/,
      );
    },
  );
});
