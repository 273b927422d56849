/**
 * The executor: runs a decision's actions through the ports, idempotently and in a safe order.
 *
 * Order within one tick:
 *   1. `SetPodDeletionCost` — before any scale-down, so the ReplicaSet removes the pods we chose;
 *   2. `ScaleDeployment`;
 *   3. `DrainBurst` — the drain start is recorded on the group (a tag), so a restart continues it;
 *   4. the EndpointSlice (when the spec asks for one) — draining replicas leave it before any delete;
 *   5. `DeleteBurst` — never for a group whose drain failed in this same tick;
 *   6. `CreateBurst` — concurrently; the provider paces writes under ARM limits;
 *   7. `Emit` — the decision's events, then the executor's own (failures, failover);
 *   8. `PatchStatus` — last, so status reports what was actually done (a failure adds `Degraded`).
 *
 * Every action is guarded: when this replica is no longer the leader, or the cluster cache is not in
 * sync (API server unreachable), the remaining actions are skipped and nothing new happens. One failing
 * action does not stop unrelated ones; each outcome is recorded, counted and logged.
 */
import type { Logger } from '../telemetry/logger.ts';
import type { ControllerMetrics } from '../telemetry/metrics.ts';
import type {
  Action,
  BurstReplica,
  Condition,
  Decision,
  Policy,
  ScalerKey,
  ScalerStatus,
} from '../core/types.ts';
import type {
  BurstProvider,
  Clock,
  ClusterPort,
  CreateBurstRequest,
  EndpointAddress,
  EventType,
  WorkloadView,
} from '../ports.ts';
import { asError, describeError } from './errors.ts';

export interface ExecutorDeps {
  clock: Clock;
  cluster: ClusterPort;
  provider: BurstProvider;
  logger: Logger;
  metrics?: ControllerMetrics;
}

export interface ExecutorOptions {
  /** The executor's own events (failures, failover) repeat at most this often per reason and message. @default 600000 */
  eventRepeatMs?: number;
  /**
   * A status that differs from the last one written only in `lastDecision.at`/`reasons`/`cost` or `forecast`
   * is written at most this often, so a steady scaler costs the API server one status write a minute, not
   * one a tick.
   * @default 60000
   */
  statusRefreshMs?: number;
}

/** What one tick hands to the executor. */
export interface ExecutionInput {
  key: ScalerKey;
  policy: Policy;
  workload: WorkloadView;
  /** The scaler's groups as listed at the start of the tick. */
  burst: BurstReplica[];
  decision: Decision;
  /** The status currently stored on the BurstScaler, if it has one. */
  currentStatus?: ScalerStatus;
}

/** Says whether actions may run now; returns why not otherwise. */
export type ActionGuard = () => string | undefined;

export type ActionOutcome =
  | { action: Action; result: 'ok'; replica?: BurstReplica }
  | { action: Action; result: 'skipped'; why: string }
  | { action: Action; result: 'failed'; reason: string; message: string; error: Error };

export interface ExecutionReport {
  /** One outcome per action, in execution order. */
  outcomes: ActionOutcome[];
  /** The scaler's groups after the actions (created added, deleted removed, drained marked). */
  burst: BurstReplica[];
  /** Whether the EndpointSlice was written this tick. */
  endpointSlice: 'synced' | 'unchanged' | 'failed' | 'not-configured' | 'skipped';
  /** `Degraded` when an action failed this tick, or its clearing after earlier failures. */
  degraded?: Condition;
}

interface ScalerMemory {
  /** Sorted JSON of the addresses last written to the EndpointSlice. */
  endpointSlice?: string;
  /** The status this executor last wrote, and when. */
  status?: ScalerStatus;
  statusAt?: number;
  /** Whether that status carried a Degraded condition the executor added. */
  degradedByExecutor: boolean;
  /** Executor-made events: `reason\nmessage` → when last emitted. */
  events: Map<string, number>;
}

const PHASES: Action['kind'][] = [
  'SetPodDeletionCost',
  'ScaleDeployment',
  'DrainBurst',
  'ResumeBurst',
  'DeleteBurst',
  'CreateBurst',
  'Emit',
  'PatchStatus',
];

/** Builds the key used for per-scaler memory. */
export function scalerId(key: { namespace: string; name: string }): string {
  return `${key.namespace}/${key.name}`;
}

/** Replaces conditions of the same type in `conditions` by `updates`. */
export function mergeConditions(conditions: Condition[], updates: Condition[]): Condition[] {
  const types = new Set(updates.map((c) => c.type));
  return [...conditions.filter((c) => !types.has(c.type)), ...updates];
}

/** The addresses to publish: Ready, running, non-draining groups with a private IP, by name. */
export function endpointAddresses(burst: BurstReplica[]): EndpointAddress[] {
  return burst
    .filter((r) => r.ready && r.state === 'Running' && r.drainingSince === undefined && r.privateIp)
    .map((r) => ({ name: r.name, ip: r.privateIp!, ready: true }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export class Executor {
  readonly #deps: ExecutorDeps;
  readonly #eventRepeatMs: number;
  readonly #statusRefreshMs: number;
  readonly #memory = new Map<string, ScalerMemory>();

  constructor(deps: ExecutorDeps, options: ExecutorOptions = {}) {
    this.#deps = deps;
    this.#eventRepeatMs = options.eventRepeatMs ?? 600_000;
    this.#statusRefreshMs = options.statusRefreshMs ?? 60_000;
  }

  /** Drops what the executor remembers about a scaler (it was deleted, or leadership changed). */
  forget(key: { namespace: string; name: string }): void {
    this.#memory.delete(scalerId(key));
  }

  /** Forgets every scaler. */
  reset(): void {
    this.#memory.clear();
  }

  /** Runs `input.decision.actions` in the safe order; see the module comment. */
  async execute(input: ExecutionInput, guard: ActionGuard): Promise<ExecutionReport> {
    const { key, decision } = input;
    const id = scalerId(key);
    const memory: ScalerMemory = this.#memory.get(id) ?? { degradedByExecutor: false, events: new Map() };
    this.#memory.set(id, memory);
    // Bindings per call rather than a child logger per tick (pino children are not free).
    const scaler = { namespace: key.namespace, scaler: key.name };
    const logger = this.#deps.logger;
    const log = {
      info: (fields: Record<string, unknown>, message: string) =>
        logger.info({ ...scaler, ...fields }, message),
      warn: (fields: Record<string, unknown>, message: string) =>
        logger.warn({ ...scaler, ...fields }, message),
    };
    const burst = new Map(input.burst.map((r) => [r.name, { ...r }]));
    const outcomes: ActionOutcome[] = [];
    const notices: { type: EventType; reason: string; message: string }[] = [];
    const failedDrains = new Set<string>();

    const byKind = (kind: Action['kind']): Action[] => decision.actions.filter((a) => a.kind === kind);
    const unknown = decision.actions.filter((a) => !PHASES.includes(a.kind));
    for (const action of unknown) outcomes.push({ action, result: 'skipped', why: 'unknown action kind' });

    const run = async (action: Action, work: () => Promise<BurstReplica | string | void>): Promise<void> => {
      const blocked = guard();
      if (blocked !== undefined) {
        outcomes.push({ action, result: 'skipped', why: blocked });
        return;
      }
      const labels = { namespace: key.namespace, scaler: key.name, kind: action.kind };
      try {
        const result = await work();
        if (typeof result === 'string') {
          outcomes.push({ action, result: 'skipped', why: result });
          return;
        }
        outcomes.push({ action, result: 'ok', ...(result ? { replica: result } : {}) });
        this.#deps.metrics?.actions.inc(labels);
        if (action.kind !== 'PatchStatus' && action.kind !== 'Emit')
          log.info({ action: action.kind, reason: action.reason }, describeAction(action));
      } catch (caught) {
        const error = asError(caught);
        const { reason, message } = describeError(error, `${action.kind}Failed`);
        const text = withSubject(action, message);
        outcomes.push({ action, result: 'failed', reason, message: text, error });
        this.#deps.metrics?.actionFailures.inc(labels);
        log.warn({ action: action.kind, reason, err: error }, text);
        if (action.kind !== 'Emit' && action.kind !== 'PatchStatus')
          notices.push({ type: 'Warning', reason, message: text });
      }
    };

    // 1. Pod deletion costs, before any scale-down.
    await Promise.all(
      byKind('SetPodDeletionCost').map((action) =>
        run(action, async () => {
          if (action.kind !== 'SetPodDeletionCost') return;
          const pod = input.workload.pods.find((p) => p.name === action.pod);
          if (pod?.deletionCost === action.cost) return `pod ${action.pod} already has cost ${action.cost}`;
          await this.#deps.cluster.setPodDeletionCost(key.namespace, action.pod, action.cost);
        }),
      ),
    );

    // 2. The Deployment's replicas (the last one wins if a decision carried several).
    for (const action of byKind('ScaleDeployment')) {
      await run(action, async () => {
        if (action.kind !== 'ScaleDeployment') return;
        if (input.workload.target.replicas === action.replicas)
          return `${input.policy.targetRef.name} already has ${action.replicas} replicas`;
        await this.#deps.cluster.scaleTarget(key.namespace, input.policy.targetRef, action.replicas);
      });
    }

    // 3. Drains.
    await Promise.all(
      byKind('DrainBurst').map((action) =>
        run(action, async () => {
          if (action.kind !== 'DrainBurst') return;
          const replica = burst.get(action.name);
          if (!replica) return `group ${action.name} does not exist`;
          if (replica.drainingSince !== undefined) return `group ${action.name} is already draining`;
          const since = this.#deps.clock.now();
          try {
            await this.#deps.provider.markDraining(action.name, since);
          } catch (error) {
            failedDrains.add(action.name);
            throw error;
          }
          replica.drainingSince = since;
        }),
      ),
    );

    // 3b. Resumes: a draining group serves again (it rejoins the EndpointSlice below).
    await Promise.all(
      byKind('ResumeBurst').map((action) =>
        run(action, async () => {
          if (action.kind !== 'ResumeBurst') return;
          const replica = burst.get(action.name);
          if (!replica) return `group ${action.name} does not exist`;
          if (replica.drainingSince === undefined) return `group ${action.name} is not draining`;
          await this.#deps.provider.resumeDraining(action.name);
          delete replica.drainingSince;
        }),
      ),
    );

    // 4. EndpointSlice: draining replicas, and those about to be deleted, leave it before any delete.
    const leaving = new Set(byKind('DeleteBurst').map((a) => (a.kind === 'DeleteBurst' ? a.name : '')));
    const serving = [...burst.values()].filter((r) => !leaving.has(r.name));
    const endpointSlice = await this.#syncEndpointSlice(input, serving, memory, guard, notices);

    // 5. Deletes.
    await Promise.all(
      byKind('DeleteBurst').map((action) =>
        run(action, async () => {
          if (action.kind !== 'DeleteBurst') return;
          if (failedDrains.has(action.name)) return `the drain of ${action.name} failed; not deleting it`;
          await this.#deps.provider.delete(action.name);
          burst.delete(action.name);
        }),
      ),
    );

    // 6. Creates, concurrently (the provider paces them).
    await Promise.all(
      byKind('CreateBurst').map((action) =>
        run(action, async () => {
          if (action.kind !== 'CreateBurst') return;
          const existing = burst.get(action.name);
          if (existing && existing.state !== 'Failed') return `group ${action.name} already exists`;
          const request = this.#createRequest(input, action);
          const replica = await this.#deps.provider.create(request);
          burst.set(replica.name, replica);
          const preferred = request.regions[0];
          if (preferred !== undefined && replica.region !== preferred)
            notices.push({
              type: 'Warning',
              reason: 'BurstFailover',
              message: `container group ${replica.name} runs in ${replica.region}: the preferred region ${preferred} could not take it`,
            });
          if (request.priority === 'Spot' && replica.priority === 'Regular')
            notices.push({
              type: 'Normal',
              reason: 'SpotFallback',
              message: `container group ${replica.name} runs as Regular: no Spot capacity in ${replica.region}`,
            });
          return replica;
        }),
      ),
    );

    // 7. Events: the decision's, then the executor's own (deduplicated).
    for (const action of byKind('Emit')) {
      await run(action, async () => {
        if (action.kind !== 'Emit') return;
        await this.#deps.cluster.emitEvent(key, action.type, action.reason, action.message);
      });
    }
    const now = this.#deps.clock.now();
    for (const notice of notices) {
      const dedupe = `${notice.reason}\n${notice.message}`;
      const last = memory.events.get(dedupe);
      if (last !== undefined && now - last < this.#eventRepeatMs) continue;
      if (guard() !== undefined) break;
      try {
        await this.#deps.cluster.emitEvent(key, notice.type, notice.reason, notice.message);
        memory.events.set(dedupe, now);
      } catch (error) {
        log.warn(
          { err: asError(error) },
          `could not record event ${notice.reason}: ${describeError(error).message}`,
        );
      }
    }
    for (const [dedupe, at] of memory.events)
      if (now - at >= this.#eventRepeatMs) memory.events.delete(dedupe);

    // 8. Status, last.
    const degraded = this.#degradedCondition(outcomes, memory, decision);
    const patches = byKind('PatchStatus');
    if (patches.length > 0) {
      for (const action of patches) {
        if (action.kind !== 'PatchStatus') continue;
        const status = degraded
          ? { ...action.status, conditions: mergeConditions(action.status.conditions, [degraded]) }
          : action.status;
        await run(action, async () => {
          const fresh = memory.statusAt !== undefined && now - memory.statusAt < this.#statusRefreshMs;
          if (fresh && memory.status && sameStatus(memory.status, status))
            return 'status unchanged since the last write';
          await this.#deps.cluster.patchStatus(key, status);
          memory.status = status;
          memory.statusAt = now;
          memory.degradedByExecutor = degraded?.status === 'True';
        });
      }
    } else if (degraded) {
      const base = memory.status ?? input.currentStatus;
      if (base) {
        const status = { ...base, conditions: mergeConditions(base.conditions, [degraded]) };
        const action: Action = { kind: 'PatchStatus', status, reason: `Degraded: ${degraded.reason}` };
        await run(action, async () => {
          await this.#deps.cluster.patchStatus(key, status);
          memory.status = status;
          memory.statusAt = now;
          memory.degradedByExecutor = degraded.status === 'True';
        });
      }
    }

    return { outcomes, burst: [...burst.values()], endpointSlice, ...(degraded ? { degraded } : {}) };
  }

  #createRequest(
    input: ExecutionInput,
    action: Extract<Action, { kind: 'CreateBurst' }>,
  ): CreateBurstRequest {
    const aci = input.policy.burst.aci;
    return {
      scaler: input.key,
      name: action.name,
      index: action.index,
      regions: action.regions.length > 0 ? action.regions : aci.regions,
      priority: action.priority,
      spotFallbackToRegular: aci.spotFallbackToRegular,
      templateHash: action.templateHash,
      template: input.workload.template,
      ...(aci.subnetId !== undefined ? { subnetId: aci.subnetId } : {}),
      values: this.#deps.cluster,
    };
  }

  async #syncEndpointSlice(
    input: ExecutionInput,
    burst: BurstReplica[],
    memory: ScalerMemory,
    guard: ActionGuard,
    notices: { type: EventType; reason: string; message: string }[],
  ): Promise<ExecutionReport['endpointSlice']> {
    const slice = input.policy.burst.endpointSlice;
    if (!slice) return 'not-configured';
    const addresses = endpointAddresses(burst);
    const fingerprint = JSON.stringify(addresses);
    if (memory.endpointSlice === fingerprint) return 'unchanged';
    if (guard() !== undefined) return 'skipped';
    try {
      await this.#deps.cluster.syncEndpointSlice(input.key, slice.serviceName, addresses);
      memory.endpointSlice = fingerprint;
      return 'synced';
    } catch (error) {
      const { reason, message } = describeError(error, 'EndpointSliceFailed');
      notices.push({
        type: 'Warning',
        reason,
        message: `updating the EndpointSlice of Service ${slice.serviceName}: ${message}`,
      });
      this.#deps.logger.warn(
        { err: asError(error), service: slice.serviceName },
        'EndpointSlice sync failed',
      );
      return 'failed';
    }
  }

  /** Degraded=True naming this tick's failures, or its clearing when the executor had set it before. */
  #degradedCondition(
    outcomes: ActionOutcome[],
    memory: ScalerMemory,
    decision: Decision,
  ): Condition | undefined {
    const failures = outcomes.filter(
      (o): o is Extract<ActionOutcome, { result: 'failed' }> =>
        o.result === 'failed' && o.action.kind !== 'PatchStatus' && o.action.kind !== 'Emit',
    );
    const first = failures[0];
    if (first) {
      const messages = [...new Set(failures.map((f) => f.message))];
      const shown = messages.slice(0, 3).join('; ');
      const more = messages.length > 3 ? ` (and ${messages.length - 3} more)` : '';
      return { type: 'Degraded', status: 'True', reason: first.reason, message: `${shown}${more}` };
    }
    if (!memory.degradedByExecutor) return undefined;
    return (
      decision.conditions.find((c) => c.type === 'Degraded') ?? {
        type: 'Degraded',
        status: 'False',
        reason: 'ActionsSucceeded',
        message: 'The last actions succeeded.',
      }
    );
  }
}

const same = <T>(a: T, b: T): boolean => a === b;

/**
 * How each status field is compared by {@link sameStatus}; a field added to ScalerStatus must be added here
 * (the type requires every key). When the decision was made, its detailed reasons, its cost lines and the
 * forecaster's memory carry times and ages that change every tick, so they do not count.
 */
const STATUS_FIELDS: {
  [K in keyof Required<ScalerStatus>]: (a: ScalerStatus[K], b: ScalerStatus[K]) => boolean;
} = {
  observedGeneration: same,
  desiredReplicas: same,
  vmReplicas: same,
  aciReplicas: same,
  pendingReplicas: same,
  mode: same,
  costUSDPerHour: same,
  lastDecision: (a, b) => a.summary === b.summary,
  conditions: (a, b) =>
    a.length === b.length &&
    a.every((c, i) => {
      const d = b[i]!;
      return c.type === d.type && c.status === d.status && c.reason === d.reason && c.message === d.message;
    }),
  forecast: () => true,
};

const STATUS_KEYS = Object.keys(STATUS_FIELDS) as (keyof ScalerStatus)[];

/** Equal apart from when the decision was made, its detailed reasons and cost lines, and the forecaster's memory. */
function sameStatus(a: ScalerStatus, b: ScalerStatus): boolean {
  return STATUS_KEYS.every((key) =>
    (STATUS_FIELDS[key] as (x: unknown, y: unknown) => boolean)(a[key], b[key]),
  );
}

/** A one-line description of an action for logs. */
export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'ScaleDeployment':
      return `scaled the Deployment to ${action.replicas} replicas: ${action.reason}`;
    case 'CreateBurst':
      return `created container group ${action.name}: ${action.reason}`;
    case 'DrainBurst':
      return `started draining container group ${action.name}: ${action.reason}`;
    case 'ResumeBurst':
      return `ended the drain of container group ${action.name}: ${action.reason}`;
    case 'DeleteBurst':
      return `deleted container group ${action.name}: ${action.reason}`;
    case 'SetPodDeletionCost':
      return `set pod-deletion-cost ${action.cost} on pod ${action.pod}: ${action.reason}`;
    case 'PatchStatus':
      return `updated status: ${action.reason}`;
    case 'Emit':
      return `event ${action.reason}: ${action.message}`;
  }
}

/** Prefixes an error message with what was being done, unless it already names it. */
function withSubject(action: Action, message: string): string {
  const subject = (() => {
    switch (action.kind) {
      case 'ScaleDeployment':
        return { verb: `scaling the target to ${action.replicas} replicas`, name: undefined };
      case 'CreateBurst':
        return { verb: `creating container group ${action.name}`, name: action.name };
      case 'DrainBurst':
        return { verb: `draining container group ${action.name}`, name: action.name };
      case 'ResumeBurst':
        return { verb: `ending the drain of container group ${action.name}`, name: action.name };
      case 'DeleteBurst':
        return { verb: `deleting container group ${action.name}`, name: action.name };
      case 'SetPodDeletionCost':
        return { verb: `setting pod-deletion-cost on pod ${action.pod}`, name: action.pod };
      case 'PatchStatus':
        return { verb: 'updating status', name: undefined };
      case 'Emit':
        return { verb: `recording event ${action.reason}`, name: undefined };
    }
  })();
  if (subject.name !== undefined && message.includes(subject.name)) return message;
  return `${subject.verb}: ${message}`;
}
