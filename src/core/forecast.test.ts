import { describe, expect, it } from 'vitest';
import {
  BURST_HISTORY_MAX,
  demandSlope,
  forecastMemory,
  forecastRemainingBurst,
  levelAgeSeconds,
  MAX_DEMAND_POINTS,
  MAX_LEVEL_STEPS,
  MAX_RESTORED_ACI_START_SECONDS,
  recordDemand,
  restoreForecast,
  trackBurst,
  trackLevels,
} from './forecast.ts';
import type { BurstRecord, DemandPoint } from './forecast.ts';
import { MINUTE, SECOND, T0 } from './testing.ts';

const series = (values: number[], stepSeconds: number, end = T0): DemandPoint[] =>
  values.map((replicas, i) => ({ at: end - (values.length - 1 - i) * stepSeconds * SECOND, replicas }));

describe('recordDemand', () => {
  it('drops points older than 15 minutes', () => {
    const points = [
      { at: T0 - 20 * MINUTE, replicas: 1 },
      { at: T0 - 14 * MINUTE, replicas: 2 },
    ];
    expect(recordDemand(points, T0, 3)).toEqual([
      { at: T0 - 14 * MINUTE, replicas: 2 },
      { at: T0, replicas: 3 },
    ]);
  });
  it('keeps memory bounded however fast the ticks come', () => {
    let points: DemandPoint[] = [];
    for (let i = 0; i < 5000; i++) points = recordDemand(points, T0 + i * 100, i);
    expect(points).toHaveLength(MAX_DEMAND_POINTS);
    expect(points[points.length - 1]).toEqual({ at: T0 + 4999 * 100, replicas: 4999 });
  });
  it('replaces a point recorded at the same instant (decide twice on one tick)', () => {
    expect(recordDemand([{ at: T0, replicas: 5 }], T0, 6)).toEqual([{ at: T0, replicas: 6 }]);
  });
});

describe('trackBurst', () => {
  it.each([
    ['no burst, demand fits', {}, 6, 8, {}],
    [
      'demand above capacity starts a burst at that capacity',
      {},
      12,
      6,
      { burstStartedAt: T0, burstBaseline: 6 },
    ],
    [
      'new nodes raise capacity but demand stays above the baseline: same burst',
      { burstStartedAt: T0 - 10 * MINUTE, burstBaseline: 6 },
      12,
      12,
      { burstStartedAt: T0 - 10 * MINUTE, burstBaseline: 6 },
    ],
  ])('%s', (_what, previous, demand, capacity, expected) => {
    const result = trackBurst({ ...previous, burstHistory: [] }, demand, capacity, T0);
    expect(result.burstStartedAt).toBe((expected as { burstStartedAt?: number }).burstStartedAt);
    expect(result.burstBaseline).toBe((expected as { burstBaseline?: number }).burstBaseline);
    expect(result.ended).toBeUndefined();
  });
  it('ends when demand falls back to the baseline and remembers the duration', () => {
    const result = trackBurst(
      { burstStartedAt: T0 - 30 * MINUTE, burstBaseline: 6, burstHistory: [] },
      6,
      12,
      T0,
    );
    expect(result.burstStartedAt).toBeUndefined();
    expect(result.ended).toEqual({ startedAt: T0 - 30 * MINUTE, endedAt: T0 });
    expect(result.burstHistory).toEqual([{ startedAt: T0 - 30 * MINUTE, endedAt: T0 }]);
  });
  it.each([
    // [what, minutes since the last burst ended, resumed]
    ['a burst restarting 4 min after the last one ended resumes it (the age counts from its start)', 4, true],
    ['one restarting 11 min after is a new burst', 11, false],
  ])('%s', (_what, gapMinutes, resumed) => {
    const last = { startedAt: T0 - 90 * MINUTE, endedAt: T0 - gapMinutes * MINUTE };
    const earlier = { startedAt: T0 - 200 * MINUTE, endedAt: T0 - 150 * MINUTE };
    const result = trackBurst({ burstHistory: [earlier, last] }, 12, 6, T0, 600);
    expect(result.burstStartedAt).toBe(resumed ? last.startedAt : T0);
    expect(result.burstBaseline).toBe(6);
    expect(result.burstHistory).toEqual(resumed ? [earlier] : [earlier, last]);
  });
  it(`keeps at most ${BURST_HISTORY_MAX} past bursts`, () => {
    const history: BurstRecord[] = Array.from({ length: 40 }, (_, i) => ({ startedAt: i, endedAt: i + 1 }));
    const result = trackBurst(
      { burstStartedAt: T0 - MINUTE, burstBaseline: 3, burstHistory: history },
      2,
      3,
      T0,
    );
    expect(result.burstHistory).toHaveLength(BURST_HISTORY_MAX);
    expect(result.burstHistory[BURST_HISTORY_MAX - 1]).toEqual({ startedAt: T0 - MINUTE, endedAt: T0 });
  });
});

describe('demandSlope', () => {
  it.each([
    ['rising 1 replica per 10 s', series([1, 2, 3, 4, 5, 6, 7], 10), 0.1],
    ['flat', series([5, 5, 5, 5], 15), 0],
    ['falling 2 per 15 s', series([12, 10, 8, 6], 15), -2 / 15],
  ])('%s', (_what, points, slope) => {
    expect(demandSlope(points, T0)).toBeCloseTo(slope, 10);
  });
  it.each([
    ['too few points', series([1, 9], 30)],
    ['too short a span', series([1, 5, 9, 13], 5)],
  ])('is unknown with %s', (_what, points) => {
    expect(demandSlope(points, T0)).toBeUndefined();
  });
});

describe('forecastRemainingBurst', () => {
  const base = {
    now: T0,
    demand: [] as DemandPoint[],
    current: 12,
    capacity: 6,
    history: [],
    floorSeconds: 45,
  };
  it.each([
    ['no burst', { burstStartedAt: undefined }, 0, 'none'],
    ['a 2-minute burst: about 2 more minutes (Lindy)', { burstStartedAt: T0 - 2 * MINUTE }, 120, 'lindy'],
    ['an hour-long burst: about another hour', { burstStartedAt: T0 - 60 * MINUTE }, 3600, 'lindy'],
    ['a burst that just began: the floor (an ACI start)', { burstStartedAt: T0 - 10 * SECOND }, 45, 'lindy'],
    [
      'past bursts of 30 min, this one 10 min old: halfway between 20 min (history) and 10 min (Lindy)',
      {
        burstStartedAt: T0 - 10 * MINUTE,
        history: [1, 2, 3].map((i) => ({
          startedAt: T0 - i * 100 * MINUTE,
          endedAt: T0 - i * 100 * MINUTE + 30 * MINUTE,
        })),
      },
      900,
      'history',
    ],
    [
      'past bursts all shorter than this one: Lindy alone',
      { burstStartedAt: T0 - 60 * MINUTE, history: [{ startedAt: 0, endedAt: 5 * MINUTE }] },
      3600,
      'lindy',
    ],
    [
      'an hour-long burst whose demand falls 1 replica per 10 s, 6 above capacity: about a minute',
      { burstStartedAt: T0 - 60 * MINUTE, demand: series([18, 17, 16, 15, 14, 13, 12], 10) },
      60,
      'trend',
    ],
    [
      'rising demand does not shorten the estimate',
      { burstStartedAt: T0 - 5 * MINUTE, demand: series([6, 8, 10, 12], 15) },
      300,
      'lindy',
    ],
  ] as const)('%s', (_what, fields, remaining, method) => {
    const forecast = forecastRemainingBurst({ ...base, ...fields } as Parameters<
      typeof forecastRemainingBurst
    >[0]);
    expect(forecast.remainingSeconds).toBeCloseTo(remaining, 6);
    expect(forecast.method).toBe(method);
    expect(forecast.lines.length).toBeGreaterThan(0);
  });
});

describe('trackLevels: how long each level of demand has been needed', () => {
  const replay = (demands: number[]) => {
    let levels: ReturnType<typeof trackLevels> = [];
    demands.forEach((d, i) => (levels = trackLevels(levels, d, T0 + i * MINUTE)));
    return levels;
  };
  it.each([
    [
      'demand rises in steps: each new level starts when reached',
      [4, 6, 9],
      [
        [4, 0],
        [6, 1],
        [9, 2],
      ],
    ],
    [
      'a dip forgets the levels above it; they start again when reached',
      [4, 9, 5, 9],
      [
        [4, 0],
        [5, 1],
        [9, 3],
      ],
    ],
    ['a steady level keeps its start', [6, 6, 6], [[6, 0]]],
    ['down to 0 forgets everything', [6, 0, 2], [[2, 2]]],
  ])('%s', (_what, demands, expected) => {
    expect(replay(demands)).toEqual(
      expected.map(([upTo, minute]) => ({ upTo, since: T0 + minute! * MINUTE })),
    );
  });

  it('ages per level: lower levels are older', () => {
    const levels = replay([4, 9, 5, 9]); // now = T0 + 3 min
    const now = T0 + 3 * MINUTE;
    expect([1, 4, 5, 6, 9, 10].map((l) => levelAgeSeconds(levels, l, now))).toEqual([
      180,
      180,
      120,
      0,
      0,
      undefined,
    ]);
    expect(levelAgeSeconds([], 1, now)).toBeUndefined();
  });

  it(`stays within ${MAX_LEVEL_STEPS} steps, merging towards the younger start (ages only shrink)`, () => {
    const demands = Array.from({ length: 300 }, (_, i) => i + 1);
    const levels = replay(demands);
    expect(levels.length).toBeLessThanOrEqual(MAX_LEVEL_STEPS);
    const now = T0 + 299 * MINUTE;
    for (const level of [1, 50, 150, 300]) {
      const exact = (now - (T0 + (level - 1) * MINUTE)) / 1000;
      expect(levelAgeSeconds(levels, level, now)).toBeLessThanOrEqual(exact);
    }
    expect(levelAgeSeconds(levels, 300, now)).toBe(0);
  });
});

describe("the forecaster's memory in the status", () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  const state = {
    burstHistory: [
      { startedAt: T0 - 300 * MINUTE, endedAt: T0 - 240 * MINUTE },
      { startedAt: T0 - 120 * MINUTE, endedAt: T0 - 90 * MINUTE },
    ],
    burstStartedAt: T0 - 40 * MINUTE,
    burstBaseline: 6,
    demandLevels: [
      { upTo: 9, since: T0 - 40 * MINUTE },
      { upTo: 12, since: T0 - 5 * MINUTE },
    ],
  };

  it('stores ended bursts, then the burst under way without an end, and the level steps, as RFC 3339 times', () => {
    expect(forecastMemory(state, T0)).toEqual({
      at: iso(T0),
      bursts: [
        { startedAt: iso(T0 - 300 * MINUTE), endedAt: iso(T0 - 240 * MINUTE) },
        { startedAt: iso(T0 - 120 * MINUTE), endedAt: iso(T0 - 90 * MINUTE) },
        { startedAt: iso(T0 - 40 * MINUTE), baselineReplicas: 6 },
      ],
      levels: [
        { upTo: 9, since: iso(T0 - 40 * MINUTE) },
        { upTo: 12, since: iso(T0 - 5 * MINUTE) },
      ],
    });
    expect(forecastMemory({}, T0)).toEqual({ at: iso(T0), bursts: [], levels: [] });
  });

  it('a new leader a minute later goes on with the same burst age and level ages', () => {
    const memory = forecastMemory(state, T0);
    const restored = restoreForecast(memory, T0 + MINUTE, 600);
    expect(restored).toEqual(state);
    expect(levelAgeSeconds(restored.demandLevels, 10, T0 + MINUTE)).toBe(6 * 60);
  });

  it('reads a memory written by a leader whose clock ran a few seconds ahead, times clamped to now', () => {
    const ahead = forecastMemory(
      { ...state, burstStartedAt: T0 + 5 * SECOND, demandLevels: [{ upTo: 12, since: T0 + 5 * SECOND }] },
      T0 + 5 * SECOND,
    );
    expect(restoreForecast(ahead, T0, 600)).toMatchObject({
      burstStartedAt: T0,
      demandLevels: [{ upTo: 12, since: T0 }],
    });
    const farAhead = forecastMemory(state, T0 + 2 * MINUTE);
    expect(restoreForecast(farAhead, T0, 600)).toEqual({ burstHistory: state.burstHistory });
  });

  it("stores the measured ACI start to 0.1 s and reads it back whatever the memory's age; not before one was measured", () => {
    const measured = { ...state, aciStart: { seconds: 16.137, groups: 14 } };
    const memory = forecastMemory(measured, T0);
    expect(memory.aciStart).toEqual({ seconds: 16.1, groups: 14 });
    expect(restoreForecast(memory, T0 + MINUTE, 600).aciStart).toEqual({ seconds: 16.1, groups: 14 });
    expect(restoreForecast(memory, T0 + 24 * 60 * MINUTE, 600)).toEqual({
      burstHistory: state.burstHistory,
      aciStart: { seconds: 16.1, groups: 14 },
    });
    // The configured start (no group measured) is not a measurement.
    expect(forecastMemory({ ...state, aciStart: { seconds: 20, groups: 0 } }, T0).aciStart).toBeUndefined();
  });

  it.each([
    ['zero seconds', { seconds: 0, groups: 3 }],
    ['an hour and more', { seconds: MAX_RESTORED_ACI_START_SECONDS + 1, groups: 3 }],
    ['no groups', { seconds: 15, groups: 0 }],
    ['a fraction of a group', { seconds: 15, groups: 2.5 }],
    ['not a number', { seconds: Number.NaN, groups: 3 }],
  ])('does not read back a stored ACI start of %s', (_what, aciStart) => {
    expect(
      restoreForecast({ at: iso(T0), bursts: [], levels: [], aciStart }, T0, 600).aciStart,
    ).toBeUndefined();
  });

  it('after a gap longer than the node lifetime keeps only the ended bursts: nobody saw what demand did', () => {
    const restored = restoreForecast(forecastMemory(state, T0), T0 + 11 * MINUTE, 600);
    expect(restored).toEqual({ burstHistory: state.burstHistory });
  });

  it('drops entries that do not parse, lie in the future or break the order, and cuts lists to their bounds', () => {
    const memory = {
      at: iso(T0),
      bursts: [
        { startedAt: 'yesterday', endedAt: iso(T0 - 100 * MINUTE) },
        { startedAt: iso(T0 - 50 * MINUTE), endedAt: iso(T0 - 60 * MINUTE) }, // ends before it starts
        { startedAt: iso(T0 - 30 * MINUTE), endedAt: iso(T0 - 20 * MINUTE) },
        { startedAt: iso(T0 - 25 * MINUTE), endedAt: iso(T0 - 22 * MINUTE) }, // overlaps the one before
        { startedAt: iso(T0 + 5 * MINUTE) }, // in the future
      ],
      levels: [
        { upTo: 4, since: iso(T0 - 30 * MINUTE) },
        { upTo: 3, since: iso(T0 - 10 * MINUTE) }, // not rising
        { upTo: 6, since: iso(T0 - 40 * MINUTE) }, // older than a lower level
        { upTo: 7.5, since: iso(T0 - 5 * MINUTE) },
        { upTo: 8, since: iso(T0 - 5 * MINUTE) },
      ],
    };
    expect(restoreForecast(memory, T0, 600)).toEqual({
      burstHistory: [{ startedAt: T0 - 30 * MINUTE, endedAt: T0 - 20 * MINUTE }],
      demandLevels: [
        { upTo: 4, since: T0 - 30 * MINUTE },
        { upTo: 8, since: T0 - 5 * MINUTE },
      ],
    });

    const long = {
      at: iso(T0),
      bursts: Array.from({ length: BURST_HISTORY_MAX + 5 }, (_, i) => ({
        startedAt: iso(T0 - (200 - 2 * i) * MINUTE),
        endedAt: iso(T0 - (199 - 2 * i) * MINUTE),
      })),
      levels: Array.from({ length: MAX_LEVEL_STEPS + 3 }, (_, i) => ({
        upTo: i + 1,
        since: iso(T0 - (100 - i) * SECOND),
      })),
    };
    const restored = restoreForecast(long, T0, 600);
    expect(restored.burstHistory).toHaveLength(BURST_HISTORY_MAX);
    expect(restored.burstHistory?.at(-1)?.endedAt).toBe(T0 - (199 - 2 * (BURST_HISTORY_MAX + 4)) * MINUTE);
    expect(restored.demandLevels).toHaveLength(MAX_LEVEL_STEPS);
  });
});
