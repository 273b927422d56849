/**
 * Sizing the ACI tier by a service level (`spec.burst.serviceLevel`, docs/cost-model.md "Service level").
 *
 * A queue trigger's `targetPerReplica` is the backlog the HPA gives each replica. It is a proxy for how long
 * a message may wait: with `μ` messages per second per replica, a backlog of `T` per replica clears in `T ÷ μ`
 * seconds. When the user also states the wait itself (`maxQueueWaitSeconds`, `S`) and the rate (`μ`), an ACI
 * replica can be given more: one that starts serving `s` seconds after its create can take `μ × (S − s)`
 * queued messages and still serve the last of them within `S`. ACI bills every second, so replicas that only
 * the smaller proxy target asks for are not run there, nor bought new nodes for (placement.ts). The HPA's
 * count and VM pods on running nodes keep the trigger's target.
 *
 * `s` is measured: the median create → Ready time of the Ready ACI groups the snapshot lists, once there are
 * {@link OBSERVED_START_MIN_GROUPS}; until then `spec.cost.aci.startSeconds`. A container that restarted
 * reports its restart as its start, which can only lengthen `s`: fewer messages per replica, more replicas.
 */
import type { BurstReplica, MetricInput, Policy, TriggerPolicy, TriggerType } from './types.ts';

/** Queue-like sources: the value is a backlog, and `targetPerReplica` is the backlog one replica serves. */
export const QUEUE_TRIGGER_TYPES = [
  'azure-storage-queue',
  'azure-service-bus',
  'redis-list',
  'redis-stream',
  'rabbitmq',
] as const satisfies readonly TriggerType[];

/**
 * Whether a trigger's value is a backlog the service level can size: a queue trigger, except rabbitmq in
 * `mode: MessageRate`, whose value is a publish rate.
 */
export function isBacklogTrigger(trigger: Pick<TriggerPolicy, 'type' | 'metadata'>): boolean {
  if (!(QUEUE_TRIGGER_TYPES as readonly TriggerType[]).includes(trigger.type)) return false;
  return !(trigger.type === 'rabbitmq' && trigger.metadata.mode?.trim() === 'MessageRate');
}

/** Ready ACI groups needed before their measured start replaces `spec.cost.aci.startSeconds`. */
export const OBSERVED_START_MIN_GROUPS = 3;

export interface AciStart {
  /** Seconds from create to Ready. */
  seconds: number;
  /** Groups it was measured on; 0 when it is `spec.cost.aci.startSeconds`. */
  groups: number;
  /** Measured on groups that are gone (the last measurement, kept between bursts). */
  earlier?: boolean;
  /** Groups still being created that raised the estimate, counted at their age so far (among `groups`). */
  starting?: number;
  /**
   * The median of the Ready groups alone, when there were enough and groups still starting raised the
   * estimate above it: what is worth remembering. (Without `starting`, the estimate itself is that median.)
   */
  measured?: { seconds: number; groups: number };
}

/**
 * What of an estimate is worth remembering between bursts (ScalerState.aciStart, status.forecast.aciStart):
 * only a median of Ready groups' starts, never the configured value, an earlier measurement again, or an
 * estimate raised by groups still starting.
 */
export function measuredAciStart(start: AciStart): { seconds: number; groups: number } | undefined {
  if (start.starting !== undefined) return start.measured;
  if (start.earlier || start.groups === 0) return undefined;
  return { seconds: start.seconds, groups: start.groups };
}

const median = (sorted: readonly number[]): number => {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * How long a new ACI replica takes to serve: the median create → Ready time of the Ready groups (of the
 * current pod template when three of them are Ready, else of every template). A group still being created
 * (state Pending) that has already taken longer than that estimate counts at its age so far, as it will take
 * at least that long; so early in a surge, when only the fast starters are Ready, the slow ones still pull
 * the estimate up. With fewer than {@link OBSERVED_START_MIN_GROUPS} Ready groups the estimate is the last
 * measurement (`remembered`, kept between bursts) or `fallbackSeconds` (spec.cost.aci.startSeconds), raised
 * to the median with the slow starters when they show it is longer, never lowered.
 */
export function aciStartSeconds(
  groups: readonly BurstReplica[],
  now: number,
  fallbackSeconds: number,
  remembered?: AciStart,
  templateHash?: string,
): AciStart {
  const readyStarts = (from: readonly BurstReplica[]) => {
    const starts: number[] = [];
    for (const g of from) {
      if (g.ready && g.readyAt !== undefined && g.readyAt >= g.createdAt)
        starts.push((g.readyAt - g.createdAt) / 1000);
    }
    return starts;
  };
  const current = templateHash === undefined ? [] : groups.filter((g) => g.templateHash === templateHash);
  let starts = readyStarts(current);
  let pool: readonly BurstReplica[] = current;
  if (starts.length < OBSERVED_START_MIN_GROUPS) {
    starts = readyStarts(groups);
    pool = groups;
  }
  const measured = starts.length >= OBSERVED_START_MIN_GROUPS;
  starts.sort((a, b) => a - b);
  const base: AciStart = measured
    ? { seconds: median(starts), groups: starts.length }
    : remembered && remembered.groups > 0
      ? { seconds: remembered.seconds, groups: remembered.groups, earlier: true }
      : { seconds: fallbackSeconds, groups: 0 };
  const slow: number[] = [];
  for (const g of pool) {
    if (g.state !== 'Pending' || g.drainingSince !== undefined) continue;
    const age = (now - g.createdAt) / 1000;
    if (age > base.seconds) slow.push(age);
  }
  if (slow.length === 0) return base;
  const all = [...starts, ...slow].sort((a, b) => a - b);
  if (all.length < OBSERVED_START_MIN_GROUPS) return base;
  const withSlow = median(all);
  if (withSlow <= base.seconds) return base;
  return {
    seconds: withSlow,
    groups: all.length,
    starting: slow.length,
    ...(measured ? { measured: { seconds: base.seconds, groups: base.groups } } : {}),
  };
}

export interface ServiceLevelSizing {
  /** The metrics with each raised queue target (the others unchanged). */
  metrics: MetricInput[];
  /** Whether any target was raised: only then does the service level size ACI differently. */
  raised: boolean;
  /** What was computed, for the explanation. */
  line: string;
  /** The ACI start time used. */
  start: AciStart;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The metrics the ACI tier is sized by under `policy.burst.serviceLevel`: each queue trigger's AverageValue
 * target raised to `μ × (S − s)` where that is larger. Undefined when the policy sets no service level.
 */
export function serviceLevelMetrics(
  metrics: readonly MetricInput[],
  policy: Policy,
  groups: readonly BurstReplica[],
  now: number,
  remembered?: AciStart,
  templateHash?: string,
): ServiceLevelSizing | undefined {
  const level = policy.burst.serviceLevel;
  if (!level) return undefined;
  const start = aciStartSeconds(groups, now, policy.cost.aci.startSeconds, remembered, templateHash);
  const wait = level.maxQueueWaitSeconds;
  const rate = level.messagesPerSecondPerReplica;
  const perReplica = rate * (wait - start.seconds);
  const startText =
    start.groups > 0
      ? `~${round1(start.seconds)} s (median create → Ready of ${start.groups} ACI groups${start.earlier ? ', measured in an earlier burst' : ''}${start.starting ? `, ${start.starting} of them still starting and counted at their age so far` : ''})`
      : `~${start.seconds} s (spec.cost.aci.startSeconds; measured once ${OBSERVED_START_MIN_GROUPS} ACI groups are Ready)`;
  const head = `Service level (spec.burst.serviceLevel): a message waits at most ${wait} s, a replica serves ${rate} message(s)/s, a new ACI replica serves after ${startText}`;
  const queueNames = new Set(policy.triggers.filter(isBacklogTrigger).map((t) => t.name));
  const raisedNames: string[] = [];
  const kept: string[] = [];
  const out = metrics.map((m): MetricInput => {
    if (m.kind !== 'External' || m.target.type !== 'AverageValue' || !queueNames.has(m.name)) return m;
    if (perReplica <= m.target.averageValue) {
      kept.push(`${m.name} (${m.target.averageValue})`);
      return m;
    }
    raisedNames.push(`${m.name} ${m.target.averageValue} → ${round1(perReplica)}`);
    return { ...m, target: { type: 'AverageValue', averageValue: perReplica } };
  });
  if (raisedNames.length > 0) {
    return {
      metrics: out,
      raised: true,
      start,
      line:
        `${head}; so an ACI replica can take ${round1(perReplica)} queued messages and still meet the wait. ` +
        `For ACI, queue targets are raised to that backlog per replica: ${raisedNames.join(', ')}` +
        (kept.length > 0 ? `; kept: ${kept.join(', ')}` : '') +
        '. The desired count and VM pods on running nodes keep the triggers’ targets.',
    };
  }
  return {
    metrics: out,
    raised: false,
    start,
    line:
      kept.length === 0
        ? `${head}; no queue trigger has a per-replica target (targetPerReplica) for it to size: ACI follows the triggers’ targets.`
        : perReplica <= 0
          ? `${head}, which leaves no time within the wait: ACI follows the triggers’ targets.`
          : `${head}; so an ACI replica can take ${round1(perReplica)} queued messages, no more than the targets of ${kept.join(', ')}: ACI follows the triggers’ targets.`,
  };
}
