import { describe, expect, it } from 'vitest';
import { createControllerMetrics } from '../../telemetry/metrics.ts';
import { defaultScenario } from '../scenario.ts';
import { SimCluster } from './cluster.ts';

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
