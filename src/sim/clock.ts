/**
 * Clocks for the simulator.
 *
 * {@link VirtualClock}: time moves only when the simulator calls `advanceTo`; `sleep` resolves when the
 * simulated time reaches its due time, in due order, so the real controller loop runs a simulated day in
 * seconds and never sleeps on wall time.
 *
 * {@link ScaledClock}: wall time sped up by a factor, for the demo (a node that takes 5 simulated minutes
 * to boot is Ready after 10 real seconds at 30×).
 */
import { systemClock } from '../controller/clock.ts';
import type { Clock } from '../ports.ts';

interface Timer {
  due: number;
  seq: number;
  fire: () => void;
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted', { cause: reason });
}

/** A binary min-heap of timers by (due, seq). */
class TimerHeap {
  readonly #items: Timer[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): Timer | undefined {
    return this.#items[0];
  }

  push(timer: Timer): void {
    const items = this.#items;
    items.push(timer);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): Timer | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && before(items[l]!, items[m]!)) m = l;
        if (r < items.length && before(items[r]!, items[m]!)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/**
 * A virtual {@link Clock}. `sleep` registers a timer; {@link advanceTo} moves time forward, firing every
 * timer due on the way in order and letting the promise callbacks they wake run before the next one.
 * Aborted sleeps are dropped at once (the controller aborts a timeout sleep on every tick, so they must
 * not pile up).
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new TimerHeap();
  readonly #cancelled = new WeakSet<Timer>();
  #live = 0;

  constructor(start: number) {
    if (!Number.isFinite(start)) throw new RangeError(`start: must be a finite epoch ms, got ${start}`);
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Sleeps that have neither fired nor been aborted. */
  get pending(): number {
    return this.#live;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => {
        this.#cancelled.add(timer);
        this.#live -= 1;
        reject(abortReason(signal!));
      };
      const timer: Timer = {
        due: this.#now + Math.max(0, Number.isFinite(ms) ? ms : 0),
        seq: this.#seq++,
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          this.#live -= 1;
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#live += 1;
      this.#timers.push(timer);
    });
  }

  /**
   * Moves time to `target` (never backwards), firing due timers in order. After each firing, pending
   * promise callbacks run (a few macrotask turns), so work a timer wakes can schedule the next timer.
   */
  async advanceTo(target: number): Promise<void> {
    if (target < this.#now) throw new RangeError(`advanceTo: ${target} is before now (${this.#now})`);
    for (;;) {
      const next = this.#timers.peek();
      if (!next || next.due > target) break;
      this.#timers.pop();
      if (this.#cancelled.has(next)) continue;
      this.#now = Math.max(this.#now, next.due);
      next.fire();
      await settle();
    }
    this.#now = target;
  }

  /**
   * {@link advanceTo} without yielding when no sleep is due by `target`: moves time and returns true, or
   * returns false (nothing changed) when some sleep is due — then call {@link advanceTo}. For a caller
   * stepping time in small increments, most of which wake no one.
   */
  advanceIdle(target: number): boolean {
    if (target < this.#now) throw new RangeError(`advanceIdle: ${target} is before now (${this.#now})`);
    for (;;) {
      const next = this.#timers.peek();
      if (!next || next.due > target) break;
      if (!this.#cancelled.has(next)) return false;
      this.#timers.pop();
    }
    this.#now = target;
    return true;
  }

  /** {@link advanceTo} `now + ms`. */
  advance(ms: number): Promise<void> {
    return this.advanceTo(this.#now + ms);
  }
}

/** Lets queued promise callbacks run (no time passes on any clock). */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Wall time sped up: `now()` is `start + (wall − wallStart) × speedup`, and `sleep(ms)` waits
 * `ms ÷ speedup` real milliseconds. For the demo, where the real controller loop runs on real timers.
 */
export class ScaledClock implements Clock {
  readonly start: number;
  readonly speedup: number;
  readonly #wallStart: number;
  readonly #wall: () => number;

  constructor(options: { start: number; speedup: number; wall?: () => number }) {
    if (!(options.speedup > 0) || !Number.isFinite(options.speedup))
      throw new RangeError(`speedup: must be a number above 0, got ${options.speedup}`);
    this.start = options.start;
    this.speedup = options.speedup;
    this.#wall = options.wall ?? (() => performance.now());
    this.#wallStart = this.#wall();
  }

  now(): number {
    return Math.round(this.start + (this.#wall() - this.#wallStart) * this.speedup);
  }

  /** Real timers, scaled: `ms` of this clock's time is `ms / speedup` of wall time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms / this.speedup, signal);
  }
}
