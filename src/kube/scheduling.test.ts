import type { V1Node, V1PodSpec, V1Taint, V1Toleration } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { requirementMatches, staticFitReason, toleratesTaint } from './scheduling.ts';

describe('toleratesTaint (Kubernetes ToleratesTaint)', () => {
  const taint: V1Taint = { key: 'dedicated', value: 'batch', effect: 'NoSchedule' };
  it.each<[string, V1Toleration, boolean]>([
    [
      'Equal with key, value and effect',
      { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' },
      true,
    ],
    ['operator defaults to Equal', { key: 'dedicated', value: 'batch' }, true],
    ['Equal with another value', { key: 'dedicated', operator: 'Equal', value: 'web' }, false],
    ['Exists on the key, any value', { key: 'dedicated', operator: 'Exists' }, true],
    ['Exists with an empty key tolerates everything', { operator: 'Exists' }, true],
    ['another key', { key: 'gpu', operator: 'Exists' }, false],
    ['another effect', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
    ['empty effect matches every effect', { key: 'dedicated', operator: 'Exists', effect: '' }, true],
    ['unknown operator', { key: 'dedicated', operator: 'Gt', value: 'batch' }, false],
  ])('%s → %s', (_name, toleration, expected) => {
    expect(toleratesTaint(toleration, taint)).toBe(expected);
  });
});

describe('requirementMatches (node selector operators)', () => {
  const labels = { zone: '1', pool: 'user', cores: '8' };
  it.each<[string, string, string[] | undefined, boolean]>([
    ['zone', 'In', ['1', '2'], true],
    ['zone', 'In', ['3'], false],
    ['missing', 'In', ['x'], false],
    ['zone', 'NotIn', ['3'], true],
    ['zone', 'NotIn', ['1'], false],
    ['missing', 'NotIn', ['x'], true],
    ['pool', 'Exists', undefined, true],
    ['missing', 'Exists', undefined, false],
    ['missing', 'DoesNotExist', undefined, true],
    ['pool', 'DoesNotExist', undefined, false],
    ['cores', 'Gt', ['4'], true],
    ['cores', 'Gt', ['8'], false],
    ['cores', 'Lt', ['16'], true],
    ['pool', 'Gt', ['1'], false],
    ['zone', 'Bogus', ['1'], false],
  ])('%s %s %j → %s', (key, operator, values, expected) => {
    expect(requirementMatches({ key, operator, ...(values ? { values } : {}) }, labels)).toBe(expected);
  });
});

function node(labels: Record<string, string>, taints: V1Taint[] = [], unschedulable = false): V1Node {
  return { metadata: { name: 'n1', labels }, spec: { taints, unschedulable } };
}

describe('staticFitReason', () => {
  const userNode = node({ pool: 'user', zone: '1' });
  it.each<[string, V1PodSpec, V1Node, string | undefined]>([
    ['no constraints fit', { containers: [] }, userNode, undefined],
    ['nodeSelector matches', { containers: [], nodeSelector: { pool: 'user' } }, userNode, undefined],
    [
      'nodeSelector differs',
      { containers: [], nodeSelector: { pool: 'gpu' } },
      userNode,
      'nodeSelector pool=gpu does not match (node has pool=user)',
    ],
    [
      'nodeSelector label missing',
      { containers: [], nodeSelector: { disk: 'ssd' } },
      userNode,
      'nodeSelector disk=ssd does not match (node has no such label)',
    ],
    [
      'required affinity: one of two terms matches',
      {
        containers: [],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'pool', operator: 'In', values: ['gpu'] }] },
                { matchExpressions: [{ key: 'zone', operator: 'In', values: ['1', '2'] }] },
              ],
            },
          },
        },
      },
      userNode,
      undefined,
    ],
    [
      'required affinity: expressions of a term are ANDed',
      {
        containers: [],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: 'zone', operator: 'In', values: ['1'] },
                    { key: 'spot', operator: 'Exists' },
                  ],
                },
              ],
            },
          },
        },
      },
      userNode,
      'required node affinity does not match (zone In [1] and spot Exists)',
    ],
    [
      'required affinity on matchFields metadata.name',
      {
        containers: [],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
              ],
            },
          },
        },
      },
      userNode,
      undefined,
    ],
    [
      'an empty term matches nothing',
      {
        containers: [],
        affinity: {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } },
        },
      },
      userNode,
      'required node affinity does not match ((empty term))',
    ],
    [
      'preferred affinity is ignored',
      {
        containers: [],
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 1,
                preference: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['gpu'] }] },
              },
            ],
          },
        },
      },
      userNode,
      undefined,
    ],
    [
      'NoSchedule taint not tolerated',
      { containers: [] },
      node({}, [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' }]),
      'taint CriticalAddonsOnly=true:NoSchedule is not tolerated',
    ],
    [
      'NoExecute taint not tolerated',
      { containers: [] },
      node({}, [{ key: 'maintenance', effect: 'NoExecute' }]),
      'taint maintenance:NoExecute is not tolerated',
    ],
    [
      'PreferNoSchedule taint is only a preference',
      { containers: [] },
      node({}, [{ key: 'soft', effect: 'PreferNoSchedule' }]),
      undefined,
    ],
    [
      'taint tolerated',
      { containers: [], tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }] },
      node({}, [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' }]),
      undefined,
    ],
    ['cordoned node', { containers: [] }, node({}, [], true), 'the node is cordoned (spec.unschedulable)'],
    [
      'cordon tolerated',
      {
        containers: [],
        tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      },
      node({}, [], true),
      undefined,
    ],
    [
      'pinned to another node',
      { containers: [], nodeName: 'n2' },
      userNode,
      'the template is pinned to node n2',
    ],
  ])('%s', (_name, spec, target, expected) => {
    expect(staticFitReason(spec, target)).toBe(expected);
  });

  it.each<[string, V1Node, string | undefined]>([
    [
      'not-ready taint is ignored for a node that will be Ready',
      node({}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]),
      undefined,
    ],
    [
      'cloud-provider uninitialized taint is ignored',
      node({}, [
        { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' },
      ]),
      undefined,
    ],
    ['cordon is ignored', node({}, [], true), undefined],
    [
      'a permanent taint still counts',
      node({}, [{ key: 'gpu', effect: 'NoSchedule' }]),
      'taint gpu:NoSchedule is not tolerated',
    ],
  ])('as a fresh node: %s', (_name, target, expected) => {
    expect(staticFitReason({ containers: [] }, target, { asFreshNode: true })).toBe(expected);
  });
});
