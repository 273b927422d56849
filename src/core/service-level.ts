/**
 * Sizing the ACI tier by a service level (`spec.burst.serviceLevel`, docs/cost-model.md "Service level").
 *
 * A queue trigger's `targetPerReplica` is the backlog the HPA gives each replica. It is a proxy for how long
 * a message may wait: with `μ` messages per second per replica, a backlog of `T` per replica clears in `T ÷ μ`
 * seconds. When the user also states the wait itself (`maxQueueWaitSeconds`, `S`) and the rate (`μ`), an ACI
 * replica can be given more: one that starts serving `s` seconds after its create can take `μ × (S − s)`
 * queued messages and still serve the last of them within `S`. ACI bills every second, so replicas that only
 * the smaller proxy target asks for are not run there. The HPA's count, the Deployment and VM pods keep the
 * trigger's target.
 *
 * `s` is measured: the median create → Ready time of the Ready ACI groups the snapshot lists, once there are
 * {@link OBSERVED_START_MIN_GROUPS}; until then `spec.cost.aci.startSeconds`. A container that restarted
 * reports its restart as its start, which can only lengthen `s`: fewer messages per replica, more replicas.
 */
import type { BurstReplica, MetricInput, Policy, TriggerType } from './types.ts';

/** Queue-like sources: the value is a backlog, and `targetPerReplica` is the backlog one replica serves. */
export const QUEUE_TRIGGER_TYPES = [
  'azure-storage-queue',
  'azure-service-bus',
  'redis-list',
  'redis-stream',
  'rabbitmq',
] as const satisfies readonly TriggerType[];

export function isQueueTrigger(type: TriggerType): boolean {
  return (QUEUE_TRIGGER_TYPES as readonly TriggerType[]).includes(type);
}

/** Ready ACI groups needed before their measured start replaces `spec.cost.aci.startSeconds`. */
export const OBSERVED_START_MIN_GROUPS = 3;

export interface AciStart {
  /** Seconds from create to Ready. */
  seconds: number;
  /** Groups it was measured on; 0 when it is `spec.cost.aci.startSeconds`. */
  groups: number;
}

/** The median create → Ready time of the Ready groups, or `fallbackSeconds` with too few of them. */
export function aciStartSeconds(groups: readonly BurstReplica[], fallbackSeconds: number): AciStart {
  const starts: number[] = [];
  for (const g of groups) {
    if (g.ready && g.readyAt !== undefined && g.readyAt >= g.createdAt)
      starts.push((g.readyAt - g.createdAt) / 1000);
  }
  if (starts.length < OBSERVED_START_MIN_GROUPS) return { seconds: fallbackSeconds, groups: 0 };
  starts.sort((a, b) => a - b);
  const mid = starts.length >> 1;
  const median = starts.length % 2 === 1 ? starts[mid]! : (starts[mid - 1]! + starts[mid]!) / 2;
  return { seconds: median, groups: starts.length };
}

export interface ServiceLevelSizing {
  /** The metrics with each raised queue target (the others unchanged). */
  metrics: MetricInput[];
  /** Whether any target was raised: only then does the service level size ACI differently. */
  raised: boolean;
  /** What was computed, for the explanation. */
  line: string;
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
): ServiceLevelSizing | undefined {
  const level = policy.burst.serviceLevel;
  if (!level) return undefined;
  const start = aciStartSeconds(groups, policy.cost.aci.startSeconds);
  const wait = level.maxQueueWaitSeconds;
  const rate = level.messagesPerSecondPerReplica;
  const perReplica = rate * (wait - start.seconds);
  const startText =
    start.groups > 0
      ? `~${round1(start.seconds)} s (median create → Ready of ${start.groups} ACI groups)`
      : `~${start.seconds} s (spec.cost.aci.startSeconds; measured once ${OBSERVED_START_MIN_GROUPS} ACI groups are Ready)`;
  const head = `Service level (spec.burst.serviceLevel): a message waits at most ${wait} s, a replica serves ${rate} message(s)/s, a new ACI replica serves after ${startText}`;
  const queueNames = new Set(policy.triggers.filter((t) => isQueueTrigger(t.type)).map((t) => t.name));
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
      line:
        `${head}; so an ACI replica can take ${round1(perReplica)} queued messages and still meet the wait. ` +
        `ACI is sized at that backlog per replica: ${raisedNames.join(', ')}` +
        (kept.length > 0 ? `; kept: ${kept.join(', ')}` : '') +
        '. The desired count and the Deployment keep the triggers’ targets.',
    };
  }
  return {
    metrics: out,
    raised: false,
    line:
      kept.length === 0
        ? `${head}; no queue trigger has a per-replica target (targetPerReplica) for it to size: ACI follows the triggers’ targets.`
        : perReplica <= 0
          ? `${head}, which leaves no time within the wait: ACI follows the triggers’ targets.`
          : `${head}; so an ACI replica can take ${round1(perReplica)} queued messages, no more than the targets of ${kept.join(', ')}: ACI follows the triggers’ targets.`,
  };
}
