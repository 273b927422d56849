/**
 * A work queue in the manner of client-go's `workqueue`: a key is queued at most once, is never handed
 * to two workers at the same time (a key added while it is being processed is queued again when the
 * worker calls `done`), can be added after a delay, and is re-added with per-key exponential backoff
 * after an error. Time comes from the injected {@link Clock}, so a virtual clock drives it in tests.
 */
import type { Clock } from '../ports.ts';

export interface WorkQueueOptions {
  /** First retry delay after an error. @default 1000 */
  baseRetryMs?: number;
  /** Longest retry delay; each consecutive error doubles the delay up to this. @default 60000 */
  maxRetryMs?: number;
}

interface Waiting {
  due: number;
  abort: AbortController;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #baseRetryMs: number;
  readonly #maxRetryMs: number;
  /** Keys ready for a worker, in order. */
  readonly #queue: string[] = [];
  /** Keys in #queue, or added while processing (to be queued on done). */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiting = new Map<string, Waiting>();
  readonly #failures = new Map<string, number>();
  readonly #getters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;

  constructor(clock: Clock, options: WorkQueueOptions = {}) {
    this.#clock = clock;
    this.#baseRetryMs = options.baseRetryMs ?? 1000;
    this.#maxRetryMs = options.maxRetryMs ?? 60_000;
  }

  /** Queues `key` now (cancelling a delayed add of it). No effect when it is already queued. */
  add(key: string): void {
    if (this.#shuttingDown) return;
    this.#cancelWaiting(key);
    if (this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Queues `key` after `ms`; when a delayed add is already pending, the earlier one wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = this.#clock.now() + ms;
    const existing = this.#waiting.get(key);
    if (existing && existing.due <= due) return;
    existing?.abort.abort();
    const abort = new AbortController();
    this.#waiting.set(key, { due, abort });
    this.#clock.sleep(ms, abort.signal).then(
      () => {
        if (this.#waiting.get(key)?.abort !== abort) return;
        this.#waiting.delete(key);
        this.add(key);
      },
      () => undefined, // cancelled
    );
  }

  /** Queues `key` after its backoff: base × 2^(consecutive failures − 1), capped. */
  addRateLimited(key: string): void {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    this.addAfter(key, this.retryDelay(failures));
  }

  /** The delay before retry number `failures` (1-based). */
  retryDelay(failures: number): number {
    return Math.min(this.#maxRetryMs, this.#baseRetryMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  }

  /** Clears the backoff of `key` after a success. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** Consecutive failures of `key` since it last succeeded. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Waits for the next key; `undefined` once the queue is shut down. Call {@link done} after it. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
  }

  /** Queued, being processed, or waiting for a delayed add. */
  has(key: string): boolean {
    return this.#dirty.has(key) || this.#processing.has(key) || this.#waiting.has(key);
  }

  /** Keys queued and not yet taken by a worker. */
  get length(): number {
    return this.#queue.length;
  }

  /** Keys being processed now. */
  get inFlight(): number {
    return this.#processing.size;
  }

  /** Stops handing out keys: waiting workers get `undefined`, delayed adds are cancelled. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const waiting of this.#waiting.values()) waiting.abort.abort();
    this.#waiting.clear();
    this.#queue.length = 0;
    this.#dirty.clear();
    for (const getter of this.#getters.splice(0)) getter(undefined);
  }

  #push(key: string): void {
    const getter = this.#getters.shift();
    if (getter) getter(this.#take(key));
    else this.#queue.push(key);
  }

  #take(key: string): string {
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #cancelWaiting(key: string): void {
    const waiting = this.#waiting.get(key);
    if (!waiting) return;
    waiting.abort.abort();
    this.#waiting.delete(key);
  }
}
