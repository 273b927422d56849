/**
 * Spillway in-process, composed as `spillway run` composes it (src/cli/run.ts) from the real adapters:
 * KubeCluster and KubeLease authenticated as the `spillway` ServiceAccount, one AciBurstProvider per Azure
 * account behind a BurstRouter (the real Azure SDK, pointed at the simulated ACI's ARM HTTP face), the
 * SignalReader with every registered source, and the controller Manager (loop, leader election, GC sweep,
 * /healthz /readyz /metrics).
 *
 * Two things differ from production, both at the edges:
 * - Azure: the simulator's credential instead of DefaultAzureCredential, and the spec's prices instead of
 *   the Retail Prices API (there is no internet here; production falls back to the same prices).
 * - The network: each instance reaches the API server through its own {@link TcpProxy} and ACI through its
 *   own HTTP face over the shared model, so {@link SpillwayInstance.kill} can cut it off at once — what a
 *   SIGKILL does to a pod — and the faces' request logs tell the instances' ACI calls apart.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { BurstRouter } from '../../../src/controller/burst-router.ts';
import { AciBurstProvider } from '../../../src/aci/provider.ts';
import { billedResources, checkBurstable } from '../../../src/aci/translate.ts';
import { ScalerAccounts } from '../../../src/cli/run.ts';
import { systemClock } from '../../../src/controller/clock.ts';
import type { ListenAddress } from '../../../src/controller/health.ts';
import { Manager } from '../../../src/controller/manager.ts';
import { decide } from '../../../src/core/decide.ts';
import { KubeCluster, KubeLease } from '../../../src/kube/index.ts';
import type { PriceSource } from '../../../src/ports.ts';
import {
  SignalReader,
  createSignalSources,
  cronTriggerFloors,
  scheduleFloors,
} from '../../../src/signals/index.ts';
import { startAciHttpFace, simulatorCredential } from '../../../src/sim/aci/http-face.ts';
import type { AciHttpFace, FaceRequest } from '../../../src/sim/aci/http-face.ts';
import type { AciModel } from '../../../src/sim/aci/model.ts';
import { compilePolicy } from '../../../src/spec/compile.ts';
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
  readonly #signals: SignalReader;
  #ended: Promise<void> | undefined;

  private constructor(init: {
    identity: string;
    manager: Manager;
    cluster: KubeCluster;
    face: AciHttpFace;
    proxy: TcpProxy;
    logLines: string[];
    signals: SignalReader;
  }) {
    this.identity = init.identity;
    this.manager = init.manager;
    this.cluster = init.cluster;
    this.face = init.face;
    this.proxy = init.proxy;
    this.logLines = init.logLines;
    this.#signals = init.signals;
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
    const logLines: string[] = [];
    const logger = createLogger({
      level: options.logLevel ?? 'debug',
      base: { instance: options.identity },
      destination: { write: (line: string) => void logLines.push(line) },
    });
    const clock = systemClock;
    const metrics = options.metrics ?? createControllerMetrics();
    const logAs =
      (component: string) =>
      (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void =>
        logger.child({ component })[level](fields ?? {}, message);

    const cluster = new KubeCluster({
      kubeConfig,
      namespaces: options.namespaces ?? 'all',
      clock,
      log: logAs('kube'),
      instance: options.identity,
    });
    const signals = new SignalReader({
      clock,
      values: cluster,
      sources: createSignalSources({ azureCredential: () => simulatorCredential() }),
    });
    try {
      await cluster.start();
      const accounts = new ScalerAccounts(cluster);
      const credential = simulatorCredential();
      const provider = new BurstRouter({
        accountOf: (scaler) => accounts.account(scaler),
        accountsInUse: () => accounts.accounts(),
        providerFor: (account) =>
          new AciBurstProvider({
            clusterId: cluster.clusterId(),
            clock,
            log: logAs('aci'),
            credential,
            subscriptionId: account.subscriptionId,
            resourceGroup: account.resourceGroup,
            endpoint: face.url,
          }),
        checks: {
          checkBurstable: (template) => checkBurstable(template),
          billedResources: (template) => billedResources(template),
        },
      });
      const health: ListenAddress = { host: '127.0.0.1', port: 0 };
      const manager = new Manager(
        {
          clock,
          cluster,
          provider,
          signals,
          prices: specPrices,
          decide,
          compilePolicy,
          floors: (policy, now) => [
            ...scheduleFloors(policy.schedules, now),
            ...cronTriggerFloors(policy.triggers, now),
          ],
          logger,
          metrics,
          lease: new KubeLease({ kubeConfig, namespace: LEASE.namespace, name: LEASE.name }),
        },
        {
          controller: { tickIntervalMs: options.tickIntervalMs ?? 500, workers: options.workers ?? 4 },
          leaderElection: { identity: options.identity, ...(options.leaderElection ?? FAST_LEADER_ELECTION) },
          health,
          gc:
            options.namespaces && options.namespaces !== 'all'
              ? { watchedNamespaces: options.namespaces }
              : {},
        },
      );
      await manager.start();
      return new SpillwayInstance({
        identity: options.identity,
        manager,
        cluster,
        face,
        proxy,
        logLines,
        signals,
      });
    } catch (error) {
      signals.close();
      await cluster.stop();
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
      await this.manager.shutdown();
      this.#signals.close();
      await this.cluster.stop();
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
    this.#ended = cut.then(async () => {
      await this.manager.shutdown();
      this.#signals.close();
      await this.cluster.stop();
    });
    await cut;
  }

  /** Settles once a {@link shutdown} or {@link kill} has stopped everything of this instance. */
  get stopped(): Promise<void> {
    return this.#ended ?? Promise.resolve();
  }
}
