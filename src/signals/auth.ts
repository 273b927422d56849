/**
 * Credentials of a trigger, from its `authenticationRef` (like KEDA's TriggerAuthentication):
 * a Secret in the scaler's namespace whose keys the source documents (`connection`, `password`,
 * `host`, ...), or workload identity for Azure sources. Values are never logged or put in errors.
 */
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalContext } from '../ports.ts';
import { SignalReadError, safeMessage } from './errors.ts';

/** Secret values referenced by the trigger; empty when it has no Secret reference. */
export interface Credentials {
  /** Values by key. */
  values: Record<string, string>;
  /** True when authenticationRef asks for workload identity. */
  workloadIdentity: boolean;
  /** Every value, for redaction of messages. */
  secrets: string[];
}

/**
 * Resolves the trigger's authenticationRef through `context.values`. A Secret that cannot be read is an
 * `auth` failure naming the Secret (never its content).
 */
export async function resolveCredentials(
  trigger: TriggerPolicy,
  context: SignalContext,
): Promise<Credentials> {
  const ref = trigger.authenticationRef;
  if (!ref) return { values: {}, workloadIdentity: false, secrets: [] };
  if (ref.kind === 'WorkloadIdentity') return { values: {}, workloadIdentity: true, secrets: [] };
  const where = `Secret ${context.scaler.namespace}/${ref.name}`;
  let values: Record<string, string>;
  try {
    values = await context.values.secret(context.scaler.namespace, ref.name);
  } catch (error) {
    throw new SignalReadError(trigger, where, 'auth', `cannot read the Secret: ${safeMessage(error)}`, {
      cause: error,
    });
  }
  return { values, workloadIdentity: false, secrets: Object.values(values) };
}

/** A required Secret key, or an `auth` failure naming the Secret and the key. */
export function requireKey(
  trigger: TriggerPolicy,
  context: SignalContext,
  credentials: Credentials,
  key: string,
): string {
  const value = credentials.values[key];
  if (value === undefined || value === '') {
    const ref = trigger.authenticationRef?.name ?? '(none)';
    throw new SignalReadError(
      trigger,
      `Secret ${context.scaler.namespace}/${ref}`,
      'auth',
      `the Secret has no key "${key}"`,
    );
  }
  return value;
}
