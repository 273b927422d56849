/**
 * Typed errors of the Kubernetes adapter. Messages name the operation and the object, never a
 * Secret's or ConfigMap's value.
 */
import { ApiException } from '@kubernetes/client-node';

/** A Kubernetes API call failed (HTTP error status or transport failure). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  /** What was being done, e.g. `scaling Deployment shop/orders-worker to 5`. */
  readonly operation: string;
  /** HTTP status, when the API server answered. */
  readonly status: number | undefined;
  /** The Status object's machine reason (`NotFound`, `Conflict`, `Forbidden`, …), when given. */
  readonly reason: string | undefined;

  constructor(
    operation: string,
    status: number | undefined,
    reason: string | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const code = status === undefined ? '' : ` (HTTP ${status}${reason ? ` ${reason}` : ''})`;
    super(`${operation}: ${detail}${code}`, options);
    this.operation = operation;
    this.status = status;
    this.reason = reason;
  }
}

/** A quantity string that is not a Kubernetes resource quantity. */
export class QuantityError extends Error {
  override readonly name = 'QuantityError';
  readonly field: string;
  readonly value: string;
  constructor(field: string, value: string) {
    super(
      `${field}: "${value}" is not a Kubernetes quantity (expected a number with an optional suffix such as 500m, 1.5, 2Gi, 512Mi, 1e3)`,
    );
    this.field = field;
    this.value = value;
  }
}

/** The scaler's targetRef names a kind the adapter cannot scale. */
export class UnsupportedTargetError extends Error {
  override readonly name = 'UnsupportedTargetError';
  readonly targetRef: { apiVersion: string; kind: string; name: string };
  constructor(targetRef: { apiVersion: string; kind: string; name: string }) {
    super(
      `spec.targetRef: ${targetRef.apiVersion}/${targetRef.kind} ${targetRef.name} is not supported (allowed: apiVersion apps/v1, kind Deployment)`,
    );
    this.targetRef = targetRef;
  }
}

/** A write was asked with values the API would reject; nothing was sent. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  /** Path of the offending argument, e.g. `addresses[2].ip`. */
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
  }
}

/** HTTP status of an error from the API (generated clients or our raw requests), if any. */
export function httpStatus(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.status;
  if (err instanceof ApiException) return err.code;
  return undefined;
}

interface StatusBody {
  reason?: unknown;
  message?: unknown;
}

function parseStatusBody(body: unknown): StatusBody | undefined {
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  if (Buffer.isBuffer(body)) return parseStatusBody(body.toString('utf8'));
  return typeof body === 'object' && body !== null ? body : undefined;
}

/**
 * Wraps any failure of an API call in a {@link KubeApiError} naming the operation. The API server's
 * Status message is kept (it names objects, never values); response headers are not.
 */
export function apiError(operation: string, err: unknown): KubeApiError {
  if (err instanceof KubeApiError) return err;
  if (err instanceof ApiException) {
    const status = parseStatusBody(err.body);
    const reason = typeof status?.reason === 'string' ? status.reason : undefined;
    const message =
      typeof status?.message === 'string' && status.message !== ''
        ? status.message
        : err.code === 401
          ? 'unauthorized (check the credentials in the kubeconfig or the service account token)'
          : 'the API server refused the request';
    return new KubeApiError(operation, err.code, reason, message, { cause: err });
  }
  const detail = err instanceof Error ? transportDetail(err) : String(err);
  return new KubeApiError(operation, undefined, undefined, detail, { cause: err });
}

function transportDetail(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message && cause.message !== err.message)
    return `${err.message} (${cause.message})`;
  return err.message;
}

/** An object read from the API has a field the adapter cannot interpret. */
export class InvalidObjectError extends Error {
  override readonly name = 'InvalidObjectError';
  /** `Deployment shop/orders-worker`. */
  readonly object: string;
  readonly field: string;
  constructor(object: string, field: string, problem: string) {
    super(`${object} ${field}: ${problem}`);
    this.object = object;
    this.field = field;
  }
}
