/**
 * KEDA + HPA as the baselines run them: KEDA polls the queue every `pollingInterval` (30 s, KEDA's
 * default) and the HPA controller syncs every 15 s (kube-controller-manager's
 * --horizontal-pod-autoscaler-sync-period), computing `ceil(queue ÷ queueLength)` for the External
 * AverageValue metric with the autoscaling/v2 default behavior (scale-up: 4 pods or 100 % per 15 s, no
 * window; scale-down: 100 % per 15 s after a 300 s stabilization window; tolerance 0.1).
 *
 * The HPA arithmetic is Spillway's own HPA-compatible `recommend()` (src/core/recommend.ts), which follows
 * replica_calculator.go and horizontal.go and is tested against their cases — so the baselines and
 * Spillway share the same recommendation semantics, and differ in timing and placement only.
 */
import { recommend } from '../../core/recommend.ts';
import type { Behavior, ScalerState } from '../../core/types.ts';
import { emptyState } from '../../core/types.ts';
import { SPEC_DEFAULTS } from '../../spec/schema.ts';
import type { SimCluster } from '../cluster/cluster.ts';
import type { Scenario } from '../scenario.ts';

export interface HpaOptions {
  /** KEDA pollingInterval. @default 30 */
  pollingSeconds?: number;
  /** HPA sync period. @default 15 */
  syncSeconds?: number;
  behavior?: Behavior;
}

/** One HPA object driving one Deployment in the simulated cluster. */
export class SimHpa {
  readonly #scenario: Scenario;
  readonly #cluster: SimCluster;
  readonly #polling: number;
  readonly #sync: number;
  readonly #behavior: Behavior;
  #state: Pick<ScalerState, 'recommendations' | 'scaleEvents' | 'failures'> = emptyState();
  #metric: number | undefined;
  /** Replica changes made. */
  changes = 0;

  constructor(scenario: Scenario, cluster: SimCluster, options: HpaOptions = {}) {
    this.#scenario = scenario;
    this.#cluster = cluster;
    this.#polling = options.pollingSeconds ?? 30;
    this.#sync = options.syncSeconds ?? 15;
    this.#behavior = options.behavior ?? SPEC_DEFAULTS.behavior;
  }

  /** At simulated `second` (since the trace start; negative in the warm-up), with the queue's backlog. */
  step(now: number, second: number, backlog: number): void {
    const offset = second + this.#scenario.warmupSeconds;
    if (offset % this.#polling === 0) this.#metric = backlog;
    if (offset % this.#sync !== 0 || this.#metric === undefined) return;
    const s = this.#scenario;
    const view = this.#cluster.workload(s.namespace, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: s.name,
    });
    const rec = recommend({
      now,
      currentReplicas: this.#cluster.replicas,
      pods: view?.pods ?? [],
      metrics: [
        {
          kind: 'External',
          name: 'queue',
          target: { type: 'AverageValue', averageValue: s.targetPerReplica },
          value: this.#metric,
        },
      ],
      minReplicas: s.minReplicas,
      maxReplicas: s.maxReplicas,
      behavior: this.#behavior,
      floors: [],
      state: this.#state,
    });
    this.#state = rec.state;
    if (rec.replicas !== this.#cluster.replicas) {
      this.#cluster.setReplicas(rec.replicas);
      this.changes += 1;
    }
  }
}
