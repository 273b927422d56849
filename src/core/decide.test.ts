import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../spec/compile.ts';
import { exampleBurstScaler } from '../spec/example.ts';
import { defaultBehavior } from './behavior.ts';
import { decide } from './decide.ts';
import {
  actionCounts,
  actionsOf,
  applyActions,
  group,
  MINUTE,
  pendingPods,
  SECOND,
  startGroups,
  T0,
  testPolicy,
  testSnapshot,
  vmPods,
} from './testing.ts';
import { emptyState } from './types.ts';
import type { BurstReplica, Decision, Policy, ScalerState, Snapshot } from './types.ts';

const state = (fields: Partial<ScalerState> = {}): ScalerState => ({ ...emptyState(), ...fields });
/** VMs at a 40% savings-plan discount: a new node beats ACI for bursts longer than ~34 min. */
const discounted = testPolicy({ vm: { discountPercent: 40 } });
const listPrice = testPolicy();

/** `count` ACI groups of the default template, Running and Ready, created `ageMs` ago. */
const running = (
  policy: Policy,
  count: number,
  ageMs: number,
  fields: Partial<BurstReplica> = {},
  from = 0,
) =>
  Array.from({ length: count }, (_, i) =>
    group(policy, from + i, {
      createdAt: T0 - ageMs + i * SECOND,
      readyAt: T0 - ageMs + 40 * SECOND,
      ...fields,
    }),
  );

/**
 * The tick of a burst to 12 replicas (queue 120) that began `ageMs` ago in spill mode: 6 Ready VM pods and
 * 6 ACI groups running since then.
 */
const decideInBurst = (policy: Policy, ageMs: number) =>
  decide(
    testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0), burst: running(policy, 6, ageMs) }),
    policy,
    state({ lastDesired: 12, burstStartedAt: T0 - ageMs, burstBaseline: 6, mode: 'spill' }),
    T0,
  );

const condition = (d: Decision, type: string) => d.conditions.find((c) => c.type === type);
const emits = (d: Decision) => actionsOf(d.actions, 'Emit');
/** Actions that change the world (everything except the status patch and events). */
const changes = (d: Decision) => d.actions.filter((a) => a.kind !== 'PatchStatus' && a.kind !== 'Emit');

/** A bridging tick: desired count, the Deployment it scales to, a cost line and the cost model's choice. */
const expectBridge = (d: Decision, desired: number, deployment: number, costLine: string, chosen: RegExp) => {
  expect(d).toMatchObject({ desiredReplicas: desired, mode: 'bridge' });
  expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([
    expect.objectContaining({ replicas: deployment }),
  ]);
  expect(d.explanation.cost).toContain(costLine);
  expect(d.explanation.cost.join('\n')).toMatch(chosen);
};

describe('decide: bridge or spill', () => {
  it('a 2-minute burst on a cluster with no free VM spills only', () => {
    // The burst began 2 minutes ago; ACI already serves it. A node would be paid 15 minutes for a burst
    // expected to last about 2 more: spill, even though VMs are 40% off.
    const d = decideInBurst(discounted, 2 * MINUTE);
    expect(d).toMatchObject({ desiredReplicas: 12, vmReplicas: 6, aciReplicas: 6, mode: 'spill' });
    expect(changes(d)).toEqual([]);
    expect(d.explanation.cost.join('\n')).toMatch(/Chosen: spill only \(6 on ACI\)/);
  });

  it("stores the forecaster's memory in status.forecast: the burst under way and the level steps", () => {
    const d = decideInBurst(discounted, 20 * MINUTE);
    const forecast = actionsOf(d.actions, 'PatchStatus')[0]?.status.forecast;
    expect(forecast).toEqual({
      at: new Date(T0).toISOString(),
      bursts: [{ startedAt: new Date(T0 - 20 * MINUTE).toISOString(), baselineReplicas: 6 }],
      levels: [{ upTo: 12, since: new Date(T0 - 20 * MINUTE).toISOString() }],
    });
  });

  it('writes the cost arithmetic into status.lastDecision.cost; only the unit prices when nothing needs placing', () => {
    const d = decideInBurst(discounted, 2 * MINUTE);
    const [patch] = actionsOf(d.actions, 'PatchStatus');
    expect(patch?.status.lastDecision.cost).toEqual(d.explanation.cost);
    expect(patch?.status.lastDecision.cost.join('\n')).toMatch(/Chosen: spill only \(6 on ACI\)/);

    const calm = decide(testSnapshot({ now: T0, queue: 30, pods: vmPods(6, T0) }), discounted, state(), T0);
    expect(calm.mode).toBe('none');
    const calmCost = actionsOf(calm.actions, 'PatchStatus')[0]?.status.lastDecision.cost ?? [];
    expect(calmCost).toEqual(calm.explanation.cost);
    expect(calmCost[0]).toContain('ACI bills 1 vCPU + 4 GB per replica');
    expect(calmCost.join('\n')).not.toMatch(/Chosen|Lindy/);
  });

  it('the first tick of a burst spills at once: creates ACI groups, Deployment stays at VM capacity', () => {
    const snapshot = testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0) });
    const d = decide(snapshot, discounted, state({ lastDesired: 6 }), T0);
    expect(d.mode).toBe('spill');
    expect(actionCounts(d.actions)).toMatchObject({ CreateBurst: 6, PatchStatus: 1 });
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([]);
    expect(emits(d).map((e) => e.reason)).toEqual(
      expect.arrayContaining(['SpillingToACI', 'PlacementChanged']),
    );
    expect(d.state.burstStartedAt).toBe(T0);
  });

  it('a burst lasting an hour bridges: the Deployment grows so the cluster autoscaler adds VMs', () => {
    const d = decideInBurst(discounted, 60 * MINUTE);
    expect(d.mode).toBe('bridge');
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 12 })]);
    expect(actionsOf(d.actions, 'CreateBurst')).toEqual([]); // the 6 ACI replicas cover the pending pods
    expect(d.explanation.cost.join('\n')).toMatch(/Chosen: bridge 6 on 2 new node\(s\)/);
    expect(emits(d).find((e) => e.reason === 'PlacementChanged')?.message).toContain('spill → bridge');
  });

  it.each([
    ['no level history: every level dates from the burst, so all 12 bridge', undefined, 18, 12],
    [
      'levels 7–12 needed for an hour, 13–18 for a minute: the base bridges, the young top spills',
      [
        { upTo: 12, since: T0 - 60 * MINUTE },
        { upTo: 18, since: T0 - MINUTE },
      ],
      12,
      12,
    ],
  ])('an hour-long burst by levels — %s', (_what, demandLevels, deployment, aci) => {
    const d = decide(
      testSnapshot({ now: T0, queue: 180, pods: vmPods(6, T0), burst: running(discounted, 6, 60 * MINUTE) }),
      discounted,
      state({
        lastDesired: 18,
        burstStartedAt: T0 - 60 * MINUTE,
        burstBaseline: 6,
        mode: 'bridge',
        ...(demandLevels ? { demandLevels } : {}),
      }),
      T0,
    );
    expect(d.desiredReplicas).toBe(18);
    expect(d.mode).toBe('bridge');
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([
      expect.objectContaining({ replicas: deployment }),
    ]);
    expect(d.aciReplicas).toBe(aci);
    if (demandLevels)
      expect(d.explanation.cost.join('\n')).toMatch(
        /Replicas 7–9: expected for 60\.0 min more → a new node[\s\S]*Replicas 13–18: expected for 60 s at most, too short for a new node[\s\S]*Chosen: bridge 6 on 2 new node\(s\) and keep 6 on ACI \(by blocks of 3, lowest levels first\)/,
      );
  });

  it('at list prices even an hour-long burst spills: a steady ACI share beats a new node', () => {
    const d = decideInBurst(listPrice, 60 * MINUTE);
    expect(d.mode).toBe('spill');
    expect(changes(d)).toEqual([]);
    const cost = d.explanation.cost.join('\n');
    expect(cost).toContain('$0.0583/h'); // ACI replica-hour
    expect(cost).toContain('$0.0640/h per VM replica');
    expect(cost).toContain('Break-even: never');
  });

  it('a node that would be mostly empty is not added: 2 full nodes, the 7th replica stays on ACI', () => {
    const snapshot = testSnapshot({ now: T0, queue: 130, pods: vmPods(6, T0) });
    const d = decide(
      snapshot,
      discounted,
      state({ lastDesired: 13, burstStartedAt: T0 - 60 * MINUTE, burstBaseline: 6 }),
      T0,
    );
    expect(d.mode).toBe('bridge');
    expect(d.aciReplicas).toBe(7); // 6 bridge while the 2 nodes boot + 1 steady
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 12 })]);
    expect(actionsOf(d.actions, 'CreateBurst')).toHaveLength(7);
    expect(d.explanation.placement.join('\n')).toContain(
      '1 more run on ACI only (cheaper than a mostly empty node)',
    );
  });

  it('free VM capacity means no ACI at all', () => {
    const snapshot = testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0), freeSlots: 6 });
    const d = decide(snapshot, listPrice, state({ lastDesired: 6 }), T0);
    expect(d).toMatchObject({ desiredReplicas: 12, vmReplicas: 12, aciReplicas: 0, mode: 'none' });
    expect(actionCounts(changes(d))).toEqual({ ScaleDeployment: 1 });
    expect(condition(d, 'Bursting')).toMatchObject({ status: 'False', reason: 'NoOverflow' });
  });

  it.each([
    ['Ready within an ACI start: no ACI, pods wait for the node', 30 * SECOND, 0, 'none'],
    ['Ready in 4 minutes: ACI bridges until then', 4 * MINUTE, 3, 'bridge'],
  ])('an incoming node %s', (_what, readyIn, aci, mode) => {
    const snapshot = testSnapshot({
      now: T0,
      queue: 90,
      pods: vmPods(6, T0),
      incoming: [{ slots: 3, readyAt: T0 + readyIn }],
    });
    const d = decide(snapshot, listPrice, state({ lastDesired: 6 }), T0);
    expect(d).toMatchObject({ aciReplicas: aci, mode });
    expect(actionsOf(d.actions, 'CreateBurst')).toHaveLength(aci);
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 9 })]);
  });

  it.each([
    ['longer than the grace: the free slots evidently do not fit, ACI covers them', 30 * SECOND, 3],
    ['within the grace: the scheduler may still place them', 10 * SECOND, 0],
  ])('pods unschedulable %s', (_what, pendingFor, aci) => {
    const pods = [...vmPods(6, T0), ...pendingPods(3, T0 - pendingFor)];
    const snapshot = testSnapshot({ now: T0, queue: 90, pods, freeSlots: 3 });
    const d = decide(snapshot, listPrice, state({ lastDesired: 9 }), T0);
    expect(d.aciReplicas).toBe(aci);
    expect(actionsOf(d.actions, 'CreateBurst')).toHaveLength(aci);
  });
});

describe('decide: a burst over time (a small world: pods fill nodes, the autoscaler adds a node for pending pods after 300 s)', () => {
  /** Runs `minutes` of 15 s ticks with `queue(t)`; returns the log of ticks that changed something. */
  const simulate = (policy: Policy, minutes: number, queue: (minute: number) => number) => {
    let nodes = 2;
    let incoming: number[] = [];
    let snapshot = testSnapshot({ now: T0, queue: 0, replicas: 6 });
    let s = state({ lastDesired: 6 });
    const log: { minute: number; mode: string; actions: Partial<Record<string, number>> }[] = [];
    for (let t = 0; t <= minutes * 60; t += 15) {
      const now = T0 + t * SECOND;
      nodes += incoming.filter((at) => at <= now).length;
      incoming = incoming.filter((at) => at > now);
      const replicas = snapshot.target!.replicas;
      const pods = [
        ...vmPods(Math.min(replicas, nodes * 3), T0),
        ...pendingPods(Math.max(0, replicas - nodes * 3), T0),
      ];
      const waiting = Math.max(0, replicas - nodes * 3 - incoming.length * 3);
      for (let i = 0; i < Math.ceil(waiting / 3); i++) incoming.push(now + 300 * SECOND);
      snapshot = {
        ...snapshot,
        pods,
        signals: [{ trigger: 'orders-queue', ok: true, value: queue(t / 60), at: now }],
        vm: {
          freeSlots: Math.max(0, nodes * 3 - replicas),
          slotsPerNode: 3,
          incoming: incoming.map((readyAt) => ({ slots: 3, readyAt })),
        },
      };
      const d = decide(snapshot, policy, s, now);
      s = d.state;
      const counts = actionCounts(changes(d));
      if (Object.keys(counts).length > 0 || d.mode !== log[log.length - 1]?.mode)
        log.push({ minute: t / 60, mode: d.mode, actions: counts });
      snapshot = startGroups(applyActions(snapshot, d.actions, now), now);
    }
    return log;
  };

  it('a 5-minute burst spills and never touches the Deployment', () => {
    const log = simulate(discounted, 20, (minute) => (minute < 5 ? 150 : 60));
    expect(log).toEqual([
      { minute: 0, mode: 'spill', actions: { CreateBurst: 9 } },
      { minute: 5, mode: 'none', actions: { DrainBurst: 9 } },
      { minute: 6, mode: 'none', actions: { DeleteBurst: 9 } },
    ]);
  });

  it('a 90-minute burst spills, bridges once past the break-even (+ hysteresis), then hands back to VMs', () => {
    const log = simulate(discounted, 120, (minute) => (minute < 90 ? 150 : 60));
    expect(log.map((l) => [l.mode, l.actions])).toEqual([
      ['spill', { CreateBurst: 9 }],
      ['bridge', { ScaleDeployment: 1 }], // the Deployment grows to 15: 9 pods pend, 3 nodes come
      ['none', { DrainBurst: 9 }], // the nodes are Ready and their pods too
      ['none', { DeleteBurst: 9 }],
      ['none', { SetPodDeletionCost: 15, ScaleDeployment: 1 }], // demand back to 6
    ]);
    const bridgeAt = log[1]!.minute;
    expect(bridgeAt).toBeGreaterThan(34); // T* ≈ 34 min: bursts shorter than that never buy nodes
    expect(bridgeAt).toBeLessThan(50); // the 10 % hysteresis delays the switch, boundedly
    expect(log[2]!.minute - bridgeAt).toBeCloseTo(5.25, 1); // provisioning (300 s) + one tick
  });

  it('ACI keeps covering pending pods while their nodes arrive (mode stays bridge, nothing changes)', () => {
    const snapshot = testSnapshot({
      now: T0,
      queue: 120,
      pods: [...vmPods(6, T0), ...pendingPods(6, T0 - 5 * MINUTE)],
      incoming: [
        { slots: 3, readyAt: T0 + 30 * SECOND },
        { slots: 3, readyAt: T0 + 30 * SECOND },
      ],
      burst: running(discounted, 6, 5 * MINUTE),
    });
    const d = decide(
      snapshot,
      discounted,
      state({ lastDesired: 12, mode: 'bridge', burstStartedAt: T0 - 40 * MINUTE, burstBaseline: 6 }),
      T0,
    );
    expect(d.mode).toBe('bridge');
    expect(changes(d)).toEqual([]);
    expect(emits(d)).toEqual([]);
  });
});

describe('decide: limits and refusals', () => {
  it('budget exhausted: no new ACI, the overflow pends for VMs, and the condition says what to change', () => {
    // One ACI replica already runs ($0.0583/h): a second would pass the $0.10/h budget.
    const policy = testPolicy({ budget: { maxBurstUSDPerHour: 0.1 } });
    const snapshot = testSnapshot({
      now: T0,
      queue: 140,
      pods: vmPods(6, T0),
      burst: running(policy, 1, 10 * MINUTE),
    });
    const d = decide(snapshot, policy, state({ lastDesired: 7 }), T0);
    expect(actionsOf(d.actions, 'CreateBurst')).toEqual([]);
    expect(d.aciReplicas).toBe(1);
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 13 })]);
    const budget = condition(d, 'BudgetExhausted');
    expect(budget).toMatchObject({ status: 'True', reason: 'BudgetExhausted' });
    expect(budget?.message).toContain('ACI spend $0.06/h of a $0.10/h budget');
    expect(budget?.message).toContain('room for 0 more replica(s) at $0.0583/h each');
    expect(budget?.message).toContain('Raise spec.cost.budget.maxBurstUSDPerHour to at least $0.47/h');
    expect(emits(d)).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'BudgetExhausted' }));
  });

  it('a budget with room for some: creates only those', () => {
    const policy = testPolicy({ budget: { maxBurstUSDPerHour: 0.25 } });
    const snapshot = testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0) });
    const d = decide(snapshot, policy, state({ lastDesired: 6 }), T0);
    expect(actionsOf(d.actions, 'CreateBurst')).toHaveLength(4); // 4 × $0.0583 = $0.2332 ≤ $0.25
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 8 })]);
    expect(condition(d, 'BudgetExhausted')?.status).toBe('True');
  });

  it('maxBurstReplicas caps ACI; the rest pend for VMs', () => {
    const policy = testPolicy({ burst: { maxBurstReplicas: 2 } });
    const d = decide(
      testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0) }),
      policy,
      state({ lastDesired: 6 }),
      T0,
    );
    expect(d.aciReplicas).toBe(2);
    expect(actionsOf(d.actions, 'CreateBurst')).toHaveLength(2);
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 10 })]);
    expect(condition(d, 'Degraded')).toMatchObject({ status: 'True', reason: 'MaxBurstReached' });
  });

  it('ACI core quota caps new replicas and surfaces as Degraded', () => {
    const snapshot = testSnapshot({
      now: T0,
      queue: 120,
      pods: vmPods(6, T0),
      quota: [
        { region: 'eastus', limitCores: 100, usedCores: 98 },
        { region: 'eastus2', limitCores: 100, usedCores: 99 },
      ],
    });
    const d = decide(snapshot, listPrice, state({ lastDesired: 6 }), T0);
    expect(actionsOf(d.actions, 'CreateBurst')).toHaveLength(3);
    expect(condition(d, 'Degraded')).toMatchObject({ status: 'True', reason: 'QuotaExhausted' });
    expect(condition(d, 'Degraded')?.message).toContain('eastus 98/100 used, eastus2 99/100 used');
  });

  it('not burstable: VM only, Burstable=False with the reasons', () => {
    const reasons = ['volumes[0] (data): persistentVolumeClaim volumes are not supported on ACI'];
    const snapshot = testSnapshot({
      now: T0,
      queue: 120,
      pods: vmPods(6, T0),
      burstable: { ok: false, reasons },
    });
    const d = decide(snapshot, listPrice, state({ lastDesired: 6 }), T0);
    expect(d).toMatchObject({ aciReplicas: 0, mode: 'none' });
    expect(actionCounts(changes(d))).toEqual({ ScaleDeployment: 1 });
    expect(condition(d, 'Burstable')).toMatchObject({ status: 'False', reason: 'NotBurstable' });
    expect(condition(d, 'Burstable')?.message).toContain(reasons[0]);
    expect(emits(d)).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'NotBurstable' }));
  });

  it('target missing: no actions but status, Ready=False TargetNotFound, the event once', () => {
    const snapshot: Snapshot = { ...testSnapshot({ now: T0, queue: 120 }) };
    delete snapshot.target;
    const d = decide(snapshot, listPrice, state(), T0);
    expect(actionCounts(d.actions)).toEqual({ PatchStatus: 1, Emit: 1 });
    expect(condition(d, 'Ready')).toMatchObject({ status: 'False', reason: 'TargetNotFound' });
    expect(condition(d, 'Ready')?.message).toContain('Deployment shop/orders-worker not found');
    const again = decide(snapshot, listPrice, d.state, T0 + 15 * SECOND);
    expect(actionCounts(again.actions)).toEqual({ PatchStatus: 1 });
  });

  it('target missing for 5 minutes: its ACI replicas are drained so they stop billing', () => {
    const snapshot: Snapshot = {
      ...testSnapshot({ now: T0, queue: 0, burst: running(listPrice, 2, 30 * MINUTE) }),
    };
    delete snapshot.target;
    const first = decide(snapshot, listPrice, state(), T0);
    expect(actionsOf(first.actions, 'DrainBurst')).toEqual([]);
    const later = decide(snapshot, listPrice, first.state, T0 + 5 * MINUTE);
    expect(actionsOf(later.actions, 'DrainBurst')).toHaveLength(2);
  });
});

describe('decide: scale-in and hand-back', () => {
  const bridged = (readyNew: number) => {
    const pods = [...vmPods(6, T0), ...vmPods(6, T0, 3, 6)];
    for (let i = 6 + readyNew; i < 12; i++) pods[i] = { ...pods[i]!, ready: false };
    return testSnapshot({ now: T0, queue: 120, pods, burst: running(discounted, 6, 6 * MINUTE) });
  };
  const bridging = state({
    lastDesired: 12,
    burstStartedAt: T0 - 60 * MINUTE,
    burstBaseline: 6,
    mode: 'bridge',
  });

  it('VM nodes become Ready during a burst: ACI replicas are drained, then deleted after the grace period', () => {
    const d = decide(bridged(6), discounted, bridging, T0);
    expect(actionCounts(changes(d))).toEqual({ DrainBurst: 6 });
    expect(d.mode).toBe('none');
    const drained = applyActions(bridged(6), d.actions, T0);
    const during = decide(drained, discounted, d.state, T0 + 30 * SECOND);
    expect(changes(during)).toEqual([]);
    const after = decide(drained, discounted, during.state, T0 + 61 * SECOND);
    expect(actionCounts(changes(after))).toEqual({ DeleteBurst: 6 });
    expect(emits(after).map((e) => e.reason)).toContain('DeletedACI');
  });

  it('VM pods scheduled but not Ready yet: only the ACI replicas they replace are drained, newest first', () => {
    const d = decide(bridged(3), discounted, bridging, T0);
    const drains = actionsOf(d.actions, 'DrainBurst');
    expect(drains).toHaveLength(3);
    // running() creates index i one second after index i-1: the newest are 5, 4, 3.
    expect(drains.map((a) => a.name)).toEqual([
      'shop-orders-worker-x-5',
      'shop-orders-worker-x-4',
      'shop-orders-worker-x-3',
    ]);
  });

  describe('slots a scale-in empties are left empty while a VM replica costs more than an ACI one', () => {
    // 9 VM pods on 3 full nodes; demand falls to 6, so the Deployment shrinks and one node empties
    // (pod deletion costs); then demand is back at 9 while the emptied node still stands (3 free slots).
    const scaleIn = (policy: Policy) => {
      const d = decide(testSnapshot({ now: T0, queue: 60, pods: vmPods(9, T0) }), policy, state(), T0);
      expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 6 })]);
      return d.state;
    };
    const later = (policy: Policy, after: ScalerState, minutes: number) =>
      decide(
        testSnapshot({ now: T0 + minutes * MINUTE, queue: 90, pods: vmPods(6, T0), freeSlots: 3 }),
        policy,
        after,
        T0 + minutes * MINUTE,
      );
    it.each([
      // [what, policy, minutes after the scale-in, Deployment replicas, new ACI replicas]
      ['list price, 1 min later: ACI serves the 3, the node can go', listPrice, 1, undefined, 3],
      ['list price, 11 min later: still held (10 min unneeded + 2 min margin)', listPrice, 11, undefined, 3],
      [
        'list price, 13 min later: the node stayed (pool minimum?), so its slots are free',
        listPrice,
        13,
        9,
        0,
      ],
      ['VMs 40 % off: a VM replica is cheaper, the slots are refilled at once', discounted, 1, 9, 0],
    ] as const)('%s', (_what, policy, minutes, deploymentReplicas, creates) => {
      const d = later(policy, scaleIn(policy), minutes);
      expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual(
        deploymentReplicas === undefined ? [] : [expect.objectContaining({ replicas: deploymentReplicas })],
      );
      expect(actionsOf(d.actions, 'CreateBurst')).toHaveLength(creates);
      if (creates > 0)
        expect(d.explanation.placement.join('\n')).toContain('left empty so the cluster autoscaler');
    });
    it('a template that cannot run on ACI refills the slots at once', () => {
      const after = scaleIn(listPrice);
      const d = decide(
        testSnapshot({
          now: T0 + MINUTE,
          queue: 90,
          pods: vmPods(6, T0),
          freeSlots: 3,
          burstable: { ok: false, reasons: ['hostPath volume'] },
        }),
        listPrice,
        after,
        T0 + MINUTE,
      );
      expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 9 })]);
    });
    it('a scale-in with nothing running removed (only unscheduled pods) holds nothing', () => {
      const snapshot = testSnapshot({ now: T0, queue: 60, pods: [...vmPods(6, T0), ...pendingPods(3, T0)] });
      expect(decide(snapshot, listPrice, state(), T0).state.vmReleased).toBeUndefined();
    });
  });

  it('scale-in removes ACI replicas before VM pods', () => {
    const snapshot = testSnapshot({
      now: T0,
      queue: 90,
      pods: vmPods(6, T0),
      burst: running(listPrice, 6, 30 * MINUTE),
    });
    const d = decide(
      snapshot,
      listPrice,
      state({ lastDesired: 12, mode: 'spill', burstStartedAt: T0 - 30 * MINUTE, burstBaseline: 6 }),
      T0,
    );
    expect(d.desiredReplicas).toBe(9);
    expect(actionCounts(changes(d))).toEqual({ DrainBurst: 3 });
  });

  it('scale-in below VM capacity: all ACI drained, then VM pods chosen so whole nodes empty', () => {
    const pods = [...vmPods(6, T0), ...vmPods(1, T0, 1, 9)]; // node-0 ×3, node-1 ×3, node-9 ×1
    const snapshot = testSnapshot({ now: T0, queue: 40, pods, burst: running(listPrice, 6, 30 * MINUTE) });
    const d = decide(
      snapshot,
      listPrice,
      state({ lastDesired: 13, mode: 'spill', burstStartedAt: T0 - 30 * MINUTE, burstBaseline: 7 }),
      T0,
    );
    expect(actionsOf(d.actions, 'DrainBurst')).toHaveLength(6);
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 4 })]);
    const costs = actionsOf(d.actions, 'SetPodDeletionCost');
    // The lone pod's node empties first: its pod costs least to delete.
    const lone = costs.find((c) => c.pod === 'orders-worker-9')!.cost;
    expect(costs.filter((c) => c.pod !== 'orders-worker-9').every((c) => c.cost > lone)).toBe(true);
    expect(costs).toHaveLength(7);
    expect(d.actions.indexOf(costs[0]!)).toBeLessThan(
      d.actions.findIndex((a) => a.kind === 'ScaleDeployment'),
    );
  });
});

describe('decide: the ACI tier scales down on its own window (spec.burst.drain.scaleDownStabilizationSeconds)', () => {
  // 6 VM pods and 6 ACI replicas serve 12; two minutes ago the metrics asked for 12, now for 9 (queue 90).
  const snapshot = testSnapshot({
    now: T0,
    queue: 90,
    pods: vmPods(6, T0),
    burst: running(listPrice, 6, 30 * MINUTE),
  });
  const history = state({
    lastDesired: 12,
    mode: 'spill',
    burstStartedAt: T0 - 30 * MINUTE,
    burstBaseline: 6,
    recommendations: [{ at: T0 - 2 * MINUTE, replicas: 12 }],
  });

  it.each([
    ['0 s (the default): the 3 ACI replicas the metrics stopped asking for go at once', 0, 3],
    ['60 s: the recommendation of 12 is older than the window, so they go', 60, 3],
    ['180 s: the recommendation of 12 is inside the window, so they stay', 180, 0],
    ["300 s, the behavior's window: ACI follows the HPA exactly", 300, 0],
    ["longer than the behavior's window: the behavior's applies", 900, 0],
  ])('%s', (_what, window, drained) => {
    const policy = testPolicy({
      behavior: defaultBehavior(),
      burst: { drain: { scaleDownStabilizationSeconds: window } },
    });
    const d = decide(snapshot, policy, history, T0);
    // The HPA's answer is untouched: desired stays at the 5-minute window's 12, the Deployment is not scaled.
    expect(d.desiredReplicas).toBe(12);
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([]);
    expect(actionsOf(d.actions, 'DrainBurst')).toHaveLength(drained);
    expect(d.aciReplicas).toBe(6 - drained);
    // The replicas let go run nowhere: VM is full (6), so the summary and the VM count must not claim them.
    expect(d.vmReplicas).toBe(6);
    expect(d.reasons[0]).toBe(
      `desired 12: 6 on VM, ${6 - drained} on ACI (spill), Deployment 6` +
        (drained > 0
          ? `; ${drained} held only by the HPA's scale-down window not run (VM full, ACI's window shorter)`
          : ''),
    );
    const line = d.explanation.placement.find((l) => l.startsWith('ACI scale-down'));
    if (drained > 0) expect(line).toContain(`${drained} ACI replica(s) held only by spec.behavior`);
    else expect(line).toBeUndefined();
  });

  it("buys no node for replicas only the behavior's window holds", () => {
    // VMs 40 % off and a burst an hour old: the overflow above the 6 VM pods is worth a node. Of its 6, the
    // top 3 are held only by the HPA's window; the node is bought for the 3 the metrics still ask for.
    const vmOff = (window: number) =>
      testPolicy({
        vm: { discountPercent: 40 },
        behavior: defaultBehavior(),
        burst: { drain: { scaleDownStabilizationSeconds: window } },
      });
    const old = { ...history, burstStartedAt: T0 - 60 * MINUTE };
    const d = decide(snapshot, vmOff(0), old, T0);
    expectBridge(
      d,
      12,
      9,
      "Of the 6 replicas needing new capacity, the top 3 are held only by spec.behavior's scale-down window " +
        "(ACI's own window asks for 9): no node is bought for them; the cost model weighs the other 3.",
      /Chosen: bridge 3 on 1 new node\(s\)/,
    );
    // ACI following the HPA's window: all 6 pend for 2 new nodes.
    const same = decide(snapshot, vmOff(300), old, T0);
    expect(actionsOf(same.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 12 })]);
    expect(same.explanation.cost.join('\n')).toMatch(/Chosen: bridge 6 on 2 new node\(s\)/);
  });

  it('an overflow only the window holds, with a node arriving: ACI covers it, bridging, and buys nothing', () => {
    // 3 slots arrive after an ACI start; the metrics ask for 9, the HPA's window holds 12. The 3 above VM
    // capacity are covered on ACI until the node is Ready; the 3 only the window holds run nowhere.
    const arriving = testSnapshot({
      now: T0,
      queue: 90,
      pods: vmPods(6, T0),
      incoming: [{ slots: 3, readyAt: T0 + 5 * MINUTE }],
    });
    const policy = testPolicy({ vm: { discountPercent: 40 }, behavior: defaultBehavior() });
    const d = decide(arriving, policy, { ...history, mode: 'bridge' }, T0);
    expect(d).toMatchObject({ desiredReplicas: 12, mode: 'bridge', aciReplicas: 3 });
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 9 })]);
    expect(d.explanation.cost).toContain(
      "Of the 3 replicas needing new capacity, the top 3 are held only by spec.behavior's scale-down window " +
        "(ACI's own window asks for 9): no new capacity is bought.",
    );
    expect(emits(d).find((e) => e.reason === 'BridgingOnACI')?.message).toMatch(
      /covering 3 replicas until VM capacity is Ready/,
    );
    expect(emits(d).find((e) => e.reason === 'PlacementChanged')).toBeUndefined();
  });

  it('demand back within the grace period: the draining replicas are resumed, nothing is created', () => {
    const policy = testPolicy({ behavior: defaultBehavior() });
    const burst = [
      ...running(listPrice, 3, 30 * MINUTE),
      ...running(listPrice, 3, 30 * MINUTE, { drainingSince: T0 - 20 * SECOND }, 3),
    ];
    const back = testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0), burst });
    const d = decide(back, policy, { ...history, lastDesired: 9 }, T0);
    expect(d.desiredReplicas).toBe(12);
    expect(actionCounts(changes(d))).toEqual({ ResumeBurst: 3 });
    const names = burst.slice(3).map((g) => g.name);
    expect(actionsOf(d.actions, 'ResumeBurst').map((a) => a.name)).toEqual(names);
    expect(emits(d).find((e) => e.reason === 'ResumedACI')?.message).toBe(
      `Resuming 3 draining ACI replica(s) (${names.join(', ')}): 6 needed on ACI again, and they still run.`,
    );
    // Executed, the next tick has nothing left to do.
    const next = decide(applyActions(back, d.actions, T0), policy, d.state, T0 + 2 * SECOND);
    expect(actionCounts(changes(next))).toEqual({});
  });
});

describe('decide: spec.burst.serviceLevel sizes the ACI tier by the wait a message may have', () => {
  // Queue 600 at 10 per replica: the HPA asks for 60. 6 VM pods fill the VMs; 6 ACI groups run, measured to
  // start in 35–40 s (median 37.5 s). A message may wait 60 s and a replica serves 1 message/s, so an ACI
  // replica can take 60 − 37.5 = 22.5 queued messages: 600 ÷ 22.5 → 27 replicas in all, 21 of them on ACI.
  const withLevel = (drain: Partial<Policy['burst']['drain']> = {}, behavior = testPolicy().behavior) =>
    testPolicy({
      behavior,
      burst: { serviceLevel: { maxQueueWaitSeconds: 60, messagesPerSecondPerReplica: 1 }, drain },
    });
  const snapshot = testSnapshot({
    now: T0,
    queue: 600,
    pods: vmPods(6, T0),
    burst: running(listPrice, 6, 30 * MINUTE),
  });
  const inBurst = (fields: Partial<ScalerState> = {}) =>
    state({ lastDesired: 60, mode: 'spill', burstStartedAt: T0 - 30 * MINUTE, burstBaseline: 6, ...fields });

  it("runs on ACI what the wait needs; the desired count and the VM pods keep the trigger's target", () => {
    const d = decide(snapshot, withLevel(), inBurst(), T0);
    expect(d.desiredReplicas).toBe(60);
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([]);
    expect(d.aciReplicas).toBe(21);
    expect(actionCounts(changes(d))).toEqual({ CreateBurst: 15 });
    expect(d.vmReplicas).toBe(6);
    expect(d.reasons[0]).toBe(
      "desired 60: 6 on VM, 21 on ACI (spill), Deployment 6; 33 not run (VM full, and the service level needs fewer on ACI than the triggers' targets)",
    );
    expect(d.explanation.recommendation).toContain(
      'Service level (spec.burst.serviceLevel): a message waits at most 60 s, a replica serves 1 message(s)/s, ' +
        'a new ACI replica serves after ~37.5 s (median create → Ready of 6 ACI groups); so an ACI replica can take ' +
        '22.5 queued messages and still meet the wait. For ACI, queue targets are raised to that backlog per replica: ' +
        'orders-queue 10 → 22.5. ' +
        'The desired count and VM pods on running nodes keep the triggers’ targets.',
    );
    expect(d.explanation.placement).toContain(
      'ACI sized by spec.burst.serviceLevel: 27 replicas in all; 33 replica(s) the desired count holds are not run ' +
        'on ACI (a drained replica that still runs is resumed if demand returns).',
    );
    expect(d.state.aciRecommendations).toEqual([{ at: T0, replicas: 27 }]);
  });

  it('buys new nodes only for what the wait needs: the replicas it leaves out pend for no node either', () => {
    // VMs 40 % off and a burst an hour old: the whole overflow is worth a node. The triggers' target asks
    // for 54 beyond the 6 VM pods; the wait needs 21 of them. Only those 21 pend for new nodes (7 of 3),
    // and the other 33 are run nowhere, as they are when spilled.
    const level = testPolicy({
      vm: { discountPercent: 40 },
      burst: { serviceLevel: { maxQueueWaitSeconds: 60, messagesPerSecondPerReplica: 1 } },
    });
    const long = inBurst({ burstStartedAt: T0 - 60 * MINUTE });
    const d = decide(snapshot, level, long, T0);
    expectBridge(
      d,
      60,
      27,
      "Of the 54 replicas needing new capacity, the top 33 are held only by the triggers' targets " +
        '(spec.burst.serviceLevel needs 27 in all): no node is bought for them; the cost model weighs the other 21.',
      /Chosen: bridge 21 on 7 new node\(s\)/,
    );
    // The 21 pending pods are covered on ACI, so they are counted once; the 33 run nowhere.
    expect(d.reasons[0]).toBe(
      "desired 60: 6 on VM, 21 on ACI (bridge), Deployment 27; 33 not run (VM full, and the service level needs fewer on ACI than the triggers' targets)",
    );
    expect(actionsOf(d.actions, 'ScaleDeployment')[0]?.reason).toBe(
      '60 replicas desired, 27 in the Deployment, 33 run nowhere (not needed on ACI, VM full)',
    );
    expect(emits(d).find((e) => e.reason === 'PlacementChanged')?.message).toBe(
      'Placement spill → bridge: bridging 21 replicas on ACI while VM nodes are added.',
    );

    // Without the service level all 54 pend for 18 new nodes.
    const without = decide(snapshot, discounted, long, T0);
    expect(actionsOf(without.actions, 'ScaleDeployment')).toEqual([
      expect.objectContaining({ replicas: 60 }),
    ]);
    expect(without.explanation.cost.join('\n')).toMatch(/Chosen: bridge 54 on 18 new node\(s\)/);
  });

  it('without it, ACI runs every replica the target asks for', () => {
    const d = decide(snapshot, listPrice, inBurst(), T0);
    expect(d.aciReplicas).toBe(54);
    expect(actionCounts(changes(d))).toEqual({ CreateBurst: 48 });
    expect(d.state.aciRecommendations).toBeUndefined();
  });

  it("holds ACI replicas for the ACI window by the service level's own history, not the HPA's", () => {
    const policy = withLevel({ scaleDownStabilizationSeconds: 120 }, defaultBehavior());
    const hpaHistory = { recommendations: [{ at: T0 - MINUTE, replicas: 60 }] };
    // A minute ago the service level asked for 40: inside the 120 s window, so 40 − 6 = 34 stay on ACI.
    const held = decide(
      snapshot,
      policy,
      inBurst({ ...hpaHistory, aciRecommendations: [{ at: T0 - MINUTE, replicas: 40 }] }),
      T0,
    );
    expect(held.desiredReplicas).toBe(60);
    expect(held.aciReplicas).toBe(34);
    // 200 s ago is outside it: sized by this tick's 27.
    const after = decide(
      snapshot,
      policy,
      inBurst({ ...hpaHistory, aciRecommendations: [{ at: T0 - 200 * SECOND, replicas: 40 }] }),
      T0,
    );
    expect(after.aciReplicas).toBe(21);
    expect(
      after.explanation.placement.some((l) =>
        l.startsWith('ACI sized by spec.burst.serviceLevel: 27 replicas in all'),
      ),
    ).toBe(true);
  });

  it.each([
    // cap, on ACI, Deployment (6 VM pods + pending for new VMs), the condition
    [30, 21, 6, undefined],
    [20, 20, 7, '21 ACI replicas wanted but spec.burst.maxBurstReplicas is 20'],
  ])(
    'under maxBurstReplicas %i the limit applies to what the wait needs: %i on ACI, Deployment %i',
    (cap, onAci, deployment, message) => {
      const capped = testPolicy({
        burst: {
          serviceLevel: { maxQueueWaitSeconds: 60, messagesPerSecondPerReplica: 1 },
          maxBurstReplicas: cap,
        },
      });
      const d = decide(snapshot, capped, inBurst(), T0);
      expect(d.aciReplicas).toBe(onAci);
      expect(actionsOf(d.actions, 'CreateBurst')).toHaveLength(onAci - 6);
      const scaled = actionsOf(d.actions, 'ScaleDeployment')[0]?.replicas ?? 6;
      expect(scaled).toBe(deployment);
      const degraded = d.conditions.find((c) => c.reason === 'MaxBurstReached');
      if (message === undefined) expect(degraded).toBeUndefined();
      else expect(degraded?.message).toContain(message);
    },
  );

  it('never runs more on ACI than without it (a history that starts empty, after a restart)', () => {
    // The HPA holds 60 from 200 s ago (its 5-minute window); the queue has fallen to 240. ACI's 120 s window
    // lets the HPA's 60 go: 24 in all, 18 on ACI. The service level's own history is empty, and recommend()
    // seeds an empty history with the current 60; ACI must still not run more than 18.
    const fallen = testSnapshot({
      now: T0,
      queue: 240,
      pods: vmPods(6, T0),
      burst: running(listPrice, 24, 30 * MINUTE),
    });
    const history = inBurst({ recommendations: [{ at: T0 - 200 * SECOND, replicas: 60 }] });
    const without = decide(
      fallen,
      testPolicy({ behavior: defaultBehavior(), burst: { drain: { scaleDownStabilizationSeconds: 120 } } }),
      history,
      T0,
    );
    const withLevel2 = decide(
      fallen,
      withLevel({ scaleDownStabilizationSeconds: 120 }, defaultBehavior()),
      history,
      T0,
    );
    expect(without.desiredReplicas).toBe(60);
    expect(without.aciReplicas).toBe(18);
    expect(withLevel2.aciReplicas).toBeLessThanOrEqual(18);
  });

  it('remembers the measured ACI start between bursts', () => {
    const d = decide(snapshot, withLevel(), inBurst(), T0);
    expect(d.state.aciStart).toEqual({ seconds: 37.5, groups: 6 });
    // Next burst, no group left yet: the earlier measurement, not spec.cost.aci.startSeconds (45 s).
    const next = decide(
      testSnapshot({ now: T0 + 60 * MINUTE, queue: 600, pods: vmPods(6, T0 + 60 * MINUTE) }),
      withLevel(),
      { ...d.state, lastDesired: 6 },
      T0 + 60 * MINUTE,
    );
    expect(next.explanation.recommendation.find((l) => l.startsWith('Service level'))).toContain(
      '~37.5 s (median create → Ready of 6 ACI groups, measured in an earlier burst)',
    );
  });

  it('does not remember an estimate that groups still starting raised: it is not a measured start', () => {
    // An earlier burst measured 16 s. Now 2 groups took 100 s and 10 more, created 120 s ago, still start.
    const slow = testSnapshot({
      now: T0,
      queue: 600,
      pods: vmPods(6, T0),
      burst: [
        ...running(listPrice, 2, 10 * MINUTE).map((g) => ({ ...g, readyAt: g.createdAt + 100 * SECOND })),
        ...Array.from({ length: 10 }, (_, i) =>
          group(listPrice, 10 + i, { createdAt: T0 - 120 * SECOND, ready: false, state: 'Pending' }),
        ),
      ],
    });
    const d = decide(slow, withLevel(), inBurst({ aciStart: { seconds: 16, groups: 14 } }), T0);
    expect(d.explanation.recommendation.find((l) => l.startsWith('Service level'))).toContain(
      '10 of them still starting and counted at their age so far',
    );
    expect(d.state.aciStart).toEqual({ seconds: 16, groups: 14 });
    expect(actionsOf(d.actions, 'PatchStatus')[0]?.status.forecast?.aciStart).toEqual({
      seconds: 16,
      groups: 14,
    });
  });
});

describe('decide: while ACI creates are scarce, drained replicas stay resumable longer', () => {
  // 6 VM pods serve the demand (queue 60); one ACI replica was drained 100 s ago (grace 60 s).
  const drained = running(listPrice, 1, 30 * MINUTE, { drainingSince: T0 - 100 * SECOND });
  const at = (available: number) =>
    decide(
      {
        ...testSnapshot({ now: T0, queue: 60, pods: vmPods(6, T0), burst: drained }),
        createBudget: [
          { region: 'eastus', available, capacity: 100 },
          { region: 'eastus2', available, capacity: 100 },
          { region: 'westeurope', available: 0, capacity: 100 }, // not one of the policy's regions
        ],
      },
      listPrice,
      state({ lastDesired: 6 }),
      T0,
    );

  it.each([
    ['plenty of creates left (60 %): deleted after the 60 s grace', 60, 1],
    ['a quarter left: still deleted', 25, 1],
    ['less than a quarter left (20 %): kept, resumable, for 3 × 60 s', 20, 0],
  ])('%s', (_what, available, deleted) => {
    const d = at(available);
    expect(actionsOf(d.actions, 'DeleteBurst')).toHaveLength(deleted);
    const line = d.explanation.placement.find((l) => l.startsWith('ACI creates are scarce'));
    if (deleted === 0)
      expect(line).toBe(
        `ACI creates are scarce: ${2 * available} of 200 left in the provider's pacing window (ACI allows 100 per 5 min and 300 per hour per region); drained replicas are kept, resumable, for 180 s instead of 60 s, so a surge still finds creates.`,
      );
    else expect(line).toBeUndefined();
  });
});

describe('decide: creates beyond what ACI allows now are not attempted', () => {
  // The first tick of a burst to 12 (queue 120, 6 VM pods): 6 replicas wanted on ACI.
  const first = (createBudget: Snapshot['createBudget']) =>
    decide(
      {
        ...testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0) }),
        ...(createBudget ? { createBudget } : {}),
      },
      listPrice,
      state({ lastDesired: 6 }),
      T0,
    );

  it("creates only as many as the pacing window has left over the policy's regions; the Deployment stays capped", () => {
    const d = first([
      { region: 'eastus', available: 1, capacity: 100 },
      { region: 'eastus2', available: 2.7, capacity: 100 },
    ]);
    expect(actionsOf(d.actions, 'CreateBurst')).toHaveLength(3);
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([]);
    expect(d.reasons.join('\n')).toContain(
      "3 create(s) left in the provider's pacing window, so 3 more wait",
    );
  });

  it('does not limit creates when a region of the policy reports no budget (the count would be partial)', () => {
    expect(
      actionsOf(first([{ region: 'eastus', available: 1, capacity: 100 }]).actions, 'CreateBurst'),
    ).toHaveLength(6);
    expect(actionsOf(first(undefined).actions, 'CreateBurst')).toHaveLength(6);
  });
});

describe('decide: failures and rollouts', () => {
  const spill = state({ lastDesired: 12, mode: 'spill', burstStartedAt: T0 - 10 * MINUTE, burstBaseline: 6 });

  it('a failed group is deleted and replaced, with a Warning and Degraded', () => {
    const burst = running(listPrice, 6, 10 * MINUTE);
    burst[2] = { ...burst[2]!, state: 'Failed', ready: false, failureReason: 'ContainerCrashed' };
    const d = decide(testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0), burst }), listPrice, spill, T0);
    expect(actionsOf(d.actions, 'DeleteBurst').map((a) => a.name)).toEqual([burst[2].name]);
    expect(actionsOf(d.actions, 'CreateBurst').map((a) => a.index)).toEqual([6]);
    expect(emits(d)).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'ACIReplicaFailed' }));
    expect(condition(d, 'Degraded')).toMatchObject({ status: 'True', reason: 'ReplacingFailedReplicas' });
  });

  it('InaccessibleImage: not replaced, Degraded says why, the overflow goes to VMs', () => {
    const burst = running(listPrice, 6, 30 * SECOND, {
      state: 'Failed',
      ready: false,
      failureReason: 'InaccessibleImage',
    });
    const snapshot = testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0), burst });
    const d = decide(snapshot, listPrice, spill, T0);
    expect(actionsOf(d.actions, 'CreateBurst')).toEqual([]);
    expect(actionsOf(d.actions, 'DeleteBurst')).toHaveLength(5); // one is kept as the marker
    expect(actionsOf(d.actions, 'ScaleDeployment')).toEqual([expect.objectContaining({ replicas: 12 })]);
    expect(condition(d, 'Degraded')).toMatchObject({ status: 'True', reason: 'InaccessibleImage' });
    expect(condition(d, 'Degraded')?.message).toContain('Check the image name and tag');
    const after = applyActions(snapshot, d.actions, T0);
    const again = decide(after, listPrice, d.state, T0 + 15 * SECOND);
    expect(changes(again)).toEqual([]);
    expect(emits(again)).toEqual([]);
  });

  it('a template change rolls ACI replicas within maxSurge/maxUnavailable until all run the new one', () => {
    const policy = listPrice;
    let snapshot = testSnapshot({
      now: T0,
      queue: 100,
      pods: vmPods(6, T0),
      burst: running(policy, 4, 30 * MINUTE),
      templateHash: 'tpl-2',
    });
    let s = state({ lastDesired: 10, mode: 'spill', burstStartedAt: T0 - 30 * MINUTE, burstBaseline: 6 });
    let now = T0;
    for (let tick = 0; tick < 40; tick++) {
      const d = decide(snapshot, policy, s, now);
      snapshot = startGroups(applyActions(snapshot, d.actions, now), now);
      s = d.state;
      const live = snapshot.burst.filter((g) => g.drainingSince === undefined);
      expect(live.length).toBeLessThanOrEqual(5); // 4 + maxSurge 1
      expect(live.filter((g) => g.ready).length).toBeGreaterThanOrEqual(4); // maxUnavailable 0
      now += 15 * SECOND;
      if (snapshot.burst.every((g) => g.templateHash === 'tpl-2') && snapshot.burst.length === 4) break;
    }
    expect(snapshot.burst.map((g) => g.templateHash)).toEqual(['tpl-2', 'tpl-2', 'tpl-2', 'tpl-2']);
  });

  it('a rollout whose new groups cannot pull the image stops and keeps the old ones', () => {
    const burst = [
      ...running(listPrice, 4, 30 * MINUTE),
      group(listPrice, 4, {
        createdAt: T0 - 20 * SECOND,
        state: 'Failed',
        ready: false,
        failureReason: 'InaccessibleImage',
        templateHash: 'tpl-2',
      }),
    ];
    const snapshot = testSnapshot({ now: T0, queue: 100, pods: vmPods(6, T0), burst, templateHash: 'tpl-2' });
    const d = decide(
      snapshot,
      listPrice,
      state({ lastDesired: 10, mode: 'spill', burstStartedAt: T0 - 30 * MINUTE, burstBaseline: 6 }),
      T0,
    );
    expect(changes(d)).toEqual([]);
    expect(condition(d, 'Degraded')).toMatchObject({ status: 'True', reason: 'RolloutStopped' });
  });
});

describe('decide: idempotency (decide, execute, decide again on the result)', () => {
  const cases: [string, Snapshot, Policy, ScalerState][] = [
    [
      'first tick of a spill',
      testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0) }),
      discounted,
      state({ lastDesired: 6 }),
    ],
    [
      'fresh bridge',
      testSnapshot({ now: T0, queue: 130, pods: vmPods(6, T0) }),
      discounted,
      state({ lastDesired: 13, burstStartedAt: T0 - 60 * MINUTE, burstBaseline: 6 }),
    ],
    [
      'budget allows some',
      testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0), burst: running(listPrice, 2, 10 * MINUTE) }),
      testPolicy({ budget: { maxBurstUSDPerHour: 0.25 } }),
      state({ lastDesired: 6 }),
    ],
    [
      'scale-in with deletion costs',
      testSnapshot({ now: T0, queue: 40, pods: vmPods(7, T0, 3), burst: running(listPrice, 3, 30 * MINUTE) }),
      listPrice,
      state({ lastDesired: 10, mode: 'spill' }),
    ],
    [
      'template rollout',
      testSnapshot({
        now: T0,
        queue: 100,
        pods: vmPods(6, T0),
        burst: running(listPrice, 4, 30 * MINUTE),
        templateHash: 'tpl-2',
      }),
      listPrice,
      state({ lastDesired: 10, mode: 'spill' }),
    ],
  ];
  it.each(cases)('%s', (_what, snapshot, policy, s) => {
    const first = decide(snapshot, policy, s, T0);
    expect(changes(first).length).toBeGreaterThan(0);
    const after = applyActions(snapshot, first.actions, T0);
    const second = decide(after, policy, first.state, T0);
    expect(changes(second)).toEqual([]);
    expect(emits(second)).toEqual([]);
  });
});

describe('decide: explanation and status', () => {
  it('shows the arithmetic and patches status every tick', () => {
    const snapshot = testSnapshot({ now: T0, queue: 120, pods: vmPods(6, T0) });
    const d = decide(snapshot, discounted, state({ lastDesired: 6 }), T0);
    expect(d.explanation.cost[0]).toContain('ACI bills 1 vCPU + 4 GB per replica');
    expect(d.explanation.cost.join('\n')).toContain('× (1 − 40% discount) = $0.1152/h');
    expect(d.explanation.placement.join('\n')).toContain('Deployment replicas: 6; mode: spill');
    const status = actionsOf(d.actions, 'PatchStatus')[0]?.status;
    expect(status).toMatchObject({
      observedGeneration: 3,
      desiredReplicas: 12,
      vmReplicas: 6,
      aciReplicas: 0,
      mode: 'spill',
    });
    expect(status?.lastDecision.summary).toBe('desired 12: 6 on VM, 6 on ACI (spill), Deployment 6');
    expect(status?.conditions.map((c) => c.type)).toEqual([
      'Ready',
      'Active',
      'Bursting',
      'Degraded',
      'BudgetExhausted',
      'Burstable',
      'Fallback',
    ]);
    expect(status?.costUSDPerHour).toBeCloseTo(6 * 0.0384, 6);
  });
});

describe('decide: with a compiled policy', () => {
  it('decides for the DESIGN.md example BurstScaler with its defaults (HPA rate limits included)', () => {
    const policy = compilePolicy({
      ...exampleBurstScaler,
      metadata: {
        ...exampleBurstScaler.metadata,
        uid: '6f1c2c1e-1111-2222-3333-444455556666',
        generation: 1,
      },
    });
    const [queue, prometheus] = policy.triggers;
    const snapshot: Snapshot = {
      ...testSnapshot({ now: T0, queue: 0, pods: vmPods(6, T0) }),
      signals: [
        { trigger: queue!.name, ok: true, value: 400, at: T0 }, // 400 / 20 → 20
        { trigger: prometheus!.name, ok: true, value: 300, at: T0 }, // 300 / 50 → 6
      ],
    };
    const d = decide(snapshot, policy, emptyState(), T0);
    // The HPA's default scale-up policy allows max(4 pods, 100%) per 15 s: 6 → 12.
    expect(d).toMatchObject({ desiredReplicas: 12, aciReplicas: 6, mode: 'spill' });
    expect(actionsOf(d.actions, 'CreateBurst').map((c) => c.regions)).toEqual(
      Array(6).fill(['eastus', 'eastus2']),
    );
    expect(d.explanation.recommendation.join('\n')).toContain(queue!.name);
  });
});

describe('decide: properties', () => {
  const groupArb = (i: number) =>
    fc
      .record({
        state: fc.constantFrom('Pending', 'Running', 'Running', 'Failed', 'Stopped', 'Unknown'),
        ready: fc.boolean(),
        ageSeconds: fc.integer({ min: 0, max: 7200 }),
        draining: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
        oldTemplate: fc.boolean(),
        failureReason: fc.constantFrom(undefined, 'InaccessibleImage', 'ContainerCrashed'),
      })
      .map((g) =>
        group(listPrice, i, {
          createdAt: T0 - g.ageSeconds * SECOND,
          state: g.state,
          ready: g.state === 'Running' && g.ready,
          templateHash: g.oldTemplate ? 'tpl-0' : 'tpl-1',
          ...(g.draining !== undefined ? { drainingSince: T0 - g.draining * SECOND } : {}),
          ...(g.state === 'Failed' && g.failureReason ? { failureReason: g.failureReason } : {}),
        }),
      );
  const world = fc.record({
    queue: fc.integer({ min: 0, max: 5000 }),
    vmPods: fc.integer({ min: 0, max: 40 }),
    freeSlots: fc.integer({ min: 0, max: 20 }),
    slotsPerNode: fc.integer({ min: 0, max: 8 }),
    incoming: fc.array(
      fc.record({ slots: fc.integer({ min: 0, max: 8 }), inSeconds: fc.integer({ min: 0, max: 900 }) }),
      { maxLength: 3 },
    ),
    groups: fc
      .integer({ min: 0, max: 12 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => groupArb(i)))),
    maxBurst: fc.integer({ min: 0, max: 15 }),
    maxReplicas: fc.integer({ min: 1, max: 300 }),
    budget: fc.option(fc.double({ min: 0, max: 2, noNaN: true }), { nil: undefined }),
    burstable: fc.boolean(),
    discount: fc.integer({ min: 0, max: 60 }),
    burstAgeMinutes: fc.option(fc.integer({ min: 0, max: 240 }), { nil: undefined }),
    mode: fc.constantFrom(undefined, 'none', 'bridge', 'spill'),
  });
  const ownSpend = (groups: BurstReplica[]) =>
    groups.filter((g) => g.state !== 'Failed' && g.state !== 'Stopped').length * 0.0582984;
  type World = typeof world extends fc.Arbitrary<infer T> ? T : never;
  const build = (w: World) => {
    const policy = testPolicy({
      maxReplicas: w.maxReplicas,
      burst: { maxBurstReplicas: w.maxBurst },
      vm: { discountPercent: w.discount },
      ...(w.budget !== undefined ? { budget: { maxBurstUSDPerHour: w.budget } } : {}),
    });
    const snapshot = testSnapshot({
      now: T0,
      queue: w.queue,
      pods: vmPods(w.vmPods, T0),
      freeSlots: w.freeSlots,
      slotsPerNode: w.slotsPerNode,
      incoming: w.incoming.map((n) => ({ slots: n.slots, readyAt: T0 + n.inSeconds * SECOND })),
      burst: w.groups,
      burstable: w.burstable
        ? { ok: true }
        : { ok: false, reasons: ['hostPath volumes are not supported on ACI'] },
    });
    const s = state({
      // Within [minReplicas, maxReplicas]: outside, the HPA first clamps and scales on metrics a tick later.
      lastDesired: Math.max(1, Math.min(w.vmPods + w.groups.length, w.maxReplicas)),
      ...(w.mode ? { mode: w.mode } : {}),
      ...(w.burstAgeMinutes !== undefined
        ? { burstStartedAt: T0 - w.burstAgeMinutes * MINUTE, burstBaseline: w.vmPods }
        : {}),
    });
    return { policy, snapshot, s };
  };
  const liveCount = (snapshot: Snapshot) =>
    snapshot.burst.filter(
      (g) => g.drainingSince === undefined && g.state !== 'Failed' && g.state !== 'Stopped',
    ).length;

  it('never plans more ACI replicas than maxBurstReplicas, nor a total above maxReplicas', () => {
    fc.assert(
      fc.property(world, (w) => {
        const { policy, snapshot, s } = build(w);
        const d = decide(snapshot, policy, s, T0);
        expect(d.aciReplicas).toBeLessThanOrEqual(w.maxBurst);
        expect(d.desiredReplicas).toBeLessThanOrEqual(w.maxReplicas);
        expect(d.vmReplicas + d.aciReplicas).toBeLessThanOrEqual(w.maxReplicas);
        for (const a of actionsOf(d.actions, 'ScaleDeployment'))
          expect(a.replicas).toBeLessThanOrEqual(w.maxReplicas);
        const after = applyActions(snapshot, d.actions, T0);
        expect(liveCount(after)).toBeLessThanOrEqual(Math.max(w.maxBurst, liveCount(snapshot)));
        // Creates only fill room left under maxBurstReplicas after this tick's removals.
        const removedLive = [
          ...actionsOf(d.actions, 'DrainBurst'),
          ...actionsOf(d.actions, 'DeleteBurst'),
        ].filter(
          (a) => liveCount({ ...snapshot, burst: snapshot.burst.filter((g) => g.name === a.name) }) === 1,
        ).length;
        expect(actionsOf(d.actions, 'CreateBurst').length).toBeLessThanOrEqual(
          Math.max(0, w.maxBurst - (liveCount(snapshot) - removedLive)),
        );
        const names = snapshot.burst.map((g) => g.name);
        for (const c of actionsOf(d.actions, 'CreateBurst')) expect(names).not.toContain(c.name);
      }),
      { numRuns: 300 },
    );
  });

  it('never creates ACI replicas when the budget has no room for one more', () => {
    fc.assert(
      fc.property(world, (w) => {
        const { policy, snapshot, s } = build(w);
        const d = decide(snapshot, policy, s, T0);
        const perReplica = 0.0582984;
        // Drained groups this decision deletes stop billing before any create.
        const deleted = new Set(actionsOf(d.actions, 'DeleteBurst').map((a) => a.name));
        const leaving = ownSpend(
          snapshot.burst.filter((g) => g.drainingSince !== undefined && deleted.has(g.name)),
        );
        const spend = ownSpend(snapshot.burst) - leaving;
        if (w.budget !== undefined && spend + perReplica > w.budget + 1e-9) {
          expect(actionsOf(d.actions, 'CreateBurst')).toEqual([]);
        }
        if (w.budget !== undefined && spend <= w.budget) {
          const created = actionsOf(d.actions, 'CreateBurst').length;
          expect(spend + created * perReplica).toBeLessThanOrEqual(w.budget + 1e-9);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is idempotent: deciding again on the executed result creates, scales and drains nothing more', () => {
    fc.assert(
      fc.property(world, (w) => {
        const { policy, snapshot, s } = build(w);
        const first = decide(snapshot, policy, s, T0);
        const second = decide(applyActions(snapshot, first.actions, T0), policy, first.state, T0);
        const counts = actionCounts(second.actions);
        expect(counts.CreateBurst ?? 0).toBe(0);
        expect(counts.ScaleDeployment ?? 0).toBe(0);
        expect(counts.DrainBurst ?? 0).toBe(0);
        expect(counts.SetPodDeletionCost ?? 0).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('over many ticks from scratch, live ACI replicas stay within maxBurstReplicas and the budget', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 5, maxLength: 30 }),
        fc.integer({ min: 0, max: 10 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        (queues, maxBurst, budget) => {
          const policy = testPolicy({
            burst: { maxBurstReplicas: maxBurst },
            budget: { maxBurstUSDPerHour: budget },
          });
          let snapshot = testSnapshot({ now: T0, queue: 0, pods: vmPods(4, T0) });
          let s = state({ lastDesired: 4 });
          let now = T0;
          for (const queue of queues) {
            snapshot = {
              ...snapshot,
              signals: [{ trigger: 'orders-queue', ok: true, value: queue, at: now }],
            };
            const d = decide(snapshot, policy, s, now);
            snapshot = startGroups(applyActions(snapshot, d.actions, now), now);
            s = d.state;
            expect(liveCount(snapshot)).toBeLessThanOrEqual(maxBurst);
            expect(liveCount(snapshot) * 0.0582984).toBeLessThanOrEqual(budget + 1e-9);
            now += 15 * SECOND;
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
