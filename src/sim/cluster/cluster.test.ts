import { describe, expect, it } from 'vitest';
import { createControllerMetrics } from '../../telemetry/metrics.ts';
import { defaultScenario } from '../scenario.ts';
import { AciModel } from '../aci/model.ts';
import { VirtualClock } from '../clock.ts';
import { SimCluster, VIRTUAL_NODE, aciName } from './cluster.ts';

const clock = { now: () => Date.UTC(2026, 0, 5), sleep: () => Promise.resolve() };

describe('SimCluster.informerStatus', () => {
  it.each([
    { namespace: 'sim', scoped: ['burstscalers/sim', 'deployments/sim', 'endpointslices/sim'] },
    { namespace: 'shop', scoped: ['burstscalers/shop', 'deployments/shop', 'endpointslices/shop'] },
  ])(
    'names a cache per kind the Kubernetes adapter watches, scoped to $namespace',
    ({ namespace, scoped }) => {
      const cluster = new SimCluster({ clock, scenario: defaultScenario({ namespace }) });
      expect(cluster.informerStatus().map((i) => i.name)).toEqual([...scoped, 'pods', 'nodes']);
    },
  );

  it('reports every cache listed and watching, with no restarts, as synced() says', async () => {
    const cluster = new SimCluster({ clock, scenario: defaultScenario() });
    cluster.warmStart(10);
    cluster.step();
    expect(cluster.synced()).toBe(true);
    const metrics = createControllerMetrics();
    metrics.recordInformers(cluster.informerStatus());
    const up = await metrics.informersUp.get();
    expect(Object.fromEntries(up.values.map((v) => [v.labels.kind, v.value]))).toEqual({
      burstscalers: 1,
      deployments: 1,
      endpointslices: 1,
      pods: 1,
      nodes: 1,
    });
    const restarts = await metrics.informerRestarts.get();
    expect(restarts.values.map((v) => v.value)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('SimCluster with an AKS virtual node', () => {
  const T0 = Date.UTC(2026, 0, 5);
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' };

  /** No VM node has room; the virtual node's creates are paced at 3 per minute; groups run 15 s after the PUT. */
  function world(): { clock: VirtualClock; cluster: SimCluster; model: AciModel } {
    const clock = new VirtualClock(T0);
    const scenario = defaultScenario({ start: T0, nodePool: { minNodes: 0, maxNodes: 0 } });
    const model = new AciModel({
      clock,
      scheduleLatency: { kind: 'fixed', seconds: 2 },
      pullLatency: { kind: 'fixed', seconds: 10 },
      startLatency: { kind: 'fixed', seconds: 3 },
    });
    const cluster = new SimCluster({
      clock,
      scenario,
      autoscaler: false,
      virtualNode: {
        model,
        resourceGroup: 'vk',
        region: 'eastus',
        createLimits: [{ count: 3, perSeconds: 60 }],
      },
    });
    return { clock, cluster, model };
  }

  it.each([
    { seconds: 0, groups: 3, ready: 0 },
    { seconds: 14, groups: 3, ready: 0 },
    { seconds: 15, groups: 3, ready: 3 },
    { seconds: 19, groups: 3, ready: 3 },
    { seconds: 20, groups: 4, ready: 3 },
    { seconds: 35, groups: 4, ready: 4 },
    { seconds: 40, groups: 5, ready: 4 },
    { seconds: 55, groups: 5, ready: 5 },
  ])(
    'after $seconds s: $groups container groups created, in pod order, and $ready pods Ready',
    async ({ seconds, groups, ready }) => {
      const { clock, cluster, model } = world();
      cluster.setReplicas(5);
      cluster.step();
      for (let i = 0; i < seconds; i++) {
        await clock.advance(1000);
        cluster.step();
      }
      const pods = cluster.workload('sim', target)!.pods;
      expect(pods.map((p) => p.nodeName)).toEqual(Array(5).fill(VIRTUAL_NODE));
      expect(model.inventory().map((g) => g.name)).toEqual(pods.slice(0, groups).map((p) => aciName(p.name)));
      expect(cluster.readyPods()).toEqual({ vm: 0, virtual: ready });
    },
  );
});

describe('SimCluster scheduler', () => {
  it.each([
    { scheduler: 'LeastAllocated' as const, perNode: [2, 2, 3] },
    { scheduler: 'MostAllocated' as const, perNode: [1, 3, 3] },
  ])('$scheduler places 7 pods on 3 nodes as $perNode', ({ scheduler, perNode }) => {
    const T0 = Date.UTC(2026, 0, 5);
    const clock = new VirtualClock(T0);
    const cluster = new SimCluster({
      clock,
      scenario: defaultScenario({ start: T0, scheduler }),
      autoscaler: false,
    });
    cluster.warmStart(7);
    const pods = cluster.workload('sim', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' })!.pods;
    const counts = new Map<string, number>();
    for (const pod of pods) counts.set(pod.nodeName!, (counts.get(pod.nodeName!) ?? 0) + 1);
    expect([...counts.values()].sort()).toEqual(perNode);
  });

  it('rejects a scheduler it does not know, naming the field', () => {
    expect(() => defaultScenario({ scheduler: 'Random' as 'MostAllocated' })).toThrow(
      'scenario.scheduler: must be LeastAllocated or MostAllocated, got Random',
    );
  });

  it('keeps the time a pod first became unschedulable while it stays so', async () => {
    const T0 = Date.UTC(2026, 0, 5);
    const clock = new VirtualClock(T0);
    const cluster = new SimCluster({ clock, scenario: defaultScenario({ start: T0 }), autoscaler: false });
    cluster.setReplicas(5);
    cluster.step();
    await clock.advance(30_000);
    cluster.step();
    const pending = cluster
      .workload('sim', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' })!
      .pods.filter((p) => p.unschedulable);
    expect(pending.map((p) => p.unschedulable)).toEqual([
      { since: T0, message: expect.stringContaining('1 Insufficient cpu') as unknown },
      { since: T0, message: expect.stringContaining('1 Insufficient cpu') as unknown },
    ]);
  });
});
