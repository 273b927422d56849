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
 *
 * The SLO does not enter: a deadline cannot make the cheapest replica-second dearer in this relaxation, so
 * the same number bounds every service level — `bound ≤ cost` holds for every policy that serves every
 * message, whatever its waits. (A pool of always-paid nodes cannot tighten it either: `slots` replicas on a
 * node cost at least `p ≥ slots × c` per second, whether or not they are busy.)
 *
 * With exponential service times the work is random; the bound then holds in expectation.
 */
import type { Scenario } from './scenario.ts';
import { aciReplicaSecondUSD, nodeSecondUSD, slotsPerNode } from './scenario.ts';

export interface BoundResult {
  /** Lower bound on the cost of serving every message (any service level, the SLO included). */
  costUSD: number;
  /** Total work, replica-seconds. */
  workReplicaSeconds: number;
  /** Cheapest replica-second, and where it is. */
  marginal: { usdPerReplicaSecond: number; where: 'aci' | 'vm' };
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
  const costUSD = work * c;
  return {
    costUSD,
    workReplicaSeconds: work,
    marginal: { usdPerReplicaSecond: c, where: a <= v ? 'aci' : 'vm' },
    lines: [
      `work: ${messages.toFixed(0)} messages ÷ ${rate} per replica-second = ${work.toFixed(0)} replica-seconds`,
      `cheapest replica-second: min(ACI $${a.toExponential(4)}, VM $${p.toExponential(4)} ÷ ${slots} slots = $${v.toExponential(4)}) = $${c.toExponential(4)} (${a <= v ? 'ACI' : 'VM'})`,
      `bound = ${work.toFixed(0)} × $${c.toExponential(4)} = $${costUSD.toFixed(4)}`,
    ],
  };
}
