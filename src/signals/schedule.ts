/**
 * Schedules as replica floors: `spec.schedules` ("from each fire time of this cron expression, for
 * durationMinutes, keep at least minReplicas") and `cron` triggers (KEDA's cron scaler: between a `start`
 * fire and the next `end` fire, `desiredReplicas`). Pure: time is an argument.
 *
 * Expressions use node-cron syntax (5 fields, or 6 with seconds first; names like MON-FRI) and are
 * validated by node-cron. node-cron schedules callbacks on the wall clock and can only tell the *next*
 * run from the real current time, so the previous fire time at an arbitrary (virtual) instant, with a
 * time zone, comes from cron-parser (`prev()` from a given `currentDate` and `tz`).
 */
import { CronExpressionParser } from 'cron-parser';
import cron from 'node-cron';
import type { Policy, ReplicaFloor, SchedulePolicy, TriggerPolicy } from '../core/types.ts';
import { SignalConfigError } from './errors.ts';

/** True when `timeZone` is an IANA zone this runtime knows (e.g. Europe/Berlin, UTC). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The problem with a cron expression, or undefined when node-cron and cron-parser both accept it. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got ${fields.length}`;
  }
  const detailed = cron.validateDetailed(expression);
  if (!detailed.valid) {
    const first = detailed.errors[0];
    return first ? `${first.field}: ${first.message}` : 'not a valid cron expression';
  }
  try {
    CronExpressionParser.parse(expression, { strict: false });
  } catch (error) {
    return error instanceof Error ? error.message : 'not a valid cron expression';
  }
  return undefined;
}

/** The latest fire time of `expression` at or before `now` (epoch ms), in `timeZone`. */
export function previousFire(expression: string, timeZone: string, now: number): number {
  // cron-parser's prev() is strictly before currentDate: start 1 ms later so a fire exactly at `now` counts.
  const parsed = CronExpressionParser.parse(expression, { currentDate: new Date(now + 1), tz: timeZone });
  return parsed.prev().getTime();
}

/** The first fire time of `expression` strictly after `now` (epoch ms), in `timeZone`. */
export function nextFire(expression: string, timeZone: string, now: number): number {
  return CronExpressionParser.parse(expression, { currentDate: new Date(now), tz: timeZone })
    .next()
    .getTime();
}

/** `2026-11-23 08:00` in the given zone. */
export function localTime(at: number, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
}

/** Validates `spec.schedules`; throws a SignalConfigError naming `spec.schedules[i].<field>`. */
export function validateSchedules(schedules: readonly SchedulePolicy[]): void {
  schedules.forEach((schedule, i) => {
    const path = `spec.schedules[${i}]`;
    const cronIssue = cronProblem(schedule.cron);
    if (cronIssue)
      throw new SignalConfigError(`${path}.cron`, `${cronIssue} (got ${JSON.stringify(schedule.cron)})`);
    if (!isTimeZone(schedule.timezone)) {
      throw new SignalConfigError(
        `${path}.timezone`,
        `must be an IANA time zone such as Europe/Berlin or UTC, got ${JSON.stringify(schedule.timezone)}`,
      );
    }
    if (!(Number.isFinite(schedule.durationMinutes) && schedule.durationMinutes > 0)) {
      throw new SignalConfigError(
        `${path}.durationMinutes`,
        `must be a number > 0, got ${schedule.durationMinutes}`,
      );
    }
    if (!(Number.isInteger(schedule.minReplicas) && schedule.minReplicas >= 0)) {
      throw new SignalConfigError(
        `${path}.minReplicas`,
        `must be an integer ≥ 0, got ${schedule.minReplicas}`,
      );
    }
  });
}

/**
 * The floors of `spec.schedules` active at `now`: a schedule is active from each fire time of its cron
 * expression (in its time zone) for `durationMinutes`. Invalid schedules are skipped (validate them
 * when the spec is compiled). One floor per active schedule, with a reason naming the window.
 */
export function scheduleFloors(schedules: readonly SchedulePolicy[], now: number): ReplicaFloor[] {
  const floors: ReplicaFloor[] = [];
  schedules.forEach((schedule, i) => {
    if (cronProblem(schedule.cron) || !isTimeZone(schedule.timezone)) return;
    const started = previousFire(schedule.cron, schedule.timezone, now);
    const ends = started + schedule.durationMinutes * 60_000;
    if (now >= ends) return;
    floors.push({
      replicas: schedule.minReplicas,
      reason:
        `schedule ${i} "${schedule.cron}" (${schedule.timezone}): window ${localTime(started, schedule.timezone)}` +
        ` to ${localTime(ends, schedule.timezone)} → at least ${schedule.minReplicas} replicas`,
    });
  });
  return floors;
}

/** Settings of a `cron` trigger (KEDA's cron scaler metadata). */
export interface CronWindow {
  timezone: string;
  start: string;
  end: string;
  desiredReplicas: number;
}

/**
 * Whether a cron window is open at `now`: the latest `start` fire is later than the latest `end` fire
 * (KEDA's cron scaler rule; a start and an end at the same instant leave it closed).
 */
export function cronWindowOpen(
  window: CronWindow,
  now: number,
): { open: boolean; since?: number; until?: number } {
  const lastStart = previousFire(window.start, window.timezone, now);
  const lastEnd = previousFire(window.end, window.timezone, now);
  if (lastStart <= lastEnd) return { open: false };
  return { open: true, since: lastStart, until: nextFire(window.end, window.timezone, now) };
}

/** Parses a cron trigger's metadata; throws a SignalConfigError naming the trigger and field. */
export function parseCronTrigger(trigger: TriggerPolicy): CronWindow {
  const field = (name: string, problem: string) =>
    SignalConfigError.forField(trigger, `metadata.${name}`, problem);
  const md = trigger.metadata;
  const timezone = md.timezone?.trim();
  if (!timezone) throw field('timezone', 'required (an IANA time zone such as Europe/Berlin or UTC)');
  if (!isTimeZone(timezone))
    throw field('timezone', `must be an IANA time zone, got ${JSON.stringify(timezone)}`);
  const window: CronWindow = { timezone, start: '', end: '', desiredReplicas: 0 };
  for (const name of ['start', 'end'] as const) {
    const value = md[name]?.trim();
    if (!value) throw field(name, 'required (a cron expression such as "0 8 * * 1-5")');
    const problem = cronProblem(value);
    if (problem) throw field(name, `${problem} (got ${JSON.stringify(value)})`);
    window[name] = value;
  }
  if (window.start === window.end) throw field('end', 'must differ from start');
  const desired = Number(md.desiredReplicas?.trim() ?? '');
  if (md.desiredReplicas === undefined || !Number.isInteger(desired) || desired < 0) {
    throw field(
      'desiredReplicas',
      `required, an integer ≥ 0, got ${JSON.stringify(md.desiredReplicas ?? '')}`,
    );
  }
  window.desiredReplicas = desired;
  return window;
}

/**
 * Floors from `cron` triggers open at `now` (the others are ignored; invalid ones are skipped). Together
 * with scheduleFloors this is `Snapshot.floors`.
 */
export function cronTriggerFloors(triggers: readonly TriggerPolicy[], now: number): ReplicaFloor[] {
  const floors: ReplicaFloor[] = [];
  for (const trigger of triggers) {
    if (trigger.type !== 'cron') continue;
    let window: CronWindow;
    try {
      window = parseCronTrigger(trigger);
    } catch {
      continue;
    }
    const state = cronWindowOpen(window, now);
    if (!state.open || state.since === undefined || state.until === undefined) continue;
    floors.push({
      replicas: window.desiredReplicas,
      reason:
        `cron trigger ${trigger.name} (${window.timezone}): window ${localTime(state.since, window.timezone)}` +
        ` to ${localTime(state.until, window.timezone)} → at least ${window.desiredReplicas} replicas`,
    });
  }
  return floors;
}

/**
 * Every floor active at `now`: spec.schedules and open cron triggers. Matches the controller's FloorsFn,
 * so the composition root can pass it as is (`floors: replicaFloors`).
 */
export function replicaFloors(policy: Pick<Policy, 'schedules' | 'triggers'>, now: number): ReplicaFloor[] {
  return [...scheduleFloors(policy.schedules, now), ...cronTriggerFloors(policy.triggers, now)];
}
