/** Typed errors of the spec compiler, and field-path helpers shared by validation and compilation. */

/** One problem in a BurstScaler, at a field path such as `spec.triggers[1].metadata.targetPerReplica`. */
export interface SpecIssue {
  path: string;
  /** What is allowed and what was given, e.g. `must be a positive number, got "abc"`. */
  message: string;
}

/**
 * A BurstScaler that cannot be compiled into a policy. `issues` lists every problem found (not only the
 * first); the message names each field path and says what is allowed.
 */
export class SpecValidationError extends Error {
  override readonly name = 'SpecValidationError';
  readonly issues: readonly SpecIssue[];
  /** `namespace/name` of the BurstScaler, when known. */
  readonly scaler: string | undefined;

  constructor(issues: readonly SpecIssue[], options: { scaler?: string; cause?: unknown } = {}) {
    const subject =
      options.scaler === undefined ? 'invalid BurstScaler' : `invalid BurstScaler ${options.scaler}`;
    super(`${subject}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { cause: options.cause });
    this.issues = issues;
    this.scaler = options.scaler;
  }
}

/** True for any SpecValidationError. */
export const isSpecValidationError = (error: unknown): error is SpecValidationError =>
  error instanceof SpecValidationError;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Appends a property or index to a field path: `spec` + `triggers` → `spec.triggers`, + 1 → `spec.triggers[1]`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A short, single-line rendering of a given value for messages: `"abc"`, `-1`, `an object`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  switch (typeof value) {
    case 'string': {
      const quoted = JSON.stringify(value);
      return quoted.length > 80 ? `${quoted.slice(0, 76)}…" (${value.length} characters)` : quoted;
    }
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    case 'undefined':
      return 'nothing';
    default:
      return `a ${typeof value}`;
  }
}
