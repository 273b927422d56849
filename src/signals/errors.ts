/**
 * Typed errors of the signal sources.
 *
 * `SignalConfigError` is thrown by pure metadata validation and names the trigger and the field.
 * `SignalReadError` is thrown by a read; its `kind` feeds the fallback rule and its message is safe to
 * show in events, logs and status: it never contains connection strings, passwords, keys or tokens.
 */
import type { TriggerPolicy } from '../core/types.ts';

/** Where a trigger sits in the spec, for error paths. */
export interface TriggerRef {
  name: string;
  /** Position in `spec.triggers`, when known. */
  index?: number;
}

/** `spec.triggers[0] (orders-queue)`, or `spec.triggers (orders-queue)` when the index is unknown. */
export const triggerPath = (trigger: TriggerRef): string =>
  trigger.index === undefined
    ? `spec.triggers (${trigger.name})`
    : `spec.triggers[${trigger.index}] (${trigger.name})`;

/**
 * Invalid trigger metadata or schedule. The message is `<path>: <problem>`, e.g.
 * `spec.triggers[0] (orders-queue).metadata.queueName: required`.
 */
export class SignalConfigError extends Error {
  override readonly name = 'SignalConfigError';
  /** Full field path, e.g. `spec.triggers[0] (orders-queue).metadata.queueName`. */
  readonly path: string;
  /** What is wrong and what is allowed. */
  readonly problem: string;
  /** Trigger name, when the error is about a trigger. */
  readonly trigger: string | undefined;

  constructor(path: string, problem: string, options?: { trigger?: string; cause?: unknown }) {
    super(`${path}: ${problem}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.path = path;
    this.problem = problem;
    this.trigger = options?.trigger;
  }

  /** An error about `field` (relative to the trigger, e.g. `metadata.queueName`) of a trigger. */
  static forField(trigger: TriggerRef, field: string, problem: string): SignalConfigError {
    return new SignalConfigError(`${triggerPath(trigger)}.${field}`, problem, { trigger: trigger.name });
  }
}

/** Why a read failed; `unreachable` and `timeout` are transient, the others usually need a person. */
export type SignalReadErrorKind = 'unreachable' | 'timeout' | 'auth' | 'not-found' | 'bad-response';

/**
 * A failed read. The message reads like
 * `reading rabbitmq trigger orders (queue orders on 127.0.0.1:5672): unreachable: connection refused`
 * and never contains secrets; `cause` keeps the library's error for debugging (do not log it verbatim).
 */
export class SignalReadError extends Error {
  override readonly name = 'SignalReadError';
  readonly kind: SignalReadErrorKind;
  /** Trigger name. */
  readonly trigger: string;
  /** Trigger type. */
  readonly source: string;

  constructor(
    trigger: Pick<TriggerPolicy, 'name' | 'type'>,
    what: string,
    kind: SignalReadErrorKind,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `reading ${trigger.type} trigger ${trigger.name}${what ? ` (${what})` : ''}: ${kind}: ${detail}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.kind = kind;
    this.trigger = trigger.name;
    this.source = trigger.type;
  }
}

export const isSignalReadError = (error: unknown): error is SignalReadError =>
  error instanceof SignalReadError;
export const isSignalConfigError = (error: unknown): error is SignalConfigError =>
  error instanceof SignalConfigError;

const MASK = '***';

/**
 * Removes secrets from a message: every value in `secrets` (and its URL-encoded form), user info in
 * URLs (`amqp://user:pass@host` → `amqp://***@host`) and well-known secret fields of connection strings
 * and query strings (AccountKey, SharedAccessKey, SharedAccessSignature, sig, password, token).
 */
export function redact(message: string, secrets: readonly (string | undefined)[] = []): string {
  let out = message;
  for (const secret of secrets) {
    if (!secret || secret.length < 3) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(MASK);
  }
  return out
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, `$1${MASK}@`)
    .replace(
      /\b(AccountKey|SharedAccessKey|SharedAccessSignature|sig|password|pwd|token|access_token|bearerToken)=([^;&\s]+)/gi,
      `$1=${MASK}`,
    )
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${MASK}`);
}

interface ErrnoLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  statusCode?: unknown;
  status?: unknown;
}

const errnoText: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EPIPE: 'connection closed by the server',
  ETIMEDOUT: 'connection timed out',
};

/** Network-level failure (no answer from the server), as a readable phrase, or undefined. */
export function networkFailure(error: unknown): string | undefined {
  const e = (error ?? {}) as ErrnoLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && errnoText[code]) return errnoText[code];
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (cause && cause !== error) return networkFailure(cause);
  return undefined;
}

/** True when the error is an abort (our timeout or a shutdown). */
export function isAbort(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const name = (error as ErrnoLike | undefined)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** The error's own message, made safe. */
export function safeMessage(error: unknown, secrets: readonly (string | undefined)[] = []): string {
  const message =
    error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
  return redact(message.split('\n')[0] ?? '', secrets).slice(0, 300);
}

/** The abort reason of a signal as a phrase: the reader aborts with a `timeout after N ms` reason. */
export function abortText(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.message) return reason.message;
  if (typeof reason === 'string') return reason;
  return 'aborted';
}

/**
 * Turns any failure of a read into a SignalReadError: aborts become `timeout`, socket errors
 * `unreachable`, anything else `fallbackKind`. Messages are redacted with `secrets`.
 */
export function toReadError(
  trigger: Pick<TriggerPolicy, 'name' | 'type'>,
  what: string,
  error: unknown,
  options: {
    signal?: AbortSignal;
    secrets?: readonly (string | undefined)[];
    fallbackKind?: SignalReadErrorKind;
  },
): SignalReadError {
  if (error instanceof SignalReadError) return error;
  const { signal, secrets = [], fallbackKind = 'bad-response' } = options;
  if (isAbort(error, signal)) {
    return new SignalReadError(trigger, what, 'timeout', signal ? abortText(signal) : 'aborted', {
      cause: error,
    });
  }
  const network = networkFailure(error);
  if (network) return new SignalReadError(trigger, what, 'unreachable', network, { cause: error });
  return new SignalReadError(trigger, what, fallbackKind, safeMessage(error, secrets), { cause: error });
}

/**
 * Runs `work` until it settles or `signal` aborts, whichever is first; on abort calls `onAbort` (close
 * the socket) and rejects with the signal's reason. For client libraries without AbortSignal support.
 */
export async function untilAborted<T>(
  signal: AbortSignal,
  work: Promise<T>,
  onAbort: () => void,
): Promise<T> {
  signal.throwIfAborted();
  let listener: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    listener = () => {
      onAbort();
      reject(signal.reason instanceof Error ? signal.reason : new Error(abortText(signal)));
    };
    signal.addEventListener('abort', listener, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (listener) signal.removeEventListener('abort', listener);
    // The loser must not become an unhandled rejection.
    work.catch(() => undefined);
  }
}
