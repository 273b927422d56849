/**
 * The controller loop: one tick per BurstScaler — observe through the ports, `decide`, execute — on a
 * timer and on watch events, never two ticks of the same scaler at once.
 *
 * Scheduling (client-go style): a {@link WorkQueue} holds scaler keys (`namespace/name`). A tick that
 * completes re-adds its key after `tickIntervalMs`; a tick that fails to observe (burst provider or
 * cluster call failed, decide threw) re-adds it with exponential backoff; a relevant watch event
 * (ClusterPort.onChange) re-adds it at once, after a short debounce. Workers take keys from the queue;
 * the queue never hands the same key to two workers, and {@link Controller.tickOnce} also serialises
 * per key, so a direct call (the simulator's) never overlaps a timer-driven tick either.
 *
 * Nothing happens before `ClusterPort.synced()`; while the cache is out of sync (API server
 * unreachable) or this replica is not the leader, ticks make no reads and no actions, and existing
 * container groups stay as they are.
 *
 * The simulator drives the same code without timers: construct a Controller with a virtual clock and
 * call {@link Controller.tickAll} (or {@link Controller.tickOnce}) at each simulated step.
 */
import type {
  BurstReplica,
  Condition,
  DecideFn,
  ForecastMemory,
  Decision,
  Policy,
  Prices,
  ReplicaFloor,
  ScalerKey,
  ScalerState,
  ScalerStatus,
  SignalReading,
  Snapshot,
} from '../core/types.ts';
import { emptyState } from '../core/types.ts';
import { restoreForecast } from '../core/forecast.ts';
import type {
  BurstProvider,
  BurstScalerObject,
  Clock,
  ClusterPort,
  PriceSource,
  SignalReaderPort,
  WorkloadView,
} from '../ports.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { ControllerMetrics } from '../telemetry/metrics.ts';
import { sleepUnlessAborted } from './clock.ts';
import { TickError, asError, describeError } from './errors.ts';
import { Executor, mergeConditions, scalerId } from './executor.ts';
import type { ExecutionReport } from './executor.ts';
import { WorkQueue } from './work-queue.ts';
import type { WorkQueueOptions } from './work-queue.ts';

/** Compiles a BurstScaler into a policy; throws (SpecValidationError) naming the bad fields. */
export type CompilePolicyFn = (scaler: BurstScalerObject) => Policy;

/** Replica floors active at `now` (spec.schedules; src/signals' scheduleFloors). */
export type FloorsFn = (policy: Policy, now: number) => ReplicaFloor[];

export interface ControllerDeps {
  clock: Clock;
  cluster: ClusterPort;
  provider: BurstProvider;
  signals: SignalReaderPort;
  prices: PriceSource;
  decide: DecideFn;
  compilePolicy: CompilePolicyFn;
  floors: FloorsFn;
  logger: Logger;
  metrics?: ControllerMetrics;
  /** Whether this replica may act (leader election). Always true when omitted. */
  isLeader?: () => boolean;
}

export interface ControllerOptions {
  /** Time from the end of a scaler's tick to the start of its next one. @default 2000 */
  tickIntervalMs?: number;
  /** Watch events for a scaler within this window make one tick. @default 100 */
  debounceMs?: number;
  /** Ticks of different scalers that may run at once. @default 4 */
  workers?: number;
  /** Backoff after a failed tick. @default { baseRetryMs: 1000, maxRetryMs: 60000 } */
  retry?: WorkQueueOptions;
  /** A signal read taking longer counts as failed for this tick. @default 10000 */
  signalTimeoutMs?: number;
  /** How long a region's ACI quota reading is reused. @default 60000 */
  quotaTtlMs?: number;
  /** How often the cache's synced gate is polled before the first tick. @default 250 */
  syncPollMs?: number;
  /** A tick running longer than this makes /healthz fail (the loop is wedged). @default 300000 */
  wedgedAfterMs?: number;
  /** The executor's own events repeat at most this often. @default 600000 */
  eventRepeatMs?: number;
  /** An unchanged status is rewritten at most this often. @default 60000 */
  statusRefreshMs?: number;
}

/** What one tick did. */
export type TickOutcome =
  /** Observed, decided and executed. */
  | 'decided'
  /** The cluster cache is not in sync: no reads, no actions. */
  | 'not-synced'
  /** This replica is not the leader: no reads, no actions. */
  | 'not-leader'
  /** The BurstScaler no longer exists: its state was dropped. */
  | 'gone'
  /** The BurstScaler is being deleted: no actions. */
  | 'deleting'
  /** The spec does not compile: Ready=False InvalidSpec, one event, no other action. */
  | 'invalid-spec'
  /** The target workload does not exist: Ready=False TargetNotFound, one event, no other action. */
  | 'target-not-found'
  /** Observing or deciding failed: no actions; retried with backoff. */
  | 'failed';

export interface TickResult {
  /** `namespace/name`. */
  key: string;
  outcome: TickOutcome;
  /** Clock time at the start of the tick. */
  at: number;
  decision?: Decision;
  report?: ExecutionReport;
  /** Why the tick stopped early (invalid spec, missing target, failure). */
  message?: string;
  error?: Error;
}

/** The controller's view of its own health, for /healthz. */
export interface Liveness {
  ok: boolean;
  message: string;
}

interface Entry {
  uid: string;
  state: ScalerState;
  /** Fingerprints of problems already reported (event and status), so each is reported once. */
  eventSent?: string;
  statusSent?: string;
  /** Fingerprint of the last tick-failure event. */
  failureEventSent?: string;
  /** Labels used for metrics, for removal when the scaler goes. */
  labels: { namespace: string; scaler: string };
  /** The last compilation, reused while the spec object and generation are the same. */
  compiled?: { spec: unknown; generation: number; result: { policy: Policy } | { error: unknown } };
  /** Set until the forecaster's memory stored in the status has been read into `state` (first valid spec). */
  restore?: boolean;
}

const DEFAULTS = {
  tickIntervalMs: 2000,
  debounceMs: 100,
  workers: 4,
  signalTimeoutMs: 10_000,
  quotaTtlMs: 60_000,
  syncPollMs: 250,
  wedgedAfterMs: 300_000,
};

type Quota = NonNullable<Snapshot['quota']>[number];

/** Abort reason once a tick's signal read is over (a shared Error: no DOMException per tick). */
const READ_DONE = new Error('the signal read of this tick is over');

export class Controller {
  readonly #deps: ControllerDeps;
  readonly #options: typeof DEFAULTS;
  readonly #executor: Executor;
  readonly #queue: WorkQueue;
  readonly #entries = new Map<string, Entry>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #running = new Map<string, number>();
  readonly #quota = new Map<string, { at: number; quota: Quota }>();
  readonly #changed = new Set<string>();
  #flushScheduled = false;
  #stop = new AbortController();
  #started = false;
  #stopped = false;
  #loops: Promise<void>[] = [];
  #unsubscribe: (() => void) | undefined;
  #heartbeat: number | undefined;

  constructor(deps: ControllerDeps, options: ControllerOptions = {}) {
    this.#deps = deps;
    this.#options = {
      tickIntervalMs: options.tickIntervalMs ?? DEFAULTS.tickIntervalMs,
      debounceMs: options.debounceMs ?? DEFAULTS.debounceMs,
      workers: options.workers ?? DEFAULTS.workers,
      signalTimeoutMs: options.signalTimeoutMs ?? DEFAULTS.signalTimeoutMs,
      quotaTtlMs: options.quotaTtlMs ?? DEFAULTS.quotaTtlMs,
      syncPollMs: options.syncPollMs ?? DEFAULTS.syncPollMs,
      wedgedAfterMs: options.wedgedAfterMs ?? DEFAULTS.wedgedAfterMs,
    };
    for (const [name, value] of Object.entries(this.#options)) {
      const min = name === 'workers' ? 1 : name === 'debounceMs' ? 0 : 1;
      if (!Number.isFinite(value) || value < min)
        throw new RangeError(`controller option ${name} must be a number ≥ ${min}, got ${value}`);
    }
    this.#executor = new Executor(
      {
        clock: deps.clock,
        cluster: deps.cluster,
        provider: deps.provider,
        logger: deps.logger,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      },
      {
        ...(options.eventRepeatMs !== undefined ? { eventRepeatMs: options.eventRepeatMs } : {}),
        ...(options.statusRefreshMs !== undefined ? { statusRefreshMs: options.statusRefreshMs } : {}),
      },
    );
    this.#queue = new WorkQueue(deps.clock, options.retry);
  }

  /** The tick interval in use (ms). */
  get tickIntervalMs(): number {
    return this.#options.tickIntervalMs;
  }

  /** The decision state kept for a scaler (`namespace/name`), if it has ticked. */
  state(key: string): ScalerState | undefined {
    return this.#entries.get(key)?.state;
  }

  /** Scalers with state in memory. */
  knownScalers(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** Keys waiting for a worker right now. */
  get queueDepth(): number {
    return this.#queue.length;
  }

  /**
   * Starts the timer-driven loop: subscribes to watch events, waits for the cache to sync, then ticks
   * every scaler every `tickIntervalMs`. Returns at once; {@link stop} ends it.
   */
  start(): void {
    if (this.#started) throw new Error('the controller was already started');
    this.#started = true;
    this.#heartbeat = this.#deps.clock.now();
    this.#unsubscribe = this.#deps.cluster.onChange((ref) => this.#changedScaler(scalerId(ref)));
    this.#loops = [
      this.#scheduleLoop(),
      ...Array.from({ length: this.#options.workers }, () => this.#worker()),
    ];
  }

  /**
   * Graceful stop: no new ticks start, in-flight ticks finish (their actions included), then resolves.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#stop.abort(new Error('the controller is stopping'));
    this.#queue.shutDown();
    await Promise.all(this.#loops);
    await Promise.all([...this.#locks.values()]);
  }

  /**
   * Leadership changed. On gaining it, state from any earlier term is discarded (another replica acted
   * meanwhile) and every scaler ticks at once; on losing it, guards stop in-flight actions. Either way the
   * per-scaler metrics of the previous term are dropped (a follower exports no decisions).
   */
  leadershipChanged(leading: boolean): void {
    this.#deps.metrics?.resetScalers();
    if (!leading) return;
    this.#entries.clear();
    this.#executor.reset();
    if (!this.#started || this.#stopped) return;
    for (const id of this.#scalerIds()) this.#queue.add(id);
  }

  /** Healthy unless a tick has run longer than `wedgedAfterMs` or the scheduling loop stopped turning. */
  liveness(): Liveness {
    const now = this.#deps.clock.now();
    for (const [id, started] of this.#running) {
      if (now - started > this.#options.wedgedAfterMs)
        return {
          ok: false,
          message: `the tick of ${id} has run for ${Math.round((now - started) / 1000)} s`,
        };
    }
    if (this.#started && !this.#stopped && this.#heartbeat !== undefined) {
      const limit = Math.max(this.#options.wedgedAfterMs, 3 * this.#options.tickIntervalMs);
      if (now - this.#heartbeat > limit)
        return {
          ok: false,
          message: `the scheduling loop has not run for ${Math.round((now - this.#heartbeat) / 1000)} s`,
        };
    }
    return { ok: true, message: 'ok' };
  }

  /**
   * Ticks every BurstScaler once, one after another in key order, and returns what each tick did.
   * Scalers that disappeared since the last call get a final `gone` tick that drops their state. This is
   * the simulator's step function.
   */
  async tickAll(): Promise<TickResult[]> {
    const ids = new Set([...this.#scalerIds(), ...this.#entries.keys()]);
    const results: TickResult[] = [];
    for (const id of [...ids].sort()) results.push(await this.tickOnce(id));
    return results;
  }

  /**
   * Ticks one scaler (`namespace/name`) now, after any tick of it in flight. Never rejects: failures
   * are in the result.
   */
  tickOnce(key: string | { namespace: string; name: string }): Promise<TickResult> {
    const id = typeof key === 'string' ? key : scalerId(key);
    const previous = this.#locks.get(id) ?? Promise.resolve();
    const run = previous.then(() => this.#timedTick(id));
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#locks.set(id, tail);
    void tail.then(() => {
      if (this.#locks.get(id) === tail) this.#locks.delete(id);
    });
    return run;
  }

  // -------------------------------------------------------------------------------------------------

  async #timedTick(id: string): Promise<TickResult> {
    const started = this.#deps.clock.now();
    const wall = performance.now();
    this.#running.set(id, started);
    try {
      const result = await this.#tick(id, started).catch((error: unknown): TickResult => ({
        key: id,
        outcome: 'failed',
        at: started,
        error: asError(error),
        message: describeError(error).message,
      }));
      this.#record(id, result, (performance.now() - wall) / 1000);
      // Not awaited: when the API server is the failure, the event must not hold the tick (and the key).
      if (result.outcome === 'failed') void this.#reportFailure(id, result);
      return result;
    } finally {
      this.#running.delete(id);
    }
  }

  async #tick(id: string, now: number): Promise<TickResult> {
    const { cluster, provider } = this.#deps;
    const base = { key: id, at: now };
    if (!this.#isLeader()) return { ...base, outcome: 'not-leader' };
    if (!cluster.synced()) return { ...base, outcome: 'not-synced' };

    const object = cluster.scalers().find((s) => scalerId(s.metadata) === id);
    if (!object) {
      await this.#drop(id);
      return { ...base, outcome: 'gone' };
    }
    const key: ScalerKey = {
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      uid: object.metadata.uid,
    };
    let entry = this.#entries.get(id);
    if (!entry || entry.uid !== key.uid) {
      if (entry) this.#executor.forget(key);
      entry = {
        uid: key.uid,
        state: emptyState(),
        labels: { namespace: key.namespace, scaler: key.name },
        restore: true,
      };
      this.#entries.set(id, entry);
    }
    if (object.metadata.deletionTimestamp !== undefined) return { ...base, outcome: 'deleting' };

    // 1. The spec.
    const compiled = this.#compile(entry, object);
    if ('error' in compiled) {
      const message = `spec is invalid: ${specErrorText(compiled.error)}`;
      await this.#reportProblem(entry, key, object, 'InvalidSpec', message);
      return { ...base, outcome: 'invalid-spec', message, error: asError(compiled.error) };
    }
    const policy = compiled.policy;
    if (entry.restore) {
      // A new leader, or this one restarted: go on from the forecaster's memory the last leader stored.
      entry.restore = false;
      const stored = parseStoredForecast(object.status);
      if (stored)
        entry.state = {
          ...entry.state,
          ...restoreForecast(stored, now, policy.cost.vm.minNodeLifetimeSeconds),
        };
    }

    // 2. The target.
    const workload = this.#observe(id, 'reading the target workload', () =>
      cluster.workload(key.namespace, policy.targetRef),
    );
    if (!workload) {
      const ref = policy.targetRef;
      const message = `${ref.kind} ${key.namespace}/${ref.name} does not exist: create it or correct spec.targetRef`;
      await this.#reportProblem(entry, key, object, 'TargetNotFound', message);
      return { ...base, outcome: 'target-not-found', message };
    }
    entry.eventSent = entry.statusSent = undefined;

    // 3. Observe the rest.
    const burst = await provider.list(key).catch((error: unknown) => {
      throw new TickError(id, 'listing its container groups', error);
    });
    const signals = await this.#readSignals(key, policy, workload);
    const floors = this.#observe(id, 'evaluating schedules', () => this.#deps.floors(policy, now));
    const snapshot: Snapshot = {
      target: workload.target,
      requests: workload.requests,
      burstable: this.#observe(id, 'checking the pod template', () =>
        provider.checkBurstable(workload.template),
      ),
      pods: workload.pods,
      signals,
      vm: workload.vm,
      burst,
      prices: this.#prices(policy),
      floors,
    };
    const quota = await this.#quotas(policy, key);
    if (quota.length > 0) snapshot.quota = quota;
    const createBudget = policy.burst.aci.regions
      .map((region) => this.#deps.provider.createBudget?.(region, key))
      .filter((b) => b !== undefined);
    if (createBudget.length > 0) snapshot.createBudget = createBudget;

    // 4. Decide and act.
    const decision = this.#observe(id, 'deciding', () =>
      this.#deps.decide(snapshot, policy, entry.state, now),
    );
    const current = parseStatus(object.status);
    const report = await this.#executor.execute(
      { key, policy, workload, burst, decision, ...(current ? { currentStatus: current } : {}) },
      () => this.#guard(),
    );
    entry.state = decision.state;
    const pending = workload.pods.filter((p) => p.phase === 'Pending' && !p.deleting).length;
    this.#deps.metrics?.pendingReplicas.set(entry.labels, pending);
    this.#deps.metrics?.recordDecision({
      key,
      policy,
      snapshot,
      decision,
      outcomes: report.outcomes,
      burst: report.burst,
      ...(report.degraded ? { degraded: report.degraded } : {}),
      now,
    });
    this.#logDecision(key, decision, report, burst);
    return { ...base, outcome: 'decided', decision, report };
  }

  /** Compiles the spec, reusing the last result while the spec object and generation are unchanged. */
  #compile(entry: Entry, object: BurstScalerObject): { policy: Policy } | { error: unknown } {
    const cached = entry.compiled;
    if (cached && cached.spec === object.spec && cached.generation === object.metadata.generation)
      return cached.result;
    let result: { policy: Policy } | { error: unknown };
    try {
      result = { policy: this.#deps.compilePolicy(object) };
    } catch (error) {
      result = { error };
    }
    entry.compiled = { spec: object.spec, generation: object.metadata.generation, result };
    return result;
  }

  /** Runs a synchronous observation, wrapping a throw as a TickError naming the step. */
  #observe<T>(id: string, step: string, read: () => T): T {
    try {
      return read();
    } catch (error) {
      throw new TickError(id, step, error);
    }
  }

  #guard(): string | undefined {
    if (!this.#isLeader()) return 'this replica is no longer the leader';
    if (!this.#deps.cluster.synced())
      return 'the cluster cache is out of sync (API server unreachable?); nothing new until it is back';
    return undefined;
  }

  #isLeader(): boolean {
    return this.#deps.isLeader?.() ?? true;
  }

  async #readSignals(key: ScalerKey, policy: Policy, workload: WorkloadView): Promise<SignalReading[]> {
    const triggers = policy.triggers;
    if (triggers.length === 0) return [];
    const { clock, metrics } = this.#deps;
    const at = clock.now();
    const timeout = new AbortController();
    const signal = AbortSignal.any([timeout.signal, this.#stop.signal]);
    const timer = clock.sleep(this.#options.signalTimeoutMs, timeout.signal).then(
      () => 'timeout' as const,
      () => 'timeout' as const,
    );
    let readings: SignalReading[];
    try {
      const result = await Promise.race([
        this.#deps.signals.read(key, triggers, workload.pods, signal),
        timer,
      ]);
      if (result === 'timeout') {
        const error = `no answer within ${this.#options.signalTimeoutMs} ms`;
        timeout.abort(new Error(error));
        readings = triggers.map((t) => ({ trigger: t.name, ok: false, error, at, kind: 'timeout' }));
      } else {
        readings = triggers.map(
          (t) =>
            result.find((r) => r.trigger === t.name) ?? {
              trigger: t.name,
              ok: false,
              error: 'the signal reader returned no reading for this trigger',
              at,
            },
        );
      }
    } catch (error) {
      const message = describeError(error).message;
      readings = triggers.map((t) => ({ trigger: t.name, ok: false, error: message, at }));
    } finally {
      timeout.abort(READ_DONE);
    }
    for (const reading of readings) {
      const labels = { namespace: key.namespace, scaler: key.name, trigger: reading.trigger };
      if (reading.ok) metrics?.signalValue.set(labels, reading.value);
      else metrics?.signalReadErrors.inc({ ...labels, reason: reading.kind ?? 'unknown' });
    }
    return readings;
  }

  #prices(policy: Policy): Prices {
    const fallback: Prices = {
      aciVcpuSecondUSD: policy.cost.aci.vcpuSecondUSD,
      aciGbSecondUSD: policy.cost.aci.gbSecondUSD,
      aciSpotPriceRatio: policy.cost.aci.spotPriceRatio,
      vmNodeHourlyUSD: policy.cost.vm.nodeHourlyUSD,
      source: 'spec',
    };
    try {
      return this.#deps.prices.prices({ region: policy.burst.aci.regions[0] ?? '', fallback });
    } catch (error) {
      this.#deps.logger.warn({ err: asError(error) }, 'price source failed; using the spec’s prices');
      return fallback;
    }
  }

  async #quotas(policy: Policy, key: ScalerKey): Promise<Quota[]> {
    const now = this.#deps.clock.now();
    const regions = policy.burst.aci.regions;
    // Quota is per subscription and region: scalers of different subscriptions do not share a reading.
    const subscription = policy.burst.aci.subscriptionId.toLowerCase();
    const results = await Promise.all(
      regions.map(async (region): Promise<Quota | undefined> => {
        const cacheKey = `${subscription}/${region}`;
        const cached = this.#quota.get(cacheKey);
        if (cached && now - cached.at < this.#options.quotaTtlMs) return cached.quota;
        try {
          const quota = await this.#deps.provider.quota(region, key);
          if (quota) this.#quota.set(cacheKey, { at: now, quota });
          return quota;
        } catch (error) {
          this.#deps.logger.debug({ err: asError(error), region }, 'quota unknown this tick');
          return undefined;
        }
      }),
    );
    return results.filter((q): q is Quota => q !== undefined);
  }

  /** Ready=False with `reason`, and one Warning event, for a problem only a person can fix. */
  async #reportProblem(
    entry: Entry,
    key: ScalerKey,
    object: BurstScalerObject,
    reason: string,
    message: string,
  ): Promise<void> {
    const { cluster, clock } = this.#deps;
    const fingerprint = `${object.metadata.generation}\n${reason}\n${message}`;
    if (entry.eventSent !== fingerprint) {
      await cluster.emitEvent(key, 'Warning', reason, message).catch((error: unknown) => {
        throw new TickError(scalerId(key), `recording event ${reason}`, error);
      });
      entry.eventSent = fingerprint;
    }
    if (entry.statusSent !== fingerprint) {
      const previous = parseStatus(object.status) ?? emptyStatus();
      const ready: Condition = { type: 'Ready', status: 'False', reason, message };
      const status: ScalerStatus = {
        ...previous,
        observedGeneration: object.metadata.generation,
        lastDecision: {
          at: new Date(clock.now()).toISOString(),
          summary: message,
          reasons: [message],
          cost: [],
        },
        conditions: mergeConditions(previous.conditions, [ready]),
      };
      await cluster.patchStatus(key, status).catch((error: unknown) => {
        throw new TickError(scalerId(key), 'updating status', error);
      });
      entry.statusSent = fingerprint;
      this.#executor.forget(key); // its memory of the last status written is stale now
    }
    this.#deps.logger.warn({ namespace: key.namespace, scaler: key.name, reason }, message);
  }

  /** A failed tick: logged always; one Warning event per distinct message (best effort). */
  async #reportFailure(id: string, result: TickResult): Promise<void> {
    const message = result.message ?? 'unknown error';
    this.#deps.logger.warn({ scaler: id, err: result.error }, `tick failed: ${message}`);
    const entry = this.#entries.get(id);
    const object = this.#deps.cluster.synced()
      ? this.#deps.cluster.scalers().find((s) => scalerId(s.metadata) === id)
      : undefined;
    if (!entry || !object || entry.failureEventSent === message) return;
    const key = {
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      uid: object.metadata.uid,
    };
    try {
      await this.#deps.cluster.emitEvent(key, 'Warning', 'ObserveFailed', message);
      entry.failureEventSent = message;
    } catch {
      // The API server is likely the failure; the log line above has it.
    }
  }

  #record(id: string, result: TickResult, seconds: number): void {
    const metrics = this.#deps.metrics;
    const entry = this.#entries.get(id);
    if (!metrics || !entry || result.outcome === 'gone') return;
    const labels = entry.labels;
    metrics.ticks.inc(labels);
    if (result.outcome === 'failed') metrics.tickErrors.inc(labels);
    if (result.outcome === 'decided') {
      metrics.tickDuration.observe(labels, seconds);
      const decision = result.decision!;
      metrics.desiredReplicas.set(labels, decision.desiredReplicas);
      metrics.vmReplicas.set(labels, decision.vmReplicas);
      metrics.aciReplicas.set(labels, decision.aciReplicas);
    }
  }

  #logDecision(key: ScalerKey, decision: Decision, report: ExecutionReport, burst: BurstReplica[]): void {
    const acted = decision.actions.filter((a) => a.kind !== 'PatchStatus');
    const line = {
      namespace: key.namespace,
      scaler: key.name,
      desired: decision.desiredReplicas,
      vm: decision.vmReplicas,
      aci: decision.aciReplicas,
      mode: decision.mode,
      groups: burst.length,
      actions: acted.map((a) => a.kind),
      failed: report.outcomes.filter((o) => o.result === 'failed').length,
      reasons: decision.reasons,
    };
    const summary = `decided ${decision.desiredReplicas} replicas (${decision.vmReplicas} VM, ${decision.aciReplicas} ACI, ${decision.mode})`;
    if (acted.length > 0) this.#deps.logger.info(line, summary);
    else this.#deps.logger.debug(line, summary);
  }

  async #drop(id: string): Promise<void> {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#executor.forget({ namespace: entry.labels.namespace, name: entry.labels.scaler });
    await this.#deps.metrics?.removeScaler(entry.labels.namespace, entry.labels.scaler);
    this.#deps.logger.info(entry.labels, 'BurstScaler deleted: its state is dropped');
  }

  #scalerIds(): string[] {
    if (!this.#deps.cluster.synced()) return [];
    return this.#deps.cluster.scalers().map((s) => scalerId(s.metadata));
  }

  #changedScaler(id: string): void {
    if (this.#stopped) return;
    this.#changed.add(id);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    const flush = (): void => {
      this.#flushScheduled = false;
      for (const changed of this.#changed) this.#queue.add(changed);
      this.#changed.clear();
    };
    if (this.#options.debounceMs === 0) flush();
    else void sleepUnlessAborted(this.#deps.clock, this.#options.debounceMs, this.#stop.signal).then(flush);
  }

  async #scheduleLoop(): Promise<void> {
    const { clock, cluster, metrics } = this.#deps;
    while (!this.#stopped) {
      this.#heartbeat = clock.now();
      const synced = cluster.synced();
      metrics?.clusterSynced.set(synced ? 1 : 0);
      metrics?.workQueueDepth.set(this.#queue.length);
      if (cluster.informerStatus) metrics?.recordInformers(cluster.informerStatus());
      if (synced) {
        const present = new Set<string>();
        for (const id of this.#scalerIds()) {
          present.add(id);
          if (!this.#queue.has(id)) this.#queue.add(id);
        }
        for (const id of this.#entries.keys())
          if (!present.has(id) && !this.#queue.has(id)) this.#queue.add(id); // a final tick drops it
      }
      const wait = synced ? this.#options.tickIntervalMs : this.#options.syncPollMs;
      if (!(await sleepUnlessAborted(clock, wait, this.#stop.signal))) return;
    }
  }

  async #worker(): Promise<void> {
    for (;;) {
      const id = await this.#queue.get();
      if (id === undefined) return;
      try {
        const result = await this.tickOnce(id);
        if (result.outcome === 'failed') {
          this.#queue.addRateLimited(id);
        } else {
          this.#queue.forget(id);
          if (result.outcome !== 'gone') this.#queue.addAfter(id, this.#options.tickIntervalMs);
        }
      } finally {
        this.#queue.done(id);
      }
    }
  }
}

/** The text of a compile error: each issue's path and message when it lists them, else its message. */
export function specErrorText(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const fields = error as Record<string, unknown>;
    for (const list of [fields.issues, fields.errors]) {
      if (!Array.isArray(list) || list.length === 0) continue;
      const lines = list.flatMap((item: unknown) => {
        if (typeof item !== 'object' || item === null) return [];
        const { path, message } = item as Record<string, unknown>;
        if (typeof message !== 'string') return [];
        return [
          typeof path === 'string' && path && !message.startsWith(path) ? `${path}: ${message}` : message,
        ];
      });
      if (lines.length > 0) return lines.join('; ');
    }
  }
  return describeError(error).message;
}

function emptyStatus(): ScalerStatus {
  return {
    observedGeneration: 0,
    desiredReplicas: 0,
    vmReplicas: 0,
    aciReplicas: 0,
    pendingReplicas: 0,
    mode: 'none',
    costUSDPerHour: 0,
    lastDecision: { at: new Date(0).toISOString(), summary: '', reasons: [], cost: [] },
    conditions: [],
  };
}

/** The status stored on a BurstScaler, when it has the shape Spillway writes; else undefined. */
export function parseStatus(raw: unknown): ScalerStatus | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const s = raw as Record<string, unknown>;
  const numbers = [
    'observedGeneration',
    'desiredReplicas',
    'vmReplicas',
    'aciReplicas',
    'pendingReplicas',
    'costUSDPerHour',
  ] as const;
  if (!numbers.every((field) => typeof s[field] === 'number')) return undefined;
  if (!Array.isArray(s.conditions)) return undefined;
  const mode = s.mode === 'bridge' || s.mode === 'spill' ? s.mode : 'none';
  const last = (typeof s.lastDecision === 'object' && s.lastDecision) || {};
  const { at, summary, reasons, cost } = last as Record<string, unknown>;
  const conditions = (s.conditions as unknown[]).filter(
    (c): c is Condition =>
      typeof c === 'object' &&
      c !== null &&
      typeof (c as Condition).type === 'string' &&
      typeof (c as Condition).status === 'string' &&
      typeof (c as Condition).reason === 'string' &&
      typeof (c as Condition).message === 'string',
  );
  return {
    observedGeneration: s.observedGeneration as number,
    desiredReplicas: s.desiredReplicas as number,
    vmReplicas: s.vmReplicas as number,
    aciReplicas: s.aciReplicas as number,
    pendingReplicas: s.pendingReplicas as number,
    mode,
    costUSDPerHour: s.costUSDPerHour as number,
    lastDecision: {
      at: typeof at === 'string' ? at : new Date(0).toISOString(),
      summary: typeof summary === 'string' ? summary : '',
      reasons: Array.isArray(reasons) ? reasons.filter((r): r is string => typeof r === 'string') : [],
      cost: Array.isArray(cost) ? cost.filter((r): r is string => typeof r === 'string') : [],
    },
    conditions: conditions.map(({ type, status, reason, message }) => ({ type, status, reason, message })),
  };
}

/**
 * `status.forecast` of a stored status when it has the shape Spillway writes (entries are checked again when
 * restored). Apart from {@link parseStatus}: it is read once per scaler and term, not every tick.
 */
export function parseStoredForecast(status: unknown): ForecastMemory | undefined {
  const raw =
    typeof status === 'object' && status !== null ? (status as { forecast?: unknown }).forecast : undefined;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { at, bursts, levels, aciStart } = raw as Record<string, unknown>;
  if (typeof at !== 'string' || !Array.isArray(bursts) || !Array.isArray(levels)) return undefined;
  const record = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
  return {
    at,
    bursts: bursts.filter(record).flatMap((b) =>
      typeof b.startedAt === 'string'
        ? [
            {
              startedAt: b.startedAt,
              ...(typeof b.endedAt === 'string' ? { endedAt: b.endedAt } : {}),
              ...(typeof b.baselineReplicas === 'number' ? { baselineReplicas: b.baselineReplicas } : {}),
            },
          ]
        : [],
    ),
    levels: levels
      .filter(record)
      .flatMap((l) =>
        typeof l.upTo === 'number' && typeof l.since === 'string' ? [{ upTo: l.upTo, since: l.since }] : [],
      ),
    ...(record(aciStart) && typeof aciStart.seconds === 'number' && typeof aciStart.groups === 'number'
      ? { aciStart: { seconds: aciStart.seconds, groups: aciStart.groups } }
      : {}),
  };
}
