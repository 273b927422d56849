/**
 * The HPA-compatible recommendation: how many replicas a scaler wants this tick, following the Kubernetes
 * HorizontalPodAutoscaler (autoscaling/v2) — replica calculator per metric, max over metrics, invalid metrics
 * never scaling down, behavior (stabilization and rate policies), min/max — plus Spillway's schedule floors
 * and KEDA-style fallback. See docs/hpa-compatibility.md for the rules and every deliberate difference.
 */
import { normalizeWithBehavior, pruneRecommendations, pruneScaleEvents, type Limited } from './behavior.ts';
import { calculateMetricReplicas, type MetricProposal, type Tolerances } from './replica-calculator.ts';
import type { Behavior, RecommendInput, Recommendation, ReplicaFloor, ScalingRules } from './types.ts';

/** Input that no valid BurstScaler can produce; names the field and what is allowed. */
export class RecommendInputError extends Error {
  override readonly name = 'RecommendInputError';
  /** Path of the offending field within RecommendInput, e.g. `metrics[1].target.averageValue`. */
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(`${field}: ${message}`, options);
    this.field = field;
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function requireWhole(field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RecommendInputError(field, `must be a whole number ≥ ${min}, got ${describe(value)}`);
  }
}

function requirePositive(field: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RecommendInputError(field, `must be a positive number, got ${describe(value)}`);
  }
}

function validateRules(field: string, rules: ScalingRules): void {
  requireWhole(`${field}.stabilizationWindowSeconds`, rules.stabilizationWindowSeconds, 0);
  if (!(Number.isFinite(rules.tolerance) && rules.tolerance >= 0)) {
    throw new RecommendInputError(
      `${field}.tolerance`,
      `must be a number ≥ 0, got ${describe(rules.tolerance)}`,
    );
  }
  if (!['Max', 'Min', 'Disabled'].includes(rules.selectPolicy)) {
    throw new RecommendInputError(
      `${field}.selectPolicy`,
      `must be Max, Min or Disabled, got ${describe(rules.selectPolicy)}`,
    );
  }
  rules.policies.forEach((policy, i) => {
    if (policy.type !== 'Pods' && policy.type !== 'Percent') {
      throw new RecommendInputError(
        `${field}.policies[${i}].type`,
        `must be Pods or Percent, got ${describe(policy.type)}`,
      );
    }
    requireWhole(`${field}.policies[${i}].value`, policy.value, 1);
    requireWhole(`${field}.policies[${i}].periodSeconds`, policy.periodSeconds, 1);
  });
}

function validate(input: RecommendInput): void {
  if (!Number.isFinite(input.now))
    throw new RecommendInputError('now', `must be epoch milliseconds, got ${input.now}`);
  requireWhole('currentReplicas', input.currentReplicas, 0);
  requireWhole('minReplicas', input.minReplicas, 0);
  requireWhole('maxReplicas', input.maxReplicas, 1);
  if (input.minReplicas > input.maxReplicas) {
    throw new RecommendInputError(
      'minReplicas',
      `must not exceed maxReplicas (${input.maxReplicas}), got ${input.minReplicas}`,
    );
  }
  validateRules('behavior.scaleUp', input.behavior.scaleUp);
  validateRules('behavior.scaleDown', input.behavior.scaleDown);
  const names = new Set<string>();
  input.metrics.forEach((metric, i) => {
    if (names.has(metric.name)) {
      throw new RecommendInputError(`metrics[${i}].name`, `must be unique, ${describe(metric.name)} repeats`);
    }
    names.add(metric.name);
    const target = metric.target;
    if (target.type === 'Value') requirePositive(`metrics[${i}].target.value`, target.value);
    else if (target.type === 'AverageValue')
      requirePositive(`metrics[${i}].target.averageValue`, target.averageValue);
    else requireWhole(`metrics[${i}].target.averageUtilization`, target.averageUtilization, 1);
    if (metric.kind === 'Resource') {
      if (target.type === 'Value') {
        throw new RecommendInputError(
          `metrics[${i}].target.type`,
          'a Resource metric takes Utilization or AverageValue, not Value',
        );
      }
      if (!(Number.isFinite(metric.request) && metric.request >= 0)) {
        throw new RecommendInputError(
          `metrics[${i}].request`,
          `must be a number ≥ 0, got ${describe(metric.request)}`,
        );
      }
    }
  });
  input.floors.forEach((floor, i) => requireWhole(`floors[${i}].replicas`, floor.replicas, 0));
  if (input.fallback) {
    requireWhole('fallback.failureThreshold', input.fallback.failureThreshold, 1);
    requireWhole('fallback.replicas', input.fallback.replicas, 0);
  }
}

/** The highest floor, if any floor is active. */
function highestFloor(floors: readonly ReplicaFloor[]): ReplicaFloor | undefined {
  let highest: ReplicaFloor | undefined;
  for (const floor of floors) if (!highest || floor.replicas > highest.replicas) highest = floor;
  return highest;
}

function tolerancesOf(behavior: Behavior): Tolerances {
  return { scaleUp: behavior.scaleUp.tolerance, scaleDown: behavior.scaleDown.tolerance };
}

/**
 * The HPA-compatible recommendation for one scaler and one tick. Pure and deterministic: time is
 * `input.now`, history comes in `input.state` and goes out, updated, in the result's `state`.
 *
 * Steps, in the HPA's order:
 * 1. Bounds first: current replicas above maxReplicas go to maxReplicas, below the effective minimum
 *    (minReplicas raised by the highest schedule floor, capped at maxReplicas) go to that minimum, at once.
 * 2. Otherwise each metric proposes replicas (replica calculator); the proposal is the largest. If a metric
 *    could not be computed, the valid ones may still scale up but never down; if none could, replicas stay.
 *    Once a metric has failed `fallback.failureThreshold` reads in a row, the proposal becomes
 *    max(fallback.replicas, valid metrics, current): missing data never scales in.
 * 3. The proposal passes through behavior: stabilization windows, Pods/Percent rate policies, min/max.
 *
 * @throws RecommendInputError when the input is malformed (the state is then left as it was).
 */
export function recommend(input: RecommendInput): Recommendation {
  validate(input);
  const { now, currentReplicas: current, behavior, maxReplicas } = input;
  const reasons: string[] = [];

  // Consecutive failed reads per metric, for the fallback rule.
  const failures: Record<string, number> = {};
  for (const metric of input.metrics) {
    const readFailed = metric.kind === 'External' ? metric.value === undefined : metric.perPod === undefined;
    failures[metric.name] = readFailed ? (input.state.failures[metric.name] ?? 0) + 1 : 0;
  }

  // As the HPA does on first sight of a scaler: the history starts with the current replicas.
  let recommendations =
    input.state.recommendations.length === 0
      ? [{ at: now, replicas: current }]
      : [...input.state.recommendations];
  let scaleEvents = input.state.scaleEvents;

  const floor = highestFloor(input.floors);
  const flooredMin = Math.max(input.minReplicas, floor?.replicas ?? 0);
  const effectiveMin = Math.min(flooredMin, maxReplicas);
  const floorBinds = floor !== undefined && floor.replicas > input.minReplicas;
  const minLabel = floorBinds
    ? `floor ${floor.replicas} (${floor.reason})`
    : `minReplicas ${input.minReplicas}`;
  if (floor !== undefined && floor.replicas > maxReplicas) {
    reasons.push(
      `floor ${floor.replicas} (${floor.reason}) is above maxReplicas ${maxReplicas}: capped at ${maxReplicas}`,
    );
  }

  const proposals: MetricProposal[] = input.metrics.map((metric) =>
    calculateMetricReplicas(metric, {
      now,
      currentReplicas: current,
      pods: input.pods,
      tolerances: tolerancesOf(behavior),
    }),
  );
  const invalidMetrics = proposals.filter((proposal) => !proposal.ok).map((proposal) => proposal.name);
  const fallback = input.fallback;
  const tripped = fallback
    ? input.metrics.filter((metric) => (failures[metric.name] ?? 0) >= fallback.failureThreshold)
    : [];
  const fallbackActive = tripped.length > 0;

  let replicas: number;
  let proposed: number;
  let limited: Limited | undefined;

  if (current > maxReplicas) {
    proposed = replicas = maxReplicas;
    limited = {
      reason: 'TooManyReplicas',
      message: `current ${current} is above maxReplicas ${maxReplicas} → ${maxReplicas}`,
    };
    reasons.push(limited.message);
  } else if (current < effectiveMin) {
    proposed = replicas = effectiveMin;
    limited = {
      reason: 'TooFewReplicas',
      message: `current ${current} is below ${minLabel} → ${effectiveMin}`,
    };
    reasons.push(limited.message);
  } else {
    for (const proposal of proposals) reasons.push(proposal.reason);
    const valid = proposals.filter((proposal) => proposal.ok);
    const validMax = valid.length > 0 ? Math.max(...valid.map((proposal) => proposal.replicas)) : undefined;
    let desired: number | undefined;

    if (fallback && fallbackActive) {
      const failed = tripped
        .map((metric) => `${metric.name} (${failures[metric.name]} failed reads)`)
        .join(', ');
      desired = Math.max(fallback.replicas, validMax ?? 0, current);
      reasons.push(
        `fallback: ${failed} reached failureThreshold ${fallback.failureThreshold}: ` +
          `max(fallback ${fallback.replicas}, metrics ${validMax ?? 'none'}, current ${current}) → ${desired}`,
      );
    } else if (input.metrics.length === 0) {
      desired = input.minReplicas;
      reasons.push(`no metrics: proposing minReplicas ${input.minReplicas}`);
    } else if (validMax === undefined) {
      reasons.push(`ScalingActive=False: no metric could be computed; keeping ${current} replicas`);
    } else if (invalidMetrics.length > 0 && validMax < current) {
      reasons.push(
        `${invalidMetrics.length} of ${input.metrics.length} metrics invalid (${invalidMetrics.join(', ')}): ` +
          `not scaling down to ${validMax} on partial data; keeping ${current} replicas`,
      );
    } else {
      desired = validMax;
    }

    if (desired === undefined) {
      proposed = replicas = current;
    } else {
      proposed = desired;
      const normalized = normalizeWithBehavior({
        now,
        currentReplicas: current,
        desiredReplicas: desired,
        minReplicas: effectiveMin,
        maxReplicas,
        behavior,
        scaleEvents,
        recommendations,
        minLabel,
      });
      replicas = normalized.replicas;
      limited = normalized.limited;
      recommendations = normalized.recommendations;
      reasons.push(...normalized.reasons);
    }
  }

  if (replicas !== current) {
    scaleEvents = [...scaleEvents, { at: now, delta: replicas - current }];
  }
  if (!limited && floor !== undefined && floor.replicas > maxReplicas && replicas === maxReplicas) {
    limited = {
      reason: 'TooManyReplicas',
      message: `floor ${floor.replicas} capped at maxReplicas ${maxReplicas}`,
    };
  }

  return {
    replicas,
    proposed,
    reasons,
    invalidMetrics,
    fallbackActive,
    ...(limited ? { limited } : {}),
    state: {
      recommendations: pruneRecommendations(recommendations, now, behavior),
      scaleEvents: pruneScaleEvents(scaleEvents, now, behavior),
      failures,
    },
  };
}
