import { describe, expect, it } from 'vitest';
import { clairvoyantBound } from './bound.ts';
import { aciReplicaSecondUSD, defaultScenario, nodeSecondUSD } from './scenario.ts';
import type { Scenario } from './scenario.ts';

const withDiscount = (discountPercent: number): Scenario =>
  defaultScenario({ node: { ...defaultScenario().node, discountPercent } });

describe('clairvoyantBound (work × cheapest replica-second)', () => {
  it.each([
    {
      case: 'list prices: ACI ($0.0503/h) is cheaper than a VM slot ($0.192 ÷ 3)',
      scenario: defaultScenario(),
      where: 'aci',
      rate: (s: Scenario) => aciReplicaSecondUSD(s),
    },
    {
      case: '30 % discount: a VM slot ($0.0448/h) is the cheapest',
      scenario: withDiscount(30),
      where: 'vm',
      rate: (s: Scenario) => nodeSecondUSD(s) / 3,
    },
    {
      case: 'two messages per replica-second halve the work',
      scenario: defaultScenario({ serviceRate: 2 }),
      where: 'aci',
      rate: (s: Scenario) => aciReplicaSecondUSD(s) / 2,
    },
  ])('$case', ({ scenario, where, rate }) => {
    const arrivals = Float64Array.from({ length: 3600 }, (_, i) => (i % 600 < 60 ? 50 : 5));
    const messages = arrivals.reduce((a, b) => a + b, 0);
    const bound = clairvoyantBound(arrivals, scenario);
    expect(bound.marginal.where).toBe(where);
    expect(bound.costUSD).toBeCloseTo(messages * rate(scenario), 12);
    expect(bound.workReplicaSeconds).toBeCloseTo(messages / scenario.serviceRate, 9);
  });

  it.each([1, 10, 60, 600])('does not depend on the SLO (%i s): it bounds every service level', (slo) => {
    const arrivals = Float64Array.from({ length: 600 }, (_, i) => (i % 60 < 5 ? 40 : 1));
    expect(clairvoyantBound(arrivals, defaultScenario({ sloSeconds: slo })).costUSD).toBeCloseTo(
      clairvoyantBound(arrivals, defaultScenario()).costUSD,
      12,
    );
  });
});
