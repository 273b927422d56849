/**
 * The goals of `npm run bench` (issue 6) over several seeds of one case: Spillway within 1.3× of the clairvoyant
 * bound, at least 25 % cheaper than KEDA + virtual node, and no more SLO-seconds missed than it.
 */
import type { SimulationResult } from './simulate.ts';

/** What the goals need from one run: Spillway's ratios and both policies' SLO-seconds. */
export interface SeedFigures {
  seed: number;
  toBound: number;
  toKeda: number;
  sloSpillway: number;
  sloKeda: number;
}

/** The figures of one run; it must have run Spillway and KEDA + virtual node. */
export function seedFigures(seed: number, r: SimulationResult): SeedFigures {
  const by = (name: string) => {
    const found = r.policies.find((p) => p.policy === name);
    if (!found)
      throw new Error(
        `the benchmark's goals need a ${name} run; this run has ${r.policies.map((p) => p.policy).join(', ')}`,
      );
    return found;
  };
  const s = by('spillway');
  const k = by('keda-virtual-node');
  return {
    seed,
    toBound: s.cost.totalUSD / r.bound.costUSD,
    toKeda: s.cost.totalUSD / k.cost.totalUSD,
    sloSpillway: s.sloSecondsMissed,
    sloKeda: k.sloSecondsMissed,
  };
}

/**
 * Goal check over the seeds of one case: within 1.3× of the bound, ≥ 25 % cheaper than KEDA + virtual node, no
 * more SLO-seconds missed than it. A goal is met when every seed meets it; otherwise the line says in how many.
 */
export function goals(runs: SeedFigures[]): string {
  const mark = (ok: (f: SeedFigures) => boolean): string => {
    const n = runs.filter(ok).length;
    const of = runs.length > 1 ? ` (${n} of ${runs.length} seeds)` : '';
    return n === runs.length ? `met${runs.length > 1 ? ' (every seed)' : ''}` : `NOT met${of}`;
  };
  return (
    `≤ 1.3× bound: ${mark((f) => f.toBound <= 1.3)}; ` +
    `≥ 25 % cheaper than KEDA+VN: ${mark((f) => f.toKeda <= 0.75)}; ` +
    `SLO-seconds ≤ KEDA+VN's: ${mark((f) => f.sloSpillway <= f.sloKeda)}`
  );
}

/** `lo–hi` of the values at `digits` decimals, or one number when both ends print the same. */
export function range(values: number[], digits: number): string {
  const lo = Math.min(...values).toFixed(digits);
  const hi = Math.max(...values).toFixed(digits);
  return lo === hi ? lo : `${lo}–${hi}`;
}
