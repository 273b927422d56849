import { describe, expect, it } from 'vitest';
import type { BurstReplica } from '../core/types.ts';
import type { OwnedBurstReplica } from '../ports.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createControllerMetrics } from '../telemetry/metrics.ts';
import {
  AciWorld,
  ClusterWorld,
  FakeCluster,
  FakeProvider,
  testPolicy,
} from '../../test/controller/fakes.ts';
import { ManualClock } from '../../test/controller/manual-clock.ts';
import { GcSweeper } from './gc-sweep.ts';
import type { GcSweeperOptions } from './gc-sweep.ts';

const LIVE = { namespace: 'shop', name: 'orders', uid: 'uid-orders' };

function group(
  name: string,
  owner: Partial<OwnedBurstReplica['owner']>,
  extra: Partial<BurstReplica> = {},
): OwnedBurstReplica {
  return {
    name,
    index: 0,
    region: 'eastus',
    priority: 'Regular',
    state: 'Running',
    ready: true,
    createdAt: 0,
    templateHash: 'tmpl1',
    cpu: 1,
    memoryGiB: 2,
    owner: { clusterId: 'cluster-test', ...LIVE, ...owner },
    ...extra,
  };
}

function setup(options: GcSweeperOptions = {}) {
  const clock = new ManualClock();
  const world = new ClusterWorld();
  world.addScaler(LIVE.namespace, LIVE.name, {}, LIVE.uid);
  world.addDeployment('shop', 'orders', { replicas: 2, vmCapacity: 4, templateHash: 'tmpl2' });
  const aci = new AciWorld();
  const cluster = new FakeCluster(world, clock);
  const provider = new FakeProvider(aci, clock);
  const metrics = createControllerMetrics();
  const leader = { value: true };
  const sweeper = new GcSweeper(
    {
      clock,
      cluster,
      provider,
      compilePolicy: (o) =>
        testPolicy({ namespace: o.metadata.namespace, name: o.metadata.name, uid: o.metadata.uid }),
      logger: createLogger({ level: 'silent' }),
      metrics,
      isLeader: () => leader.value,
    },
    { gracePeriodSeconds: 30, ...options },
  );
  const seed = (...groups: OwnedBurstReplica[]) => groups.forEach((g) => aci.groups.set(g.name, g));
  return { clock, world, aci, cluster, provider, metrics, leader, sweeper, seed };
}

describe('garbage-collection sweep', () => {
  it.each([
    {
      case: 'owner deleted, serving',
      g: group('gone-0', { name: 'gone', uid: 'uid-gone' }),
      first: ['DrainBurst'],
      left: ['gone-0'],
    },
    {
      case: 'owner deleted, not serving',
      g: group('gone-1', { name: 'gone', uid: 'uid-gone' }, { state: 'Failed', ready: false }),
      first: ['DeleteBurst'],
      left: [],
    },
    {
      case: 'owner re-created (other uid)',
      g: group('orders-old', { uid: 'uid-older' }, { state: 'Pending', ready: false }),
      first: ['DeleteBurst'],
      left: [],
    },
    {
      case: 'stale template after a completed rollout',
      g: group('orders-1', {}, { templateHash: 'tmpl1' }),
      first: ['DrainBurst'],
      left: ['orders-1'],
    },
    {
      case: 'current group of a live scaler',
      g: group('orders-2', {}, { templateHash: 'tmpl2' }),
      first: [],
      left: ['orders-2'],
    },
    {
      case: 'another cluster’s group',
      g: group('other-0', { clusterId: 'cluster-b', name: 'gone', uid: 'uid-gone' }),
      first: [],
      left: ['other-0'],
    },
  ])('$case → $first', async ({ g, first, left }) => {
    const s = setup();
    s.seed(g);
    const result = await s.sweeper.sweepOnce();
    expect(result.outcome).toBe('swept');
    if (result.outcome !== 'swept') return;
    expect(result.actions.map((a) => a.action.kind)).toEqual(first);
    expect(result.actions.every((a) => a.result === 'ok')).toBe(true);
    expect([...s.aci.groups.keys()]).toEqual(left);
  });

  it('drains an orphan, then deletes it once the grace period has passed', async () => {
    const s = setup();
    s.seed(group('gone-0', { name: 'gone', uid: 'uid-gone' }));
    await s.sweeper.sweepOnce();
    expect(s.aci.groups.get('gone-0')?.drainingSince).toBe(s.clock.now());
    await s.clock.advance(29_000);
    await s.sweeper.sweepOnce();
    expect(s.aci.groups.has('gone-0')).toBe(true);
    await s.clock.advance(1000);
    await s.sweeper.sweepOnce();
    expect(s.aci.groups.has('gone-0')).toBe(false);
    expect(await s.metrics.registry.metrics()).toMatch(
      /spillway_gc_actions_total\{namespace="shop",scaler="gone",kind="DeleteBurst"\} 1/,
    );
  });

  it.each([
    {
      gate: 'not synced',
      arrange: (s: ReturnType<typeof setup>) => (s.world.synced = false),
      outcome: 'not-synced',
    },
    {
      gate: 'not leader',
      arrange: (s: ReturnType<typeof setup>) => (s.leader.value = false),
      outcome: 'not-leader',
    },
  ])('$gate → no listing, nothing touched', async ({ arrange, outcome }) => {
    const s = setup();
    s.seed(group('gone-0', { name: 'gone', uid: 'uid-gone' }));
    arrange(s);
    expect(await s.sweeper.sweepOnce()).toEqual({ outcome });
    expect(s.provider.calls).toEqual([]);
    expect(s.aci.groups.size).toBe(1);
  });

  it('a cache that loses sync during the sweep stops its actions (the scaler list may be empty)', async () => {
    const s = setup();
    s.seed(
      group('a', { name: 'gone', uid: 'u1' }, { state: 'Failed', ready: false }),
      group('b', { name: 'gone', uid: 'u1' }, { state: 'Failed', ready: false }),
    );
    s.provider.faults.set('delete', undefined);
    const original = s.provider.delete.bind(s.provider);
    s.provider.delete = async (name: string) => {
      await original(name);
      s.world.synced = false;
    };
    const result = await s.sweeper.sweepOnce();
    expect(result.outcome === 'swept' && result.actions.map((a) => a.result)).toEqual(['ok', 'skipped']);
    expect([...s.aci.groups.keys()]).toEqual(['b']);
  });

  it('leaves groups of namespaces it does not watch', async () => {
    const s = setup({ watchedNamespaces: ['shop'] });
    s.seed(group('x', { namespace: 'billing', name: 'gone', uid: 'u9' }, { state: 'Failed', ready: false }));
    const result = await s.sweeper.sweepOnce();
    expect(result.outcome === 'swept' && result.actions).toEqual([]);
    expect(s.aci.groups.size).toBe(1);
  });

  it('one failed delete does not stop the others; a failed listing is reported', async () => {
    const s = setup();
    s.seed(
      group('a', { name: 'gone', uid: 'u1' }, { state: 'Failed', ready: false }),
      group('b', { name: 'gone', uid: 'u1' }, { state: 'Failed', ready: false }),
    );
    s.provider.faults.once('delete', new Error('ARM 500'));
    const result = await s.sweeper.sweepOnce();
    expect(result.outcome === 'swept' && result.actions.map((a) => [a.action.name, a.result])).toEqual([
      ['a', 'failed'],
      ['b', 'ok'],
    ]);
    s.provider.faults.once('listOwned', new Error('AuthorizationFailed'));
    expect(await s.sweeper.sweepOnce()).toEqual({ outcome: 'failed', message: 'AuthorizationFailed' });
    expect(await s.metrics.registry.metrics()).toMatch(/spillway_gc_sweep_errors_total 1/);
  });

  it('never runs two sweeps at once', async () => {
    const s = setup();
    s.provider.faults.once('listOwned', 'hang');
    void s.sweeper.sweepOnce();
    expect(await s.sweeper.sweepOnce()).toEqual({ outcome: 'busy' });
  });

  it('start() sweeps once after sync and schedules the periodic sweep; stop() ends both', async () => {
    const s = setup({ schedule: '*/5 * * * *', syncPollMs: 1000 });
    s.world.synced = false;
    s.sweeper.start();
    const next = s.sweeper.nextRun();
    expect(next).toBeInstanceOf(Date);
    expect(next!.getTime() - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    await s.clock.advance(5000);
    expect(s.provider.callsOf('listOwned')).toHaveLength(0);
    s.world.synced = true;
    await s.clock.advance(1000);
    expect(s.provider.callsOf('listOwned')).toHaveLength(1);
    await s.sweeper.stop();
  });

  it.each(['every 5 minutes', '61 * * * *', ''])('rejects the schedule %j naming the flag', (schedule) => {
    expect(() => setup({ schedule })).toThrow(/^--gc-schedule: must be a cron expression/);
  });
});
