/**
 * The HPA's replica calculator (kubernetes pkg/controller/podautoscaler/replica_calculator.go), one metric
 * at a time: how many replicas this metric alone asks for. Pure; time is an argument.
 *
 * Arithmetic follows the controller, including its integer steps: usage and targets are converted to
 * integer "milli" units first (millicores for CPU, bytes for memory, thousandths for external values) and
 * utilization is truncated to a whole percent, so the boundary cases of the upstream tests come out the same.
 */
import type { MetricInput, PodInfo } from './types.ts';

/** The HPA controller's defaults (kube-controller-manager flags), used where the input does not say. */
export const HPA_DEFAULTS = {
  /** `--horizontal-pod-autoscaler-tolerance`. */
  tolerance: 0.1,
  /** `--horizontal-pod-autoscaler-cpu-initialization-period`: 5 minutes. */
  cpuInitializationPeriodSeconds: 300,
  /** `--horizontal-pod-autoscaler-initial-readiness-delay`: 30 seconds. */
  initialReadinessDelaySeconds: 30,
  /** Window assumed for a metrics-server sample when the metric does not say (metrics-server resolution). */
  metricWindowSeconds: 15,
} as const;

/** Relative tolerance per direction: no change while `1 − scaleDown ≤ ratio ≤ 1 + scaleUp`. */
export interface Tolerances {
  scaleUp: number;
  scaleDown: number;
}

/** The HPA's `Tolerances.isWithin`: true when the usage ratio is too close to 1 to act on. */
export function isWithinTolerance(usageRatio: number, tolerances: Tolerances): boolean {
  return 1 - tolerances.scaleDown <= usageRatio && usageRatio <= 1 + tolerances.scaleUp;
}

/** Timing knobs of the CPU readiness rules (controller flags in Kubernetes). */
export interface ReadinessOptions {
  cpuInitializationPeriodSeconds: number;
  initialReadinessDelaySeconds: number;
}

/** How the HPA sorts a workload's pods for one per-pod metric (upstream `groupPods`). */
export interface PodGroups {
  /** Counted with their sample. */
  ready: string[];
  /** Pending, or (CPU only) not ready / still initializing: left out, counted at 0 on a scale-up. */
  unready: string[];
  /** Running but without a sample: filled in depending on the direction. */
  missing: string[];
  /** Being deleted, or Failed: left out entirely. */
  ignored: string[];
}

/** When a sample was taken and over which window, for the CPU initialization rule. */
export interface SampleTiming {
  sampledAt: number;
  windowSeconds: number;
}

/**
 * Sorts pods as the HPA does. Deleting and Failed pods are ignored; Pending pods are unready; pods without a
 * sample are missing. For CPU only, a pod still in its initialization period is unready unless it is Ready
 * and its sample covers a full window after it became Ready; after that period, a not-Ready pod is unready
 * only when its last readiness change happened within the initial readiness delay (it never became Ready).
 */
export function groupPods(
  pods: readonly PodInfo[],
  sampled: ReadonlySet<string>,
  resource: 'cpu' | 'memory' | undefined,
  now: number,
  timing: SampleTiming,
  options: ReadinessOptions = HPA_DEFAULTS,
): PodGroups {
  const groups: PodGroups = { ready: [], unready: [], missing: [], ignored: [] };
  for (const pod of pods) {
    if (pod.deleting || pod.phase === 'Failed') {
      groups.ignored.push(pod.name);
      continue;
    }
    if (pod.phase === 'Pending') {
      groups.unready.push(pod.name);
      continue;
    }
    if (!sampled.has(pod.name)) {
      groups.missing.push(pod.name);
      continue;
    }
    if (resource === 'cpu' && cpuSampleUnready(pod, now, timing, options)) {
      groups.unready.push(pod.name);
      continue;
    }
    groups.ready.push(pod.name);
  }
  return groups;
}

function cpuSampleUnready(
  pod: PodInfo,
  now: number,
  timing: SampleTiming,
  options: ReadinessOptions,
): boolean {
  const lastTransition = pod.readyChangedAt ?? pod.readyAt ?? pod.createdAt;
  if (pod.createdAt + options.cpuInitializationPeriodSeconds * 1000 > now) {
    // Still initializing: CPU bursts at start-up; trust only a full window sampled after becoming Ready.
    return !pod.ready || timing.sampledAt < lastTransition + timing.windowSeconds * 1000;
  }
  // Unready and its readiness last changed right at start-up: it has never been Ready.
  return !pod.ready && pod.createdAt + options.initialReadinessDelaySeconds * 1000 > lastTransition;
}

/** What one metric asks for, or why it cannot say. */
export type MetricProposal =
  | { name: string; ok: true; replicas: number; reason: string }
  | {
      name: string;
      ok: false;
      /** The read itself failed this tick (counts toward the fallback threshold). */
      readFailed: boolean;
      reason: string;
    };

/** Everything besides the metric that the calculator looks at. */
export interface CalculatorContext {
  now: number;
  currentReplicas: number;
  pods: readonly PodInfo[];
  tolerances: Tolerances;
  readiness?: ReadinessOptions;
}

const GIB = 1024 ** 3;

/** A number for people: at most two decimals, no trailing zeros. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Math.round(value * 100) / 100);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The HPA's `int32(math.Ceil(x))`, never negative and never -0. */
function ceilReplicas(value: number): number {
  return Math.max(0, Math.ceil(value));
}

/**
 * The replicas one metric asks for, per the HPA's replica calculator: External metrics with Value
 * (`GetExternalMetricReplicas`) or AverageValue (`GetExternalPerPodMetricReplicas`) targets, Resource metrics
 * with Utilization (`GetResourceReplicas`) or AverageValue (`GetRawResourceReplicas`) targets.
 */
export function calculateMetricReplicas(metric: MetricInput, context: CalculatorContext): MetricProposal {
  return metric.kind === 'External' ? externalReplicas(metric, context) : resourceReplicas(metric, context);
}

type ExternalMetric = Extract<MetricInput, { kind: 'External' }>;
type ResourceMetric = Extract<MetricInput, { kind: 'Resource' }>;

function failed(name: string, readFailed: boolean, why: string): MetricProposal {
  return { name, ok: false, readFailed, reason: `${name}: ${why}` };
}

function externalReplicas(metric: ExternalMetric, context: CalculatorContext): MetricProposal {
  const { name, value, target } = metric;
  const { currentReplicas, tolerances } = context;
  if (value === undefined) return failed(name, true, 'could not be read this tick');
  if (!Number.isFinite(value)) return failed(name, true, `read ${value}, which is not a finite number`);
  const usage = Math.round(value * 1000);
  const shown = formatNumber(value);

  if (target.type === 'AverageValue') {
    const perReplica = Math.round(target.averageValue * 1000);
    const needed = ceilReplicas(usage / perReplica);
    const per = `${shown} / ${formatNumber(target.averageValue)} per replica`;
    if (currentReplicas === 0) {
      return {
        name,
        ok: true,
        replicas: needed,
        reason: `${name}: ${per} → ${needed} (from zero, no tolerance)`,
      };
    }
    const ratio = usage / (perReplica * currentReplicas);
    if (isWithinTolerance(ratio, tolerances)) {
      const reason = `${name}: ${per} = ${formatNumber(usage / perReplica)}, within tolerance of ${currentReplicas} → ${currentReplicas}`;
      return { name, ok: true, replicas: currentReplicas, reason };
    }
    return { name, ok: true, replicas: needed, reason: `${name}: ${per} → ${needed}` };
  }

  const ratio = usage / Math.round(target.value * 1000);
  const of = `${shown} / target ${formatNumber(target.value)} = ${formatNumber(ratio)}×`;
  if (currentReplicas === 0) {
    const replicas = ceilReplicas(ratio);
    return { name, ok: true, replicas, reason: `${name}: ${of} → ${replicas} (from zero, no tolerance)` };
  }
  if (isWithinTolerance(ratio, tolerances)) {
    return {
      name,
      ok: true,
      replicas: currentReplicas,
      reason: `${name}: ${of}, within tolerance → ${currentReplicas}`,
    };
  }
  if (context.pods.length === 0)
    return failed(name, false, 'no pods of the target to scale a Value target by');
  const readyPods = context.pods.filter((pod) => pod.phase === 'Running' && pod.ready).length;
  const replicas = ceilReplicas(ratio * readyPods);
  return {
    name,
    ok: true,
    replicas,
    reason: `${name}: ${of} ${plural(readyPods, 'ready pod')} → ${replicas}`,
  };
}

/** Integer units the HPA computes in: millicores for CPU; bytes for memory (its milli-bytes, ÷1000). */
function toUnits(resource: 'cpu' | 'memory', amount: number): number {
  return resource === 'cpu' ? Math.round(amount * 1000) : Math.round(amount * GIB);
}

function resourceReplicas(metric: ResourceMetric, context: CalculatorContext): MetricProposal {
  const { name, resource, target, perPod } = metric;
  const { now, currentReplicas, pods, tolerances } = context;
  if (perPod === undefined) return failed(name, true, `${resource} usage could not be read this tick`);
  if (target.type === 'Value') {
    return failed(name, false, 'a Resource metric takes a Utilization or AverageValue target, not Value');
  }
  if (pods.length === 0) return failed(name, false, 'no pods of the target to read usage from');

  const known = new Set(pods.map((pod) => pod.name));
  const usage = new Map<string, number>();
  for (const [pod, amount] of Object.entries(perPod)) {
    if (!known.has(pod)) continue;
    if (!Number.isFinite(amount)) return failed(name, true, `pod ${pod} reported ${amount}, not a number`);
    usage.set(pod, toUnits(resource, amount));
  }
  const timing = {
    sampledAt: metric.sampledAt ?? now,
    windowSeconds: metric.windowSeconds ?? HPA_DEFAULTS.metricWindowSeconds,
  };
  const groups = groupPods(pods, new Set(usage.keys()), resource, now, timing, context.readiness);
  for (const pod of [...groups.ignored, ...groups.unready]) usage.delete(pod);
  if (usage.size === 0) {
    return failed(
      name,
      false,
      `no ${resource} samples from ready pods (${plural(pods.length, 'pod')} listed)`,
    );
  }

  let ratioOf: (samples: ReadonlyMap<string, number>) => number;
  let level: (samples: ReadonlyMap<string, number>) => string;
  let missingFill: number;
  let missingFillText: string;
  if (target.type === 'Utilization') {
    const request = toUnits(resource, metric.request);
    if (!(request > 0)) {
      return failed(name, false, `pods have no ${resource} request; a Utilization target needs one`);
    }
    const utilization = (samples: ReadonlyMap<string, number>): number =>
      Math.trunc((sum(samples) * 100) / (request * samples.size));
    ratioOf = (samples) => utilization(samples) / target.averageUtilization;
    level = (samples) =>
      `${resource} at ${utilization(samples)}% of request (target ${target.averageUtilization}%)`;
    const fallbackUtilization = Math.max(100, target.averageUtilization);
    missingFill = Math.trunc((request * fallbackUtilization) / 100);
    missingFillText = `${fallbackUtilization}%`;
  } else {
    const perPodTarget = toUnits(resource, target.averageValue);
    const unit = resource === 'cpu' ? 'cores' : 'GiB';
    const average = (samples: ReadonlyMap<string, number>): number => Math.trunc(sum(samples) / samples.size);
    ratioOf = (samples) => average(samples) / perPodTarget;
    level = (samples) =>
      `${resource} averaging ${formatNumber(average(samples) / (resource === 'cpu' ? 1000 : GIB))} ${unit} per pod (target ${formatNumber(target.averageValue)})`;
    missingFill = perPodTarget;
    missingFillText = 'the target';
  }

  const readyCount = usage.size;
  const firstRatio = ratioOf(usage);
  const scaleUpWithUnready = groups.unready.length > 0 && firstRatio > 1;
  if (!scaleUpWithUnready && groups.missing.length === 0) {
    if (isWithinTolerance(firstRatio, tolerances)) {
      return {
        name,
        ok: true,
        replicas: currentReplicas,
        reason: `${name}: ${level(usage)}, within tolerance → ${currentReplicas}`,
      };
    }
    const replicas = ceilReplicas(firstRatio * readyCount);
    return {
      name,
      ok: true,
      replicas,
      reason: `${name}: ${level(usage)} on ${plural(readyCount, 'pod')} → ${replicas}`,
    };
  }

  const notes: string[] = [];
  if (groups.missing.length > 0) {
    if (firstRatio < 1) {
      for (const pod of groups.missing) usage.set(pod, missingFill);
      notes.push(`${plural(groups.missing.length, 'pod')} without a sample counted at ${missingFillText}`);
    } else if (firstRatio > 1) {
      for (const pod of groups.missing) usage.set(pod, 0);
      notes.push(`${plural(groups.missing.length, 'pod')} without a sample counted at 0`);
    }
  }
  if (scaleUpWithUnready) {
    for (const pod of groups.unready) usage.set(pod, 0);
    notes.push(`${plural(groups.unready.length, 'unready pod')} counted at 0`);
  }
  const newRatio = ratioOf(usage);
  const ready = new Set(groups.ready);
  const first = `${name}: ${level(new Map([...usage].filter(([pod]) => ready.has(pod))))}`;
  const adjusted = `${notes.join(', ')}: ratio ${formatNumber(firstRatio)} → ${formatNumber(newRatio)}`;
  if (isWithinTolerance(newRatio, tolerances)) {
    return {
      name,
      ok: true,
      replicas: currentReplicas,
      reason: `${first}; ${adjusted}, within tolerance → ${currentReplicas}`,
    };
  }
  if ((firstRatio < 1 && newRatio > 1) || (firstRatio > 1 && newRatio < 1)) {
    return {
      name,
      ok: true,
      replicas: currentReplicas,
      reason: `${first}; ${adjusted} reverses the direction → ${currentReplicas}`,
    };
  }
  const replicas = ceilReplicas(newRatio * usage.size);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) {
    return {
      name,
      ok: true,
      replicas: currentReplicas,
      reason: `${first}; ${adjusted} would move against the ratio (${replicas}) → ${currentReplicas}`,
    };
  }
  return {
    name,
    ok: true,
    replicas,
    reason: `${first}; ${adjusted} on ${plural(usage.size, 'pod')} → ${replicas}`,
  };
}

function sum(samples: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const amount of samples.values()) total += amount;
  return total;
}
