/**
 * Deterministic randomness for the simulated ACI: a seeded generator (pure-rand's xoroshiro128+) and
 * the latency distributions the model draws from. Same seed, same draws, same simulation.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A latency distribution in seconds. */
export type LatencyDistribution =
  | { kind: 'fixed'; seconds: number }
  | { kind: 'uniform'; minSeconds: number; maxSeconds: number }
  /** Right-skewed like real start times: median·e^(σ·Z), capped at maxSeconds. */
  | { kind: 'lognormal'; medianSeconds: number; sigma: number; maxSeconds?: number };

/** A seeded source of uniform and normal numbers. */
export class SeededRandom {
  private readonly rng: ReturnType<typeof xoroshiro128plus>;
  private spare: number | undefined;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed: must be a whole number, got ${seed}`);
    this.rng = xoroshiro128plus(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return uniformFloat64(this.rng);
  }

  /** Standard normal (Box–Muller, pairs cached). */
  normal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    const u = 1 - this.next(); // (0, 1]
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** Rejects distributions that cannot produce a duration, naming the field. */
export function validateDistribution(field: string, d: LatencyDistribution): void {
  const bad = (message: string): never => {
    throw new RangeError(`${field}: ${message}`);
  };
  switch (d.kind) {
    case 'fixed':
      if (!(d.seconds >= 0)) bad(`seconds must be ≥ 0, got ${d.seconds}`);
      break;
    case 'uniform':
      if (!(d.minSeconds >= 0) || !(d.maxSeconds >= d.minSeconds))
        bad(`need 0 ≤ minSeconds ≤ maxSeconds, got ${d.minSeconds}..${d.maxSeconds}`);
      break;
    case 'lognormal':
      if (!(d.medianSeconds > 0)) bad(`medianSeconds must be above 0, got ${d.medianSeconds}`);
      if (!(d.sigma >= 0)) bad(`sigma must be ≥ 0, got ${d.sigma}`);
      if (d.maxSeconds !== undefined && !(d.maxSeconds > 0))
        bad(`maxSeconds must be above 0, got ${d.maxSeconds}`);
      break;
    default:
      bad(`kind must be fixed, uniform or lognormal`);
  }
}

/** One draw in seconds. */
export function sample(d: LatencyDistribution, random: SeededRandom): number {
  switch (d.kind) {
    case 'fixed':
      return d.seconds;
    case 'uniform':
      return d.minSeconds + (d.maxSeconds - d.minSeconds) * random.next();
    case 'lognormal': {
      const value = d.medianSeconds * Math.exp(d.sigma * random.normal());
      return d.maxSeconds === undefined ? value : Math.min(value, d.maxSeconds);
    }
  }
}
