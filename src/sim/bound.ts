/**
 * A clairvoyant lower bound on the cost of serving a trace, computed with full knowledge of it.
 *
 * Method (docs/simulator.md has the proof written out):
 *
 * 1. Work. Every message needs `1 ÷ serviceRate` replica-seconds of a Ready replica (deterministic service).
 *    The trace's work is `W = messages ÷ serviceRate`, whatever the schedule.
 * 2. Cheapest marginal rate. A replica-second of serving costs at least `c = min(a, v)`: on ACI a
 *    Ready group is billed `a` per second (billing starts even earlier, at the image pull); on a VM node
 *    added for the workload, a node billed `p` per second holds at most `slots` replicas, so `v = p ÷ slots`.
 *    Provisioning time, minimum node lifetimes, ACI start time, idle headroom and imperfect packing only
 *    add cost, so they are left out — that keeps it a bound.
 * 3. The node pool's minimum. A policy that keeps the scenario's node pool pays its `minNodes` nodes for the
 *    whole trace (the cluster autoscaler never goes below the minimum); they give `C = minNodes × slots`
 *    replicas at no extra cost. The most work they can take is what a fluid FIFO server of rate
 *    `C × serviceRate` serves when each message must start within its deadline (it is optimal: all
 *    messages have the same relative deadline, so earliest-deadline-first is FIFO, and serving the oldest
 *    work first maximises work done by the deadlines). The rest, `W_paid`, costs at least `c` per
 *    replica-second.
 *
 *    bound_pool(D) = minNodes × p × T + (W_paid(D) ÷ serviceRate) × c
 *    bound_none    = W × c                                      (a policy without the pool, e.g. ACI only)
 *    bound(D)      = min(bound_pool(D), bound_none)
 *
 * With D = the SLO, `bound(SLO)` is the lower bound for any policy that serves every message within the
 * SLO: the *clairvoyant bound* reported. With D = ∞ (no deadline) it is a lower bound for every policy that
 * serves every message at all, whatever its waits — `bound(∞) ≤ bound(SLO)` — which is what the report's
 * invariant "the bound is at most every policy's cost" checks.
 *
 * With exponential service times the work is random; the bound then holds in expectation.
 */
import type { Scenario } from './scenario.ts';
import { aciReplicaSecondUSD, nodeSecondUSD, slotsPerNode } from './scenario.ts';

export interface BoundResult {
  /** Lower bound for serving every message within the SLO. */
  costUSD: number;
  /** Lower bound for serving every message, whatever the waits (≤ costUSD). */
  anyServiceLevelUSD: number;
  /** Total work, replica-seconds. */
  workReplicaSeconds: number;
  /** Work the pool's minimum nodes can take within the SLO, replica-seconds. */
  poolWorkReplicaSeconds: number;
  /** Cheapest marginal replica-second, and where it is. */
  marginal: { usdPerReplicaSecond: number; where: 'aci' | 'vm' };
  /** Which side of the min decided. */
  via: 'pool' | 'no-pool';
  lines: string[];
}

/**
 * Work (messages) a fluid FIFO server of `capacity` messages per second serves from `arrivals` when a
 * message must be served within `deadline` seconds of its arrival second (Infinity: no deadline).
 */
export function servedWithinDeadline(arrivals: Float64Array, capacity: number, deadline: number): number {
  const seconds: number[] = [];
  const counts: number[] = [];
  let head = 0;
  let served = 0;
  const run = (t: number, arrival: number): void => {
    if (arrival > 0) {
      seconds.push(t);
      counts.push(arrival);
    }
    while (head < seconds.length && t - seconds[head]! > deadline) head += 1;
    let left = capacity;
    while (left > 1e-12 && head < seconds.length) {
      const take = Math.min(left, counts[head]!);
      counts[head] = counts[head]! - take;
      left -= take;
      served += take;
      if (counts[head]! <= 1e-12) head += 1;
    }
  };
  for (let t = 0; t < arrivals.length; t++) run(t, arrivals[t]!);
  // After the trace: the backlog is served as long as deadlines allow (or until empty without one).
  let t = arrivals.length;
  while (head < seconds.length && capacity > 0 && (deadline === Infinity || t - seconds[head]! <= deadline)) {
    run(t, 0);
    t += 1;
  }
  return served;
}

/** The clairvoyant lower bound for `arrivals` (messages per second) under `scenario`. */
export function clairvoyantBound(arrivals: Float64Array, scenario: Scenario): BoundResult {
  const rate = scenario.serviceRate;
  const messages = arrivals.reduce((a, b) => a + b, 0);
  const W = messages / rate;
  const a = aciReplicaSecondUSD(scenario);
  const slots = slotsPerNode(scenario);
  const p = nodeSecondUSD(scenario);
  const v = p / slots;
  const c = Math.min(a, v);
  const T = arrivals.length;
  const C = scenario.nodePool.minNodes * slots;
  const fixed = scenario.nodePool.minNodes * p * T;
  const poolServed = servedWithinDeadline(arrivals, C * rate, scenario.sloSeconds);
  const poolServedAny = servedWithinDeadline(arrivals, C * rate, Infinity);
  const pool = fixed + ((messages - poolServed) / rate) * c;
  const poolAny = fixed + ((messages - poolServedAny) / rate) * c;
  const none = W * c;
  const costUSD = Math.min(pool, none);
  const lines = [
    `work: ${messages.toFixed(0)} messages ÷ ${rate}/s = ${W.toFixed(0)} replica-seconds`,
    `cheapest replica-second: min(ACI ${a.toExponential(4)}, VM ${p.toExponential(4)} ÷ ${slots} slots = ${v.toExponential(4)}) = ${c.toExponential(4)} USD`,
    `pool minimum: ${scenario.nodePool.minNodes} node(s) × ${T} s = $${fixed.toFixed(4)}, serving ${(poolServed / rate).toFixed(0)} replica-seconds within the ${scenario.sloSeconds} s SLO`,
    `bound = min(pool $${pool.toFixed(4)}, no pool $${none.toFixed(4)}) = $${costUSD.toFixed(4)}`,
  ];
  return {
    costUSD,
    anyServiceLevelUSD: Math.min(poolAny, none),
    workReplicaSeconds: W,
    poolWorkReplicaSeconds: poolServed / rate,
    marginal: { usdPerReplicaSecond: c, where: a <= v ? 'aci' : 'vm' },
    via: pool <= none ? 'pool' : 'no-pool',
    lines,
  };
}
