/**
 * The interfaces the controller needs. Adapters (src/kube, src/aci, src/signals) implement them for
 * production; src/sim implements them for the simulator and the demo. The controller imports only
 * these, never an adapter.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type {
  BurstReplica,
  PodInfo,
  Prices,
  Resources,
  ScalerKey,
  ScalerStatus,
  SignalReading,
  TargetWorkload,
  TriggerPolicy,
  TriggerType,
  VmCapacity,
} from './core/types.ts';

/** Wall time for production, virtual time for the simulator and tests. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A BurstScaler as stored in the cluster; compile `spec` with src/spec before use. */
export interface BurstScalerObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation: number;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec: unknown;
  status?: unknown;
}

/** What the cluster says about one scaler's target workload. */
export interface WorkloadView {
  target: TargetWorkload;
  template: V1PodTemplateSpec;
  /** Per-replica requests summed over containers (init containers as the scheduler counts them). */
  requests: Resources;
  pods: PodInfo[];
  /** Capacity for this template on VM nodes (requests, node selectors, affinity, tolerations). */
  vm: VmCapacity;
}

/** Reads Secret and ConfigMap values (for trigger authentication and for ACI env). Never logs values. */
export interface ValueResolver {
  secret(namespace: string, name: string): Promise<Record<string, string>>;
  configMap(namespace: string, name: string): Promise<Record<string, string>>;
}

export type EventType = 'Normal' | 'Warning';

export interface EndpointAddress {
  /** ACI group name, used as the endpoint's hostname/targetRef name. */
  name: string;
  ip: string;
  ready: boolean;
}

export interface ClusterPort extends ValueResolver {
  /** A stable id of this cluster, written into ACI ownership tags. */
  clusterId(): string;
  /** True once every informer has listed; no decision is made before. */
  synced(): boolean;
  /** BurstScalers in the watched namespaces, from the cache. */
  scalers(): BurstScalerObject[];
  /** Called on any watch event relevant to a scaler (its spec, target, pods, nodes). Returns an unsubscribe. */
  onChange(listener: (scaler: { namespace: string; name: string }) => void): () => void;
  /** Undefined when the target does not exist. */
  workload(
    namespace: string,
    targetRef: { apiVersion: string; kind: string; name: string },
  ): WorkloadView | undefined;
  /** Scale subresource. */
  scaleTarget(
    namespace: string,
    targetRef: { apiVersion: string; kind: string; name: string },
    replicas: number,
  ): Promise<void>;
  setPodDeletionCost(namespace: string, pod: string, cost: number): Promise<void>;
  patchStatus(key: ScalerKey, status: ScalerStatus): Promise<void>;
  emitEvent(key: ScalerKey, type: EventType, reason: string, message: string): Promise<void>;
  /** Create/update the EndpointSlice Spillway manages for a Service, listing ACI replicas. */
  syncEndpointSlice(key: ScalerKey, serviceName: string, addresses: EndpointAddress[]): Promise<void>;
  /** Health of each informer behind the cache, for metrics (optional: a simulated cluster has none). */
  informerStatus?(): InformerHealth[];
}

/** One informer's health, as the Kubernetes adapter reports it. */
export interface InformerHealth {
  /** `pods`, `nodes`, `deployments/<namespace>`, …: the part before `/` is the kind of object watched. */
  name: string;
  /** Has completed a full list at least once. */
  listed: boolean;
  /** A watch connection is open. */
  watching: boolean;
  /** Restarts after a failure, since start. */
  restarts: number;
}

/** What the provider needs to create one burst replica. */
export interface CreateBurstRequest {
  scaler: ScalerKey;
  name: string;
  index: number;
  /** Regions in failover order. */
  regions: string[];
  priority: 'Regular' | 'Spot';
  spotFallbackToRegular: boolean;
  templateHash: string;
  template: V1PodTemplateSpec;
  subnetId?: string;
  /** Resolves env values from Secrets/ConfigMaps (Secret values become secureValue). */
  values: ValueResolver;
}

/** Result of checking whether a pod template can run on the burst provider. */
export type BurstabilityCheck = { ok: true } | { ok: false; reasons: string[] };

/** An owned group as seen by garbage collection, with the owner read from its tags. */
export interface OwnedBurstReplica extends BurstReplica {
  owner: { clusterId: string; namespace: string; name: string; uid: string };
}

export interface BurstProvider {
  /** Groups tagged as owned by this scaler (adoption after a restart relies on this). */
  list(scaler: ScalerKey): Promise<BurstReplica[]>;
  /** Every group this cluster's Spillway owns, for garbage collection. */
  listOwned(): Promise<OwnedBurstReplica[]>;
  /** Idempotent: creating a name that exists returns the existing group. Fails over across regions. */
  create(request: CreateBurstRequest): Promise<BurstReplica>;
  /** Records the drain start on the group (tag) so a restart continues the drain. */
  markDraining(name: string, since: number): Promise<void>;
  /**
   * Ends a drain (removes the tag) so a group still running serves again instead of a new one being created.
   * Idempotent: a group that is not draining, or is gone, is left as it is.
   */
  resumeDraining(name: string): Promise<void>;
  /** Idempotent: deleting a missing group succeeds. Refuses groups without Spillway ownership tags. */
  delete(name: string): Promise<void>;
  /** Pure check of a pod template against what the provider can run. */
  checkBurstable(template: V1PodTemplateSpec): BurstabilityCheck;
  /** Per-replica resources as the provider will bill them (after rounding). */
  billedResources(template: V1PodTemplateSpec): Resources;
  /**
   * Creates the provider's own pacing still allows in `region` now, out of its tightest window (ACI: 100
   * per 5 minutes and 300 per hour per region), for the account `scaler`'s groups live in. Optional: a
   * provider without pacing omits it.
   */
  createBudget?(
    region: string,
    scaler?: ScalerKey,
  ): { region: string; available: number; capacity: number } | undefined;
  /** Core quota for a region (of the subscription `scaler`'s groups live in), when the provider can tell. */
  quota(
    region: string,
    scaler?: ScalerKey,
  ): Promise<{ region: string; limitCores: number; usedCores: number } | undefined>;
}

/** Prices for decisions, always from memory (refreshed in the background by the price adapter). */
export interface PriceSource {
  prices(policy: { region: string; vmSize?: string; fallback: Prices }): Prices;
}

/** One signal value read from a source. */
export interface SignalValue {
  value: number;
  /** Per-pod values (resource metrics), by pod name. */
  perPod?: Record<string, number>;
}

export interface SignalContext {
  scaler: ScalerKey;
  /** Resolves the trigger's authenticationRef (Secret values); never log what it returns. */
  values: ValueResolver;
  /** Aborted when the read times out or the controller shuts down. */
  signal: AbortSignal;
  now: number;
  /** The target's pods (for pod-scoped sources: pending-pods, cpu, memory). */
  pods?: PodInfo[];
}

/** A demand signal source: one file per type in src/signals, registered in one list. */
export interface SignalSource {
  readonly type: TriggerType;
  /**
   * How reads may be shared. `shared` (the default): the value depends only on metadata and credentials,
   * so one read per interval serves every scaler pointing at the same queue or query. `none`: computed
   * per call from the context (the scaler's pods, the time), never cached.
   */
  readonly caching?: 'shared' | 'none';
  /** Pure validation of trigger metadata; throws SignalConfigError naming the trigger and field. */
  validate(trigger: TriggerPolicy): void;
  /** Reads the current value; throws SignalReadError (typed, secret-free) on any failure. */
  read(trigger: TriggerPolicy, context: SignalContext): Promise<SignalValue>;
}

/** A coordination.k8s.io Lease, as leader election reads and writes it. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** Epoch ms. */
  acquireTime: number;
  renewTime: number;
  leaseTransitions: number;
  /** Opaque version for compare-and-swap (metadata.resourceVersion). */
  version?: string;
}

/** Storage for leader election; writes are compare-and-swap so two replicas never both win. */
export interface LeasePort {
  get(): Promise<LeaseRecord | undefined>;
  /** Creates when `expectedVersion` is undefined; returns false on a conflict (someone else wrote). */
  tryWrite(record: LeaseRecord, expectedVersion: string | undefined): Promise<boolean>;
}

/**
 * Reads every trigger of one scaler for one tick (implemented in src/signals on top of the registered
 * SignalSources, with per-read timeouts, shared caching and credential resolution). Never throws for a
 * single failed trigger: a failed read is a `{ ok: false }` reading, which feeds the spec's fallback rule.
 * Returns one reading per trigger, in the order given.
 */
export interface SignalReaderPort {
  read(
    scaler: ScalerKey,
    triggers: TriggerPolicy[],
    pods: PodInfo[],
    signal?: AbortSignal,
  ): Promise<SignalReading[]>;
}
