import type { V1Node, V1Pod, V1PodSpec, V1Taint } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { VmCapacity } from '../core/types.ts';
import { applyFootprint, podFootprint, usageByNode, vmCapacity } from './capacity.ts';
import type { NodeUsage } from './capacity.ts';
import { podRequests } from './resources.ts';

const NOW = Date.parse('2026-11-02T10:00:00Z');
const MIN = 60_000;

interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: string;
  extra?: Record<string, string>;
  group?: string;
  labels?: Record<string, string>;
  taints?: V1Taint[];
  ready?: boolean;
  unschedulable?: boolean;
  ageMs?: number;
  deleting?: boolean;
  noAllocatable?: boolean;
}

function node(name: string, o: NodeOptions = {}): V1Node {
  const allocatable = { cpu: o.cpu ?? '4', memory: o.memory ?? '16Gi', pods: o.pods ?? '110', ...o.extra };
  return {
    metadata: {
      name,
      labels: { 'kubernetes.azure.com/agentpool': o.group ?? 'user', ...o.labels },
      creationTimestamp: new Date(NOW - (o.ageMs ?? 24 * 60 * MIN)),
      ...(o.deleting ? { deletionTimestamp: new Date(NOW) } : {}),
    },
    spec: { taints: o.taints ?? [], unschedulable: o.unschedulable ?? false },
    status: {
      ...(o.noAllocatable ? {} : { allocatable }),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

function pod(
  name: string,
  nodeName: string,
  requests: Record<string, string>,
  o: { daemonSet?: boolean; phase?: string } = {},
): V1Pod {
  return {
    metadata: {
      name,
      namespace: 'default',
      ownerReferences: o.daemonSet
        ? [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'u' }]
        : [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u' }],
    },
    spec: { nodeName, containers: [{ name: 'c', resources: { requests } }] },
    status: { phase: o.phase ?? 'Running' },
  };
}

const plain: V1PodSpec = {
  containers: [{ name: 'app', resources: { requests: { cpu: '1', memory: '2Gi' } } }],
};

function withSpec(
  spec: Partial<V1PodSpec>,
  requests: Record<string, string> = { cpu: '1', memory: '2Gi' },
): V1PodSpec {
  return { ...spec, containers: [{ name: 'app', resources: { requests } }] };
}

function capacity(spec: V1PodSpec, nodes: V1Node[], pods: V1Pod[] = []): VmCapacity {
  return vmCapacity({
    spec,
    requests: podRequests(spec),
    nodes,
    usage: usageByNode(pods),
    now: NOW,
    provisionEstimateMs: 5 * MIN,
    incomingWindowMs: 15 * MIN,
  }).capacity;
}

describe('vmCapacity: free slots on Ready nodes', () => {
  it.each<[string, V1PodSpec, V1Node[], V1Pod[], number]>([
    ['an empty node, bound by cpu (4 cores / 1)', plain, [node('a')], [], 4],
    ['bound by memory (16Gi / 6Gi)', withSpec({}, { cpu: '500m', memory: '6Gi' }), [node('a')], [], 2],
    ['bound by the pod limit', plain, [node('a', { pods: '3' })], [pod('p', 'a', {})], 2],
    ['requests of bound pods are subtracted', plain, [node('a')], [pod('p', 'a', { cpu: '2500m' })], 1],
    [
      'terminated pods free their requests',
      plain,
      [node('a')],
      [pod('p', 'a', { cpu: '3' }, { phase: 'Succeeded' })],
      4,
    ],
    ['pods on other nodes do not count', plain, [node('a')], [pod('p', 'b', { cpu: '3' })], 4],
    [
      'a replica larger than the node never fits',
      withSpec({}, { cpu: '5', memory: '1Gi' }),
      [node('a')],
      [],
      0,
    ],
    ['a full node gives 0, never negative', plain, [node('a')], [pod('p', 'a', { cpu: '6' })], 0],
    ['slots add up over nodes', plain, [node('a'), node('b'), node('c', { cpu: '2' })], [], 10],
    [
      'an untolerated taint excludes the node',
      plain,
      [
        node('a', { taints: [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' }] }),
        node('b'),
      ],
      [],
      4,
    ],
    [
      'a tolerated taint does not',
      withSpec({ tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }] }),
      [node('a', { taints: [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' }] })],
      [],
      4,
    ],
    [
      'a nodeSelector that does not match excludes the node',
      withSpec({ nodeSelector: { disk: 'ssd' } }),
      [node('a'), node('b', { labels: { disk: 'ssd' } })],
      [],
      4,
    ],
    [
      'required node affinity excludes non-matching nodes',
      withSpec({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['2'] }] }],
            },
          },
        },
      }),
      [node('a', { labels: { zone: '1' } }), node('b', { labels: { zone: '2' } }), node('c')],
      [],
      8,
    ],
    ['a cordoned node is excluded', plain, [node('a', { unschedulable: true }), node('b')], [], 4],
    ['a node being deleted is excluded', plain, [node('a', { deleting: true }), node('b')], [], 4],
    ['a NotReady node is not free capacity', plain, [node('a', { ready: false })], [], 0],
    [
      'an extended resource the node lacks',
      withSpec({}, { cpu: '1', 'nvidia.com/gpu': '1' }),
      [node('a')],
      [],
      0,
    ],
    [
      'an extended resource the node has',
      withSpec({}, { cpu: '1', 'nvidia.com/gpu': '1' }),
      [node('a', { extra: { 'nvidia.com/gpu': '2' } })],
      [],
      2,
    ],
    [
      'a template without requests is bound by pods only',
      { containers: [{ name: 'app' }] },
      [node('a', { pods: '30' })],
      [pod('p', 'a', {})],
      29,
    ],
  ])('%s → %d', (_name, spec, nodes, pods, freeSlots) => {
    expect(capacity(spec, nodes, pods).freeSlots).toBe(freeSlots);
  });
});

describe('vmCapacity: incoming nodes', () => {
  it.each<[string, V1Node[], V1Pod[], VmCapacity['incoming']]>([
    [
      'a NotReady node created 2 min ago, with the not-ready taints',
      [
        node('new', {
          ready: false,
          ageMs: 2 * MIN,
          taints: [
            { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
            { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' },
          ],
        }),
      ],
      [pod('ds', 'new', { cpu: '500m' }, { daemonSet: true })],
      [{ slots: 3, readyAt: NOW + 3 * MIN }],
    ],
    [
      'late (created 10 min ago, estimate 5 min): ETA is now',
      [node('late', { ready: false, ageMs: 10 * MIN })],
      [],
      [{ slots: 4, readyAt: NOW }],
    ],
    [
      'NotReady for longer than the window: broken, not incoming',
      [node('old', { ready: false, ageMs: 16 * MIN })],
      [],
      [],
    ],
    [
      'an incoming node the template cannot use',
      [
        node('gpu', {
          ready: false,
          ageMs: MIN,
          taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }],
        }),
      ],
      [],
      [],
    ],
    [
      'an incoming node without allocatable yet takes its group size',
      [node('new', { ready: false, ageMs: MIN, noAllocatable: true }), node('old-1'), node('old-2')],
      [],
      [{ slots: 4, readyAt: NOW + 4 * MIN }],
    ],
    [
      'sorted by ETA',
      [node('b', { ready: false, ageMs: MIN }), node('a', { ready: false, ageMs: 3 * MIN, cpu: '2' })],
      [],
      [
        { slots: 2, readyAt: NOW + 2 * MIN },
        { slots: 4, readyAt: NOW + 4 * MIN },
      ],
    ],
  ])('%s', (_name, nodes, pods, incoming) => {
    expect(capacity(plain, nodes, pods).incoming).toEqual(incoming);
  });
});

describe('vmCapacity: slots per new node', () => {
  const ds = (n: string) => pod(`ds-${n}`, n, { cpu: '500m', memory: '1Gi' }, { daemonSet: true });
  it.each<[string, V1PodSpec, V1Node[], V1Pod[], number]>([
    ['an empty node of the only group', plain, [node('a')], [], 4],
    ['DaemonSet pods are reserved on a new node too', plain, [node('a')], [ds('a')], 3],
    [
      'other pods are not (a new node starts empty)',
      plain,
      [node('a')],
      [ds('a'), pod('web', 'a', { cpu: '3' })],
      3,
    ],
    [
      'the largest group by node count wins',
      plain,
      [node('u1'), node('u2'), node('big', { group: 'big', cpu: '16', memory: '64Gi' })],
      [],
      4,
    ],
    [
      'a group whose nodes the template cannot use is skipped',
      plain,
      [
        node('s1', {
          group: 'system',
          taints: [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' }],
        }),
        node('s2', {
          group: 'system',
          taints: [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' }],
        }),
        node('u1', { cpu: '8', memory: '32Gi' }),
      ],
      [],
      8,
    ],
    ['no group fits: 0', withSpec({ nodeSelector: { pool: 'gpu' } }), [node('a')], [], 0],
    ['a cordoned node still tells the size of its group', plain, [node('a', { unschedulable: true })], [], 4],
    ['nodes of a group differ: the smallest counts', plain, [node('a'), node('b', { cpu: '3' })], [], 3],
  ])('%s → %d', (_name, spec, nodes, pods, slotsPerNode) => {
    expect(capacity(spec, nodes, pods).slotsPerNode).toBe(slotsPerNode);
  });
});

describe('vmCapacity: explanations', () => {
  it('says why each node counts or not', () => {
    const result = vmCapacity({
      spec: plain,
      requests: podRequests(plain),
      nodes: [
        node('a'),
        node('b', { taints: [{ key: 'x', effect: 'NoSchedule' }] }),
        node('c', { ready: false, ageMs: MIN }),
      ],
      usage: usageByNode([pod('p', 'a', { cpu: '2500m' })]),
      now: NOW,
      provisionEstimateMs: 5 * MIN,
      incomingWindowMs: 15 * MIN,
      explain: true,
    });
    expect(result.nodes).toEqual([
      {
        node: 'a',
        group: 'user',
        state: 'ready',
        slots: 1,
        reason: 'limited by cpu (1500m free, 1000m per replica)',
      },
      {
        node: 'b',
        group: 'user',
        state: 'excluded',
        slots: 0,
        reason: 'taint x:NoSchedule is not tolerated',
      },
      {
        node: 'c',
        group: 'user',
        state: 'incoming',
        slots: 4,
        reason: 'NotReady, created 60 s ago; expected Ready at 2026-11-02T10:04:00.000Z',
      },
    ]);
    expect(result.group).toEqual({ name: 'user', nodes: 3, slotsPerNode: 4 });
  });
});

describe('usage index', () => {
  it('adding and removing footprints returns to empty', () => {
    const usage = new Map<string, NodeUsage>();
    const footprints = [
      pod('a', 'n', { cpu: '1', memory: '1Gi' }),
      pod('b', 'n', { cpu: '500m' }, { daemonSet: true }),
    ].map((p) => podFootprint(p)!);
    for (const f of footprints) applyFootprint(usage, f, 1);
    expect(usage.get('n')).toEqual({
      requested: { cpu: 1500, memory: 1024 ** 3 },
      pods: 2,
      daemonSet: { cpu: 500 },
      daemonSetPods: 1,
    });
    for (const f of footprints) applyFootprint(usage, f, -1);
    expect(usage.size).toBe(0);
  });

  it.each<[string, V1Pod, boolean]>([
    ['a running pod on a node', pod('a', 'n', { cpu: '1' }), true],
    ['a pending pod bound to a node', pod('a', 'n', { cpu: '1' }, { phase: 'Pending' }), true],
    ['a pod not yet bound', { ...pod('a', '', { cpu: '1' }), spec: { containers: [] } }, false],
    ['a failed pod', pod('a', 'n', { cpu: '1' }, { phase: 'Failed' }), false],
  ])('%s takes room: %s', (_name, p, counted) => {
    expect(podFootprint(p) !== undefined).toBe(counted);
  });
});
