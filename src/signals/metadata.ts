/**
 * Pure readers for trigger metadata (KEDA convention: every value is a string). Each accessor throws a
 * SignalConfigError naming the trigger and the field, and saying what is allowed.
 */
import type { TriggerPolicy } from '../core/types.ts';
import { SignalConfigError } from './errors.ts';

/** Typed access to one trigger's metadata. */
export class Metadata {
  readonly #trigger: TriggerPolicy;

  constructor(trigger: TriggerPolicy) {
    this.#trigger = trigger;
  }

  /** A SignalConfigError about `metadata.<field>`. */
  error(field: string, problem: string): SignalConfigError {
    return SignalConfigError.forField(this.#trigger, `metadata.${field}`, problem);
  }

  /** The raw value, trimmed; undefined when absent or blank. */
  optional(field: string): string | undefined {
    const raw = this.#trigger.metadata[field];
    if (raw === undefined) return undefined;
    const value = raw.trim();
    return value === '' ? undefined : value;
  }

  required(field: string, hint?: string): string {
    const value = this.optional(field);
    if (value === undefined) throw this.error(field, hint ? `required (${hint})` : 'required');
    return value;
  }

  /** A finite number, optionally bounded; `fallback` when absent. */
  number(
    field: string,
    options: { min?: number; exclusiveMin?: number; integer?: boolean; fallback: number },
  ): number;
  number(
    field: string,
    options?: { min?: number; exclusiveMin?: number; integer?: boolean },
  ): number | undefined;
  number(
    field: string,
    options: { min?: number; exclusiveMin?: number; integer?: boolean; fallback?: number } = {},
  ): number | undefined {
    const raw = this.optional(field);
    if (raw === undefined) return options.fallback;
    const value = Number(raw);
    const what = options.integer ? 'an integer' : 'a number';
    if (!Number.isFinite(value) || (options.integer && !Number.isInteger(value))) {
      throw this.error(field, `must be ${what}, got ${JSON.stringify(raw)}`);
    }
    if (options.min !== undefined && value < options.min) {
      throw this.error(field, `must be ${what} ≥ ${options.min}, got ${raw}`);
    }
    if (options.exclusiveMin !== undefined && value <= options.exclusiveMin) {
      throw this.error(field, `must be ${what} > ${options.exclusiveMin}, got ${raw}`);
    }
    return value;
  }

  /** "true" or "false" (case-insensitive); `fallback` when absent. */
  boolean(field: string, fallback: boolean): boolean {
    const raw = this.optional(field);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw this.error(field, `must be "true" or "false", got ${JSON.stringify(raw)}`);
  }

  /** One of `allowed` (exact spelling, as KEDA documents it); `fallback` when absent. */
  oneOf<T extends string>(field: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(field);
    if (raw === undefined) return fallback;
    const match = allowed.find((a) => a === raw);
    if (match === undefined) {
      throw this.error(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
    }
    return match;
  }

  /** An absolute http(s) URL without user info (credentials belong in a Secret). */
  httpUrl(field: string, value: string): URL {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw this.error(field, 'must be an absolute http:// or https:// URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw this.error(field, `must be an http:// or https:// URL, got ${url.protocol}//`);
    }
    if (url.username || url.password) {
      throw this.error(field, 'must not contain credentials: put them in the Secret of authenticationRef');
    }
    return url;
  }

  /** `k1=v1,k2=v2` pairs (KEDA's customHeaders and queryParameters format). */
  pairs(field: string): Record<string, string> {
    const raw = this.optional(field);
    const out: Record<string, string> = {};
    if (raw === undefined) return out;
    for (const part of raw.split(',')) {
      const at = part.indexOf('=');
      const key = at > 0 ? part.slice(0, at).trim() : '';
      if (!key)
        throw this.error(field, `must be a comma-separated list of key=value, got ${JSON.stringify(part)}`);
      out[key] = part.slice(at + 1).trim();
    }
    return out;
  }
}

/** Throws unless the trigger's authenticationRef, if any, is of an allowed kind. */
export function checkAuthKind(
  trigger: TriggerPolicy,
  allowed: readonly ('Secret' | 'WorkloadIdentity')[],
): void {
  const ref = trigger.authenticationRef;
  if (!ref) return;
  const kind = ref.kind ?? 'Secret';
  if (!allowed.includes(kind)) {
    throw SignalConfigError.forField(
      trigger,
      'authenticationRef.kind',
      `${kind} is not supported by ${trigger.type}; use ${allowed.join(' or ')}`,
    );
  }
  if (!ref.name.trim()) throw SignalConfigError.forField(trigger, 'authenticationRef.name', 'required');
}
