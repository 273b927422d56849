import { describe, expect, it } from 'vitest';
import type { Clock } from '../ports.ts';
import { DEFAULT_ACI_WRITE_LIMITS, TokenBucket, WritePacer, validateLimits } from './pacing.ts';

function fakeClock(start = 0): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: () => Promise.reject(new Error('pacing never sleeps by itself')),
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('starts full, empties, and refills evenly', () => {
    const bucket = new TokenBucket({ count: 3, perSeconds: 30 }, 0);
    for (let i = 0; i < 3; i++) {
      expect(bucket.waitMs(0)).toBe(0);
      bucket.take(0);
    }
    expect(bucket.waitMs(0)).toBe(10_000);
    expect(bucket.waitMs(4_000)).toBe(6_000);
    expect(bucket.waitMs(10_000)).toBe(0);
  });
  it('never holds more than its capacity', () => {
    const bucket = new TokenBucket({ count: 2, perSeconds: 1 }, 0);
    expect(bucket.waitMs(3_600_000)).toBe(0);
    bucket.take(3_600_000);
    bucket.take(3_600_000);
    expect(bucket.waitMs(3_600_000)).toBeGreaterThan(0);
  });
});

describe('WritePacer', () => {
  it('allows ACI’s 100 creates per 5 minutes per region, then paces; other regions are independent', () => {
    const clock = fakeClock();
    const pacer = new WritePacer(DEFAULT_ACI_WRITE_LIMITS, clock);
    let allowed = 0;
    while (pacer.tryTake('eastus') === 0) allowed++;
    expect(allowed).toBe(100);
    expect(pacer.tryTake('eastus')).toBe(3_000);
    expect(pacer.tryTake('eastus2')).toBe(0);
    clock.advance(3_000);
    expect(pacer.tryTake('eastus')).toBe(0);
  });

  it('enforces the hourly window too (300 per hour)', () => {
    const clock = fakeClock();
    const pacer = new WritePacer(DEFAULT_ACI_WRITE_LIMITS, clock);
    let allowed = 0;
    for (let second = 0; second < 3600; second++) {
      while (pacer.tryTake('eastus') === 0) allowed++;
      clock.advance(1000);
    }
    // 300 in the first hour, plus what the hourly bucket refilled during it (1 per 12 s).
    expect(allowed).toBeLessThanOrEqual(600);
    expect(allowed).toBeGreaterThanOrEqual(590);
  });

  it('reports the budget of the tightest window: full at first, then what is left of the emptier window', () => {
    const clock = fakeClock();
    const pacer = new WritePacer(DEFAULT_ACI_WRITE_LIMITS, clock);
    expect(pacer.budget('eastus')).toEqual({ available: 100, capacity: 100 });
    for (let i = 0; i < 80; i++) pacer.tryTake('eastus');
    expect(pacer.budget('eastus')).toEqual({ available: 20, capacity: 100 }); // 20 % of 5 min < 73 % of the hour
    clock.advance(300_000); // the 5-minute window is full again; the hourly one refilled 25 of its 80
    expect(pacer.budget('eastus')).toEqual({ available: 245, capacity: 300 });
    expect(pacer.budget('eastus2')).toEqual({ available: 100, capacity: 100 });
  });

  it('holds every region after a Retry-After, and never shortens a hold', () => {
    const clock = fakeClock();
    const pacer = new WritePacer([{ count: 10, perSeconds: 1 }], clock);
    pacer.hold(30_000);
    pacer.hold(5_000);
    expect(pacer.heldFor()).toBe(30_000);
    expect(pacer.tryTake('westus2')).toBe(30_000);
    clock.advance(30_000);
    expect(pacer.tryTake('westus2')).toBe(0);
  });

  it.each([
    [[{ count: 0, perSeconds: 300 }], 'createLimits[0].count: must be a whole number ≥ 1, got 0'],
    [[{ count: 1.5, perSeconds: 300 }], 'createLimits[0].count'],
    [
      [
        { count: 100, perSeconds: 300 },
        { count: 5, perSeconds: -1 },
      ],
      'createLimits[1].perSeconds: must be a number above 0',
    ],
  ])('rejects %j', (limits, message) => {
    expect(() => validateLimits('createLimits', limits)).toThrow(message);
  });
});
