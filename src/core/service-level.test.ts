import { describe, expect, it } from 'vitest';
import { aciStartSeconds, serviceLevelMetrics } from './service-level.ts';
import { group, QUEUE, SECOND, T0, testPolicy } from './testing.ts';
import type { MetricInput, Policy } from './types.ts';

const policy = testPolicy({
  burst: { serviceLevel: { maxQueueWaitSeconds: 60, messagesPerSecondPerReplica: 1 } },
  aci: { startSeconds: 45 },
});
/** Ready groups created at T0 that took `seconds` (each) to become Ready. */
const started = (...seconds: number[]) =>
  seconds.map((s, i) => group(policy, i, { createdAt: T0, readyAt: T0 + s * SECOND }));
const queue = (averageValue: number, value = 600): MetricInput => ({
  kind: 'External',
  name: QUEUE,
  target: { type: 'AverageValue', averageValue },
  value,
});

describe('aciStartSeconds: how long a new ACI replica takes to serve', () => {
  it('is the median create → Ready time of the Ready groups', () => {
    expect(aciStartSeconds(started(14, 30, 16), 45)).toEqual({ seconds: 16, groups: 3 });
    expect(aciStartSeconds(started(14, 30, 16, 18), 45)).toEqual({ seconds: 17, groups: 4 });
  });

  it("is spec.cost.aci.startSeconds until three groups are Ready (starting groups don't count)", () => {
    const starting = group(policy, 5, { createdAt: T0, ready: false, state: 'Pending' });
    expect(aciStartSeconds([...started(14, 16), starting], 45)).toEqual({ seconds: 45, groups: 0 });
    expect(aciStartSeconds([], 45)).toEqual({ seconds: 45, groups: 0 });
  });
});

describe('serviceLevelMetrics: queue targets for sizing ACI by the wait a message may have', () => {
  it('raises a queue target to rate × (wait − start) where that is larger', () => {
    const sized = serviceLevelMetrics([queue(30)], policy, started(15, 16, 17));
    expect(sized?.raised).toBe(true);
    // 1 message/s × (60 s − 16 s) = 44 queued messages per ACI replica.
    expect(sized?.metrics).toEqual([queue(44)]);
    expect(sized?.line).toBe(
      'Service level (spec.burst.serviceLevel): a message waits at most 60 s, a replica serves 1 message(s)/s, ' +
        'a new ACI replica serves after ~16 s (median create → Ready of 3 ACI groups); so an ACI replica can take ' +
        '44 queued messages and still meet the wait. ACI is sized at that backlog per replica: ' +
        'orders-queue 30 → 44. The desired count and the Deployment keep the triggers’ targets.',
    );
  });

  it('uses spec.cost.aci.startSeconds before ACI groups have been measured', () => {
    const sized = serviceLevelMetrics([queue(10)], policy, []);
    expect(sized?.metrics).toEqual([queue(15)]); // 1 × (60 − 45)
    expect(sized?.line).toContain('~45 s (spec.cost.aci.startSeconds; measured once 3 ACI groups are Ready)');
  });

  it('keeps a target that already gives a replica no more than the wait allows', () => {
    const sized = serviceLevelMetrics([queue(30)], policy, []);
    expect(sized?.raised).toBe(false);
    expect(sized?.metrics).toEqual([queue(30)]);
    expect(sized?.line).toContain(
      'an ACI replica can take 15 queued messages, no more than the targets of orders-queue (30): ACI follows the triggers’ targets.',
    );
  });

  it('changes nothing when a new replica would start after the wait is over', () => {
    const slow: Policy = testPolicy({
      burst: { serviceLevel: { maxQueueWaitSeconds: 30, messagesPerSecondPerReplica: 1 } },
      aci: { startSeconds: 45 },
    });
    const sized = serviceLevelMetrics([queue(1)], slow, []);
    expect(sized?.raised).toBe(false);
    expect(sized?.line).toContain('which leaves no time within the wait');
  });

  it('leaves metrics that are not queue backlogs alone (a prometheus query, cpu)', () => {
    const twoTriggers: Policy = {
      ...policy,
      triggers: [
        ...policy.triggers,
        {
          name: 'prometheus-1',
          type: 'prometheus',
          metadata: {},
          target: { type: 'AverageValue', averageValue: 5 },
        },
      ],
    };
    const prom: MetricInput = {
      kind: 'External',
      name: 'prometheus-1',
      target: { type: 'AverageValue', averageValue: 5 },
      value: 100,
    };
    const sized = serviceLevelMetrics([queue(30), prom], twoTriggers, started(16, 16, 16));
    expect(sized?.metrics).toEqual([queue(44), prom]);
  });

  it('is undefined without spec.burst.serviceLevel', () => {
    expect(serviceLevelMetrics([queue(30)], testPolicy(), started(16, 16, 16))).toBeUndefined();
  });
});
