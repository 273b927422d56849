/**
 * Leader election on a {@link LeasePort} (a `coordination.k8s.io` Lease in production), following
 * client-go's `leaderelection` package:
 *
 * - every `retryPeriodMs` a candidate reads the lease and, if it is free, expired or its own, writes it
 *   with compare-and-swap (the write fails when anyone else wrote in between);
 * - a lease is expired when its record has not changed for `leaseDurationMs` as observed on *this*
 *   replica's clock (so clock skew between replicas does not matter);
 * - the leader renews every `retryPeriodMs`; if it has not renewed for `renewDeadlineMs`, or it sees
 *   another holder, it stops leading at once. `renewDeadlineMs` < `leaseDurationMs`, so the old leader
 *   has stopped before anyone else can take over;
 * - on shutdown the leader releases the lease (empty holder, 1 s duration, as client-go does) so
 *   another replica takes over at its next retry instead of waiting for the lease to expire.
 *
 * {@link LeaderElector.isLeader} is also time-bounded: it turns false `renewDeadlineMs` after the last
 * successful renewal even if the loop is stuck in a slow API call.
 */
import type { Clock, LeasePort, LeaseRecord } from '../ports.ts';
import type { Logger } from '../telemetry/logger.ts';
import { sleepUnlessAborted } from './clock.ts';
import { asError, describeError } from './errors.ts';

export interface LeaderElectionOptions {
  /** This replica's identity in the lease (pod name, or hostname + random suffix). */
  identity: string;
  /** @default 15000 (client-go) */
  leaseDurationMs?: number;
  /** @default 10000 (client-go) */
  renewDeadlineMs?: number;
  /** @default 2000 (client-go) */
  retryPeriodMs?: number;
}

export interface LeaderElectorDeps {
  lease: LeasePort;
  clock: Clock;
  logger: Logger;
}

/** `unknown` until the lease has been read once; readiness waits for a known state. */
export type LeaderState = 'unknown' | 'leader' | 'follower' | 'stopped';

/** Leadership is always this replica's (leader election disabled): for single-replica installs. */
export const alwaysLeader = {
  isLeader: (): boolean => true,
  state: (): LeaderState => 'leader',
};

export class LeaderElector {
  readonly #deps: LeaderElectorDeps;
  readonly #identity: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #listeners = new Set<(leading: boolean) => void>();
  readonly #stop = new AbortController();
  #state: LeaderState = 'unknown';
  #leading = false;
  #lastRenew = -Infinity;
  #observed: LeaseRecord | undefined;
  #observedAt = 0;
  #loop: Promise<void> | undefined;

  constructor(deps: LeaderElectorDeps, options: LeaderElectionOptions) {
    this.#deps = deps;
    this.#identity = options.identity;
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!this.#identity) throw new RangeError('leader election needs a non-empty identity');
    if (!(this.#leaseDurationMs > this.#renewDeadlineMs))
      throw new RangeError(
        `lease duration (${this.#leaseDurationMs} ms) must be greater than the renew deadline (${this.#renewDeadlineMs} ms)`,
      );
    if (!(this.#renewDeadlineMs > this.#retryPeriodMs) || !(this.#retryPeriodMs > 0))
      throw new RangeError(
        `renew deadline (${this.#renewDeadlineMs} ms) must be greater than the retry period (${this.#retryPeriodMs} ms) > 0`,
      );
  }

  get identity(): string {
    return this.#identity;
  }

  state(): LeaderState {
    return this.#state;
  }

  /** True while this replica holds the lease and renewed it within the renew deadline. */
  isLeader(): boolean {
    return this.#leading && this.#deps.clock.now() - this.#lastRenew < this.#renewDeadlineMs;
  }

  /** Holder of the lease as last observed. */
  observedHolder(): string | undefined {
    return this.#observed?.holderIdentity;
  }

  /** Called with `true` on gaining and `false` on losing leadership. Returns an unsubscribe. */
  onChange(listener: (leading: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts campaigning in the background. */
  start(): void {
    if (this.#loop) throw new Error('the leader elector was already started');
    this.#loop = this.#run();
  }

  /**
   * Stops campaigning; a leader stops leading (listeners hear `false` first) and releases the lease so
   * another replica can take over at once.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#stop.abort(new Error('leader election stopped'));
    await this.#loop;
    const wasLeading = this.#leading;
    this.#setLeading(false);
    this.#state = 'stopped';
    if (wasLeading) await this.#release();
  }

  /** One acquire-or-renew attempt and its consequences; the loop calls this every retry period. */
  async attempt(): Promise<boolean> {
    let acquired = false;
    try {
      acquired = await this.#withDeadline(this.#tryAcquireOrRenew());
    } catch (error) {
      this.#deps.logger.warn({ err: asError(error) }, `leader election: ${describeError(error).message}`);
    }
    const now = this.#deps.clock.now();
    if (acquired) {
      this.#lastRenew = now;
      this.#state = 'leader';
      this.#setLeading(true);
      return true;
    }
    const otherHolder =
      this.#observed !== undefined &&
      this.#observed.holderIdentity !== '' &&
      this.#observed.holderIdentity !== this.#identity;
    if (this.#leading && (otherHolder || now - this.#lastRenew >= this.#renewDeadlineMs)) {
      this.#deps.logger.warn(
        { holder: this.#observed?.holderIdentity },
        otherHolder
          ? 'leader election: another replica holds the lease'
          : 'leader election: could not renew in time',
      );
      this.#setLeading(false);
    }
    if (!this.#leading && this.#observed !== undefined) this.#state = 'follower';
    return false;
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      await this.attempt();
      if (!(await sleepUnlessAborted(this.#deps.clock, this.#retryPeriodMs, this.#stop.signal))) return;
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { lease, clock } = this.#deps;
    const now = clock.now();
    const current = await lease.get();
    const durationSeconds = Math.ceil(this.#leaseDurationMs / 1000);
    if (!current) {
      const record: LeaseRecord = {
        holderIdentity: this.#identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      };
      if (!(await lease.tryWrite(record, undefined))) return false;
      this.#observe(record, now);
      return true;
    }
    if (!sameRecord(this.#observed, current)) this.#observe(current, now);
    const heldByOther = current.holderIdentity !== '' && current.holderIdentity !== this.#identity;
    if (heldByOther && this.#observedAt + current.leaseDurationSeconds * 1000 > now) return false;
    const ours = current.holderIdentity === this.#identity;
    const record: LeaseRecord = {
      holderIdentity: this.#identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: ours ? current.acquireTime : now,
      renewTime: now,
      leaseTransitions: ours ? current.leaseTransitions : current.leaseTransitions + 1,
    };
    if (!(await lease.tryWrite(record, current.version))) return false;
    this.#observe(record, now);
    return true;
  }

  async #release(): Promise<void> {
    const { lease, clock, logger } = this.#deps;
    try {
      const current = await lease.get();
      if (!current || current.holderIdentity !== this.#identity) return;
      const now = clock.now();
      // As client-go: no holder and a 1 s duration, so a follower takes it at its next retry.
      const released: LeaseRecord = {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: current.leaseTransitions,
      };
      if (await lease.tryWrite(released, current.version)) logger.info('leader election: lease released');
    } catch (error) {
      logger.warn(
        { err: asError(error) },
        `leader election: releasing the lease: ${describeError(error).message}`,
      );
    }
  }

  #observe(record: LeaseRecord, now: number): void {
    this.#observed = record;
    this.#observedAt = now;
  }

  /** Gives up on an attempt that takes longer than the renew deadline (a hung API call). */
  async #withDeadline(attempt: Promise<boolean>): Promise<boolean> {
    const timer = new AbortController();
    const deadline = this.#deps.clock.sleep(this.#renewDeadlineMs, timer.signal).then(
      () => false,
      () => false,
    );
    try {
      return await Promise.race([attempt, deadline]);
    } finally {
      timer.abort();
    }
  }

  #setLeading(leading: boolean): void {
    if (this.#leading === leading) return;
    this.#leading = leading;
    if (!leading && this.#state === 'leader') this.#state = 'follower';
    this.#deps.logger.info({ identity: this.#identity }, leading ? 'became the leader' : 'stopped leading');
    for (const listener of this.#listeners) {
      try {
        listener(leading);
      } catch (error) {
        this.#deps.logger.error({ err: asError(error) }, 'leadership listener failed');
      }
    }
  }
}

function sameRecord(a: LeaseRecord | undefined, b: LeaseRecord): boolean {
  if (!a) return false;
  if (a.version !== undefined && b.version !== undefined) return a.version === b.version;
  return (
    a.holderIdentity === b.holderIdentity &&
    a.renewTime === b.renewTime &&
    a.acquireTime === b.acquireTime &&
    a.leaseTransitions === b.leaseTransitions &&
    a.leaseDurationSeconds === b.leaseDurationSeconds
  );
}
