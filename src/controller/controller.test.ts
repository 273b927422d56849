import { beforeEach, describe, expect, it } from 'vitest';
import type { DecideFn, Policy, ScalerState, Snapshot } from '../core/types.ts';
import type { BurstScalerObject } from '../ports.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createControllerMetrics } from '../telemetry/metrics.ts';
import type { ControllerMetrics } from '../telemetry/metrics.ts';
import {
  AciWorld,
  ClusterWorld,
  FakeCluster,
  FakePrices,
  FakeProvider,
  FakeSignals,
  testPolicy,
} from '../../test/controller/fakes.ts';
import { ManualClock } from '../../test/controller/manual-clock.ts';
import { simpleDecide } from '../../test/controller/simple-decide.ts';
import { decide } from '../core/decide.ts';
import { compilePolicy } from '../spec/compile.ts';
import { Controller, parseStatus, parseStoredForecast } from './controller.ts';
import type { ControllerOptions, TickResult } from './controller.ts';

/** Shaped like src/spec's SpecValidationError: a message and the issues with their field paths. */
class InvalidSpec extends Error {
  override readonly name = 'SpecValidationError';
  readonly issues: { path: string; message: string }[];
  constructor(issues: { path: string; message: string }[]) {
    super(`invalid BurstScaler: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.issues = issues;
  }
}

/** Compiles `{ maxReplicas?, invalid? }` specs into the test policy. */
function compile(object: BurstScalerObject): Policy {
  const spec = (object.spec ?? {}) as { invalid?: string; maxReplicas?: number; endpointSlice?: string };
  if (spec.invalid)
    throw new InvalidSpec([{ path: spec.invalid, message: 'must be a positive number, got "abc"' }]);
  const { namespace, name, uid, generation } = object.metadata;
  const base = testPolicy({ namespace, name, uid });
  return {
    ...base,
    generation,
    ...(spec.maxReplicas !== undefined ? { maxReplicas: spec.maxReplicas } : {}),
  };
}

interface Harness {
  clock: ManualClock;
  world: ClusterWorld;
  aci: AciWorld;
  cluster: FakeCluster;
  provider: FakeProvider;
  signals: FakeSignals;
  metrics: ControllerMetrics;
  snapshots: Snapshot[];
  controller: Controller;
  leader: { value: boolean };
}

function harness(options: ControllerOptions = {}, decide: DecideFn = simpleDecide): Harness {
  const clock = new ManualClock();
  const world = new ClusterWorld();
  const aci = new AciWorld();
  world.addScaler('shop', 'orders');
  world.addDeployment('shop', 'orders', { replicas: 2, vmCapacity: 2 });
  const cluster = new FakeCluster(world, clock);
  const provider = new FakeProvider(aci, clock);
  const signals = new FakeSignals();
  signals.values.set('queue-0', 20);
  const metrics = createControllerMetrics();
  const snapshots: Snapshot[] = [];
  const leader = { value: true };
  const controller = new Controller(
    {
      clock,
      cluster,
      provider,
      signals,
      prices: new FakePrices(),
      decide: (snapshot, policy, state, now) => {
        snapshots.push(structuredClone(snapshot));
        return decide(snapshot, policy, state, now);
      },
      compilePolicy: compile,
      floors: () => [],
      logger: createLogger({ level: 'silent' }),
      metrics,
      isLeader: () => leader.value,
    },
    options,
  );
  return { clock, world, aci, cluster, provider, signals, metrics, snapshots, controller, leader };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A tick of shop/orders with 60 messages queued; `interrupt` runs while it waits on its ACI list call. */
async function tickInterrupted(h: Harness, interrupt: () => void) {
  h.signals.values.set('queue-0', 60);
  const barrier = deferred();
  h.provider.listBarrier = barrier.promise;
  const tick = h.controller.tickOnce('shop/orders');
  await h.clock.flush();
  interrupt();
  barrier.resolve();
  return tick;
}

const ticksOf = (h: Harness, id = 'shop/orders'): number =>
  h.provider.callsOf('list').filter(([key]) => {
    const k = key as { namespace: string; name: string };
    return `${k.namespace}/${k.name}` === id;
  }).length;

describe('tick cadence (timer-driven loop on a virtual clock)', () => {
  it.each([
    { intervalMs: 1000, forMs: 10_000, ticks: 11 },
    { intervalMs: 2000, forMs: 10_000, ticks: 6 },
    { intervalMs: 5000, forMs: 10_000, ticks: 3 },
  ])(
    'ticks every $intervalMs ms: $ticks ticks in $forMs ms, for every scaler',
    async ({ intervalMs, forMs, ticks }) => {
      const h = harness({ tickIntervalMs: intervalMs });
      h.world.addScaler('shop', 'billing');
      h.world.addDeployment('shop', 'billing', { replicas: 1 });
      h.controller.start();
      await h.clock.advance(forMs);
      expect(ticksOf(h)).toBe(ticks);
      expect(ticksOf(h, 'shop/billing')).toBe(ticks);
      await h.controller.stop();
    },
  );

  it('uses a 2 s interval by default', () => {
    expect(harness().controller.tickIntervalMs).toBe(2000);
  });

  it.each([
    { option: 'tickIntervalMs', value: 0 },
    { option: 'workers', value: 0 },
    { option: 'signalTimeoutMs', value: Number.NaN },
  ])('rejects $option = $value', ({ option, value }) => {
    expect(() => harness({ [option]: value })).toThrow(
      new RegExp(`controller option ${option} must be a number`),
    );
  });
});

describe('the synced gate', () => {
  it('neither reads nor acts before the caches have synced, then ticks within the poll period', async () => {
    const h = harness({ tickIntervalMs: 1000, syncPollMs: 250 });
    h.world.synced = false;
    h.controller.start();
    await h.clock.advance(10_000);
    expect(h.provider.calls).toEqual([]);
    expect(h.cluster.callsOf('scalers')).toEqual([]);
    expect(h.signals.calls).toEqual([]);
    h.world.synced = true;
    await h.clock.advance(250);
    expect(ticksOf(h)).toBe(1);
    await h.controller.stop();
  });

  it('a tick while the cache is out of sync does nothing and existing groups stay', async () => {
    const h = harness();
    h.signals.values.set('queue-0', 60); // 6 replicas: 2 on VMs, 4 on ACI
    await h.controller.tickOnce('shop/orders');
    h.aci.start(h.clock.now());
    expect(h.aci.groups.size).toBe(4);
    h.world.synced = false; // the API server became unreachable
    h.signals.values.set('queue-0', 0);
    const writesBefore = h.provider.writes().length + h.cluster.writes().length;
    for (let i = 0; i < 5; i++) {
      await h.clock.advance(2000);
      expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('not-synced');
    }
    expect(h.provider.writes().length + h.cluster.writes().length).toBe(writesBefore);
    expect(h.aci.groups.size).toBe(4);
  });

  it('an outage that starts during a tick stops its actions: nothing created, nothing deleted', async () => {
    const h = harness();
    const result = await tickInterrupted(h, () => (h.world.synced = false));
    expect(result.outcome).toBe('decided');
    expect(result.decision?.actions.some((a) => a.kind === 'CreateBurst')).toBe(true);
    expect(result.report?.outcomes.every((o) => o.result === 'skipped')).toBe(true);
    expect(h.provider.writes()).toEqual([]);
    expect(h.cluster.writes()).toEqual([]);
  });
});

describe('watch events', () => {
  it('an onChange event ticks the scaler at once (after the debounce), many events make one tick', async () => {
    const h = harness({ tickIntervalMs: 60_000, debounceMs: 100 });
    h.controller.start();
    await h.clock.advance(0);
    expect(ticksOf(h)).toBe(1);
    await h.clock.advance(5000);
    h.world.change('shop', 'orders');
    h.world.change('shop', 'orders');
    h.world.change('shop', 'orders');
    await h.clock.advance(99);
    expect(ticksOf(h)).toBe(1);
    await h.clock.advance(1);
    expect(ticksOf(h)).toBe(2);
    await h.clock.advance(10_000);
    expect(ticksOf(h)).toBe(2);
    await h.controller.stop();
  });

  it('an event for a scaler nobody knew yet ticks it', async () => {
    const h = harness({ tickIntervalMs: 60_000, debounceMs: 0 });
    h.controller.start();
    await h.clock.advance(0);
    h.world.addScaler('shop', 'billing');
    h.world.addDeployment('shop', 'billing');
    h.world.change('shop', 'billing');
    await h.clock.advance(0);
    expect(ticksOf(h, 'shop/billing')).toBe(1);
    await h.controller.stop();
  });
});

describe('per-scaler serialisation', () => {
  it('never runs two ticks of one scaler at once, whatever asks for them', async () => {
    const h = harness({ tickIntervalMs: 1000, debounceMs: 0, workers: 4 });
    const barrier = deferred();
    h.provider.listBarrier = barrier.promise;
    h.controller.start();
    await h.clock.advance(0);
    for (let i = 0; i < 5; i++) h.world.change('shop', 'orders');
    const direct = [h.controller.tickOnce('shop/orders'), h.controller.tickOnce('shop/orders')];
    await h.clock.advance(5000);
    expect(h.provider.listing.get('shop/orders')).toBe(1);
    h.provider.listBarrier = undefined;
    barrier.resolve();
    await Promise.all(direct);
    await h.clock.advance(0);
    expect(h.provider.maxConcurrentLists).toBe(1);
    // The blocked tick, the two direct ones, and one more for the events that arrived meanwhile.
    expect(ticksOf(h)).toBe(4);
    await h.controller.stop();
  });

  it('ticks of different scalers run side by side', async () => {
    const h = harness({ tickIntervalMs: 1000, workers: 2 });
    h.world.addScaler('shop', 'billing');
    h.world.addDeployment('shop', 'billing');
    const barrier = deferred();
    h.provider.listBarrier = barrier.promise;
    h.controller.start();
    await h.clock.advance(0);
    expect(h.provider.listing.get('shop/orders')).toBe(1);
    expect(h.provider.listing.get('shop/billing')).toBe(1);
    barrier.resolve();
    await h.controller.stop();
  });
});

describe('problems only a person can fix: a condition, one event, nothing else', () => {
  it.each([
    {
      problem: 'invalid spec',
      make: (h: Harness) =>
        (h.world.scalers.get('shop/orders')!.spec = {
          invalid: 'spec.triggers[0].metadata.targetPerReplica',
        }),
      outcome: 'invalid-spec',
      reason: 'InvalidSpec',
      message: /spec is invalid: spec\.triggers\[0\]\.metadata\.targetPerReplica: must be a positive number/,
    },
    {
      problem: 'missing target',
      make: (h: Harness) => h.world.deployments.delete('shop/orders'),
      outcome: 'target-not-found',
      reason: 'TargetNotFound',
      message: /Deployment shop\/orders does not exist: create it or correct spec\.targetRef/,
    },
  ])('$problem → Ready=False $reason', async ({ make, outcome, reason, message }) => {
    const h = harness();
    make(h);
    for (let i = 0; i < 3; i++) {
      expect((await h.controller.tickOnce('shop/orders')).outcome).toBe(outcome);
      await h.clock.advance(2000);
    }
    const ready = h.world.condition('shop/orders', 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason });
    expect(ready?.message).toMatch(message);
    expect(h.world.status('shop/orders')?.observedGeneration).toBe(1);
    expect(h.world.events.map((e) => [e.scaler, e.type, e.reason])).toEqual([
      ['shop/orders', 'Warning', reason],
    ]);
    expect(h.world.events[0]?.message).toMatch(message);
    expect(h.cluster.callsOf('patchStatus')).toHaveLength(1);
    expect(h.provider.calls).toEqual([]);
    expect(h.signals.calls).toEqual([]);
    expect(h.cluster.callsOf('scaleTarget')).toEqual([]);
  });

  it('a fixed spec resumes deciding; breaking it again reports again', async () => {
    const h = harness();
    const object = h.world.scalers.get('shop/orders')!;
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('decided');
    object.spec = { invalid: 'spec.maxReplicas' };
    await h.controller.tickOnce('shop/orders');
    object.spec = {};
    object.metadata.generation = 2;
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('decided');
    expect(h.world.condition('shop/orders', 'Ready')?.status).toBe('True');
    object.spec = { invalid: 'spec.maxReplicas' };
    object.metadata.generation = 3;
    await h.controller.tickOnce('shop/orders');
    expect(h.world.events.filter((e) => e.reason === 'InvalidSpec')).toHaveLength(2);
    expect(h.world.condition('shop/orders', 'Ready')?.reason).toBe('InvalidSpec');
  });

  it('a target that comes back resumes deciding and Ready turns True again at once', async () => {
    const h = harness();
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('decided');
    h.world.deployments.delete('shop/orders');
    await h.clock.advance(2000);
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('target-not-found');
    h.world.addDeployment('shop', 'orders', { replicas: 2, vmCapacity: 2 });
    await h.clock.advance(2000);
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('decided');
    expect(h.world.condition('shop/orders', 'Ready')).toMatchObject({ status: 'True' });
  });

  it('a failure event that hangs (API server gone) does not hold the tick', async () => {
    const h = harness();
    h.provider.faults.set('list', new Error('ARM 503'));
    h.cluster.faults.set('emitEvent', 'hang');
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('failed');
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('failed');
  });

  it('retries the report when the API server refused it', async () => {
    const h = harness();
    h.world.deployments.delete('shop/orders');
    h.cluster.faults.once('patchStatus', new Error('etcdserver: request timed out'));
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('failed');
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('target-not-found');
    expect(h.world.condition('shop/orders', 'Ready')?.reason).toBe('TargetNotFound');
    expect(h.world.events.filter((e) => e.reason === 'TargetNotFound')).toHaveLength(1);
  });
});

describe('observing', () => {
  it('builds the snapshot from the ports: workload, groups, signals, floors, prices, quota, create budget', async () => {
    const h = harness();
    h.provider.quotas = { eastus: { limitCores: 100, usedCores: 10 } };
    h.provider.createBudgets = { eastus: { available: 40, capacity: 100 } };
    await h.controller.tickOnce('shop/orders');
    const snapshot = h.snapshots[0]!;
    expect(snapshot.target).toMatchObject({ replicas: 2, templateHash: 'tmpl1' });
    expect(snapshot.pods).toHaveLength(2);
    expect(snapshot.signals).toEqual([{ trigger: 'queue-0', ok: true, value: 20, at: 0 }]);
    expect(snapshot.prices.source).toBe('retail-api');
    expect(snapshot.quota).toEqual([{ region: 'eastus', limitCores: 100, usedCores: 10 }]);
    expect(snapshot.createBudget).toEqual([{ region: 'eastus', available: 40, capacity: 100 }]);
    expect(snapshot.burstable).toEqual({ ok: true });
    // Both are asked for the scaler's own account (a router sends them to its subscription).
    const key = { namespace: 'shop', name: 'orders', uid: 'uid-orders' };
    expect(h.provider.callsOf('quota')).toEqual([
      ['eastus', key],
      ['eastus2', key],
    ]);
    expect(h.provider.callsOf('createBudget')).toEqual([
      ['eastus', key],
      ['eastus2', key],
    ]);
  });

  it.each([
    {
      failure: 'the reader throws',
      inject: (h: Harness) => h.signals.faults.once('read', new Error('socket hang up')),
      error: /socket hang up/,
      kind: undefined,
    },
    {
      failure: 'the reader hangs',
      inject: (h: Harness) => h.signals.faults.once('read', 'hang'),
      error: /no answer within 10000 ms/,
      kind: 'timeout',
    },
    {
      failure: 'the trigger is missing from the answer',
      inject: (h: Harness) => h.signals.values.delete('queue-0'),
      error: /connection refused/,
      kind: 'unreachable',
    },
  ])('$failure → a failed reading for decide, and no scale-in', async ({ inject, error, kind }) => {
    const h = harness({ signalTimeoutMs: 10_000 });
    h.signals.values.set('queue-0', 60);
    await h.controller.tickOnce('shop/orders');
    expect(h.aci.groups.size).toBe(4);
    inject(h);
    const tick = h.controller.tickOnce('shop/orders');
    await h.clock.advance(10_000);
    const result = await tick;
    const reading = h.snapshots[1]!.signals[0]!;
    expect(reading.ok).toBe(false);
    if (!reading.ok) {
      expect(reading.error).toMatch(error);
      expect(reading.kind).toBe(kind);
    }
    expect(result.decision?.desiredReplicas).toBe(6);
    expect(
      result.decision?.actions.filter((a) =>
        ['DrainBurst', 'DeleteBurst', 'ScaleDeployment'].includes(a.kind),
      ),
    ).toEqual([]);
    expect(h.aci.groups.size).toBe(4);
  });

  it('falls back to the spec’s prices when the price source fails', async () => {
    const h = harness();
    const prices = new FakePrices();
    prices.fail = true;
    const controller = new Controller({
      clock: h.clock,
      cluster: h.cluster,
      provider: h.provider,
      signals: h.signals,
      prices,
      decide: (snapshot, ...rest) => {
        h.snapshots.push(snapshot);
        return simpleDecide(snapshot, ...rest);
      },
      compilePolicy: compile,
      floors: () => [],
      logger: createLogger({ level: 'silent' }),
    });
    await controller.tickOnce('shop/orders');
    expect(h.snapshots[0]?.prices).toMatchObject({
      source: 'spec',
      vmNodeHourlyUSD: 0.192,
      aciVcpuSecondUSD: 0.00001125,
    });
  });
});

describe('failures to observe: no actions, retry with backoff', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness({ tickIntervalMs: 2000, retry: { baseRetryMs: 1000, maxRetryMs: 8000 } });
  });

  it('listing groups fails → outcome failed, nothing written', async () => {
    h.provider.faults.set('list', new Error('ARM 503'));
    const result = await h.controller.tickOnce('shop/orders');
    await h.clock.flush();
    expect(result.outcome).toBe('failed');
    expect(result.message).toMatch(/ticking BurstScaler shop\/orders: listing its container groups: ARM 503/);
    expect(h.provider.writes()).toEqual([]);
    expect(h.cluster.writes().map((w) => w.method)).toEqual(['emitEvent']);
    expect(h.world.events).toEqual([
      { scaler: 'shop/orders', type: 'Warning', reason: 'ObserveFailed', message: result.message },
    ]);
  });

  it('decide throws → outcome failed, nothing written', async () => {
    const controller = new Controller({
      clock: h.clock,
      cluster: h.cluster,
      provider: h.provider,
      signals: h.signals,
      prices: new FakePrices(),
      decide: () => {
        throw new RangeError('decide: malformed policy');
      },
      compilePolicy: compile,
      floors: () => [],
      logger: createLogger({ level: 'silent' }),
    });
    const result = await controller.tickOnce('shop/orders');
    expect(result.outcome).toBe('failed');
    expect(result.message).toMatch(/deciding: decide: malformed policy/);
    expect(h.provider.writes()).toEqual([]);
    expect(h.cluster.writes().filter((w) => w.method !== 'emitEvent')).toEqual([]);
  });

  it('backs off 1 s, 2 s, 4 s, 8 s, 8 s … and returns to the interval after a success', async () => {
    h.provider.faults.set('list', new Error('ARM 503'));
    h.controller.start();
    await h.clock.advance(0);
    const times: number[] = [];
    const t0 = h.clock.now();
    let seen = ticksOf(h);
    for (let t = 0; t < 40_000; t += 500) {
      await h.clock.advance(500);
      if (ticksOf(h) > seen) {
        seen = ticksOf(h);
        times.push(h.clock.now() - t0);
      }
    }
    expect(times).toEqual([1000, 3000, 7000, 15_000, 23_000, 31_000, 39_000]);
    expect(h.world.events.filter((e) => e.reason === 'ObserveFailed')).toHaveLength(1);
    h.provider.faults.set('list', undefined);
    await h.clock.advance(8000);
    const after = ticksOf(h);
    await h.clock.advance(10_000);
    expect(ticksOf(h) - after).toBe(5);
    expect(h.metrics.registry.getSingleMetric('spillway_tick_errors_total')).toBeDefined();
    await h.controller.stop();
  });
});

describe('leadership', () => {
  it('a follower neither reads nor acts; a new leader starts from fresh state', async () => {
    const h = harness();
    h.leader.value = false;
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('not-leader');
    expect(h.provider.calls).toEqual([]);
    expect(h.signals.calls).toEqual([]);
    h.leader.value = true;
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('decided');
    expect(h.controller.state('shop/orders')?.lastDesired).toBe(2);
    h.controller.leadershipChanged(true);
    expect(h.controller.state('shop/orders')).toBeUndefined();
  });

  it('losing the lease during a tick skips its remaining actions', async () => {
    const h = harness();
    const result = await tickInterrupted(h, () => (h.leader.value = false));
    expect(result.report?.outcomes.map((o) => o.result === 'skipped' && o.why)).toContain(
      'this replica is no longer the leader',
    );
    expect(h.aci.groups.size).toBe(0);
  });
});

describe('scaler lifecycle', () => {
  it('drops the state and metric series of a deleted scaler', async () => {
    const h = harness();
    await h.controller.tickOnce('shop/orders');
    expect(await h.metrics.registry.metrics()).toMatch(
      /spillway_desired_replicas\{namespace="shop",scaler="orders"\} 2/,
    );
    h.world.scalers.delete('shop/orders');
    const results = await h.controller.tickAll();
    expect(results.map((r) => [r.key, r.outcome])).toEqual([['shop/orders', 'gone']]);
    expect(h.controller.knownScalers()).toEqual([]);
    expect(await h.metrics.registry.metrics()).not.toMatch(/scaler="orders"/);
  });

  it('a scaler re-created under the same name (new uid) starts from empty state', async () => {
    const h = harness();
    h.signals.values.set('queue-0', 40);
    await h.controller.tickOnce('shop/orders');
    expect(h.controller.state('shop/orders')?.lastDesired).toBe(4);
    h.world.addScaler('shop', 'orders', {}, 'uid-2');
    h.signals.faults.set('read', new Error('down'));
    await h.controller.tickOnce('shop/orders');
    // simpleDecide keeps max(last, current) on a failed read: with fresh state that is the Deployment's 2.
    expect(h.controller.state('shop/orders')?.lastDesired).toBe(2);
  });

  it('tickAll ticks every scaler once, in key order', async () => {
    const h = harness();
    h.world.addScaler('a-team', 'api');
    h.world.addDeployment('a-team', 'orders');
    const results = await h.controller.tickAll();
    expect(results.map((r) => `${r.key}:${r.outcome}`)).toEqual([
      'a-team/api:decided',
      'shop/orders:decided',
    ]);
  });

  it('a scaler being deleted is left alone', async () => {
    const h = harness();
    h.world.scalers.get('shop/orders')!.metadata.deletionTimestamp = '2026-01-05T09:00:00Z';
    expect((await h.controller.tickOnce('shop/orders')).outcome).toBe('deleting');
    expect(h.provider.calls).toEqual([]);
  });
});

describe('liveness', () => {
  it('reports a wedged tick', async () => {
    const h = harness({ wedgedAfterMs: 60_000 });
    h.provider.faults.once('list', 'hang');
    void h.controller.tickOnce('shop/orders');
    await h.clock.advance(30_000);
    expect(h.controller.liveness().ok).toBe(true);
    await h.clock.advance(31_000);
    expect(h.controller.liveness()).toEqual({
      ok: false,
      message: 'the tick of shop/orders has run for 61 s',
    });
  });
});

describe('with the real decide and spec compiler', () => {
  const spec = (fallback?: { failureThreshold: number; replicas: number }) => ({
    targetRef: { name: 'orders' },
    maxReplicas: 20,
    triggers: [
      {
        type: 'azure-storage-queue',
        metadata: { queueName: 'orders', accountName: 'shopdata', targetPerReplica: '10' },
      },
    ],
    pendingPods: { enabled: false },
    ...(fallback ? { fallback } : {}),
    burst: {
      aci: {
        subscriptionId: '00000000-0000-0000-0000-000000000000',
        resourceGroup: 'burst',
        regions: ['eastus'],
      },
      drain: { gracePeriodSeconds: 20, minBurstLifetimeSeconds: 0 },
    },
  });

  function realHarness(fallback?: { failureThreshold: number; replicas: number }) {
    const clock = new ManualClock();
    const world = new ClusterWorld();
    const aci = new AciWorld();
    world.addScaler('shop', 'orders', spec(fallback));
    world.addDeployment('shop', 'orders', { replicas: 2, vmCapacity: 3 });
    const signals = new FakeSignals();
    const controller = new Controller({
      clock,
      cluster: new FakeCluster(world, clock),
      provider: new FakeProvider(aci, clock),
      signals,
      prices: new FakePrices(),
      decide,
      compilePolicy,
      floors: () => [],
      logger: createLogger({ level: 'silent' }),
    });
    const step = async (): Promise<TickResult> => {
      aci.start(clock.now(), 10_000);
      const result = await controller.tickOnce('shop/orders');
      await clock.advance(2000);
      return result;
    };
    return { clock, world, aci, signals, controller, step };
  }

  it.each([
    { fallback: undefined, after: 8 },
    { fallback: { failureThreshold: 3, replicas: 12 }, after: 12 },
  ])(
    'signals failing for 10 minutes (fallback $fallback): never below the 8 replicas in use',
    async ({ fallback, after }) => {
      const h = realHarness(fallback);
      h.signals.values.set('azure-storage-queue-0', 80);
      for (let i = 0; i < 30; i++) await h.step();
      expect(h.aci.of({ namespace: 'shop', name: 'orders', uid: 'uid-orders' })).toHaveLength(5);
      h.signals.values.delete('azure-storage-queue-0'); // every read fails from now on
      const desired: number[] = [];
      const scaleIn: string[] = [];
      for (let i = 0; i < 300; i++) {
        const result = await h.step();
        desired.push(result.decision!.desiredReplicas);
        for (const a of result.decision!.actions)
          if (
            a.kind === 'DrainBurst' ||
            a.kind === 'DeleteBurst' ||
            (a.kind === 'ScaleDeployment' && a.replicas < 3)
          )
            scaleIn.push(`${a.kind} ${a.reason}`);
      }
      expect(Math.min(...desired)).toBeGreaterThanOrEqual(8);
      expect(desired.at(-1)).toBe(after);
      expect(scaleIn).toEqual([]);
      expect(h.world.condition('shop/orders', 'Fallback')?.status ?? 'False').toBe(
        fallback ? 'True' : 'False',
      );
    },
  );
});

describe('parseStatus', () => {
  const stored = {
    observedGeneration: 2,
    desiredReplicas: 8,
    vmReplicas: 6,
    aciReplicas: 2,
    pendingReplicas: 0,
    mode: 'spill',
    costUSDPerHour: 0.5,
    conditions: [],
  };

  it('keeps the last decision’s cost lines, dropping anything that is not a string', () => {
    const parsed = parseStatus({
      ...stored,
      lastDecision: {
        at: '2026-11-02T10:00:00Z',
        summary: 's',
        reasons: ['r'],
        cost: ['Chosen: spill only', 3],
      },
    });
    expect(parsed?.lastDecision).toEqual({
      at: '2026-11-02T10:00:00Z',
      summary: 's',
      reasons: ['r'],
      cost: ['Chosen: spill only'],
    });
  });

  it('reads a status written before decisions carried cost lines as having none', () => {
    const parsed = parseStatus({
      ...stored,
      lastDecision: { at: '2026-11-02T10:00:00Z', summary: 's', reasons: [] },
    });
    expect(parsed?.lastDecision.cost).toEqual([]);
  });
});

describe('the forecaster’s memory across restarts and leaders', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  const MIN = 60_000;

  function withStoredForecast(writtenAgoMs: number) {
    const states: ScalerState[] = [];
    const h = harness({}, (snapshot, policy, state, now) => {
      states.push(structuredClone(state));
      return simpleDecide(snapshot, policy, state, now);
    });
    const now = h.clock.now();
    h.world.scalers.get('shop/orders')!.status = {
      observedGeneration: 1,
      desiredReplicas: 5,
      vmReplicas: 2,
      aciReplicas: 3,
      pendingReplicas: 0,
      mode: 'spill',
      costUSDPerHour: 0.3,
      lastDecision: { at: iso(now - writtenAgoMs), summary: 'desired 5', reasons: [], cost: [] },
      conditions: [],
      forecast: {
        at: iso(now - writtenAgoMs),
        bursts: [
          { startedAt: iso(now - 200 * MIN), endedAt: iso(now - 150 * MIN) },
          { startedAt: iso(now - 20 * MIN), baselineReplicas: 2 },
        ],
        levels: [
          { upTo: 2, since: iso(now - 300 * MIN) },
          { upTo: 5, since: iso(now - 20 * MIN) },
        ],
        aciStart: { seconds: 16.4, groups: 12 },
      },
    };
    return { h, states, now };
  }

  it('a new controller goes on from the burst and level ages the last leader stored', async () => {
    const { h, states, now } = withStoredForecast(30_000);
    await h.controller.tickOnce('shop/orders');
    expect(states[0]).toMatchObject({
      burstStartedAt: now - 20 * MIN,
      burstBaseline: 2,
      burstHistory: [{ startedAt: now - 200 * MIN, endedAt: now - 150 * MIN }],
      demandLevels: [
        { upTo: 2, since: now - 300 * MIN },
        { upTo: 5, since: now - 20 * MIN },
      ],
    });
    // Read once: the next tick goes on from what decide returned, not from the status again.
    const object = h.world.scalers.get('shop/orders')!;
    object.status = {
      ...(object.status as object),
      forecast: { at: iso(now), bursts: [{ startedAt: iso(now - 90 * MIN) }], levels: [] },
    };
    await h.clock.advance(2000);
    await h.controller.tickOnce('shop/orders');
    expect(states).toHaveLength(2);
    expect(states[1]?.burstStartedAt).toBe(now - 20 * MIN);
  });

  it('a memory older than the node lifetime gives back only the ended bursts and the measured ACI start', async () => {
    const { h, states, now } = withStoredForecast(30 * MIN);
    await h.controller.tickOnce('shop/orders');
    expect(states[0]?.burstHistory).toEqual([{ startedAt: now - 200 * MIN, endedAt: now - 150 * MIN }]);
    expect(states[0]?.burstStartedAt).toBeUndefined();
    expect(states[0]?.demandLevels).toBeUndefined();
    expect(states[0]?.aciStart).toEqual({ seconds: 16.4, groups: 12 });
  });
});

describe('parseStoredForecast', () => {
  it('reads the shape Spillway writes and drops entries of another shape', () => {
    expect(
      parseStoredForecast({
        forecast: {
          at: '2026-11-02T10:00:00Z',
          bursts: [{ startedAt: '2026-11-02T09:00:00Z', baselineReplicas: 4 }, { endedAt: 'x' }, 7],
          levels: [{ upTo: 3, since: '2026-11-02T09:00:00Z' }, { upTo: '4', since: 'y' }, null],
          aciStart: { seconds: 18.2, groups: 5 },
        },
      }),
    ).toEqual({
      at: '2026-11-02T10:00:00Z',
      bursts: [{ startedAt: '2026-11-02T09:00:00Z', baselineReplicas: 4 }],
      levels: [{ upTo: 3, since: '2026-11-02T09:00:00Z' }],
      aciStart: { seconds: 18.2, groups: 5 },
    });
    expect(
      parseStoredForecast({
        forecast: { at: '2026-11-02T10:00:00Z', bursts: [], levels: [], aciStart: { seconds: '18' } },
      }),
    ).toEqual({ at: '2026-11-02T10:00:00Z', bursts: [], levels: [] });
  });

  it.each([
    ['no status', undefined],
    ['no forecast', { desiredReplicas: 3 }],
    ['a forecast without its time', { forecast: { bursts: [], levels: [] } }],
    ['lists that are not lists', { forecast: { at: '2026-11-02T10:00:00Z', bursts: {}, levels: [] } }],
  ])('gives nothing for %s', (_what, status) => {
    expect(parseStoredForecast(status)).toBeUndefined();
  });
});
