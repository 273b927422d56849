import { describe, expect, it } from 'vitest';
import {
  calculateMetricReplicas,
  groupPods,
  HPA_DEFAULTS,
  isWithinTolerance,
  type CalculatorContext,
  type PodGroups,
} from './replica-calculator.ts';
import type { MetricInput, PodInfo } from './types.ts';

// Upstream cases come from kubernetes pkg/controller/podautoscaler/replica_calculator_test.go. There, pods
// start long ago unless "hot" (inside the CPU initialization period), and each pod's request is 1 core.
const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);
const COOL = NOW - 3_600_000; // started an hour ago
const HOT = NOW - 60_000; // started a minute ago: inside the 5-minute CPU initialization period
const TOLERANCE = { scaleUp: 0.1, scaleDown: 0.1 };

interface PodSpec {
  ready?: boolean;
  phase?: PodInfo['phase'];
  deleting?: boolean;
  hot?: boolean;
}

/** Pods test-pod-0..n-1 as upstream builds them: Running, Ready, started long ago. */
function makePods(count: number, spec: (i: number) => PodSpec = () => ({})): PodInfo[] {
  return Array.from({ length: count }, (_, i) => {
    const { ready = true, phase = 'Running', deleting = false, hot = false } = spec(i);
    const createdAt = hot ? HOT : COOL;
    return {
      name: `test-pod-${i}`,
      phase,
      ready,
      deleting,
      createdAt,
      // A hot pod became Ready 5 s ago, so no full sample window covers it yet; an unready pod never was.
      ...(ready ? { readyAt: hot ? NOW - 5_000 : createdAt + 10_000 } : {}),
    };
  });
}

/** Per-pod samples for pods test-pod-0.. (upstream `makePodMetricLevels`), in cores or GiB. */
function samples(...levels: number[]): Record<string, number> {
  return Object.fromEntries(levels.map((level, i) => [`test-pod-${i}`, level]));
}

type ResourceInput = Extract<MetricInput, { kind: 'Resource' }>;

const cpu = (perPod: Record<string, number> | undefined, averageUtilization: number): ResourceInput => ({
  kind: 'Resource',
  name: 'cpu-0',
  resource: 'cpu',
  target: { type: 'Utilization', averageUtilization },
  request: 1,
  ...(perPod ? { perPod } : {}),
});

/** Upstream "custom metric" (Pods metric) cases map to a memory AverageValue target: same plain-metric path. */
const memory = (perPod: Record<string, number> | undefined, averageValue: number): ResourceInput => ({
  kind: 'Resource',
  name: 'memory-0',
  resource: 'memory',
  target: { type: 'AverageValue', averageValue },
  request: 1,
  ...(perPod ? { perPod } : {}),
});

const external = (
  value: number | undefined,
  target: { value: number } | { averageValue: number },
): MetricInput => ({
  kind: 'External',
  name: 'queue-0',
  target: 'value' in target ? { type: 'Value', value: target.value } : { type: 'AverageValue', ...target },
  ...(value === undefined ? {} : { value }),
});

function context(currentReplicas: number, pods: PodInfo[], tolerances = TOLERANCE): CalculatorContext {
  return { now: NOW, currentReplicas, pods, tolerances };
}

function replicasOf(metric: MetricInput, ctx: CalculatorContext): number | string {
  const proposal = calculateMetricReplicas(metric, ctx);
  return proposal.ok ? proposal.replicas : `invalid: ${proposal.reason}`;
}

describe('isWithinTolerance', () => {
  it.each([
    [1.1, TOLERANCE, true],
    [1.1000001, TOLERANCE, false],
    [0.9, TOLERANCE, true],
    [0.8999999, TOLERANCE, false],
    [1.05, { scaleUp: 0.05, scaleDown: 0.3 }, true],
    [1.0500001, { scaleUp: 0.05, scaleDown: 0.3 }, false],
    [0.7, { scaleUp: 0.05, scaleDown: 0.3 }, true],
    [0.6999999, { scaleUp: 0.05, scaleDown: 0.3 }, false],
    [1, { scaleUp: 0, scaleDown: 0 }, true],
  ])('ratio %d with %o → %s', (ratio, tolerances, within) => {
    expect(isWithinTolerance(ratio, tolerances)).toBe(within);
  });
});

describe('groupPods (upstream TestGroupPods, times adapted to the 5 min / 30 s defaults)', () => {
  const base = { phase: 'Running' as const, deleting: false };
  const fresh = { sampledAt: NOW, windowSeconds: 30 };
  const cases: [string, PodInfo, 'cpu' | 'memory', boolean, typeof fresh, keyof PodGroups][] = [
    [
      'count in a ready pod - memory',
      { ...base, name: 'p', ready: true, createdAt: NOW },
      'memory',
      true,
      fresh,
      'ready',
    ],
    [
      'unready a pod without ready condition - CPU',
      { ...base, name: 'p', ready: false, createdAt: NOW },
      'cpu',
      true,
      fresh,
      'unready',
    ],
    [
      'count in a ready pod with fresh metrics during initialization period - CPU',
      { ...base, name: 'p', ready: true, createdAt: NOW - 60_000, readyAt: NOW - 30_000 },
      'cpu',
      true,
      fresh,
      'ready',
    ],
    [
      'unready a ready pod without fresh metrics during initialization period - CPU',
      { ...base, name: 'p', ready: true, createdAt: NOW - 60_000, readyAt: NOW - 30_000 },
      'cpu',
      true,
      { sampledAt: NOW, windowSeconds: 60 },
      'unready',
    ],
    [
      'unready an unready pod during initialization period - CPU (readiness changed 6 s after start)',
      { ...base, name: 'p', ready: false, createdAt: NOW - 600_000, readyChangedAt: NOW - 594_000 },
      'cpu',
      true,
      fresh,
      'unready',
    ],
    [
      'count in a ready pod without fresh metrics after initialization period - CPU',
      { ...base, name: 'p', ready: true, createdAt: NOW - 600_000, readyAt: NOW - 600_000 },
      'cpu',
      true,
      { sampledAt: NOW - 120_000, windowSeconds: 60 },
      'ready',
    ],
    [
      'count in an unready pod that was ready after initialization period - CPU',
      { ...base, name: 'p', ready: false, createdAt: NOW - 600_000, readyChangedAt: NOW - 540_000 },
      'cpu',
      true,
      fresh,
      'ready',
    ],
    [
      'count in an unready pod whose readiness changed after the initial readiness delay - CPU',
      { ...base, name: 'p', ready: false, createdAt: NOW - 600_000, readyChangedAt: NOW - 560_000 },
      'cpu',
      true,
      fresh,
      'ready',
    ],
    [
      'unready a pod that never became ready, without readyChangedAt - CPU',
      { ...base, name: 'p', ready: false, createdAt: NOW - 600_000 },
      'cpu',
      true,
      fresh,
      'unready',
    ],
    [
      'a missing pod',
      { ...base, name: 'p', ready: true, createdAt: NOW - 180_000 },
      'cpu',
      false,
      fresh,
      'missing',
    ],
    [
      'pending pods are unreadied',
      { ...base, name: 'p', phase: 'Pending', ready: false, createdAt: NOW },
      'cpu',
      false,
      fresh,
      'unready',
    ],
    [
      'ignore pods with deletion timestamps',
      { ...base, name: 'p', phase: 'Pending', deleting: true, ready: false, createdAt: NOW },
      'cpu',
      true,
      fresh,
      'ignored',
    ],
    [
      'ignore pods in a failed state',
      { ...base, name: 'p', phase: 'Failed', ready: false, createdAt: NOW },
      'cpu',
      true,
      fresh,
      'ignored',
    ],
    [
      'a not-ready Running pod with a sample counts for memory',
      { ...base, name: 'p', ready: false, createdAt: NOW },
      'memory',
      true,
      fresh,
      'ready',
    ],
  ];
  it.each(cases)('%s', (_name, pod, resource, sampled, timing, group) => {
    const groups = groupPods([pod], new Set(sampled ? ['p'] : []), resource, NOW, timing);
    const expected: PodGroups = { ready: [], unready: [], missing: [], ignored: [] };
    expected[group] = ['p'];
    expect(groups).toEqual(expected);
  });
});

describe('Resource metrics, Utilization target (upstream TestReplicaCalc*)', () => {
  it.each([
    ['TestReplicaCalcScaleUp', 3, makePods(3), samples(0.3, 0.5, 0.7), 30, 5],
    [
      'TestReplicaCalcScaleUpUnreadyLessScale',
      3,
      makePods(3, (i) => ({ ready: i !== 0 })),
      samples(0.3, 0.5, 0.7),
      30,
      4,
    ],
    [
      'TestReplicaCalcScaleUpHotCpuLessScale',
      3,
      makePods(3, (i) => ({ hot: i === 0 })),
      samples(0.3, 0.5, 0.7),
      30,
      4,
    ],
    [
      'TestReplicaCalcScaleUpUnreadyNoScale',
      3,
      makePods(3, (i) => ({ ready: i === 0 })),
      samples(0.4, 0.5, 0.7),
      30,
      3,
    ],
    [
      'TestReplicaCalcScaleHotCpuNoScale',
      3,
      makePods(3, (i) => ({ ready: i === 0, hot: i !== 0 })),
      samples(0.4, 0.5, 0.7),
      30,
      3,
    ],
    [
      'TestReplicaCalcScaleUpIgnoresFailedPods',
      2,
      makePods(4, (i) => (i < 2 ? {} : { phase: 'Failed', ready: false })),
      samples(0.5, 0.7),
      30,
      4,
    ],
    [
      'TestReplicaCalcScaleUpIgnoresDeletionPods',
      2,
      makePods(4, (i) => (i < 2 ? {} : { deleting: true, ready: false })),
      samples(0.5, 0.7),
      30,
      4,
    ],
    ['TestReplicaCalcScaleDown', 5, makePods(5), samples(0.1, 0.3, 0.5, 0.25, 0.25), 50, 3],
    [
      'TestReplicaCalcScaleDownExcludeUnreadyPods',
      5,
      makePods(5, (i) => ({ ready: i < 3 })),
      samples(0.1, 0.3, 0.5, 0.25, 0.25),
      50,
      2,
    ],
    [
      'TestReplicaCalcScaleDownExcludeUnscheduledPods',
      5,
      makePods(5, (i) => (i === 0 ? {} : { phase: 'Pending', ready: false })),
      samples(0.1),
      50,
      1,
    ],
    [
      'TestReplicaCalcScaleDownIgnoreHotCpuPods',
      5,
      makePods(5, (i) => ({ hot: i >= 3 })),
      samples(0.1, 0.3, 0.5, 0.25, 0.25),
      50,
      2,
    ],
    [
      'TestReplicaCalcScaleDownIgnoresFailedPods',
      5,
      makePods(7, (i) => (i < 5 ? {} : { phase: 'Failed', ready: false })),
      samples(0.1, 0.3, 0.5, 0.25, 0.25),
      50,
      3,
    ],
    [
      'TestReplicaCalcScaleDownIgnoresDeletionPods',
      5,
      makePods(7, (i) => (i < 5 ? {} : { deleting: true, ready: false })),
      samples(0.1, 0.3, 0.5, 0.25, 0.25),
      50,
      3,
    ],
    ['TestReplicaCalcTolerance (equal requests)', 3, makePods(3), samples(1.01, 1.03, 1.02), 100, 3],
    ['TestReplicaCalcSuperfluousMetrics', 4, makePods(4), samples(4, 9.5, 3, 7, 3.2, 2), 100, 24],
    ['TestReplicaCalcMissingMetrics', 4, makePods(4), samples(0.4, 0.095), 100, 3],
    ['TestReplicaCalcMissingMetricsNoChangeEq', 2, makePods(2), samples(1), 100, 2],
    ['TestReplicaCalcMissingMetricsNoChangeGt', 2, makePods(2), samples(1.9), 100, 2],
    ['TestReplicaCalcMissingMetricsNoChangeLt', 2, makePods(2), samples(0.6), 100, 2],
    [
      'TestReplicaCalcMissingMetricsUnreadyChange',
      3,
      makePods(3, (i) => ({ ready: i !== 0 })),
      samples(0.1, 0.45),
      50,
      3,
    ],
    [
      'TestReplicaCalcMissingMetricsHotCpuNoChange',
      3,
      makePods(3, (i) => ({ hot: i === 0 })),
      samples(0.1, 0.45),
      50,
      3,
    ],
    [
      'TestReplicaCalcMissingMetricsUnreadyScaleUp',
      3,
      makePods(3, (i) => ({ ready: i !== 0 })),
      samples(0.1, 2),
      50,
      4,
    ],
    [
      'TestReplicaCalcMissingMetricsHotCpuScaleUp',
      3,
      makePods(3, (i) => ({ ready: i !== 0, hot: i === 0 })),
      samples(0.1, 2),
      50,
      4,
    ],
    [
      'TestReplicaCalcMissingMetricsUnreadyScaleDown',
      4,
      makePods(4, (i) => ({ ready: i !== 0 })),
      samples(0.1, 0.1, 0.1),
      50,
      3,
    ],
    [
      'TestReplicaCalcMissingMetricsScaleDownTargetOver100 (equal requests): missing pods count at 300 %',
      4,
      makePods(4, (i) => ({ ready: i !== 0 })),
      samples(0.2, 0.1, 0.1),
      300,
      2,
    ],
    ['TestReplicaCalcDuringRollingUpdateWithMaxSurge', 2, makePods(3), samples(0.1, 0.1), 50, 2],
  ])('%s → %d', (_upstream, current, pods, perPod, target, expected) => {
    expect(replicasOf(cpu(perPod, target), context(current, pods))).toBe(expected);
  });

  // Each pod uses 150m and requests 300m (50 %); the target sits just outside / inside the 10 % tolerance.
  it.each([
    ['just outside tolerance', 56, 9],
    ['just inside tolerance', 55, 10],
  ])('TestReplicaCalcComputedToleranceAlgImplementation, %s: target %d%% → %d', (_what, target, expected) => {
    const metric: MetricInput = { ...cpu(samples(...Array<number>(10).fill(0.15)), target), request: 0.3 };
    expect(replicasOf(metric, context(10, makePods(10)))).toBe(expected);
  });

  it('explains the fill-in that kept the replica count (TestReplicaCalcMissingMetricsUnreadyChange)', () => {
    const proposal = calculateMetricReplicas(
      cpu(samples(0.1, 0.45), 50),
      context(
        3,
        makePods(3, (i) => ({ ready: i !== 0 })),
      ),
    );
    expect(proposal).toMatchObject({ ok: true, replicas: 3 });
    expect(proposal.reason).toBe(
      'cpu-0: cpu at 45% of request (target 50%); 1 pod without a sample counted at 100%: ratio 0.9 → 1.44 reverses the direction → 3',
    );
  });
});

describe('Resource metrics, AverageValue target (upstream custom-metric cases on memory)', () => {
  it.each([
    ['TestReplicaCalcScaleUpCM', 3, makePods(3), samples(20, 10, 30), 15, 4],
    [
      'TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale (readiness rules are CPU-only)',
      3,
      makePods(3, (i) => ({ ready: i !== 2, hot: i === 2 })),
      samples(50, 10, 30),
      15,
      6,
    ],
    [
      'TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown',
      3,
      makePods(3, (i) => ({ ready: i === 1, hot: i !== 1 })),
      samples(50, 15, 30),
      15,
      7,
    ],
    ['TestReplicaCalcScaleDownCM', 5, makePods(5), samples(12, 12, 12, 12, 12), 20, 3],
    ['TestReplicaCalcToleranceCM', 3, makePods(3), samples(20, 21, 21), 20, 3],
    ['TestPlainMetricReplicaCalcMissingMetricsNoChangeEq', 5, makePods(5), samples(20, 19, 21), 20, 5],
    ['TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM', 2, makePods(3), samples(10, 10), 17, 2],
  ])('%s → %d', (_upstream, current, pods, perPod, target, expected) => {
    expect(replicasOf(memory(perPod, target), context(current, pods))).toBe(expected);
  });

  it('applies the CPU readiness rules to a CPU AverageValue target too (GetRawResourceReplicas)', () => {
    const metric: MetricInput = {
      kind: 'Resource',
      name: 'cpu-0',
      resource: 'cpu',
      target: { type: 'AverageValue', averageValue: 0.3 },
      request: 0,
      perPod: samples(0.3, 0.5, 0.7),
    };
    // Pod 0 is unready: ready pods average 0.6 cores = 2× target; pod 0 added back at 0 → 0.4 → ceil(1.33 × 3).
    expect(
      replicasOf(
        metric,
        context(
          3,
          makePods(3, (i) => ({ ready: i !== 0 })),
        ),
      ),
    ).toBe(4);
  });
});

describe('External metrics (upstream TestReplicaCalc*CMExternal*)', () => {
  it.each([
    [
      'TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods',
      3,
      makePods(3, (i) => ({ ready: i === 1 })),
      8.6,
      { value: 4.4 },
      2,
    ],
    ['TestReplicaCalcScaleDownCMExternal', 5, makePods(5), 8.6, { value: 14.334 }, 3],
    ['TestReplicaCalcToleranceCMExternal', 3, makePods(3), 8.6, { value: 8.888 }, 3],
    ['TestReplicaCalcScaleUpPerPodCMExternal', 3, makePods(3), 8.6, { averageValue: 2.15 }, 4],
    ['TestReplicaCalcScaleDownPerPodCMExternal', 5, makePods(5), 8.6, { averageValue: 2.867 }, 3],
    ['TestReplicaCalcTolerancePerPodCMExternal', 3, makePods(3), 8.6, { averageValue: 2.9 }, 3],
    ['a queue: 430 messages / 20 per replica', 3, makePods(3), 430, { averageValue: 20 }, 22],
    ['AverageValue ignores pods entirely', 3, [], 430, { averageValue: 20 }, 22],
    [
      'Value target counts only Running and Ready pods',
      4,
      makePods(4, (i) => (i === 3 ? { phase: 'Pending', ready: false } : {})),
      30,
      { value: 10 },
      9,
    ],
  ])('%s → %d', (_upstream, current, pods, value, target, expected) => {
    expect(replicasOf(external(value, target), context(current, pods))).toBe(expected);
  });

  it.each([
    ['Value target: ceil(ratio), no tolerance', 8.6, { value: 4.4 }, 2],
    ['Value target at 1.05× still scales (no tolerance at zero)', 1.05, { value: 1 }, 2],
    ['AverageValue target: ceil(value / per replica)', 430, { averageValue: 20 }, 22],
    ['an empty queue stays at zero', 0, { averageValue: 20 }, 0],
  ])('scale from zero, %s → %d', (_what, value, target, expected) => {
    expect(replicasOf(external(value, target), context(0, []))).toBe(expected);
  });

  it('reads like a sentence', () => {
    const proposal = calculateMetricReplicas(external(430, { averageValue: 20 }), context(3, makePods(3)));
    expect(proposal.reason).toBe('queue-0: 430 / 20 per replica → 22');
  });
});

describe('tolerance boundaries, External AverageValue at 10 replicas (1 per replica)', () => {
  it.each([
    ['default', TOLERANCE, 11, 10],
    ['default', TOLERANCE, 11.001, 12],
    ['default', TOLERANCE, 9, 10],
    ['default', TOLERANCE, 8.999, 9],
    ['up 5 % / down 30 %', { scaleUp: 0.05, scaleDown: 0.3 }, 10.5, 10],
    ['up 5 % / down 30 %', { scaleUp: 0.05, scaleDown: 0.3 }, 10.6, 11],
    ['up 5 % / down 30 %', { scaleUp: 0.05, scaleDown: 0.3 }, 7, 10],
    ['up 5 % / down 30 %', { scaleUp: 0.05, scaleDown: 0.3 }, 6.9, 7],
  ])('%s tolerance, value %d → %d', (_name, tolerances, value, expected) => {
    expect(replicasOf(external(value, { averageValue: 1 }), context(10, makePods(10), tolerances))).toBe(
      expected,
    );
  });

  it.each([
    ['scale-up side uses scaleUp tolerance', 110, 10],
    ['just above', 111, 12],
    ['scale-down side uses scaleDown tolerance', 80, 10],
    ['just below', 79, 8],
  ])(
    'per-direction on a Utilization target (up 10 %, down 20 %): %s (%d%%) → %d',
    (_what, percent, expected) => {
      const tolerances = { scaleUp: 0.1, scaleDown: 0.2 };
      const perPod = samples(...Array<number>(10).fill(percent / 100));
      expect(replicasOf(cpu(perPod, 100), context(10, makePods(10), tolerances))).toBe(expected);
    },
  );
});

describe('invalid metrics', () => {
  it.each([
    [
      'an External read that failed',
      external(undefined, { averageValue: 5 }),
      makePods(2),
      true,
      /could not be read/,
    ],
    [
      'an External value that is NaN',
      external(Number.NaN, { averageValue: 5 }),
      makePods(2),
      true,
      /not a finite number/,
    ],
    ['a Resource read that failed', cpu(undefined, 50), makePods(2), true, /could not be read/],
    ['a Resource metric with no pods', cpu({}, 50), [], false, /no pods/],
    [
      'no samples from ready pods (TestReplicaCalcEmptyMetrics)',
      cpu({}, 50),
      makePods(3),
      false,
      /no cpu samples/,
    ],
    [
      'samples only for unknown pods (TestReplicaCalcDisjointResourcesMetrics)',
      cpu({ 'an-older-pod-name': 1 }, 100),
      makePods(1),
      false,
      /no cpu samples/,
    ],
    [
      'a Utilization target without requests (TestReplicaCalcEmptyCPURequest)',
      { ...cpu(samples(0.2), 100), request: 0 },
      makePods(1),
      false,
      /no cpu request/,
    ],
    ['a Value target outside tolerance with no pods', external(100, { value: 10 }), [], false, /no pods/],
  ])('%s', (_what, metric, pods, readFailed, reason) => {
    const proposal = calculateMetricReplicas(metric, context(2, pods));
    expect(proposal).toMatchObject({ ok: false, readFailed });
    expect(proposal.reason).toMatch(reason);
  });

  it('uses the HPA defaults', () => {
    expect(HPA_DEFAULTS).toMatchObject({
      tolerance: 0.1,
      cpuInitializationPeriodSeconds: 300,
      initialReadinessDelaySeconds: 30,
    });
  });
});
