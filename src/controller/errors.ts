/**
 * Turning errors from the ports into what people read: a CamelCase reason for conditions and events,
 * and a secret-free message.
 */
import { scrubSecrets } from '../telemetry/logger.ts';

const CAMEL = /^[A-Z][A-Za-z0-9]+$/;

/**
 * A readable reason and message for any thrown value. The reason is the error's own `reason` or `code`
 * when it is CamelCase (e.g. `QuotaExceeded` from the burst provider's typed errors), else its class
 * name without the `Error` suffix (`SpecValidationError` → `SpecValidation`), else `fallbackReason`.
 */
export function describeError(error: unknown, fallbackReason = 'Error'): { reason: string; message: string } {
  const fields = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const message = scrubSecrets(error instanceof Error ? error.message : String(error));
  for (const candidate of [fields.reason, fields.code]) {
    if (typeof candidate === 'string' && CAMEL.test(candidate)) return { reason: candidate, message };
  }
  const name = error instanceof Error ? error.name.replace(/Error$/, '') : '';
  return { reason: CAMEL.test(name) ? name : fallbackReason, message };
}

/** `cause` as an Error (wrapping non-Error throws), for typed errors that carry it. */
export function asError(cause: unknown): Error {
  return cause instanceof Error ? cause : new Error(String(cause));
}

/** A tick that could not observe the world (a port call failed); it is retried with backoff. */
export class TickError extends Error {
  override readonly name = 'TickError';
  readonly scaler: string;
  constructor(scaler: string, step: string, cause: unknown) {
    super(`ticking BurstScaler ${scaler}: ${step}: ${describeError(cause).message}`, { cause });
    this.scaler = scaler;
  }
}
