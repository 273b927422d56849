import { describe, expect, it } from 'vitest';
import type { Action, BurstReplica, Decision, Policy, ScalerStatus } from '../core/types.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createControllerMetrics } from '../telemetry/metrics.ts';
import {
  AciWorld,
  ClusterWorld,
  FakeCluster,
  FakeProvider,
  TEMPLATE,
  testPolicy,
} from '../../test/controller/fakes.ts';
import { ManualClock } from '../../test/controller/manual-clock.ts';
import { Executor, endpointAddresses } from './executor.ts';
import type { ActionGuard, ExecutionInput } from './executor.ts';

const KEY = { namespace: 'shop', name: 'orders', uid: 'uid-orders' };

function setup(policy: Policy = testPolicy(KEY)) {
  const clock = new ManualClock();
  const world = new ClusterWorld();
  world.addScaler('shop', 'orders', {}, KEY.uid);
  world.addDeployment('shop', 'orders', { replicas: 4, vmCapacity: 4 });
  const aci = new AciWorld();
  const cluster = new FakeCluster(world, clock);
  const provider = new FakeProvider(aci, clock);
  const metrics = createControllerMetrics();
  const executor = new Executor({
    clock,
    cluster,
    provider,
    logger: createLogger({ level: 'silent' }),
    metrics,
  });
  const input = (actions: Action[], burst: BurstReplica[] = []): ExecutionInput => ({
    key: KEY,
    policy,
    workload: cluster.workload('shop', policy.targetRef)!,
    burst: burst.length > 0 ? burst : aci.of(KEY).map(({ owner: _o, ...r }) => r),
    decision: decision(actions),
  });
  return { clock, world, aci, cluster, provider, metrics, executor, input, policy };
}

const status: ScalerStatus = {
  observedGeneration: 1,
  desiredReplicas: 6,
  vmReplicas: 4,
  aciReplicas: 2,
  pendingReplicas: 0,
  mode: 'spill',
  costUSDPerHour: 0.12,
  lastDecision: { at: '2026-01-05T09:00:00.000Z', summary: 'desired 6', reasons: [], cost: [] },
  conditions: [{ type: 'Ready', status: 'True', reason: 'Deciding', message: 'ok' }],
};

function decision(actions: Action[]): Decision {
  return {
    desiredReplicas: 6,
    vmReplicas: 4,
    aciReplicas: 2,
    mode: 'spill',
    actions,
    reasons: [],
    conditions: status.conditions,
    explanation: { recommendation: [], placement: [], cost: [] },
    state: { recommendations: [], scaleEvents: [], demand: [], failures: {} },
  };
}

const create = (index: number, regions = ['eastus', 'eastus2']): Action => ({
  kind: 'CreateBurst',
  name: `orders-${index}`,
  index,
  regions,
  priority: 'Regular',
  templateHash: 'tmpl1',
  reason: 'burst',
});

const allowed: ActionGuard = () => undefined;

function group(name: string, index: number, extra: Partial<BurstReplica> = {}): BurstReplica {
  return {
    name,
    index,
    region: 'eastus',
    priority: 'Regular',
    state: 'Running',
    ready: true,
    createdAt: 0,
    templateHash: 'tmpl1',
    privateIp: `10.1.0.${index}`,
    cpu: 1,
    memoryGiB: 2,
    ...extra,
  };
}

/** Puts running groups into the fake Azure. */
function seed(aci: AciWorld, groups: BurstReplica[]): void {
  for (const g of groups) aci.groups.set(g.name, { ...g, owner: { clusterId: 'cluster-test', ...KEY } });
}

describe('execution order', () => {
  it('runs deletion costs, scale, drains, slice, deletes, creates, events, status — in that order', async () => {
    const policy = testPolicy(KEY, {
      burst: { ...testPolicy(KEY).burst, endpointSlice: { serviceName: 'orders' } },
    });
    const s = setup(policy);
    const groups = [group('orders-0', 0), group('orders-1', 1)];
    seed(s.aci, groups);
    // Shuffled on purpose: the executor, not the decision's order, makes it safe.
    const actions: Action[] = [
      { kind: 'PatchStatus', status, reason: 'status' },
      create(2),
      { kind: 'Emit', type: 'Normal', reason: 'Spill', message: 'spilled' },
      { kind: 'DeleteBurst', name: 'orders-1', reason: 'drained' },
      { kind: 'ScaleDeployment', replicas: 3, reason: 'scale in' },
      { kind: 'DrainBurst', name: 'orders-0', reason: 'drain' },
      { kind: 'SetPodDeletionCost', pod: 'pod-3', cost: -100, reason: 'remove first' },
    ];
    const journal: string[] = [];
    s.cluster.journal = s.provider.journal = journal;
    await s.executor.execute(s.input(actions, groups), allowed);
    expect(journal).toEqual([
      'setPodDeletionCost',
      'scaleTarget',
      'markDraining',
      'syncEndpointSlice',
      'delete',
      'create',
      'emitEvent',
      'patchStatus',
    ]);
    // The draining group left the EndpointSlice before anything was deleted.
    expect(s.world.slices.get('shop/orders')).toEqual([]);
  });

  it('a resumed group rejoins the EndpointSlice in the same tick, before any delete', async () => {
    const policy = testPolicy(KEY, {
      burst: { ...testPolicy(KEY).burst, endpointSlice: { serviceName: 'orders' } },
    });
    const s = setup(policy);
    const groups = [group('orders-0', 0, { drainingSince: 1 }), group('orders-1', 1, { drainingSince: 1 })];
    seed(s.aci, groups);
    const journal: string[] = [];
    s.cluster.journal = s.provider.journal = journal;
    const report = await s.executor.execute(
      s.input(
        [
          { kind: 'DeleteBurst', name: 'orders-1', reason: 'drained' },
          { kind: 'ResumeBurst', name: 'orders-0', reason: 'needed again' },
        ],
        groups,
      ),
      allowed,
    );
    expect(report.outcomes.map((o) => [o.action.kind, o.result])).toEqual([
      ['ResumeBurst', 'ok'],
      ['DeleteBurst', 'ok'],
    ]);
    expect(journal).toEqual(['resumeDraining', 'syncEndpointSlice', 'delete']);
    expect(s.aci.groups.get('orders-0')?.drainingSince).toBeUndefined();
    expect(s.world.slices.get('shop/orders')?.map((a) => a.name)).toEqual(['orders-0']);
  });

  it('never deletes a group whose drain failed in the same tick, but deletes the others', async () => {
    const s = setup();
    const groups = [group('orders-0', 0), group('orders-1', 1)];
    seed(s.aci, groups);
    s.provider.faults.once('markDraining', new Error('ARM 500 InternalServerError'));
    const report = await s.executor.execute(
      s.input(
        [
          { kind: 'DrainBurst', name: 'orders-0', reason: 'drain' },
          { kind: 'DeleteBurst', name: 'orders-0', reason: 'grace over' },
          { kind: 'DeleteBurst', name: 'orders-1', reason: 'failed group' },
        ],
        groups,
      ),
      allowed,
    );
    expect(report.outcomes.map((o) => [o.action.kind, o.result])).toEqual([
      ['DrainBurst', 'failed'],
      ['DeleteBurst', 'skipped'],
      ['DeleteBurst', 'ok'],
    ]);
    expect([...s.aci.groups.keys()]).toEqual(['orders-0']);
  });
});

describe('idempotency', () => {
  it.each<{ what: string; action: Action; why: string }>([
    {
      what: 'scaling to the current replicas',
      action: { kind: 'ScaleDeployment', replicas: 4, reason: 'same' },
      why: 'orders already has 4 replicas',
    },
    {
      what: 'draining a draining group',
      action: { kind: 'DrainBurst', name: 'orders-0', reason: 'again' },
      why: 'group orders-0 is already draining',
    },
    {
      what: 'draining a group that is gone',
      action: { kind: 'DrainBurst', name: 'orders-9', reason: 'stale' },
      why: 'group orders-9 does not exist',
    },
    {
      what: 'resuming a group that is not draining',
      action: { kind: 'ResumeBurst', name: 'orders-1', reason: 'again' },
      why: 'group orders-1 is not draining',
    },
    {
      what: 'resuming a group that is gone',
      action: { kind: 'ResumeBurst', name: 'orders-9', reason: 'stale' },
      why: 'group orders-9 does not exist',
    },
    { what: 'creating a group that exists', action: create(1), why: 'group orders-1 already exists' },
  ])('$what is skipped without a call', async ({ action, why }) => {
    const s = setup();
    const groups = [group('orders-0', 0, { drainingSince: 1 }), group('orders-1', 1)];
    seed(s.aci, groups);
    const report = await s.executor.execute(s.input([action], groups), allowed);
    expect(report.outcomes).toEqual([{ action, result: 'skipped', why }]);
    expect(s.provider.writes()).toEqual([]);
    expect(s.cluster.writes()).toEqual([]);
  });
});

describe('creating burst replicas', () => {
  it('builds the request from the action, the policy and the workload', async () => {
    const policy = testPolicy(KEY);
    policy.burst.aci = {
      ...policy.burst.aci,
      subnetId: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/aci',
      priority: 'Spot',
      spotFallbackToRegular: false,
    };
    const s = setup(policy);
    await s.executor.execute(s.input([create(0, [])]), allowed);
    const [request] = s.provider.callsOf('create')[0] as [Record<string, unknown>];
    expect(request).toMatchObject({
      scaler: KEY,
      name: 'orders-0',
      index: 0,
      regions: ['eastus', 'eastus2'], // the action named none: the policy's failover order
      priority: 'Regular',
      spotFallbackToRegular: false,
      templateHash: 'tmpl1',
      template: TEMPLATE,
      subnetId: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/aci',
    });
    expect(request.values).toBe(s.cluster);
  });

  it('one failing create does not stop the others; quota → Degraded with region and numbers, one event', async () => {
    const s = setup();
    s.provider.faults.once(
      'create',
      Object.assign(
        new Error(
          'creating container group orders-0: quota StandardCores exceeded in eastus (limit 100, used 98, requested 4)',
        ),
        { reason: 'QuotaExceeded' },
      ),
    );
    const report = await s.executor.execute(
      s.input([create(0), create(1), create(2), { kind: 'PatchStatus', status, reason: 'status' }]),
      allowed,
    );
    expect(report.outcomes.map((o) => o.result)).toEqual(['failed', 'ok', 'ok', 'ok']);
    expect([...s.aci.groups.keys()].sort()).toEqual(['orders-1', 'orders-2']);
    const degraded = s.world.condition('shop/orders', 'Degraded');
    expect(degraded).toEqual({
      type: 'Degraded',
      status: 'True',
      reason: 'QuotaExceeded',
      message:
        'creating container group orders-0: quota StandardCores exceeded in eastus (limit 100, used 98, requested 4)',
    });
    expect(s.world.condition('shop/orders', 'Ready')?.status).toBe('True');
    expect(s.world.events).toEqual([
      { scaler: 'shop/orders', type: 'Warning', reason: 'QuotaExceeded', message: degraded!.message },
    ]);
    expect(await s.metrics.registry.metrics()).toMatch(
      /spillway_action_failures_total\{namespace="shop",scaler="orders",kind="CreateBurst"\} 1/,
    );
  });

  it.each([
    {
      case: 'the preferred region is full',
      arrange: (s: ReturnType<typeof setup>) => s.provider.fullRegions.add('eastus'),
      event: {
        type: 'Warning',
        reason: 'BurstFailover',
        message: 'container group orders-0 runs in eastus2: the preferred region eastus could not take it',
      },
    },
  ])('failover: $case → an event naming both regions', async ({ arrange, event }) => {
    const s = setup();
    arrange(s);
    await s.executor.execute(s.input([create(0)]), allowed);
    expect(s.aci.groups.get('orders-0')?.region).toBe('eastus2');
    expect(s.world.events).toEqual([{ scaler: 'shop/orders', ...event }]);
  });

  it('repeats its own events at most once per repeat period', async () => {
    const s = setup();
    s.provider.fullRegions.add('eastus');
    s.provider.fullRegions.add('eastus2');
    for (let i = 0; i < 3; i++) {
      await s.executor.execute(s.input([create(0)]), allowed);
      await s.clock.advance(60_000);
    }
    expect(s.world.events).toHaveLength(1);
    await s.clock.advance(600_000);
    await s.executor.execute(s.input([create(0)]), allowed);
    expect(s.world.events).toHaveLength(2);
  });

  it('clears its Degraded condition once actions succeed again, even without a status action', async () => {
    const s = setup();
    s.provider.faults.once(
      'create',
      Object.assign(new Error('no capacity'), { reason: 'CapacityUnavailable' }),
    );
    await s.executor.execute(s.input([create(0), { kind: 'PatchStatus', status, reason: 's' }]), allowed);
    expect(s.world.condition('shop/orders', 'Degraded')?.status).toBe('True');
    await s.executor.execute(s.input([create(0)]), allowed);
    expect(s.world.condition('shop/orders', 'Degraded')).toMatchObject({
      status: 'False',
      reason: 'ActionsSucceeded',
    });
  });
});

describe('status writes', () => {
  it('rewrites an unchanged status at most once a minute, a changed one at once', async () => {
    const s = setup();
    const patch = (desired: number, at: string): Action => ({
      kind: 'PatchStatus',
      status: {
        ...status,
        desiredReplicas: desired,
        lastDecision: { ...status.lastDecision, at, reasons: [at], cost: [`Burst has lasted ${at}`] },
        forecast: { at, bursts: [{ startedAt: at }], levels: [{ upTo: desired, since: at }] },
      },
      reason: 's',
    });
    const results: string[] = [];
    for (const [desired, advance] of [
      [6, 0],
      [6, 2000],
      [6, 2000],
      [7, 2000],
      [7, 30_000],
      [7, 30_000],
    ] as const) {
      await s.clock.advance(advance);
      const report = await s.executor.execute(
        s.input([patch(desired, new Date(s.clock.now()).toISOString())]),
        allowed,
      );
      results.push(report.outcomes[0]!.result);
    }
    expect(results).toEqual(['ok', 'skipped', 'skipped', 'ok', 'skipped', 'ok']);
    expect(s.world.status('shop/orders')?.desiredReplicas).toBe(7);
  });

  it.each([
    ['a condition message', { conditions: [{ ...status.conditions[0]!, message: 'changed' }] }],
    [
      'a condition more',
      {
        conditions: [
          ...status.conditions,
          { type: 'Bursting', status: 'True', reason: 'Spilling', message: 'm' },
        ],
      },
    ],
    ['the mode', { mode: 'bridge' }],
    ['the summary', { lastDecision: { ...status.lastDecision, summary: 'desired 7' } }],
    ['the cost per hour', { costUSDPerHour: status.costUSDPerHour + 0.01 }],
  ] as [string, Partial<ScalerStatus>][])(
    'writes a status at once when %s changes',
    async (_what, change) => {
      const s = setup();
      const patch = (fields: Partial<ScalerStatus>): Action => ({
        kind: 'PatchStatus',
        status: { ...status, ...fields },
        reason: 's',
      });
      await s.executor.execute(s.input([patch({})]), allowed);
      await s.clock.advance(2000);
      const report = await s.executor.execute(s.input([patch(change)]), allowed);
      expect(report.outcomes[0]!.result).toBe('ok');
    },
  );
});

describe('guards', () => {
  it.each([
    { why: 'this replica is no longer the leader' },
    { why: 'the cluster cache is out of sync (API server unreachable?); nothing new until it is back' },
  ])('when acting is not allowed ($why), every action is skipped', async ({ why }) => {
    const s = setup();
    const actions: Action[] = [
      { kind: 'ScaleDeployment', replicas: 9, reason: 'up' },
      create(0),
      { kind: 'PatchStatus', status, reason: 's' },
    ];
    const report = await s.executor.execute(s.input(actions), () => why);
    expect(report.outcomes).toEqual(actions.map((action) => ({ action, result: 'skipped', why })));
    expect(s.provider.calls).toEqual([]);
    expect(s.cluster.writes()).toEqual([]);
  });

  it('a guard that closes half-way stops the remaining phases', async () => {
    const s = setup();
    let open = true;
    s.cluster.faults.set('scaleTarget', undefined);
    const actions: Action[] = [{ kind: 'ScaleDeployment', replicas: 6, reason: 'up' }, create(0)];
    const guard: ActionGuard = () => {
      const verdict = open ? undefined : 'this replica is no longer the leader';
      open = false; // the lease is lost right after the first action
      return verdict;
    };
    const report = await s.executor.execute(s.input(actions), guard);
    expect(report.outcomes.map((o) => o.result)).toEqual(['ok', 'skipped']);
    expect(s.aci.groups.size).toBe(0);
  });
});

describe('EndpointSlice', () => {
  it('lists Ready, running, non-draining groups with an IP, and writes only on change', async () => {
    const policy = testPolicy(KEY, {
      burst: { ...testPolicy(KEY).burst, endpointSlice: { serviceName: 'orders' } },
    });
    const s = setup(policy);
    const groups = [
      group('orders-0', 0),
      group('orders-1', 1, { ready: false, state: 'Pending' }),
      group('orders-2', 2, { drainingSince: 5 }),
      group('orders-3', 3, { privateIp: undefined }),
      group('orders-4', 4),
    ];
    const first = await s.executor.execute(s.input([], groups), allowed);
    expect(first.endpointSlice).toBe('synced');
    expect(s.world.slices.get('shop/orders')).toEqual([
      { name: 'orders-0', ip: '10.1.0.0', ready: true },
      { name: 'orders-4', ip: '10.1.0.4', ready: true },
    ]);
    const second = await s.executor.execute(s.input([], groups), allowed);
    expect(second.endpointSlice).toBe('unchanged');
    expect(s.cluster.callsOf('syncEndpointSlice')).toHaveLength(1);
  });

  it('is not written when the spec does not ask for it', async () => {
    const s = setup();
    const report = await s.executor.execute(s.input([], [group('orders-0', 0)]), allowed);
    expect(report.endpointSlice).toBe('not-configured');
    expect(s.cluster.callsOf('syncEndpointSlice')).toEqual([]);
  });

  it.each([
    { groups: [], expected: [] },
    { groups: [group('b', 1), group('a', 0)], expected: ['a', 'b'] },
  ])('endpointAddresses sorts by name ($expected)', ({ groups, expected }) => {
    expect(endpointAddresses(groups).map((a) => a.name)).toEqual(expected);
  });
});
