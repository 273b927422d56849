import { describe, expect, it } from 'vitest';
import { deletionOrder, fitFailure, freeSlots, schedule } from './scheduler.ts';
import type { RankedPod, SchedNode } from './scheduler.ts';

const pod = { cpu: 1, memoryGiB: 2 };
const node = (
  name: string,
  used: Partial<SchedNode['used']> = {},
  extra: Partial<SchedNode> = {},
): SchedNode => ({
  name,
  ready: true,
  deleting: false,
  alloc: { cpu: 3.4, memoryGiB: 13.6, pods: 30 },
  used: { cpu: 0, memoryGiB: 0, pods: 0, ...used },
  ...extra,
});

describe('schedule (NodeResourcesFit filter, LeastAllocated score)', () => {
  it.each([
    {
      case: 'the emptiest node wins',
      nodes: [node('a', { cpu: 2, memoryGiB: 4, pods: 2 }), node('b', { cpu: 1, memoryGiB: 2, pods: 1 })],
      want: 'b',
    },
    { case: 'ties go to the first by name', nodes: [node('a'), node('b')], want: 'a' },
    {
      case: 'a full node is skipped',
      nodes: [node('a', { cpu: 3, memoryGiB: 6, pods: 3 }), node('b', { cpu: 2, memoryGiB: 4, pods: 2 })],
      want: 'b',
    },
    {
      case: 'a NotReady node is skipped',
      nodes: [node('a', {}, { ready: false }), node('b', { cpu: 2, memoryGiB: 4, pods: 2 })],
      want: 'b',
    },
    {
      case: 'a node being deleted is skipped',
      nodes: [node('a', {}, { deleting: true }), node('b', { cpu: 1, memoryGiB: 2, pods: 1 })],
      want: 'b',
    },
  ])('$case', ({ nodes, want }) => {
    expect(schedule(nodes, pod)).toEqual({ node: want });
  });

  it.each([
    {
      case: 'insufficient cpu on every node',
      nodes: [node('a', { cpu: 3, memoryGiB: 6, pods: 3 }), node('b', { cpu: 3, memoryGiB: 6, pods: 3 })],
      message: '0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to no victims.',
    },
    {
      case: 'mixed reasons, sorted',
      nodes: [node('a', { cpu: 3, memoryGiB: 6, pods: 3 }), node('b', {}, { ready: false })],
      message:
        '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: not eligible due to no victims.',
    },
    {
      case: 'no nodes at all',
      nodes: [],
      message: '0/0 nodes are available. preemption: not eligible due to no victims.',
    },
  ])('Unschedulable: $case', ({ nodes, message }) => {
    expect(schedule(nodes, pod)).toEqual({ node: undefined, message });
  });

  it.each([
    { used: {}, slots: 3, failure: undefined },
    { used: { cpu: 2.5, memoryGiB: 5, pods: 2 }, slots: 0, failure: 'Insufficient cpu' },
    { used: { cpu: 0, memoryGiB: 12, pods: 1 }, slots: 0, failure: 'Insufficient memory' },
    { used: { pods: 30 }, slots: 0, failure: 'Too many pods' },
  ])('free slots and fit on a node using $used', ({ used, slots, failure }) => {
    expect(freeSlots(node('a', used), pod)).toBe(slots);
    expect(fitFailure(node('a', used), pod)).toBe(failure);
  });
});

describe('schedule with the MostAllocated strategy (bin-packing)', () => {
  it.each([
    {
      case: 'the fullest node that fits wins',
      nodes: [node('a', { cpu: 1, memoryGiB: 2, pods: 1 }), node('b', { cpu: 2, memoryGiB: 4, pods: 2 })],
      want: 'b',
    },
    { case: 'ties go to the first by name', nodes: [node('a'), node('b')], want: 'a' },
    {
      case: 'a full node is skipped',
      nodes: [node('a', { cpu: 3, memoryGiB: 6, pods: 3 }), node('b', { cpu: 1, memoryGiB: 2, pods: 1 })],
      want: 'b',
    },
  ])('$case', ({ nodes, want }) => {
    expect(schedule(nodes, pod, 'MostAllocated')).toEqual({ node: want });
  });
});

describe('deletionOrder (ReplicaSet ranking on scale-in)', () => {
  const p = (name: string, fields: Partial<RankedPod>): RankedPod => ({
    name,
    running: true,
    ready: true,
    deletionCost: 0,
    createdAt: 0,
    readyAt: 0,
    nodeName: 'n1',
    ...fields,
  });
  it.each([
    {
      case: 'unassigned before assigned',
      pods: [p('bound', {}), p('pending', { nodeName: undefined, running: false, ready: false })],
      first: 'pending',
    },
    {
      case: 'not running before running',
      pods: [p('run', {}), p('starting', { running: false, ready: false })],
      first: 'starting',
    },
    {
      case: 'lower pod-deletion-cost first',
      pods: [p('keep', { deletionCost: 100 }), p('go', { deletionCost: -5 })],
      first: 'go',
    },
    {
      case: 'more replicas on the node first',
      pods: [
        p('alone', { nodeName: 'n2' }),
        p('crowded', { nodeName: 'n1' }),
        p('crowded2', { nodeName: 'n1' }),
      ],
      first: 'crowded',
    },
    {
      case: 'more recently ready first',
      pods: [p('old', { readyAt: 10 }), p('new', { readyAt: 20 })],
      first: 'new',
    },
    {
      case: 'cost beats co-location',
      pods: [p('cheap', { nodeName: 'n2', deletionCost: -1 }), p('a', {}), p('b', {})],
      first: 'cheap',
    },
  ])('$case', ({ pods, first }) => {
    expect(deletionOrder(pods)[0]?.name).toBe(first);
  });
});
