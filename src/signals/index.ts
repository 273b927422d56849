/**
 * Demand signals: the public surface for the composition root (src/cli) and the spec compiler.
 * See docs/signals.md.
 */
export { SignalReader, TARGET_METADATA_KEYS } from './reader.ts';
export type { SignalReaderOptions, SignalReaderStats } from './reader.ts';
export { createSignalSources, sourceFor, validateTrigger } from './registry.ts';
export type { SignalSourcesOptions } from './registry.ts';
export {
  cronTriggerFloors,
  cronWindowOpen,
  isTimeZone,
  nextFire,
  previousFire,
  replicaFloors,
  scheduleFloors,
  validateSchedules,
} from './schedule.ts';
export {
  SignalConfigError,
  SignalReadError,
  isSignalConfigError,
  isSignalReadError,
  redact,
} from './errors.ts';
export type { SignalReadErrorKind } from './errors.ts';
export { unservedPods, DEFAULT_PENDING_GRACE_SECONDS } from './pending-pods.ts';
