/**
 * Typed ACI errors, and the one place that maps what the Azure SDK throws onto them.
 *
 * The SDK throws two shapes: `RestError` (HTTP status, ARM error code, headers) for a rejected request,
 * and — when a long-running operation ends `Failed` — a plain `Error` whose message carries the code
 * ("The long-running operation has failed. InaccessibleImage. The image …"). Both become one of the
 * classes below, with a message a person can act on and a `reason` a condition can carry.
 *
 * Causes are sanitized copies (code, status, message): a `RestError` holds the request, whose body may
 * contain secure environment values, so it is never attached or logged.
 */
import { isRestError } from '@azure/core-rest-pipeline';

/** What kind of failure, which decides what the caller does next. */
export type AciErrorKind =
  | 'quota'
  | 'capacity'
  | 'image-inaccessible'
  | 'invalid-spec'
  | 'throttled'
  | 'transient'
  | 'configuration'
  | 'not-owned'
  | 'name-conflict'
  | 'value-unresolvable'
  | 'regions-exhausted';

/** Where an error happened: operation, group and region (any may be unknown). */
export interface AciErrorContext {
  /** Verb for the message: "creating", "deleting", "tagging", "reading", "listing". */
  operation: string;
  groupName?: string;
  region?: string;
  priority?: 'Regular' | 'Spot';
}

/** A sanitized copy of an Azure failure (no request, no headers), used as `cause`. */
export class AzureFailure extends Error {
  override name = 'AzureFailure';
  readonly code: string;
  readonly statusCode: number | undefined;
  constructor(code: string, statusCode: number | undefined, message: string) {
    super(message);
    this.code = code;
    this.statusCode = statusCode;
  }
}

interface AciErrorInit {
  /** ARM/ACI error code (e.g. ContainerGroupQuotaReached), or a Spillway code for local failures. */
  code: string;
  context: AciErrorContext;
  statusCode?: number;
  cause?: unknown;
}

/** Base class of every ACI adapter error. */
export abstract class AciError extends Error {
  abstract readonly kind: AciErrorKind;
  /** CamelCase reason for a Kubernetes condition or event (e.g. QuotaExceeded). */
  abstract readonly reason: string;
  /** True when another region (or Spot → Regular) may succeed where this one failed. */
  get failover(): boolean {
    return false;
  }
  /** True when the same request may succeed later. */
  get retryable(): boolean {
    return false;
  }
  readonly code: string;
  readonly groupName: string | undefined;
  readonly region: string | undefined;
  readonly statusCode: number | undefined;
  constructor(message: string, init: AciErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.groupName = init.context.groupName;
    this.region = init.context.region;
    this.statusCode = init.statusCode;
  }
}

/** A regional quota (cores, container groups, Spot cores) would be exceeded. */
export class QuotaExceededError extends AciError {
  override name = 'QuotaExceededError';
  readonly kind = 'quota';
  readonly reason = 'QuotaExceeded';
  override get failover(): boolean {
    return true;
  }
  override get retryable(): boolean {
    return true;
  }
  /** Parsed from the ARM message when it has the usual shape. */
  readonly quota?: { name: string; limit: number; used: number; requested: number };
  constructor(message: string, init: AciErrorInit & { quota?: QuotaExceededError['quota'] }) {
    super(message, init);
    if (init.quota) this.quota = init.quota;
  }
}

/** The region has no capacity for the request right now (409 ServiceUnavailable and kin). */
export class CapacityError extends AciError {
  override name = 'CapacityError';
  readonly kind = 'capacity';
  readonly reason = 'CapacityUnavailable';
  override get failover(): boolean {
    return true;
  }
  override get retryable(): boolean {
    return true;
  }
}

/** The image cannot be pulled (missing, private without credentials, wrong registry). */
export class ImageInaccessibleError extends AciError {
  override name = 'ImageInaccessibleError';
  readonly kind = 'image-inaccessible';
  readonly reason = 'ImageInaccessible';
}

/** Azure (or the translation) rejected the container group as specified. */
export class InvalidSpecError extends AciError {
  override name = 'InvalidSpecError';
  readonly kind = 'invalid-spec';
  readonly reason = 'InvalidSpec';
}

/** Azure or local pacing throttled the request; try again after `retryAfterMs`. */
export class ThrottledError extends AciError {
  override name = 'ThrottledError';
  readonly kind = 'throttled';
  readonly reason = 'Throttled';
  override get retryable(): boolean {
    return true;
  }
  readonly retryAfterMs: number;
  /** 'azure' for an ARM 429, 'local' when Spillway's own pacing held the request back. */
  readonly source: 'azure' | 'local';
  constructor(message: string, init: AciErrorInit & { retryAfterMs: number; source: 'azure' | 'local' }) {
    super(message, init);
    this.retryAfterMs = init.retryAfterMs;
    this.source = init.source;
  }
  /** Local pacing is per region, so another region may have budget left; an ARM 429 is not. */
  override get failover(): boolean {
    return this.source === 'local';
  }
}

/** A failure that usually goes away by itself (5xx, network, an operation already in progress). */
export class TransientError extends AciError {
  override name = 'TransientError';
  readonly kind = 'transient';
  readonly reason = 'TransientError';
  override get retryable(): boolean {
    return true;
  }
}

/** Credentials, permissions, resource group or endpoint are wrong: a person has to fix something. */
export class ConfigurationError extends AciError {
  override name = 'ConfigurationError';
  readonly kind = 'configuration';
  readonly reason = 'AzureConfigurationError';
}

/** The group exists but its tags do not prove Spillway (this cluster) owns it; it is left alone. */
export class NotOwnedError extends AciError {
  override name = 'NotOwnedError';
  readonly kind = 'not-owned';
  readonly reason = 'NotOwned';
}

/** A group with the name exists but belongs to another scaler, cluster or tool. */
export class NameConflictError extends AciError {
  override name = 'NameConflictError';
  readonly kind = 'name-conflict';
  readonly reason = 'NameConflict';
}

/** An env value, volume or pull secret could not be read from the cluster. Names the reference only. */
export class ValueResolutionError extends AciError {
  override name = 'ValueResolutionError';
  readonly kind = 'value-unresolvable';
  readonly reason = 'ValueUnresolvable';
  override get retryable(): boolean {
    return true;
  }
}

/** One failed attempt during a create with failover. */
export interface CreateAttempt {
  region: string;
  priority: 'Regular' | 'Spot';
  error: AciError;
}

/** Every region (and priority) was tried and failed; `attempts` says why each did. */
export class RegionsExhaustedError extends AciError {
  override name = 'RegionsExhaustedError';
  readonly kind = 'regions-exhausted';
  override get retryable(): boolean {
    return true;
  }
  readonly attempts: CreateAttempt[];
  /** The reason shared by every attempt (e.g. QuotaExceeded), or RegionsExhausted when they differ. */
  readonly reason: string;
  constructor(groupName: string, attempts: CreateAttempt[]) {
    const summary = attempts.map((a) => `${a.region}/${a.priority}: ${stripPrefix(a.error.message)}`);
    const last = attempts.at(-1)?.error;
    super(`creating container group ${groupName}: every region failed (${summary.join('; ')})`, {
      code: last?.code ?? 'RegionsExhausted',
      context: { operation: 'creating', groupName },
      ...(last ? { cause: last } : {}),
    });
    this.attempts = attempts;
    const reasons = new Set(attempts.map((a) => a.error.reason));
    this.reason = reasons.size === 1 ? [...reasons][0]! : 'RegionsExhausted';
  }
}

function stripPrefix(message: string): string {
  const at = message.indexOf(': ');
  return at >= 0 ? message.slice(at + 2) : message;
}

// ---------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------

const QUOTA_CODES = new Set([
  'ContainerGroupQuotaReached',
  'QuotaExceeded',
  'StandardCoresQuotaExceeded',
  'SpotCoresQuotaExceeded',
]);
const CAPACITY_CODES = new Set([
  'ServiceUnavailable',
  'SkuNotAvailable',
  'AllocationFailed',
  'ZonalAllocationFailed',
  'LocationNotAvailableForResourceType',
  'SpotCapacityNotAvailable',
]);
const IMAGE_CODES = new Set(['InaccessibleImage', 'ImagePullFailed', 'RegistryCredentialsInvalid']);
const THROTTLE_CODES = new Set(['TooManyRequests', 'RequestThrottled', 'SubscriptionRequestsThrottled']);
const TRANSIENT_CODES = new Set([
  'InternalServerError',
  'RetryableError',
  'GatewayTimeout',
  'BadGateway',
  'Conflict',
  'OperationPreempted',
  'AnotherOperationInProgress',
]);
const CONFIG_CODES = new Set([
  'AuthenticationFailed',
  'AuthorizationFailed',
  'InvalidAuthenticationToken',
  'ResourceGroupNotFound',
  'SubscriptionNotFound',
  'MissingSubscriptionRegistration',
  'NoRegisteredProviderFound',
  'InvalidApiVersionParameter',
]);
/** Network-level codes core-rest-pipeline puts on RestError when no response arrived. */
const NETWORK_CODES = new Set(['REQUEST_SEND_ERROR', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND']);

const LRO_FAILURE = /long-running operation has failed\.\s*([A-Za-z][\w.]*)\.\s*([\s\S]*)$/;
const QUOTA_MESSAGE =
  /quota '([\w-]+)' exceeded in region '([\w-]+)'\.?\s*Limit:\s*'?(\d+)'?,?\s*Usage:\s*'?(\d+)'?,?\s*Requested:\s*'?(\d+)'?/i;

/** True for the plain `Error` the SDK throws when a long-running operation ends Failed. */
export function isOperationFailure(error: unknown): boolean {
  return error instanceof Error && !isRestError(error) && LRO_FAILURE.test(error.message);
}

/** What {@link mapAciError} reads from a thrown value. */
interface Failure {
  code: string;
  statusCode: number | undefined;
  message: string;
  retryAfterMs: number | undefined;
}

function readFailure(error: unknown): Failure {
  if (isRestError(error)) {
    const headers = error.response?.headers;
    return {
      code: error.code ?? (error.statusCode === undefined ? 'REQUEST_SEND_ERROR' : `HTTP${error.statusCode}`),
      statusCode: error.statusCode,
      message: error.message,
      retryAfterMs: parseRetryAfter(
        headers?.get('retry-after-ms') ?? headers?.get('x-ms-retry-after-ms'),
        headers?.get('retry-after'),
      ),
    };
  }
  if (error instanceof Error) {
    const lro = LRO_FAILURE.exec(error.message);
    if (lro)
      return { code: lro[1]!, statusCode: undefined, message: lro[2]!.trim(), retryAfterMs: undefined };
    const code = (error as { code?: unknown }).code;
    return {
      code: typeof code === 'string' ? code : error.name === 'AbortError' ? 'Aborted' : 'Unknown',
      statusCode: undefined,
      message: error.message,
      retryAfterMs: undefined,
    };
  }
  return { code: 'Unknown', statusCode: undefined, message: String(error), retryAfterMs: undefined };
}

/**
 * Milliseconds to wait, from `retry-after-ms`-style milliseconds or a `Retry-After` header (seconds or
 * an HTTP date). Undefined when neither is usable.
 */
export function parseRetryAfter(
  milliseconds: string | undefined,
  retryAfter: string | undefined,
  now = Date.now(),
): number | undefined {
  if (milliseconds !== undefined && /^\d+$/.test(milliseconds.trim())) return Number(milliseconds);
  if (retryAfter === undefined) return undefined;
  const text = retryAfter.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  return out;
}

function subject(context: AciErrorContext): string {
  return context.groupName ? `${context.operation} container group ${context.groupName}` : context.operation;
}

/**
 * Turns anything the SDK (or the simulated API) throws into a typed {@link AciError}. Values in
 * `secrets` are blanked from every message, in case Azure echoes part of a request back.
 */
export function mapAciError(
  error: unknown,
  context: AciErrorContext,
  secrets: readonly string[] = [],
): AciError {
  if (error instanceof AciError) return error;
  const failure = readFailure(error);
  const message = redact(failure.message, secrets);
  const cause = new AzureFailure(failure.code, failure.statusCode, message);
  const init: AciErrorInit = {
    code: failure.code,
    context,
    cause,
    ...(failure.statusCode === undefined ? {} : { statusCode: failure.statusCode }),
  };
  const where = context.region ? ` in ${context.region}` : '';
  const status = failure.statusCode === undefined ? '' : `, HTTP ${failure.statusCode}`;
  const detail = `(${failure.code}${status}: ${message})`;
  const code = failure.code;

  if (QUOTA_CODES.has(code) || /quota/i.test(code)) {
    const q = QUOTA_MESSAGE.exec(message);
    if (q) {
      const quota = { name: q[1]!, limit: Number(q[3]), used: Number(q[4]), requested: Number(q[5]) };
      return new QuotaExceededError(
        `${subject(context)}: quota ${quota.name} exceeded in ${q[2]} (limit ${quota.limit}, used ${quota.used}, requested ${quota.requested})`,
        { ...init, quota },
      );
    }
    return new QuotaExceededError(`${subject(context)}: quota exceeded${where} ${detail}`, init);
  }
  if (CAPACITY_CODES.has(code) && !(code === 'ServiceUnavailable' && failure.statusCode === 503)) {
    const priority = context.priority ? ` for ${context.priority} priority` : '';
    return new CapacityError(`${subject(context)}: no capacity${where}${priority} right now ${detail}`, init);
  }
  if (IMAGE_CODES.has(code)) {
    return new ImageInaccessibleError(`${subject(context)}: image not accessible ${detail}`, init);
  }
  if (failure.statusCode === 429 || THROTTLE_CODES.has(code)) {
    const retryAfterMs = failure.retryAfterMs ?? 60_000;
    return new ThrottledError(
      `${subject(context)}: throttled by Azure, retry after ${Math.ceil(retryAfterMs / 1000)} s ${detail}`,
      { ...init, retryAfterMs, source: 'azure' },
    );
  }
  if (
    TRANSIENT_CODES.has(code) ||
    NETWORK_CODES.has(code) ||
    code === 'Aborted' ||
    code === 'Unknown' ||
    (failure.statusCode !== undefined && failure.statusCode >= 500)
  ) {
    return new TransientError(`${subject(context)}: transient failure${where} ${detail}`, init);
  }
  if (CONFIG_CODES.has(code) || failure.statusCode === 401 || failure.statusCode === 403) {
    return new ConfigurationError(
      `${subject(context)}: Azure refused the request; check the credential, role assignment, subscription and resource group ${detail}`,
      init,
    );
  }
  return new InvalidSpecError(`${subject(context)}: Azure rejected the container group ${detail}`, init);
}
