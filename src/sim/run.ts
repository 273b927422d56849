/**
 * What every policy run shares: the second-by-second loop over a trace (with a warm-up before it and a
 * drain tail after it), the queue, and the recording of costs, waits and chart series.
 *
 * Accounting window: from the first second of the trace until the queue is empty after it (at most
 * `scenario.drainTailSeconds` more). The warm-up — steady load at the trace's opening rate, so that no
 * policy starts cold — is simulated but not counted.
 */
import type { Trace } from './trace.ts';
import type { Scenario } from './scenario.ts';
import { SimQueue } from './workload.ts';
import type { WaitStats } from './workload.ts';
import type { VirtualClock } from './clock.ts';

/** Policies the simulator compares. */
export type PolicyName = 'spillway' | 'vm-only' | 'keda-virtual-node' | 'aci-only';

/** One sample of a run's time series (for the report's charts). */
export interface SeriesPoint {
  /** Seconds since the trace start. */
  t: number;
  /** Arrivals per second (mean over the sample). */
  demand: number;
  /** Ready replicas on VM nodes / on ACI at the sample. */
  vm: number;
  aci: number;
  /** Messages waiting. */
  queue: number;
  /** Longest queue wait seen in the sample, seconds. */
  wait: number;
  /** Cost so far, USD. */
  cost: number;
}

export interface PolicyResult {
  policy: PolicyName;
  /** One sentence on what was simulated. */
  description: string;
  cost: { vmUSD: number; aciUSD: number; totalUSD: number };
  waits: WaitStats;
  sloSecondsMissed: number;
  aciReplicaSeconds: number;
  vmNodeHours: number;
  /** Scaling actions the policy took (see docs/simulator.md for what counts). */
  actions: number;
  /** Seconds counted (trace + drain tail). */
  seconds: number;
  messages: { arrived: number; served: number; left: number };
  /** Per-tick timings, when the policy runs Spillway's controller. */
  timing?: { ticks: number; decideMsMean: number; decideMsP99: number; tickMsMean: number };
  series: SeriesPoint[];
}

/** Counted replicas serving right now. */
export interface Serving {
  vm: number;
  aci: number;
}

export interface LoopHooks {
  /** Called at each second before the queue is served (decisions, cluster steps). */
  beforeServe(now: number, second: number): Promise<void> | void;
  /** Replicas serving during this second. */
  serving(now: number): Serving;
  /** Cost so far since `from` (for the cumulative cost series). */
  costSince(from: number, now: number): number;
}

export interface LoopInput {
  scenario: Scenario;
  trace: Trace;
  clock: VirtualClock;
  /** The queue (see {@link newQueue}); the policy's demand signal reads it. */
  queue: SimQueue;
  hooks: LoopHooks;
  /** Called with seconds simulated (warm-up included), for progress bars. */
  progress?: (seconds: number) => void;
}

export interface LoopOutput {
  queue: SimQueue;
  /** Epoch ms of the trace start and of the end of the accounting window. */
  from: number;
  to: number;
  series: SeriesPoint[];
}

/** Arrivals per second during the warm-up: the trace's mean rate over its first 10 minutes. */
export function warmupRate(trace: Trace): number {
  const n = Math.min(trace.arrivals.length, 600);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += trace.arrivals[i]!;
  return n > 0 ? sum / n : 0;
}

/** Replicas a warm workload runs at the opening rate. */
export function warmReplicas(trace: Trace, scenario: Scenario): number {
  return Math.max(scenario.minReplicas, Math.ceil(warmupRate(trace) / scenario.serviceRate));
}

/** Samples per run: about 1,500 points whatever the trace length. */
export function sampleEvery(trace: Trace): number {
  return Math.max(1, Math.ceil(trace.arrivals.length / 1500));
}

/** Total simulated seconds of a run before the drain tail (for progress bars). */
export function loopSeconds(trace: Trace, scenario: Scenario): number {
  return scenario.warmupSeconds + trace.arrivals.length;
}

/** The scenario's queue. */
export function newQueue(scenario: Scenario): SimQueue {
  return new SimQueue({
    serviceRate: scenario.serviceRate,
    service: scenario.service,
    sloSeconds: scenario.sloSeconds,
    seed: scenario.seed,
  });
}

/** Runs the loop; the clock must stand at `scenario.start − warmupSeconds`. */
export async function runLoop(input: LoopInput): Promise<LoopOutput> {
  const { scenario, trace, clock, hooks, queue } = input;
  queue.counting(false);
  const warm = warmupRate(trace);
  const T = trace.arrivals.length;
  const every = sampleEvery(trace);
  const from = scenario.start;
  const series: SeriesPoint[] = [];
  let demandSum = 0;
  let waitMax = 0;
  let second = -scenario.warmupSeconds;
  for (;;) {
    const now = from + second * 1000;
    // Most seconds wake no sleep and most hooks return at once: await only what is pending.
    if (!clock.advanceIdle(now)) await clock.advanceTo(now);
    if (second === 0) queue.counting(true);
    const stepping = hooks.beforeServe(now, second);
    if (stepping) await stepping;
    const serving = hooks.serving(now);
    const arrivals = second < 0 ? warm : second < T ? trace.arrivals[second]! : 0;
    queue.step(second, arrivals, serving.vm + serving.aci);
    if (second >= 0) {
      demandSum += arrivals;
      waitMax = Math.max(waitMax, queue.lastMaxWait);
      if ((second + 1) % every === 0 || second === T - 1) {
        series.push({
          t: second + 1,
          demand: demandSum / every,
          vm: serving.vm,
          aci: serving.aci,
          queue: queue.depth,
          wait: waitMax,
          cost: hooks.costSince(from, now + 1000),
        });
        demandSum = 0;
        waitMax = 0;
      }
    }
    input.progress?.(second + scenario.warmupSeconds + 1);
    second += 1;
    if (second >= T && (queue.depth < 1e-6 || second >= T + scenario.drainTailSeconds)) break;
  }
  return { queue, from, to: from + second * 1000, series };
}

/** Mean and 99th percentile of a list of durations. */
export function summarize(values: number[]): { mean: number; p99: number } {
  if (values.length === 0) return { mean: 0, p99: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]! };
}
