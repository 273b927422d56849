/**
 * Builders for decision tests: a policy with DESIGN.md's defaults, readable snapshots, and a fake executor
 * that applies a decision's actions to a snapshot the way the controller would (so a test can decide again
 * on the "post-execution" world). Used by the core's tests and the simulator's; not part of the API.
 */
import { defaultBehavior } from './behavior.ts';
import { aciBilledResources, listPriceCost } from './cost-model.ts';
import type {
  Action,
  Behavior,
  BurstReplica,
  PodInfo,
  Policy,
  Prices,
  Resources,
  ScalingRules,
  Snapshot,
} from './types.ts';

export const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

const rules = (r: Partial<ScalingRules>): ScalingRules => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  tolerance: 0.1,
  ...r,
});

/** autoscaling/v2 defaults. */
export const hpaDefaultBehavior: Behavior = defaultBehavior();

/** No windows and no rate limits that bind, so a test's desired replicas are just ceil(queue / target). */
export const immediateBehavior: Behavior = {
  scaleUp: rules({ policies: [{ type: 'Pods', value: 10000, periodSeconds: 1 }], tolerance: 0 }),
  scaleDown: rules({ policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }], tolerance: 0 }),
};

export const listPrices: Prices = {
  aciVcpuSecondUSD: 0.00001125,
  aciGbSecondUSD: 0.000001236,
  aciSpotPriceRatio: 0.3,
  vmNodeHourlyUSD: 0.192,
  source: 'spec',
};

export const QUEUE = 'orders-queue';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A compiled policy with DESIGN.md's defaults: one queue trigger at 10 messages per replica. */
export function testPolicy(
  overrides: {
    minReplicas?: number;
    maxReplicas?: number;
    behavior?: Behavior;
    pendingPods?: Policy['pendingPods'];
    fallback?: Policy['fallback'];
    burst?: DeepPartial<Policy['burst']>;
    vm?: Partial<Policy['cost']['vm']>;
    aci?: Partial<Policy['cost']['aci']>;
    budget?: Policy['cost']['budget'];
  } = {},
): Policy {
  const burst = overrides.burst ?? {};
  const cost = listPriceCost();
  return {
    key: { namespace: 'shop', name: 'orders-worker', uid: '6f1c2c1e-1111-2222-3333-444455556666' },
    generation: 3,
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders-worker' },
    minReplicas: overrides.minReplicas ?? 1,
    maxReplicas: overrides.maxReplicas ?? 300,
    triggers: [
      {
        name: QUEUE,
        type: 'azure-storage-queue',
        metadata: { queueName: 'orders', accountName: 'shopdata' },
        target: { type: 'AverageValue', averageValue: 10 },
      },
    ],
    pendingPods: overrides.pendingPods ?? { enabled: true, graceSeconds: 20 },
    behavior: overrides.behavior ?? immediateBehavior,
    ...(overrides.fallback ? { fallback: overrides.fallback } : {}),
    burst: {
      provider: 'aci',
      aci: {
        subscriptionId: '00000000-0000-0000-0000-000000000000',
        resourceGroup: 'spillway',
        regions: ['eastus', 'eastus2'],
        priority: 'Regular',
        spotFallbackToRegular: false,
        ...(burst.aci as Partial<Policy['burst']['aci']> | undefined),
      },
      maxBurstReplicas: burst.maxBurstReplicas ?? 200,
      drain: {
        gracePeriodSeconds: 60,
        minBurstLifetimeSeconds: 60,
        scaleDownStabilizationSeconds: 0,
        ...burst.drain,
      },
      ...(burst.serviceLevel ? { serviceLevel: burst.serviceLevel } : {}),
    },
    cost: {
      vm: { ...cost.vm, packingPercent: 100, ...overrides.vm },
      aci: { ...cost.aci, ...overrides.aci },
      budget: overrides.budget ?? {},
    },
    schedules: [],
  };
}

/** `count` Ready target pods, `perNode` to a node (node-0, node-1, ...), created an hour before `now`. */
export function vmPods(count: number, now: number, perNode = 3, from = 0): PodInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `orders-worker-${from + i}`,
    phase: 'Running' as const,
    ready: true,
    deleting: false,
    nodeName: `node-${Math.floor((from + i) / perNode)}`,
    createdAt: now - 60 * MINUTE,
    readyAt: now - 59 * MINUTE,
  }));
}

/** `count` target pods Pending and unschedulable since `since`. */
export function pendingPods(count: number, since: number, from = 1000): PodInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `orders-worker-${from + i}`,
    phase: 'Pending' as const,
    ready: false,
    deleting: false,
    createdAt: since,
    unschedulable: { since, message: '0/5 nodes are available: 5 Insufficient cpu.' },
  }));
}

/** A burst replica of this scaler, Running and Ready unless told otherwise. */
export function group(
  policy: Policy,
  index: number,
  fields: Partial<BurstReplica> & { createdAt: number },
  requests: Resources = { cpu: 1, memoryGiB: 4 },
): BurstReplica {
  return {
    name: `shop-orders-worker-x-${index}`,
    index,
    region: 'eastus',
    priority: 'Regular',
    state: 'Running',
    ready: true,
    templateHash: 'tpl-1',
    cpu: requests.cpu,
    memoryGiB: requests.memoryGiB,
    ...fields,
  };
}

/** A snapshot: queue depth, VM pods and capacity, ACI groups. Desired replicas = ceil(queue / 10). */
export function testSnapshot(fields: {
  now: number;
  queue: number;
  pods?: PodInfo[];
  /** Deployment spec.replicas; default: the number of pods. */
  replicas?: number;
  freeSlots?: number;
  slotsPerNode?: number;
  incoming?: Snapshot['vm']['incoming'];
  burst?: BurstReplica[];
  requests?: Resources;
  templateHash?: string;
  maxSurge?: number;
  maxUnavailable?: number;
  burstable?: Snapshot['burstable'];
  prices?: Prices;
  quota?: Snapshot['quota'];
  queueReadFails?: boolean;
}): Snapshot {
  const pods = fields.pods ?? [];
  return {
    target: {
      replicas: fields.replicas ?? pods.length,
      readyReplicas: pods.filter((p) => p.ready).length,
      templateHash: fields.templateHash ?? 'tpl-1',
      maxSurge: fields.maxSurge ?? 1,
      maxUnavailable: fields.maxUnavailable ?? 0,
    },
    requests: fields.requests ?? { cpu: 1, memoryGiB: 4 },
    burstable: fields.burstable ?? { ok: true },
    pods,
    signals: [
      fields.queueReadFails
        ? { trigger: QUEUE, ok: false, error: 'reading queue orders: timeout', at: fields.now }
        : { trigger: QUEUE, ok: true, value: fields.queue, at: fields.now },
    ],
    vm: {
      freeSlots: fields.freeSlots ?? 0,
      slotsPerNode: fields.slotsPerNode ?? 3,
      incoming: fields.incoming ?? [],
    },
    burst: fields.burst ?? [],
    prices: fields.prices ?? listPrices,
    ...(fields.quota ? { quota: fields.quota } : {}),
    floors: [],
  };
}

/**
 * Applies actions as the executor would: scale the Deployment, create groups (Pending, not Ready), mark
 * drains, delete groups, set deletion costs. Pods are not created or removed: the cluster is the test's.
 */
export function applyActions(snapshot: Snapshot, actions: Action[], now: number): Snapshot {
  const next: Snapshot = structuredClone(snapshot);
  const billed = aciBilledResources(next.requests);
  for (const action of actions) {
    switch (action.kind) {
      case 'ScaleDeployment':
        if (next.target) next.target.replicas = action.replicas;
        break;
      case 'CreateBurst':
        if (next.burst.some((g) => g.name === action.name)) break;
        next.burst.push({
          name: action.name,
          index: action.index,
          region: action.regions[0] ?? 'eastus',
          priority: action.priority,
          state: 'Pending',
          ready: false,
          createdAt: now,
          templateHash: action.templateHash,
          cpu: billed.cpu,
          memoryGiB: billed.memoryGB,
        });
        break;
      case 'DrainBurst':
        for (const g of next.burst) if (g.name === action.name) g.drainingSince ??= now;
        break;
      case 'ResumeBurst':
        for (const g of next.burst) if (g.name === action.name) delete g.drainingSince;
        break;
      case 'DeleteBurst':
        next.burst = next.burst.filter((g) => g.name !== action.name);
        break;
      case 'SetPodDeletionCost':
        for (const p of next.pods) if (p.name === action.pod) p.deletionCost = action.cost;
        break;
      case 'PatchStatus':
      case 'Emit':
        break;
    }
  }
  return next;
}

/** Groups that were created become Running and Ready (time passed). */
export function startGroups(snapshot: Snapshot, readyAt: number): Snapshot {
  const next = structuredClone(snapshot);
  for (const g of next.burst) {
    if (g.state === 'Pending') {
      g.state = 'Running';
      g.ready = true;
      g.readyAt = readyAt;
    }
  }
  return next;
}

/** Kinds of the actions, with counts, for compact assertions. */
export function actionCounts(actions: Action[]): Partial<Record<Action['kind'], number>> {
  const counts: Partial<Record<Action['kind'], number>> = {};
  for (const a of actions) counts[a.kind] = (counts[a.kind] ?? 0) + 1;
  return counts;
}

export function actionsOf<K extends Action['kind']>(
  actions: Action[],
  kind: K,
): Extract<Action, { kind: K }>[] {
  return actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === kind);
}
