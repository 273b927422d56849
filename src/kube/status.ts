/**
 * The BurstScaler status body written through the status subresource. Conditions follow
 * metav1.Condition: `lastTransitionTime` moves only when a condition's status changes. The generation is
 * carried once, in `status.observedGeneration` (the CRD's condition schema has no per-condition
 * observedGeneration, and the API server would prune it).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Condition, ScalerStatus } from '../core/types.ts';
import { InvalidRequestError } from './errors.ts';

/** A condition as stored. */
export interface ConditionBody extends Condition {
  /** RFC 3339, seconds precision. */
  lastTransitionTime: string;
}

export interface StatusBody extends Omit<ScalerStatus, 'conditions'> {
  conditions: ConditionBody[];
}

/** metav1.Condition's reason pattern. */
const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const MESSAGE_MAX = 32768;

/** RFC 3339 at seconds precision, as metav1.Time serializes. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function checkCount(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0)
    throw new InvalidRequestError(`status.${field}`, `must be a whole number ≥ 0, got ${value}`);
}

function previousConditions(
  current: unknown,
): { type?: unknown; status?: unknown; lastTransitionTime?: unknown }[] {
  if (typeof current !== 'object' || current === null) return [];
  const conditions = (current as { conditions?: unknown }).conditions;
  return Array.isArray(conditions) ? (conditions as { type?: unknown }[]) : [];
}

/**
 * Builds the status to write from the controller's status and the one currently stored (`current`, as
 * read from the cache; anything). Validates what the API would reject, naming the field.
 * @throws InvalidRequestError
 */
export function statusBody(status: ScalerStatus, current: unknown, now: number): StatusBody {
  checkCount(status.observedGeneration, 'observedGeneration');
  checkCount(status.desiredReplicas, 'desiredReplicas');
  checkCount(status.vmReplicas, 'vmReplicas');
  checkCount(status.aciReplicas, 'aciReplicas');
  checkCount(status.pendingReplicas, 'pendingReplicas');
  if (!Number.isFinite(status.costUSDPerHour) || status.costUSDPerHour < 0)
    throw new InvalidRequestError(
      'status.costUSDPerHour',
      `must be a finite number ≥ 0, got ${status.costUSDPerHour}`,
    );

  const previous = previousConditions(current);
  const seen = new Set<string>();
  const conditions = status.conditions.map((condition, i): ConditionBody => {
    const field = `status.conditions[${i}]`;
    if (seen.has(condition.type))
      throw new InvalidRequestError(`${field}.type`, `${condition.type} appears twice`);
    seen.add(condition.type);
    if (!REASON.test(condition.reason))
      throw new InvalidRequestError(
        `${field}.reason`,
        `"${condition.reason}" must be CamelCase: a letter, then letters, digits, _ , or : (e.g. QuotaExceeded)`,
      );
    const before = previous.find((p) => p.type === condition.type);
    const keep =
      before !== undefined &&
      before.status === condition.status &&
      typeof before.lastTransitionTime === 'string';
    return {
      type: condition.type,
      status: condition.status,
      reason: condition.reason,
      message:
        condition.message.length > MESSAGE_MAX ? condition.message.slice(0, MESSAGE_MAX) : condition.message,
      lastTransitionTime: keep ? (before.lastTransitionTime as string) : rfc3339(now),
    };
  });
  return { ...status, conditions };
}

/** True when every field of `body` already has this value in `current` (a merge patch would change nothing). */
export function statusUnchanged(body: StatusBody, current: unknown): boolean {
  if (typeof current !== 'object' || current === null) return false;
  const stored = current as Record<string, unknown>;
  return Object.entries(body).every(([key, value]) => isDeepStrictEqual(stored[key], value));
}
