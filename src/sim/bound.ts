/**
 * A clairvoyant lower bound on the cost of serving a trace, computed with full knowledge of it.
 *
 * Method (docs/simulator.md writes the proof out):
 *
 * 1. Work. Every message needs `1 ÷ serviceRate` seconds of one Ready replica (deterministic service), so
 *    the trace needs `W = messages ÷ serviceRate` replica-seconds of serving, whatever the schedule and
 *    whatever the waits.
 * 2. Cheapest replica-second. Serving one replica for one second costs at least `c = min(a, v)`:
 *    - on ACI a group is billed `a` per second while it serves (and earlier, from its image pull);
 *    - on VM nodes, a node billed `p` per second (discount applied) holds at most `slots` replicas, so
 *      each replica-second on it costs at least `v = p ÷ slots` — a node's whole price counts, since every
 *      node a policy has (the pool's minimum included) is paid for by that policy.
 * 3. So any policy that serves every message pays at least `W × c`: provisioning time, minimum node
 *    lifetimes, ACI start time, idle headroom, imperfect packing and drains only add to it.
 * 4. The node pool's minimum. A policy on the cluster pays its `n` always-present nodes for the whole trace
 *    (`T` seconds): `n × p × T`. They serve at most `n × slots × T` replica-seconds; the rest of the work,
 *    `max(0, W − n × slots × T)`, costs at least `c` each as in 2. So such a policy pays at least
 *    `n·p·T + c·max(0, W − n·slots·T)`, which is ≥ `W × c` since `p ≥ slots × c`. A longer run (the drain
 *    tail) cannot lower it: each extra second of the pool costs `n·p` and saves at most `n·slots·c ≤ n·p`.
 *    ACI only has no cluster; `workOnlyUSD` (step 3) bounds it.
 *
 * The SLO does not enter: a deadline cannot make the cheapest replica-second dearer in this relaxation, so
 * the same number bounds every service level — `bound ≤ cost` holds for every policy that serves every
 * message, whatever its waits.
 *
 * With exponential service times the work is random; the bound then holds in expectation.
 */
import type { Scenario } from './scenario.ts';
import { aciReplicaSecondUSD, nodeSecondUSD, slotsPerNode } from './scenario.ts';

export interface BoundResult {
  /**
   * Lower bound on the cost of serving every message (any service level, the SLO included) for a policy that
   * runs on the scenario's cluster, so pays for its node pool's minimum (Spillway, KEDA + virtual node, VM only).
   */
  costUSD: number;
  /** The bound without the pool's minimum, `W × c`: it also bounds a policy with no cluster (ACI only). */
  workOnlyUSD: number;
  /** Total work, replica-seconds. */
  workReplicaSeconds: number;
  /** Cheapest replica-second, and where it is. */
  marginal: { usdPerReplicaSecond: number; where: 'aci' | 'vm' };
  /** The node pool's minimum over the trace: what it costs, and the replica-seconds it can serve at most. */
  pool: { nodes: number; costUSD: number; replicaSeconds: number };
  lines: string[];
}

/** The clairvoyant lower bound for `arrivals` (messages per second) under `scenario`. */
export function clairvoyantBound(arrivals: Float64Array, scenario: Scenario): BoundResult {
  const rate = scenario.serviceRate;
  const messages = arrivals.reduce((sum, n) => sum + n, 0);
  const work = messages / rate;
  const a = aciReplicaSecondUSD(scenario);
  const slots = slotsPerNode(scenario);
  const p = nodeSecondUSD(scenario);
  const v = p / slots;
  const c = Math.min(a, v);
  const nodes = scenario.nodePool.minNodes;
  const seconds = arrivals.length;
  const pool = { nodes, costUSD: nodes * p * seconds, replicaSeconds: nodes * slots * seconds };
  const beyond = Math.max(0, work - pool.replicaSeconds);
  const costUSD = pool.costUSD + beyond * c;
  const workOnlyUSD = work * c;
  return {
    costUSD,
    workOnlyUSD,
    workReplicaSeconds: work,
    marginal: { usdPerReplicaSecond: c, where: a <= v ? 'aci' : 'vm' },
    pool,
    lines: [
      `work: ${messages.toFixed(0)} messages ÷ ${rate} per replica-second = ${work.toFixed(0)} replica-seconds`,
      `cheapest replica-second: min(ACI $${a.toExponential(4)}, VM $${p.toExponential(4)} ÷ ${slots} slots = $${v.toExponential(4)}) = $${c.toExponential(4)} (${a <= v ? 'ACI' : 'VM'})`,
      `node pool minimum: ${nodes} node(s) × ${seconds} s = $${pool.costUSD.toFixed(4)}, serving at most ${pool.replicaSeconds} replica-seconds`,
      `bound = $${pool.costUSD.toFixed(4)} + ${beyond.toFixed(0)} × $${c.toExponential(4)} = $${costUSD.toFixed(4)} ` +
        `(without the pool, as for ACI only: ${work.toFixed(0)} × $${c.toExponential(4)} = $${workOnlyUSD.toFixed(4)})`,
    ],
  };
}
