import { describe, expect, it } from 'vitest';
import { createLogger } from '../telemetry/logger.ts';
import { createControllerMetrics } from '../telemetry/metrics.ts';
import {
  AciWorld,
  ClusterWorld,
  FakeCluster,
  FakeLease,
  FakePrices,
  FakeProvider,
  FakeSignals,
  LeaseStore,
  testPolicy,
} from '../../test/controller/fakes.ts';
import { ManualClock } from '../../test/controller/manual-clock.ts';
import { simpleDecide } from '../../test/controller/simple-decide.ts';
import { Manager } from './manager.ts';
import type { ManagerOptions } from './manager.ts';

function cluster() {
  const clock = new ManualClock();
  const world = new ClusterWorld();
  world.addScaler('shop', 'orders');
  world.addDeployment('shop', 'orders', { replicas: 2, vmCapacity: 2 });
  const aci = new AciWorld();
  const signals = new FakeSignals();
  signals.values.set('queue-0', 40);
  return { clock, world, aci, signals, store: new LeaseStore() };
}

function replica(
  env: ReturnType<typeof cluster>,
  identity: string | undefined,
  options: ManagerOptions = {},
) {
  const provider = new FakeProvider(env.aci, env.clock);
  const metrics = createControllerMetrics();
  const lease = new FakeLease(env.store);
  const manager = new Manager(
    {
      clock: env.clock,
      cluster: new FakeCluster(env.world, env.clock),
      provider,
      signals: env.signals,
      prices: new FakePrices(),
      decide: simpleDecide,
      compilePolicy: (o) =>
        testPolicy({ namespace: o.metadata.namespace, name: o.metadata.name, uid: o.metadata.uid }),
      floors: () => [],
      logger: createLogger({ level: 'silent' }),
      metrics,
      ...(identity ? { lease } : {}),
    },
    {
      health: { host: '127.0.0.1', port: 0 },
      ...(identity ? { leaderElection: { identity } } : {}),
      ...options,
    },
  );
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${manager.address!.port}${path}`);
    return { status: response.status, body: await response.text() };
  };
  return { manager, provider, metrics, lease, get };
}

describe('manager', () => {
  it('is ready once the caches are synced and leadership is known', async () => {
    const env = cluster();
    env.world.synced = false;
    const r = replica(env, 'spillway-a');
    r.lease.down = true; // the API server does not answer yet
    await r.manager.start();
    expect(await r.get('/readyz')).toEqual({
      status: 503,
      body: 'not ok: the cluster caches are not synced yet; the leader lease has not been read yet\n',
    });
    expect((await r.get('/healthz')).status).toBe(200);
    r.lease.down = false;
    env.world.synced = true;
    await env.clock.advance(2000);
    expect(await r.get('/readyz')).toEqual({ status: 200, body: 'ok: caches synced; leader\n' });
    expect((await r.get('/metrics')).body).toMatch(/^spillway_leader 1$/m);
    await r.manager.shutdown();
  });

  it('two replicas: only the leader acts; after its graceful shutdown the other takes over within a retry', async () => {
    const env = cluster();
    const a = replica(env, 'spillway-a');
    const b = replica(env, 'spillway-b');
    await a.manager.start();
    await env.clock.advance(0);
    await b.manager.start();
    await env.clock.advance(10_000);
    expect(a.provider.writes().length).toBeGreaterThan(0);
    expect(b.provider.calls).toEqual([]);
    expect((await b.get('/readyz')).body).toBe('ok: caches synced; standby (not the leader)\n');
    expect((await b.get('/metrics')).body).toMatch(/^spillway_leader 0$/m);

    await a.manager.shutdown();
    expect(env.store.record?.holderIdentity).toBe('');
    await expect(a.get('/healthz')).rejects.toThrow(); // server closed
    env.signals.values.set('queue-0', 60);
    await env.clock.advance(2000);
    await env.clock.advance(2000);
    expect(b.provider.writes().length).toBeGreaterThan(0);
    expect(env.aci.groups.size).toBe(4);
    await b.manager.shutdown();
  });

  it('shutdown finishes the tick in flight before releasing the lease', async () => {
    const env = cluster();
    const r = replica(env, 'spillway-a');
    await r.manager.start();
    await env.clock.advance(2000);
    let release!: () => void;
    r.provider.listBarrier = new Promise<void>((resolve) => (release = resolve));
    await env.clock.advance(2000); // a tick is now blocked in provider.list
    const order: string[] = [];
    const done = r.manager.shutdown().then(() => order.push('shut down'));
    await env.clock.flush();
    expect(order).toEqual([]);
    expect(env.store.record?.holderIdentity).toBe('spillway-a');
    release();
    order.push('tick released');
    await done;
    expect(order).toEqual(['tick released', 'shut down']);
    expect(env.store.record?.holderIdentity).toBe('');
  });

  it('a tick stuck in a hung call does not keep the lease past the shutdown timeout', async () => {
    const env = cluster();
    const r = replica(env, 'spillway-a', { shutdownTimeoutMs: 5000 });
    await r.manager.start();
    await env.clock.advance(2000);
    r.provider.faults.once('list', 'hang');
    await env.clock.advance(2000);
    let done = false;
    const shutdown = r.manager.shutdown().then(() => (done = true));
    await env.clock.advance(4900);
    expect(done).toBe(false);
    expect(env.store.record?.holderIdentity).toBe('spillway-a');
    await env.clock.advance(100);
    await shutdown;
    expect(env.store.record?.holderIdentity).toBe('');
  });

  it('without leader election it always acts', async () => {
    const env = cluster();
    const r = replica(env, undefined, { gc: false });
    await r.manager.start();
    await env.clock.advance(0);
    expect(r.manager.ready()).toEqual({ ok: true, message: 'caches synced; leader' });
    expect(r.provider.writes().length).toBeGreaterThan(0);
    await r.manager.shutdown();
    expect(r.manager.live().ok).toBe(false);
  });
});
