import { describe, expect, it } from 'vitest';
import {
  applyRateLimits,
  defaultBehavior,
  normalizeWithBehavior,
  pruneRecommendations,
  pruneScaleEvents,
  replicasChangedInPeriod,
  scaleDownLimit,
  scaleUpLimit,
  stabilizeRecommendation,
  type LimitReason,
  type ScaleEvents,
} from './behavior.ts';
import type { Behavior, ScalingRules } from './types.ts';

// Upstream cases come from kubernetes pkg/controller/podautoscaler/horizontal_test.go.
const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);
const MIN = 60_000;

/** Upstream `generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilizationWindow)`. */
function rules(
  pods: number,
  podsPeriod: number,
  percent: number,
  percentPeriod: number,
  window: number,
): ScalingRules {
  return {
    stabilizationWindowSeconds: window,
    selectPolicy: 'Max',
    tolerance: 0.1,
    policies: [
      ...(pods !== 0 ? [{ type: 'Pods' as const, value: pods, periodSeconds: podsPeriod }] : []),
      ...(percent !== 0 ? [{ type: 'Percent' as const, value: percent, periodSeconds: percentPeriod }] : []),
    ],
  };
}

/**
 * Upstream `generateEventsUniformDistribution`: events spread over the last `periodSeconds`, each in the middle
 * of its segment. Scale-up events are positive, scale-down events negative.
 */
function spread(changes: number[], periodSeconds: number, sign: 1 | -1): ScaleEvents {
  const segment = periodSeconds / changes.length;
  return changes.map((change, i) => ({
    at: NOW - (periodSeconds - segment * (i + 1) + segment / 2) * 1000,
    delta: sign * change,
  }));
}

function behaviorWith(up?: ScalingRules, down?: ScalingRules): Behavior {
  const defaults = defaultBehavior();
  return { scaleUp: up ?? defaults.scaleUp, scaleDown: down ?? defaults.scaleDown };
}

interface RateCase {
  events?: ScaleEvents;
  min: number;
  max: number;
  up?: ScalingRules;
  down?: ScalingRules;
  current: number;
  desired: number;
  expected: number;
  reason?: LimitReason;
}

describe('applyRateLimits (upstream TestScalingWithRules)', () => {
  const cases: Record<string, RateCase> = {
    'prenormalized desired replicas within range': { current: 5, desired: 7, min: 3, max: 8, expected: 7 },
    'prenormalized desired replicas < minReplicas': {
      current: 3,
      desired: 1,
      min: 2,
      max: 8,
      expected: 2,
      reason: 'TooFewReplicas',
    },
    'prenormalized desired replicas within range when minReplicas is 0': {
      current: 1,
      desired: 0,
      min: 0,
      max: 10,
      expected: 0,
    },
    'maxReplicas is the limit because maxReplicas < scaleUpLimit': {
      current: 20,
      desired: 1000,
      min: 1,
      max: 10,
      expected: 10,
      reason: 'TooManyReplicas',
    },
    'desired replica count is more than the maximum replica count': {
      current: 100,
      desired: 1000,
      min: 100,
      max: 150,
      expected: 150,
      reason: 'TooManyReplicas',
    },
    'scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies': {
      current: 3,
      desired: 1000,
      min: 1,
      max: 2000,
      up: rules(0, 0, 1, 60, 0),
      expected: 4,
      reason: 'ScaleUpLimit',
    },
    'scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies': {
      current: 1000,
      desired: 3,
      min: 3,
      max: 2000,
      down: rules(20, 60, 0, 0, 0),
      expected: 980,
      reason: 'ScaleDownLimit',
    },
    'scaleUp with default behavior': {
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      expected: 20,
      reason: 'ScaleUpLimit',
    },
    'scaleUp with pods policy larger than percent policy': {
      current: 10,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(100, 60, 100, 60, 0),
      expected: 110,
      reason: 'ScaleUpLimit',
    },
    'scaleUp with percent policy larger than pods policy': {
      current: 10,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(2, 60, 100, 60, 0),
      expected: 20,
      reason: 'ScaleUpLimit',
    },
    'scaleUp with spec MaxReplicas limitation with large pod policy': {
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(100, 60, 0, 0, 0),
      expected: 50,
    },
    'scaleUp with spec MaxReplicas limitation with large percent policy': {
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(10000, 60, 0, 0, 0),
      expected: 50,
    },
    'scaleUp with pod policy limitation': {
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(30, 60, 0, 0, 0),
      expected: 40,
      reason: 'ScaleUpLimit',
    },
    'scaleUp with percent policy limitation': {
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(0, 0, 200, 60, 0),
      expected: 30,
      reason: 'ScaleUpLimit',
    },
    'scaleDown with percent policy larger than pod policy': {
      current: 100,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(20, 60, 1, 60, 300),
      expected: 80,
      reason: 'ScaleDownLimit',
    },
    'scaleDown with pod policy larger than percent policy': {
      current: 100,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(2, 60, 1, 60, 300),
      expected: 98,
      reason: 'ScaleDownLimit',
    },
    'scaleDown with spec MinReplicas limitation with large pod policy': {
      current: 10,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(100, 60, 0, 0, 300),
      expected: 1,
      reason: 'TooFewReplicas',
    },
    'scaleDown with spec MinReplicas limitation with large percent policy': {
      current: 10,
      desired: 2,
      min: 5,
      max: 1000,
      down: rules(0, 0, 100, 60, 300),
      expected: 5,
      reason: 'TooFewReplicas',
    },
    'scaleDown with pod policy limitation': {
      current: 10,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(5, 60, 0, 0, 300),
      expected: 5,
      reason: 'ScaleDownLimit',
    },
    'scaleDown with percent policy limitation': {
      current: 10,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(0, 0, 50, 60, 300),
      expected: 5,
    },
    'scaleUp with spec MaxReplicas limitation with large pod policy and events': {
      events: spread([1, 5, 9], 120, 1),
      current: 100,
      desired: 500,
      min: 1,
      max: 200,
      up: rules(300, 60, 0, 0, 0),
      expected: 200,
      reason: 'TooManyReplicas',
    },
    'scaleUp with spec MaxReplicas limitation with large percent policy and events': {
      events: spread([1, 5, 9], 120, 1),
      current: 100,
      desired: 500,
      min: 1,
      max: 200,
      up: rules(0, 0, 10000, 60, 0),
      expected: 200,
      reason: 'TooManyReplicas',
    },
    'scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events': {
      events: spread([1, 5, 9], 120, 1),
      current: 100,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(5, 120, 0, 0, 0),
      expected: 100,
      reason: 'ScaleUpLimit',
    },
    'scaleUp with pod policy and previous scale up events': {
      events: spread([1, 5, 9], 120, 1),
      current: 100,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(150, 120, 0, 0, 0),
      expected: 235,
      reason: 'ScaleUpLimit',
    },
    'scaleUp with percent policy and previous scale up events': {
      events: spread([1, 5, 9], 120, 1),
      current: 100,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(0, 0, 200, 120, 0),
      expected: 255,
      reason: 'ScaleUpLimit',
    },
    'scaleDown with default policy and previous events': {
      events: spread([1, 5, 9], 120, -1),
      current: 10,
      desired: 5,
      min: 1,
      max: 1000,
      expected: 5,
    },
    'scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events': {
      events: spread([1, 5, 9], 120, -1),
      current: 100,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(115, 120, 0, 0, 300),
      expected: 1,
      reason: 'TooFewReplicas',
    },
    'scaleDown with spec MinReplicas limitation with large pod policy and previous events': {
      events: spread([1, 5, 9], 120, -1),
      current: 100,
      desired: 0,
      min: 5,
      max: 1000,
      down: rules(130, 120, 0, 0, 300),
      expected: 5,
      reason: 'TooFewReplicas',
    },
    'scaleDown with spec MinReplicas limitation with large percent policy and previous events': {
      events: spread([1, 5, 9], 120, -1),
      current: 100,
      desired: 2,
      min: 5,
      max: 1000,
      down: rules(0, 0, 100, 120, 300),
      expected: 5,
      reason: 'TooFewReplicas',
    },
    'scaleDown with pod policy limitation and previous events': {
      events: spread([1, 5, 9], 120, -1),
      current: 100,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(5, 120, 0, 0, 300),
      expected: 100,
      reason: 'ScaleDownLimit',
    },
    'scaleDown with percent policy limitation and previous events': {
      events: spread([2, 4, 6], 120, -1),
      current: 100,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(0, 0, 50, 120, 300),
      expected: 56,
      reason: 'ScaleDownLimit',
    },
    'scaleDown with previous events preventing further scale down': {
      events: spread([10, 10, 10], 120, -1),
      current: 100,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(0, 0, 10, 120, 300),
      expected: 100,
      reason: 'ScaleDownLimit',
    },
    'scaleDown with with previous events still allowing more scale down': {
      events: spread([10, 10, 10], 120, -1),
      current: 10,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(0, 0, 1000, 120, 300),
      expected: 5,
    },
    "check 'outdated' flag for events for one behavior for up": {
      events: spread([8, 12, 9, 11], 120, 1),
      current: 100,
      desired: 200,
      min: 1,
      max: 1000,
      up: rules(1000, 60, 0, 0, 0),
      expected: 200,
    },
    "check that events were marked 'outdated' for two different policies in the behavior for up": {
      events: spread([8, 12, 9, 11], 120, 1),
      current: 100,
      desired: 200,
      min: 1,
      max: 1000,
      up: rules(1000, 30, 100, 60, 0),
      expected: 200,
    },
    "check that events were marked 'outdated' for two different policies in the behavior for down": {
      events: spread([8, 12, 9, 11], 120, -1),
      current: 100,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(1000, 30, 100, 60, 300),
      expected: 5,
    },
    // Current upstream counts both directions: periodStart = current − added + removed within the period.
    'scale-up period start adds back replicas removed in the period': {
      events: [
        { at: NOW - 40_000, delta: 4 },
        { at: NOW - 20_000, delta: -6 },
      ],
      current: 8,
      desired: 50,
      min: 1,
      max: 100,
      up: rules(4, 60, 0, 0, 0),
      expected: 14,
      reason: 'ScaleUpLimit',
    },
    'scale-down period start takes away replicas added in the period': {
      events: [
        { at: NOW - 40_000, delta: -2 },
        { at: NOW - 20_000, delta: 10 },
      ],
      current: 20,
      desired: 1,
      min: 1,
      max: 100,
      down: rules(4, 60, 0, 0, 0),
      expected: 8,
      reason: 'ScaleDownLimit',
    },
  };

  it.each(Object.entries(cases))('%s', (_name, c) => {
    const result = applyRateLimits({
      now: NOW,
      currentReplicas: c.current,
      desiredReplicas: c.desired,
      minReplicas: c.min,
      maxReplicas: c.max,
      behavior: behaviorWith(c.up, c.down),
      scaleEvents: c.events ?? [],
    });
    expect(result.replicas).toBe(c.expected);
    expect(result.limited?.reason).toBe(c.reason);
  });

  it.each([
    [
      'up',
      10,
      50,
      { ...rules(4, 15, 0, 0, 0), selectPolicy: 'Disabled' as const },
      10,
      'scale-up disabled (selectPolicy Disabled): 50 → 10',
    ],
    [
      'down',
      10,
      2,
      { ...rules(4, 15, 0, 0, 0), selectPolicy: 'Disabled' as const },
      10,
      'scale-down disabled (selectPolicy Disabled): 2 → 10',
    ],
    ['up', 4, 22, rules(4, 15, 0, 0, 0), 8, 'scale-up limited by policy Pods 4 per 15s: 22 → 8'],
    ['down', 80, 10, rules(0, 0, 10, 60, 0), 72, 'scale-down limited by policy Percent 10% per 60s: 10 → 72'],
  ])(
    'selectPolicy and messages: scale %s %d → %d',
    (direction, current, desired, ruleSet, expected, message) => {
      const result = applyRateLimits({
        now: NOW,
        currentReplicas: current,
        desiredReplicas: desired,
        minReplicas: 1,
        maxReplicas: 1000,
        behavior: direction === 'up' ? behaviorWith(ruleSet) : behaviorWith(undefined, ruleSet),
        scaleEvents: [],
      });
      expect(result.replicas).toBe(expected);
      expect(result.limited?.message).toBe(message);
    },
  );
});

describe('scaleUpLimit / scaleDownLimit', () => {
  const minPolicy = (r: ScalingRules): ScalingRules => ({ ...r, selectPolicy: 'Min' });
  it.each([
    [
      'TestCalculateScaleUpLimitWithScalingRules (Min of Pods 2, Percent 50 from 1)',
      'up',
      1,
      minPolicy(rules(2, 60, 50, 60, 300)),
      2,
    ],
    ['Max of Pods 2, Percent 50 from 1', 'up', 1, rules(2, 60, 50, 60, 300), 3],
    ['Percent up rounds up: 3 × 1.5 = 4.5 → 5', 'up', 3, rules(0, 0, 50, 60, 0), 5],
    ['Percent up from 0 stays 0 (Pods is what scales from zero)', 'up', 0, rules(0, 0, 100, 60, 0), 0],
    [
      'TestCalculateScaleDownLimitWithBehaviors (Min of Pods 2, Percent 50 from 5)',
      'down',
      5,
      minPolicy(rules(2, 60, 50, 60, 300)),
      3,
    ],
    ['Max of Pods 2, Percent 50 from 5', 'down', 5, rules(2, 60, 50, 60, 300), 2],
    ['Percent down truncates: 72 × 0.9 = 64.8 → 64', 'down', 72, rules(0, 0, 10, 60, 0), 64],
  ])('%s → %d', (_name, direction, current, ruleSet, expected) => {
    const limit =
      direction === 'up'
        ? scaleUpLimit(current, [], ruleSet, NOW)
        : scaleDownLimit(current, [], ruleSet, NOW);
    expect(limit.limit).toBe(expected);
  });

  it('counts only events strictly inside the period', () => {
    const events: ScaleEvents = [
      { at: NOW - 60_000, delta: 5 },
      { at: NOW - 59_999, delta: 2 },
      { at: NOW - 10_000, delta: -3 },
    ];
    expect(replicasChangedInPeriod(events, 60, NOW)).toEqual({ added: 2, removed: 3 });
  });
});

describe('stabilizeRecommendation (upstream TestNormalizeDesiredReplicasWithBehavior)', () => {
  const recs = (...entries: [number, number][]) =>
    entries.map(([replicas, ago]) => ({ replicas, at: NOW - ago }));
  it.each([
    ['empty recommendations for scaling down', recs(), 100, 5, 0, 0, 5],
    ['simple scale down stabilization', recs([4, 2 * MIN], [5, MIN]), 100, 3, 0, 180, 5],
    ['simple scale up stabilization', recs([4, 2 * MIN], [5, MIN]), 1, 7, 300, 0, 4],
    ['no scale down stabilization', recs([1, 2 * MIN], [2, MIN]), 100, 3, 300, 0, 3],
    ['no scale up stabilization', recs([4, 2 * MIN], [5, MIN]), 1, 3, 0, 300, 3],
    [
      'no scale down stabilization, reuse recommendation element',
      recs([10, 10 * MIN], [9, 9 * MIN]),
      100,
      3,
      0,
      0,
      3,
    ],
    [
      'no scale up stabilization, reuse recommendation element',
      recs([10, 10 * MIN], [9, 9 * MIN]),
      1,
      100,
      0,
      0,
      100,
    ],
    [
      'scale down stabilization, reuse one of obsolete recommendation element',
      recs([10, 10 * MIN], [4, MIN], [5, 2 * MIN], [9, 9 * MIN]),
      100,
      3,
      0,
      180,
      5,
    ],
    [
      'scale up stabilization, reuse one of obsolete recommendation element',
      recs([10, 100 * MIN], [6, MIN], [5, 2 * MIN], [9, 3 * MIN]),
      1,
      100,
      300,
      0,
      5,
    ],
    ['a recommendation exactly one window old no longer counts', recs([9, 5 * MIN]), 10, 3, 0, 300, 3],
  ])('%s → %d', (_name, recommendations, current, desired, upWindow, downWindow, expected) => {
    const behavior = behaviorWith(
      { ...defaultBehavior().scaleUp, stabilizationWindowSeconds: upWindow },
      { ...defaultBehavior().scaleDown, stabilizationWindowSeconds: downWindow },
    );
    expect(stabilizeRecommendation(recommendations, NOW, current, desired, behavior).replicas).toBe(expected);
  });
});

describe('normalizeWithBehavior', () => {
  it('stabilizes, records the raw recommendation, then rate-limits, explaining each step', () => {
    const result = normalizeWithBehavior({
      now: NOW,
      currentReplicas: 20,
      desiredReplicas: 3,
      minReplicas: 1,
      maxReplicas: 50,
      behavior: behaviorWith(undefined, rules(0, 0, 25, 60, 300)),
      recommendations: [{ at: NOW - MIN, replicas: 12 }],
      scaleEvents: [],
    });
    expect(result).toMatchObject({ replicas: 15, stabilized: 12, limited: { reason: 'ScaleDownLimit' } });
    expect(result.reasons).toEqual([
      'scale-down stabilized: highest recommendation in the last 300s is 12: 3 → 12',
      'scale-down limited by policy Percent 25% per 60s: 12 → 15',
    ]);
    expect(result.recommendations).toEqual([
      { at: NOW - MIN, replicas: 12 },
      { at: NOW, replicas: 3 },
    ]);
  });

  it('names the floor when a floor is the bound', () => {
    const result = normalizeWithBehavior({
      now: NOW,
      currentReplicas: 30,
      desiredReplicas: 3,
      minReplicas: 20,
      maxReplicas: 50,
      behavior: behaviorWith(undefined, rules(0, 0, 100, 15, 0)),
      recommendations: [],
      scaleEvents: [],
      minLabel: 'floor 20 (weekday peak)',
    });
    expect(result.replicas).toBe(20);
    expect(result.limited).toEqual({
      reason: 'TooFewReplicas',
      message: 'scale-down limited by floor 20 (weekday peak): 3 → 20',
    });
  });
});

describe('pruning', () => {
  const behavior = behaviorWith(rules(4, 15, 100, 60, 0), rules(0, 0, 100, 120, 300));
  it.each([
    ['keeps recommendations inside the longest window', [NOW - 299_000, NOW - 301_000], [NOW - 299_000]],
    ['keeps the newest one when all are stale', [NOW - 900_000, NOW - 400_000], [NOW - 400_000]],
    ['keeps nothing when there is nothing', [], []],
  ])('recommendations: %s', (_name, ats, kept) => {
    const pruned = pruneRecommendations(
      ats.map((at) => ({ at, replicas: 1 })),
      NOW,
      behavior,
    );
    expect(pruned.map((entry) => entry.at)).toEqual(kept);
  });

  it('drops scale events older than the longest policy period of either direction', () => {
    const events = [NOW - 121_000, NOW - 119_000, NOW - 1_000].map((at) => ({ at, delta: 1 }));
    expect(pruneScaleEvents(events, NOW, behavior).map((event) => event.at)).toEqual([
      NOW - 119_000,
      NOW - 1_000,
    ]);
  });
});

describe('defaultBehavior', () => {
  it('is the autoscaling/v2 default and a fresh copy each time', () => {
    const behavior = defaultBehavior();
    expect(behavior).toEqual({
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
    });
    behavior.scaleUp.policies.pop();
    expect(defaultBehavior().scaleUp.policies).toHaveLength(2);
  });
});
