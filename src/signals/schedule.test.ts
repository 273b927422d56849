import { describe, expect, it } from 'vitest';
import { FakeValues, trigger } from '../../test/signals/helpers.ts';
import type { SchedulePolicy } from '../core/types.ts';
import { CronSource } from './cron.ts';
import { cronTriggerFloors, replicaFloors, scheduleFloors, validateSchedules } from './schedule.ts';

const workdays: SchedulePolicy = {
  cron: '0 8 * * 1-5',
  durationMinutes: 600,
  minReplicas: 20,
  timezone: 'Europe/Berlin',
};
const nightly: SchedulePolicy = {
  cron: '0 22 * * *',
  durationMinutes: 240,
  minReplicas: 5,
  timezone: 'Europe/Berlin',
};
const at = (iso: string) => Date.parse(iso);

describe('scheduleFloors', () => {
  it.each([
    ['Monday 07:59 Berlin (CET), before the window', '2026-11-23T06:59:00Z', []],
    ['Monday 08:00 Berlin exactly: the window opens', '2026-11-23T07:00:00Z', [20]],
    ['Monday 17:59 Berlin', '2026-11-23T16:59:59Z', [20]],
    ['Monday 18:00 Berlin: 600 minutes later the window is closed', '2026-11-23T17:00:00Z', []],
    ['Saturday 09:00 Berlin: not a weekday', '2026-11-28T08:00:00Z', []],
    ['a July Monday 08:30 Berlin (CEST, UTC+2)', '2026-07-06T06:30:00Z', [20]],
    ['a July Monday 07:30 Berlin (CEST): 08:30 UTC would be wrong', '2026-07-06T05:30:00Z', []],
    ['the Monday after the switch to summer time, 08:00 CEST', '2026-03-30T06:00:00Z', [20]],
  ])('%s → floors %j', (_, now, replicas) => {
    expect(scheduleFloors([workdays], at(now)).map((f) => f.replicas)).toEqual(replicas);
  });

  it.each([
    ['23:00 the same night', '2026-11-23T22:00:00Z', [5]],
    ['01:59 the next morning (the window crosses midnight)', '2026-11-24T00:59:00Z', [5]],
    ['02:00 the next morning', '2026-11-24T01:00:00Z', []],
  ])('a nightly window at %s → %j', (_, now, replicas) => {
    expect(scheduleFloors([nightly], at(now)).map((f) => f.replicas)).toEqual(replicas);
  });

  it('explains the window in the schedule’s own time zone', () => {
    expect(scheduleFloors([nightly, workdays], at('2026-11-23T10:00:00Z'))).toEqual([
      {
        replicas: 20,
        reason:
          'schedule 1 "0 8 * * 1-5" (Europe/Berlin): window 2026-11-23 08:00 to 2026-11-23 18:00 → at least 20 replicas',
      },
    ]);
  });

  it('supports node-cron’s seconds field and names', () => {
    const everyTenSeconds: SchedulePolicy = {
      cron: '*/10 * * * * MON-FRI',
      durationMinutes: 0.05,
      minReplicas: 2,
      timezone: 'UTC',
    };
    expect(scheduleFloors([everyTenSeconds], at('2026-11-23T10:00:02Z'))).toHaveLength(1);
    expect(scheduleFloors([everyTenSeconds], at('2026-11-23T10:00:03Z'))).toHaveLength(0);
  });

  it('skips schedules that are invalid (they are rejected when the spec is compiled)', () => {
    expect(scheduleFloors([{ ...workdays, timezone: 'Mars/Olympus' }], at('2026-11-23T10:00:00Z'))).toEqual(
      [],
    );
  });
});

describe('validateSchedules', () => {
  it.each([
    [
      { cron: '61 8 * * *' },
      'spec.schedules[0].cron: minute: 61 is a invalid expression for minute (got "61 8 * * *")',
    ],
    [
      { cron: '0 8 * *' },
      'spec.schedules[0].cron: must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got 4 (got "0 8 * *")',
    ],
    [
      { timezone: 'Berlin' },
      'spec.schedules[0].timezone: must be an IANA time zone such as Europe/Berlin or UTC, got "Berlin"',
    ],
    [{ durationMinutes: 0 }, 'spec.schedules[0].durationMinutes: must be a number > 0, got 0'],
    [{ minReplicas: -1 }, 'spec.schedules[0].minReplicas: must be an integer ≥ 0, got -1'],
  ])('rejects %j: %s', (change, message) => {
    expect(() => validateSchedules([{ ...workdays, ...change }])).toThrow(message);
  });

  it('accepts valid schedules', () => {
    expect(() => validateSchedules([workdays, nightly])).not.toThrow();
  });
});

describe('cron triggers (KEDA cron scaler)', () => {
  const office = trigger('cron', {
    timezone: 'Europe/Berlin',
    start: '0 8 * * 1-5',
    end: '0 18 * * 1-5',
    desiredReplicas: '10',
  });
  const night = trigger('cron', {
    timezone: 'Europe/Berlin',
    start: '0 22 * * *',
    end: '0 6 * * *',
    desiredReplicas: '3',
  });
  const source = new CronSource();
  const read = (t: typeof office, now: string) =>
    source.read(t, {
      scaler: { namespace: 'shop', name: 'w', uid: 'u' },
      values: new FakeValues(),
      signal: new AbortController().signal,
      now: at(now),
    });

  it.each([
    ['office hours, Monday 09:00 Berlin', office, '2026-11-23T08:00:00Z', 10],
    ['after hours, Monday 19:00 Berlin', office, '2026-11-23T18:00:00Z', 0],
    ['Saturday 10:00 Berlin', office, '2026-11-28T09:00:00Z', 0],
    ['the night window at 23:00', night, '2026-11-23T22:00:00Z', 3],
    ['the night window at 05:00 the next day', night, '2026-11-24T04:00:00Z', 3],
    ['after the night window, 07:00', night, '2026-11-24T06:00:00Z', 0],
  ])('%s', async (_, t, now, expected) => {
    await expect(read(t, now)).resolves.toEqual({ value: expected });
    expect(cronTriggerFloors([t], at(now)).map((f) => f.replicas)).toEqual(expected ? [expected] : []);
  });

  it('explains an open window as a floor', () => {
    expect(cronTriggerFloors([office, trigger('prometheus', {})], at('2026-11-23T08:00:00Z'))).toEqual([
      {
        replicas: 10,
        reason:
          'cron trigger cron-0 (Europe/Berlin): window 2026-11-23 08:00 to 2026-11-23 18:00 → at least 10 replicas',
      },
    ]);
  });

  it.each([
    [
      { timezone: '' },
      'spec.triggers[0] (cron-0).metadata.timezone: required (an IANA time zone such as Europe/Berlin or UTC)',
    ],
    [
      { timezone: 'CEST' },
      'spec.triggers[0] (cron-0).metadata.timezone: must be an IANA time zone, got "CEST"',
    ],
    [
      { start: '0 25 * * *' },
      'spec.triggers[0] (cron-0).metadata.start: hour: 25 is a invalid expression for hour (got "0 25 * * *")',
    ],
    [{ end: '0 8 * * 1-5' }, 'spec.triggers[0] (cron-0).metadata.end: must differ from start'],
    [
      { desiredReplicas: 'ten' },
      'spec.triggers[0] (cron-0).metadata.desiredReplicas: required, an integer ≥ 0, got "ten"',
    ],
  ])('rejects %j', (change, message) => {
    expect(() => source.validate({ ...office, metadata: { ...office.metadata, ...change } })).toThrow(
      message,
    );
  });
});

describe('replicaFloors', () => {
  it('joins schedule floors and open cron triggers', () => {
    const office = trigger('cron', {
      timezone: 'UTC',
      start: '0 8 * * *',
      end: '0 18 * * *',
      desiredReplicas: '4',
    });
    expect(
      replicaFloors({ schedules: [workdays], triggers: [office] }, at('2026-11-23T09:00:00Z')).map(
        (f) => f.replicas,
      ),
    ).toEqual([20, 4]);
  });
});
