import { describe, expect, it } from 'vitest';
import { goals, range } from './bench-goals.ts';
import type { SeedFigures } from './bench-goals.ts';

const run = (
  seed: number,
  toBound: number,
  toKeda: number,
  sloSpillway: number,
  sloKeda: number,
): SeedFigures => ({
  seed,
  toBound,
  toKeda,
  sloSpillway,
  sloKeda,
});

describe('bench goals over seeds', () => {
  it('meets a goal only when every seed meets it, and says in how many it was met otherwise', () => {
    const line = goals([run(1, 1.1, 0.74, 0, 10), run(2, 1.31, 0.75, 12, 10), run(3, 1.2, 0.76, 3, 10)]);
    expect(line).toBe(
      '≤ 1.3× bound: NOT met (2 of 3 seeds); ≥ 25 % cheaper than KEDA+VN: NOT met (2 of 3 seeds); ' +
        "SLO-seconds ≤ KEDA+VN's: NOT met (2 of 3 seeds)",
    );
    expect(goals([run(1, 1.3, 0.75, 5, 5), run(2, 1.0, 0.5, 0, 0)])).toBe(
      "≤ 1.3× bound: met (every seed); ≥ 25 % cheaper than KEDA+VN: met (every seed); SLO-seconds ≤ KEDA+VN's: met (every seed)",
    );
  });

  it('prints a single seed without a seed count', () => {
    expect(goals([run(1, 1.4, 0.7, 1, 0)])).toBe(
      "≤ 1.3× bound: NOT met; ≥ 25 % cheaper than KEDA+VN: met; SLO-seconds ≤ KEDA+VN's: NOT met",
    );
  });

  it('prints a range, or one number when the ends agree at the precision shown', () => {
    expect(range([0.757, 0.743, 0.746], 3)).toBe('0.743–0.757');
    expect(range([1.101, 1.099], 2)).toBe('1.10');
    expect(range([0, 175, 97], 0)).toBe('0–175');
  });
});
