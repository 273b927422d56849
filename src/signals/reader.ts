/**
 * SignalReader: reads every trigger of a scaler for one tick, never throwing.
 *
 * - Every read has a timeout (an AbortSignal handed to the source, measured on the injected Clock).
 * - Reads are shared: scalers pointing at the same queue or query with the same credentials reuse one
 *   read per `intervalMs` (failures too, so a down server is not hammered), and concurrent requests for
 *   the same key join the read in flight. The cache key is a SHA-256 hash of the type, the metadata that
 *   selects what is read, and the authenticationRef's namespace/name: it holds no secret.
 * - At most `maxConcurrentReads` reads run at once across all scalers.
 */
import { createHash } from 'node:crypto';
import type { PodInfo, ScalerKey, SignalReading, TriggerPolicy } from '../core/types.ts';
import type { Clock, SignalReaderPort, SignalSource, ValueResolver } from '../ports.ts';
import { SignalConfigError, SignalReadError, safeMessage } from './errors.ts';
import { sourceFor } from './registry.ts';

/**
 * Metadata keys that set targets, not what is read: two scalers that differ only in these share a read.
 * Sources must not read these names.
 */
export const TARGET_METADATA_KEYS: ReadonlySet<string> = new Set([
  'targetPerReplica',
  'targetValue',
  'activationTargetPerReplica',
  'metricType',
  'metricName',
  'name',
  // KEDA's target names, accepted so KEDA specs share reads too.
  'queueLength',
  'activationQueueLength',
  'messageCount',
  'activationMessageCount',
  'listLength',
  'activationListLength',
  'pendingEntriesCount',
  'activationPendingEntriesCount',
  'lagCount',
  'activationLagCount',
  'streamLength',
  'activationStreamLength',
  'value',
  'activationValue',
  'threshold',
  'activationThreshold',
]);

export interface SignalReaderOptions {
  clock: Clock;
  /** Resolves Secrets of authenticationRefs. */
  values: ValueResolver;
  /** The registered sources (createSignalSources()). */
  sources: readonly SignalSource[];
  /** Per-read timeout. @default 5000 */
  timeoutMs?: number;
  /** How long one read serves every scaler pointing at the same source. @default 2000 */
  intervalMs?: number;
  /** Reads in flight at once, across all scalers. @default 32 */
  maxConcurrentReads?: number;
}

type Outcome =
  | { ok: true; value: number; perPod?: Record<string, number>; at: number }
  | {
      ok: false;
      error: string;
      kind: NonNullable<Extract<SignalReading, { ok: false }>['kind']>;
      at: number;
    };

interface CacheEntry {
  promise: Promise<Outcome>;
  outcome?: Outcome;
}

/** Counters for tests and metrics. */
export interface SignalReaderStats {
  /** Reads that reached a source. */
  reads: number;
  /** Triggers answered from the cache or by joining a read in flight. */
  shared: number;
  /** Reads that ended in their timeout. */
  timeouts: number;
}

/** Reads a scaler's triggers: one SignalReading per trigger, in order, never throwing. */
export class SignalReader implements SignalReaderPort {
  readonly #clock: Clock;
  readonly #values: ValueResolver;
  readonly #sources: readonly SignalSource[];
  readonly #timeoutMs: number;
  readonly #intervalMs: number;
  readonly #maxConcurrent: number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #shutdown = new AbortController();
  readonly #waiting: (() => void)[] = [];
  #running = 0;
  #lastSweep = -Infinity;
  readonly #stats: SignalReaderStats = { reads: 0, shared: 0, timeouts: 0 };

  constructor(options: SignalReaderOptions) {
    this.#clock = options.clock;
    this.#values = options.values;
    this.#sources = options.sources;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#intervalMs = options.intervalMs ?? 2000;
    this.#maxConcurrent = options.maxConcurrentReads ?? 32;
  }

  get stats(): Readonly<SignalReaderStats> {
    return { ...this.#stats };
  }

  /**
   * Reads every trigger of `scaler`. `pods` are the target's pods (for pending-pods, cpu and memory).
   * When `signal` aborts, triggers not yet answered fail with kind `timeout` (the shared reads go on for
   * other scalers).
   */
  async read(
    scaler: ScalerKey,
    triggers: TriggerPolicy[],
    pods: PodInfo[],
    signal?: AbortSignal,
  ): Promise<SignalReading[]> {
    this.#sweep();
    return Promise.all(
      triggers.map(async (trigger): Promise<SignalReading> => {
        const outcome = await this.#withCallerSignal(trigger, this.#readOne(scaler, trigger, pods), signal);
        return outcome.ok
          ? {
              trigger: trigger.name,
              ok: true,
              value: outcome.value,
              at: outcome.at,
              ...(outcome.perPod ? { perPod: outcome.perPod } : {}),
            }
          : { trigger: trigger.name, ok: false, error: outcome.error, kind: outcome.kind, at: outcome.at };
      }),
    );
  }

  /** Aborts reads in flight and forgets cached values. */
  close(): void {
    this.#shutdown.abort(new Error('the signal reader is closing'));
    this.#cache.clear();
  }

  #readOne(scaler: ScalerKey, trigger: TriggerPolicy, pods: PodInfo[]): Promise<Outcome> {
    const source = sourceFor(trigger.type, this.#sources);
    if (!source) {
      return Promise.resolve(
        this.#failure(`${trigger.name}: no signal source for type ${trigger.type}`, 'config'),
      );
    }
    try {
      source.validate(trigger);
    } catch (error) {
      return Promise.resolve(this.#failure(safeMessage(error), 'config'));
    }
    if (source.caching === 'none') return this.#execute(source, scaler, trigger, pods);
    const key = this.#cacheKey(scaler, trigger);
    const entry = this.#cache.get(key);
    if (entry && (!entry.outcome || this.#clock.now() - entry.outcome.at < this.#intervalMs)) {
      this.#stats.shared += 1;
      return entry.promise;
    }
    const fresh: CacheEntry = { promise: this.#execute(source, scaler, trigger, pods) };
    fresh.promise = fresh.promise.then((outcome) => {
      fresh.outcome = outcome;
      return outcome;
    });
    this.#cache.set(key, fresh);
    return fresh.promise;
  }

  #cacheKey(scaler: ScalerKey, trigger: TriggerPolicy): string {
    const metadata = Object.entries(trigger.metadata)
      .filter(([k]) => !TARGET_METADATA_KEYS.has(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const ref = trigger.authenticationRef;
    const auth = ref ? [scaler.namespace, ref.name, ref.kind ?? 'Secret'] : null;
    return createHash('sha256')
      .update(JSON.stringify([trigger.type, metadata, auth]))
      .digest('hex');
  }

  async #execute(
    source: SignalSource,
    scaler: ScalerKey,
    trigger: TriggerPolicy,
    pods: PodInfo[],
  ): Promise<Outcome> {
    await this.#acquire();
    const controller = new AbortController();
    const onShutdown = () => controller.abort(this.#shutdown.signal.reason);
    this.#shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    if (this.#shutdown.signal.aborted) onShutdown();
    let timedOut = false;
    const timeout = new Promise<never>((_, reject) => {
      this.#clock.sleep(this.#timeoutMs, controller.signal).then(
        () => {
          timedOut = true;
          const reason = new Error(`no answer within ${this.#timeoutMs} ms`);
          controller.abort(reason);
          reject(new SignalReadError(trigger, '', 'timeout', reason.message));
        },
        () => undefined,
      );
    });
    try {
      this.#stats.reads += 1;
      const value = await Promise.race([
        source.read(trigger, {
          scaler,
          values: this.#values,
          signal: controller.signal,
          now: this.#clock.now(),
          pods,
        }),
        timeout,
      ]);
      if (!Number.isFinite(value.value)) {
        return this.#failure(
          `${trigger.name}: the source returned ${value.value}, not a number`,
          'bad-response',
        );
      }
      return {
        ok: true,
        value: value.value,
        at: this.#clock.now(),
        ...(value.perPod ? { perPod: value.perPod } : {}),
      };
    } catch (error) {
      if (timedOut) this.#stats.timeouts += 1;
      if (error instanceof SignalReadError) return this.#failure(error.message, error.kind);
      if (error instanceof SignalConfigError) return this.#failure(error.message, 'config');
      return this.#failure(
        `reading ${trigger.type} trigger ${trigger.name}: bad-response: ${safeMessage(error)}`,
        'bad-response',
      );
    } finally {
      if (!controller.signal.aborted) controller.abort(new Error('read finished'));
      this.#shutdown.signal.removeEventListener('abort', onShutdown);
      this.#release();
    }
  }

  #failure(error: string, kind: Extract<Outcome, { ok: false }>['kind']): Outcome {
    return { ok: false, error, kind, at: this.#clock.now() };
  }

  async #withCallerSignal(
    trigger: TriggerPolicy,
    work: Promise<Outcome>,
    signal?: AbortSignal,
  ): Promise<Outcome> {
    if (!signal) return work;
    const aborted = () =>
      this.#failure(`reading ${trigger.type} trigger ${trigger.name}: timeout: aborted`, 'timeout');
    if (signal.aborted) return aborted();
    let listener: (() => void) | undefined;
    const onAbort = new Promise<Outcome>((resolve) => {
      listener = () => resolve(aborted());
      signal.addEventListener('abort', listener, { once: true });
    });
    try {
      return await Promise.race([work, onAbort]);
    } finally {
      if (listener) signal.removeEventListener('abort', listener);
    }
  }

  async #acquire(): Promise<void> {
    if (this.#running < this.#maxConcurrent) {
      this.#running += 1;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running -= 1;
  }

  /** Forgets entries older than ten intervals, at most once per interval. */
  #sweep(): void {
    const now = this.#clock.now();
    if (now - this.#lastSweep < this.#intervalMs) return;
    this.#lastSweep = now;
    for (const [key, entry] of this.#cache) {
      if (entry.outcome && now - entry.outcome.at >= 10 * this.#intervalMs) this.#cache.delete(key);
    }
  }
}
