/**
 * `cron`: KEDA's cron scaler. Metadata `timezone`, `start`, `end` (cron expressions, node-cron syntax)
 * and `desiredReplicas`. Reads `desiredReplicas` while the window is open (the latest start fire is later
 * than the latest end fire), else 0. The same windows are also available as replica floors
 * (cronTriggerFloors in schedule.ts).
 */
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalContext, SignalSource, SignalValue } from '../ports.ts';
import { cronWindowOpen, parseCronTrigger } from './schedule.ts';

export class CronSource implements SignalSource {
  readonly type = 'cron' as const;
  /** Depends only on the time: computed per call, never cached (a cached value could open a window late). */
  readonly caching = 'none' as const;

  validate(trigger: TriggerPolicy): void {
    parseCronTrigger(trigger);
  }

  read(trigger: TriggerPolicy, context: SignalContext): Promise<SignalValue> {
    const window = parseCronTrigger(trigger);
    const { open } = cronWindowOpen(window, context.now);
    return Promise.resolve({ value: open ? window.desiredReplicas : 0 });
  }
}
