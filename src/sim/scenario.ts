/**
 * A simulation scenario: the cluster, the workload's replicas, prices, latencies and the service level,
 * shared by every policy compared (Spillway, the baselines, the bound), so that only the policy differs.
 *
 * Defaults come from documented values (docs/simulator.md has the table and the sources):
 * - VM node: Standard_D4s_v5, 4 vCPU / 16 GiB, $0.192/h East US list price, 15 % of it reserved for
 *   the system and DaemonSets (BurstScaler default `reservedPercent`);
 * - a node added by the cluster autoscaler is Ready after 3–5 min typically (lognormal, median 240 s,
 *   at most the autoscaler's 15 min max-node-provision-time);
 * - the scheduler scores nodes LeastAllocated, kube-scheduler's default (AKS does not change it);
 * - ACI: East US list prices, latencies of the simulated ACI (src/sim/aci) — about 16 s to Running;
 * - replica: 1 vCPU / 2 GiB, serving `serviceRate` messages per second.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { billedResources } from '../aci/translate.ts';
import type { BurstScalerObject } from '../ports.ts';
import type { LatencyDistribution } from './aci/rng.ts';
import { validateDistribution } from './aci/rng.ts';
import type { ScoringStrategy } from './cluster/scheduler.ts';

/** The cluster autoscaler's documented defaults (FAQ: "What are the parameters to CA?"). */
export interface AutoscalerSettings {
  /** --scan-interval. @default 10 */
  scanIntervalSeconds: number;
  /** --scale-down-unneeded-time. @default 600 */
  scaleDownUnneededSeconds: number;
  /** --scale-down-utilization-threshold (requests ÷ allocatable, max over CPU and memory). @default 0.5 */
  scaleDownUtilizationThreshold: number;
  /** --scale-down-delay-after-add. @default 600 */
  scaleDownDelayAfterAddSeconds: number;
  /** --max-node-provision-time: a provision draw is capped here. @default 900 */
  maxNodeProvisionSeconds: number;
  /** --max-empty-bulk-delete. @default 10 */
  maxEmptyBulkDelete: number;
}

export interface NodeShape {
  vcpu: number;
  memoryGiB: number;
  /** Share of CPU and memory taken by system reservations and DaemonSets. */
  reservedPercent: number;
  /** kubelet --max-pods (AKS default with Azure CNI: 30; kubenet 110). */
  maxPods: number;
  hourlyUSD: number;
  /** Reserved-instance / savings-plan discount on the node price. */
  discountPercent: number;
}

export interface Scenario {
  /** Epoch ms the trace starts at (simulated wall time). */
  start: number;
  /** Seed of every random draw (node provisioning, pod starts, ACI latencies, service, scale-in). */
  seed: number;
  namespace: string;
  /** Deployment (and BurstScaler) name. */
  name: string;
  /** Per-replica requests. */
  replica: { cpu: number; memoryGiB: number };
  node: NodeShape;
  nodePool: { minNodes: number; maxNodes: number };
  /**
   * How the scheduler scores the nodes a pod fits on: LeastAllocated (kube-scheduler's and AKS's default:
   * spreads) or MostAllocated (packs; a second scheduler with that profile, named in the pod template).
   */
  scheduler: ScoringStrategy;
  autoscaler: AutoscalerSettings;
  /** Node created → Ready. */
  nodeProvision: LatencyDistribution;
  /** Pod bound to a Ready node → Ready (image pull from cache, start, readiness probe). */
  podStart: LatencyDistribution;
  aci: {
    vcpuSecondUSD: number;
    gbSecondUSD: number;
    /** Regions Spillway may use, in failover order; virtual node uses the first. */
    regions: string[];
    /** Standard cores quota per region (ACI's default is 100; raised here so quota never decides). */
    coresPerRegion: number;
    groupsPerRegion: number;
    schedule: LatencyDistribution;
    pull: LatencyDistribution;
    startup: LatencyDistribution;
  };
  /** Messages one Ready replica serves per second. */
  serviceRate: number;
  /** Fluid deterministic service, or exponential service times (Poisson completions per second). */
  service: 'deterministic' | 'exponential';
  /** Queue backlog per replica (the trigger's targetPerReplica, KEDA's queueLength). */
  targetPerReplica: number;
  /** A message waiting longer than this in the queue misses the service level. */
  sloSeconds: number;
  /**
   * Spillway is told the service level, as a user with an SLO would tell it: `spec.burst.serviceLevel` with
   * `maxQueueWaitSeconds` = sloSeconds (whole seconds, rounded down) and `messagesPerSecondPerReplica` =
   * serviceRate. False: ACI replicas follow the trigger's target only. The baselines have no such setting.
   */
  serviceLevel: boolean;
  minReplicas: number;
  maxReplicas: number;
  maxBurstReplicas: number;
  /** Spillway's tick interval (the controller's default). */
  tickSeconds: number;
  /** Seconds of steady load at the trace's opening rate before the trace, not counted, so no policy starts cold. */
  warmupSeconds: number;
  /** After the trace, the run goes on (no arrivals) until the queue is empty, at most this long. */
  drainTailSeconds: number;
}

/** Defaults; see the module comment and docs/simulator.md. */
export function defaultScenario(overrides: Partial<Scenario> = {}): Scenario {
  const scenario: Scenario = {
    start: Date.UTC(2026, 0, 5, 0, 0, 0),
    seed: 1,
    namespace: 'sim',
    name: 'worker',
    replica: { cpu: 1, memoryGiB: 2 },
    node: {
      vcpu: 4,
      memoryGiB: 16,
      reservedPercent: 15,
      maxPods: 30,
      hourlyUSD: 0.192,
      discountPercent: 0,
    },
    nodePool: { minNodes: 1, maxNodes: 100 },
    scheduler: 'LeastAllocated',
    autoscaler: {
      scanIntervalSeconds: 10,
      scaleDownUnneededSeconds: 600,
      scaleDownUtilizationThreshold: 0.5,
      scaleDownDelayAfterAddSeconds: 600,
      maxNodeProvisionSeconds: 900,
      maxEmptyBulkDelete: 10,
    },
    nodeProvision: { kind: 'lognormal', medianSeconds: 240, sigma: 0.25, maxSeconds: 900 },
    podStart: { kind: 'uniform', minSeconds: 3, maxSeconds: 8 },
    aci: {
      vcpuSecondUSD: 0.0405 / 3600,
      gbSecondUSD: 0.00445 / 3600,
      regions: ['eastus', 'eastus2'],
      coresPerRegion: 1000,
      groupsPerRegion: 1000,
      schedule: { kind: 'uniform', minSeconds: 1, maxSeconds: 3 },
      pull: { kind: 'lognormal', medianSeconds: 12, sigma: 0.5, maxSeconds: 110 },
      startup: { kind: 'uniform', minSeconds: 1, maxSeconds: 3 },
    },
    serviceRate: 1,
    service: 'deterministic',
    targetPerReplica: 30,
    sloSeconds: 60,
    serviceLevel: true,
    minReplicas: 1,
    maxReplicas: 1000,
    maxBurstReplicas: 500,
    tickSeconds: 2,
    warmupSeconds: 900,
    drainTailSeconds: 1800,
    ...overrides,
  };
  validateScenario(scenario);
  return scenario;
}

/** Rejects a scenario that cannot run, naming the field. */
export function validateScenario(s: Scenario): void {
  const positive: [string, number][] = [
    ['replica.cpu', s.replica.cpu],
    ['replica.memoryGiB', s.replica.memoryGiB],
    ['node.vcpu', s.node.vcpu],
    ['node.memoryGiB', s.node.memoryGiB],
    ['node.hourlyUSD', s.node.hourlyUSD],
    ['node.maxPods', s.node.maxPods],
    ['serviceRate', s.serviceRate],
    ['targetPerReplica', s.targetPerReplica],
    ['sloSeconds', s.sloSeconds],
    ['tickSeconds', s.tickSeconds],
    ['aci.vcpuSecondUSD', s.aci.vcpuSecondUSD],
    ['aci.gbSecondUSD', s.aci.gbSecondUSD],
    ['autoscaler.scanIntervalSeconds', s.autoscaler.scanIntervalSeconds],
  ];
  for (const [field, value] of positive)
    if (!(value > 0) || !Number.isFinite(value))
      throw new RangeError(`scenario.${field}: must be a number above 0, got ${value}`);
  if (!(s.node.reservedPercent >= 0 && s.node.reservedPercent < 100))
    throw new RangeError(`scenario.node.reservedPercent: must be in [0, 100), got ${s.node.reservedPercent}`);
  if (!(s.node.discountPercent >= 0 && s.node.discountPercent < 100))
    throw new RangeError(`scenario.node.discountPercent: must be in [0, 100), got ${s.node.discountPercent}`);
  if (!Number.isInteger(s.nodePool.minNodes) || s.nodePool.minNodes < 0)
    throw new RangeError(
      `scenario.nodePool.minNodes: must be a whole number ≥ 0, got ${s.nodePool.minNodes}`,
    );
  if (!Number.isInteger(s.nodePool.maxNodes) || s.nodePool.maxNodes < s.nodePool.minNodes)
    throw new RangeError(
      `scenario.nodePool.maxNodes: must be a whole number ≥ minNodes (${s.nodePool.minNodes}), got ${s.nodePool.maxNodes}`,
    );
  if (!Number.isInteger(s.minReplicas) || s.minReplicas < 1 || s.maxReplicas < s.minReplicas)
    throw new RangeError(
      `scenario.minReplicas/maxReplicas: need 1 ≤ minReplicas ≤ maxReplicas, got ${s.minReplicas}..${s.maxReplicas}`,
    );
  if (slotsPerNode(s) < 1)
    throw new RangeError(
      `scenario.replica: a replica of ${s.replica.cpu} vCPU / ${s.replica.memoryGiB} GiB does not fit on a ${s.node.vcpu} vCPU / ${s.node.memoryGiB} GiB node after ${s.node.reservedPercent}% reserved`,
    );
  if (s.aci.regions.length === 0) throw new RangeError('scenario.aci.regions: at least one region');
  if (s.scheduler !== 'LeastAllocated' && s.scheduler !== 'MostAllocated')
    throw new RangeError(
      `scenario.scheduler: must be LeastAllocated or MostAllocated, got ${String(s.scheduler)}`,
    );
  validateDistribution('scenario.nodeProvision', s.nodeProvision);
  validateDistribution('scenario.podStart', s.podStart);
  validateDistribution('scenario.aci.schedule', s.aci.schedule);
  validateDistribution('scenario.aci.pull', s.aci.pull);
  validateDistribution('scenario.aci.startup', s.aci.startup);
}

/** Allocatable of one node after reservations. */
export function nodeAllocatable(s: Scenario): { cpu: number; memoryGiB: number; pods: number } {
  const usable = 1 - s.node.reservedPercent / 100;
  return { cpu: s.node.vcpu * usable, memoryGiB: s.node.memoryGiB * usable, pods: s.node.maxPods };
}

/** Replicas that fit on one empty node. */
export function slotsPerNode(s: Scenario): number {
  const a = nodeAllocatable(s);
  return Math.max(
    0,
    Math.min(
      a.pods,
      Math.floor(a.cpu / s.replica.cpu + 1e-9),
      Math.floor(a.memoryGiB / s.replica.memoryGiB + 1e-9),
    ),
  );
}

/** Node price per second after the discount. */
export function nodeSecondUSD(s: Scenario): number {
  return (s.node.hourlyUSD * (1 - s.node.discountPercent / 100)) / 3600;
}

/**
 * One replica's container group as ACI bills it: the pod template translated by the ACI provider's own
 * code (src/aci/translate.ts), so Spillway's groups, virtual-node groups and the bound agree.
 */
export function aciGroupResources(s: Scenario): { cpu: number; memoryGB: number } {
  const billed = billedResources(podTemplate(s));
  return { cpu: billed.cpu, memoryGB: billed.memoryGiB };
}

/** ACI per-replica price per second. */
export function aciReplicaSecondUSD(s: Scenario): number {
  const g = aciGroupResources(s);
  return g.cpu * s.aci.vcpuSecondUSD + g.memoryGB * s.aci.gbSecondUSD;
}

/** The worker's pod template. */
export function podTemplate(s: Scenario): V1PodTemplateSpec {
  return {
    metadata: { labels: { app: s.name } },
    spec: {
      containers: [
        {
          name: 'worker',
          image: 'spillway.example/sim-worker:1.0',
          resources: {
            requests: { cpu: String(s.replica.cpu), memory: `${Math.round(s.replica.memoryGiB * 1024)}Mi` },
          },
        },
      ],
    },
  };
}

/** `spec.cost.aci.startSeconds` of the simulated BurstScaler (the simulated ACI's median is ~16 s). */
export const SIM_ACI_START_SECONDS = 20;

/**
 * The `spec.burst.serviceLevel` Spillway is told in the simulation: the SLO in whole seconds (rounded down)
 * and the service rate. Undefined when the scenario says not to, or when the SLO is not a wait the field
 * takes (longer than an ACI start, at most a day): the table and the bench then say Spillway is not told.
 */
export function spillwayServiceLevel(
  s: Scenario,
): { maxQueueWaitSeconds: number; messagesPerSecondPerReplica: number } | undefined {
  const wait = Math.floor(s.sloSeconds);
  if (!s.serviceLevel || wait <= SIM_ACI_START_SECONDS || wait > 86400) return undefined;
  return { maxQueueWaitSeconds: wait, messagesPerSecondPerReplica: s.serviceRate };
}

/**
 * The BurstScaler Spillway runs with in the simulation: the scenario's numbers, every other field defaulted.
 * `budgetUSDPerHour` sets `spec.cost.budget.maxBurstUSDPerHour` (unset: no budget, as in the comparisons).
 */
export function burstScalerObject(
  s: Scenario,
  options: { budgetUSDPerHour?: number } = {},
): BurstScalerObject {
  const budget = options.budgetUSDPerHour;
  const level = spillwayServiceLevel(s);
  if (budget !== undefined && !(budget > 0 && Number.isFinite(budget)))
    throw new RangeError(`budgetUSDPerHour: must be a number above 0, got ${budget}`);
  const provisionSeconds =
    s.nodeProvision.kind === 'fixed'
      ? s.nodeProvision.seconds
      : s.nodeProvision.kind === 'uniform'
        ? (s.nodeProvision.minSeconds + s.nodeProvision.maxSeconds) / 2
        : s.nodeProvision.medianSeconds;
  return {
    apiVersion: 'spillway.io/v1alpha1',
    kind: 'BurstScaler',
    metadata: { name: s.name, namespace: s.namespace, uid: 'sim-0000-0000-0000-000000000001', generation: 1 },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: s.name },
      minReplicas: s.minReplicas,
      maxReplicas: s.maxReplicas,
      triggers: [
        {
          type: 'azure-storage-queue',
          metadata: {
            queueName: 'work',
            accountName: 'simulated',
            targetPerReplica: String(s.targetPerReplica),
          },
        },
      ],
      burst: {
        provider: 'aci',
        aci: {
          subscriptionId: '00000000-0000-0000-0000-000000000000',
          resourceGroup: 'spillway-sim',
          regions: s.aci.regions,
          priority: 'Regular',
        },
        maxBurstReplicas: s.maxBurstReplicas,
        ...(level ? { serviceLevel: level } : {}),
      },
      cost: {
        vm: {
          nodeHourlyUSD: s.node.hourlyUSD,
          discountPercent: s.node.discountPercent,
          nodeVCPU: s.node.vcpu,
          nodeMemoryGiB: s.node.memoryGiB,
          reservedPercent: s.node.reservedPercent,
          provisionSeconds: Math.round(provisionSeconds),
          minNodeLifetimeSeconds: s.autoscaler.scaleDownUnneededSeconds,
        },
        aci: {
          vcpuSecondUSD: s.aci.vcpuSecondUSD,
          gbSecondUSD: s.aci.gbSecondUSD,
          startSeconds: SIM_ACI_START_SECONDS,
        },
        ...(budget !== undefined ? { budget: { maxBurstUSDPerHour: budget } } : {}),
      },
    },
  };
}
