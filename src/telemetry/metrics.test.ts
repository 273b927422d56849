import { describe, expect, it } from 'vitest';
import { createControllerMetrics } from './metrics.ts';

describe('controller metrics', () => {
  it('follow Prometheus naming: spillway_ prefix, _total counters, _seconds histograms, bounded labels', async () => {
    const { registry } = createControllerMetrics();
    const metrics = await registry.getMetricsAsJSON();
    expect(metrics.length).toBeGreaterThan(10);
    for (const metric of metrics) {
      expect(metric.name).toMatch(/^spillway_[a-z_]+$/);
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
      if (String(metric.type) === 'histogram') expect(metric.name).toMatch(/_seconds$/);
      expect(metric.help.length).toBeGreaterThan(10);
    }
    const labels = new Set(
      registry.getMetricsAsArray().flatMap((m) => (m as unknown as { labelNames: string[] }).labelNames),
    );
    expect([...labels].sort()).toEqual(['kind', 'namespace', 'reason', 'region', 'scaler', 'tier', 'trigger']);
  });

  it('removeScaler drops only that scaler’s series', async () => {
    const m = createControllerMetrics();
    for (const scaler of ['orders', 'billing']) {
      const labels = { namespace: 'shop', scaler };
      m.ticks.inc(labels);
      m.tickDuration.observe(labels, 0.01);
      m.actions.inc({ ...labels, kind: 'CreateBurst' });
      m.signalValue.set({ ...labels, trigger: 'queue-0' }, 5);
      m.desiredReplicas.set(labels, 3);
    }
    await m.removeScaler('shop', 'orders');
    const text = await m.registry.metrics();
    expect(text).not.toMatch(/scaler="orders"/);
    expect(text).toMatch(/spillway_ticks_total\{namespace="shop",scaler="billing"\} 1/);
    expect(text).toMatch(/spillway_tick_duration_seconds_count\{namespace="shop",scaler="billing"\} 1/);
  });

  it('can add Node.js process metrics under the same prefix', async () => {
    const { registry } = createControllerMetrics({ processMetrics: true });
    expect(await registry.metrics()).toMatch(/^spillway_process_cpu_seconds_total /m);
  });
});
