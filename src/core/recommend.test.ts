import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultBehavior } from './behavior.ts';
import { recommend, RecommendInputError } from './recommend.ts';
import type {
  Behavior,
  MetricInput,
  PodInfo,
  RecommendInput,
  Recommendation,
  ReplicaFloor,
  ScalingRules,
} from './types.ts';

// Upstream cases come from kubernetes pkg/controller/podautoscaler/horizontal_test.go; behavior sequences from
// the HPA documentation (kubernetes.io, "Horizontal Pod Autoscaling", "Configurable scaling behavior").
const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);
const HOUR = 3_600_000;

function pods(count: number): PodInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `test-pod-${i}`,
    phase: 'Running' as const,
    ready: true,
    deleting: false,
    createdAt: NOW - HOUR,
    readyAt: NOW - HOUR + 10_000,
  }));
}

/** CPU Utilization metric over pods test-pod-0.. with the given usage in cores. */
function cpu(target: number, usage: number[] | undefined, request = 1): MetricInput {
  return {
    kind: 'Resource',
    name: 'cpu',
    resource: 'cpu',
    target: { type: 'Utilization', averageUtilization: target },
    request,
    ...(usage ? { perPod: Object.fromEntries(usage.map((cores, i) => [`test-pod-${i}`, cores])) } : {}),
  };
}

/** A queue: External AverageValue, `perReplica` messages per replica. */
function queue(value: number | undefined, perReplica: number, name = 'queue'): MetricInput {
  return {
    kind: 'External',
    name,
    target: { type: 'AverageValue', averageValue: perReplica },
    ...(value === undefined ? {} : { value }),
  };
}

/** History older than every window: the scaler has been running, nothing recent to stabilize on. */
const settled = (replicas: number): RecommendInput['state'] => ({
  recommendations: [{ at: NOW - HOUR, replicas }],
  scaleEvents: [],
  failures: {},
});

function input(overrides: Partial<RecommendInput>): RecommendInput {
  const currentReplicas = overrides.currentReplicas ?? 3;
  return {
    now: NOW,
    currentReplicas,
    pods: pods(currentReplicas),
    metrics: [],
    minReplicas: 1,
    maxReplicas: 100,
    behavior: defaultBehavior(),
    floors: [],
    state: settled(currentReplicas),
    ...overrides,
  };
}

function withRules(up: Partial<ScalingRules>, down: Partial<ScalingRules>): Behavior {
  const defaults = defaultBehavior();
  return { scaleUp: { ...defaults.scaleUp, ...up }, scaleDown: { ...defaults.scaleDown, ...down } };
}

interface Tick {
  /** Seconds after NOW. */
  at: number;
  metrics: MetricInput[];
  floors?: ReplicaFloor[];
}

/** Runs ticks in order, feeding back replicas and state as the controller does. */
function run(first: RecommendInput, ticks: Tick[]): Recommendation[] {
  const results: Recommendation[] = [];
  let current = first.currentReplicas;
  let state = first.state;
  for (const tick of ticks) {
    const result = recommend({
      ...first,
      now: NOW + tick.at * 1000,
      currentReplicas: current,
      pods: pods(current),
      metrics: tick.metrics,
      floors: tick.floors ?? first.floors,
      state,
    });
    results.push(result);
    current = result.replicas;
    state = result.state;
  }
  return results;
}

describe('recommend: the HPA controller cases (upstream horizontal_test.go)', () => {
  it.each([
    [
      'TestMinReplicas',
      input({ minReplicas: 2, maxReplicas: 5, metrics: [cpu(90, [0.01, 0.095, 0.01])] }),
      2,
      'TooFewReplicas',
    ],
    [
      'TestZeroMinReplicasDesiredZero',
      input({ minReplicas: 0, maxReplicas: 5, metrics: [cpu(90, [0, 0, 0])] }),
      0,
      undefined,
    ],
    [
      'TestMinReplicasDesiredZero',
      input({ minReplicas: 2, maxReplicas: 5, metrics: [cpu(90, [0, 0, 0])] }),
      2,
      'TooFewReplicas',
    ],
    [
      'TestTooFewReplicas',
      input({ minReplicas: 3, maxReplicas: 5, currentReplicas: 2, metrics: [cpu(90, [])] }),
      3,
      'TooFewReplicas',
    ],
    [
      'TestTooManyReplicas',
      input({ minReplicas: 3, maxReplicas: 5, currentReplicas: 10, metrics: [cpu(90, [])] }),
      5,
      'TooManyReplicas',
    ],
    [
      'TestMaxReplicas',
      input({ minReplicas: 2, maxReplicas: 5, metrics: [cpu(90, [8, 9.5, 1])] }),
      5,
      'TooManyReplicas',
    ],
    [
      'TestSuperfluousMetrics',
      input({
        minReplicas: 2,
        maxReplicas: 6,
        currentReplicas: 4,
        metrics: [cpu(100, [4, 9.5, 3, 7, 3.2, 2])],
      }),
      6,
      'TooManyReplicas',
    ],
    [
      'TestMissingMetrics',
      input({ minReplicas: 2, maxReplicas: 6, currentReplicas: 4, metrics: [cpu(100, [0.4, 0.095])] }),
      3,
      undefined,
    ],
    [
      'TestEmptyMetrics (ScalingActive=False keeps 4)',
      input({ minReplicas: 2, maxReplicas: 6, currentReplicas: 4, metrics: [cpu(100, [])] }),
      4,
      undefined,
    ],
    [
      'TestEmptyCPURequest',
      input({ maxReplicas: 5, currentReplicas: 1, metrics: [cpu(100, [0.2], 0)] }),
      1,
      undefined,
    ],
    [
      'TestEventCreated',
      input({ maxReplicas: 5, currentReplicas: 1, metrics: [cpu(50, [0.2], 0.2)] }),
      2,
      undefined,
    ],
    [
      'TestEventNotCreated',
      input({ maxReplicas: 5, currentReplicas: 2, metrics: [cpu(50, [0.2, 0.2], 0.4)] }),
      2,
      undefined,
    ],
    [
      'TestMissingReports (4 replicas, 1 pod)',
      input({ maxReplicas: 5, currentReplicas: 4, pods: pods(1), metrics: [cpu(50, [0.2], 0.2)] }),
      2,
      undefined,
    ],
    [
      'TestUpscaleCap',
      input({
        maxReplicas: 100,
        behavior: withRules({ policies: [{ type: 'Percent', value: 700, periodSeconds: 60 }] }, {}),
        metrics: [cpu(10, [0.1, 0.2, 0.3], 0.1)],
      }),
      24,
      'ScaleUpLimit',
    ],
    [
      'TestUpscaleCapGreaterThanMaxReplicas',
      input({
        maxReplicas: 20,
        behavior: withRules({ policies: [{ type: 'Percent', value: 700, periodSeconds: 60 }] }, {}),
        metrics: [cpu(10, [0.1, 0.2, 0.3], 0.1)],
      }),
      20,
      'TooManyReplicas',
    ],
    [
      'TestScaleUpOneMetricEmpty (the valid metric may scale up)',
      input({ minReplicas: 2, maxReplicas: 6, metrics: [cpu(30, [0.3, 0.4, 0.5]), queue(undefined, 0.1)] }),
      4,
      undefined,
    ],
    [
      'TestNoScaleDownOneMetricEmpty (never scale down on partial data)',
      input({
        minReplicas: 2,
        maxReplicas: 6,
        currentReplicas: 5,
        metrics: [cpu(50, [0.1, 0.3, 0.5, 0.25, 0.25]), queue(undefined, 1)],
      }),
      5,
      undefined,
    ],
  ])('%s → %d', (_upstream, given, expected, limitReason) => {
    const result = recommend(given);
    expect(result.replicas).toBe(expected);
    expect(result.limited?.reason).toBe(limitReason);
  });

  it('TestScaleDownStabilizeInitialSize: the first sight of a scaler seeds the history with current replicas', () => {
    const result = recommend(
      input({
        currentReplicas: 5,
        metrics: [cpu(50, [0.1, 0.3, 0.5, 0.25, 0.25])],
        state: { recommendations: [], scaleEvents: [], failures: {} },
      }),
    );
    expect(result).toMatchObject({ replicas: 5, proposed: 3 });
    expect(result.reasons).toContain(
      'scale-down stabilized: highest recommendation in the last 300s is 5: 3 → 5',
    );
    expect(result.state.recommendations).toEqual([
      { at: NOW, replicas: 5 },
      { at: NOW, replicas: 3 },
    ]);
  });

  it('TestZeroReplicas, deliberately different: a target at 0 below minReplicas is raised, not treated as paused', () => {
    const result = recommend(
      input({ currentReplicas: 0, minReplicas: 3, maxReplicas: 5, metrics: [cpu(90, [])] }),
    );
    expect(result.replicas).toBe(3);
    expect(result.reasons).toEqual(['current 0 is below minReplicas 3 → 3']);
  });
});

describe('recommend: several metrics', () => {
  it.each([
    ['the largest proposal wins', [cpu(50, [0.5, 0.5, 0.5]), queue(430, 20)], 3, 7, 22],
    [
      'a metric within tolerance still loses to one above it',
      [cpu(50, [0.52, 0.5, 0.49]), queue(120, 20)],
      3,
      6,
      6,
    ],
    ['all below: the largest of the lower proposals', [queue(20, 20, 'a'), queue(40, 20, 'b')], 8, 2, 2],
    ['an invalid metric: up on the valid ones', [queue(undefined, 20, 'a'), queue(200, 20, 'b')], 4, 8, 10],
    ['an invalid metric: no way down', [queue(undefined, 20, 'a'), queue(20, 20, 'b')], 4, 4, 4],
    ['all invalid: keep current', [queue(undefined, 20, 'a'), queue(undefined, 20, 'b')], 4, 4, 4],
  ])('%s', (_name, metrics, current, expected, proposed) => {
    const result = recommend(
      input({
        currentReplicas: current,
        metrics,
        behavior: withRules({}, { stabilizationWindowSeconds: 0 }),
      }),
    );
    expect(result.replicas).toBe(expected);
    expect(result.proposed).toBe(
      current === expected && result.invalidMetrics.length > 0 ? current : proposed,
    );
  });

  it('says why when no metric can be computed, and does not record a recommendation', () => {
    const given = input({
      currentReplicas: 4,
      metrics: [queue(undefined, 20, 'orders'), cpu(50, undefined)],
    });
    const result = recommend(given);
    expect(result).toMatchObject({ replicas: 4, invalidMetrics: ['orders', 'cpu'], fallbackActive: false });
    expect(result.reasons).toEqual([
      'orders: could not be read this tick',
      'cpu: cpu usage could not be read this tick',
      'ScalingActive=False: no metric could be computed; keeping 4 replicas',
    ]);
    expect(result.state.recommendations).toEqual(given.state.recommendations);
    expect(result.state.failures).toEqual({ orders: 1, cpu: 1 });
  });

  it('says why partial data does not scale down', () => {
    const result = recommend(
      input({ currentReplicas: 6, metrics: [queue(undefined, 20, 'orders'), queue(40, 20, 'billing')] }),
    );
    expect(result.reasons).toContain(
      '1 of 2 metrics invalid (orders): not scaling down to 2 on partial data; keeping 6 replicas',
    );
  });

  it('with no metrics at all, proposes minReplicas (e.g. a scaler driven by schedules only)', () => {
    const result = recommend(
      input({
        currentReplicas: 5,
        minReplicas: 2,
        behavior: withRules({}, { stabilizationWindowSeconds: 0 }),
      }),
    );
    expect(result).toMatchObject({ replicas: 2, proposed: 2 });
  });
});

describe('recommend: behavior over a sequence of ticks', () => {
  it('HPA docs: Pods 4 and Percent 10 per 60s — 80 replicas lose 8, then 8 again (7.2 rounded up), then 4 at a time below 40', () => {
    const behavior = withRules(
      {},
      {
        stabilizationWindowSeconds: 0,
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 60 },
          { type: 'Percent', value: 10, periodSeconds: 60 },
        ],
      },
    );
    const ticks = Array.from({ length: 16 }, (_, i) => ({ at: i * 60, metrics: [queue(100, 10)] }));
    ticks.splice(1, 0, { at: 15, metrics: [queue(100, 10)] });
    const replicas = run(input({ currentReplicas: 80, behavior }), ticks).map((result) => result.replicas);
    expect(replicas).toEqual([72, 72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10, 10, 10]);
  });

  it('scale-down stabilization: the highest recommendation of the last 300 s holds, then lets go', () => {
    const proposals = [4, 6, ...Array<number>(19).fill(3), 3, 3];
    const ticks = proposals.map((replicas, i) => ({ at: i * 15, metrics: [queue(replicas * 10, 10)] }));
    const first = input({
      currentReplicas: 10,
      state: { recommendations: [], scaleEvents: [], failures: {} },
    });
    const results = run(first, ticks);
    // t=0..285: the seeded 10 (current at first sight) is inside the window; t=300: 6 from t=15; t=315: 3.
    expect(results.map((result) => result.replicas)).toEqual([...Array<number>(20).fill(10), 6, 3, 3]);
    expect(results[0]?.reasons).toContain(
      'scale-down stabilized: highest recommendation in the last 300s is 10: 4 → 10',
    );
    expect(results[20]?.reasons).toContain(
      'scale-down stabilized: highest recommendation in the last 300s is 6: 3 → 6',
    );
  });

  it('scale-up stabilization: the lowest recommendation of the last 60 s holds, then the rate policies apply', () => {
    const behavior = withRules({ stabilizationWindowSeconds: 60 }, {});
    const ticks = [0, 15, 30, 45, 60, 75].map((at) => ({ at, metrics: [queue(100, 10)] }));
    const first = input({
      currentReplicas: 2,
      behavior,
      state: { recommendations: [], scaleEvents: [], failures: {} },
    });
    const results = run(first, ticks);
    expect(results.map((result) => result.replicas)).toEqual([2, 2, 2, 2, 6, 10]);
    expect(results[0]?.reasons).toContain(
      'scale-up stabilized: lowest recommendation in the last 60s is 2: 10 → 2',
    );
    expect(results[4]?.limited).toEqual({
      reason: 'ScaleUpLimit',
      message: 'scale-up limited by policy Pods 4 per 15s: 10 → 6',
    });
  });

  it.each([
    ['Max (the default) takes the biggest change', 'Max', [40, 32, 25]],
    ['Min takes the smallest change', 'Min', [46, 42, 38]],
    ['Disabled never scales down', 'Disabled', [50, 50, 50]],
  ] as const)('selectPolicy %s', (_name, selectPolicy, expected) => {
    const behavior = withRules(
      {},
      {
        stabilizationWindowSeconds: 0,
        selectPolicy,
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 60 },
          { type: 'Percent', value: 20, periodSeconds: 60 },
        ],
      },
    );
    const ticks = [0, 60, 120].map((at) => ({ at, metrics: [queue(10, 10)] }));
    expect(run(input({ currentReplicas: 50, behavior }), ticks).map((result) => result.replicas)).toEqual(
      expected,
    );
  });

  it('HPA docs: scale up by default doubles or adds 4 pods every 15 s, whichever is more', () => {
    const ticks = [0, 15, 30, 45, 60].map((at) => ({ at, metrics: [queue(1000, 10)] }));
    expect(run(input({ currentReplicas: 1 }), ticks).map((result) => result.replicas)).toEqual([
      5, 10, 20, 40, 80,
    ]);
  });

  it('records a scale event per change and forgets events older than every policy period', () => {
    const ticks = [0, 15, 30].map((at) => ({ at, metrics: [queue(1000, 10)] }));
    const results = run(input({ currentReplicas: 1 }), ticks);
    expect(results.map((result) => result.state.scaleEvents)).toEqual([
      [{ at: NOW, delta: 4 }],
      [{ at: NOW + 15_000, delta: 5 }],
      [{ at: NOW + 30_000, delta: 10 }],
    ]);
  });
});

describe('recommend: scale from zero', () => {
  it.each([
    [
      'a queue with work: ceil(430 / 20) = 22, first step bounded by Pods 4 per 15s',
      430,
      4,
      22,
      'ScaleUpLimit',
    ],
    ['an empty queue stays at zero', 0, 0, 0, undefined],
  ])('%s', (_name, value, expected, proposed, limitReason) => {
    const result = recommend(
      input({ currentReplicas: 0, minReplicas: 0, pods: [], metrics: [queue(value, 20)] }),
    );
    expect(result).toMatchObject({ replicas: expected, proposed });
    expect(result.limited?.reason).toBe(limitReason);
  });

  it('reaches 22 over three ticks', () => {
    const ticks = [0, 15, 30].map((at) => ({ at, metrics: [queue(430, 20)] }));
    const first = input({
      currentReplicas: 0,
      minReplicas: 0,
      state: { recommendations: [], scaleEvents: [], failures: {} },
    });
    expect(run(first, ticks).map((result) => result.replicas)).toEqual([4, 8, 16]);
  });
});

describe('recommend: schedule floors', () => {
  const peak: ReplicaFloor = { replicas: 20, reason: 'weekday peak' };
  it.each([
    [
      'raise at once, not bounded by scale-up policies',
      5,
      [peak],
      50,
      10,
      20,
      'current 5 is below floor 20 (weekday peak) → 20',
      'TooFewReplicas',
    ],
    [
      'the highest floor wins',
      5,
      [peak, { replicas: 25, reason: 'launch' }],
      50,
      10,
      25,
      'current 5 is below floor 25 (launch) → 25',
      'TooFewReplicas',
    ],
    [
      'a floor above maxReplicas is capped',
      5,
      [{ replicas: 50, reason: 'launch' }],
      30,
      10,
      30,
      'floor 50 (launch) is above maxReplicas 30: capped at 30',
      'TooFewReplicas',
    ],
    [
      'a floor bounds a scale-down',
      30,
      [peak],
      50,
      30,
      20,
      'scale-down limited by floor 20 (weekday peak): 3 → 20',
      'TooFewReplicas',
    ],
    [
      'a floor below what metrics need changes nothing',
      30,
      [peak],
      50,
      400,
      40,
      'queue: 400 / 10 per replica → 40',
      undefined,
    ],
  ])('%s', (_name, current, floors, maxReplicas, messages, expected, reason, limitReason) => {
    const behavior = withRules({}, { stabilizationWindowSeconds: 0 });
    const result = recommend(
      input({ currentReplicas: current, floors, maxReplicas, metrics: [queue(messages, 10)], behavior }),
    );
    expect(result.replicas).toBe(expected);
    expect(result.reasons).toContain(reason);
    expect(result.limited?.reason).toBe(limitReason);
  });
  it('when the floor ends, scale-in follows the metrics history like a lowered minReplicas', () => {
    const ticks: Tick[] = [
      { at: 0, metrics: [queue(30, 10)], floors: [peak] },
      { at: 15, metrics: [queue(30, 10)], floors: [peak] },
      { at: 30, metrics: [queue(30, 10)], floors: [] },
    ];
    const results = run(input({ currentReplicas: 5 }), ticks);
    // t=0 raises to 20; t=15 records 3 under the floor; t=30 the window holds only 3s → down to 3.
    expect(results.map((result) => result.replicas)).toEqual([20, 20, 3]);
  });
});

describe('recommend: fallback after failed reads (KEDA fallback, never scaling in)', () => {
  const fallback = { failureThreshold: 3, replicas: 10 };

  it('counts consecutive failures, takes over at the threshold, and lets go on recovery', () => {
    const values = [20, undefined, undefined, undefined, undefined, 10];
    const ticks = values.map((value, i) => ({ at: i * 15, metrics: [queue(value, 5)] }));
    const results = run(input({ currentReplicas: 4, fallback }), ticks);
    expect(
      results.map((result) => [result.replicas, result.fallbackActive, result.state.failures.queue]),
    ).toEqual([
      [4, false, 0],
      [4, false, 1],
      [4, false, 2],
      [8, true, 3],
      [10, true, 4],
      [10, false, 0],
    ]);
    expect(results[3]?.reasons).toContain(
      'fallback: queue (3 failed reads) reached failureThreshold 3: max(fallback 10, metrics none, current 4) → 10',
    );
    expect(results[3]?.limited?.reason).toBe('ScaleUpLimit');
    // Recovered: metrics say 2, but the scale-down window still holds the fallback's 10.
    expect(results[5]?.proposed).toBe(2);
  });

  it.each([
    ['takes the fallback replicas when they are highest', 4, [queue(undefined, 5)], 10],
    [
      'keeps current when it is higher than the fallback (KEDA would go to 10)',
      20,
      [queue(undefined, 5), cpu(50, Array<number>(20).fill(0.1))],
      20,
    ],
    [
      'follows the valid metrics when they ask for more',
      4,
      [queue(undefined, 5), queue(60, 5, 'billing')],
      12,
    ],
  ])('%s', (_name, current, metrics, expected) => {
    const behavior = withRules({ policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }] }, {});
    const state = { ...settled(current), failures: { queue: 2 } };
    const result = recommend(input({ currentReplicas: current, metrics, fallback, behavior, state }));
    expect(result).toMatchObject({ replicas: expected, fallbackActive: true });
  });

  it('without a fallback, failures are still counted for visibility', () => {
    const result = recommend(
      input({ metrics: [queue(undefined, 5)], state: { ...settled(3), failures: { queue: 7, gone: 2 } } }),
    );
    expect(result.state.failures).toEqual({ queue: 8 });
    expect(result.fallbackActive).toBe(false);
  });
});

describe('recommend: bad input', () => {
  const base = input({ metrics: [queue(10, 5)] });
  const badInputs: [string, Partial<RecommendInput>, string][] = [
    ['currentReplicas', { currentReplicas: -1 }, 'currentReplicas: must be a whole number ≥ 0, got -1'],
    [
      'minReplicas',
      { minReplicas: 5, maxReplicas: 3 },
      'minReplicas: must not exceed maxReplicas (3), got 5',
    ],
    ['maxReplicas', { maxReplicas: 0, minReplicas: 0 }, 'maxReplicas: must be a whole number ≥ 1, got 0'],
    [
      'metrics[0].target.averageValue',
      { metrics: [queue(10, 0)] },
      'metrics[0].target.averageValue: must be a positive number, got 0',
    ],
    [
      'metrics[1].name',
      { metrics: [queue(10, 5), queue(10, 5)] },
      'metrics[1].name: must be unique, "queue" repeats',
    ],
    [
      'metrics[0].target.type',
      { metrics: [{ ...cpu(50, [1]), target: { type: 'Value', value: 1 } }] },
      'metrics[0].target.type: a Resource metric takes Utilization or AverageValue, not Value',
    ],
    [
      'behavior.scaleUp.policies[0].periodSeconds',
      { behavior: withRules({ policies: [{ type: 'Pods', value: 4, periodSeconds: 0 }] }, {}) },
      'behavior.scaleUp.policies[0].periodSeconds: must be a whole number ≥ 1, got 0',
    ],
    [
      'behavior.scaleDown.tolerance',
      { behavior: withRules({}, { tolerance: -0.1 }) },
      'behavior.scaleDown.tolerance: must be a number ≥ 0, got -0.1',
    ],
    [
      'floors[0].replicas',
      { floors: [{ replicas: 1.5, reason: 'x' }] },
      'floors[0].replicas: must be a whole number ≥ 0, got 1.5',
    ],
    [
      'fallback.failureThreshold',
      { fallback: { failureThreshold: 0, replicas: 3 } },
      'fallback.failureThreshold: must be a whole number ≥ 1, got 0',
    ],
  ];
  it.each(badInputs)('%s', (field, overrides, message) => {
    const given = { ...base, ...overrides };
    let error: unknown;
    try {
      recommend(given);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RecommendInputError);
    expect(error).toMatchObject({ field, message });
  });
});

describe('recommend: properties', () => {
  const policy = fc.record({
    type: fc.constantFrom('Pods' as const, 'Percent' as const),
    value: fc.integer({ min: 1, max: 500 }),
    periodSeconds: fc.integer({ min: 1, max: 600 }),
  });
  const rules = fc.record({
    stabilizationWindowSeconds: fc.integer({ min: 0, max: 600 }),
    selectPolicy: fc.constantFrom('Max' as const, 'Min' as const, 'Disabled' as const),
    policies: fc.array(policy, { minLength: 1, maxLength: 3 }),
    tolerance: fc.constantFrom(0, 0.05, 0.1, 0.3),
  });
  const metric = fc.oneof(
    fc.record({
      kind: fc.constant('External' as const),
      target: fc.oneof(
        fc.record({
          type: fc.constant('AverageValue' as const),
          averageValue: fc.integer({ min: 1, max: 100 }),
        }),
        fc.record({ type: fc.constant('Value' as const), value: fc.integer({ min: 1, max: 100 }) }),
      ),
      value: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
    }),
    fc.record({
      kind: fc.constant('Resource' as const),
      resource: fc.constant('cpu' as const),
      target: fc.record({
        type: fc.constant('Utilization' as const),
        averageUtilization: fc.integer({ min: 1, max: 150 }),
      }),
      request: fc.constantFrom(0, 0.25, 1),
      perPod: fc.option(
        fc.dictionary(
          fc.constantFrom(...pods(8).map((pod) => pod.name)),
          fc.float({ min: 0, max: 4, noNaN: true }),
        ),
        {
          nil: undefined,
        },
      ),
    }),
  );
  const scenario = fc
    .record({
      currentReplicas: fc.integer({ min: 0, max: 80 }),
      minReplicas: fc.integer({ min: 0, max: 10 }),
      extra: fc.integer({ min: 0, max: 60 }),
      metrics: fc.array(metric, { maxLength: 3 }),
      floors: fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 2 }),
      fallback: fc.option(
        fc.record({
          failureThreshold: fc.integer({ min: 1, max: 3 }),
          replicas: fc.integer({ min: 0, max: 120 }),
        }),
        {
          nil: undefined,
        },
      ),
      up: rules,
      down: rules,
      history: fc.array(
        fc.record({ ago: fc.integer({ min: 0, max: 900 }), replicas: fc.integer({ min: 0, max: 120 }) }),
        { maxLength: 6 },
      ),
      events: fc.array(
        fc.record({ ago: fc.integer({ min: 1, max: 900 }), delta: fc.integer({ min: -40, max: 40 }) }),
        { maxLength: 6 },
      ),
      failures: fc.integer({ min: 0, max: 3 }),
    })
    .map((s): RecommendInput => ({
      now: NOW,
      currentReplicas: s.currentReplicas,
      pods: pods(Math.min(s.currentReplicas, 8)),
      metrics: s.metrics.map((m, i) => ({ ...m, name: `m${i}` })),
      minReplicas: s.minReplicas,
      maxReplicas: Math.max(1, s.minReplicas + s.extra),
      behavior: { scaleUp: s.up, scaleDown: s.down },
      floors: s.floors.map((replicas, i) => ({ replicas, reason: `schedule ${i}` })),
      ...(s.fallback ? { fallback: s.fallback } : {}),
      state: {
        recommendations: s.history.map((h) => ({ at: NOW - h.ago * 1000, replicas: h.replicas })),
        scaleEvents: s.events.map((e) => ({ at: NOW - e.ago * 1000, delta: e.delta })),
        failures: Object.fromEntries(s.metrics.map((_, i) => [`m${i}`, s.failures])),
      },
    }));

  function deepFreeze<T>(value: T): T {
    if (value && typeof value === 'object') {
      Object.freeze(value);
      for (const inner of Object.values(value)) deepFreeze(inner);
    }
    return value;
  }

  it('always lands within [minReplicas, maxReplicas] and honours floors up to maxReplicas', () => {
    fc.assert(
      fc.property(scenario, (given) => {
        const { replicas } = recommend(given);
        const floor = Math.max(0, ...given.floors.map((f) => f.replicas));
        return (
          Number.isInteger(replicas) &&
          replicas >= given.minReplicas &&
          replicas <= given.maxReplicas &&
          replicas >= Math.min(floor, given.maxReplicas)
        );
      }),
      { numRuns: 300 },
    );
  });

  it('never scales down while a metric is invalid (only maxReplicas can lower it)', () => {
    fc.assert(
      fc.property(scenario, (given) => {
        const result = recommend(given);
        fc.pre(result.invalidMetrics.length > 0);
        return result.replicas >= Math.min(given.currentReplicas, given.maxReplicas);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and does not touch its input', () => {
    fc.assert(
      fc.property(scenario, (given) => {
        const frozen = deepFreeze(structuredClone(given));
        expect(recommend(frozen)).toEqual(recommend(given));
      }),
      { numRuns: 100 },
    );
  });
});
