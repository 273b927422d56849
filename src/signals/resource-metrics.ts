/**
 * Per-pod resource usage (metrics.k8s.io, read by the cluster adapter into `PodInfo.usage`) for the
 * `cpu` and `memory` sources. The HPA-compatible calculator in src/core applies the readiness, missing
 * and unready-pod rules to `perPod`; `value` is the mean over the pods that have a sample.
 */
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalContext, SignalValue } from '../ports.ts';
import { SignalConfigError, SignalReadError } from './errors.ts';

export function readUsage(
  trigger: TriggerPolicy,
  context: SignalContext,
  resource: 'cpu' | 'memoryGiB',
): Promise<SignalValue> {
  const label = resource === 'cpu' ? 'cpu' : 'memory';
  if (!context.pods) {
    return Promise.reject(
      new SignalReadError(trigger, `${label} usage`, 'not-found', "the target's pods are not known"),
    );
  }
  const perPod: Record<string, number> = {};
  let sum = 0;
  let count = 0;
  for (const pod of context.pods) {
    const value = pod.usage?.[resource];
    if (value === undefined || !Number.isFinite(value)) continue;
    perPod[pod.name] = value;
    sum += value;
    count += 1;
  }
  if (count === 0) {
    return Promise.reject(
      new SignalReadError(
        trigger,
        `${label} usage`,
        'not-found',
        `metrics.k8s.io has no ${label} usage for any of the ${context.pods.length} target pods (is metrics-server running?)`,
      ),
    );
  }
  return Promise.resolve({ value: sum / count, perPod });
}

/**
 * cpu and memory triggers are autoscaling/v2 Resource metrics: their target is Utilization or AverageValue
 * (a Value target is not allowed, as in the HPA), and usage is per pod (no per-container selection).
 */
export function validateResourceTrigger(trigger: TriggerPolicy): void {
  if (trigger.target.type === 'Value') {
    throw SignalConfigError.forField(
      trigger,
      'target.type',
      `${trigger.type} triggers take Utilization or AverageValue targets, not Value`,
    );
  }
  if (trigger.metadata.containerName !== undefined) {
    throw SignalConfigError.forField(
      trigger,
      'metadata.containerName',
      'not supported: usage is summed over the containers of each pod',
    );
  }
}
