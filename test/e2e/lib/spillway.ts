/**
 * Spillway in-process, started by `spillway run`'s own composition root ({@link startSpillway} in
 * src/cli/run.ts) on the real adapters: KubeCluster and KubeLease authenticated as the `spillway`
 * ServiceAccount, one AciBurstProvider per Azure account behind a BurstRouter (the real Azure SDK, pointed at
 * the simulated ACI's ARM HTTP face through `azureEndpoint`), the SignalReader with every registered source,
 * and the controller Manager (loop, leader election, GC sweep, /healthz /readyz /metrics).
 *
 * What differs from production is passed to it as overrides, all at the edges:
 * - Azure: the simulator's credential instead of DefaultAzureCredential, and the spec's prices instead of
 *   the Retail Prices API (there is no internet here; production falls back to the same prices).
 * - Leader election: the Lease timings scaled down ({@link FAST_LEADER_ELECTION}).
 * - The network: each instance reaches the API server through its own {@link TcpProxy} (a kubeConfig built
 *   here) and ACI through its own HTTP face over the shared model, so {@link SpillwayInstance.kill} can cut
 *   it off at once — what a SIGKILL does to a pod — and the faces' request logs tell the instances' ACI
 *   calls apart.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { startSpillway } from '../../../src/cli/run.ts';
import type { SpillwayHandle } from '../../../src/cli/run.ts';
import { DEFAULT_GC_SCHEDULE } from '../../../src/controller/gc-sweep.ts';
import type { Manager } from '../../../src/controller/manager.ts';
import type { KubeCluster } from '../../../src/kube/index.ts';
import type { PriceSource } from '../../../src/ports.ts';
import { startAciHttpFace, simulatorCredential } from '../../../src/sim/aci/http-face.ts';
import type { AciHttpFace, FaceRequest } from '../../../src/sim/aci/http-face.ts';
import type { AciModel } from '../../../src/sim/aci/model.ts';
import { createLogger } from '../../../src/telemetry/logger.ts';
import { createControllerMetrics } from '../../../src/telemetry/metrics.ts';
import type { ControllerMetrics } from '../../../src/telemetry/metrics.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/** The Lease `deploy/base/rbac.yaml` lets Spillway update (resourceNames), in `spillway-system`. */
export const LEASE = { namespace: 'spillway-system', name: 'spillway-leader' } as const;

/** Leader-election timings for tests: client-go's ratios, scaled down so a takeover takes seconds. */
export const FAST_LEADER_ELECTION = { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 1000 };

/** Where an instance finds the API server and who it is there. */
export interface ApiServerAccess {
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** The cluster CA (PEM file). */
  readonly caPath: string;
  /** A bearer token (the ServiceAccount's, from the TokenRequest API). */
  readonly token: string;
}

export interface SpillwayOptions {
  readonly api: ApiServerAccess;
  /** The simulated ACI; the instance gets its own HTTP face over it. */
  readonly aci: AciModel;
  /** This replica's identity in the Lease and in events (a pod name in production). */
  readonly identity: string;
  /** Namespaces to watch. @default 'all' */
  readonly namespaces?: 'all' | string[];
  /** @default 500 */
  readonly tickIntervalMs?: number;
  /** @default {@link FAST_LEADER_ELECTION} */
  readonly leaderElection?: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  /** @default 4 (as `spillway run`) */
  readonly workers?: number;
  /** Log level of the in-memory log. @default 'debug' */
  readonly logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** The metrics registry to record into (a benchmark reads tick durations from it). @default a new one */
  readonly metrics?: ControllerMetrics;
}

/** The spec's own prices: what `spillway run` uses when the Retail Prices API cannot be reached. */
const specPrices: PriceSource = { prices: ({ fallback }) => ({ ...fallback }) };

/** One in-process Spillway replica. Always end it with {@link shutdown} or {@link kill}. */
export class SpillwayInstance {
  readonly identity: string;
  readonly manager: Manager;
  readonly cluster: KubeCluster;
  /** This instance's ACI endpoint; `face.requests` is every ARM call it made, in order. */
  readonly face: AciHttpFace;
  /** This instance's way to the API server. */
  readonly proxy: TcpProxy;
  /** The JSON log lines it wrote (secrets redacted by the logger, as in production). */
  readonly logLines: string[];
  readonly #handle: SpillwayHandle;
  #ended: Promise<void> | undefined;

  private constructor(init: {
    identity: string;
    handle: SpillwayHandle;
    face: AciHttpFace;
    proxy: TcpProxy;
    logLines: string[];
  }) {
    this.identity = init.identity;
    this.manager = init.handle.manager;
    this.cluster = init.handle.cluster;
    this.face = init.face;
    this.proxy = init.proxy;
    this.logLines = init.logLines;
    this.#handle = init.handle;
  }

  /** Composes and starts an instance; resolves once its health server listens (not yet synced or leading). */
  static async start(options: SpillwayOptions): Promise<SpillwayInstance> {
    const target = new URL(options.api.server);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const face = await startAciHttpFace({ model: options.aci });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'e2e', server: `https://127.0.0.1:${proxy.port}`, caFile: options.api.caPath }],
      users: [{ name: 'spillway', token: options.api.token }],
      contexts: [{ name: 'spillway', cluster: 'e2e', user: 'spillway' }],
      currentContext: 'spillway',
    });
    const logLevel = options.logLevel ?? 'debug';
    const logLines: string[] = [];
    const logger = createLogger({
      level: logLevel,
      base: { instance: options.identity },
      destination: { write: (line: string) => void logLines.push(line) },
    });
    try {
      const handle = await startSpillway(
        {
          namespaces: options.namespaces ?? 'all',
          tickIntervalMs: options.tickIntervalMs ?? 500,
          workers: options.workers ?? 4,
          metricsAddress: { host: '127.0.0.1', port: 0 },
          leaderElection: true,
          leaseNamespace: LEASE.namespace,
          leaseName: LEASE.name,
          identity: options.identity,
          azureEndpoint: face.url,
          clusterDomain: 'cluster.local',
          // Only the `run` command reads this (to build its logger); the logger above is given instead.
          logLevel: logLevel === 'silent' ? 'fatal' : logLevel,
          gcSchedule: DEFAULT_GC_SCHEDULE,
        },
        logger,
        {
          kubeConfig,
          azureCredential: simulatorCredential(),
          prices: specPrices,
          metrics: options.metrics ?? createControllerMetrics(),
          leaderElection: options.leaderElection ?? FAST_LEADER_ELECTION,
        },
      );
      return new SpillwayInstance({ identity: options.identity, handle, face, proxy, logLines });
    } catch (error) {
      await face.close();
      await proxy.sever();
      throw error;
    }
  }

  /** Holds the Lease and renewed it within the renew deadline. */
  isLeader(): boolean {
    return this.manager.elector?.isLeader() ?? true;
  }

  /** `GET /readyz` of its health server: status and body. */
  async readyz(): Promise<{ status: number; body: string }> {
    const address = this.manager.address;
    if (!address) return { status: 0, body: 'no health server' };
    const response = await fetch(`http://${address.host}:${address.port}/readyz`);
    return { status: response.status, body: await response.text() };
  }

  /** The ARM calls that change something (PUT, PATCH, POST, DELETE), in order. */
  aciWrites(): FaceRequest[] {
    return this.face.requests.filter((r) => r.method !== 'GET');
  }

  /**
   * Graceful shutdown, as on SIGTERM: finish in-flight ticks, release the Lease, stop the informers, then
   * close its network. Resolves when everything of it has stopped.
   */
  shutdown(): Promise<void> {
    this.#ended ??= (async () => {
      await this.#handle.shutdown();
      await this.face.close();
      await this.proxy.sever();
    })();
    return this.#ended;
  }

  /**
   * A crash: the network is cut at once, so from the moment this resolves nothing more reaches the API
   * server or ACI — no Lease release, no status, no delete of a group being drained. Its timers are then
   * stopped in the background (every call they make fails); {@link stopped} settles when they have.
   */
  async kill(): Promise<void> {
    if (this.#ended) return;
    const cut = Promise.all([this.proxy.sever(), this.face.close()]);
    this.#ended = cut.then(() => this.#handle.shutdown());
    await cut;
  }

  /** Settles once a {@link shutdown} or {@link kill} has stopped everything of this instance. */
  get stopped(): Promise<void> {
    return this.#ended ?? Promise.resolve();
  }
}
