import { describe, expect, it } from 'vitest';
import type { V1LabelSelector } from '@kubernetes/client-node';
import { podUsage, selectorString } from './usage.ts';

describe('selectorString', () => {
  it.each<[V1LabelSelector, string]>([
    [{ matchLabels: { tier: 'worker', app: 'orders' } }, 'app=orders,tier=worker'],
    [
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'canary'] }] },
      'env in (canary,prod)',
    ],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, 'env notin (dev)'],
    [
      {
        matchExpressions: [
          { key: 'gpu', operator: 'Exists' },
          { key: 'spot', operator: 'DoesNotExist' },
        ],
      },
      'gpu,!spot',
    ],
    [{}, ''],
  ])('%j → %s', (selector, text) => {
    expect(selectorString(selector)).toBe(text);
  });
});

describe('podUsage', () => {
  it('sums containers, in cores and GiB', () => {
    expect(
      podUsage({
        containers: [
          { name: 'a', usage: { cpu: '250m', memory: '512Mi' } },
          { name: 'b', usage: { cpu: '1500000n', memory: '512Mi' } },
        ],
      }),
    ).toEqual({ cpu: 0.252, memoryGiB: 1 });
  });
});
