/**
 * Kubernetes Events (events.k8s.io/v1) about BurstScalers, with repeats folded into a series instead of
 * one object each — the behaviour of client-go's events.k8s.io recorder, minus its background timer.
 *
 * The first occurrence creates an Event. An identical one (same scaler, type, reason and note) within
 * the series window patches `series` (count 2) at once; later repeats bump the count in memory and are
 * written at most once per `flushIntervalMs`, with the next repeat that falls after it. An event not seen
 * for the window starts over. Pure bookkeeping: time is an argument.
 */
import { V1MicroTime } from '@kubernetes/client-node';
import type { EventsV1Event } from '@kubernetes/client-node';
import type { EventType } from '../ports.ts';
import type { ScalerKey } from '../core/types.ts';
import { InvalidRequestError } from './errors.ts';

export const BURST_SCALER_API_VERSION = 'spillway.io/v1alpha1';
export const REPORTING_CONTROLLER = 'spillway.io/controller';
/** events.k8s.io/v1 limits `note` to 1 kB. */
const NOTE_MAX = 1024;
const REASON = /^[A-Za-z][A-Za-z0-9]*$/;

export interface EventAggregatorOptions {
  /** A repeat after this much silence starts a new Event. @default 360000 (6 min, as client-go) */
  seriesWindowMs?: number;
  /** Minimum time between two series updates of one Event. @default 30000 */
  flushIntervalMs?: number;
}

interface Entry {
  /** Set once the create succeeded. */
  name?: string;
  count: number;
  lastObserved: number;
  /** Count already written to the API. */
  written: number;
  lastWrite: number;
}

/** What to send for one occurrence. */
export type EventStep =
  | { kind: 'create' }
  | { kind: 'patch'; name: string; count: number; lastObserved: number }
  | { kind: 'none'; count: number };

export class EventAggregator {
  readonly #entries = new Map<string, Entry>();
  readonly #window: number;
  readonly #flush: number;

  constructor(options: EventAggregatorOptions = {}) {
    this.#window = options.seriesWindowMs ?? 360_000;
    this.#flush = options.flushIntervalMs ?? 30_000;
  }

  /** Records one occurrence and says what to write. */
  observe(key: string, now: number): EventStep {
    this.#prune(now);
    const entry = this.#entries.get(key);
    if (!entry || entry.name === undefined) {
      // New, or its create is still in flight or failed: a create (a second one in flight is harmless,
      // names are unique).
      this.#entries.set(key, { count: 1, lastObserved: now, written: 1, lastWrite: now });
      return { kind: 'create' };
    }
    entry.count += 1;
    entry.lastObserved = now;
    if (entry.written === 1 || now - entry.lastWrite >= this.#flush)
      return { kind: 'patch', name: entry.name, count: entry.count, lastObserved: now };
    return { kind: 'none', count: entry.count };
  }

  /** The create for `key` succeeded with this name. */
  created(key: string, name: string): void {
    const entry = this.#entries.get(key);
    if (entry) entry.name = name;
  }

  /** The patch carrying `count` succeeded. */
  patched(key: string, count: number, now: number): void {
    const entry = this.#entries.get(key);
    if (entry) {
      entry.written = Math.max(entry.written, count);
      entry.lastWrite = now;
    }
  }

  /** The Event is gone or could not be written: the next occurrence creates a new one. */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  /** Number of series tracked (bounded by the window). */
  get size(): number {
    return this.#entries.size;
  }

  #prune(now: number): void {
    for (const [key, entry] of this.#entries)
      if (now - entry.lastObserved >= this.#window) this.#entries.delete(key);
  }
}

/** The aggregation key of an event. */
export function eventKey(scaler: ScalerKey, type: EventType, reason: string, note: string): string {
  return JSON.stringify([scaler.namespace, scaler.name, scaler.uid, type, reason, note]);
}

/** Truncates a note to the API's limit (in bytes), keeping whole characters. */
export function truncateNote(note: string): string {
  if (Buffer.byteLength(note) <= NOTE_MAX) return note;
  let out = '';
  for (const char of note) {
    if (Buffer.byteLength(out + char) > NOTE_MAX - 3) break;
    out += char;
  }
  return `${out}...`;
}

/** Checks what events.k8s.io would reject. */
export function checkEvent(type: EventType, reason: string): void {
  if (type !== 'Normal' && type !== 'Warning')
    throw new InvalidRequestError('type', `must be Normal or Warning, got ${String(type)}`);
  if (!REASON.test(reason) || reason.length > 128)
    throw new InvalidRequestError(
      'reason',
      `"${reason}" must be UpperCamelCase, at most 128 characters (e.g. ScaledUp)`,
    );
}

/** A new events.k8s.io/v1 Event about a BurstScaler (eventTime in epoch ms). */
export function eventBody(args: {
  name: string;
  scaler: ScalerKey;
  type: EventType;
  reason: string;
  note: string;
  eventTime: number;
  instance: string;
}): EventsV1Event {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: args.name, namespace: args.scaler.namespace },
    eventTime: new V1MicroTime(args.eventTime),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: args.instance,
    action: args.reason,
    reason: args.reason,
    note: truncateNote(args.note),
    type: args.type,
    regarding: {
      apiVersion: BURST_SCALER_API_VERSION,
      kind: 'BurstScaler',
      namespace: args.scaler.namespace,
      name: args.scaler.name,
      uid: args.scaler.uid,
    },
  };
}

/** A series update (merge patch body) for an Event seen `count` times, last at `lastObserved` (epoch ms). */
export function seriesPatch(
  count: number,
  lastObserved: number,
): { series: { count: number; lastObservedTime: V1MicroTime } } {
  return { series: { count, lastObservedTime: new V1MicroTime(lastObserved) } };
}

/**
 * A unique Event name, `<scaler>.<hex>` like client-go's `<name>.<unix nanoseconds in hex>`; `sequence`
 * separates events created in the same millisecond.
 */
export function eventName(scalerName: string, now: number, sequence: number): string {
  const suffix = (BigInt(Math.floor(now)) * 1_000_000n + BigInt(sequence % 1_000_000)).toString(16);
  return `${scalerName.slice(0, 253 - suffix.length - 1)}.${suffix}`;
}
