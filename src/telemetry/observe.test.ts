import { describe, expect, it } from 'vitest';
import { decide } from '../core/decide.ts';
import { MINUTE, SECOND, T0, group, pendingPods, testPolicy, testSnapshot, vmPods } from '../core/testing.ts';
import type { Action, BurstReplica, Decision } from '../core/types.ts';
import { emptyState } from '../core/types.ts';
import {
  aciEvents,
  boundedReason,
  costRates,
  decisionReasons,
  effectiveConditions,
  groupsByRegionAndState,
  readyReplicas,
} from './observe.ts';
import type { OutcomeLike } from './observe.ts';

describe('boundedReason', () => {
  it.each([
    ['QuotaExceeded', 'QuotaExceeded'],
    ['ContainerExited(137)', 'ContainerExited'],
    ['unreachable', 'Unreachable'],
    ['creating container group shop-orders-3: quota', 'Creating'],
    ['', 'Unknown'],
    [undefined, 'Unknown'],
    ['(weird)', 'Other'],
    ['A'.repeat(100), 'A'.repeat(64)],
  ])('%s → %s', (input, output) => {
    expect(boundedReason(input)).toBe(output);
  });
});

const policy = testPolicy({ budget: { maxBurstUSDPerHour: 2 } });

/** A decision with the given actions (and nothing else that matters to the classifier). */
function decisionOf(actions: Action[], mode: Decision['mode'] = 'spill'): Decision {
  return {
    desiredReplicas: 0,
    vmReplicas: 0,
    aciReplicas: 0,
    mode,
    actions,
    reasons: [],
    conditions: [],
    explanation: { recommendation: [], placement: [], cost: [] },
    state: emptyState(),
  };
}

describe('decisionReasons', () => {
  const now = T0;
  const running = group(policy, 0, { createdAt: now - 10 * MINUTE });
  const draining = group(policy, 1, { createdAt: now - 10 * MINUTE, drainingSince: now - MINUTE });
  const failed = group(policy, 2, { createdAt: now - MINUTE, state: 'Failed', ready: false });
  const stopped = group(policy, 3, { createdAt: now - MINUTE, state: 'Stopped', ready: false });
  const starting = group(policy, 4, { createdAt: now - 5 * SECOND, state: 'Pending', ready: false });
  const oldTemplate = group(policy, 5, { createdAt: now - 10 * MINUTE, templateHash: 'tpl-0' });
  const snapshot = testSnapshot({
    now,
    queue: 0,
    pods: vmPods(3, now),
    burst: [running, draining, failed, stopped, starting, oldTemplate],
  });
  const create: Action = {
    kind: 'CreateBurst',
    name: 'g',
    index: 9,
    regions: ['eastus'],
    priority: 'Regular',
    templateHash: 'tpl-1',
    reason: 'x',
  };

  it.each<{ name: string; actions: Action[]; mode?: Decision['mode']; expected: string[] }>([
    {
      name: 'scale up',
      actions: [{ kind: 'ScaleDeployment', replicas: 5, reason: 'x' }],
      expected: ['ScaleDeployment/ScaleUp'],
    },
    {
      name: 'scale down',
      actions: [{ kind: 'ScaleDeployment', replicas: 2, reason: 'x' }],
      expected: ['ScaleDeployment/ScaleDown'],
    },
    { name: 'create while spilling', actions: [create], expected: ['CreateBurst/SpillingToACI'] },
    {
      name: 'create while bridging',
      actions: [create],
      mode: 'bridge',
      expected: ['CreateBurst/BridgingOnACI'],
    },
    {
      name: 'create named by the decision’s event',
      actions: [create, { kind: 'Emit', type: 'Normal', reason: 'RollingACI', message: 'm' }],
      expected: ['CreateBurst/RollingACI', 'Emit/RollingACI'],
    },
    {
      name: 'drain for scale-in',
      actions: [{ kind: 'DrainBurst', name: running.name, reason: 'x' }],
      expected: ['DrainBurst/ScaleIn'],
    },
    {
      name: 'drain of an old template',
      actions: [{ kind: 'DrainBurst', name: oldTemplate.name, reason: 'x' }],
      expected: ['DrainBurst/RollingACI'],
    },
    {
      name: 'delete after a drain',
      actions: [{ kind: 'DeleteBurst', name: draining.name, reason: 'x' }],
      expected: ['DeleteBurst/Drained'],
    },
    {
      name: 'delete of a failed group',
      actions: [{ kind: 'DeleteBurst', name: failed.name, reason: 'x' }],
      expected: ['DeleteBurst/ReplicaFailed'],
    },
    {
      name: 'delete of a stopped group',
      actions: [{ kind: 'DeleteBurst', name: stopped.name, reason: 'x' }],
      expected: ['DeleteBurst/ReplicaStopped'],
    },
    {
      name: 'delete before start',
      actions: [{ kind: 'DeleteBurst', name: starting.name, reason: 'x' }],
      expected: ['DeleteBurst/NotStarted'],
    },
    {
      name: 'pod deletion cost',
      actions: [{ kind: 'SetPodDeletionCost', pod: 'p', cost: 1, reason: 'x' }],
      expected: ['SetPodDeletionCost/ScaleIn'],
    },
    {
      name: 'event with a free-text reason is bounded',
      actions: [{ kind: 'Emit', type: 'Warning', reason: 'ContainerExited(1)', message: 'm' }],
      expected: ['Emit/ContainerExited'],
    },
    {
      name: 'status patches are not counted',
      actions: [{ kind: 'PatchStatus', status: {} as never, reason: 'x' }],
      expected: [],
    },
  ])('$name', ({ actions, mode, expected }) => {
    const reasons = decisionReasons(decisionOf(actions, mode), snapshot);
    expect(reasons.map((r) => `${r.kind}/${r.reason}`)).toEqual(expected);
  });

  it('names drains and deletes TargetNotFound when the target is gone', () => {
    const { target: _target, ...withoutTarget } = snapshot;
    const reasons = decisionReasons(
      decisionOf([
        { kind: 'DrainBurst', name: running.name, reason: 'x' },
        { kind: 'DeleteBurst', name: running.name, reason: 'x' },
      ]),
      withoutTarget,
    );
    expect(reasons.map((r) => r.reason)).toEqual(['TargetNotFound', 'TargetNotFound']);
  });

  it('classifies every action of a real burst decision', () => {
    const now2 = T0;
    const snap = testSnapshot({
      now: now2,
      queue: 80,
      pods: [...vmPods(3, now2), ...pendingPods(5, now2 - MINUTE)],
    });
    const decision = decide(snap, policy, emptyState(), now2);
    const reasons = decisionReasons(decision, snap);
    const creates = decision.actions.filter((a) => a.kind === 'CreateBurst').length;
    expect(creates).toBeGreaterThan(0);
    expect(reasons.filter((r) => r.kind === 'CreateBurst')).toHaveLength(creates);
    for (const r of reasons) expect(r.reason).toMatch(/^[A-Z][A-Za-z0-9]*$/);
  });
});

describe('costRates', () => {
  const now = T0;
  it.each([
    {
      name: 'VM pods on nodes at node price ÷ replicas per node',
      pods: vmPods(6, now),
      burst: [] as BurstReplica[],
      // 0.192 $/h node, 3 replicas per node → 0.064 $/h per replica
      vm: 6 * 0.064,
      aci: 0,
    },
    {
      name: 'pending pods cost nothing on VMs',
      pods: [...vmPods(3, now), ...pendingPods(4, now)],
      burst: [],
      vm: 3 * 0.064,
      aci: 0,
    },
    {
      name: 'billing ACI groups at billed vCPU and GB; failed and stopped ones are free',
      pods: [],
      burst: [
        group(policy, 0, { createdAt: now }),
        group(policy, 1, { createdAt: now, state: 'Pending', ready: false }),
        group(policy, 2, { createdAt: now, state: 'Failed', ready: false }),
        group(policy, 3, { createdAt: now, state: 'Stopped', ready: false }),
      ],
      vm: 0,
      // 1 vCPU + 4 GiB (4 GB billed, memoryInGB = the GiB value) at list prices: 0.0405 + 4 × 0.0044496 = 0.0582984 $/h, twice
      aci: 2 * (0.00001125 * 3600 + 4 * 0.000001236 * 3600),
    },
    {
      name: 'Spot groups at the Spot ratio',
      pods: [],
      burst: [group(policy, 0, { createdAt: now, priority: 'Spot' })],
      vm: 0,
      aci: 0.3 * (0.00001125 * 3600 + 4 * 0.000001236 * 3600),
    },
  ])('$name', ({ pods, burst, vm, aci }) => {
    const snap = testSnapshot({ now, queue: 0, pods, burst });
    const rates = costRates(snap, policy, burst, now);
    expect(rates.vm).toBeCloseTo(vm, 9);
    expect(rates.aci).toBeCloseTo(aci, 9);
  });
});

describe('readyReplicas and groupsByRegionAndState', () => {
  const now = T0;
  const burst = [
    group(policy, 0, { createdAt: now }),
    group(policy, 1, { createdAt: now, region: 'eastus2' }),
    group(policy, 2, { createdAt: now, drainingSince: now }),
    group(policy, 3, { createdAt: now, state: 'Pending', ready: false }),
    group(policy, 4, { createdAt: now, state: 'Failed', ready: false, drainingSince: now }),
  ];
  const pods = [...vmPods(2, now), ...pendingPods(3, now), { ...vmPods(1, now, 3, 50)[0]!, deleting: true }];

  it('counts VM pods Ready on a node and ACI groups Running, Ready, not draining', () => {
    expect(readyReplicas(testSnapshot({ now, queue: 0, pods, burst }), burst)).toEqual({ vm: 2, aci: 2 });
  });

  it('counts groups per region and state, a drain of a billing group as Draining', () => {
    expect(Object.fromEntries(groupsByRegionAndState(burst))).toEqual({
      'eastus\nRunning': 1,
      'eastus2\nRunning': 1,
      'eastus\nDraining': 1,
      'eastus\nPending': 1,
      'eastus\nFailed': 1,
    });
  });
});

describe('aciEvents', () => {
  const now = T0;
  const drained = group(policy, 0, {
    createdAt: now - 10 * MINUTE,
    drainingSince: now - 75 * SECOND,
    region: 'eastus2',
  });
  const create = (
    name: string,
    regions = ['eastus', 'eastus2'],
  ): Extract<Action, { kind: 'CreateBurst' }> => ({
    kind: 'CreateBurst',
    name,
    index: 1,
    regions,
    priority: 'Regular',
    templateHash: 'tpl-1',
    reason: 'x',
  });
  const typed = (fields: Record<string, unknown>): Error => Object.assign(new Error('typed'), fields);

  it.each<{ name: string; outcomes: OutcomeLike[]; expected: Partial<ReturnType<typeof aciEvents>> }>([
    {
      name: 'a create in the preferred region',
      outcomes: [{ action: create('a'), result: 'ok', replica: group(policy, 1, { createdAt: now }) }],
      expected: { creates: [{ region: 'eastus', failover: false }] },
    },
    {
      name: 'a create that failed over',
      outcomes: [
        {
          action: create('a'),
          result: 'ok',
          replica: group(policy, 1, { createdAt: now, region: 'eastus2' }),
        },
      ],
      expected: { creates: [{ region: 'eastus2', failover: true }] },
    },
    {
      name: 'a delete after a drain, with the drain time',
      outcomes: [{ action: { kind: 'DeleteBurst', name: drained.name, reason: 'x' }, result: 'ok' }],
      expected: { deletes: [{ region: 'eastus2', drainedSeconds: 75 }] },
    },
    {
      name: 'a create refused in its region',
      outcomes: [
        {
          action: create('a'),
          result: 'failed',
          reason: 'ImageInaccessible',
          error: typed({ reason: 'ImageInaccessible', region: 'eastus' }),
        },
      ],
      expected: { failures: [{ kind: 'create', region: 'eastus', reason: 'ImageInaccessible' }] },
    },
    {
      name: 'every region failed: one failure per attempt, local pacing as throttling',
      outcomes: [
        {
          action: create('a'),
          result: 'failed',
          reason: 'RegionsExhausted',
          error: typed({
            reason: 'RegionsExhausted',
            attempts: [
              {
                region: 'eastus',
                priority: 'Regular',
                error: typed({ reason: 'QuotaExceeded', kind: 'quota' }),
              },
              {
                region: 'eastus2',
                priority: 'Regular',
                error: typed({ reason: 'Throttled', kind: 'throttled', source: 'local' }),
              },
            ],
          }),
        },
      ],
      expected: {
        failures: [
          { kind: 'create', region: 'eastus', reason: 'QuotaExceeded' },
          { kind: 'create', region: 'eastus2', reason: 'Throttled' },
        ],
        throttles: [{ kind: 'create', region: 'eastus2', reason: 'LocalPacing' }],
      },
    },
    {
      name: 'ARM throttled a delete',
      outcomes: [
        {
          action: { kind: 'DeleteBurst', name: drained.name, reason: 'x' },
          result: 'failed',
          reason: 'Throttled',
          error: typed({ reason: 'Throttled', kind: 'throttled', source: 'azure' }),
        },
      ],
      expected: {
        failures: [{ kind: 'delete', region: 'eastus2', reason: 'Throttled' }],
        throttles: [{ kind: 'delete', region: 'eastus2', reason: 'AzureRetryAfter' }],
      },
    },
    {
      name: 'a drain that failed on an untyped error',
      outcomes: [
        {
          action: { kind: 'DrainBurst', name: drained.name, reason: 'x' },
          result: 'failed',
          reason: 'DrainBurstFailed',
          error: new Error('socket hang up'),
        },
      ],
      expected: { failures: [{ kind: 'drain', region: 'eastus2', reason: 'DrainBurstFailed' }] },
    },
    {
      name: 'skipped actions and other kinds are not ACI events',
      outcomes: [
        { action: create('a'), result: 'skipped' },
        { action: { kind: 'ScaleDeployment', replicas: 3, reason: 'x' }, result: 'ok' },
      ],
      expected: {},
    },
  ])('$name', ({ outcomes, expected }) => {
    expect(aciEvents(outcomes, [drained], now)).toEqual({
      creates: [],
      deletes: [],
      failures: [],
      throttles: [],
      ...expected,
    });
  });
});

describe('effectiveConditions', () => {
  it('puts the executor’s Degraded over the decision’s', () => {
    const decision = decisionOf([]);
    decision.conditions = [
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'm' },
      { type: 'Degraded', status: 'False', reason: 'Healthy', message: 'm' },
    ];
    const degraded = {
      type: 'Degraded' as const,
      status: 'True' as const,
      reason: 'QuotaExceeded',
      message: 'm',
    };
    expect(effectiveConditions(decision, degraded).map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Ready=True/Ready',
      'Degraded=True/QuotaExceeded',
    ]);
    expect(effectiveConditions(decision, undefined)).toBe(decision.conditions);
  });
});
