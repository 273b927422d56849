/**
 * Prometheus metrics (prom-client) on a registry of our own, served on `/metrics`.
 *
 * Naming follows Prometheus conventions: the `spillway_` prefix, base units (seconds, USD), `_total`
 * for counters and `_seconds` for durations. Series are identified by `namespace` and `scaler` (the
 * BurstScaler's name) — never by pod or container-group name, so cardinality stays bounded by the
 * number of BurstScalers. The only other labels are small closed sets: `kind` (one of the seven action
 * kinds) and `trigger` (a trigger name from the scaler's own spec).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metric } from 'prom-client';

type ScalerLabel = 'namespace' | 'scaler';

/** The controller's metrics. Issue #7 extends this set; add new metrics here, on the same registry. */
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
  signalValue: Gauge<ScalerLabel | 'trigger'>;
  signalReadErrors: Counter<ScalerLabel | 'trigger'>;
  workQueueDepth: Gauge;
  leader: Gauge;
  clusterSynced: Gauge;
  gcSweeps: Counter;
  gcSweepErrors: Counter;
  gcActions: Counter<ScalerLabel | 'kind'>;
  /** Drops every series of a BurstScaler that no longer exists. */
  removeScaler(namespace: string, scaler: string): Promise<void>;
}

export interface MetricsOptions {
  /** Registry to register on; a fresh one when omitted (never prom-client's global registry). */
  registry?: Registry;
  /** Also export Node.js process metrics (CPU, memory, event loop lag). @default false */
  processMetrics?: boolean;
}

const SCALER_LABELS: ScalerLabel[] = ['namespace', 'scaler'];

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

  const metrics: Omit<ControllerMetrics, 'removeScaler'> = {
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
        help: 'Actions executed, by kind (ScaleDeployment, CreateBurst, DrainBurst, DeleteBurst, SetPodDeletionCost, PatchStatus, Emit).',
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
        help: 'Total replicas the last decision wants (VM + ACI).',
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
        help: 'Failed reads per trigger; after the spec’s failureThreshold the fallback applies.',
        labelNames: [...SCALER_LABELS, 'trigger'],
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

  return {
    ...metrics,
    async removeScaler(namespace: string, scaler: string): Promise<void> {
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
