/**
 * Everything `spillway run` runs, assembled on ports: the controller loop, leader election, the GC
 * sweep and the health/metrics server, with their start-up and graceful shutdown order.
 *
 * Start: health server → leader election → controller (waits for the cache) → GC sweep.
 * Shutdown (SIGTERM/SIGINT): stop ticking and finish in-flight ticks → stop the GC sweep → release the
 * lease (another replica takes over at its next retry) → close the health server.
 */
import type { LeasePort } from '../ports.ts';
import type { ControllerMetrics } from '../telemetry/metrics.ts';
import { Controller } from './controller.ts';
import type { ControllerDeps, ControllerOptions } from './controller.ts';
import { GcSweeper } from './gc-sweep.ts';
import type { GcSweeperOptions, PlanGcFn } from './gc-sweep.ts';
import { HealthServer } from './health.ts';
import type { Check, ListenAddress } from './health.ts';
import { LeaderElector } from './leader.ts';
import type { LeaderElectionOptions } from './leader.ts';

/** The controller's dependencies (metrics required; the manager decides who leads), and what else it runs. */
export interface ManagerDeps extends Omit<ControllerDeps, 'metrics' | 'isLeader'> {
  metrics: ControllerMetrics;
  /** Lease storage for leader election; without it this replica always acts (run one replica only). */
  lease?: LeasePort;
  planGc?: PlanGcFn;
}

export interface ManagerOptions {
  controller?: ControllerOptions;
  /** Required with `deps.lease`. */
  leaderElection?: LeaderElectionOptions;
  /** Where to serve /healthz, /readyz and /metrics; no server when omitted. */
  health?: ListenAddress;
  /** The GC sweep; `false` turns it off. */
  gc?: GcSweeperOptions | false;
  /**
   * How long shutdown waits for in-flight ticks before releasing the lease anyway (a tick stuck in a
   * hung API call must not keep the standby waiting for the lease to expire). Under Kubernetes' default
   * 30 s termination grace period. @default 25000
   */
  shutdownTimeoutMs?: number;
}

export class Manager {
  readonly controller: Controller;
  readonly elector: LeaderElector | undefined;
  readonly gc: GcSweeper | undefined;
  readonly #deps: ManagerDeps;
  readonly #options: ManagerOptions;
  readonly #health: HealthServer | undefined;
  #address: ListenAddress | undefined;
  #state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  #shutdown: Promise<void> | undefined;

  constructor(deps: ManagerDeps, options: ManagerOptions = {}) {
    this.#deps = deps;
    this.#options = options;
    if (deps.lease) {
      if (!options.leaderElection)
        throw new RangeError('leader election needs options.leaderElection.identity');
      this.elector = new LeaderElector(
        { lease: deps.lease, clock: deps.clock, logger: deps.logger.child({ component: 'leader' }) },
        options.leaderElection,
      );
    }
    const elector = this.elector;
    const isLeader = elector ? () => elector.isLeader() : () => true;
    this.controller = new Controller(
      {
        clock: deps.clock,
        cluster: deps.cluster,
        provider: deps.provider,
        signals: deps.signals,
        prices: deps.prices,
        decide: deps.decide,
        compilePolicy: deps.compilePolicy,
        floors: deps.floors,
        logger: deps.logger.child({ component: 'controller' }),
        metrics: deps.metrics,
        isLeader,
      },
      options.controller,
    );
    if (options.gc !== false) {
      this.gc = new GcSweeper(
        {
          clock: deps.clock,
          cluster: deps.cluster,
          provider: deps.provider,
          compilePolicy: deps.compilePolicy,
          ...(deps.planGc ? { planGc: deps.planGc } : {}),
          logger: deps.logger.child({ component: 'gc' }),
          metrics: deps.metrics,
          isLeader,
        },
        options.gc,
      );
    }
    if (options.health) {
      this.#health = new HealthServer({
        live: () => this.live(),
        ready: () => this.ready(),
        registry: deps.metrics.registry,
        logger: deps.logger.child({ component: 'health' }),
      });
    }
  }

  /** The address the health server listens on (after start). */
  get address(): ListenAddress | undefined {
    return this.#address;
  }

  /** Starts everything; resolves once the health server listens. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error('the manager was already started');
    this.#state = 'running';
    const { metrics } = this.#deps;
    if (this.#health && this.#options.health) this.#address = await this.#health.listen(this.#options.health);
    if (this.elector) {
      metrics.leader.set(0);
      this.elector.onChange((leading) => {
        metrics.leader.set(leading ? 1 : 0);
        this.controller.leadershipChanged(leading);
        if (leading) this.gc?.sweepWhenSynced();
      });
      this.elector.start();
    } else {
      metrics.leader.set(1);
    }
    this.controller.start();
    this.gc?.start();
    this.#deps.logger.info(
      { leaderElection: this.elector !== undefined, identity: this.elector?.identity },
      'spillway started',
    );
  }

  /** Liveness: the loop is turning. */
  live(): Check {
    if (this.#state === 'stopped') return { ok: false, message: 'stopped' };
    return this.controller.liveness();
  }

  /** Readiness: caches synced and leadership known. */
  ready(): Check {
    const synced = this.#deps.cluster.synced();
    const leadership = this.elector ? this.elector.state() : 'leader';
    const problems = [
      ...(synced ? [] : ['the cluster caches are not synced yet']),
      ...(leadership === 'unknown' ? ['the leader lease has not been read yet'] : []),
      ...(this.#state !== 'running' ? [`shutting down`] : []),
    ];
    if (problems.length > 0) return { ok: false, message: problems.join('; ') };
    return {
      ok: true,
      message: `caches synced; ${leadership === 'leader' ? 'leader' : 'standby (not the leader)'}`,
    };
  }

  /** Graceful shutdown; safe to call more than once. */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#stop();
    return this.#shutdown;
  }

  async #stop(): Promise<void> {
    const log = this.#deps.logger;
    this.#state = 'stopping';
    log.info('shutting down: finishing in-flight ticks');
    const timer = new AbortController();
    const timeoutMs = this.#options.shutdownTimeoutMs ?? 25_000;
    const finished = await Promise.race([
      Promise.all([this.controller.stop(), this.gc?.stop()]).then(() => true),
      this.#deps.clock.sleep(timeoutMs, timer.signal).then(
        () => false,
        () => true,
      ),
    ]);
    timer.abort();
    if (!finished)
      log.warn({ timeoutMs }, 'in-flight work did not finish in time; releasing the lease anyway');
    if (this.elector) {
      await this.elector.stop();
      this.#deps.metrics.leader.set(0);
    }
    await this.#health?.close();
    this.#state = 'stopped';
    log.info('spillway stopped');
  }
}
