/**
 * In-memory ports for controller tests: they record every call and inject faults.
 *
 * State lives in "worlds" (the API server's objects, the Azure container groups) that outlive a
 * controller; each controller talks to a world through its own port objects, which share a
 * {@link CrashGate}. When the gate trips, every later call through those ports hangs forever — the
 * process is dead — while the world stays as the last completed call left it. A fresh controller with
 * fresh ports on the same world is the restarted process.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { defaultBehavior } from '../../src/core/behavior.ts';
import { listPriceCost } from '../../src/core/cost-model.ts';
import type {
  BurstReplica,
  Condition,
  Policy,
  PodInfo,
  Prices,
  ScalerKey,
  ScalerStatus,
  SignalReading,
  TriggerPolicy,
} from '../../src/core/types.ts';
import type {
  BurstProvider,
  BurstScalerObject,
  BurstabilityCheck,
  ClusterPort,
  CreateBurstRequest,
  EndpointAddress,
  EventType,
  LeasePort,
  LeaseRecord,
  OwnedBurstReplica,
  PriceSource,
  SignalReaderPort,
  WorkloadView,
} from '../../src/ports.ts';
import type { ManualClock } from './manual-clock.ts';

/** A promise that never settles: what a call looks like from a dead process. */
export const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** Writes that are actions of the executor (status and event writes do not use up a crash budget). */
export const ACTION_WRITES = new Set([
  'create',
  'markDraining',
  'resumeDraining',
  'delete',
  'scaleTarget',
  'setPodDeletionCost',
]);

/**
 * Counts action writes. With a budget of k, the first k take effect; the one that uses the last unit
 * takes effect but its caller never hears back (the process died right after it), and every later
 * call, read or write, hangs.
 */
export class CrashGate {
  #budget: number;
  #count = 0;
  #crashed = false;

  constructor(budget = Infinity) {
    this.#budget = budget;
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  /** Mutating calls that took effect. */
  get applied(): number {
    return Math.min(this.#count, this.#budget);
  }

  read<T>(value: () => T): Promise<T> {
    if (this.#crashed) return never();
    return new Promise<T>((resolve) => resolve(value()));
  }

  async write<T>(apply: () => T | Promise<T>, counted = true): Promise<T> {
    if (this.#crashed) return never();
    if (!counted) return apply();
    if (this.#count >= this.#budget) {
      this.#crashed = true;
      return never();
    }
    this.#count++;
    const result = await apply();
    if (this.#count >= this.#budget) {
      this.#crashed = true;
      return never();
    }
    return result;
  }
}

/** A fault to inject on a method: an error to throw, or a hang. */
export type Fault = Error | 'hang';

class Faults {
  readonly #persistent = new Map<string, Fault>();
  readonly #once = new Map<string, Fault[]>();

  /** Every call of `method` fails with `fault` until cleared. */
  set(method: string, fault: Fault | undefined): void {
    if (fault === undefined) this.#persistent.delete(method);
    else this.#persistent.set(method, fault);
  }

  /** The next call of `method` fails with `fault`. */
  once(method: string, fault: Fault): void {
    this.#once.set(method, [...(this.#once.get(method) ?? []), fault]);
  }

  take(method: string): Fault | undefined {
    const queued = this.#once.get(method);
    if (queued && queued.length > 0) return queued.shift();
    return this.#persistent.get(method);
  }
}

export interface Call {
  method: string;
  args: unknown[];
}

// ---------------------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------------------

export const TEMPLATE: V1PodTemplateSpec = {
  metadata: { labels: { app: 'orders' } },
  spec: {
    containers: [
      { name: 'worker', image: 'shop/orders:1', resources: { requests: { cpu: '1', memory: '2Gi' } } },
    ],
  },
};

/** A target Deployment in the fake cluster. */
export interface FakeDeployment {
  replicas: number;
  /** Replicas of this template that fit on the VM nodes in total. */
  vmCapacity: number;
  templateHash: string;
  deletionCosts: Map<string, number>;
}

/** The API server's state: BurstScalers, Deployments, statuses, events, EndpointSlices. */
export class ClusterWorld {
  readonly scalers = new Map<string, BurstScalerObject>();
  readonly deployments = new Map<string, FakeDeployment>();
  readonly events: { scaler: string; type: EventType; reason: string; message: string }[] = [];
  readonly slices = new Map<string, EndpointAddress[]>();
  synced = true;
  readonly listeners = new Set<(ref: { namespace: string; name: string }) => void>();

  addScaler(namespace: string, name: string, spec: unknown = {}, uid = `uid-${name}`): BurstScalerObject {
    const object: BurstScalerObject = {
      apiVersion: 'spillway.io/v1alpha1',
      kind: 'BurstScaler',
      metadata: { namespace, name, uid, generation: 1 },
      spec,
    };
    this.scalers.set(`${namespace}/${name}`, object);
    return object;
  }

  addDeployment(
    namespace: string,
    name: string,
    init: Partial<Omit<FakeDeployment, 'deletionCosts'>> = {},
  ): void {
    this.deployments.set(`${namespace}/${name}`, {
      replicas: init.replicas ?? 1,
      vmCapacity: init.vmCapacity ?? 4,
      templateHash: init.templateHash ?? 'tmpl1',
      deletionCosts: new Map(),
    });
  }

  status(id: string): ScalerStatus | undefined {
    return this.scalers.get(id)?.status as ScalerStatus | undefined;
  }

  condition(id: string, type: Condition['type']): Condition | undefined {
    return this.status(id)?.conditions.find((c) => c.type === type);
  }

  /** Fires the onChange listeners, as a watch event would. */
  change(namespace: string, name: string): void {
    for (const listener of this.listeners) listener({ namespace, name });
  }
}

/** Pods of a fake Deployment: the first `vmCapacity` run on VMs, the rest are unschedulable. */
export function fakePods(deployment: FakeDeployment, now: number): PodInfo[] {
  return Array.from({ length: deployment.replicas }, (_, i) => {
    const name = `pod-${i}`;
    const running = i < deployment.vmCapacity;
    const cost = deployment.deletionCosts.get(name);
    return {
      name,
      phase: running ? 'Running' : 'Pending',
      ready: running,
      deleting: false,
      createdAt: now - 3_600_000,
      ...(running
        ? { nodeName: `node-${Math.floor(i / 4)}`, readyAt: now - 3_500_000 }
        : { unschedulable: { since: now - 60_000, message: '0/3 nodes are available: Insufficient cpu' } }),
      ...(cost !== undefined ? { deletionCost: cost } : {}),
    } satisfies PodInfo;
  });
}

export class FakeCluster implements ClusterPort {
  readonly world: ClusterWorld;
  readonly gate: CrashGate;
  readonly calls: Call[] = [];
  /** When set, every write's method name is appended here (share one array between fakes for a global order). */
  journal: string[] | undefined;
  readonly faults = new Faults();
  readonly #clock: ManualClock;

  constructor(world: ClusterWorld, clock: ManualClock, gate = new CrashGate()) {
    this.world = world;
    this.#clock = clock;
    this.gate = gate;
  }

  clusterId(): string {
    return 'cluster-test';
  }

  synced(): boolean {
    return !this.gate.crashed && this.world.synced;
  }

  scalers(): BurstScalerObject[] {
    this.calls.push({ method: 'scalers', args: [] });
    return [...this.world.scalers.values()];
  }

  onChange(listener: (scaler: { namespace: string; name: string }) => void): () => void {
    this.world.listeners.add(listener);
    return () => this.world.listeners.delete(listener);
  }

  workload(namespace: string, targetRef: { name: string }): WorkloadView | undefined {
    this.calls.push({ method: 'workload', args: [namespace, targetRef.name] });
    const deployment = this.world.deployments.get(`${namespace}/${targetRef.name}`);
    if (!deployment) return undefined;
    const pods = fakePods(deployment, this.#clock.now());
    return {
      target: {
        replicas: deployment.replicas,
        readyReplicas: pods.filter((p) => p.ready).length,
        templateHash: deployment.templateHash,
        maxSurge: 1,
        maxUnavailable: 0,
      },
      template: TEMPLATE,
      requests: { cpu: 1, memoryGiB: 2 },
      pods,
      vm: {
        freeSlots: Math.max(0, deployment.vmCapacity - deployment.replicas),
        slotsPerNode: 4,
        incoming: [],
      },
    };
  }

  scaleTarget(namespace: string, targetRef: { name: string }, replicas: number): Promise<void> {
    return this.#write('scaleTarget', [namespace, targetRef.name, replicas], () => {
      const deployment = this.world.deployments.get(`${namespace}/${targetRef.name}`);
      if (!deployment) throw new Error(`deployments.apps "${targetRef.name}" not found`);
      deployment.replicas = replicas;
    });
  }

  setPodDeletionCost(namespace: string, pod: string, cost: number): Promise<void> {
    return this.#write('setPodDeletionCost', [namespace, pod, cost], () => {
      for (const [id, deployment] of this.world.deployments)
        if (id.startsWith(`${namespace}/`)) deployment.deletionCosts.set(pod, cost);
    });
  }

  patchStatus(key: ScalerKey, status: ScalerStatus): Promise<void> {
    return this.#write('patchStatus', [key, status], () => {
      const object = this.world.scalers.get(`${key.namespace}/${key.name}`);
      if (!object) throw new Error(`burstscalers "${key.name}" not found`);
      object.status = structuredClone(status);
    });
  }

  emitEvent(key: ScalerKey, type: EventType, reason: string, message: string): Promise<void> {
    return this.#write('emitEvent', [key, type, reason, message], () => {
      this.world.events.push({ scaler: `${key.namespace}/${key.name}`, type, reason, message });
    });
  }

  syncEndpointSlice(key: ScalerKey, serviceName: string, addresses: EndpointAddress[]): Promise<void> {
    return this.#write('syncEndpointSlice', [key, serviceName, addresses], () => {
      this.world.slices.set(`${key.namespace}/${serviceName}`, structuredClone(addresses));
    });
  }

  secret(namespace: string, name: string): Promise<Record<string, string>> {
    return this.gate.read(() => {
      throw new Error(`secret ${namespace}/${name} not found`);
    });
  }

  configMap(namespace: string, name: string): Promise<Record<string, string>> {
    return this.gate.read(() => {
      throw new Error(`configmap ${namespace}/${name} not found`);
    });
  }

  /** Calls of `method`, with their arguments. */
  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Calls that change something in the cluster. */
  writes(): Call[] {
    return this.calls.filter((c) =>
      ['scaleTarget', 'setPodDeletionCost', 'patchStatus', 'emitEvent', 'syncEndpointSlice'].includes(
        c.method,
      ),
    );
  }

  #write(method: string, args: unknown[], apply: () => void): Promise<void> {
    this.calls.push({ method, args });
    this.journal?.push(method);
    const fault = this.faults.take(method);
    if (fault === 'hang') return never();
    if (fault) return Promise.reject(fault);
    return this.gate.write(apply, ACTION_WRITES.has(method));
  }
}

// ---------------------------------------------------------------------------------------------------
// Azure Container Instances
// ---------------------------------------------------------------------------------------------------

/** The container groups in "Azure": they survive controller restarts. */
export class AciWorld {
  readonly groups = new Map<string, OwnedBurstReplica>();
  /** Group names in creation order, with repeats if a name were created twice. */
  readonly created: string[] = [];
  readonly deleted: string[] = [];
  /** Highest number of groups that existed at once. */
  peak = 0;

  /** Every Pending group created at least `minAgeMs` ago becomes Running and Ready with a private IP. */
  start(now: number, minAgeMs = 0): void {
    for (const group of this.groups.values()) {
      if (group.state !== 'Pending' || now - group.createdAt < minAgeMs) continue;
      group.state = 'Running';
      group.ready = true;
      group.readyAt = now;
      group.privateIp = `10.1.0.${group.index + 10}`;
    }
  }

  /** Groups of one scaler, by name. */
  of(scaler: ScalerKey): OwnedBurstReplica[] {
    return [...this.groups.values()]
      .filter(
        (g) =>
          g.owner.namespace === scaler.namespace &&
          g.owner.name === scaler.name &&
          g.owner.uid === scaler.uid,
      )
      .sort((a, b) => a.index - b.index);
  }
}

export class FakeProvider implements BurstProvider {
  readonly world: AciWorld;
  readonly gate: CrashGate;
  readonly calls: Call[] = [];
  /** When set, every write's method name is appended here. */
  journal: string[] | undefined;
  readonly faults = new Faults();
  readonly #clock: ManualClock;
  /** Regions that refuse creates with a quota error. */
  readonly fullRegions = new Set<string>();
  quotas: Record<string, { limitCores: number; usedCores: number }> = {};
  /** Creates left per region, as the provider's pacing reports them (absent: not reported). */
  createBudgets: Record<string, { available: number; capacity: number }> = {};
  burstable: BurstabilityCheck = { ok: true };
  /** In-flight list calls per scaler, and the most seen at once. */
  readonly listing = new Map<string, number>();
  maxConcurrentLists = 0;
  /** When set, list() waits for this promise before answering. */
  listBarrier: Promise<void> | undefined;

  constructor(world: AciWorld, clock: ManualClock, gate = new CrashGate()) {
    this.world = world;
    this.#clock = clock;
    this.gate = gate;
  }

  async list(scaler: ScalerKey): Promise<BurstReplica[]> {
    this.calls.push({ method: 'list', args: [scaler] });
    const id = `${scaler.namespace}/${scaler.name}`;
    const inFlight = (this.listing.get(id) ?? 0) + 1;
    this.listing.set(id, inFlight);
    this.maxConcurrentLists = Math.max(this.maxConcurrentLists, inFlight);
    try {
      if (this.listBarrier) await this.listBarrier;
      const fault = this.faults.take('list');
      if (fault === 'hang') return await never();
      if (fault) throw fault;
      return await this.gate.read(() =>
        this.world.of(scaler).map(({ owner: _owner, ...replica }) => ({ ...replica })),
      );
    } finally {
      this.listing.set(id, (this.listing.get(id) ?? 1) - 1);
    }
  }

  listOwned(): Promise<OwnedBurstReplica[]> {
    this.calls.push({ method: 'listOwned', args: [] });
    const fault = this.faults.take('listOwned');
    if (fault === 'hang') return never();
    if (fault) return Promise.reject(fault);
    return this.gate.read(() => [...this.world.groups.values()].map((g) => structuredClone(g)));
  }

  create(request: CreateBurstRequest): Promise<BurstReplica> {
    return this.#write('create', [request], () => {
      const existing = this.world.groups.get(request.name);
      if (existing) {
        const { owner: _owner, ...replica } = existing;
        return { ...replica };
      }
      const region = request.regions.find((r) => !this.fullRegions.has(r));
      if (region === undefined) {
        const first = request.regions[0] ?? 'nowhere';
        throw Object.assign(
          new Error(
            `creating container group ${request.name}: quota StandardCores exceeded in ${first} (limit 100, used 98, requested 4)`,
          ),
          { name: 'QuotaExceededError', reason: 'QuotaExceeded' },
        );
      }
      const replica: BurstReplica = {
        name: request.name,
        index: request.index,
        region,
        priority: request.priority,
        state: 'Pending',
        ready: false,
        createdAt: this.#clock.now(),
        templateHash: request.templateHash,
        cpu: 1,
        memoryGiB: 2,
      };
      this.world.groups.set(request.name, {
        ...replica,
        owner: {
          clusterId: 'cluster-test',
          namespace: request.scaler.namespace,
          name: request.scaler.name,
          uid: request.scaler.uid,
        },
      });
      this.world.created.push(request.name);
      this.world.peak = Math.max(this.world.peak, this.world.groups.size);
      return { ...replica };
    });
  }

  markDraining(name: string, since: number): Promise<void> {
    return this.#write('markDraining', [name, since], () => {
      const group = this.world.groups.get(name);
      if (!group) throw new Error(`container group ${name} not found`);
      group.drainingSince ??= since;
    });
  }

  resumeDraining(name: string): Promise<void> {
    return this.#write('resumeDraining', [name], () => {
      const group = this.world.groups.get(name);
      if (group) delete group.drainingSince;
    });
  }

  delete(name: string): Promise<void> {
    return this.#write('delete', [name], () => {
      if (this.world.groups.delete(name)) this.world.deleted.push(name);
    });
  }

  checkBurstable(): BurstabilityCheck {
    return this.burstable;
  }

  billedResources(): { cpu: number; memoryGiB: number } {
    return { cpu: 1, memoryGiB: 2 };
  }

  createBudget(
    region: string,
    scaler?: ScalerKey,
  ): { region: string; available: number; capacity: number } | undefined {
    this.calls.push({ method: 'createBudget', args: [region, scaler] });
    const budget = this.createBudgets[region];
    return budget ? { region, ...budget } : undefined;
  }

  quota(
    region: string,
    scaler?: ScalerKey,
  ): Promise<{ region: string; limitCores: number; usedCores: number } | undefined> {
    this.calls.push({ method: 'quota', args: [region, scaler] });
    const quota = this.quotas[region];
    return this.gate.read(() => (quota ? { region, ...quota } : undefined));
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Calls that change something in Azure. */
  writes(): Call[] {
    return this.calls.filter((c) => ['create', 'markDraining', 'delete'].includes(c.method));
  }

  #write<T>(method: string, args: unknown[], apply: () => T): Promise<T> {
    this.calls.push({ method, args });
    this.journal?.push(method);
    const fault = this.faults.take(method);
    if (fault === 'hang') return never();
    if (fault) return Promise.reject(fault);
    return this.gate.write(apply, ACTION_WRITES.has(method));
  }
}

// ---------------------------------------------------------------------------------------------------
// Signals, prices, leases
// ---------------------------------------------------------------------------------------------------

/** Returns `values[trigger]` for each trigger; a missing value is a failed read. */
export class FakeSignals implements SignalReaderPort {
  readonly values = new Map<string, number>();
  readonly calls: { scaler: ScalerKey; triggers: string[] }[] = [];
  readonly faults = new Faults();

  read(
    scaler: ScalerKey,
    triggers: TriggerPolicy[],
    _pods: PodInfo[],
    signal?: AbortSignal,
  ): Promise<SignalReading[]> {
    this.calls.push({ scaler, triggers: triggers.map((t) => t.name) });
    const fault = this.faults.take('read');
    if (fault === 'hang')
      return new Promise((_, reject) =>
        signal?.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    if (fault) return Promise.reject(fault);
    return Promise.resolve(
      triggers.map((t): SignalReading => {
        const value = this.values.get(t.name);
        return value === undefined
          ? { trigger: t.name, ok: false, error: `${t.name}: connection refused`, at: 0, kind: 'unreachable' }
          : { trigger: t.name, ok: true, value, at: 0 };
      }),
    );
  }
}

export class FakePrices implements PriceSource {
  fail = false;
  prices(policy: { region: string; fallback: Prices }): Prices {
    if (this.fail) throw new Error('price cache empty');
    return { ...policy.fallback, source: 'retail-api' };
  }
}

/** A Lease object with compare-and-swap on a version counter, shared by several electors. */
export class LeaseStore {
  record: LeaseRecord | undefined;
  #version = 0;
  writes = 0;

  get(): LeaseRecord | undefined {
    return this.record ? { ...this.record } : undefined;
  }

  tryWrite(record: LeaseRecord, expectedVersion: string | undefined): boolean {
    if ((this.record?.version ?? undefined) !== expectedVersion) return false;
    this.#version++;
    this.writes++;
    this.record = { ...record, version: String(this.#version) };
    return true;
  }
}

/** One replica's connection to the lease; `down` makes every call fail (API server unreachable). */
export class FakeLease implements LeasePort {
  readonly store: LeaseStore;
  down = false;
  constructor(store: LeaseStore) {
    this.store = store;
  }
  get(): Promise<LeaseRecord | undefined> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:443'));
    return Promise.resolve(this.store.get());
  }
  tryWrite(record: LeaseRecord, expectedVersion: string | undefined): Promise<boolean> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:443'));
    return Promise.resolve(this.store.tryWrite(record, expectedVersion));
  }
}

// ---------------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------------

/** A complete policy with the documented defaults, for tests that do not exercise the spec compiler. */
export function testPolicy(key: ScalerKey, overrides: Partial<Policy> = {}): Policy {
  return {
    key,
    generation: 1,
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders' },
    minReplicas: 1,
    maxReplicas: 50,
    triggers: [
      {
        name: 'queue-0',
        type: 'azure-storage-queue',
        metadata: { queueName: 'orders', accountName: 'shopdata', targetPerReplica: '10' },
        target: { type: 'AverageValue', averageValue: 10 },
      },
    ],
    pendingPods: { enabled: true, graceSeconds: 20 },
    behavior: defaultBehavior(),
    fallback: { failureThreshold: 3, replicas: 10 },
    burst: {
      provider: 'aci',
      aci: {
        subscriptionId: '00000000-0000-0000-0000-000000000000',
        resourceGroup: 'shop-burst',
        regions: ['eastus', 'eastus2'],
        priority: 'Regular',
        spotFallbackToRegular: true,
      },
      maxBurstReplicas: 20,
      drain: { gracePeriodSeconds: 30, minBurstLifetimeSeconds: 0, scaleDownStabilizationSeconds: 0 },
    },
    cost: {
      ...listPriceCost(),
      budget: {},
    },
    schedules: [],
    ...overrides,
  };
}
