/**
 * A model of Azure Container Instances for the simulator, the demo and the tests.
 *
 * Time comes from an injected Clock and every state is computed from it when asked (no timers), so the
 * same model runs a simulated day in seconds on a virtual clock and the demo in real time. What it
 * models (docs/aci.md has the table):
 * - container groups with provisioning states (Pending → Creating → Succeeded, or Failed), an instance
 *   view per container (Waiting/Running/Terminated) and events (Pulling, Pulled, Started, Failed,
 *   BackOff), a private IP when the group joins a subnet;
 * - start latency: scheduling, image pull and container start, each drawn from a configurable
 *   distribution with a seeded generator (same seed → same run);
 * - a billing meter per second from the start of the image pull until the group stops, is deleted or
 *   fails, at per-second vCPU and GB prices (Spot at its ratio);
 * - regional quotas (container groups, Standard cores, Spot cores) and capacity;
 * - injectable faults: 429 with Retry-After, 409 ServiceUnavailable, asynchronous InaccessibleImage
 *   (the long-running operation ends Failed), transient 500s.
 *
 * Values are in the Azure SDK's shapes (`ContainerGroup`, `Usage`); the HTTP face converts them to and
 * from the ARM wire format. Secure values given at create time are kept (a container needs them) but
 * never returned, as in Azure.
 */
import type { Container, ContainerGroup, ContainerState, Event, Usage } from '@azure/arm-containerinstance';
import type { Clock } from '../../ports.ts';
import { SeededRandom, sample, validateDistribution, type LatencyDistribution } from './rng.ts';

/** An ARM error the model raises; the HTTP face sends it as `{error: {code, message}}`. */
export class SimAciError extends Error {
  override name = 'SimAciError';
  readonly statusCode: number;
  readonly code: string;
  readonly retryAfterSeconds: number | undefined;
  constructor(statusCode: number, code: string, message: string, retryAfterSeconds?: number) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Quotas and capacity of one region. */
export interface SimRegionConfig {
  /** @default 100 */
  containerGroups?: number;
  /** @default 100 */
  standardCores?: number;
  /** @default 10 */
  spotCores?: number;
  /** Cores the region can supply before creates fail with 409 ServiceUnavailable. @default unlimited */
  capacityCores?: number;
  /** The same for Spot. @default unlimited */
  spotCapacityCores?: number;
}

/** Per-second list prices the meter bills at. */
export interface SimPrices {
  vcpuSecondUSD: number;
  gbSecondUSD: number;
  /** Spot price as a share of Regular. */
  spotRatio: number;
}

export interface AciModelOptions {
  clock: Clock;
  /** Seed of every random draw. @default 1 */
  seed?: number;
  /** @default 00000000-0000-0000-0000-000000000000 */
  subscriptionId?: string;
  /** Regions that exist, with their quotas. @default eastus, eastus2 and westus2 with ACI's default quotas */
  regions?: Record<string, SimRegionConfig>;
  /** From the accepted PUT to the start of the image pull. @default uniform 1–3 s */
  scheduleLatency?: LatencyDistribution;
  /** Image pull. @default lognormal, median 12 s, σ 0.5, at most 110 s */
  pullLatency?: LatencyDistribution;
  /** From pulled to running. @default uniform 1–3 s */
  startLatency?: LatencyDistribution;
  /** From pull start until an inaccessible image fails the group. @default 5 s */
  pullFailureSeconds?: number;
  /** @default East US list prices (0.0405 $/vCPU-h, 0.00445 $/GB-h, Spot 30 %) */
  prices?: SimPrices;
  /** Images that can never be pulled (exact references). */
  inaccessibleImages?: string[];
}

/** Operations faults can target. */
export type SimOperation =
  | 'create'
  | 'delete'
  | 'get'
  | 'list'
  | 'update'
  | 'usage'
  | 'logs'
  | 'stop'
  | 'start'
  /** Reading a long-running operation's status. */
  | 'poll';

/** A fault to inject; `times` (default 1, Infinity allowed) says how many matching calls it hits. */
export type SimFault =
  | { kind: 'throttle'; operation?: SimOperation; retryAfterSeconds: number; times?: number }
  | { kind: 'transient'; operation?: SimOperation; times?: number }
  | { kind: 'capacity'; region?: string; priority?: 'Regular' | 'Spot'; times?: number }
  | { kind: 'inaccessible-image'; image?: string; times?: number };

/** A fault that fired. */
export interface FiredFault {
  kind: SimFault['kind'];
  operation: SimOperation;
  group?: string;
  at: number;
}

/** Status of a long-running operation, as the Azure-AsyncOperation URL reports it. */
export interface SimOperationStatus {
  id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  startTime: Date;
  endTime?: Date;
  error?: { code: string; message: string };
}

/** Billing so far. */
export interface SimBilling {
  costUSD: number;
  /** Seconds groups were billed (one group for one second = 1). */
  replicaSeconds: number;
  vcpuSeconds: number;
  gbSeconds: number;
}

interface Run {
  pullStartAt: number;
  pulledAt: number;
  startedAt: number;
  /** When an inaccessible image failed the run. */
  failAt?: number;
  /** When the run was stopped or deleted. */
  endAt?: number;
}

interface SimGroup {
  rg: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  spec: ContainerGroup;
  cpu: number;
  memoryGB: number;
  priority: 'Regular' | 'Spot';
  runs: Run[];
  stopped: boolean;
  deletedAt?: number;
  privateIp?: string;
  failedImage?: string;
  /**
   * The view {@link AciModel.listShared} hands out from `from` until time changes it (`until`, exclusive;
   * Infinity once nothing time brings can); dropped on any change to the group.
   */
  shared?: { view: ContainerGroup; from: number; until: number };
}

/** Groups per state, as {@link AciModel.inventory} names the states. */
export type StateCounts = Record<'Pending' | 'Creating' | 'Running' | 'Failed' | 'Stopped', number>;

/** One group's share of {@link SimBilling}. */
interface Bill {
  seconds: number;
  vcpuSeconds: number;
  gbSeconds: number;
  costUSD: number;
}

/** Final bills of deleted groups, in the order they were deleted (columns, so summing them is a tight loop). */
class BillLedger {
  #size = 0;
  #columns = [new Float64Array(256), new Float64Array(256), new Float64Array(256), new Float64Array(256)];

  push(bill: Bill): void {
    if (this.#size === this.#columns[0]!.length)
      this.#columns = this.#columns.map((column) => {
        const grown = new Float64Array(column.length * 2);
        grown.set(column);
        return grown;
      });
    const [seconds, vcpu, gb, cost] = this.#columns as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    seconds[this.#size] = bill.seconds;
    vcpu[this.#size] = bill.vcpuSeconds;
    gb[this.#size] = bill.gbSeconds;
    cost[this.#size] = bill.costUSD;
    this.#size += 1;
  }

  /** Adds every bill to `total`, one after another in order. */
  addTo(total: Bill): void {
    const [seconds, vcpu, gb, cost] = this.#columns as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    for (let i = 0; i < this.#size; i++) {
      total.seconds += seconds[i]!;
      total.vcpuSeconds += vcpu[i]!;
      total.gbSeconds += gb[i]!;
      total.costUSD += cost[i]!;
    }
  }
}

interface SimOp {
  id: string;
  key: string;
  startedAt: number;
  doneAt: number;
  failure?: { code: string; message: string };
}

const DEFAULT_REGIONS: Record<string, SimRegionConfig> = { eastus: {}, eastus2: {}, westus2: {} };
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MAX_GROUP = { cpu: 31, memoryGB: 240 };
const SPOT_MAX_GROUP = { cpu: 4, memoryGB: 16 };
const TYPE = 'Microsoft.ContainerInstance/containerGroups';

function keyOf(rg: string, name: string): string {
  return `${rg.toLowerCase()}/${name}`;
}

/**
 * A deep copy of JSON-shaped data (plain objects, arrays, primitives): what structuredClone gives for it, at
 * a fraction of the cost. Anything else (a Date, a class instance) goes through structuredClone, and so does
 * the whole value when it nests deeper than JSON from ARM ever does (a cycle, say).
 */
export function cloneData<T>(value: T): T {
  try {
    return copyPlain(value, 0);
  } catch (error) {
    if (error === TOO_DEEP) return structuredClone(value);
    throw error;
  }
}

const TOO_DEEP = new RangeError('nested deeper than ARM JSON: copied with structuredClone');

function copyPlain<T>(value: T, depth: number): T {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 64) throw TOO_DEEP;
  if (Array.isArray(value)) return value.map((item: unknown) => copyPlain(item, depth + 1)) as T;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value))
    out[key] = copyPlain((value as Record<string, unknown>)[key], depth + 1);
  return out as T;
}

function round(value: number, digits = 6): number {
  return Number(value.toFixed(digits));
}

/** The simulated ACI service. */
export class AciModel {
  readonly subscriptionId: string;
  private readonly clock: Clock;
  private readonly random: SeededRandom;
  private readonly regions: Record<string, SimRegionConfig>;
  private readonly schedule: LatencyDistribution;
  private readonly pull: LatencyDistribution;
  private readonly start: LatencyDistribution;
  private readonly pullFailureMs: number;
  private readonly prices: SimPrices;
  private readonly badImages: Set<string>;
  private readonly groups = new Map<string, SimGroup>();
  /** What each deleted group was billed: final at its deletion (billing ends there at the latest). */
  private readonly deleted = new BillLedger();
  /** Bumped whenever a group comes, goes, stops or starts (what {@link stateCounts} remembers depends on it). */
  private version = 0;
  private counted: { version: number; at: number; until: number; counts: StateCounts } | undefined;
  /** The live groups sorted by name, until a group is created or deleted; and those of each resource group. */
  private readonly sortedByRg = new Map<string, SimGroup[]>();
  private sorted: SimGroup[] | undefined;
  private readonly operations = new Map<string, SimOp>();
  private readonly faults: (SimFault & { left: number })[] = [];
  private nextOp = 1;
  private nextIp = 0;
  /** Faults that fired, in order. */
  readonly fired: FiredFault[] = [];
  /** Calls per operation (including those a fault failed). */
  readonly calls: Record<SimOperation, number> = {
    create: 0,
    delete: 0,
    get: 0,
    list: 0,
    update: 0,
    usage: 0,
    logs: 0,
    stop: 0,
    start: 0,
    poll: 0,
  };

  constructor(options: AciModelOptions) {
    this.clock = options.clock;
    this.random = new SeededRandom(options.seed ?? 1);
    this.subscriptionId = options.subscriptionId ?? '00000000-0000-0000-0000-000000000000';
    this.regions = options.regions ?? DEFAULT_REGIONS;
    this.schedule = options.scheduleLatency ?? { kind: 'uniform', minSeconds: 1, maxSeconds: 3 };
    this.pull = options.pullLatency ?? { kind: 'lognormal', medianSeconds: 12, sigma: 0.5, maxSeconds: 110 };
    this.start = options.startLatency ?? { kind: 'uniform', minSeconds: 1, maxSeconds: 3 };
    validateDistribution('scheduleLatency', this.schedule);
    validateDistribution('pullLatency', this.pull);
    validateDistribution('startLatency', this.start);
    const failure = options.pullFailureSeconds ?? 5;
    if (!(failure >= 0)) throw new RangeError(`pullFailureSeconds: must be ≥ 0, got ${failure}`);
    this.pullFailureMs = failure * 1000;
    this.prices = options.prices ?? {
      vcpuSecondUSD: 0.0405 / 3600,
      gbSecondUSD: 0.00445 / 3600,
      spotRatio: 0.3,
    };
    this.badImages = new Set(options.inaccessibleImages ?? []);
  }

  // -------------------------------------------------------------------------------------------
  // Faults
  // -------------------------------------------------------------------------------------------

  /** Injects a fault; it fires on the next matching calls. */
  inject(fault: SimFault): void {
    const times = fault.times ?? 1;
    if (!(times >= 1)) throw new RangeError(`fault.times: must be ≥ 1 (or Infinity), got ${times}`);
    this.faults.push({ ...fault, left: times });
  }

  /** Removes every pending fault. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  private take(match: (f: SimFault) => boolean): SimFault | undefined {
    const index = this.faults.findIndex(match);
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.left -= 1;
    if (fault.left <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private enter(operation: SimOperation, group?: string): void {
    this.calls[operation] += 1;
    const fault = this.take(
      (f) =>
        (f.kind === 'throttle' || f.kind === 'transient') &&
        (f.operation === undefined || f.operation === operation),
    );
    if (!fault) return;
    this.fired.push({ kind: fault.kind, operation, at: this.clock.now(), ...(group ? { group } : {}) });
    if (fault.kind === 'throttle')
      throw new SimAciError(
        429,
        'TooManyRequests',
        'The request is being throttled as the limit has been reached for operation type - Write_ObservationWindow_00:05:00. For more information, see - https://aka.ms/srpthrottlinglimits',
        fault.retryAfterSeconds,
      );
    throw new SimAciError(
      500,
      'InternalServerError',
      `Encountered internal server error. Diagnostic information: timestamp '${new Date(this.clock.now()).toISOString()}', subscription id '${this.subscriptionId}', tracking id 'sim-${this.nextOp}'.`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // State, computed from the clock
  // -------------------------------------------------------------------------------------------

  private lastRun(g: SimGroup): Run | undefined {
    return g.runs.at(-1);
  }

  private phase(g: SimGroup, now: number): 'Pending' | 'Creating' | 'Running' | 'Failed' | 'Stopped' {
    const run = this.lastRun(g);
    if (!run || g.stopped) return 'Stopped';
    if (run.failAt !== undefined && now >= run.failAt) return 'Failed';
    if (now < run.pullStartAt) return 'Pending';
    if (now < run.startedAt) return 'Creating';
    return 'Running';
  }

  private provisioningState(g: SimGroup, now: number): string {
    const phase = this.phase(g, now);
    if (phase === 'Failed') return 'Failed';
    if (phase === 'Pending') return 'Pending';
    if (phase === 'Creating') return 'Creating';
    return 'Succeeded';
  }

  private events(container: Container, g: SimGroup, now: number): Event[] {
    const events: Event[] = [];
    const at = (ms: number): Date => new Date(ms);
    for (const run of g.runs) {
      const add = (when: number, name: string, message: string, type = 'Normal'): void => {
        if (when <= now && (run.endAt === undefined || when <= run.endAt))
          events.push({ count: 1, firstTimestamp: at(when), lastTimestamp: at(when), name, message, type });
      };
      add(run.pullStartAt, 'Pulling', `pulling image "${container.image}"`);
      if (run.failAt !== undefined) {
        add(
          run.failAt,
          'Failed',
          `Failed to pull image "${container.image}": rpc error: code = NotFound desc = failed to resolve reference "${container.image}": not found`,
          'Warning',
        );
        add(run.failAt, 'BackOff', `Back-off pulling image "${container.image}"`, 'Warning');
      } else {
        add(run.pulledAt, 'Pulled', `Successfully pulled image "${container.image}"`);
        add(run.startedAt, 'Started', 'Started container');
      }
    }
    return events;
  }

  private containerState(g: SimGroup, now: number): ContainerState {
    const run = this.lastRun(g);
    const phase = this.phase(g, now);
    if (!run) return { state: 'Waiting', detailStatus: '' };
    switch (phase) {
      case 'Pending':
        return { state: 'Waiting', detailStatus: 'Scheduling' };
      case 'Creating':
        return { state: 'Waiting', detailStatus: now < run.pulledAt ? 'Pulling' : 'ContainerCreating' };
      case 'Failed':
        return { state: 'Waiting', detailStatus: 'ImagePullBackOff' };
      case 'Running':
        return { state: 'Running', startTime: new Date(run.startedAt), detailStatus: '' };
      case 'Stopped':
        return {
          state: 'Terminated',
          exitCode: 0,
          ...(run.startedAt <= (run.endAt ?? now) ? { startTime: new Date(run.startedAt) } : {}),
          finishTime: new Date(run.endAt ?? now),
          detailStatus: 'Completed',
        };
    }
  }

  /** The group as Azure returns it: secure values, registry passwords and secret files left out. */
  private view(g: SimGroup): ContainerGroup {
    const now = this.clock.now();
    const spec = g.spec;
    const state = this.containerState(g, now);
    const phase = this.phase(g, now);
    return {
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${g.rg}/providers/${TYPE}/${g.name}`,
      name: g.name,
      type: TYPE,
      location: g.location,
      tags: { ...g.tags },
      ...(spec.zones ? { zones: [...spec.zones] } : {}),
      ...(spec.identity ? { identity: { ...spec.identity } } : {}),
      provisioningState: this.provisioningState(g, now),
      containers: spec.containers.map((c) => ({
        name: c.name,
        image: c.image,
        ...(c.command ? { command: [...c.command] } : {}),
        ...(c.ports ? { ports: c.ports.map((p) => ({ ...p })) } : {}),
        ...(c.environmentVariables
          ? {
              environmentVariables: c.environmentVariables.map((e) =>
                e.secureValue === undefined ? { name: e.name, value: e.value ?? '' } : { name: e.name },
              ),
            }
          : {}),
        resources: cloneData(c.resources),
        ...(c.volumeMounts ? { volumeMounts: c.volumeMounts.map((m) => ({ ...m })) } : {}),
        ...(c.livenessProbe ? { livenessProbe: cloneData(c.livenessProbe) } : {}),
        ...(c.readinessProbe ? { readinessProbe: cloneData(c.readinessProbe) } : {}),
        instanceView: { restartCount: 0, currentState: state, events: this.events(c, g, now) },
      })),
      ...(spec.initContainers
        ? {
            initContainers: spec.initContainers.map((c) => ({
              name: c.name,
              ...(c.image ? { image: c.image } : {}),
              ...(c.command ? { command: [...c.command] } : {}),
            })),
          }
        : {}),
      ...(spec.imageRegistryCredentials
        ? {
            imageRegistryCredentials: spec.imageRegistryCredentials.map((c) => ({
              server: c.server,
              ...(c.username ? { username: c.username } : {}),
              ...(c.identity ? { identity: c.identity } : {}),
            })),
          }
        : {}),
      ...(spec.restartPolicy ? { restartPolicy: spec.restartPolicy } : {}),
      ...(spec.ipAddress
        ? { ipAddress: { ...cloneData(spec.ipAddress), ...(g.privateIp ? { ip: g.privateIp } : {}) } }
        : {}),
      osType: spec.osType,
      ...(spec.volumes
        ? { volumes: spec.volumes.map((v) => (v.secret ? { name: v.name, secret: {} } : cloneData(v))) }
        : {}),
      instanceView: {
        state: phase === 'Creating' ? 'Pending' : phase,
        events: [],
      },
      ...(spec.subnetIds ? { subnetIds: spec.subnetIds.map((s) => ({ ...s })) } : {}),
      ...(spec.dnsConfig ? { dnsConfig: { ...spec.dnsConfig } } : {}),
      sku: spec.sku ?? 'Standard',
      priority: g.priority,
    };
  }

  private find(rg: string, name: string): SimGroup {
    const g = this.groups.get(keyOf(rg, name));
    if (!g)
      throw new SimAciError(
        404,
        'ResourceNotFound',
        `The Resource '${TYPE}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    return g;
  }

  // -------------------------------------------------------------------------------------------
  // Quotas and capacity
  // -------------------------------------------------------------------------------------------

  private regionConfig(
    location: string,
  ): Required<Omit<SimRegionConfig, 'capacityCores' | 'spotCapacityCores'>> & SimRegionConfig {
    const config = this.regions[location];
    if (!config)
      throw new SimAciError(
        400,
        'LocationNotAvailableForResourceType',
        `The provided location '${location}' is not available for resource type '${TYPE}'. List of available regions for the resource type is '${Object.keys(this.regions).join(',')}'.`,
      );
    return { containerGroups: 100, standardCores: 100, spotCores: 10, ...config };
  }

  private usageOf(location: string): { groups: number; cores: number; spotCores: number } {
    const now = this.clock.now();
    let groups = 0;
    let cores = 0;
    let spotCores = 0;
    for (const g of this.groups.values()) {
      if (g.location !== location) continue;
      groups += 1;
      const phase = this.phase(g, now);
      if (phase === 'Stopped' || phase === 'Failed') continue;
      if (g.priority === 'Spot') spotCores += g.cpu;
      else cores += g.cpu;
    }
    return { groups, cores: Math.ceil(round(cores)), spotCores: Math.ceil(round(spotCores)) };
  }

  /** ACI's usages for a region. */
  usage(location: string): Usage[] {
    this.enter('usage');
    const config = this.regionConfig(location);
    const used = this.usageOf(location);
    const usage = (value: string, localized: string, current: number, limit: number): Usage => ({
      id: `/subscriptions/${this.subscriptionId}/providers/Microsoft.ContainerInstance/locations/${location}/usages/${value}`,
      unit: 'Count',
      currentValue: current,
      limit,
      name: { value, localizedValue: localized },
    });
    return [
      usage('ContainerGroups', 'Container Groups', used.groups, config.containerGroups),
      usage('StandardCores', 'Standard Cores', used.cores, config.standardCores),
      usage('StandardSpotCores', 'Standard Spot Cores', used.spotCores, config.spotCores),
    ];
  }

  private quotaError(
    quota: string,
    location: string,
    limit: number,
    usage: number,
    requested: number,
  ): SimAciError {
    return new SimAciError(
      400,
      'ContainerGroupQuotaReached',
      `Resource type '${TYPE}' container group quota '${quota}' exceeded in region '${location}'. Limit: '${limit}', Usage: '${usage}' Requested: '${requested}'.`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Operations (ARM semantics)
  // -------------------------------------------------------------------------------------------

  private validate(name: string, group: ContainerGroup): { cpu: number; memoryGB: number } {
    const invalid = (message: string, code = 'InvalidRequestContent'): SimAciError =>
      new SimAciError(400, code, message);
    if (!NAME.test(name) || name.includes('--'))
      throw invalid(
        `The container group name '${name}' is invalid. The name must contain no more than 63 characters and only lowercase letters, numbers and single hyphens, and must start and end with a letter or number.`,
        'InvalidResourceName',
      );
    if (!group.location) throw invalid("The 'location' property is required.", 'LocationRequired');
    if (!group.containers?.length) throw invalid('The container group must have at least one container.');
    if (group.osType !== 'Linux' && group.osType !== 'Windows')
      throw invalid(`The osType '${String(group.osType)}' is invalid; use Linux or Windows.`);
    let cpu = 0;
    let memoryGB = 0;
    for (const c of group.containers) {
      const r = c.resources?.requests;
      if (!c.name || !c.image || !r || !(r.cpu > 0) || !(r.memoryInGB > 0))
        throw invalid(`Container '${c.name}' needs a name, an image and resource requests above 0.`);
      const l = c.resources.limits;
      if (
        (l?.cpu !== undefined && l.cpu < r.cpu) ||
        (l?.memoryInGB !== undefined && l.memoryInGB < r.memoryInGB)
      )
        throw invalid(
          `The container '${c.name}' resource limits are less than its requests.`,
          'ResourceLimitsLessThanRequests',
        );
      cpu += r.cpu;
      memoryGB += r.memoryInGB;
    }
    if (cpu > MAX_GROUP.cpu || memoryGB > MAX_GROUP.memoryGB)
      throw invalid(
        `The requested resource '${round(cpu, 2)}' CPU '${round(memoryGB, 1)}' GB memory exceeds the maximum of '${MAX_GROUP.cpu}' CPU '${MAX_GROUP.memoryGB}' GB memory per container group.`,
      );
    if (group.priority === 'Spot') {
      if (group.subnetIds?.length)
        throw invalid('Spot container groups cannot be deployed into a virtual network.');
      if (cpu > SPOT_MAX_GROUP.cpu || memoryGB > SPOT_MAX_GROUP.memoryGB)
        throw invalid(
          `Spot container groups are limited to ${SPOT_MAX_GROUP.cpu} CPU and ${SPOT_MAX_GROUP.memoryGB} GB memory.`,
        );
    }
    if (group.ipAddress?.type === 'Private' && !group.subnetIds?.length)
      throw invalid('A private IP address requires the container group to be deployed into a subnet.');
    return { cpu: round(cpu, 2), memoryGB: round(memoryGB, 1) };
  }

  /**
   * PUT a container group. A new group starts provisioning and gets a long-running operation; an
   * existing one has its tags and spec replaced (the model does not re-provision on update).
   */
  createOrUpdate(
    rg: string,
    name: string,
    group: ContainerGroup,
  ): { group: ContainerGroup; operationId: string; created: boolean } {
    this.enter('create', name);
    const now = this.clock.now();
    const location = (group.location ?? '').toLowerCase().replace(/\s+/g, '');
    const size = this.validate(name, group);
    const config = this.regionConfig(location);
    const priority = group.priority === 'Spot' ? 'Spot' : 'Regular';
    const existing = this.groups.get(keyOf(rg, name));
    if (existing) {
      if (existing.location !== location)
        throw new SimAciError(
          409,
          'InvalidResourceLocation',
          `The resource '${name}' already exists in location '${existing.location}' in resource group '${rg}'. A resource with the same name cannot be created in location '${location}'. Please select a new resource name.`,
        );
      existing.tags = { ...(group.tags ?? {}) };
      existing.spec = cloneData(group);
      delete existing.shared;
      const id = this.operation(keyOf(rg, name), now, now);
      return { group: this.view(existing), operationId: id, created: false };
    }

    const used = this.usageOf(location);
    const requested = Math.ceil(size.cpu);
    if (used.groups + 1 > config.containerGroups)
      throw this.quotaError('ContainerGroups', location, config.containerGroups, used.groups, 1);
    if (priority === 'Spot' && used.spotCores + requested > config.spotCores)
      throw this.quotaError('StandardSpotCores', location, config.spotCores, used.spotCores, requested);
    if (priority === 'Regular' && used.cores + requested > config.standardCores)
      throw this.quotaError('StandardCores', location, config.standardCores, used.cores, requested);

    const capacity = priority === 'Spot' ? config.spotCapacityCores : config.capacityCores;
    const inUse = priority === 'Spot' ? used.spotCores : used.cores;
    const injected = this.take(
      (f) =>
        f.kind === 'capacity' &&
        (f.region === undefined || f.region === location) &&
        (f.priority === undefined || f.priority === priority),
    );
    if (injected) this.fired.push({ kind: 'capacity', operation: 'create', group: name, at: now });
    if (injected || (capacity !== undefined && inUse + size.cpu > capacity))
      throw new SimAciError(
        409,
        'ServiceUnavailable',
        `The requested resource is not available in the location '${location}' at this moment. Please retry with a different resource request or in another location. Resource requested: '${size.cpu}' CPU '${size.memoryGB}' GB memory '${group.osType}' OS${priority === 'Spot' ? ' with Spot priority' : ''}.`,
      );

    const images = [...group.containers, ...(group.initContainers ?? [])].map((c) => c.image ?? '');
    let failedImage = images.find((image) => this.badImages.has(image));
    if (!failedImage) {
      const fault = this.take(
        (f) => f.kind === 'inaccessible-image' && (f.image === undefined || images.includes(f.image)),
      );
      if (fault && fault.kind === 'inaccessible-image') {
        failedImage = fault.image ?? images[0]!;
        this.fired.push({ kind: 'inaccessible-image', operation: 'create', group: name, at: now });
      }
    }

    const g: SimGroup = {
      rg,
      name,
      location,
      tags: { ...(group.tags ?? {}) },
      spec: cloneData(group),
      cpu: size.cpu,
      memoryGB: size.memoryGB,
      priority,
      runs: [],
      stopped: false,
      ...(failedImage ? { failedImage } : {}),
    };
    if (group.subnetIds?.length) {
      const n = this.nextIp++;
      g.privateIp = `10.240.${Math.floor(n / 250) % 256}.${(n % 250) + 4}`;
    }
    const run = this.newRun(now, failedImage !== undefined);
    g.runs.push(run);
    this.groups.set(keyOf(rg, name), g);
    this.sorted = undefined;
    this.version += 1;
    const id = this.operation(
      keyOf(rg, name),
      now,
      run.failAt ?? run.startedAt,
      failedImage
        ? {
            code: 'InaccessibleImage',
            message: `The image '${failedImage}' in container group '${name}' is not accessible. Please check the image and registry credential.`,
          }
        : undefined,
    );
    return { group: this.view(g), operationId: id, created: true };
  }

  private newRun(now: number, failing: boolean): Run {
    const pullStartAt = now + sample(this.schedule, this.random) * 1000;
    const pulledAt = pullStartAt + sample(this.pull, this.random) * 1000;
    const startedAt = pulledAt + sample(this.start, this.random) * 1000;
    const run: Run = {
      pullStartAt: Math.round(pullStartAt),
      pulledAt: Math.round(pulledAt),
      startedAt: Math.round(startedAt),
    };
    if (failing) run.failAt = Math.round(pullStartAt + this.pullFailureMs);
    return run;
  }

  private operation(
    key: string,
    startedAt: number,
    doneAt: number,
    failure?: { code: string; message: string },
  ): string {
    const id = `sim-op-${String(this.nextOp++).padStart(6, '0')}`;
    this.operations.set(id, { id, key, startedAt, doneAt, ...(failure ? { failure } : {}) });
    return id;
  }

  /** Status of a long-running operation, or undefined for an unknown id. */
  operationStatus(id: string): SimOperationStatus | undefined {
    this.enter('poll');
    const op = this.operations.get(id);
    if (!op) return undefined;
    const now = this.clock.now();
    if (now < op.doneAt) return { id, status: 'InProgress', startTime: new Date(op.startedAt) };
    return {
      id,
      status: op.failure ? 'Failed' : 'Succeeded',
      startTime: new Date(op.startedAt),
      endTime: new Date(op.doneAt),
      ...(op.failure ? { error: { ...op.failure } } : {}),
    };
  }

  /** When an operation ends (clock time), or undefined for an unknown id. */
  operationDoneAt(id: string): number | undefined {
    return this.operations.get(id)?.doneAt;
  }

  /** GET one group. */
  get(rg: string, name: string): ContainerGroup {
    this.enter('get', name);
    return this.view(this.find(rg, name));
  }

  /** Every group of a resource group (or of the subscription), sorted by name. */
  list(rg?: string): ContainerGroup[] {
    this.enter('list');
    return this.byName(rg).map((g) => this.view(g));
  }

  /**
   * {@link list}, for a caller that never changes what it gets (the fast simulator's in-process API): a
   * group's view is built once and the same object is handed out until time changes it (the pull starts
   * or ends, the container starts, the image pull fails) or the group changes (tags, spec, stop, start,
   * delete). Same faults and counters as {@link list}.
   */
  listShared(rg?: string): readonly ContainerGroup[] {
    this.enter('list');
    const now = this.clock.now();
    return this.byName(rg).map((g) => {
      const shared = g.shared;
      if (shared && now >= shared.from && now < shared.until) return shared.view;
      const view = this.view(g);
      g.shared = { view, from: now, until: this.viewChangesAt(g, now) };
      return view;
    });
  }

  /** Live groups of a resource group (or all), sorted by name. */
  private byName(rg: string | undefined): readonly SimGroup[] {
    if (!this.sorted) {
      this.sorted = [...this.groups.values()].sort((a, b) => a.name.localeCompare(b.name));
      this.sortedByRg.clear();
    }
    if (rg === undefined) return this.sorted;
    const wanted = rg.toLowerCase();
    let groups = this.sortedByRg.get(wanted);
    if (!groups) {
      groups = this.sorted.filter((g) => g.rg.toLowerCase() === wanted);
      this.sortedByRg.set(wanted, groups);
    }
    return groups;
  }

  /**
   * The first time after `now` at which time alone changes the group's view (its phase, its container's
   * state or its events): the next of its last run's pull start, pull end, container start and failed pull;
   * Infinity once the run failed or was stopped (the views of earlier runs ended with them).
   */
  private viewChangesAt(g: SimGroup, now: number): number {
    const run = this.lastRun(g);
    if (!run) return now;
    if (g.stopped) return run.endAt === undefined ? now : Infinity;
    if (run.failAt !== undefined && now >= run.failAt) return Infinity;
    let next = Infinity;
    for (const t of [run.pullStartAt, run.pulledAt, run.startedAt, run.failAt])
      if (t !== undefined && t > now && t < next) next = t;
    return next;
  }

  /** DELETE: the group as it was, or undefined when it did not exist (ARM answers 204). */
  delete(rg: string, name: string): ContainerGroup | undefined {
    this.enter('delete', name);
    const g = this.groups.get(keyOf(rg, name));
    if (!g) return undefined;
    const now = this.clock.now();
    const run = this.lastRun(g);
    if (run && run.endAt === undefined) run.endAt = now;
    const view = this.view(g);
    g.deletedAt = now;
    this.groups.delete(keyOf(rg, name));
    this.sorted = undefined;
    this.version += 1;
    this.deleted.push(this.bill(g, now));
    return view;
  }

  /** PATCH: replaces the tags. */
  updateTags(rg: string, name: string, tags: Record<string, string>): ContainerGroup {
    this.enter('update', name);
    const g = this.find(rg, name);
    g.tags = { ...tags };
    delete g.shared;
    return this.view(g);
  }

  /** POST stop: containers stop, billing stops. */
  stop(rg: string, name: string): void {
    this.enter('stop', name);
    const g = this.find(rg, name);
    const run = this.lastRun(g);
    if (run && run.endAt === undefined) run.endAt = this.clock.now();
    g.stopped = true;
    this.version += 1;
    delete g.shared;
  }

  /** POST start: a new run (pull, start) with its long-running operation. */
  startGroup(rg: string, name: string): string {
    this.enter('start', name);
    const g = this.find(rg, name);
    const now = this.clock.now();
    if (!g.stopped) return this.operation(keyOf(rg, name), now, now);
    g.stopped = false;
    this.version += 1;
    delete g.shared;
    const run = this.newRun(now, g.failedImage !== undefined);
    g.runs.push(run);
    return this.operation(keyOf(rg, name), now, run.failAt ?? run.startedAt);
  }

  /** A container's log: one line per event so far, the last `tail` lines. */
  logs(rg: string, name: string, container: string, tail?: number): string {
    this.enter('logs', name);
    const g = this.find(rg, name);
    const c = g.spec.containers.find((x) => x.name === container);
    if (!c)
      throw new SimAciError(
        404,
        'ContainerNotFound',
        `The container '${container}' is not found in container group '${name}'.`,
      );
    const lines = this.events(c, g, this.clock.now()).map(
      (e) => `${e.lastTimestamp?.toISOString() ?? ''} ${e.name ?? ''}: ${e.message ?? ''}`,
    );
    const selected = tail === undefined ? lines : lines.slice(-tail);
    return selected.length ? `${selected.join('\n')}\n` : '';
  }

  // -------------------------------------------------------------------------------------------
  // Meter and inspection (not part of ARM)
  // -------------------------------------------------------------------------------------------

  private billed(g: SimGroup, now: number): { seconds: number } {
    let ms = 0;
    for (const run of g.runs) {
      const end = Math.min(run.endAt ?? Infinity, run.failAt ?? Infinity, g.deletedAt ?? Infinity, now);
      if (end > run.pullStartAt) ms += end - run.pullStartAt;
    }
    return { seconds: ms / 1000 };
  }

  private bill(g: SimGroup, now: number): Bill {
    const { seconds } = this.billed(g, now);
    const ratio = g.priority === 'Spot' ? this.prices.spotRatio : 1;
    return {
      seconds,
      vcpuSeconds: seconds * g.cpu,
      gbSeconds: seconds * g.memoryGB,
      costUSD: seconds * (g.cpu * this.prices.vcpuSecondUSD + g.memoryGB * this.prices.gbSecondUSD) * ratio,
    };
  }

  /**
   * Billing of every group ever created, up to now: the live groups, then the deleted ones in the order
   * they were deleted (each deleted group's bill was fixed at its deletion; the sums are taken in the same
   * order every time).
   */
  billing(): SimBilling {
    const now = this.clock.now();
    const total: Bill = { seconds: 0, vcpuSeconds: 0, gbSeconds: 0, costUSD: 0 };
    for (const g of this.groups.values()) {
      const bill = this.bill(g, now);
      total.seconds += bill.seconds;
      total.vcpuSeconds += bill.vcpuSeconds;
      total.gbSeconds += bill.gbSeconds;
      total.costUSD += bill.costUSD;
    }
    this.deleted.addTo(total);
    return {
      costUSD: total.costUSD,
      replicaSeconds: total.seconds,
      vcpuSeconds: total.vcpuSeconds,
      gbSeconds: total.gbSeconds,
    };
  }

  /** Groups that exist now, without calling through faults or counters (for tests and reports). */
  inventory(): {
    resourceGroup: string;
    name: string;
    location: string;
    state: string;
    tags: Record<string, string>;
  }[] {
    const now = this.clock.now();
    return this.byName(undefined).map((g) => ({
      resourceGroup: g.rg,
      name: g.name,
      location: g.location,
      state: this.phase(g, now),
      tags: { ...g.tags },
    }));
  }

  /** How many groups exist in each state {@link inventory} reports, without building the inventory. */
  stateCounts(): StateCounts {
    const now = this.clock.now();
    const memo = this.counted;
    if (memo && memo.version === this.version && now >= memo.at && now < memo.until)
      return { ...memo.counts };
    const counts: StateCounts = { Pending: 0, Creating: 0, Running: 0, Failed: 0, Stopped: 0 };
    let until = Infinity;
    for (const g of this.groups.values()) {
      counts[this.phase(g, now)] += 1;
      const run = this.lastRun(g);
      if (!run || g.stopped) continue;
      // The phase is a function of now's place among these times: it holds until the next one passes.
      for (const t of [run.pullStartAt, run.startedAt, run.failAt ?? Infinity])
        if (t > now && t < until) until = t;
    }
    this.counted = { version: this.version, at: now, until, counts };
    return { ...counts };
  }

  /**
   * The state {@link inventory} reports for one group (Pending, Creating, Running, Failed or Stopped), or
   * undefined when it does not exist; without faults or counters.
   */
  stateOf(rg: string, name: string): string | undefined {
    const g = this.groups.get(keyOf(rg, name));
    return g ? this.phase(g, this.clock.now()) : undefined;
  }

  /** The request-time secret values a group holds (for tests that prove they never leave the model). */
  secretsOf(rg: string, name: string): string[] {
    const g = this.groups.get(keyOf(rg, name));
    if (!g) return [];
    const out: string[] = [];
    for (const c of [...g.spec.containers, ...(g.spec.initContainers ?? [])])
      for (const e of c.environmentVariables ?? []) if (e.secureValue) out.push(e.secureValue);
    for (const cred of g.spec.imageRegistryCredentials ?? []) if (cred.password) out.push(cred.password);
    return out;
  }
}
