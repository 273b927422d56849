/** Classification of Azure SDK failures (RestError, identity errors) shared by the Azure sources. */
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalReadError, SignalReadErrorKind } from './errors.ts';
import { toReadError } from './errors.ts';

interface AzureErrorLike {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
}

/** The kind of an Azure SDK error: status 401/403 and credential failures → auth, 404 → not-found. */
export function azureErrorKind(error: unknown): SignalReadErrorKind {
  const e = (error ?? {}) as AzureErrorLike;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  if (e.statusCode === 401 || e.statusCode === 403) return 'auth';
  if (e.statusCode === 404 || /NotFound/.test(code)) return 'not-found';
  if (/Credential|Authentication/.test(name) || /Unauthorized|AuthenticationFailed/.test(code)) return 'auth';
  return 'bad-response';
}

export function azureReadError(
  trigger: TriggerPolicy,
  what: string,
  error: unknown,
  signal: AbortSignal,
  secrets: readonly string[],
): SignalReadError {
  return toReadError(trigger, what, error, { signal, secrets, fallbackKind: azureErrorKind(error) });
}
