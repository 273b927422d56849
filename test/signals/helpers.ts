/** Shared helpers for the signals tests: clocks, a recording Secret resolver, trigger and context builders. */
import type { PodInfo, TriggerPolicy, TriggerType } from '../../src/core/types.ts';
import type { Clock, SignalContext, ValueResolver } from '../../src/ports.ts';
import { SignalReadError } from '../../src/signals/errors.ts';

/** Wall time, for reads against real servers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        },
        { once: true },
      );
    }),
};

/** Virtual time: sleeps resolve only when the test advances the clock past them. */
export class FakeClock implements Clock {
  #now: number;
  #timers: { at: number; resolve: () => void }[] = [];

  constructor(start = Date.parse('2026-11-23T10:00:00Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = { at: this.#now + ms, resolve };
      this.#timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.#timers = this.#timers.filter((t) => t !== timer);
          reject(signal.reason as Error);
        },
        { once: true },
      );
    });
  }

  /** Pending sleeps (for assertions that nothing is left behind). */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward, firing due sleeps in order, letting promise callbacks run in between. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      await flush();
      const due = this.#timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.resolve();
    }
    this.#now = until;
    await flush();
  }
}

/** Lets queued promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}

/** A ValueResolver serving Secrets from a table keyed `namespace/name`, recording every lookup. */
export class FakeValues implements ValueResolver {
  readonly calls: string[] = [];
  readonly #secrets: Record<string, Record<string, string>>;

  constructor(secrets: Record<string, Record<string, string>> = {}) {
    this.#secrets = secrets;
  }

  secret(namespace: string, name: string): Promise<Record<string, string>> {
    this.calls.push(`secret ${namespace}/${name}`);
    const found = this.#secrets[`${namespace}/${name}`];
    return found ? Promise.resolve(found) : Promise.reject(new Error(`secrets "${name}" not found`));
  }

  configMap(namespace: string, name: string): Promise<Record<string, string>> {
    this.calls.push(`configMap ${namespace}/${name}`);
    return Promise.reject(new Error(`configmaps "${name}" not found`));
  }
}

export const scaler = { namespace: 'shop', name: 'orders-worker', uid: 'uid-1' };

/** A trigger with an AverageValue target, as the spec compiler produces them. */
export function trigger(
  type: TriggerType,
  metadata: Record<string, string>,
  extra: Partial<TriggerPolicy> = {},
): TriggerPolicy {
  return {
    name: `${type}-0`,
    index: 0,
    type,
    metadata,
    target: { type: 'AverageValue', averageValue: 10 },
    ...extra,
  };
}

/** A context for direct source reads; the read is aborted after `timeoutMs`. */
export function context(
  options: { values?: ValueResolver; timeoutMs?: number; now?: number; pods?: PodInfo[] } = {},
): SignalContext {
  return {
    scaler,
    values: options.values ?? new FakeValues(),
    signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    now: options.now ?? Date.now(),
    pods: options.pods,
  };
}

/** Awaits a read that must fail, returning the SignalReadError. */
export async function readFailure(read: Promise<unknown>): Promise<SignalReadError> {
  try {
    await read;
  } catch (error) {
    if (error instanceof SignalReadError) return error;
    throw new Error(`expected a SignalReadError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the read to fail, it succeeded');
}
