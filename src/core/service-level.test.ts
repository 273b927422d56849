import { describe, expect, it } from 'vitest';
import { aciStartSeconds, measuredAciStart, serviceLevelMetrics } from './service-level.ts';
import { group, MINUTE, QUEUE, SECOND, T0, testPolicy } from './testing.ts';
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
    expect(aciStartSeconds(started(14, 30, 16), T0 + MINUTE, 45)).toEqual({ seconds: 16, groups: 3 });
    expect(aciStartSeconds(started(14, 30, 16, 18), T0 + MINUTE, 45)).toEqual({ seconds: 17, groups: 4 });
  });

  it("is spec.cost.aci.startSeconds until three groups are Ready (starting groups don't count)", () => {
    const starting = group(policy, 5, { createdAt: T0, ready: false, state: 'Pending' });
    expect(aciStartSeconds([...started(14, 16), starting], T0 + MINUTE, 45)).toEqual({
      seconds: 45,
      groups: 0,
    });
    expect(aciStartSeconds([], T0, 45)).toEqual({ seconds: 45, groups: 0 });
  });
});

describe('aciStartSeconds: early in a surge and between bursts', () => {
  it('counts a group still starting at its age once it is slower than the Ready ones', () => {
    // Three fast groups Ready in 10 s; two more created at T0 are still starting at T0 + 40 s.
    const slow = [5, 6].map((i) => group(policy, i, { createdAt: T0, ready: false, state: 'Pending' }));
    // Two of five slower than 10 s: the median is still 10 s.
    expect(aciStartSeconds([...started(10, 10, 10), ...slow], T0 + 40 * SECOND, 45).seconds).toBe(10);
    // At T0 + 5 s they are younger than the median and say nothing yet.
    expect(aciStartSeconds([...started(10, 10, 10), ...slow], T0 + 5 * SECOND, 45).groups).toBe(3);
    // With four slow ones, the median moves to what they have taken so far.
    const slower = [5, 6, 7, 8].map((i) =>
      group(policy, i, { createdAt: T0, ready: false, state: 'Pending' }),
    );
    expect(aciStartSeconds([...started(10, 10, 10), ...slower], T0 + 40 * SECOND, 45).seconds).toBe(40);
  });

  it('with fewer than three Ready, slow starters raise an earlier measurement, never lower it', () => {
    // An earlier burst measured 16 s. Now 2 groups took 100 s and 10 are still being created at 120 s.
    const slowSurge = [
      ...started(100, 100),
      ...Array.from({ length: 10 }, (_, i) =>
        group(policy, 10 + i, { createdAt: T0, ready: false, state: 'Pending' }),
      ),
    ];
    const raised = aciStartSeconds(slowSurge, T0 + 120 * SECOND, 45, { seconds: 16, groups: 14 });
    expect(raised).toEqual({ seconds: 120, groups: 12, starting: 10 });
    // An estimate raised by groups still starting is not a measurement: nothing new to remember.
    expect(measuredAciStart(raised)).toBeUndefined();
    // Just created: nothing is known yet beyond the earlier measurement.
    expect(aciStartSeconds(slowSurge, T0 + 5 * SECOND, 45, { seconds: 16, groups: 14 })).toEqual({
      seconds: 16,
      groups: 14,
      earlier: true,
    });
  });

  it('remembers only a median of Ready groups: not the spec, not an earlier one again, not a raised estimate', () => {
    expect(measuredAciStart(aciStartSeconds(started(14, 30, 16), T0 + MINUTE, 45))).toEqual({
      seconds: 16,
      groups: 3,
    });
    expect(measuredAciStart(aciStartSeconds([], T0, 45))).toBeUndefined();
    expect(measuredAciStart(aciStartSeconds([], T0, 45, { seconds: 16, groups: 12 }))).toBeUndefined();
    // Three Ready in 10 s and four still starting at 40 s: the estimate is 40 s, the measurement 10 s.
    const slower = [5, 6, 7, 8].map((i) =>
      group(policy, i, { createdAt: T0, ready: false, state: 'Pending' }),
    );
    const start = aciStartSeconds([...started(10, 10, 10), ...slower], T0 + 40 * SECOND, 45);
    expect(start).toEqual({ seconds: 40, groups: 7, starting: 4, measured: { seconds: 10, groups: 3 } });
    expect(measuredAciStart(start)).toEqual({ seconds: 10, groups: 3 });
  });

  it('ignores a Running group that is not Ready (a restarted container), and prefers the current template', () => {
    const restarted = [0, 1, 2].map((i) =>
      group(policy, 20 + i, { createdAt: T0 - 30 * MINUTE, ready: false, state: 'Running' }),
    );
    expect(aciStartSeconds([...started(15, 16, 17), ...restarted], T0 + MINUTE, 45).seconds).toBe(16);
    const old = [30, 31, 32].map((i) =>
      group(policy, i, { createdAt: T0, readyAt: T0 + 95 * SECOND, templateHash: 'tpl-0' }),
    );
    expect(
      aciStartSeconds([...started(15, 16, 17), ...old], T0 + 2 * MINUTE, 45, undefined, 'tpl-1').seconds,
    ).toBe(16);
  });

  it('keeps the last measurement when the groups are gone, instead of going back to the spec', () => {
    expect(aciStartSeconds([], T0, 45, { seconds: 16, groups: 12 })).toEqual({
      seconds: 16,
      groups: 12,
      earlier: true,
    });
  });
});

describe('serviceLevelMetrics: queue targets for sizing ACI by the wait a message may have', () => {
  it('raises a queue target to rate × (wait − start) where that is larger', () => {
    const sized = serviceLevelMetrics([queue(30)], policy, started(15, 16, 17), T0 + MINUTE);
    expect(sized?.raised).toBe(true);
    // 1 message/s × (60 s − 16 s) = 44 queued messages per ACI replica.
    expect(sized?.metrics).toEqual([queue(44)]);
    expect(sized?.line).toBe(
      'Service level (spec.burst.serviceLevel): a message waits at most 60 s, a replica serves 1 message(s)/s, ' +
        'a new ACI replica serves after ~16 s (median create → Ready of 3 ACI groups); so an ACI replica can take ' +
        '44 queued messages and still meet the wait. For ACI, queue targets are raised to that backlog per replica: ' +
        'orders-queue 30 → 44. The desired count and VM pods on running nodes keep the triggers’ targets.',
    );
  });

  it('uses spec.cost.aci.startSeconds before ACI groups have been measured', () => {
    const sized = serviceLevelMetrics([queue(10)], policy, [], T0);
    expect(sized?.metrics).toEqual([queue(15)]); // 1 × (60 − 45)
    expect(sized?.line).toContain('~45 s (spec.cost.aci.startSeconds; measured once 3 ACI groups are Ready)');
  });

  it('keeps a target that already gives a replica no more than the wait allows', () => {
    const sized = serviceLevelMetrics([queue(30)], policy, [], T0);
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
    const sized = serviceLevelMetrics([queue(1)], slow, [], T0);
    expect(sized?.raised).toBe(false);
    expect(sized?.metrics).toEqual([queue(1)]);
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
    const sized = serviceLevelMetrics([queue(30), prom], twoTriggers, started(16, 16, 16), T0 + MINUTE);
    expect(sized?.metrics).toEqual([queue(44), prom]);
  });

  it('leaves a rabbitmq trigger in mode MessageRate alone: its value is a rate, not a backlog', () => {
    const rate: Policy = {
      ...policy,
      triggers: [{ ...policy.triggers[0]!, type: 'rabbitmq', metadata: { mode: 'MessageRate ' } }],
    };
    const sized = serviceLevelMetrics([queue(1)], rate, started(16, 16, 16), T0 + MINUTE);
    expect(sized?.raised).toBe(false);
    expect(sized?.metrics).toEqual([queue(1)]);
  });

  it('is undefined without spec.burst.serviceLevel', () => {
    expect(serviceLevelMetrics([queue(30)], testPolicy(), started(16, 16, 16), T0 + MINUTE)).toBeUndefined();
  });
});
