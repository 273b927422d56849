import { describe, expect, it } from 'vitest';
import { QuantityError, parseQuantity } from './quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['500m', 0.5],
    ['1', 1],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['250u', 0.00025],
    ['100n', 1e-7],
    ['512Mi', 512 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['2Ki', 2048],
    ['1G', 1e9],
    ['3k', 3000],
    ['1e3', 1000],
    ['1E-2', 0.01],
    [' 2Gi ', 2 * 2 ** 30],
    [4, 4],
  ])('%s → %d', (text, expected) => {
    expect(parseQuantity(text)).toBeCloseTo(expected, 12);
  });

  it.each(['', 'abc', '1.5.5', '1Gb', '1 Gi', 'Gi', '--1', '1mi'])('rejects %j', (text) => {
    expect(() => parseQuantity(text)).toThrow(QuantityError);
  });
});
