import { describe, expect, it } from 'vitest';
import { burstGroupName } from './naming.ts';
import { deletionOrder } from '../sim/cluster/scheduler.ts';
import {
  assessFailures,
  backoffSeconds,
  NODE_COST_SPACING,
  planBursts,
  podDeletionCosts,
  removalOrder,
} from './plan.ts';
import type { BurstPlanInput } from './plan.ts';
import { group, MINUTE, SECOND, T0, testPolicy, vmPods } from './testing.ts';
import type { BurstReplica, PodInfo } from './types.ts';

const policy = testPolicy();
const g = (index: number, fields: Partial<BurstReplica> = {}) =>
  group(policy, index, { createdAt: T0 - 10 * MINUTE, ...fields });

const planInput = (groups: BurstReplica[], fields: Partial<BurstPlanInput> = {}): BurstPlanInput => ({
  key: policy.key,
  now: T0,
  groups,
  templateHash: 'tpl-1',
  target: groups.length,
  keep: groups.length,
  maxBurstReplicas: 200,
  newAllowed: Infinity,
  allowCreate: true,
  failures: assessFailures(groups, fields.templateHash ?? 'tpl-1', [], T0),
  maxSurge: 1,
  maxUnavailable: 0,
  regions: ['eastus', 'eastus2'],
  priority: 'Regular',
  gracePeriodSeconds: 60,
  minBurstLifetimeSeconds: 60,
  ...fields,
});

describe('removalOrder (scale-in takes the first ones)', () => {
  it.each([
    [
      'a group that has not started goes before a Ready one',
      [g(0), g(1, { state: 'Pending', ready: false })],
      [1, 0],
    ],
    ['started but not Ready goes before Ready', [g(0), g(1, { ready: false })], [1, 0]],
    ['old template before current', [g(0), g(1, { templateHash: 'tpl-0' })], [1, 0]],
    ['failover region before the preferred one', [g(0), g(1, { region: 'eastus2' })], [1, 0]],
    ['Regular (dearer) before Spot', [g(0, { priority: 'Spot' }), g(1)], [1, 0]],
    [
      'otherwise newest first',
      [
        g(0, { createdAt: T0 - 30 * MINUTE }),
        g(1, { createdAt: T0 - 5 * MINUTE }),
        g(2, { createdAt: T0 - 20 * MINUTE }),
      ],
      [1, 2, 0],
    ],
  ])('%s', (_what, groups, order) => {
    expect(removalOrder(groups, 'tpl-1', 'eastus').map((x) => x.index)).toEqual(order);
  });
});

describe('backoffSeconds', () => {
  it.each([
    [0, 0],
    [1, 0],
    [2, 10],
    [3, 20],
    [6, 160],
    [7, 300],
    [20, 300],
  ])('after %i failures: %i s', (failures, seconds) => {
    expect(backoffSeconds(failures)).toBe(seconds);
  });
});

describe('assessFailures', () => {
  it('records a failure once, however many ticks see the group', () => {
    const failed = g(0, { state: 'Failed', failureReason: 'ContainerCrashed' });
    const first = assessFailures([failed], 'tpl-1', [], T0);
    expect(first.newlyFailed.map((x) => x.name)).toEqual([failed.name]);
    const second = assessFailures([failed], 'tpl-1', first.records, T0 + 5 * SECOND);
    expect(second.newlyFailed).toEqual([]);
    expect(second.records).toHaveLength(1);
  });
  it('forgets failures after 10 minutes', () => {
    const first = assessFailures([g(0, { state: 'Failed' })], 'tpl-1', [], T0);
    expect(assessFailures([], 'tpl-1', first.records, T0 + 11 * MINUTE).records).toEqual([]);
  });
  it.each([
    [
      'InaccessibleImage of the current template blocks creates',
      [g(0, { state: 'Failed', failureReason: 'InaccessibleImage', createdAt: T0 - MINUTE })],
      'InaccessibleImage',
    ],
    [
      'with old-template groups serving, it stops the rollout',
      [
        g(0, { templateHash: 'tpl-0' }),
        g(1, { state: 'Failed', failureReason: 'InaccessibleImage', createdAt: T0 - MINUTE }),
      ],
      'RolloutStopped',
    ],
    [
      'an old template that failed does not block the current one',
      [
        g(0, {
          state: 'Failed',
          failureReason: 'InaccessibleImage',
          templateHash: 'tpl-0',
          createdAt: T0 - MINUTE,
        }),
      ],
      undefined,
    ],
    [
      'retried 10 minutes after the failure',
      [g(0, { state: 'Failed', failureReason: 'InaccessibleImage', createdAt: T0 - 11 * MINUTE })],
      undefined,
    ],
    [
      'three crashes of the new template stop the rollout',
      [
        g(0, { templateHash: 'tpl-0' }),
        g(1, { state: 'Failed', failureReason: 'ContainerCrashed' }),
        g(2, { state: 'Failed', failureReason: 'ContainerCrashed' }),
        g(3, { state: 'Failed', failureReason: 'ContainerCrashed' }),
      ],
      'RolloutStopped',
    ],
  ])('%s', (_what, groups, blocked) => {
    expect(assessFailures(groups, 'tpl-1', [], T0).blocked?.reason).toBe(blocked);
  });
  it('backs off creates after repeated failures', () => {
    const groups = [g(0, { state: 'Failed' }), g(1, { state: 'Stopped' })];
    expect(assessFailures(groups, 'tpl-1', [], T0).backoffUntil).toBe(T0 + 10 * SECOND);
    expect(assessFailures([g(0, { state: 'Failed' })], 'tpl-1', [], T0).backoffUntil).toBeUndefined();
  });
});

describe('planBursts', () => {
  it('creates the missing groups with the lowest free indexes and deterministic names', () => {
    const plan = planBursts(planInput([g(0), g(2)], { target: 5, keep: 5 }));
    expect(plan.creates.map((c) => [c.index, c.name])).toEqual(
      [1, 3, 4].map((i) => [i, burstGroupName(policy.key, i)]),
    );
    expect(plan.creates[0]).toMatchObject({
      regions: ['eastus', 'eastus2'],
      priority: 'Regular',
      templateHash: 'tpl-1',
    });
    expect(plan.liveAfter).toBe(5);
  });
  it('counts Pending groups as existing (no duplicate creates)', () => {
    const plan = planBursts(
      planInput([g(0, { state: 'Pending', ready: false, createdAt: T0 })], { target: 1, keep: 1 }),
    );
    expect(plan.creates).toEqual([]);
  });
  it.each([
    ['maxBurstReplicas', { maxBurstReplicas: 3 }, 3],
    ['budget/quota', { newAllowed: 1 }, 1],
    ['not allowed', { allowCreate: false }, 0],
    ['ACI create limits', { createsAvailable: 2 }, 2],
  ])('caps creates by %s', (_what, fields, live) => {
    expect(planBursts(planInput([], { target: 6, keep: 6, ...fields })).liveAfter).toBe(live);
  });
  it('says how many creates wait for ACI create limits, and resumes need none', () => {
    const draining = g(0, { createdAt: T0 - 30 * MINUTE, drainingSince: T0 - 10 * SECOND });
    const plan = planBursts(planInput([draining], { target: 5, keep: 5, createsAvailable: 1 }));
    expect(plan.resumes.map((r) => r.name)).toEqual([draining.name]);
    expect(plan.creates).toHaveLength(1);
    expect(plan.lines).toContain(
      "ACI's create limits (100 per 5 minutes and 300 per hour per region): 1 create(s) left in the provider's " +
        'pacing window, so 3 more wait until it refills.',
    );
    expect(planBursts(planInput([], { target: 2, keep: 2, createsAvailable: 5 })).lines).toEqual([]);
  });
  it('drains Ready groups and deletes not-started ones directly; young ones wait', () => {
    const groups = [
      g(0, { createdAt: T0 - 30 * MINUTE }),
      g(1, { createdAt: T0 - 20 * MINUTE }),
      g(2, { state: 'Pending', ready: false, createdAt: T0 - 2 * MINUTE }),
      g(3, { createdAt: T0 - 30 * SECOND }),
    ];
    const plan = planBursts(planInput(groups, { target: 0, keep: 0 }));
    expect(plan.deletes.map((d) => d.name)).toEqual([groups[2]?.name]);
    expect(plan.drains.map((d) => d.name)).toEqual([groups[1]?.name, groups[0]?.name]);
    expect(plan.protectedByLifetime).toBe(1);
    expect(plan.lines.join('\n')).toContain('minBurstLifetimeSeconds');
  });
  it('deletes drained groups only after the grace period', () => {
    const groups = [g(0, { drainingSince: T0 - 59 * SECOND }), g(1, { drainingSince: T0 - 60 * SECOND })];
    const plan = planBursts(planInput(groups, { target: 0, keep: 0 }));
    expect(plan.deletes.map((d) => d.name)).toEqual([groups[1]?.name]);
    expect(plan.drainedDeleted).toEqual([groups[1]?.name]);
  });
  it('deletes a failed group and creates its replacement under a new index', () => {
    const groups = [g(0), g(1, { state: 'Failed', failureReason: 'ContainerCrashed' })];
    const plan = planBursts(planInput(groups, { target: 2, keep: 2 }));
    expect(plan.deletes.map((d) => d.name)).toEqual([groups[1]?.name]);
    expect(plan.deletes[0]?.reason).toContain('ContainerCrashed');
    expect(plan.creates.map((c) => c.index)).toEqual([2]);
  });
  it('keeps an InaccessibleImage group as the marker and creates nothing', () => {
    const groups = [g(0, { state: 'Failed', failureReason: 'InaccessibleImage', createdAt: T0 - MINUTE })];
    const plan = planBursts(planInput(groups, { target: 3, keep: 3 }));
    expect(plan.deletes).toEqual([]);
    expect(plan.creates).toEqual([]);
  });

  describe('template change: a rollout within maxSurge / maxUnavailable', () => {
    const old = (i: number, fields: Partial<BurstReplica> = {}) => g(i, { templateHash: 'tpl-0', ...fields });
    it.each([
      [
        'surge 1, unavailable 0: one new group first, no old one removed yet',
        [old(0), old(1), old(2), old(3)],
        1,
        0,
        1,
        0,
      ],
      [
        'the new one is Ready: one old drained, one more new in the room it frees',
        [old(0), old(1), old(2), old(3), g(4)],
        1,
        0,
        1,
        1,
      ],
      [
        'surge 0, unavailable 1: one old drained, one new in its place',
        [old(0), old(1), old(2), old(3)],
        0,
        1,
        1,
        1,
      ],
      [
        'surge 2, unavailable 1: one old drained, three new (6 live at most)',
        [old(0), old(1), old(2), old(3)],
        2,
        1,
        3,
        1,
      ],
      ['a not-Ready old group can always go', [old(0), old(1), old(2), old(3, { ready: false })], 1, 0, 2, 1],
    ])('%s', (_what, groups, maxSurge, maxUnavailable, creates, removes) => {
      const plan = planBursts(planInput(groups, { target: 4, keep: 4, maxSurge, maxUnavailable }));
      expect(plan.rolling).toBe(true);
      expect(plan.creates).toHaveLength(creates);
      expect(plan.drains.length + plan.deletes.length).toBe(removes);
      expect(
        [...plan.drains, ...plan.deletes].every(
          (a) => groups.find((x) => x.name === a.name)?.templateHash === 'tpl-0',
        ),
      ).toBe(true);
    });
    it('a stopped rollout keeps the old groups', () => {
      const groups = [
        old(0),
        old(1),
        g(2, { state: 'Failed', failureReason: 'InaccessibleImage', createdAt: T0 - MINUTE }),
      ];
      const plan = planBursts(planInput(groups, { target: 2, keep: 2 }));
      expect(plan.rolling).toBe(false);
      expect(plan.creates).toEqual([]);
      expect(plan.drains).toEqual([]);
      expect(plan.deletes).toEqual([]);
      expect(plan.lines.join('\n')).toContain('InaccessibleImage');
    });
  });
});

describe('podDeletionCosts', () => {
  const costOf = (costs: ReturnType<typeof podDeletionCosts>) =>
    Object.fromEntries(costs.map((c) => [c.pod, c.cost]));
  /** The pods with the costs written (what the cluster holds after the actions). */
  const applied = (pods: PodInfo[], costs: ReturnType<typeof podDeletionCosts>): PodInfo[] => {
    const byPod = costOf(costs);
    return pods.map((p) => (byPod[p.name] === undefined ? p : { ...p, deletionCost: byPod[p.name] }));
  };
  /** The order the ReplicaSet controller deletes these pods in on a scale-in (the simulator's model of it). */
  const replicaSetOrder = (pods: PodInfo[]) =>
    deletionOrder(
      pods.map((p) => ({
        name: p.name,
        ...(p.nodeName ? { nodeName: p.nodeName } : {}),
        running: p.phase === 'Running',
        ready: p.ready,
        deletionCost: p.deletionCost ?? 0,
        createdAt: p.createdAt,
      })),
    );

  it('gives every pod on a node the same cost, lower on nodes with fewer target pods, so whole nodes empty first', () => {
    // node-0 runs 3 pods (0-2), node-3 runs 1 (3), node-2 runs 2 (4, 5).
    const pods = [...vmPods(3, T0, 3, 0), ...vmPods(1, T0, 1, 3), ...vmPods(2, T0, 2, 4)];
    const byPod = costOf(podDeletionCosts(pods, 'scaling in'));
    expect(Object.keys(byPod).sort()).toEqual(pods.map((p) => p.name).sort());
    expect(byPod['orders-worker-4']).toBe(byPod['orders-worker-5']);
    expect(new Set([0, 1, 2].map((i) => byPod[`orders-worker-${i}`])).size).toBe(1);
    expect(byPod['orders-worker-3']!).toBeLessThan(byPod['orders-worker-4']!);
    expect(byPod['orders-worker-4']!).toBeLessThan(byPod['orders-worker-0']!);
    // The count reads off the cost.
    expect(Math.floor(byPod['orders-worker-0']! / NODE_COST_SPACING)).toBe(3);
    expect(podDeletionCosts(pods, 'scaling in')[0]?.reason).toContain('nodes with the fewest go first');
  });

  it('orders nodes with as many pods apart, so a ReplicaSet takes all of one before the next', () => {
    const pods = vmPods(6, T0, 3); // node-0 and node-1, 3 each
    const costs = costOf(podDeletionCosts(pods, 'x'));
    const [a, b] = [costs['orders-worker-0']!, costs['orders-worker-3']!];
    expect(a).not.toBe(b);
    // What the ReplicaSet controller deletes first for a scale-in by 3: one whole node.
    const ranked = replicaSetOrder(applied(pods, podDeletionCosts(pods, 'x')));
    expect(new Set(ranked.slice(0, 3).map((p) => p.nodeName)).size).toBe(1);
  });

  it('counts only Ready pods: the ReplicaSet takes Pending and not-Ready pods first, then the node left emptiest', () => {
    // node-a: 1 Ready pod and 2 Pending (bound, starting); node-b: 2 Ready pods. A scale-in by 3.
    const pods: PodInfo[] = [
      { ...vmPods(1, T0)[0]!, name: 'a1', nodeName: 'node-a' },
      { name: 'a2', phase: 'Pending', ready: false, deleting: false, nodeName: 'node-a', createdAt: T0 },
      { name: 'a3', phase: 'Pending', ready: false, deleting: false, nodeName: 'node-a', createdAt: T0 },
      ...vmPods(2, T0).map((p, i) => ({ ...p, name: `b${i + 1}`, nodeName: 'node-b' })),
    ];
    const ranked = replicaSetOrder(applied(pods, podDeletionCosts(pods, 'x')));
    // node-a empties; node-b keeps both pods.
    expect(
      ranked
        .slice(0, 3)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['a1', 'a2', 'a3']);
  });

  it('tells apart two nodes whose names draw the same tiebreak', () => {
    // "aks-pool-699" and "aks-pool-4822" hash to the same number below the spacing; "aks-pool-4822" sorts first.
    const pods = [
      ...vmPods(2, T0, 2, 0).map((p) => ({ ...p, nodeName: 'aks-pool-699' })),
      ...vmPods(2, T0, 2, 2).map((p) => ({ ...p, nodeName: 'aks-pool-4822' })),
    ];
    const costs = costOf(podDeletionCosts(pods, 'x'));
    // The first by name keeps its number, the other takes the next.
    expect(costs['orders-worker-0']!).toBe(costs['orders-worker-2']! + 1);
    expect(costs['orders-worker-0']).toBe(costs['orders-worker-1']);
    expect(costs['orders-worker-2']).toBe(costs['orders-worker-3']);
  });

  it('rewrites only the pods whose node changed count since the costs were written', () => {
    const before = vmPods(9, T0, 3); // node-0..2, 3 each
    const written = applied(before, podDeletionCosts(before, 'x'));
    // node-0 lost a pod, node-3 is new with one; node-1 and node-2 are as they were.
    const now = [...written.slice(1), ...vmPods(1, T0, 1, 20).map((p) => ({ ...p, nodeName: 'node-3' }))];
    const again = podDeletionCosts(now, 'x').map((c) => c.pod);
    expect(again.sort()).toEqual(['orders-worker-1', 'orders-worker-2', 'orders-worker-20']);
    expect(podDeletionCosts(applied(now, podDeletionCosts(now, 'x')), 'x')).toEqual([]);
  });

  it('only emits a cost that changes, and skips unscheduled and deleting pods', () => {
    const pods = vmPods(2, T0, 1);
    const first = costOf(podDeletionCosts(pods, 'x'));
    pods[0] = { ...pods[0]!, deletionCost: first['orders-worker-0']! };
    pods.push({ ...pods[1]!, name: 'gone', deleting: true, nodeName: 'node-9' });
    pods.push({ name: 'pending', phase: 'Pending', ready: false, deleting: false, createdAt: T0 });
    expect(podDeletionCosts(pods, 'x').map((c) => c.pod)).toEqual(['orders-worker-1']);
  });
});

describe('planBursts: draining groups that still run are resumed before anything is created', () => {
  const draining = (index: number, fields: Partial<BurstReplica> = {}) =>
    g(index, { drainingSince: T0 - 20 * SECOND, ...fields });
  const kinds = (plan: ReturnType<typeof planBursts>) => ({
    resumed: plan.resumes.map((a) => a.name),
    created: plan.creates.length,
    deleted: plan.deletes.map((a) => a.name),
  });
  const name = (index: number) => `shop-orders-worker-x-${index}`;

  it.each([
    [
      'two wanted back: both draining groups resume, none is created',
      [g(0), draining(1), draining(2)],
      { target: 3 },
      { resumed: [name(1), name(2)], created: 0, deleted: [] },
    ],
    [
      'more wanted than are draining: the draining one resumes, the rest are created',
      [g(0), draining(1)],
      { target: 4 },
      { resumed: [name(1)], created: 2, deleted: [] },
    ],
    [
      'no room in budget or quota: a resume still happens (it adds no spend and no cores)',
      [g(0), draining(1)],
      { target: 3, newAllowed: 0 },
      { resumed: [name(1)], created: 0, deleted: [] },
    ],
    [
      'past its grace: resumed instead of deleted when needed',
      [g(0), draining(1, { drainingSince: T0 - 5 * MINUTE })],
      { target: 2 },
      { resumed: [name(1)], created: 0, deleted: [] },
    ],
    [
      'past its grace and not needed: deleted as before',
      [g(0), draining(1, { drainingSince: T0 - 5 * MINUTE })],
      { target: 1 },
      { resumed: [], created: 0, deleted: [name(1)] },
    ],
    [
      'an old pod template is never resumed: a new group of the current one is created',
      [g(0), draining(1, { templateHash: 'tpl-0' })],
      { target: 2 },
      { resumed: [], created: 1, deleted: [] },
    ],
    [
      'a failed draining group is not resumed: it is deleted and replaced',
      [g(0), draining(1, { state: 'Failed', ready: false })],
      { target: 2 },
      { resumed: [], created: 1, deleted: [name(1)] },
    ],
    [
      'maxBurstReplicas bounds resumes too',
      [g(0), draining(1), draining(2)],
      { target: 3, maxBurstReplicas: 2 },
      { resumed: [name(1)], created: 0, deleted: [] },
    ],
    [
      'a stopped rollout (blocked) resumes nothing',
      [
        g(0),
        draining(1),
        g(2, { state: 'Failed', ready: false, failureReason: 'InaccessibleImage', createdAt: T0 - MINUTE }),
      ],
      { target: 2 },
      { resumed: [], created: 0, deleted: [] },
    ],
  ])('%s', (_what, groups, fields, expected) => {
    const plan = planBursts(planInput(groups, { keep: 0, ...fields }));
    expect(kinds(plan)).toEqual(expected);
    expect(plan.liveAfter).toBe(
      groups.filter((x) => x.drainingSince === undefined && x.state !== 'Failed').length +
        expected.resumed.length +
        expected.created,
    );
  });

  it('the preferred region and Ready groups come back first', () => {
    const plan = planBursts(
      planInput([draining(0, { region: 'eastus2' }), draining(1, { ready: false }), draining(2)], {
        target: 1,
        keep: 0,
      }),
    );
    expect(plan.resumes.map((a) => a.name)).toEqual([name(2)]);
    expect(plan.lines).toContain(
      'Resuming 1 draining ACI replica(s) instead of creating new ones: they still run, so they serve at once and add no start time.',
    );
  });
});
