/**
 * Prometheus metrics (prom-client) on a registry of our own, served on `/metrics`.
 *
 * Naming follows Prometheus conventions: the `spillway_` prefix, base units (seconds, USD), `_total`
 * for counters and `_seconds` for durations. Series are identified by `namespace` and `scaler` (the
 * BurstScaler's name) — never by pod or container-group name, so cardinality stays bounded by the
 * number of BurstScalers. The only other labels are small closed sets:
 *
 * | label | values |
 * |---|---|
 * | `tier` | `vm`, `aci` |
 * | `kind` | an action kind (ScaleDeployment, CreateBurst, …), a condition type (Degraded, …), an ACI operation (create, delete, drain, replica), a group state (Pending, Running, Draining, Failed, Stopped, Unknown) or an informer kind (pods, nodes, …) — each metric's help says which |
 * | `reason` | a CamelCase machine reason from code (QuotaExceeded, ScaleUp, …), never free text |
 * | `region` | an Azure region named in a BurstScaler's spec |
 * | `trigger` | a trigger name from the BurstScaler's own spec |
 *
 * Counters whose label values are known in advance start at 0 (Prometheus' "avoid missing metrics"), so
 * dashboards and alerts see a flat line rather than nothing until the first error.
 *
 * docs/runbooks.md lists every metric with the question it answers.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metric } from 'prom-client';
import type {
  Action,
  BurstReplica,
  Condition,
  Decision,
  Policy,
  ScalerKey,
  Snapshot,
} from '../core/types.ts';
import {
  aciEvents,
  boundedReason,
  costRates,
  decisionReasons,
  effectiveConditions,
  groupsByRegionAndState,
  readyReplicas,
} from './observe.ts';
import type { OutcomeLike, Tier } from './observe.ts';
import type { InformerHealth } from '../ports.ts';

export type { InformerHealth } from '../ports.ts';

type ScalerLabel = 'namespace' | 'scaler';

/** Everything one decided tick tells the metrics (see {@link ControllerMetrics.recordDecision}). */
export interface DecisionRecord {
  key: Pick<ScalerKey, 'namespace' | 'name'>;
  policy: Policy;
  snapshot: Snapshot;
  decision: Decision;
  /** The executor's outcomes, one per action. */
  outcomes: readonly OutcomeLike[];
  /** The scaler's groups after the actions (the executor's report). @default snapshot.burst */
  burst?: readonly BurstReplica[];
  /** The executor's Degraded condition (failed actions), which overrides the decision's. */
  degraded?: Condition;
  /** Clock time of the tick (virtual in the simulator), epoch ms. */
  now: number;
}

/** The controller's metrics. Add new metrics here, on the same registry. */
export interface ControllerMetrics {
  registry: Registry;
  ticks: Counter<ScalerLabel>;
  tickErrors: Counter<ScalerLabel>;
  tickDuration: Histogram<ScalerLabel>;
  actions: Counter<ScalerLabel | 'kind'>;
  actionFailures: Counter<ScalerLabel | 'kind'>;
  desiredReplicas: Gauge<ScalerLabel>;
  vmReplicas: Gauge<ScalerLabel>;
  aciReplicas: Gauge<ScalerLabel>;
  pendingReplicas: Gauge<ScalerLabel>;
  readyReplicas: Gauge<ScalerLabel | 'tier'>;
  signalValue: Gauge<ScalerLabel | 'trigger'>;
  signalReadErrors: Counter<ScalerLabel | 'trigger' | 'reason'>;
  signalConsecutiveFailures: Gauge<ScalerLabel | 'trigger'>;
  decisions: Counter<ScalerLabel | 'kind' | 'reason'>;
  conditions: Gauge<ScalerLabel | 'kind' | 'reason'>;
  costRate: Gauge<ScalerLabel | 'tier'>;
  cost: Counter<ScalerLabel | 'tier'>;
  budget: Gauge<ScalerLabel>;
  budgetRemaining: Gauge<ScalerLabel>;
  aciGroups: Gauge<ScalerLabel | 'region' | 'kind'>;
  aciCreates: Counter<ScalerLabel | 'region'>;
  aciFailovers: Counter<ScalerLabel | 'region'>;
  aciDeletes: Counter<ScalerLabel | 'region'>;
  aciFailures: Counter<ScalerLabel | 'region' | 'kind' | 'reason'>;
  aciThrottled: Counter<ScalerLabel | 'region' | 'reason'>;
  aciCreateToRunning: Histogram<ScalerLabel | 'region'>;
  aciDrain: Histogram<ScalerLabel>;
  workQueueDepth: Gauge;
  leader: Gauge;
  clusterSynced: Gauge;
  informersUp: Gauge<'kind'>;
  informerRestarts: Counter<'kind'>;
  gcSweeps: Counter;
  gcSweepErrors: Counter;
  gcActions: Counter<ScalerLabel | 'kind'>;
  /**
   * Records a decided tick: replicas serving per tier, each trigger's consecutive failures, the
   * decision's actions by kind and reason, conditions, cost rates and accumulated cost, budget, ACI groups
   * by region and state, ACI creates/deletes/failures/throttling from the executor's outcomes, and the
   * create-to-running time of groups that became Ready since the last tick.
   */
  recordDecision(record: DecisionRecord): void;
  /** Records informer health: up per kind (every informer of the kind listed and watching), restarts. */
  recordInformers(informers: readonly InformerHealth[]): void;
  /** Drops every series of a BurstScaler that no longer exists, and what was remembered about it. */
  removeScaler(namespace: string, scaler: string): Promise<void>;
  /**
   * Drops every per-scaler series and memory: on a change of leadership, so a replica that stopped
   * deciding does not keep exporting its last decisions next to the new leader's.
   */
  resetScalers(): void;
}

export interface MetricsOptions {
  /** Registry to register on; a fresh one when omitted (never prom-client's global registry). */
  registry?: Registry;
  /** Also export Node.js process metrics (CPU, memory, event loop lag). @default false */
  processMetrics?: boolean;
}

const SCALER_LABELS: ScalerLabel[] = ['namespace', 'scaler'];
const ACTION_KINDS: Action['kind'][] = [
  'ScaleDeployment',
  'CreateBurst',
  'DrainBurst',
  'ResumeBurst',
  'DeleteBurst',
  'SetPodDeletionCost',
  'PatchStatus',
  'Emit',
];
/** Why a signal read fails (SignalReading kinds), plus `unknown` for a read without one. */
export const SIGNAL_FAILURE_REASONS = [
  'unreachable',
  'timeout',
  'auth',
  'not-found',
  'bad-response',
  'config',
  'unknown',
] as const;
const TIERS: Tier[] = ['vm', 'aci'];
const THROTTLE_REASONS = ['AzureRetryAfter', 'LocalPacing'] as const;
/**
 * A longer gap between two ticks of a scaler is not charged to the accumulated cost (this replica was
 * not the leader, or the process was stopped; the replica that acted meanwhile counted it).
 */
export const MAX_ACCRUAL_GAP_MS = 5 * 60_000;

/** What the metrics remember per scaler between ticks. */
interface ScalerMemory {
  /** The last tick's time and rates, for the accumulated cost. */
  accrual?: { at: number; rates: Record<Tier, number> };
  /** Conditions' last reason by type, to drop a series when its reason changes. */
  conditionReasons: Map<string, string>;
  /** Region/state combinations set before (set to 0 when they empty). */
  groupKeys: Set<string>;
  /** Groups seen not Ready yet (name → createdAt), so create-to-running counts only starts we watched. */
  starting: Map<string, number>;
  /** Groups whose failure was counted (name → createdAt). */
  failed: Map<string, number>;
  /** Triggers and regions whose zero series exist. */
  initialized: Set<string>;
}

const scalerId = (namespace: string, scaler: string): string => `${namespace}/${scaler}`;

/** Creates the controller's metrics on a registry of their own. */
export function createControllerMetrics(options: MetricsOptions = {}): ControllerMetrics {
  const registry = options.registry ?? new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'spillway_' });
  const registers = [registry];

  const perScaler: Metric<string>[] = [];
  const track = <M extends Metric<string>>(metric: M): M => {
    perScaler.push(metric);
    return metric;
  };
  const memory = new Map<string, ScalerMemory>();
  const informerRestartTotals = new Map<string, number>();

  const metrics: Omit<
    ControllerMetrics,
    'recordDecision' | 'recordInformers' | 'removeScaler' | 'resetScalers'
  > = {
    registry,
    ticks: track(
      new Counter({
        name: 'spillway_ticks_total',
        help: 'Ticks run (observe, decide, execute) per BurstScaler.',
        labelNames: SCALER_LABELS,
        registers,
      }),
    ),
    tickErrors: track(
      new Counter({
        name: 'spillway_tick_errors_total',
        help: 'Ticks that failed before deciding (provider or cluster unreachable) and were retried with backoff.',
        labelNames: SCALER_LABELS,
        registers,
      }),
    ),
    tickDuration: track(
      new Histogram({
        name: 'spillway_tick_duration_seconds',
        help: 'Time from the start of a tick to the end of its last action.',
        labelNames: SCALER_LABELS,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
    ),
    actions: track(
      new Counter({
        name: 'spillway_actions_total',
        help: 'Actions executed successfully, by kind (ScaleDeployment, CreateBurst, DrainBurst, DeleteBurst, SetPodDeletionCost, PatchStatus, Emit).',
        labelNames: [...SCALER_LABELS, 'kind'],
        registers,
      }),
    ),
    actionFailures: track(
      new Counter({
        name: 'spillway_action_failures_total',
        help: 'Actions that failed, by kind; the error is in the scaler’s events and Degraded condition.',
        labelNames: [...SCALER_LABELS, 'kind'],
        registers,
      }),
    ),
    desiredReplicas: track(
      new Gauge({
        name: 'spillway_desired_replicas',
        help: 'Total replicas the last decision wants (VM + ACI): the demand, in replicas.',
        labelNames: SCALER_LABELS,
        registers,
      }),
    ),
    vmReplicas: track(
      new Gauge({
        name: 'spillway_vm_replicas',
        help: 'Replicas the last decision places on VM nodes.',
        labelNames: SCALER_LABELS,
        registers,
      }),
    ),
    aciReplicas: track(
      new Gauge({
        name: 'spillway_aci_replicas',
        help: 'Replicas the last decision places on Azure Container Instances.',
        labelNames: SCALER_LABELS,
        registers,
      }),
    ),
    pendingReplicas: track(
      new Gauge({
        name: 'spillway_pending_replicas',
        help: 'Target pods Pending (not scheduled or not started) at the last tick.',
        labelNames: SCALER_LABELS,
        registers,
      }),
    ),
    readyReplicas: track(
      new Gauge({
        name: 'spillway_ready_replicas',
        help: 'Replicas serving at the last tick, by tier: VM pods Ready on a node; ACI groups Running, Ready and not draining.',
        labelNames: [...SCALER_LABELS, 'tier'],
        registers,
      }),
    ),
    signalValue: track(
      new Gauge({
        name: 'spillway_signal_value',
        help: 'Last value read for each trigger (queue length, query result, …).',
        labelNames: [...SCALER_LABELS, 'trigger'],
        registers,
      }),
    ),
    signalReadErrors: track(
      new Counter({
        name: 'spillway_signal_read_errors_total',
        help: 'Failed reads per trigger and reason (unreachable, timeout, auth, not-found, bad-response, config, unknown).',
        labelNames: [...SCALER_LABELS, 'trigger', 'reason'],
        registers,
      }),
    ),
    signalConsecutiveFailures: track(
      new Gauge({
        name: 'spillway_signal_consecutive_failures',
        help: 'Failed reads in a row per trigger (0 after a good read); at the spec’s fallback.failureThreshold the fallback applies.',
        labelNames: [...SCALER_LABELS, 'trigger'],
        registers,
      }),
    ),
    decisions: track(
      new Counter({
        name: 'spillway_decisions_total',
        help: 'Actions decided, by kind (action kind) and machine reason (ScaleUp, SpillingToACI, Drained, an event reason, …).',
        labelNames: [...SCALER_LABELS, 'kind', 'reason'],
        registers,
      }),
    ),
    conditions: track(
      new Gauge({
        name: 'spillway_condition',
        help: 'Status conditions: 1 when the condition of type `kind` is True, else 0, with its current reason.',
        labelNames: [...SCALER_LABELS, 'kind', 'reason'],
        registers,
      }),
    ),
    costRate: track(
      new Gauge({
        name: 'spillway_cost_usd_per_hour',
        help: 'Estimated spend rate by tier, USD per hour: VM = pods on nodes × VM replica-hour (node price after discount ÷ replicas per node); ACI = billed vCPU and GB of billing groups.',
        labelNames: [...SCALER_LABELS, 'tier'],
        registers,
      }),
    ),
    cost: track(
      new Counter({
        name: 'spillway_cost_usd_total',
        help: 'Estimated spend accumulated by this process, by tier, USD: each tick’s rate over the time to the next tick (gaps over 5 minutes not counted).',
        labelNames: [...SCALER_LABELS, 'tier'],
        registers,
      }),
    ),
    budget: track(
      new Gauge({
        name: 'spillway_budget_usd_per_hour',
        help: 'The ACI budget (spec.cost.budget.maxBurstUSDPerHour), USD per hour; absent without a budget.',
        labelNames: SCALER_LABELS,
        registers,
      }),
    ),
    budgetRemaining: track(
      new Gauge({
        name: 'spillway_budget_remaining_usd_per_hour',
        help: 'ACI budget left, USD per hour: budget − current ACI spend (negative when over budget); absent without a budget.',
        labelNames: SCALER_LABELS,
        registers,
      }),
    ),
    aciGroups: track(
      new Gauge({
        name: 'spillway_aci_groups',
        help: 'Container groups owned by the scaler, by region and lifecycle state (kind: Pending, Running, Draining, Failed, Stopped, Unknown).',
        labelNames: [...SCALER_LABELS, 'region', 'kind'],
        registers,
      }),
    ),
    aciCreates: track(
      new Counter({
        name: 'spillway_aci_creates_total',
        help: 'Container groups created (accepted by ACI), by the region they landed in.',
        labelNames: [...SCALER_LABELS, 'region'],
        registers,
      }),
    ),
    aciFailovers: track(
      new Counter({
        name: 'spillway_aci_failovers_total',
        help: 'Creates that landed outside the preferred region (quota, capacity or pacing there), by the region they landed in.',
        labelNames: [...SCALER_LABELS, 'region'],
        registers,
      }),
    ),
    aciDeletes: track(
      new Counter({
        name: 'spillway_aci_deletes_total',
        help: 'Container groups deleted, by region.',
        labelNames: [...SCALER_LABELS, 'region'],
        registers,
      }),
    ),
    aciFailures: track(
      new Counter({
        name: 'spillway_aci_failures_total',
        help: 'ACI failures by region, reason and kind: create (the API refused; one per region tried), delete, drain, or replica (a group that failed or stopped after it was accepted).',
        labelNames: [...SCALER_LABELS, 'region', 'kind', 'reason'],
        registers,
      }),
    ),
    aciThrottled: track(
      new Counter({
        name: 'spillway_aci_throttled_total',
        help: 'ACI writes (create, drain, delete) throttled, by region and reason: AzureRetryAfter (ARM answered 429; every write waits for Retry-After) or LocalPacing (Spillway’s own ACI write limits per region).',
        labelNames: [...SCALER_LABELS, 'region', 'reason'],
        registers,
      }),
    ),
    aciCreateToRunning: track(
      new Histogram({
        name: 'spillway_aci_create_to_running_seconds',
        help: 'From a container group’s create to Running and Ready (scheduling, image pull, start, readiness delay), by region.',
        labelNames: [...SCALER_LABELS, 'region'],
        buckets: [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600],
        registers,
      }),
    ),
    aciDrain: track(
      new Histogram({
        name: 'spillway_aci_drain_seconds',
        help: 'From the start of a container group’s drain to its delete.',
        labelNames: SCALER_LABELS,
        buckets: [10, 30, 60, 90, 120, 180, 300, 600, 1800],
        registers,
      }),
    ),
    workQueueDepth: new Gauge({
      name: 'spillway_work_queue_depth',
      help: 'BurstScalers waiting for a worker.',
      registers,
    }),
    leader: new Gauge({
      name: 'spillway_leader',
      help: '1 when this replica holds the leader lease and acts, 0 otherwise.',
      registers,
    }),
    clusterSynced: new Gauge({
      name: 'spillway_cluster_synced',
      help: '1 when every informer cache has listed and is watching, 0 otherwise (no actions while 0).',
      registers,
    }),
    informersUp: new Gauge({
      name: 'spillway_informers_up',
      help: '1 when every informer of the kind (pods, nodes, deployments, burstscalers, endpointslices) has listed and is watching, else 0.',
      labelNames: ['kind'],
      registers,
    }),
    informerRestarts: new Counter({
      name: 'spillway_informer_restarts_total',
      help: 'Informer restarts after a watch or list failed, by kind.',
      labelNames: ['kind'],
      registers,
    }),
    gcSweeps: new Counter({
      name: 'spillway_gc_sweeps_total',
      help: 'Garbage-collection sweeps over every container group this cluster owns.',
      registers,
    }),
    gcSweepErrors: new Counter({
      name: 'spillway_gc_sweep_errors_total',
      help: 'Garbage-collection sweeps that could not list the groups.',
      registers,
    }),
    gcActions: track(
      new Counter({
        name: 'spillway_gc_actions_total',
        help: 'Drains and deletes made by garbage collection, by the owning scaler named in the group’s tags.',
        labelNames: [...SCALER_LABELS, 'kind'],
        registers,
      }),
    ),
  };
  metrics.gcSweeps.inc(0);
  metrics.gcSweepErrors.inc(0);

  const memoryOf = (namespace: string, scaler: string): ScalerMemory => {
    const id = scalerId(namespace, scaler);
    let entry = memory.get(id);
    if (!entry) {
      entry = {
        conditionReasons: new Map(),
        groupKeys: new Set(),
        starting: new Map(),
        failed: new Map(),
        initialized: new Set(),
      };
      memory.set(id, entry);
    }
    return entry;
  };

  /** Zero series for label values known in advance: per scaler, its triggers and its regions. */
  const initialize = (labels: Record<ScalerLabel, string>, policy: Policy, seen: ScalerMemory): void => {
    if (!seen.initialized.has('scaler')) {
      seen.initialized.add('scaler');
      metrics.tickErrors.inc(labels, 0);
      for (const kind of ACTION_KINDS) metrics.actionFailures.inc({ ...labels, kind }, 0);
      for (const tier of TIERS) metrics.cost.inc({ ...labels, tier }, 0);
    }
    for (const trigger of policy.triggers) {
      const key = `trigger\n${trigger.name}`;
      if (seen.initialized.has(key)) continue;
      seen.initialized.add(key);
      for (const reason of SIGNAL_FAILURE_REASONS)
        metrics.signalReadErrors.inc({ ...labels, trigger: trigger.name, reason }, 0);
    }
    for (const region of policy.burst.aci.regions) {
      const key = `region\n${region}`;
      if (seen.initialized.has(key)) continue;
      seen.initialized.add(key);
      metrics.aciCreates.inc({ ...labels, region }, 0);
      metrics.aciFailovers.inc({ ...labels, region }, 0);
      metrics.aciDeletes.inc({ ...labels, region }, 0);
      for (const reason of THROTTLE_REASONS) metrics.aciThrottled.inc({ ...labels, region, reason }, 0);
    }
  };

  const recordDecision = (record: DecisionRecord): void => {
    const { policy, snapshot, decision, now } = record;
    const labels = { namespace: record.key.namespace, scaler: record.key.name };
    const seen = memoryOf(labels.namespace, labels.scaler);
    const burst = record.burst ?? snapshot.burst;
    initialize(labels, policy, seen);

    // Replicas serving, per tier.
    const ready = readyReplicas(snapshot, burst);
    for (const tier of TIERS) metrics.readyReplicas.set({ ...labels, tier }, ready[tier]);

    // Signals: failed reads in a row, as the fallback rule counts them.
    for (const trigger of policy.triggers)
      metrics.signalConsecutiveFailures.set(
        { ...labels, trigger: trigger.name },
        decision.state.failures[trigger.name] ?? 0,
      );

    // What was decided, and why.
    for (const { kind, reason } of decisionReasons(decision, snapshot))
      metrics.decisions.inc({ ...labels, kind, reason });

    // Conditions (a series per type; its reason label follows the condition's reason).
    for (const condition of effectiveConditions(decision, record.degraded)) {
      const reason = boundedReason(condition.reason);
      const before = seen.conditionReasons.get(condition.type);
      if (before !== undefined && before !== reason)
        metrics.conditions.remove({ ...labels, kind: condition.type, reason: before });
      seen.conditionReasons.set(condition.type, reason);
      metrics.conditions.set(
        { ...labels, kind: condition.type, reason },
        condition.status === 'True' ? 1 : 0,
      );
    }

    // Cost: the rate now, and the previous rate charged for the time since the previous tick.
    const rates = costRates(snapshot, policy, burst, now);
    const previous = seen.accrual;
    if (previous) {
      const gap = now - previous.at;
      if (gap > 0 && gap <= MAX_ACCRUAL_GAP_MS)
        for (const tier of TIERS)
          metrics.cost.inc({ ...labels, tier }, (previous.rates[tier] * gap) / 3_600_000);
    }
    seen.accrual = { at: now, rates: { vm: rates.vm, aci: rates.aci } };
    for (const tier of TIERS) metrics.costRate.set({ ...labels, tier }, rates[tier]);

    // Budget.
    const max = policy.cost.budget.maxBurstUSDPerHour;
    if (max === undefined) {
      metrics.budget.remove(labels);
      metrics.budgetRemaining.remove(labels);
    } else {
      metrics.budget.set(labels, max);
      metrics.budgetRemaining.set(labels, max - rates.aci);
    }

    // ACI groups by region and state.
    const counts = groupsByRegionAndState(burst);
    for (const key of seen.groupKeys) if (!counts.has(key)) counts.set(key, 0);
    for (const [key, count] of counts) {
      const [region = 'unknown', kind = 'Unknown'] = key.split('\n');
      metrics.aciGroups.set({ ...labels, region, kind }, count);
      seen.groupKeys.add(key);
    }

    // What ACI did this tick.
    const events = aciEvents(record.outcomes, snapshot.burst, now);
    for (const create of events.creates) {
      metrics.aciCreates.inc({ ...labels, region: create.region });
      if (create.failover) metrics.aciFailovers.inc({ ...labels, region: create.region });
    }
    for (const del of events.deletes) {
      metrics.aciDeletes.inc({ ...labels, region: del.region });
      if (del.drainedSeconds !== undefined) metrics.aciDrain.observe(labels, del.drainedSeconds);
    }
    for (const failure of events.failures) metrics.aciFailures.inc({ ...labels, ...failure });
    for (const { region, reason } of events.throttles)
      metrics.aciThrottled.inc({ ...labels, region, reason });

    // Lifecycle of the groups listed this tick: create-to-running for starts we watched; failures once.
    // Groups listed at the start of the tick, with those created or changed by its actions.
    const lifecycle = new Map(snapshot.burst.map((g) => [g.name, g]));
    for (const group of burst) lifecycle.set(group.name, group);
    const listed = new Set<string>();
    for (const group of lifecycle.values()) {
      listed.add(group.name);
      const watched = seen.starting.get(group.name);
      if (group.ready && group.readyAt !== undefined) {
        if (watched === group.createdAt)
          metrics.aciCreateToRunning.observe(
            { ...labels, region: group.region || 'unknown' },
            Math.max(0, (group.readyAt - group.createdAt) / 1000),
          );
        seen.starting.delete(group.name);
      } else if (group.state === 'Pending' || group.state === 'Running') {
        if (watched !== group.createdAt) seen.starting.set(group.name, group.createdAt);
      } else {
        seen.starting.delete(group.name);
      }
      if (
        (group.state === 'Failed' || group.state === 'Stopped') &&
        seen.failed.get(group.name) !== group.createdAt
      ) {
        seen.failed.set(group.name, group.createdAt);
        metrics.aciFailures.inc({
          ...labels,
          region: group.region || 'unknown',
          kind: 'replica',
          reason: boundedReason(group.failureReason ?? group.state),
        });
      }
    }
    for (const name of seen.starting.keys()) if (!listed.has(name)) seen.starting.delete(name);
    for (const name of seen.failed.keys()) if (!listed.has(name)) seen.failed.delete(name);
  };

  const recordInformers = (informers: readonly InformerHealth[]): void => {
    const kinds = new Map<string, { up: boolean; restarts: number }>();
    for (const informer of informers) {
      const kind = informer.name.split('/')[0] || 'unknown';
      const entry = kinds.get(kind) ?? { up: true, restarts: 0 };
      entry.up &&= informer.listed && informer.watching;
      entry.restarts += informer.restarts;
      kinds.set(kind, entry);
    }
    for (const [kind, { up, restarts }] of kinds) {
      metrics.informersUp.set({ kind }, up ? 1 : 0);
      const before = informerRestartTotals.get(kind);
      // A lower total means the informers were rebuilt: count what the new ones report.
      const delta = before === undefined ? restarts : restarts >= before ? restarts - before : restarts;
      metrics.informerRestarts.inc({ kind }, delta);
      informerRestartTotals.set(kind, restarts);
    }
  };

  return {
    ...metrics,
    recordDecision,
    recordInformers,
    resetScalers(): void {
      memory.clear();
      for (const metric of perScaler) metric.reset();
    },
    async removeScaler(namespace: string, scaler: string): Promise<void> {
      memory.delete(scalerId(namespace, scaler));
      for (const metric of perScaler) {
        const { values } = await metric.get();
        for (const { labels } of values) {
          if (labels.namespace !== namespace || labels.scaler !== scaler) continue;
          const { le: _le, quantile: _quantile, ...series } = labels;
          metric.remove(series);
        }
      }
    },
  };
}
