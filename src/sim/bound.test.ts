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
    expect(bound.workOnlyUSD).toBeCloseTo(messages * rate(scenario), 12);
    expect(bound.workReplicaSeconds).toBeCloseTo(messages / scenario.serviceRate, 9);
  });

  it.each([
    {
      case: 'list prices, a busy hour: the pool node is paid and its 3 slots serve at a VM slot’s price, not ACI’s',
      discount: 0,
      perSecond: 30,
      expected: (s: Scenario) => 3600 * nodeSecondUSD(s) + (30 - 3) * 3600 * aciReplicaSecondUSD(s),
    },
    {
      case: 'list prices, a quiet hour (2 replicas of work): the pool node is paid whole',
      discount: 0,
      perSecond: 2,
      expected: (s: Scenario) => 3600 * nodeSecondUSD(s),
    },
    {
      case: 'VMs −30 %, a busy hour: the pool changes nothing (a VM slot is the cheapest anyway)',
      discount: 30,
      perSecond: 30,
      expected: (s: Scenario) => 30 * 3600 * (nodeSecondUSD(s) / 3),
    },
  ])('the node pool’s minimum: $case', ({ discount, perSecond, expected }) => {
    const scenario = withDiscount(discount);
    const arrivals = new Float64Array(3600).fill(perSecond);
    const bound = clairvoyantBound(arrivals, scenario);
    expect(bound.pool).toEqual({
      nodes: 1,
      costUSD: 3600 * nodeSecondUSD(scenario),
      replicaSeconds: 3 * 3600,
    });
    expect(bound.costUSD).toBeCloseTo(expected(scenario), 12);
    expect(bound.costUSD).toBeGreaterThanOrEqual(bound.workOnlyUSD - 1e-12);
  });

  it.each([1, 10, 60, 600])('does not depend on the SLO (%i s): it bounds every service level', (slo) => {
    const arrivals = Float64Array.from({ length: 600 }, (_, i) => (i % 60 < 5 ? 40 : 1));
    expect(clairvoyantBound(arrivals, defaultScenario({ sloSeconds: slo })).costUSD).toBeCloseTo(
      clairvoyantBound(arrivals, defaultScenario()).costUSD,
      12,
    );
  });
});
