/**
 * `spillway run`: the controller against a real cluster and real Azure. The composition root of
 * production: builds the Kubernetes adapter (informers, writes, Lease), one ACI provider per Azure
 * account the BurstScalers name, the retail price source, the signal reader, and hands them to the
 * controller's Manager (loop, leader election, GC sweep, /healthz /readyz /metrics).
 *
 * Every flag has an environment variable (shown in --help); a flag given on the command line wins.
 */
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { TokenCredential } from '@azure/identity';
import { KubeConfig } from '@kubernetes/client-node';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import ms from 'ms';
import cron from 'node-cron';
import { createAzureCredential } from '../aci/credential.ts';
import { RetailPriceSource } from '../aci/prices.ts';
import { AciBurstProvider } from '../aci/provider.ts';
import { billedResources, checkBurstable } from '../aci/translate.ts';
import { BurstRouter } from '../controller/burst-router.ts';
import type { BurstAccount } from '../controller/burst-router.ts';
import { systemClock } from '../controller/clock.ts';
import { parseListenAddress } from '../controller/health.ts';
import type { ListenAddress } from '../controller/health.ts';
import type { LeaderElectionOptions } from '../controller/leader.ts';
import { Manager } from '../controller/manager.ts';
import { decide } from '../core/decide.ts';
import type { Policy, ScalerKey } from '../core/types.ts';
import { KubeCluster, KubeLease } from '../kube/index.ts';
import type { ClusterPort, PriceSource } from '../ports.ts';
import { SignalReader, createSignalSources, replicaFloors } from '../signals/index.ts';
import { compilePolicy } from '../spec/compile.ts';
import { LOG_LEVELS, createLogger } from '../telemetry/logger.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createControllerMetrics } from '../telemetry/metrics.ts';
import type { ControllerMetrics } from '../telemetry/metrics.ts';
import { DEFAULT_GC_SCHEDULE } from '../controller/gc-sweep.ts';

/** Everything `spillway run` needs, after parsing and validation. */
export interface RunSettings {
  /** Path of a kubeconfig; undefined: in-cluster config, else $KUBECONFIG, else ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
  namespaces: 'all' | string[];
  clusterId?: string;
  tickIntervalMs: number;
  workers: number;
  metricsAddress: ListenAddress;
  leaderElection: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  azureEndpoint?: string;
  /**
   * The kube-dns Service IP, given to VNet-injected ACI groups as their name server (with the search
   * domains of their namespace) so that they resolve cluster Service names as pods do.
   */
  clusterDns?: string;
  /** The cluster's DNS domain, for those search domains. */
  clusterDomain: string;
  /** Azure Retail Prices API (default: the public one). */
  pricesEndpoint?: string;
  logLevel: (typeof LOG_LEVELS)[number];
  gcSchedule: string;
}

/** A running Spillway. */
export interface RunHandle {
  /** Where /healthz, /readyz and /metrics are served. */
  address?: ListenAddress;
  shutdown(): Promise<void>;
}

export interface RunCommandIo {
  /** Starts Spillway (default: {@link startSpillway} on real adapters). */
  start?: (settings: RunSettings, logger: Logger) => Promise<RunHandle>;
  /** Where SIGTERM/SIGINT come from (default: process). */
  signals?: EventEmitter;
  /** The logger for the command (default: JSON on stdout at --log-level). */
  logger?: (settings: RunSettings) => Logger;
}

/** What commander parses: the settings, with --tick-interval under its option name. */
type RawOptions = Omit<RunSettings, 'tickIntervalMs'> & { tickInterval: number };

function duration(flag: string, min: number) {
  return (text: string): number => {
    const value = ms(text.trim() as ms.StringValue) as number | undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
      throw new InvalidArgumentError(
        `${flag} must be a duration of at least ${ms(min)} such as 2s, 500ms or 1m, got ${JSON.stringify(text)}`,
      );
    return value;
  };
}

function positiveInteger(flag: string) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1)
      throw new InvalidArgumentError(`${flag} must be a whole number ≥ 1, got ${JSON.stringify(text)}`);
    return value;
  };
}

/** `all`, or a comma-separated list of namespaces. */
export function parseNamespaces(text: string): 'all' | string[] {
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (names.length === 0 || (names.length === 1 && names[0] === 'all')) return 'all';
  const bad = names.find((n) => !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n));
  if (bad !== undefined)
    throw new InvalidArgumentError(
      `--namespaces must be "all" or namespace names (lowercase letters, digits, '-') separated by commas, got ${JSON.stringify(bad)}`,
    );
  return [...new Set(names)].sort();
}

function address(text: string): ListenAddress {
  try {
    return parseListenAddress(text, '--metrics-address');
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function endpoint(flag: string, example: string) {
  return (text: string): string => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidArgumentError(`${flag} must be a URL such as ${example}, got ${JSON.stringify(text)}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new InvalidArgumentError(`${flag} must be an https URL, got ${JSON.stringify(text)}`);
    return text;
  };
}

function ipAddress(flag: string) {
  return (text: string): string => {
    if (isIP(text) === 0)
      throw new InvalidArgumentError(
        `${flag} must be an IP address (the kube-dns Service IP, e.g. 10.0.0.10 on AKS), got ${JSON.stringify(text)}`,
      );
    return text;
  };
}

function dnsDomain(text: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(text))
    throw new InvalidArgumentError(
      `--cluster-domain must be a DNS domain such as cluster.local, got ${JSON.stringify(text)}`,
    );
  return text;
}

function cronExpression(text: string): string {
  if (!cron.validate(text))
    throw new InvalidArgumentError(
      `--gc-schedule must be a cron expression such as "*/5 * * * *", got ${JSON.stringify(text)}`,
    );
  return text;
}

function bool(flag: string) {
  return (text: string): boolean => {
    if (/^(true|1|yes|on)$/i.test(text)) return true;
    if (/^(false|0|no|off)$/i.test(text)) return false;
    throw new InvalidArgumentError(`${flag} must be true or false, got ${JSON.stringify(text)}`);
  };
}

function logLevel(text: string): RunSettings['logLevel'] {
  const level = LOG_LEVELS.find((l) => l === text);
  if (!level)
    throw new InvalidArgumentError(
      `--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(text)}`,
    );
  return level;
}

/** This replica's identity in the leader Lease: the pod name, else hostname plus a random suffix. */
function defaultIdentity(): string {
  return `${hostname()}-${randomUUID().slice(0, 8)}`;
}

/** Registers `run` on the `spillway` program. */
export function registerRunCommand(program: Command, io: RunCommandIo = {}): Command {
  const command = program
    .command('run')
    .description(
      'Run the controller against a Kubernetes cluster and Azure: watch BurstScalers, decide every tick, ' +
        'scale Deployments and ACI container groups. Flags can also be set through the environment variables shown.',
    )
    .addOption(
      new Option(
        '--kubeconfig <path>',
        'kubeconfig file (default: in-cluster config, else ~/.kube/config)',
      ).env('KUBECONFIG'),
    )
    .addOption(
      new Option('--context <name>', 'kubeconfig context to use (default: the current one)').env(
        'SPILLWAY_CONTEXT',
      ),
    )
    .addOption(
      new Option('--namespaces <list>', 'namespaces to watch, comma-separated, or "all"')
        .env('SPILLWAY_NAMESPACES')
        .argParser(parseNamespaces)
        .default('all'),
    )
    .addOption(
      new Option(
        '--cluster-id <id>',
        'id written into ACI ownership tags (default: the uid of the kube-system namespace)',
      ).env('SPILLWAY_CLUSTER_ID'),
    )
    .addOption(
      new Option('--tick-interval <duration>', 'time between two ticks of one BurstScaler')
        .env('SPILLWAY_TICK_INTERVAL')
        .argParser(duration('--tick-interval', 100))
        .default(2000, '2s'),
    )
    .addOption(
      new Option('--workers <n>', 'BurstScalers ticked at the same time')
        .env('SPILLWAY_WORKERS')
        .argParser(positiveInteger('--workers'))
        .default(4),
    )
    .addOption(
      new Option('--metrics-address <host:port>', 'where to serve /healthz, /readyz and /metrics')
        .env('SPILLWAY_METRICS_ADDRESS')
        .argParser(address)
        .default({ host: '0.0.0.0', port: 8080 }, '0.0.0.0:8080'),
    )
    .addOption(
      new Option('--leader-election <enabled>', 'elect one acting replica through a Lease (true or false)')
        .env('SPILLWAY_LEADER_ELECTION')
        .argParser(bool('--leader-election'))
        .default(true),
    )
    .addOption(
      new Option('--lease-namespace <namespace>', 'namespace of the leader Lease')
        .env('SPILLWAY_LEASE_NAMESPACE')
        .default('spillway-system'),
    )
    .addOption(
      new Option('--lease-name <name>', 'name of the leader Lease')
        .env('SPILLWAY_LEASE_NAME')
        .default('spillway-leader'),
    )
    .addOption(
      new Option(
        '--identity <name>',
        'this replica’s name in the Lease (default: hostname and a random suffix)',
      ).env('POD_NAME'),
    )
    .addOption(
      new Option(
        '--azure-endpoint <url>',
        'Azure Resource Manager endpoint (sovereign clouds, or a local simulated ACI over http://127.0.0.1)',
      )
        .env('SPILLWAY_AZURE_ENDPOINT')
        .argParser(endpoint('--azure-endpoint', 'https://management.usgovcloudapi.net')),
    )
    .addOption(
      new Option(
        '--cluster-dns <ip>',
        'kube-dns Service IP for ACI groups in the cluster VNet, so they resolve Service names (AKS default 10.0.0.10); unset: Azure DNS',
      )
        .env('SPILLWAY_CLUSTER_DNS')
        .argParser(ipAddress('--cluster-dns')),
    )
    .addOption(
      new Option(
        '--cluster-domain <domain>',
        'the cluster DNS domain, for the search domains of those groups',
      )
        .env('SPILLWAY_CLUSTER_DOMAIN')
        .argParser(dnsDomain)
        .default('cluster.local'),
    )
    .addOption(
      new Option(
        '--prices-endpoint <url>',
        'Azure Retail Prices API (default: https://prices.azure.com/api/retail/prices)',
      )
        .env('SPILLWAY_PRICES_ENDPOINT')
        .argParser(endpoint('--prices-endpoint', 'https://prices.azure.com/api/retail/prices')),
    )
    .addOption(
      new Option('--gc-schedule <cron>', 'when to sweep for orphaned container groups (node-cron syntax)')
        .env('SPILLWAY_GC_SCHEDULE')
        .argParser(cronExpression)
        .default(DEFAULT_GC_SCHEDULE),
    )
    .addOption(
      new Option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')}`)
        .env('SPILLWAY_LOG_LEVEL')
        .argParser(logLevel)
        .default('info'),
    )
    .addHelpText(
      'after',
      '\nAzure credentials come from DefaultAzureCredential: workload identity in AKS (AZURE_CLIENT_ID, ' +
        'AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE), a managed identity, or an Azure CLI login.\n' +
        'Send SIGTERM or SIGINT for a graceful shutdown (finish ticks, release the Lease).\n',
    )
    .action(async (raw: RawOptions) => {
      const settings: RunSettings = {
        ...(raw.kubeconfig ? { kubeconfig: raw.kubeconfig } : {}),
        ...(raw.context ? { context: raw.context } : {}),
        namespaces: raw.namespaces,
        ...(raw.clusterId ? { clusterId: raw.clusterId } : {}),
        tickIntervalMs: raw.tickInterval,
        workers: raw.workers,
        metricsAddress: raw.metricsAddress,
        leaderElection: raw.leaderElection,
        leaseNamespace: raw.leaseNamespace,
        leaseName: raw.leaseName,
        identity: raw.identity || defaultIdentity(),
        ...(raw.azureEndpoint ? { azureEndpoint: raw.azureEndpoint } : {}),
        ...(raw.clusterDns ? { clusterDns: raw.clusterDns } : {}),
        clusterDomain: raw.clusterDomain,
        ...(raw.pricesEndpoint ? { pricesEndpoint: raw.pricesEndpoint } : {}),
        logLevel: raw.logLevel,
        gcSchedule: raw.gcSchedule,
      };
      const logger = (io.logger ?? ((s: RunSettings) => createLogger({ level: s.logLevel })))(settings);
      const signals = io.signals ?? process;
      let handle: RunHandle;
      try {
        handle = await (io.start ?? startSpillway)(settings, logger);
      } catch (error) {
        logger.fatal({ err: error as Error }, `spillway could not start: ${(error as Error).message}`);
        process.exitCode = 1;
        return;
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          signals.off('SIGTERM', onTerm);
          signals.off('SIGINT', onInt);
          logger.info({ signal }, 'shutdown requested');
          handle.shutdown().then(resolve, (error: unknown) => {
            logger.error({ err: error as Error }, 'shutdown failed');
            process.exitCode = 1;
            resolve();
          });
        };
        const onTerm = (): void => stop('SIGTERM');
        const onInt = (): void => stop('SIGINT');
        signals.once('SIGTERM', onTerm);
        signals.once('SIGINT', onInt);
      });
    });
  return command;
}

/** The Azure account of each BurstScaler, from its compiled spec (cached per uid and generation). */
export class ScalerAccounts {
  readonly #cluster: ClusterPort;
  readonly #cache = new Map<string, { generation: number; account: BurstAccount | undefined }>();

  constructor(cluster: ClusterPort) {
    this.#cluster = cluster;
  }

  account(scaler: ScalerKey): BurstAccount | undefined {
    const object = this.#cluster.scalers().find((s) => s.metadata.uid === scaler.uid);
    if (!object) return undefined;
    const cached = this.#cache.get(scaler.uid);
    if (cached && cached.generation === object.metadata.generation) return cached.account;
    let policy: Policy | undefined;
    try {
      policy = compilePolicy(object);
    } catch {
      policy = undefined;
    }
    const account = policy
      ? { subscriptionId: policy.burst.aci.subscriptionId, resourceGroup: policy.burst.aci.resourceGroup }
      : undefined;
    this.#cache.set(scaler.uid, { generation: object.metadata.generation, account });
    return account;
  }

  accounts(): BurstAccount[] {
    const live = new Set<string>();
    const out: BurstAccount[] = [];
    for (const object of this.#cluster.scalers()) {
      const { namespace, name, uid } = object.metadata;
      live.add(uid);
      const account = this.account({ namespace, name, uid });
      if (account) out.push(account);
    }
    for (const uid of this.#cache.keys()) if (!live.has(uid)) this.#cache.delete(uid);
    return out;
  }
}

/**
 * What {@link startSpillway} builds itself unless given: the edges an in-process test harness replaces
 * (the e2e suite points Spillway at a throwaway API server and the simulated ACI). Production passes none.
 */
export interface SpillwayOverrides {
  /** Used as is, instead of loading `settings.kubeconfig` (or the default) and `settings.context`. */
  kubeConfig?: KubeConfig;
  /** Instead of DefaultAzureCredential, for ACI and the Azure signal sources. */
  azureCredential?: TokenCredential;
  /** Instead of the Retail Prices API (the caller starts and stops it). */
  prices?: PriceSource;
  /** The registry to record into, instead of a new one with process metrics. */
  metrics?: ControllerMetrics;
  /** Lease timings (default: client-go's); used when `settings.leaderElection` is on. */
  leaderElection?: Omit<LeaderElectionOptions, 'identity'>;
}

/** A Spillway started by {@link startSpillway}: its Manager and Kubernetes adapter, for inspection. */
export interface SpillwayHandle extends RunHandle {
  readonly manager: Manager;
  readonly cluster: KubeCluster;
}

/** Builds the real adapters (or takes the {@link SpillwayOverrides} given) and starts the Manager. */
export async function startSpillway(
  settings: RunSettings,
  logger: Logger,
  overrides: SpillwayOverrides = {},
): Promise<SpillwayHandle> {
  const kubeConfig = overrides.kubeConfig ?? loadKubeConfig(settings);
  const clock = systemClock;
  const metrics = overrides.metrics ?? createControllerMetrics({ processMetrics: true });
  const logAs =
    (component: string) =>
    (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void =>
      logger.child({ component })[level](fields ?? {}, message);

  const cluster = new KubeCluster({
    kubeConfig,
    namespaces: settings.namespaces,
    clock,
    log: logAs('kube'),
    ...(settings.clusterId ? { clusterId: settings.clusterId } : {}),
    instance: settings.identity,
  });
  await cluster.start();

  const credential = overrides.azureCredential ?? createAzureCredential();
  const accounts = new ScalerAccounts(cluster);
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
        ...(settings.azureEndpoint ? { endpoint: settings.azureEndpoint } : {}),
        ...(settings.clusterDns
          ? {
              translation: {
                clusterDns: { nameServer: settings.clusterDns, clusterDomain: settings.clusterDomain },
              },
            }
          : {}),
      }),
    checks: {
      checkBurstable: (template) => checkBurstable(template),
      billedResources: (template) => billedResources(template),
    },
  });
  let prices = overrides.prices;
  let retailPrices: RetailPriceSource | undefined;
  if (!prices) {
    prices = retailPrices = new RetailPriceSource({
      clock,
      log: logAs('prices'),
      ...(settings.pricesEndpoint ? { endpoint: settings.pricesEndpoint } : {}),
    });
    retailPrices.start();
  }
  const signals = new SignalReader({
    clock,
    values: cluster,
    sources: createSignalSources({ azureCredential: () => credential }),
  });

  const manager = new Manager(
    {
      clock,
      cluster,
      provider,
      signals,
      prices,
      decide,
      compilePolicy,
      floors: replicaFloors,
      logger,
      metrics,
      ...(settings.leaderElection
        ? {
            lease: new KubeLease({
              kubeConfig,
              namespace: settings.leaseNamespace,
              name: settings.leaseName,
            }),
          }
        : {}),
    },
    {
      controller: { tickIntervalMs: settings.tickIntervalMs, workers: settings.workers },
      ...(settings.leaderElection
        ? { leaderElection: { identity: settings.identity, ...overrides.leaderElection } }
        : {}),
      health: settings.metricsAddress,
      gc: {
        schedule: settings.gcSchedule,
        ...(settings.namespaces !== 'all' ? { watchedNamespaces: settings.namespaces } : {}),
      },
    },
  );
  try {
    await manager.start();
  } catch (error) {
    retailPrices?.stop();
    signals.close();
    await cluster.stop();
    throw error;
  }
  logger.info(
    {
      namespaces: settings.namespaces,
      clusterId: cluster.clusterId(),
      tickInterval: ms(settings.tickIntervalMs),
      metrics: `${manager.address?.host}:${manager.address?.port}`,
      leaderElection: settings.leaderElection,
      identity: settings.identity,
    },
    'spillway run: watching BurstScalers',
  );
  return {
    ...(manager.address ? { address: manager.address } : {}),
    manager,
    cluster,
    async shutdown(): Promise<void> {
      await manager.shutdown();
      signals.close();
      retailPrices?.stop();
      await cluster.stop();
    },
  };
}

/** The kubeconfig `settings` name (file, else in-cluster / $KUBECONFIG / ~/.kube/config), at `--context`. */
function loadKubeConfig(settings: RunSettings): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (settings.kubeconfig) kubeConfig.loadFromFile(settings.kubeconfig);
  else kubeConfig.loadFromDefault();
  if (settings.context) {
    if (!kubeConfig.getContextObject(settings.context))
      throw new Error(
        `--context: no context ${JSON.stringify(settings.context)} in the kubeconfig (it has: ${kubeConfig
          .getContexts()
          .map((c) => c.name)
          .join(', ')})`,
      );
    kubeConfig.setCurrentContext(settings.context);
  }
  return kubeConfig;
}
