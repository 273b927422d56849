/**
 * Conditions, the status written to the BurstScaler, and the events emitted when conditions change.
 *
 * Pure: facts in, conditions/status/events out. Events are emitted only on a change against the previous
 * tick's conditions (kept in ScalerState), never every tick.
 */
import type { Action, Condition, ConditionType, ScalerState } from './types.ts';

/** Order conditions appear in status (stable, so status patches do not churn). */
export const CONDITION_ORDER = [
  'Ready',
  'Active',
  'Bursting',
  'Degraded',
  'BudgetExhausted',
  'Burstable',
  'Fallback',
] as const satisfies readonly ConditionType[];

/** For each type, the status that needs attention (emitted as a Warning when entered). */
const ABNORMAL: Record<ConditionType, Condition['status'] | undefined> = {
  Ready: 'False',
  Active: undefined,
  Bursting: undefined,
  Degraded: 'True',
  BudgetExhausted: 'True',
  Burstable: 'False',
  Fallback: 'True',
};

export function condition(
  type: ConditionType,
  status: Condition['status'],
  reason: string,
  message: string,
): Condition {
  return { type, status, reason, message };
}

/** Sorts conditions in {@link CONDITION_ORDER}. */
export function sortConditions(conditions: Condition[]): Condition[] {
  return [...conditions].sort((a, b) => CONDITION_ORDER.indexOf(a.type) - CONDITION_ORDER.indexOf(b.type));
}

/**
 * Events for conditions that changed (status or reason) since the previous tick: entering an abnormal
 * state is a Warning, leaving it (or any other change) is Normal. On the first tick only abnormal
 * conditions are announced. Bursting and Active changes are announced by the actions themselves.
 */
export function conditionEvents(
  previous: ScalerState['conditions'],
  current: Condition[],
): Extract<Action, { kind: 'Emit' }>[] {
  const events: Extract<Action, { kind: 'Emit' }>[] = [];
  for (const c of current) {
    if (c.type === 'Bursting' || c.type === 'Active') continue;
    const before = previous?.find((p) => p.type === c.type);
    const abnormal = ABNORMAL[c.type] === c.status;
    if (before === undefined) {
      if (abnormal) events.push({ kind: 'Emit', type: 'Warning', reason: c.reason, message: c.message });
      continue;
    }
    if (before.status === c.status && before.reason === c.reason) continue;
    events.push({
      kind: 'Emit',
      type: abnormal ? 'Warning' : 'Normal',
      reason: c.reason,
      message: c.message,
    });
  }
  return events;
}

/** What the state keeps of conditions. */
export function rememberConditions(conditions: Condition[]): NonNullable<ScalerState['conditions']> {
  return conditions.map(({ type, status, reason }) => ({ type, status, reason }));
}
