/**
 * The garbage-collection sweep: every few minutes (a node-cron schedule), and once after start-up or
 * on gaining leadership, list every container group this cluster's Spillway owns, let the pure planner
 * (src/core/gc.ts `planGarbageCollection`) pick the orphaned and stale ones, and drain or delete them.
 *
 * It catches what per-scaler ticks cannot see: groups whose BurstScaler was deleted, and groups left by
 * a crash between a create and its first tick. It runs only on the leader, and only while the cluster
 * cache is in sync — an unsynced (empty) scaler list would make every group look orphaned.
 */
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import { planGarbageCollection } from '../core/gc.ts';
import type { GcAction, GcLiveState } from '../core/gc.ts';
import type { Policy, ScalerKey } from '../core/types.ts';
import type { BurstProvider, BurstScalerObject, Clock, ClusterPort } from '../ports.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { ControllerMetrics } from '../telemetry/metrics.ts';
import { sleepUnlessAborted } from './clock.ts';
import { asError, describeError } from './errors.ts';

/** The pure planner (src/core/gc.ts); injectable for tests. */
export type PlanGcFn = typeof planGarbageCollection;

export interface GcSweeperDeps {
  clock: Clock;
  cluster: ClusterPort;
  provider: BurstProvider;
  compilePolicy: (scaler: BurstScalerObject) => Policy;
  /** @default planGarbageCollection from src/core/gc.ts */
  planGc?: PlanGcFn;
  logger: Logger;
  metrics?: ControllerMetrics;
  /** Whether this replica may act. Always true when omitted. */
  isLeader?: () => boolean;
}

export interface GcSweeperOptions {
  /** node-cron expression (seconds field optional). @default every 5 minutes: '*\/5 * * * *' */
  schedule?: string;
  /** Grace period between the drain of an orphaned group and its delete. @default 60 */
  gracePeriodSeconds?: number;
  /** Namespaces watched; groups of other namespaces are left alone. Undefined: all. */
  watchedNamespaces?: readonly string[];
  /** How often to check for the synced gate before the start-up sweep. @default 1000 */
  syncPollMs?: number;
}

export type GcOutcome =
  | {
      outcome: 'swept';
      actions: { action: GcAction; result: 'ok' | 'failed' | 'skipped'; detail?: string }[];
      kept: number;
    }
  | { outcome: 'not-leader' | 'not-synced' | 'busy' }
  | { outcome: 'failed'; message: string };

export const DEFAULT_GC_SCHEDULE = '*/5 * * * *';

export class GcSweeper {
  readonly #deps: GcSweeperDeps;
  readonly #schedule: string;
  readonly #gracePeriodSeconds: number;
  readonly #watched: readonly string[] | undefined;
  readonly #syncPollMs: number;
  readonly #stop = new AbortController();
  #task: ScheduledTask | undefined;
  #inFlight: Promise<GcOutcome> | undefined;
  #pending: Promise<void>[] = [];

  constructor(deps: GcSweeperDeps, options: GcSweeperOptions = {}) {
    this.#deps = deps;
    this.#schedule = options.schedule ?? DEFAULT_GC_SCHEDULE;
    if (!cron.validate(this.#schedule))
      throw new RangeError(
        `--gc-schedule: must be a cron expression such as "*/5 * * * *" (minute hour day month weekday, optional seconds first), got ${JSON.stringify(this.#schedule)}`,
      );
    this.#gracePeriodSeconds = options.gracePeriodSeconds ?? 60;
    if (!(this.#gracePeriodSeconds >= 0))
      throw new RangeError(`GC grace period must be ≥ 0 seconds, got ${this.#gracePeriodSeconds}`);
    this.#watched = options.watchedNamespaces;
    this.#syncPollMs = options.syncPollMs ?? 1000;
  }

  /** Schedules the periodic sweep (wall-clock cron) and one sweep as soon as the cache has synced. */
  start(): void {
    if (this.#task) throw new Error('the GC sweeper was already started');
    this.#task = cron.schedule(this.#schedule, () => this.sweepOnce(), {
      name: 'spillway-gc',
      noOverlap: true,
    });
    this.sweepWhenSynced();
  }

  /** When the periodic sweep runs next (undefined before start). */
  nextRun(): Date | undefined {
    return this.#task?.getNextRun() ?? undefined;
  }

  /** Waits for the cluster cache, then sweeps once (start-up, and on gaining leadership). */
  sweepWhenSynced(): void {
    const run = (async () => {
      while (!this.#deps.cluster.synced())
        if (!(await sleepUnlessAborted(this.#deps.clock, this.#syncPollMs, this.#stop.signal))) return;
      await this.sweepOnce();
    })();
    this.#pending.push(run);
    void run.finally(() => (this.#pending = this.#pending.filter((p) => p !== run)));
  }

  /** Stops the schedule and waits for a sweep in flight. */
  async stop(): Promise<void> {
    this.#stop.abort(new Error('GC sweeper stopping'));
    await this.#task?.stop();
    await this.#task?.destroy();
    await Promise.all(this.#pending);
    await this.#inFlight;
  }

  /** One sweep now; a call while one runs returns `busy`. Never rejects. */
  sweepOnce(): Promise<GcOutcome> {
    if (this.#inFlight) return Promise.resolve({ outcome: 'busy' });
    const run = this.#sweep().catch((error: unknown): GcOutcome => {
      this.#deps.metrics?.gcSweepErrors.inc();
      const message = describeError(error).message;
      this.#deps.logger.warn({ err: asError(error) }, `garbage collection failed: ${message}`);
      return { outcome: 'failed', message };
    });
    this.#inFlight = run;
    void run.finally(() => (this.#inFlight = undefined));
    return run;
  }

  #canAct(): 'not-leader' | 'not-synced' | undefined {
    if (!(this.#deps.isLeader?.() ?? true)) return 'not-leader';
    if (!this.#deps.cluster.synced()) return 'not-synced';
    return undefined;
  }

  async #sweep(): Promise<GcOutcome> {
    const { cluster, provider, clock, logger, metrics } = this.#deps;
    const blocked = this.#canAct();
    if (blocked) return { outcome: blocked };
    const owned = await provider.listOwned();
    // Read the scalers after the groups: a scaler created meanwhile is then seen, never the reverse.
    const live = { ...this.#live(cluster.scalers()), synced: cluster.synced() };
    const plan = (this.#deps.planGc ?? planGarbageCollection)(owned, live, cluster.clusterId(), clock.now(), {
      gracePeriodSeconds: this.#gracePeriodSeconds,
    });
    metrics?.gcSweeps.inc();
    const results: Extract<GcOutcome, { outcome: 'swept' }>['actions'] = [];
    for (const action of plan.actions) {
      const why = this.#canAct();
      if (why) {
        results.push({ action, result: 'skipped', detail: why });
        continue;
      }
      const labels = { namespace: action.owner.namespace, scaler: action.owner.name, kind: action.kind };
      try {
        if (action.kind === 'DrainBurst') await provider.markDraining(action.name, clock.now());
        else await provider.delete(action.name);
        metrics?.gcActions.inc(labels);
        results.push({ action, result: 'ok' });
        logger.info(
          { namespace: action.owner.namespace, scaler: action.owner.name, group: action.name },
          `garbage collection: ${action.kind === 'DrainBurst' ? 'draining' : 'deleted'} ${action.name}: ${action.reason}`,
        );
      } catch (error) {
        const message = describeError(error).message;
        results.push({ action, result: 'failed', detail: message });
        logger.warn(
          { err: asError(error), group: action.name },
          `garbage collection of ${action.name} failed: ${message}`,
        );
      }
    }
    return { outcome: 'swept', actions: results, kept: plan.kept.length };
  }

  /** Scalers, their targets' template hashes and rollout state, from the cluster cache. */
  #live(objects: BurstScalerObject[]): GcLiveState {
    const templateHashes: Record<string, string> = {};
    const rolloutComplete: Record<string, boolean> = {};
    const scalers: ScalerKey[] = [];
    for (const object of objects) {
      const { namespace, name, uid } = object.metadata;
      scalers.push({ namespace, name, uid });
      let policy: Policy;
      try {
        policy = this.#deps.compilePolicy(object);
      } catch {
        continue; // an invalid spec: its groups are kept (the owner exists), never judged stale
      }
      const workload = this.#deps.cluster.workload(namespace, policy.targetRef);
      if (!workload) continue;
      templateHashes[uid] = workload.target.templateHash;
      rolloutComplete[uid] = workload.target.readyReplicas >= workload.target.replicas;
    }
    return {
      synced: true,
      scalers,
      templateHashes,
      rolloutComplete,
      ...(this.#watched ? { watchedNamespaces: this.#watched } : {}),
    };
  }
}
