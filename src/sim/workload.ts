/**
 * The simulated workload: a FIFO message queue fed by a trace and served by the Ready replicas.
 *
 * - Each simulated second, that second's arrivals join the queue, then the replicas serving during it
 *   complete up to `replicas × serviceRate` messages (deterministic, fluid), or a Poisson number with that
 *   mean (exponential service times, memoryless, seeded) — oldest first.
 * - A message's queue wait is the second it is served minus the second it arrived (1 s resolution);
 *   waits go into a histogram for p50/p95/p99.
 * - A second is *over the SLO* when, after serving, the oldest message still waiting has waited longer
 *   than `sloSeconds`.
 * - The backlog (messages not yet served) is the demand signal: {@link SimQueueSource} exposes it to the
 *   controller as a queue trigger, like an Azure Storage queue's approximate message count.
 */
import type { PodInfo, ScalerKey, SignalReading, TriggerPolicy, TriggerType } from '../core/types.ts';
import type { Clock, SignalContext, SignalReaderPort, SignalSource, SignalValue } from '../ports.ts';
import { SeededRandom } from './aci/rng.ts';

export interface QueueOptions {
  serviceRate: number;
  service: 'deterministic' | 'exponential';
  sloSeconds: number;
  /** Seed for exponential service. @default 1 */
  seed?: number;
}

/** Percentiles and totals of the queue waits. */
export interface WaitStats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

const EPS = 1e-9;

export class SimQueue {
  readonly #rate: number;
  readonly #service: QueueOptions['service'];
  readonly #slo: number;
  readonly #random: SeededRandom;
  // FIFO of (arrival second, remaining count) as parallel growable arrays with a head index.
  #seconds: Float64Array = new Float64Array(1024);
  #counts: Float64Array = new Float64Array(1024);
  #head = 0;
  #tail = 0;
  #backlog = 0;
  /** Weighted wait histogram: index = wait in seconds. */
  #histogram: Float64Array = new Float64Array(256);
  #served = 0;
  #arrived = 0;
  #waitSum = 0;
  #overSlo = 0;
  /** Per-second wait of each served second's oldest message (for the "max wait" chart). */
  lastMaxWait = 0;
  /** Messages served in the last step. */
  lastServed = 0;
  /** Seconds counted in statistics (the warm-up is excluded). */
  #counting = true;

  constructor(options: QueueOptions) {
    if (!(options.serviceRate > 0))
      throw new RangeError(`serviceRate: must be above 0, got ${options.serviceRate}`);
    if (!(options.sloSeconds > 0))
      throw new RangeError(`sloSeconds: must be above 0, got ${options.sloSeconds}`);
    this.#rate = options.serviceRate;
    this.#service = options.service;
    this.#slo = options.sloSeconds;
    this.#random = new SeededRandom(options.seed ?? 1);
  }

  /** Messages waiting (not yet served). */
  get depth(): number {
    return this.#backlog;
  }

  get arrived(): number {
    return this.#arrived;
  }

  get served(): number {
    return this.#served;
  }

  /** Seconds over the SLO so far. */
  get overSloSeconds(): number {
    return this.#overSlo;
  }

  /** Statistics count from now on only when `on` (off during the warm-up). */
  counting(on: boolean): void {
    this.#counting = on;
  }

  /** Age at `second` of the oldest message waiting (0 when empty). */
  oldestAge(second: number): number {
    return this.#head < this.#tail ? Math.max(0, second - this.#seconds[this.#head]!) : 0;
  }

  /**
   * One simulated second: `arrivals` join, `replicas` serve. Returns the messages served.
   */
  step(second: number, arrivals: number, replicas: number): number {
    if (arrivals > 0) this.#push(second, arrivals);
    let capacity = replicas * this.#rate;
    if (this.#service === 'exponential' && capacity > 0) capacity = poisson(capacity, this.#random);
    let served = 0;
    let maxWait = 0;
    while (capacity > EPS && this.#head < this.#tail) {
      const available = this.#counts[this.#head]!;
      const take = Math.min(available, capacity);
      const wait = second - this.#seconds[this.#head]!;
      if (this.#counting) this.#record(wait, take);
      maxWait = Math.max(maxWait, wait);
      served += take;
      capacity -= take;
      if (take >= available - EPS) this.#head += 1;
      else this.#counts[this.#head] = available - take;
    }
    this.#backlog = Math.max(0, this.#backlog - served);
    if (this.#head === this.#tail) {
      this.#head = this.#tail = 0;
      this.#backlog = 0;
    }
    if (this.#counting) {
      this.#served += served;
      if (this.oldestAge(second) > this.#slo) this.#overSlo += 1;
    }
    this.lastServed = served;
    this.lastMaxWait = Math.max(maxWait, this.oldestAge(second));
    return served;
  }

  /** Wait percentiles over every message served while counting. */
  waits(): WaitStats {
    const total = this.#histogram.reduce((a, b) => a + b, 0);
    const at = (q: number): number => {
      if (total <= 0) return 0;
      let seen = 0;
      for (let i = 0; i < this.#histogram.length; i++) {
        seen += this.#histogram[i]!;
        if (seen >= q * total - EPS) return i;
      }
      return this.#histogram.length - 1;
    };
    let max = 0;
    for (let i = this.#histogram.length - 1; i >= 0; i--)
      if (this.#histogram[i]! > EPS) {
        max = i;
        break;
      }
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max, mean: total > 0 ? this.#waitSum / total : 0 };
  }

  #record(wait: number, count: number): void {
    const index = Math.max(0, Math.round(wait));
    if (index >= this.#histogram.length) {
      const grown = new Float64Array(Math.max(index + 1, this.#histogram.length * 2));
      grown.set(this.#histogram);
      this.#histogram = grown;
    }
    this.#histogram[index] = this.#histogram[index]! + count;
    this.#waitSum += wait * count;
  }

  #push(second: number, count: number): void {
    if (this.#counting) this.#arrived += count;
    this.#backlog += count;
    if (this.#tail === this.#seconds.length) {
      if (this.#head > 0) {
        this.#seconds.copyWithin(0, this.#head, this.#tail);
        this.#counts.copyWithin(0, this.#head, this.#tail);
        this.#tail -= this.#head;
        this.#head = 0;
      }
      if (this.#tail === this.#seconds.length) {
        const seconds = new Float64Array(this.#seconds.length * 2);
        const counts = new Float64Array(this.#counts.length * 2);
        seconds.set(this.#seconds);
        counts.set(this.#counts);
        this.#seconds = seconds;
        this.#counts = counts;
      }
    }
    this.#seconds[this.#tail] = second;
    this.#counts[this.#tail] = count;
    this.#tail += 1;
  }
}

/** A Poisson draw with mean `mean` (Knuth for small means, a rounded normal above 30). */
export function poisson(mean: number, random: SeededRandom): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random.next();
  while (p > limit) {
    k += 1;
    p *= random.next();
  }
  return k;
}

/**
 * The simulated queue as a signal source: the controller's real SignalReader reads the backlog through
 * it, exactly as it reads an Azure Storage queue's approximate message count.
 */
export class SimQueueSource implements SignalSource {
  readonly type: TriggerType;
  readonly caching = 'none' as const;
  readonly #queue: () => number;

  constructor(queue: { readonly depth: number }, type: TriggerType = 'azure-storage-queue') {
    this.type = type;
    this.#queue = () => queue.depth;
  }

  validate(trigger: TriggerPolicy): void {
    if (!trigger.metadata.queueName)
      throw new RangeError(
        `trigger ${trigger.name}: metadata.queueName is required (the simulated queue's name)`,
      );
  }

  read(_trigger: TriggerPolicy, context: SignalContext): Promise<SignalValue> {
    if (context.signal.aborted) return Promise.reject(context.signal.reason as Error);
    return Promise.resolve({ value: Math.round(this.#queue()) });
  }
}

/**
 * The simulated queue as the controller's {@link SignalReaderPort}, without the production reader's
 * timeouts and shared cache (a read of an in-memory number cannot time out): the fast simulator uses
 * this; the demo uses the real SignalReader over {@link SimQueueSource}.
 */
export class SimQueueReader implements SignalReaderPort {
  readonly #queue: { readonly depth: number };
  readonly #clock: Clock;
  /** Reads served. */
  reads = 0;

  constructor(queue: { readonly depth: number }, clock: Clock) {
    this.#queue = queue;
    this.#clock = clock;
  }

  read(_scaler: ScalerKey, triggers: TriggerPolicy[], _pods: PodInfo[]): Promise<SignalReading[]> {
    this.reads += 1;
    const at = this.#clock.now();
    return Promise.resolve(
      triggers.map((t): SignalReading =>
        t.metadata.queueName
          ? { trigger: t.name, ok: true, value: Math.round(this.#queue.depth), at }
          : {
              trigger: t.name,
              ok: false,
              error: `${t.name}: metadata.queueName is required (the simulated queue's name)`,
              at,
              kind: 'config',
            },
      ),
    );
  }
}
