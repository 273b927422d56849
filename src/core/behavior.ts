/**
 * autoscaling/v2 `behavior`, as the HPA controller applies it (kubernetes pkg/controller/podautoscaler/
 * horizontal.go, `normalizeDesiredReplicasWithBehaviors`): stabilization windows over past recommendations,
 * then Pods/Percent rate policies over past scale events, bounded by min/max. Pure; time is an argument.
 */
import type { Behavior, ScalerState, ScalingPolicy, ScalingRules } from './types.ts';

/** Past raw recommendations (the stabilization windows look at them). */
export type Recommendations = ScalerState['recommendations'];
/** Past scale changes, signed: positive added replicas, negative removed ones. */
export type ScaleEvents = ScalerState['scaleEvents'];

/**
 * The autoscaling/v2 API defaults: scale up without stabilization by the larger of 4 pods or 100 % per
 * 15 s; scale down after a 300 s stabilization window by up to 100 % per 15 s; tolerance 10 % both ways.
 * Returns a fresh object each call.
 */
export function defaultBehavior(): Behavior {
  return {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
      tolerance: 0.1,
    },
    scaleDown: {
      stabilizationWindowSeconds: 300,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      tolerance: 0.1,
    },
  };
}

/** "Pods 4 per 15s", "Percent 100% per 15s". */
export function describePolicy(policy: ScalingPolicy): string {
  return `${policy.type} ${policy.value}${policy.type === 'Percent' ? '%' : ''} per ${policy.periodSeconds}s`;
}

/** The stabilized recommendation and the two window bounds it came from. */
export interface Stabilized {
  replicas: number;
  /** Lowest recommendation within the scale-up window (this one included). */
  lowestInUpWindow: number;
  /** Highest recommendation within the scale-down window (this one included). */
  highestInDownWindow: number;
}

/**
 * The HPA's `stabilizeRecommendationWithBehaviors`: the current replicas, raised to the lowest recommendation
 * of the scale-up window and lowered to the highest recommendation of the scale-down window. A
 * recommendation counts when it is strictly newer than `now − window`.
 */
export function stabilizeRecommendation(
  recommendations: Recommendations,
  now: number,
  currentReplicas: number,
  desiredReplicas: number,
  behavior: Behavior,
): Stabilized {
  const upCutoff = now - behavior.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = now - behavior.scaleDown.stabilizationWindowSeconds * 1000;
  let lowestInUpWindow = desiredReplicas;
  let highestInDownWindow = desiredReplicas;
  for (const recommendation of recommendations) {
    if (recommendation.at > upCutoff) lowestInUpWindow = Math.min(lowestInUpWindow, recommendation.replicas);
    if (recommendation.at > downCutoff) {
      highestInDownWindow = Math.max(highestInDownWindow, recommendation.replicas);
    }
  }
  let replicas = currentReplicas;
  if (replicas < lowestInUpWindow) replicas = lowestInUpWindow;
  if (replicas > highestInDownWindow) replicas = highestInDownWindow;
  return { replicas, lowestInUpWindow, highestInDownWindow };
}

/** Replicas added and removed by events strictly newer than `now − periodSeconds`. */
export function replicasChangedInPeriod(
  events: ScaleEvents,
  periodSeconds: number,
  now: number,
): { added: number; removed: number } {
  const cutoff = now - periodSeconds * 1000;
  let added = 0;
  let removed = 0;
  for (const event of events) {
    if (event.at <= cutoff) continue;
    if (event.delta > 0) added += event.delta;
    else removed -= event.delta;
  }
  return { added, removed };
}

/** The bound one direction's policies allow now, and the policy that set it (none when Disabled). */
export interface RateLimit {
  limit: number;
  policy?: ScalingPolicy;
}

/**
 * The HPA's `calculateScaleUpLimitWithScalingRules`: per policy, from the replicas at the start of its
 * period (`current − added + removed` within periodSeconds), Pods adds `value`, Percent multiplies by
 * `1 + value/100` rounded up; selectPolicy Max takes the largest, Min the smallest, Disabled keeps current.
 */
export function scaleUpLimit(
  currentReplicas: number,
  events: ScaleEvents,
  rules: ScalingRules,
  now: number,
): RateLimit {
  if (rules.selectPolicy === 'Disabled') return { limit: currentReplicas };
  const pick =
    rules.selectPolicy === 'Min' ? (a: number, b: number) => b < a : (a: number, b: number) => b > a;
  let best: RateLimit = {
    limit: rules.selectPolicy === 'Min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY,
  };
  for (const policy of rules.policies) {
    const { added, removed } = replicasChangedInPeriod(events, policy.periodSeconds, now);
    const periodStart = currentReplicas - added + removed;
    const proposed =
      policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
    if (pick(best.limit, proposed)) best = { limit: proposed, policy };
  }
  return best;
}

/**
 * The HPA's `calculateScaleDownLimitWithBehaviors`: per policy, from the replicas at the start of its period,
 * Pods removes `value`, Percent multiplies by `1 − value/100` truncated; selectPolicy Max takes the largest
 * change (the lowest count), Min the smallest, Disabled keeps current.
 */
export function scaleDownLimit(
  currentReplicas: number,
  events: ScaleEvents,
  rules: ScalingRules,
  now: number,
): RateLimit {
  if (rules.selectPolicy === 'Disabled') return { limit: currentReplicas };
  const pick =
    rules.selectPolicy === 'Min' ? (a: number, b: number) => b > a : (a: number, b: number) => b < a;
  let best: RateLimit = {
    limit: rules.selectPolicy === 'Min' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY,
  };
  for (const policy of rules.policies) {
    const { added, removed } = replicasChangedInPeriod(events, policy.periodSeconds, now);
    const periodStart = currentReplicas - added + removed;
    const proposed =
      policy.type === 'Pods'
        ? periodStart - policy.value
        : Math.trunc(periodStart * (1 - policy.value / 100));
    if (pick(best.limit, proposed)) best = { limit: proposed, policy };
  }
  return best;
}

/** The HPA's ScalingLimited reasons. */
export type LimitReason = 'TooManyReplicas' | 'TooFewReplicas' | 'ScaleUpLimit' | 'ScaleDownLimit';

/** Why the result was bounded, with a line a person can read. */
export interface Limited {
  reason: LimitReason;
  message: string;
}

/** Input of {@link applyRateLimits}. */
export interface RateLimitInput {
  now: number;
  currentReplicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  behavior: Behavior;
  scaleEvents: ScaleEvents;
  /** How to name the lower bound in messages; default `minReplicas <n>`. */
  minLabel?: string;
}

/** Why a rate limit held a change back: "scale-up limited by policy Pods 4 per 15s" and kin. */
function rateLimitedBy(direction: 'up' | 'down', rules: ScalingRules, policy: ScalingPolicy | undefined) {
  if (rules.selectPolicy === 'Disabled') return `scale-${direction} disabled (selectPolicy Disabled)`;
  return policy
    ? `scale-${direction} limited by policy ${describePolicy(policy)}`
    : `scale-${direction} limited: no scale-${direction} policy`;
}

/**
 * The HPA's `convertDesiredReplicasWithBehaviorRate`: a scale-up is bounded by the scale-up policies (never
 * below current) and maxReplicas, a scale-down by the scale-down policies (never above current) and
 * minReplicas. Reports which bound applied.
 */
export function applyRateLimits(input: RateLimitInput): { replicas: number; limited?: Limited } {
  const { now, currentReplicas: current, desiredReplicas: desired, behavior, scaleEvents } = input;
  if (desired > current) {
    const rate = scaleUpLimit(current, scaleEvents, behavior.scaleUp, now);
    const limit = Math.max(rate.limit, current);
    if (input.maxReplicas > limit) {
      if (desired <= limit) return { replicas: desired };
      const by = rateLimitedBy('up', behavior.scaleUp, rate.policy);
      return {
        replicas: limit,
        limited: { reason: 'ScaleUpLimit', message: `${by}: ${desired} → ${limit}` },
      };
    }
    if (desired <= input.maxReplicas) return { replicas: desired };
    return {
      replicas: input.maxReplicas,
      limited: {
        reason: 'TooManyReplicas',
        message: `scale-up limited by maxReplicas ${input.maxReplicas}: ${desired} → ${input.maxReplicas}`,
      },
    };
  }
  if (desired < current) {
    const rate = scaleDownLimit(current, scaleEvents, behavior.scaleDown, now);
    const limit = Math.min(rate.limit, current);
    if (input.minReplicas < limit) {
      if (desired >= limit) return { replicas: desired };
      const by = rateLimitedBy('down', behavior.scaleDown, rate.policy);
      return {
        replicas: limit,
        limited: { reason: 'ScaleDownLimit', message: `${by}: ${desired} → ${limit}` },
      };
    }
    if (desired >= input.minReplicas) return { replicas: desired };
    const label = input.minLabel ?? `minReplicas ${input.minReplicas}`;
    return {
      replicas: input.minReplicas,
      limited: {
        reason: 'TooFewReplicas',
        message: `scale-down limited by ${label}: ${desired} → ${input.minReplicas}`,
      },
    };
  }
  return { replicas: desired };
}

/** Input of {@link normalizeWithBehavior}. */
export interface NormalizeInput extends RateLimitInput {
  recommendations: Recommendations;
}

/** Output of {@link normalizeWithBehavior}. */
export interface NormalizeResult {
  replicas: number;
  /** After stabilization, before rate policies and bounds. */
  stabilized: number;
  limited?: Limited;
  /** Lines for the steps that changed something. */
  reasons: string[];
  /** The input recommendations with this one appended (not pruned). */
  recommendations: Recommendations;
}

/**
 * The HPA's `normalizeDesiredReplicasWithBehaviors`: stabilize the raw recommendation against the windows,
 * record it, then apply the rate policies and min/max.
 */
export function normalizeWithBehavior(input: NormalizeInput): NormalizeResult {
  const { now, currentReplicas: current, desiredReplicas: desired, behavior } = input;
  const stabilized = stabilizeRecommendation(input.recommendations, now, current, desired, behavior);
  const reasons: string[] = [];
  if (stabilized.replicas !== desired) {
    reasons.push(
      desired >= current
        ? `scale-up stabilized: lowest recommendation in the last ${behavior.scaleUp.stabilizationWindowSeconds}s is ${stabilized.lowestInUpWindow}: ${desired} → ${stabilized.replicas}`
        : `scale-down stabilized: highest recommendation in the last ${behavior.scaleDown.stabilizationWindowSeconds}s is ${stabilized.highestInDownWindow}: ${desired} → ${stabilized.replicas}`,
    );
  }
  const rated = applyRateLimits({ ...input, desiredReplicas: stabilized.replicas });
  if (rated.limited) reasons.push(rated.limited.message);
  return {
    replicas: rated.replicas,
    stabilized: stabilized.replicas,
    ...(rated.limited ? { limited: rated.limited } : {}),
    reasons,
    recommendations: [...input.recommendations, { at: now, replicas: desired }],
  };
}

/** The longer of the two stabilization windows, in seconds. */
export function longestWindowSeconds(behavior: Behavior): number {
  return Math.max(behavior.scaleUp.stabilizationWindowSeconds, behavior.scaleDown.stabilizationWindowSeconds);
}

/** The longest policy period of either direction, in seconds (both directions read all events). */
export function longestPeriodSeconds(behavior: Behavior): number {
  let longest = 0;
  for (const policy of [...behavior.scaleUp.policies, ...behavior.scaleDown.policies]) {
    longest = Math.max(longest, policy.periodSeconds);
  }
  return longest;
}

/**
 * Drops recommendations no window can see any more, but keeps the newest one so that an empty list still
 * means "first tick" (when the HPA seeds the history with the current replicas).
 */
export function pruneRecommendations(
  recommendations: Recommendations,
  now: number,
  behavior: Behavior,
): Recommendations {
  const cutoff = now - longestWindowSeconds(behavior) * 1000;
  let newest: Recommendations[number] | undefined;
  for (const recommendation of recommendations) {
    if (!newest || recommendation.at >= newest.at) newest = recommendation;
  }
  const kept = recommendations.filter((recommendation) => recommendation.at > cutoff);
  return kept.length === 0 && newest ? [newest] : kept;
}

/** Drops scale events older than every policy period. */
export function pruneScaleEvents(events: ScaleEvents, now: number, behavior: Behavior): ScaleEvents {
  const cutoff = now - longestPeriodSeconds(behavior) * 1000;
  return events.filter((event) => event.at > cutoff);
}
