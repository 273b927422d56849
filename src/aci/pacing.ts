/**
 * Write pacing under ACI's and ARM's limits: token buckets per region, plus a hold honouring the last
 * `Retry-After` Azure sent.
 *
 * Why hand-written: the rate-limiter packages on npm (limiter, bottleneck) read `Date.now()` directly,
 * so they cannot run on the simulator's virtual clock; this one takes time from the injected Clock and
 * is a few dozen lines.
 */
import type { Clock } from '../ports.ts';

/** At most `count` operations in any `perSeconds` window (a bucket of `count` refilled evenly). */
export interface RateLimit {
  count: number;
  perSeconds: number;
}

/**
 * ACI's documented create (and delete) limits per region and subscription: 100 per 5 minutes and 300
 * per hour. Raise them only if Azure raised yours.
 */
export const DEFAULT_ACI_WRITE_LIMITS: readonly RateLimit[] = [
  { count: 100, perSeconds: 300 },
  { count: 300, perSeconds: 3600 },
];

/** Rejects limits that cannot work, naming the field. */
export function validateLimits(field: string, limits: readonly RateLimit[]): void {
  limits.forEach((limit, i) => {
    if (!Number.isInteger(limit.count) || limit.count < 1)
      throw new RangeError(`${field}[${i}].count: must be a whole number ≥ 1, got ${limit.count}`);
    if (!Number.isFinite(limit.perSeconds) || limit.perSeconds <= 0)
      throw new RangeError(`${field}[${i}].perSeconds: must be a number above 0, got ${limit.perSeconds}`);
  });
}

/** A token bucket: starts full, refills continuously. Time is passed in. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly capacity: number;
  private readonly refillPerMs: number;

  constructor(limit: RateLimit, now: number) {
    this.capacity = limit.count;
    this.refillPerMs = limit.count / (limit.perSeconds * 1000);
    this.tokens = limit.count;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * this.refillPerMs);
      this.updatedAt = now;
    }
  }

  /** Milliseconds until one token is available (0 when one is). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.refillPerMs);
  }

  /** Tokens available now (fractional while refilling) and the bucket's size. */
  level(now: number): { available: number; capacity: number } {
    this.refill(now);
    return { available: this.tokens, capacity: this.capacity };
  }

  /** Takes a token; call only when {@link waitMs} returned 0. */
  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }
}

/** Buckets per region for one kind of write, and a subscription-wide hold after an ARM 429. */
export class WritePacer {
  private readonly buckets = new Map<string, TokenBucket[]>();
  private heldUntil = 0;
  private readonly limits: readonly RateLimit[];
  private readonly clock: Clock;

  constructor(limits: readonly RateLimit[], clock: Clock) {
    this.limits = limits;
    this.clock = clock;
  }

  private bucketsFor(region: string): TokenBucket[] {
    let buckets = this.buckets.get(region);
    if (!buckets) {
      const now = this.clock.now();
      buckets = this.limits.map((limit) => new TokenBucket(limit, now));
      this.buckets.set(region, buckets);
    }
    return buckets;
  }

  /**
   * Takes one token from every window of `region` and returns 0, or takes nothing and returns the
   * milliseconds until the write may go (the longest of the hold and every window's wait).
   */
  tryTake(region: string): number {
    const now = this.clock.now();
    const buckets = this.bucketsFor(region);
    const wait = Math.max(this.heldUntil - now, ...buckets.map((b) => b.waitMs(now)), 0);
    if (wait > 0) return wait;
    for (const bucket of buckets) bucket.take(now);
    return 0;
  }

  /**
   * What is left of `region`'s tightest window: whole tokens available and that window's size (the window
   * with the smallest share left). A region never written to has every window full.
   */
  budget(region: string): { available: number; capacity: number } {
    const now = this.clock.now();
    let tightest: { available: number; capacity: number } | undefined;
    for (const bucket of this.bucketsFor(region)) {
      const level = bucket.level(now);
      if (!tightest || level.available / level.capacity < tightest.available / tightest.capacity)
        tightest = level;
    }
    return tightest
      ? { available: Math.floor(tightest.available), capacity: tightest.capacity }
      : { available: 0, capacity: 0 };
  }

  /** Holds every write until `retryAfterMs` from now (ARM's Retry-After); never shortens a hold. */
  hold(retryAfterMs: number): void {
    this.heldUntil = Math.max(this.heldUntil, this.clock.now() + retryAfterMs);
  }

  /** Milliseconds left on the hold (0 when none). */
  heldFor(): number {
    return Math.max(0, this.heldUntil - this.clock.now());
  }
}
