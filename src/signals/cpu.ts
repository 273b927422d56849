/**
 * `cpu`: per-pod cpu usage from metrics.k8s.io (`PodInfo.usage.cpu`, read by the cluster adapter), as an
 * autoscaling/v2 Resource metric: `perPod` feeds the HPA-compatible calculator, `value` is the mean.
 */
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalContext, SignalSource, SignalValue } from '../ports.ts';
import { readUsage, validateResourceTrigger } from './resource-metrics.ts';

export class CpuSource implements SignalSource {
  readonly type = 'cpu' as const;
  readonly caching = 'none' as const;

  validate(trigger: TriggerPolicy): void {
    validateResourceTrigger(trigger);
  }

  read(trigger: TriggerPolicy, context: SignalContext): Promise<SignalValue> {
    return readUsage(trigger, context, 'cpu');
  }
}
