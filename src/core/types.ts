/**
 * The decision core's data: a compiled policy, a snapshot of the world, and the decision made from them.
 *
 * Everything here is plain data. Times are epoch milliseconds passed in as arguments; the core never
 * reads a clock. CPU is in vCPU (cores, fractional), memory in GiB (fractional), money in USD.
 */

/** Identifies one BurstScaler. */
export interface ScalerKey {
  namespace: string;
  name: string;
  uid: string;
}

/** Per-replica resource requests of the target's pod template, summed over its containers. */
export interface Resources {
  /** vCPU (1 = one core). */
  cpu: number;
  /** GiB. */
  memoryGiB: number;
}

// ---------------------------------------------------------------------------------------------
// Policy: a BurstScaler spec after validation and defaulting (produced by src/spec's compile step).
// ---------------------------------------------------------------------------------------------

/** An autoscaling/v2 metric target. */
export type MetricTarget =
  | { type: 'Value'; value: number }
  | { type: 'AverageValue'; averageValue: number }
  | { type: 'Utilization'; averageUtilization: number };

/** An autoscaling/v2 scaling policy (HPAScalingPolicy). */
export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

/** An autoscaling/v2 HPAScalingRules, fully defaulted. */
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: ScalingPolicy[];
  /** Relative tolerance around the target (0.1 = 10 %). Per direction, as in Kubernetes ≥ 1.33. */
  tolerance: number;
}

/** autoscaling/v2 HorizontalPodAutoscalerBehavior, fully defaulted. */
export interface Behavior {
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

/** Signal source type names. */
export type TriggerType =
  | 'azure-storage-queue'
  | 'azure-service-bus'
  | 'redis-list'
  | 'redis-stream'
  | 'rabbitmq'
  | 'prometheus'
  | 'pending-pods'
  | 'cpu'
  | 'memory'
  | 'cron';

export interface TriggerPolicy {
  /** Stable name: `metadata.name` of the trigger if given, else `<type>-<index>`. */
  name: string;
  type: TriggerType;
  /** Position in `spec.triggers`, for error paths (`spec.triggers[i]`); unset when synthesized. */
  index?: number;
  /** Source-specific settings, as strings (KEDA convention). Parsed by the signal source. */
  metadata: Record<string, string>;
  /** How the value maps to replicas. Queue-like sources: AverageValue = targetPerReplica. */
  target: MetricTarget;
  authenticationRef?: { name: string; kind?: 'Secret' | 'WorkloadIdentity' };
}

export interface AciPolicy {
  subscriptionId: string;
  resourceGroup: string;
  /** Failover order; the first is preferred. */
  regions: string[];
  subnetId?: string;
  priority: 'Regular' | 'Spot';
  /** With priority Spot: fall back to Regular when Spot capacity is gone. */
  spotFallbackToRegular: boolean;
}

export interface BurstPolicy {
  provider: 'aci';
  aci: AciPolicy;
  maxBurstReplicas: number;
  drain: {
    gracePeriodSeconds: number;
    minBurstLifetimeSeconds: number;
    /** Scale-down stabilization window of the ACI tier (the smaller of it and the behavior's applies). */
    scaleDownStabilizationSeconds: number;
  };
  /** Publish Ready ACI replicas' IPs in an EndpointSlice for this Service (VNet only). */
  endpointSlice?: { serviceName: string };
  /**
   * The wait a message may have and what one replica serves: ACI replicas are sized by them instead of the
   * queue triggers' targets where that asks for fewer (src/core/service-level.ts).
   */
  serviceLevel?: { maxQueueWaitSeconds: number; messagesPerSecondPerReplica: number };
}

export interface VmCostPolicy {
  nodeHourlyUSD: number;
  discountPercent: number;
  nodeVCPU: number;
  nodeMemoryGiB: number;
  /** Share of a node that system reservations and daemonsets take. */
  reservedPercent: number;
  /** Seconds from "pods pending" to "new node Ready". */
  provisionSeconds: number;
  /** A node added is paid at least this long (cluster autoscaler's unneeded time + scan). */
  minNodeLifetimeSeconds: number;
  /** Share of a new node's slots its replicas fill over its life, in percent (bridging prices a node at it). */
  packingPercent: number;
}

export interface AciCostPolicy {
  vcpuSecondUSD: number;
  gbSecondUSD: number;
  /** Seconds from create request to Ready (billing starts at image pull, about the create time). */
  startSeconds: number;
  /** Spot price as a share of Regular (0.3 = 30 %). */
  spotPriceRatio: number;
}

export interface CostPolicy {
  vm: VmCostPolicy;
  aci: AciCostPolicy;
  budget: { maxBurstUSDPerHour?: number };
}

export interface SchedulePolicy {
  cron: string;
  durationMinutes: number;
  minReplicas: number;
  timezone: string;
}

export interface Policy {
  key: ScalerKey;
  generation: number;
  targetRef: { apiVersion: string; kind: string; name: string };
  minReplicas: number;
  maxReplicas: number;
  triggers: TriggerPolicy[];
  pendingPods: { enabled: boolean; graceSeconds: number };
  behavior: Behavior;
  fallback?: { failureThreshold: number; replicas: number };
  burst: BurstPolicy;
  cost: CostPolicy;
  schedules: SchedulePolicy[];
}

// ---------------------------------------------------------------------------------------------
// Snapshot: what the controller observed, assembled from the ports before calling decide().
// ---------------------------------------------------------------------------------------------

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/** One pod of the target workload. */
export interface PodInfo {
  name: string;
  phase: PodPhase;
  ready: boolean;
  /** Has a deletionTimestamp. */
  deleting: boolean;
  nodeName?: string;
  createdAt: number;
  /** When the Ready condition last became true. */
  readyAt?: number;
  /**
   * The Ready condition's lastTransitionTime (either direction). The HPA judges CPU samples by it;
   * when absent, recommend() uses `readyAt ?? createdAt`.
   */
  readyChangedAt?: number;
  /** PodScheduled=False with reason Unschedulable: since when, and the scheduler's message. */
  unschedulable?: { since: number; message: string };
  /** Current `controller.kubernetes.io/pod-deletion-cost`, if set. */
  deletionCost?: number;
  /** metrics.k8s.io usage, when a resource trigger needs it. */
  usage?: { cpu?: number; memoryGiB?: number };
}

/** One signal read for one trigger this tick. */
export type SignalReading =
  | { trigger: string; ok: true; value: number; at: number; perPod?: Record<string, number> }
  | {
      trigger: string;
      ok: false;
      /** Secret-free message naming the trigger, what was read and why it failed. */
      error: string;
      at: number;
      /** Why: a read failure kind (src/signals SignalReadError) or `config` for invalid metadata. */
      kind?: 'unreachable' | 'timeout' | 'auth' | 'not-found' | 'bad-response' | 'config';
    };

/** Capacity on VM nodes, computed for the template's requests, selectors and tolerations. */
export interface VmCapacity {
  /** Additional replicas that fit on Ready nodes right now. */
  freeSlots: number;
  /** Replicas of this template that fit on one new node after reservations. */
  slotsPerNode: number;
  /** Nodes being added (NotReady, recent): replica slots each will bring, and when. */
  incoming: { slots: number; readyAt: number }[];
}

export type BurstState = 'Pending' | 'Running' | 'Failed' | 'Stopped' | 'Unknown';

/** One ACI container group owned by this scaler. */
export interface BurstReplica {
  /** Deterministic group name (see burstGroupName). */
  name: string;
  index: number;
  region: string;
  priority: 'Regular' | 'Spot';
  state: BurstState;
  /** Containers running and readiness probes passing. */
  ready: boolean;
  createdAt: number;
  readyAt?: number;
  templateHash: string;
  /** Set when a drain has started (persisted on the group as a tag, so it survives restarts). */
  drainingSince?: number;
  privateIp?: string;
  /** Last failure reason from the provider (e.g. InaccessibleImage). */
  failureReason?: string;
  cpu: number;
  memoryGiB: number;
}

export interface Prices {
  aciVcpuSecondUSD: number;
  aciGbSecondUSD: number;
  aciSpotPriceRatio: number;
  vmNodeHourlyUSD: number;
  /** Where the numbers came from; 'spec' or 'default' when the price API could not be read. */
  source: 'retail-api' | 'spec' | 'default';
}

export interface TargetWorkload {
  /** spec.replicas of the Deployment. */
  replicas: number;
  readyReplicas: number;
  /** Hash of the pod template (what ACI groups are built from). */
  templateHash: string;
  /** Rolling update strategy, for rolling ACI replicas on a template change. */
  maxSurge: number;
  maxUnavailable: number;
}

export interface Snapshot {
  /** Missing when the target workload does not exist. */
  target?: TargetWorkload;
  requests: Resources;
  /** Whether the pod template can run on ACI at all; reasons name the offending fields. */
  burstable: { ok: true } | { ok: false; reasons: string[] };
  pods: PodInfo[];
  signals: SignalReading[];
  vm: VmCapacity;
  burst: BurstReplica[];
  prices: Prices;
  /** Regional core quota for ACI, when known. */
  quota?: { region: string; limitCores: number; usedCores: number }[];
  /** Creates the provider's pacing still allows per region, out of its tightest window, when known. */
  createBudget?: { region: string; available: number; capacity: number }[];
  /** Replica floors active now (spec.schedules and cron triggers, evaluated outside the core). */
  floors: ReplicaFloor[];
}

/** A lower bound on replicas from a schedule, with the reason shown to people. */
export interface ReplicaFloor {
  replicas: number;
  reason: string;
}

// ---------------------------------------------------------------------------------------------
// HPA-compatible recommendation (src/core/recommend.ts): input and output.
// ---------------------------------------------------------------------------------------------

/**
 * One metric for the HPA-compatible replica calculator, following autoscaling/v2 metric sources:
 * queue and query triggers are External metrics; cpu/memory triggers are Resource metrics.
 */
export type MetricInput =
  | {
      kind: 'External';
      name: string;
      target: Extract<MetricTarget, { type: 'Value' | 'AverageValue' }>;
      /** Undefined when the read failed this tick (an invalid metric never scales down). */
      value?: number;
    }
  | {
      kind: 'Resource';
      name: string;
      resource: 'cpu' | 'memory';
      target: MetricTarget;
      /** Per-pod usage (cores or GiB) by pod name; undefined when the read failed. */
      perPod?: Record<string, number>;
      /** Per-pod request of this resource (cores or GiB), for Utilization targets. */
      request: number;
      /** When the usage was sampled (metrics-server timestamp); default: the tick's `now`. */
      sampledAt?: number;
      /** The sample's window in seconds (metrics-server `window`); default 15. */
      windowSeconds?: number;
    };

export interface RecommendInput {
  now: number;
  /** The scale's current replicas (the HPA's currentReplicas). */
  currentReplicas: number;
  pods: PodInfo[];
  metrics: MetricInput[];
  minReplicas: number;
  maxReplicas: number;
  behavior: Behavior;
  floors: ReplicaFloor[];
  fallback?: { failureThreshold: number; replicas: number };
  state: Pick<ScalerState, 'recommendations' | 'scaleEvents' | 'failures'>;
}

export interface Recommendation {
  /** Final desired replicas: after stabilization, rate policies, min/max, floors and fallback. */
  replicas: number;
  /** The calculator's raw proposal (max over metrics) before behavior. */
  proposed: number;
  /** One readable line per step that mattered ("prometheus-1: 430 / 50 per replica → 9"). */
  reasons: string[];
  /** Metrics that could not be read this tick. */
  invalidMetrics: string[];
  fallbackActive: boolean;
  /** Bounded by maxReplicas, a rate policy or a floor (HPA's ScalingLimited). */
  limited?: { reason: string; message: string };
  state: Pick<ScalerState, 'recommendations' | 'scaleEvents' | 'failures'>;
}

// ---------------------------------------------------------------------------------------------
// State carried from one tick to the next (owned by the controller, passed back into decide()).
// ---------------------------------------------------------------------------------------------

export interface ScalerState {
  /** Past raw recommendations, for stabilization windows. */
  recommendations: { at: number; replicas: number }[];
  /** Past raw recommendations of the ACI tier under spec.burst.serviceLevel (its own window history). */
  aciRecommendations?: { at: number; replicas: number }[];
  /** The last measured ACI start (median create → Ready over `groups` groups), kept between bursts. */
  aciStart?: { seconds: number; groups: number };
  /** Past scale changes, for Pods/Percent rate policies. */
  scaleEvents: { at: number; delta: number }[];
  /** Demand history (replicas needed), for the forecaster. */
  demand: { at: number; replicas: number }[];
  /** Consecutive failed reads per trigger, for the fallback rule. */
  failures: Record<string, number>;
  /** When the current burst (demand above VM capacity) began, if one is under way. */
  burstStartedAt?: number;
  /** Last placement mode chosen, to avoid flapping. */
  mode?: PlacementMode;
  /** Total replicas desired by the last decision (VM + ACI), the HPA's "current replicas" next tick. */
  lastDesired?: number;
  /** VM capacity (replicas) when the current burst began; the burst ends when demand falls back to it. */
  burstBaseline?: number;
  /** Recently ended bursts (bounded), for the forecaster's empirical estimate. */
  burstHistory?: { startedAt: number; endedAt: number }[];
  /**
   * How long each level of demand has been needed without a break: levels 1..upTo since `since`, in rising
   * `upTo` (and falling `since`, as a higher level is never older than a lower one). See trackLevels.
   */
  demandLevels?: { upTo: number; since: number }[];
  /** Burst replica failures seen recently (bounded), for replacement backoff and stopping a rollout. */
  burstFailures?: BurstFailureRecord[];
  /** Conditions of the last decision (type, status, reason), so events are emitted only on change. */
  conditions?: Pick<Condition, 'type' | 'status' | 'reason'>[];
  /** Since when the target workload has been missing. */
  targetMissingSince?: number;
  /**
   * VM slots this scaler emptied by scaling the Deployment in while a VM replica cost more than an ACI one,
   * and when: held back from new replicas for a while so the cluster autoscaler can remove the emptied
   * nodes (see releasedSlotsHeld in src/core/placement.ts).
   */
  vmReleased?: { slots: number; at: number };
}

/** One failed burst replica, remembered for backoff (name + createdAt identify the group). */
export interface BurstFailureRecord {
  name: string;
  createdAt: number;
  /** When the failure was first seen. */
  at: number;
  reason: string;
  templateHash: string;
}

export const emptyState = (): ScalerState => ({
  recommendations: [],
  scaleEvents: [],
  demand: [],
  failures: {},
});

// ---------------------------------------------------------------------------------------------
// Decision: actions as data, each with a reason a person can read.
// ---------------------------------------------------------------------------------------------

export type PlacementMode = 'none' | 'bridge' | 'spill';

export type Action =
  | { kind: 'ScaleDeployment'; replicas: number; reason: string }
  | {
      kind: 'CreateBurst';
      name: string;
      index: number;
      /** Regions to try in order (failover). */
      regions: string[];
      priority: 'Regular' | 'Spot';
      templateHash: string;
      reason: string;
    }
  | { kind: 'DrainBurst'; name: string; reason: string }
  /** Ends the drain of a group that is still running: it rejoins the Service and counts as live again. */
  | { kind: 'ResumeBurst'; name: string; reason: string }
  | { kind: 'DeleteBurst'; name: string; reason: string }
  | { kind: 'SetPodDeletionCost'; pod: string; cost: number; reason: string }
  | { kind: 'PatchStatus'; status: ScalerStatus; reason: string }
  | { kind: 'Emit'; type: 'Normal' | 'Warning'; reason: string; message: string };

export type ConditionType =
  'Ready' | 'Active' | 'Bursting' | 'Degraded' | 'BudgetExhausted' | 'Burstable' | 'Fallback';

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  /** CamelCase machine reason, e.g. QuotaExceeded. */
  reason: string;
  /** A sentence a person can act on. */
  message: string;
}

export interface ScalerStatus {
  observedGeneration: number;
  desiredReplicas: number;
  vmReplicas: number;
  aciReplicas: number;
  pendingReplicas: number;
  mode: PlacementMode;
  costUSDPerHour: number;
  /**
   * `cost` is the cost model's arithmetic behind the placement (unit prices, the burst forecast, the
   * bridge-or-spill comparison); only the unit prices when nothing needed placing. Always written, so a
   * merge patch replaces the last decision's lines instead of keeping stale ones.
   */
  lastDecision: { at: string; summary: string; reasons: string[]; cost: string[] };
  conditions: Condition[];
  /** The forecaster's memory, so that a new leader (or a restart) goes on from it. */
  forecast?: ForecastMemory;
}

/**
 * What the forecaster remembers (ScalerState's burst and level history), as stored in `status.forecast`
 * with RFC 3339 times. Its lists are replaced whole by a merge patch, so nothing stale survives in them.
 */
export interface ForecastMemory {
  /** When this memory was taken. */
  at: string;
  /** The last ended bursts, oldest first, then the burst under way (no `endedAt`), if any. */
  bursts: { startedAt: string; endedAt?: string; baselineReplicas?: number }[];
  /** Replicas 1..upTo have been needed without a break since `since`; rising `upTo`, falling `since`. */
  levels: { upTo: number; since: string }[];
  /**
   * The last measured ACI start (create → Ready, seconds) and how many groups it was measured on, for the
   * service level (`spec.burst.serviceLevel`); absent until one was measured.
   */
  aciStart?: { seconds: number; groups: number };
}

/** The arithmetic behind a decision, for `spillway explain`. */
export interface Explanation {
  recommendation: string[];
  placement: string[];
  cost: string[];
}

/**
 * The whole decision for one scaler and one tick: pure, deterministic, time as an argument.
 * Implemented in src/core/decide.ts.
 */
export type DecideFn = (snapshot: Snapshot, policy: Policy, state: ScalerState, now: number) => Decision;

export interface Decision {
  desiredReplicas: number;
  vmReplicas: number;
  aciReplicas: number;
  mode: PlacementMode;
  actions: Action[];
  reasons: string[];
  conditions: Condition[];
  explanation: Explanation;
  state: ScalerState;
}
