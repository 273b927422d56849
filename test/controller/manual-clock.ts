/**
 * A virtual {@link Clock} for tests: time moves only when the test calls `advance`, timers fire in due
 * order, and pending promise callbacks run between timers, so a test of minutes of controller time
 * runs in milliseconds and never sleeps on wall time.
 */
import { setImmediate as macrotask } from 'node:timers/promises';
import type { Clock } from '../../src/ports.ts';

interface Timer {
  due: number;
  seq: number;
  resolve: () => void;
}

export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const timer: Timer = {
        due: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Lets every queued promise callback run (no time passes). */
  async flush(): Promise<void> {
    for (let i = 0; i < 5; i++) await macrotask();
  }

  /** Moves time forward by `ms`, firing each timer at its due time and settling what it wakes. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await this.flush();
    for (;;) {
      const next = this.#timers
        .filter((t) => t.due <= target)
        .sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.due);
      next.resolve();
      await this.flush();
    }
    this.#now = target;
    await this.flush();
  }
}
