import type { V1Deployment, V1DeploymentStrategy, V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { InvalidObjectError } from './errors.ts';
import { podInfo, rolloutBounds, selectorMatches, targetWorkload, templateHash } from './workload.ts';

describe('rolloutBounds (Deployment ResolveFenceposts)', () => {
  it.each<[string, V1DeploymentStrategy | undefined, number, { maxSurge: number; maxUnavailable: number }]>([
    [
      'defaults 25%/25% of 10: surge rounds up, unavailable down',
      undefined,
      10,
      { maxSurge: 3, maxUnavailable: 2 },
    ],
    ['defaults of 3', { type: 'RollingUpdate' }, 3, { maxSurge: 1, maxUnavailable: 0 }],
    ['defaults of 1', undefined, 1, { maxSurge: 1, maxUnavailable: 0 }],
    [
      'integers as given',
      { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } },
      10,
      { maxSurge: 2, maxUnavailable: 1 },
    ],
    [
      'percentages',
      { type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%', maxUnavailable: '10%' } },
      7,
      { maxSurge: 4, maxUnavailable: 0 },
    ],
    [
      'both 0 → one may be unavailable',
      { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } },
      5,
      { maxSurge: 0, maxUnavailable: 1 },
    ],
    ['0 replicas with percentages → unavailable 1', undefined, 0, { maxSurge: 0, maxUnavailable: 1 }],
    ['Recreate: no surge, all unavailable', { type: 'Recreate' }, 6, { maxSurge: 0, maxUnavailable: 6 }],
  ])('%s', (_name, strategy, replicas, expected) => {
    expect(rolloutBounds(strategy, replicas, 'Deployment shop/x')).toEqual(expected);
  });

  it('names the field of a malformed value', () => {
    expect(() => rolloutBounds({ rollingUpdate: { maxSurge: 'lots' } }, 3, 'Deployment shop/x')).toThrow(
      InvalidObjectError,
    );
    expect(() => rolloutBounds({ rollingUpdate: { maxSurge: 'lots' } }, 3, 'Deployment shop/x')).toThrow(
      'Deployment shop/x spec.strategy.rollingUpdate.maxSurge: "lots" is neither an integer nor a percentage like 25%',
    );
  });
});

describe('templateHash', () => {
  const template = {
    metadata: { labels: { app: 'a', tier: 'b' } },
    spec: { containers: [{ name: 'c', image: 'i:1' }] },
  };
  it('ignores key order and changes with the template', () => {
    const reordered = {
      spec: { containers: [{ image: 'i:1', name: 'c' }] },
      metadata: { labels: { tier: 'b', app: 'a' } },
    };
    expect(templateHash(reordered)).toBe(templateHash(template));
    expect(templateHash({ ...template, spec: { containers: [{ name: 'c', image: 'i:2' }] } })).not.toBe(
      templateHash(template),
    );
    expect(templateHash(template)).toMatch(/^[0-9a-f]{10}$/);
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'orders', tier: 'worker' };
  it.each<[string, V1LabelSelector | undefined, boolean]>([
    ['matchLabels subset', { matchLabels: { app: 'orders' } }, true],
    ['matchLabels differs', { matchLabels: { app: 'web' } }, false],
    [
      'matchExpressions In',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['worker', 'api'] }] },
      true,
    ],
    [
      'matchExpressions DoesNotExist',
      { matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] },
      true,
    ],
    [
      'both must hold',
      {
        matchLabels: { app: 'orders' },
        matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['worker'] }],
      },
      false,
    ],
    ['empty selector matches everything', {}, true],
    ['missing selector matches nothing', undefined, false],
  ])('%s → %s', (_name, selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe('targetWorkload', () => {
  it('reads replicas, ready replicas, hash and rollout bounds', () => {
    const deployment: V1Deployment = {
      metadata: { name: 'orders', namespace: 'shop' },
      spec: { replicas: 8, selector: {}, template: { spec: { containers: [] } } },
      status: { readyReplicas: 5 },
    };
    expect(targetWorkload(deployment)).toEqual({
      replicas: 8,
      readyReplicas: 5,
      templateHash: templateHash({ spec: { containers: [] } }),
      maxSurge: 2,
      maxUnavailable: 2,
    });
  });
});

describe('podInfo', () => {
  const base = (extra: Partial<V1Pod> = {}): V1Pod => ({
    metadata: {
      name: 'p',
      namespace: 'shop',
      creationTimestamp: '2026-11-02T09:00:00Z' as unknown as Date,
      ...extra.metadata,
    },
    spec: { containers: [], ...extra.spec },
    status: { phase: 'Running', ...extra.status },
  });
  it.each<[string, V1Pod, Record<string, unknown>]>([
    [
      'ready since the Ready condition turned true',
      base({
        spec: { containers: [], nodeName: 'n1' },
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: '2026-11-02T09:00:30Z' as unknown as Date },
          ],
        },
      }),
      { ready: true, readyAt: Date.parse('2026-11-02T09:00:30Z'), nodeName: 'n1', phase: 'Running' },
    ],
    [
      'not ready',
      base({
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'False', lastTransitionTime: new Date('2026-11-02T09:00:30Z') },
          ],
        },
      }),
      { ready: false, readyAt: undefined },
    ],
    [
      'unschedulable with the scheduler message',
      base({
        status: {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/3 nodes are available: 3 Insufficient cpu.',
              lastTransitionTime: '2026-11-02T09:00:05Z' as unknown as Date,
            },
          ],
        },
      }),
      {
        phase: 'Pending',
        unschedulable: {
          since: Date.parse('2026-11-02T09:00:05Z'),
          message: '0/3 nodes are available: 3 Insufficient cpu.',
        },
      },
    ],
    [
      'PodScheduled=False for another reason is not unschedulable',
      base({
        status: {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
        },
      }),
      { unschedulable: undefined },
    ],
    ['being deleted', base({ metadata: { name: 'p', deletionTimestamp: new Date() } }), { deleting: true }],
    [
      'deletion cost',
      base({
        metadata: { name: 'p', annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-250' } },
      }),
      { deletionCost: -250 },
    ],
    [
      'invalid deletion cost is ignored',
      base({ metadata: { name: 'p', annotations: { 'controller.kubernetes.io/pod-deletion-cost': '1e3' } } }),
      { deletionCost: undefined },
    ],
    [
      'out-of-range deletion cost is ignored',
      base({
        metadata: { name: 'p', annotations: { 'controller.kubernetes.io/pod-deletion-cost': '9999999999' } },
      }),
      { deletionCost: undefined },
    ],
    [
      'no phase yet reads as Pending',
      { metadata: { name: 'p' }, spec: { containers: [] } },
      { phase: 'Pending', createdAt: 0 },
    ],
  ])('%s', (_name, pod, expected) => {
    const info = podInfo(pod) as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(expected)) expect(info[key], key).toEqual(value);
  });
});
