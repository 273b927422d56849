/**
 * `pending-pods`: target pods the scheduler could not place for longer than a grace period — demand the
 * cluster is not serving. Counts pods that are Pending, not being deleted, and marked Unschedulable
 * (PodScheduled=False, reason Unschedulable) for at least `graceSeconds` (metadata, default 20).
 * The controller builds this trigger from `spec.pendingPods`; pods come from the context.
 */
import type { PodInfo, TriggerPolicy } from '../core/types.ts';
import type { SignalContext, SignalSource, SignalValue } from '../ports.ts';
import { SignalReadError } from './errors.ts';
import { Metadata } from './metadata.ts';

/** @default 20 */
export const DEFAULT_PENDING_GRACE_SECONDS = 20;

/** Pods unschedulable for at least `graceSeconds` at `now` (pure). */
export function unservedPods(pods: readonly PodInfo[], graceSeconds: number, now: number): PodInfo[] {
  const cutoff = now - graceSeconds * 1000;
  return pods.filter(
    (pod) =>
      pod.phase === 'Pending' &&
      !pod.deleting &&
      pod.unschedulable !== undefined &&
      pod.unschedulable.since <= cutoff,
  );
}

const graceOf = (trigger: TriggerPolicy): number =>
  new Metadata(trigger).number('graceSeconds', { min: 0, fallback: DEFAULT_PENDING_GRACE_SECONDS });

export class PendingPodsSource implements SignalSource {
  readonly type = 'pending-pods' as const;
  readonly caching = 'none' as const;

  validate(trigger: TriggerPolicy): void {
    graceOf(trigger);
  }

  read(trigger: TriggerPolicy, context: SignalContext): Promise<SignalValue> {
    const grace = graceOf(trigger);
    if (!context.pods) {
      return Promise.reject(
        new SignalReadError(trigger, 'target pods', 'not-found', "the target's pods are not known"),
      );
    }
    return Promise.resolve({ value: unservedPods(context.pods, grace, context.now).length });
  }
}
