import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock.ts';
import { defaultScenario } from '../scenario.ts';
import type { Scenario } from '../scenario.ts';
import { ClusterAutoscaler } from './autoscaler.ts';
import type { AutoscaledCluster } from './autoscaler.ts';
import { SimCluster } from './cluster.ts';

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

/** A cluster of `minNodes` Ready nodes (3 replicas each), nodes provisioned in exactly 120 s, pods start in 5 s. */
function world(
  overrides: Partial<Scenario> = {},
  autoscaler = true,
): {
  clock: VirtualClock;
  cluster: SimCluster;
  scenario: Scenario;
} {
  const scenario = defaultScenario({
    start: T0,
    nodeProvision: { kind: 'fixed', seconds: 120 },
    podStart: { kind: 'fixed', seconds: 5 },
    ...overrides,
  });
  const clock = new VirtualClock(T0);
  const cluster = new SimCluster({ clock, scenario, autoscaler });
  return { clock, cluster, scenario };
}

/** Steps the world second by second for `seconds`. */
async function run(clock: VirtualClock, cluster: SimCluster, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    await clock.advance(1000);
    cluster.step();
  }
}

describe('scheduler and pods in the simulated cluster', () => {
  it.each([
    { replicas: 3, ready: 3, pending: 0 },
    { replicas: 5, ready: 3, pending: 2 },
  ])(
    '$replicas replicas on one node of 3 slots: $ready Ready, $pending Unschedulable',
    async ({ replicas, ready, pending }) => {
      const { clock, cluster, scenario } = world({}, false);
      cluster.setReplicas(replicas);
      await run(clock, cluster, 6);
      const view = cluster.workload(scenario.namespace, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: scenario.name,
      })!;
      expect(view.pods.filter((p) => p.ready)).toHaveLength(ready);
      const unschedulable = view.pods.filter((p) => p.unschedulable);
      expect(unschedulable).toHaveLength(pending);
      for (const p of unschedulable) expect(p.unschedulable?.message).toContain('Insufficient cpu');
      expect(view.vm).toEqual({ freeSlots: 0, slotsPerNode: 3, incoming: [] });
    },
  );
});

describe('cluster autoscaler (10 s scan, provision delay, 10 min unneeded below 50 %)', () => {
  it.each([
    { pending: 1, nodes: 1 },
    { pending: 3, nodes: 1 },
    { pending: 4, nodes: 2 },
    { pending: 7, nodes: 3 },
  ])(
    '$pending unschedulable pods add $nodes node(s), Ready after the provision delay',
    async ({ pending, nodes }) => {
      const { clock, cluster } = world();
      cluster.setReplicas(3 + pending);
      await run(clock, cluster, 11);
      expect(cluster.nodeCount()).toEqual({ ready: 1, provisioning: nodes });
      const incoming = cluster.capacity().incoming;
      expect(incoming).toHaveLength(nodes);
      await run(clock, cluster, 130);
      expect(cluster.nodeCount()).toEqual({ ready: 1 + nodes, provisioning: 0 });
      expect(cluster.readyPods().vm).toBe(3 + pending);
      expect(cluster.autoscalerEvents.filter((e) => e.kind === 'ScaleUp')).toHaveLength(1);
    },
  );

  it('does not add nodes twice for pods already covered by nodes on their way', async () => {
    const { clock, cluster } = world();
    cluster.setReplicas(6);
    await run(clock, cluster, 60);
    expect(cluster.nodeCount()).toEqual({ ready: 1, provisioning: 1 });
  });

  it.each([
    {
      case: 'removes a node unneeded for 10 min, once 10 min passed since the scale-up',
      keep: 3,
      after: 1500,
      nodes: 1,
    },
    { case: 'keeps it while it is still in its first 10 minutes unneeded', keep: 3, after: 500, nodes: 2 },
    { case: 'keeps a node used above 50 %', keep: 5, after: 1500, nodes: 2 },
  ])('$case', async ({ keep, after, nodes }) => {
    const { clock, cluster } = world();
    cluster.setReplicas(6);
    await run(clock, cluster, 200);
    expect(cluster.nodeCount().ready).toBe(2);
    cluster.setReplicas(keep);
    await run(clock, cluster, after);
    expect(cluster.nodeCount().ready + cluster.nodeCount().provisioning).toBe(nodes);
    expect(cluster.replicas).toBe(keep);
    expect(cluster.readyPods().vm).toBe(keep);
  });

  it('never goes below the pool minimum', async () => {
    const { clock, cluster } = world({ nodePool: { minNodes: 2, maxNodes: 10 } });
    cluster.setReplicas(0);
    await run(clock, cluster, 2000);
    expect(cluster.nodeCount()).toEqual({ ready: 2, provisioning: 0 });
  });

  it('bills nodes from creation to removal', async () => {
    const { clock, cluster, scenario } = world();
    cluster.setReplicas(4);
    await run(clock, cluster, 100);
    // One initial node for 100 s, one added at the first scan (t = 1 s) for 99 s.
    expect(cluster.nodeSeconds(T0, T0 + 100_000)).toBe(199);
    expect(cluster.vmCostUSD(T0, T0 + 100_000)).toBeCloseTo((199 * scenario.node.hourlyUSD) / 3600, 10);
  });
});

describe('ClusterAutoscaler scale-down: which nodes are unneeded', () => {
  /** A fake cluster of Ready nodes of 3 slots (3.4 vCPU, 13.6 GiB, pods of 1 vCPU / 2 GiB) that records calls. */
  function fake(pods: Record<string, number>) {
    const calls: [string, number | undefined][] = [];
    const nodes = Object.entries(pods)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, count]) => ({
        name,
        ready: true,
        deleting: false,
        createdAt: 0,
        alloc: { cpu: 3.4, memoryGiB: 13.6, pods: 30 },
        used: { cpu: count, memoryGiB: 2 * count, pods: count },
      }));
    const cluster: AutoscaledCluster = {
      nodes: () => nodes,
      unschedulablePods: () => 0,
      podsOn: (name) => pods[name] ?? 0,
      slotsPerNode: () => 3,
      requests: () => ({ cpu: 1, memoryGiB: 2 }),
      addNode: () => undefined,
      removeNode: () => undefined,
      setUnneeded: (name, since) => void calls.push([name, since]),
    };
    return { cluster, calls };
  }

  it.each<{ case: string; pods: Record<string, number>; unneeded: string[] }>([
    {
      case: 'pods of the emptiest node go to the fullest with room',
      pods: { a: 1, b: 1, c: 3 },
      unneeded: ['a'],
    },
    {
      case: 'an empty node first, then one whose pod fits',
      pods: { a: 1, b: 2, c: 0 },
      unneeded: ['c', 'a'],
    },
    { case: 'ties by name; a node unneeded takes no pods', pods: { c: 1, a: 1, b: 1 }, unneeded: ['a', 'b'] },
    { case: 'no room anywhere', pods: { a: 1, b: 3, c: 3 }, unneeded: [] },
    { case: 'moved pods use up the room', pods: { a: 1, b: 1, c: 1, d: 1, e: 3 }, unneeded: ['a', 'b', 'd'] },
  ])('$case', ({ pods, unneeded }) => {
    const { cluster, calls } = fake(pods);
    new ClusterAutoscaler(defaultScenario().autoscaler, { minNodes: 0, maxNodes: 10 }).scan(cluster, 5000);
    expect(calls.filter(([, since]) => since !== undefined).map(([name]) => name)).toEqual(unneeded);
    expect(calls.map(([name]) => name).sort()).toEqual(Object.keys(pods).sort());
  });
});
