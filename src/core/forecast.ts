/**
 * A small forecaster: how much longer will the current burst (demand above the VM capacity it started
 * against) last? It blends three estimates — how long this burst has lasted (Lindy), how long past bursts
 * lasted once they had lasted this long, and the recent demand trend — and explains each. What it does and
 * where it fails: docs/forecast.md.
 *
 * Pure: history in, estimate out. The history lives in ScalerState and is pruned here.
 */
import { duration } from './cost-model.ts';
import type { ForecastMemory, ScalerState } from './types.ts';

/** Demand points older than this are dropped. */
export const DEMAND_WINDOW_SECONDS = 900;
/** At most this many demand points are kept (a 1 s tick over 15 min fits with room). */
export const MAX_DEMAND_POINTS = 1000;
/** The trend is a least-squares slope over this window. */
export const TREND_WINDOW_SECONDS = 120;
/** A trend needs at least this many points spanning at least this long. */
export const TREND_MIN_POINTS = 3;
export const TREND_MIN_SPAN_SECONDS = 30;
/** Past bursts remembered for the empirical estimate. */
export const BURST_HISTORY_MAX = 32;
/**
 * Expected remaining = age × this. A Pareto tail with shape α has E[remaining | lasted a] = a ÷ (α − 1);
 * α = 2 gives 1, which makes "bridge once the burst has lasted the break-even time" — the deterministic
 * ski-rental rule (rent until the rent paid equals the price of buying), 2-competitive in the worst case.
 */
export const LINDY_FACTOR = 1;
/** Pseudo-count of the Lindy prior against past bursts: with n relevant past bursts the weight is n ÷ (n + 3). */
export const HISTORY_PRIOR_WEIGHT = 3;

export interface DemandPoint {
  at: number;
  replicas: number;
}

export interface BurstRecord {
  startedAt: number;
  endedAt: number;
}

/** Where the current burst stands, carried in ScalerState. */
export interface BurstTracking {
  burstStartedAt?: number;
  /** VM capacity (replicas) when the burst began; it ends when demand falls back to this. */
  burstBaseline?: number;
  burstHistory: BurstRecord[];
}

/**
 * Appends the current demand point and drops points older than {@link DEMAND_WINDOW_SECONDS} (and beyond
 * {@link MAX_DEMAND_POINTS}), keeping memory bounded whatever the tick rate.
 */
export function recordDemand(points: DemandPoint[], now: number, replicas: number): DemandPoint[] {
  const cutoff = now - DEMAND_WINDOW_SECONDS * 1000;
  const keep = (p: DemandPoint): boolean => p.at >= cutoff && p.at < now;
  // Every tick: usually only points at the front have aged out, so one slice does what the filter would.
  let start = 0;
  while (start < points.length && (points[start] as DemandPoint).at < cutoff) start++;
  let rest = true;
  for (let i = start; i < points.length && rest; i++) rest = keep(points[i] as DemandPoint);
  const kept = rest ? points.slice(start) : points.filter(keep);
  kept.push({ at: now, replicas });
  return kept.length > MAX_DEMAND_POINTS ? kept.slice(kept.length - MAX_DEMAND_POINTS) : kept;
}

/**
 * Starts, continues or ends the burst. A burst starts when demand exceeds the VM capacity (replicas that
 * running and arriving nodes can serve) and records that capacity as its baseline; it ends when demand
 * falls back to the baseline. Nodes added to bridge the burst therefore do not end it — only falling
 * demand does — so the burst's age keeps measuring how long the extra demand has lasted. A burst starting
 * less than `resumeWithinSeconds` after the last one ended resumes it (its start, not now, sets the age;
 * the record is taken back from the history): decide passes the node's minimum lifetime, as nodes bought
 * for the last burst are still there and a dip that short is the same demand, not a new burst.
 */
export function trackBurst(
  previous: BurstTracking,
  demand: number,
  vmCapacity: number,
  now: number,
  resumeWithinSeconds = 0,
): BurstTracking & { ended?: BurstRecord } {
  const history = previous.burstHistory.slice(-BURST_HISTORY_MAX);
  if (previous.burstStartedAt === undefined) {
    if (demand > vmCapacity) {
      const last = history[history.length - 1];
      if (last && now - last.endedAt < resumeWithinSeconds * 1000) {
        return {
          burstStartedAt: last.startedAt,
          burstBaseline: vmCapacity,
          burstHistory: history.slice(0, -1),
        };
      }
      return { burstStartedAt: now, burstBaseline: vmCapacity, burstHistory: history };
    }
    return { burstHistory: history };
  }
  const baseline = previous.burstBaseline ?? vmCapacity;
  if (demand > baseline) {
    return { burstStartedAt: previous.burstStartedAt, burstBaseline: baseline, burstHistory: history };
  }
  const ended = { startedAt: previous.burstStartedAt, endedAt: now };
  return { burstHistory: [...history, ended].slice(-BURST_HISTORY_MAX), ended };
}

/** Demand levels tracked at most (adjacent steps are merged beyond it, keeping the younger start). */
export const MAX_LEVEL_STEPS = 64;

export interface DemandLevel {
  upTo: number;
  since: number;
}

/**
 * Updates how long each level of demand has been needed without a break. Level `j` is needed while the
 * desired replicas are at least `j`; it starts again when demand climbs back to it. Levels above `demand`
 * are forgotten; new levels above the highest known start now. Kept as steps (levels 1..upTo since `since`),
 * at most {@link MAX_LEVEL_STEPS}: beyond that two adjacent steps merge with the younger start, which can only
 * shorten an age (the conservative side for buying nodes).
 */
export function trackLevels(previous: DemandLevel[], demand: number, now: number): DemandLevel[] {
  const next: DemandLevel[] = [];
  let top = 0;
  for (const step of previous) {
    if (top >= demand) break;
    const upTo = Math.min(step.upTo, demand);
    if (upTo > top) next.push({ upTo, since: step.since });
    top = upTo;
  }
  if (demand > top) next.push({ upTo: demand, since: now });
  while (next.length > MAX_LEVEL_STEPS) {
    // Merge the pair whose starts are closest: the least information is lost.
    let best = 0;
    for (let i = 1; i < next.length - 1; i++) {
      const gap = (next[i] as DemandLevel).since - (next[i + 1] as DemandLevel).since;
      const bestGap = (next[best] as DemandLevel).since - (next[best + 1] as DemandLevel).since;
      if (gap < bestGap) best = i;
    }
    const upper = next[best + 1] as DemandLevel;
    next.splice(best, 2, { upTo: upper.upTo, since: upper.since });
  }
  return next;
}

/** Seconds level `level` has been needed without a break, or undefined when it is not tracked. */
export function levelAgeSeconds(
  levels: DemandLevel[] | undefined,
  level: number,
  now: number,
): number | undefined {
  if (!levels || levels.length === 0) return undefined;
  const step = levels.find((s) => s.upTo >= level);
  return step ? Math.max(0, (now - step.since) / 1000) : undefined;
}

/** Least-squares slope of demand in replicas per second over the last `windowSeconds`, if there is enough data. */
export function demandSlope(
  points: DemandPoint[],
  now: number,
  windowSeconds = TREND_WINDOW_SECONDS,
): number | undefined {
  // Runs every tick: three passes over the points in the window, in order, without building arrays. The
  // points are in time order (recordDemand appends), so the window is a tail: found from the end.
  const from = now - windowSeconds * 1000;
  const within = (p: DemandPoint): boolean => p.at >= from && p.at <= now;
  let start = points.length;
  while (start > 0 && (points[start - 1] as DemandPoint).at >= from) start--;
  let n = 0;
  let firstAt = 0;
  let lastAt = 0;
  for (let i = start; i < points.length; i++) {
    const p = points[i] as DemandPoint;
    if (!within(p)) continue;
    if (n === 0) firstAt = p.at;
    lastAt = p.at;
    n++;
  }
  if (n < TREND_MIN_POINTS) return undefined;
  if ((lastAt - firstAt) / 1000 < TREND_MIN_SPAN_SECONDS) return undefined;
  let sumX = 0;
  let sumY = 0;
  for (let i = start; i < points.length; i++) {
    const p = points[i] as DemandPoint;
    if (!within(p)) continue;
    sumX += (p.at - firstAt) / 1000;
    sumY += p.replicas;
  }
  const meanX = sumX / n;
  const meanY = sumY / n;
  let num = 0;
  let den = 0;
  for (let i = start; i < points.length; i++) {
    const p = points[i] as DemandPoint;
    if (!within(p)) continue;
    const dx = (p.at - firstAt) / 1000 - meanX;
    num += dx * (p.replicas - meanY);
    den += dx * dx;
  }
  return den > 0 ? num / den : undefined;
}

export interface ForecastInput {
  now: number;
  /** Demand history including the current point. */
  demand: DemandPoint[];
  /** Start of the current burst; undefined when there is none. */
  burstStartedAt?: number;
  /** Current demand (replicas). */
  current: number;
  /** VM capacity the burst is measured against (replicas). */
  capacity: number;
  history: BurstRecord[];
  /** The estimate never goes below this (an ACI replica is paid at least its start time). */
  floorSeconds: number;
}

export interface Forecast {
  /** Expected remaining duration of the burst, seconds. */
  remainingSeconds: number;
  ageSeconds: number;
  /** Which estimate decided: 'lindy', 'history', 'trend' or 'none' (no burst). */
  method: 'lindy' | 'history' | 'trend' | 'none';
  lines: string[];
}

/**
 * Expected remaining duration of the current burst:
 * 1. Lindy: `age × LINDY_FACTOR` (a burst that has lasted an hour is likely to last about another hour);
 * 2. history: the mean residual `d − age` of past bursts that lasted longer than `age`, weighted
 *    `n ÷ (n + HISTORY_PRIOR_WEIGHT)` against Lindy;
 * 3. trend: when demand is falling, the time for a straight-line fit to reach VM capacity caps the estimate.
 * Never below `floorSeconds`.
 */
export function forecastRemainingBurst(input: ForecastInput): Forecast {
  const { now, floorSeconds } = input;
  if (input.burstStartedAt === undefined) {
    return {
      remainingSeconds: 0,
      ageSeconds: 0,
      method: 'none',
      lines: ['No burst under way: demand fits on VM capacity.'],
    };
  }
  const age = Math.max(0, (now - input.burstStartedAt) / 1000);
  const lines: string[] = [];
  const lindy = age * LINDY_FACTOR;
  let estimate = lindy;
  let method: Forecast['method'] = 'lindy';
  lines.push(`Burst has lasted ${duration(age)}; Lindy estimate of what remains: ${duration(lindy)}.`);

  const longer = input.history.map((b) => (b.endedAt - b.startedAt) / 1000).filter((d) => d > age);
  if (longer.length > 0) {
    const residual = longer.reduce((sum, d) => sum + (d - age), 0) / longer.length;
    const weight = longer.length / (longer.length + HISTORY_PRIOR_WEIGHT);
    estimate = weight * residual + (1 - weight) * lindy;
    method = 'history';
    lines.push(
      `${longer.length} of ${input.history.length} past bursts lasted longer than this one so far, ` +
        `${duration(residual)} more on average; weighted ${weight.toFixed(2)} against Lindy → ${duration(estimate)}.`,
    );
  } else if (input.history.length > 0) {
    lines.push(`None of ${input.history.length} past bursts lasted this long; Lindy alone.`);
  }

  const slope = demandSlope(input.demand, now);
  const excess = input.current - input.capacity;
  if (slope !== undefined && slope < 0 && excess > 0) {
    const crossing = excess / -slope;
    if (crossing < estimate) {
      estimate = crossing;
      method = 'trend';
      lines.push(
        `Demand is falling ${(-slope * 60).toFixed(2)} replicas/min; at that rate it is back within VM capacity ` +
          `in ${duration(crossing)}, sooner than the estimate above.`,
      );
    }
  }
  if (estimate < floorSeconds) {
    lines.push(
      `Raised to the ${duration(floorSeconds)} floor (an ACI replica is paid at least its start time).`,
    );
    estimate = floorSeconds;
  }
  return { remainingSeconds: estimate, ageSeconds: age, method, lines };
}

/**
 * RFC 3339 text of an epoch-ms time. Remembered (a bounded, exact memo): a level's or a burst's start is
 * written every tick for as long as it lasts, and formatting dates was a noticeable share of a simulated day.
 */
const isoTexts = new Map<number, string>();
function iso(ms: number): string {
  let text = isoTexts.get(ms);
  if (text === undefined) {
    if (isoTexts.size >= 4096) isoTexts.clear();
    text = new Date(ms).toISOString();
    isoTexts.set(ms, text);
  }
  return text;
}

/** How far ahead of this replica's clock a stored time may be and still be read (as now): clock skew between nodes. */
export const RESTORE_CLOCK_SKEW_SECONDS = 60;

/** The forecaster's part of the state: what {@link forecastMemory} stores and {@link restoreForecast} reads. */
export type ForecastState = Pick<
  ScalerState,
  'burstStartedAt' | 'burstBaseline' | 'burstHistory' | 'demandLevels' | 'aciStart'
>;

/** A stored ACI start longer than this is not read back (no container group takes an hour to start). */
export const MAX_RESTORED_ACI_START_SECONDS = 3600;

/** The forecaster's memory at `now`, for the status. */
export function forecastMemory(state: ForecastState, now: number, nowText = iso(now)): ForecastMemory {
  const bursts: ForecastMemory['bursts'] = (state.burstHistory ?? []).map((b) => ({
    startedAt: iso(b.startedAt),
    endedAt: iso(b.endedAt),
  }));
  if (state.burstStartedAt !== undefined)
    bursts.push({
      startedAt: iso(state.burstStartedAt),
      ...(state.burstBaseline !== undefined ? { baselineReplicas: state.burstBaseline } : {}),
    });
  return {
    at: nowText,
    bursts,
    levels: (state.demandLevels ?? []).map((l) => ({ upTo: l.upTo, since: iso(l.since) })),
    ...(state.aciStart && state.aciStart.groups > 0
      ? {
          aciStart: {
            seconds: Math.max(0.1, Math.round(state.aciStart.seconds * 10) / 10),
            groups: state.aciStart.groups,
          },
        }
      : {}),
  };
}

/**
 * The forecaster's state from a stored memory, for a scaler this controller has no state for yet (after a
 * restart or a change of leader). Ended bursts and the measured ACI start are kept whatever their age: they
 * are history. The burst under way and the level ages are taken only when the memory is at most
 * `freshSeconds` old — the controller passes the node's minimum lifetime, the same gap within which a burst
 * that dipped resumes; after a longer gap nobody saw what demand did, so they start again. Times up to
 * {@link RESTORE_CLOCK_SKEW_SECONDS} ahead of `now` (the last leader's clock ran ahead) count as `now`;
 * entries that do not parse, lie further in the future or break the order are dropped; the lists are cut
 * to their bounds. A stored ACI start that is not a positive number of seconds up to
 * {@link MAX_RESTORED_ACI_START_SECONDS} over a whole number of groups is dropped.
 */
export function restoreForecast(memory: ForecastMemory, now: number, freshSeconds: number): ForecastState {
  const time = (text: string | undefined): number | undefined => {
    const ms = text === undefined ? NaN : Date.parse(text);
    if (!Number.isFinite(ms) || ms > now + RESTORE_CLOCK_SKEW_SECONDS * 1000) return undefined;
    return Math.min(ms, now);
  };
  const history: BurstRecord[] = [];
  let current: { startedAt: number; baseline?: number } | undefined;
  for (const burst of memory.bursts) {
    const startedAt = time(burst.startedAt);
    if (startedAt === undefined) continue;
    if (burst.endedAt === undefined) {
      const baseline = burst.baselineReplicas;
      current = {
        startedAt,
        ...(Number.isInteger(baseline) && (baseline as number) >= 0 ? { baseline: baseline as number } : {}),
      };
      continue;
    }
    const endedAt = time(burst.endedAt);
    const last = history[history.length - 1];
    if (endedAt !== undefined && endedAt >= startedAt && (!last || startedAt >= last.endedAt))
      history.push({ startedAt, endedAt });
  }
  const state: ForecastState = { burstHistory: history.slice(-BURST_HISTORY_MAX) };
  // The measured ACI start is a measurement, like the ended bursts: kept whatever its age.
  const start = memory.aciStart;
  if (
    start &&
    Number.isFinite(start.seconds) &&
    start.seconds > 0 &&
    start.seconds <= MAX_RESTORED_ACI_START_SECONDS &&
    Number.isInteger(start.groups) &&
    start.groups >= 1
  )
    state.aciStart = { seconds: start.seconds, groups: start.groups };
  const at = time(memory.at);
  if (at === undefined || now - at > freshSeconds * 1000) return state;
  const lastEnd = state.burstHistory?.[state.burstHistory.length - 1]?.endedAt ?? -Infinity;
  if (current && current.startedAt >= lastEnd) {
    state.burstStartedAt = current.startedAt;
    if (current.baseline !== undefined) state.burstBaseline = current.baseline;
  }
  const levels: DemandLevel[] = [];
  for (const level of memory.levels) {
    const since = time(level.since);
    const previous = levels[levels.length - 1];
    if (since === undefined || !Number.isInteger(level.upTo) || level.upTo < 1) continue;
    if (previous && (level.upTo <= previous.upTo || since < previous.since)) continue;
    levels.push({ upTo: level.upTo, since });
  }
  if (levels.length > 0) state.demandLevels = levels.slice(0, MAX_LEVEL_STEPS);
  return state;
}
