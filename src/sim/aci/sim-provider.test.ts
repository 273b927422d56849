import { describe, expect, it } from 'vitest';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { burstGroupName } from '../../core/naming.ts';
import type { Clock, CreateBurstRequest } from '../../ports.ts';
import { ImageInaccessibleError, ThrottledError } from '../../aci/errors.ts';
import { AciModel } from './model.ts';
import { createSimBurstProvider } from './sim-provider.ts';

class VirtualClock implements Clock {
  private current = Date.parse('2026-11-02T00:00:00Z');
  private sleepers: { until: number; resolve: () => void }[] = [];
  now(): number {
    return this.current;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.sleepers.push({ until: this.current + ms, resolve }));
  }
  advance(ms: number): void {
    this.current += ms;
    for (const s of this.sleepers.filter((x) => x.until <= this.current)) s.resolve();
    this.sleepers = this.sleepers.filter((x) => x.until > this.current);
  }
}

const scaler = { namespace: 'shop', name: 'orders', uid: 'uid-1' };
const template: V1PodTemplateSpec = {
  spec: {
    containers: [
      {
        name: 'worker',
        image: 'registry.example.com/orders:1',
        resources: { requests: { cpu: '1', memory: '2Gi' } },
      },
    ],
  },
};
const values = {
  secret: () => Promise.reject(new Error('none')),
  configMap: () => Promise.reject(new Error('none')),
};

function request(index: number, overrides: Partial<CreateBurstRequest> = {}): CreateBurstRequest {
  return {
    scaler,
    name: burstGroupName(scaler, index),
    index,
    regions: ['eastus', 'eastus2'],
    priority: 'Regular',
    spotFallbackToRegular: true,
    templateHash: 'h1',
    template,
    values,
    ...overrides,
  };
}

function setup(seed = 3) {
  const clock = new VirtualClock();
  const model = new AciModel({ clock, seed });
  const provider = createSimBurstProvider({ model, clock, clusterId: 'sim-cluster' });
  return { clock, model, provider };
}

describe('the simulator’s in-process provider (production logic over the model, no HTTP)', () => {
  it('creates, starts, drains and deletes on virtual time', async () => {
    const { clock, model, provider } = setup();
    const created = await provider.create(request(0));
    expect(created).toMatchObject({ state: 'Pending', region: 'eastus', cpu: 1, memoryGiB: 2 });
    clock.advance(150_000);
    expect(await provider.list(scaler)).toMatchObject([{ state: 'Running', ready: true }]);
    await provider.markDraining(created.name, clock.now());
    await provider.delete(created.name);
    expect(model.inventory()).toEqual([]);
    expect(model.billing().replicaSeconds).toBeGreaterThan(100);
  });

  it('maps model faults exactly as the SDK would raise them', async () => {
    const { clock, model, provider } = setup();
    model.inject({ kind: 'capacity', region: 'eastus' });
    expect(await provider.create(request(0))).toMatchObject({ region: 'eastus2' });
    model.inject({ kind: 'throttle', operation: 'create', retryAfterSeconds: 30 });
    const error = await provider.create(request(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error).toMatchObject({ retryAfterMs: 30_000, source: 'azure' });
    clock.advance(30_000);
    expect(await provider.create(request(1))).toMatchObject({ region: 'eastus' });
  });

  it('waits on the virtual clock when asked to wait for provisioning, and reports a failed pull', async () => {
    const clock = new VirtualClock();
    const model = new AciModel({ clock, inaccessibleImages: ['registry.example.com/orders:1'] });
    const provider = createSimBurstProvider({
      model,
      clock,
      clusterId: 'sim-cluster',
      waitFor: 'provisioned',
    });
    const pending = provider.create(request(0)).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    clock.advance(60_000);
    expect(await pending).toBeInstanceOf(ImageInaccessibleError);
    expect(await provider.list(scaler)).toMatchObject([
      { state: 'Failed', failureReason: 'InaccessibleImage' },
    ]);
  });

  it('runs a simulated day of bursts quickly and deterministically', async () => {
    const run = async (): Promise<{ replicaSeconds: number; creates: number }> => {
      const { clock, model, provider } = setup(11);
      for (let minute = 0; minute < 24 * 60; minute++) {
        const want = minute % 120 < 30 ? 6 : 0; // a 30-minute burst every 2 hours
        const have = await provider.list(scaler);
        for (let i = have.length; i < want; i++) await provider.create(request(i));
        if (want === 0) for (const r of have) await provider.delete(r.name);
        clock.advance(60_000);
      }
      return { replicaSeconds: Math.round(model.billing().replicaSeconds), creates: model.calls.create };
    };
    const first = await run();
    expect(first.creates).toBe(12 * 6);
    expect(first).toEqual(await run());
  });
});
