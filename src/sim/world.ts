/**
 * The simulated world the demo runs in real time: the cluster and the queue stepped second by second as
 * the (scaled) clock moves, while Spillway's controller loop runs on its own timers beside it. Also the
 * demo's terminal view.
 */
import type { ScalerStatus } from '../core/types.ts';
import type { AciModel, SimFault } from './aci/model.ts';
import type { SimCluster } from './cluster/cluster.ts';
import type { PolicyResult, SeriesPoint } from './run.ts';
import { sampleEvery } from './run.ts';
import type { Scenario } from './scenario.ts';
import { aciReplicaSecondUSD } from './scenario.ts';
import { AciServing, BillingWindow, resultOf } from './spillway.ts';
import type { Trace } from './trace.ts';
import type { SimQueue } from './workload.ts';

export interface WorldSnapshot {
  /** Seconds of trace played. */
  second: number;
  /** Arrivals per second, last second. */
  demand: number;
  queue: number;
  vmReady: number;
  aciReady: number;
  nodes: { ready: number; provisioning: number };
  cost: { vmUSD: number; aciUSD: number };
  lastDecision?: ScalerStatus['lastDecision'];
  mode?: string;
  desired?: number;
}

/**
 * ACI faults the demo injects into the simulated ACI, so its dashboards and alerts show how Spillway meets
 * them. They are armed when the demo starts and each fires on the next matching call, so all of them hit
 * the first burst's creates, in this order — the same on every run:
 * - two creates answered 500 InternalServerError (the executor retries them on a later tick);
 * - one create answered 429 TooManyRequests with `Retry-After: 10` (the provider holds every ACI write
 *   for 10 simulated seconds);
 * - two creates refused 409 ServiceUnavailable (no capacity) in the first region, which the provider
 *   fails over to the next region.
 */
export function demoFaults(scenario: Scenario): SimFault[] {
  const first = scenario.aci.regions[0];
  return [
    { kind: 'transient', operation: 'create', times: 2 },
    { kind: 'throttle', operation: 'create', retryAfterSeconds: 10 },
    { kind: 'capacity', ...(first !== undefined ? { region: first } : {}), times: 2 },
  ];
}

/**
 * The demo's ACI budget (`spec.cost.budget.maxBurstUSDPerHour`): 25 ACI replicas at the scenario's prices,
 * rounded to the cent. The demo's trace wants up to about 32 at its peaks, so the burst runs into the
 * budget there (BudgetExhausted) while the rest of the run stays within it.
 */
export function demoBudgetUSDPerHour(scenario: Scenario): number {
  return Math.round(25 * aciReplicaSecondUSD(scenario) * 3600 * 100) / 100;
}

/** Steps the cluster and the queue up to the clock's current second. */
export class DemoWorld {
  readonly #scenario: Scenario;
  readonly #trace: Trace;
  readonly #cluster: SimCluster;
  readonly #queue: SimQueue;
  readonly #aci: AciServing;
  readonly #billing: BillingWindow;
  readonly #every: number;
  #second = 0;
  #demandSum = 0;
  #waitMax = 0;
  #lastDemand = 0;
  readonly series: SeriesPoint[] = [];

  constructor(options: {
    scenario: Scenario;
    trace: Trace;
    cluster: SimCluster;
    queue: SimQueue;
    model: AciModel;
  }) {
    this.#scenario = options.scenario;
    this.#trace = options.trace;
    this.#cluster = options.cluster;
    this.#queue = options.queue;
    this.#aci = new AciServing(options.model);
    this.#billing = new BillingWindow(options.model);
    this.#billing.open();
    this.#every = sampleEvery(options.trace);
  }

  /** Seconds of trace played so far. */
  get second(): number {
    return this.#second;
  }

  get done(): boolean {
    return this.#second >= this.#trace.arrivals.length;
  }

  /** Plays every whole second up to `now` (epoch ms on the scenario's clock). */
  advance(now: number): void {
    const target = Math.floor((now - this.#scenario.start) / 1000);
    while (this.#second < target && !this.done) {
      const at = this.#scenario.start + this.#second * 1000;
      this.#cluster.step(at);
      this.#aci.invalidate();
      const vm = this.#cluster.readyPods(at).vm;
      const aci = this.#aci.count();
      const arrivals = this.#trace.arrivals[this.#second] ?? 0;
      this.#queue.step(this.#second, arrivals, vm + aci);
      this.#lastDemand = arrivals;
      this.#demandSum += arrivals;
      this.#waitMax = Math.max(this.#waitMax, this.#queue.lastMaxWait);
      this.#second += 1;
      if (this.#second % this.#every === 0 || this.done) {
        this.series.push({
          t: this.#second,
          demand: this.#demandSum / this.#every,
          vm,
          aci,
          queue: this.#queue.depth,
          wait: this.#waitMax,
          cost: this.#cluster.vmCostUSD(this.#scenario.start, at + 1000) + this.#billing.sinceOpen().costUSD,
        });
        this.#demandSum = 0;
        this.#waitMax = 0;
      }
    }
  }

  snapshot(): WorldSnapshot {
    const at = this.#scenario.start + this.#second * 1000;
    const status = this.#cluster.scalers()[0]?.status as ScalerStatus | undefined;
    return {
      second: this.#second,
      demand: this.#lastDemand,
      queue: this.#queue.depth,
      vmReady: this.#cluster.readyPods(at).vm,
      aciReady: this.#aci.count(),
      nodes: this.#cluster.nodeCount(),
      cost: {
        vmUSD: this.#cluster.vmCostUSD(this.#scenario.start, at),
        aciUSD: this.#billing.sinceOpen().costUSD,
      },
      ...(status?.lastDecision ? { lastDecision: status.lastDecision } : {}),
      ...(status ? { mode: status.mode, desired: status.desiredReplicas } : {}),
    };
  }

  /** The demo's run as a policy result (for the report). */
  result(actions: number): PolicyResult {
    const to = this.#scenario.start + this.#second * 1000;
    return resultOf(
      'spillway',
      'Spillway demo: real controller loop in (sped-up) real time, ACI through the Azure SDK and the simulated ARM API',
      {
        out: { queue: this.#queue, from: this.#scenario.start, to, series: this.series },
        vmUSD: this.#cluster.vmCostUSD(this.#scenario.start, to),
        aci: this.#billing.sinceOpen(),
        nodeSeconds: this.#cluster.nodeSeconds(this.#scenario.start, to),
        actions,
      },
    );
  }
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

function clockText(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** The live view: a few lines, redrawn in place on a terminal. */
export function renderView(s: WorldSnapshot, total: number, width = 100): string[] {
  const reason = s.lastDecision?.reasons.find((r) => r.trim() !== '') ?? '';
  return [
    clip(
      `spillway demo  t=${clockText(s.second)} / ${clockText(total)}  (${((s.second / Math.max(1, total)) * 100).toFixed(0)}%)`,
      width,
    ),
    clip(
      `demand ${s.demand.toFixed(0).padStart(4)} msg/s   queue ${s.queue.toFixed(0).padStart(6)}   desired ${String(s.desired ?? '-').padStart(4)}   mode ${s.mode ?? '-'}`,
      width,
    ),
    clip(
      `replicas: VM ${String(s.vmReady).padStart(4)} on ${s.nodes.ready} node(s)${s.nodes.provisioning > 0 ? ` (+${s.nodes.provisioning} provisioning)` : ''}   ACI ${String(s.aciReady).padStart(4)}`,
      width,
    ),
    clip(
      `cost so far: $${(s.cost.vmUSD + s.cost.aciUSD).toFixed(3)}  (VM $${s.cost.vmUSD.toFixed(3)}, ACI $${s.cost.aciUSD.toFixed(3)})`,
      width,
    ),
    clip(`last decision: ${s.lastDecision?.summary ?? '(none yet)'}`, width),
    clip(`  because: ${reason}`, width),
  ];
}

/** One plain line for logs and CI (stdout not a terminal). */
export function renderLine(s: WorldSnapshot): string {
  return (
    `t=${clockText(s.second)} demand=${s.demand.toFixed(0)}/s queue=${s.queue.toFixed(0)} desired=${s.desired ?? '-'} ` +
    `vm=${s.vmReady} aci=${s.aciReady} nodes=${s.nodes.ready}+${s.nodes.provisioning} ` +
    `cost=$${(s.cost.vmUSD + s.cost.aciUSD).toFixed(3)} decision="${s.lastDecision?.summary ?? ''}"`
  );
}
