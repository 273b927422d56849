import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../spec/compile.ts';
import type { SimAciError } from './aci/model.ts';
import { aciReplicaSecondUSD, burstScalerObject, defaultScenario, podTemplate } from './scenario.ts';
import { aciModelFor } from './spillway.ts';
import { demoBudgetUSDPerHour, demoFaults } from './world.ts';

const scenario = defaultScenario();

function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    const e = error as SimAciError;
    return `${e.statusCode} ${e.code}${e.retryAfterSeconds === undefined ? '' : ` retry-after ${e.retryAfterSeconds}`}`;
  }
}

describe('the demo’s injected ACI faults', () => {
  // The demo's first creates, in order, as the provider makes them (a refused create fails over to eastus2).
  const creates = [
    { region: 'eastus', want: '500 InternalServerError' },
    { region: 'eastus', want: '500 InternalServerError' },
    { region: 'eastus', want: '429 TooManyRequests retry-after 10' },
    { region: 'eastus', want: '409 ServiceUnavailable' },
    { region: 'eastus2', want: 'ok' },
    { region: 'eastus', want: '409 ServiceUnavailable' },
    { region: 'eastus', want: 'ok' },
    { region: 'eastus', want: 'ok' },
  ];

  it('hit the first creates in the same order on every run, then stop', () => {
    const runs = [0, 1].map(() => {
      const model = aciModelFor(scenario, { now: () => scenario.start, sleep: () => Promise.resolve() });
      for (const fault of demoFaults(scenario)) model.inject(fault);
      return creates.map(({ region }, i) =>
        outcome(() =>
          model.createOrUpdate('spillway-demo', `worker-${i}`, {
            location: region,
            osType: 'Linux',
            containers: [
              {
                name: 'worker',
                image: podTemplate(scenario).spec!.containers[0]!.image!,
                resources: { requests: { cpu: 1, memoryInGB: 2 } },
              },
            ],
          }),
        ),
      );
    });
    expect(runs[0]).toEqual(creates.map((c) => c.want));
    expect(runs[1]).toEqual(runs[0]);
  });

  it('target the scenario’s first region for capacity', () => {
    const other = defaultScenario({ aci: { ...scenario.aci, regions: ['westeurope', 'northeurope'] } });
    expect(demoFaults(other).find((f) => f.kind === 'capacity')).toMatchObject({ region: 'westeurope' });
  });
});

describe('the demo’s ACI budget', () => {
  it('is 25 ACI replicas’ spend, and reaches the compiled policy', () => {
    const budget = demoBudgetUSDPerHour(scenario);
    expect(budget).toBeCloseTo(25 * aciReplicaSecondUSD(scenario) * 3600, 2);
    const policy = compilePolicy(burstScalerObject(scenario, { budgetUSDPerHour: budget }));
    expect(policy.cost.budget).toEqual({ maxBurstUSDPerHour: budget });
    expect(compilePolicy(burstScalerObject(scenario)).cost.budget).toEqual({});
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects a budget of %s', (budget) => {
    expect(() => burstScalerObject(scenario, { budgetUSDPerHour: budget })).toThrow(
      'budgetUSDPerHour: must be a number above 0',
    );
  });
});
