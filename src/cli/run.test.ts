import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../telemetry/logger.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createControllerMetrics } from '../telemetry/metrics.ts';
import { ScalerAccounts, parseNamespaces, registerRunCommand, startSpillway } from './run.ts';
import type { RunHandle, RunSettings } from './run.ts';
import { ClusterWorld, FakeCluster } from '../../test/controller/fakes.ts';
import { ManualClock } from '../../test/controller/manual-clock.ts';

const ENV = [
  'KUBECONFIG',
  'SPILLWAY_CONTEXT',
  'SPILLWAY_NAMESPACES',
  'SPILLWAY_CLUSTER_ID',
  'SPILLWAY_TICK_INTERVAL',
  'SPILLWAY_WORKERS',
  'SPILLWAY_METRICS_ADDRESS',
  'SPILLWAY_LEADER_ELECTION',
  'SPILLWAY_LEASE_NAMESPACE',
  'SPILLWAY_LEASE_NAME',
  'POD_NAME',
  'SPILLWAY_AZURE_ENDPOINT',
  'SPILLWAY_PRICES_ENDPOINT',
  'SPILLWAY_GC_SCHEDULE',
  'SPILLWAY_LOG_LEVEL',
];
let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  for (const k of ENV) delete process.env[k];
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const silent = (): Logger => createLogger({ level: 'silent' });

/** Parses `args` for `spillway run`, returning the settings it would start with (or the error text). */
async function parse(args: string[]): Promise<{ settings?: RunSettings; error?: string; shutdowns: number }> {
  let settings: RunSettings | undefined;
  let shutdowns = 0;
  let err = '';
  const signals = new EventEmitter();
  const program = new Command('spillway').exitOverride().configureOutput({
    writeErr: (t) => (err += t),
    writeOut: () => undefined,
  });
  registerRunCommand(program, {
    start: (s) => {
      settings = s;
      setImmediate(() => signals.emit('SIGTERM'));
      return Promise.resolve({ shutdown: () => Promise.resolve(void shutdowns++) });
    },
    signals,
    logger: silent,
  });
  program.commands[0]!.exitOverride().configureOutput({
    writeErr: (t) => (err += t),
    writeOut: () => undefined,
  });
  try {
    await program.parseAsync(['node', 'spillway', 'run', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { error: err, shutdowns };
  }
  return { ...(settings ? { settings } : {}), shutdowns };
}

describe('spillway run: flags and environment', () => {
  it('has documented defaults', async () => {
    const { settings } = await parse([]);
    expect(settings).toMatchObject({
      namespaces: 'all',
      tickIntervalMs: 2000,
      workers: 4,
      metricsAddress: { host: '0.0.0.0', port: 8080 },
      leaderElection: true,
      leaseNamespace: 'spillway-system',
      leaseName: 'spillway-leader',
      logLevel: 'info',
      gcSchedule: '*/5 * * * *',
    });
    expect(settings?.identity).toMatch(/^.+-[0-9a-f]{8}$/);
    expect(settings?.kubeconfig).toBeUndefined();
  });

  it.each([
    {
      flag: ['--kubeconfig', '/etc/kube/config'],
      env: ['KUBECONFIG', '/etc/kube/config'],
      field: { kubeconfig: '/etc/kube/config' },
    },
    {
      flag: ['--context', 'aks-prod'],
      env: ['SPILLWAY_CONTEXT', 'aks-prod'],
      field: { context: 'aks-prod' },
    },
    {
      flag: ['--namespaces', 'shop, billing,shop'],
      env: ['SPILLWAY_NAMESPACES', 'shop,billing'],
      field: { namespaces: ['billing', 'shop'] },
    },
    {
      flag: ['--cluster-id', 'aks-weu-1'],
      env: ['SPILLWAY_CLUSTER_ID', 'aks-weu-1'],
      field: { clusterId: 'aks-weu-1' },
    },
    {
      flag: ['--tick-interval', '500ms'],
      env: ['SPILLWAY_TICK_INTERVAL', '500ms'],
      field: { tickIntervalMs: 500 },
    },
    {
      flag: ['--tick-interval', '1m'],
      env: ['SPILLWAY_TICK_INTERVAL', '1m'],
      field: { tickIntervalMs: 60_000 },
    },
    { flag: ['--workers', '16'], env: ['SPILLWAY_WORKERS', '16'], field: { workers: 16 } },
    {
      flag: ['--metrics-address', ':9102'],
      env: ['SPILLWAY_METRICS_ADDRESS', ':9102'],
      field: { metricsAddress: { host: '0.0.0.0', port: 9102 } },
    },
    {
      flag: ['--leader-election', 'false'],
      env: ['SPILLWAY_LEADER_ELECTION', 'false'],
      field: { leaderElection: false },
    },
    {
      flag: ['--lease-namespace', 'ops'],
      env: ['SPILLWAY_LEASE_NAMESPACE', 'ops'],
      field: { leaseNamespace: 'ops' },
    },
    { flag: ['--lease-name', 'sw'], env: ['SPILLWAY_LEASE_NAME', 'sw'], field: { leaseName: 'sw' } },
    {
      flag: ['--identity', 'spillway-0'],
      env: ['POD_NAME', 'spillway-0'],
      field: { identity: 'spillway-0' },
    },
    {
      flag: ['--azure-endpoint', 'https://management.usgovcloudapi.net'],
      env: ['SPILLWAY_AZURE_ENDPOINT', 'https://management.usgovcloudapi.net'],
      field: { azureEndpoint: 'https://management.usgovcloudapi.net' },
    },
    {
      flag: ['--cluster-dns', '10.0.0.10'],
      env: ['SPILLWAY_CLUSTER_DNS', '10.0.0.10'],
      field: { clusterDns: '10.0.0.10', clusterDomain: 'cluster.local' },
    },
    {
      flag: ['--cluster-domain', 'corp.internal'],
      env: ['SPILLWAY_CLUSTER_DOMAIN', 'corp.internal'],
      field: { clusterDomain: 'corp.internal' },
    },
    {
      flag: ['--prices-endpoint', 'http://127.0.0.1:9/prices'],
      env: ['SPILLWAY_PRICES_ENDPOINT', 'http://127.0.0.1:9/prices'],
      field: { pricesEndpoint: 'http://127.0.0.1:9/prices' },
    },
    {
      flag: ['--gc-schedule', '0 * * * *'],
      env: ['SPILLWAY_GC_SCHEDULE', '0 * * * *'],
      field: { gcSchedule: '0 * * * *' },
    },
    { flag: ['--log-level', 'debug'], env: ['SPILLWAY_LOG_LEVEL', 'debug'], field: { logLevel: 'debug' } },
  ])('$flag.0 and $env.0', async ({ flag, env, field }) => {
    expect((await parse(flag)).settings).toMatchObject(field);
    process.env[env[0]!] = env[1]!;
    expect((await parse([])).settings).toMatchObject(field);
  });

  it('a flag wins over its environment variable', async () => {
    process.env.SPILLWAY_WORKERS = '2';
    expect((await parse(['--workers', '3'])).settings?.workers).toBe(3);
  });

  it.each([
    {
      args: ['--tick-interval', 'soon'],
      error: /--tick-interval must be a duration of at least 100ms such as 2s, 500ms or 1m, got "soon"/,
    },
    { args: ['--tick-interval', '10ms'], error: /--tick-interval must be a duration of at least 100ms/ },
    { args: ['--workers', '0'], error: /--workers must be a whole number ≥ 1, got "0"/ },
    { args: ['--metrics-address', '8080'], error: /--metrics-address: must be host:port/ },
    { args: ['--leader-election', 'maybe'], error: /--leader-election must be true or false, got "maybe"/ },
    { args: ['--namespaces', 'Shop'], error: /--namespaces must be "all" or namespace names/ },
    { args: ['--azure-endpoint', 'management.azure.com'], error: /--azure-endpoint must be a URL such as/ },
    { args: ['--azure-endpoint', 'ftp://x'], error: /--azure-endpoint must be an https URL/ },
    {
      args: ['--cluster-dns', 'kube-dns.kube-system'],
      error:
        /--cluster-dns must be an IP address \(the kube-dns Service IP, e.g. 10.0.0.10 on AKS\), got "kube-dns.kube-system"/,
    },
    {
      args: ['--cluster-domain', 'Cluster_Local'],
      error: /--cluster-domain must be a DNS domain such as cluster.local/,
    },
    {
      args: ['--gc-schedule', 'hourly'],
      error: /--gc-schedule must be a cron expression such as "\*\/5 \* \* \* \*", got "hourly"/,
    },
    {
      args: ['--log-level', 'loud'],
      error: /--log-level must be one of fatal, error, warn, info, debug, trace, got "loud"/,
    },
  ])('rejects $args', async ({ args, error }) => {
    const result = await parse(args);
    expect(result.error).toMatch(error);
    expect(result.settings).toBeUndefined();
  });

  it('documents every flag with its environment variable in --help', () => {
    const program = new Command('spillway');
    const help = registerRunCommand(program).helpInformation().replace(/\s+/g, ' ');
    for (const env of ENV) expect(help).toMatch(new RegExp(`(\\(|, )env: ${env}\\)`));
    expect(help).toMatch(/--kubeconfig <path>/);
    expect(help).toMatch(/default: "?2s"?/);
  });

  it('shuts down on SIGTERM', async () => {
    const result = await parse([]);
    expect(result.shutdowns).toBe(1);
  });

  it('a start failure exits 1 with the reason logged', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const program = new Command('spillway');
    registerRunCommand(program, {
      start: () => Promise.reject(new Error('reading namespace kube-system for the cluster id: Forbidden')),
      logger: () => createLogger({ level: 'info', destination }),
    });
    const before = process.exitCode;
    await program.parseAsync(['node', 'spillway', 'run']);
    expect(process.exitCode).toBe(1);
    process.exitCode = before;
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'fatal',
      msg: 'spillway could not start: reading namespace kube-system for the cluster id: Forbidden',
    });
  });

  it.each([
    ['all', 'all'],
    ['', 'all'],
    ['b,a', ['a', 'b']],
  ])('parseNamespaces(%j) → %j', (text, expected) => {
    expect(parseNamespaces(text)).toEqual(expected);
  });
});

describe('ScalerAccounts', () => {
  it('reads each scaler’s Azure account from its compiled spec, and none for an invalid one', () => {
    const clock = new ManualClock();
    const world = new ClusterWorld();
    const spec = (rg: string) => ({
      targetRef: { name: 'orders' },
      maxReplicas: 10,
      triggers: [
        {
          type: 'azure-storage-queue',
          metadata: { queueName: 'q', accountName: 'a', targetPerReplica: '5' },
        },
      ],
      burst: {
        aci: {
          subscriptionId: '00000000-0000-0000-0000-000000000001',
          resourceGroup: rg,
          regions: ['eastus'],
        },
      },
    });
    world.addScaler('shop', 'orders', spec('burst-shop'), 'u1');
    world.addScaler('billing', 'invoices', { maxReplicas: 'many' }, 'u2');
    const accounts = new ScalerAccounts(new FakeCluster(world, clock));
    expect(accounts.account({ namespace: 'shop', name: 'orders', uid: 'u1' })).toEqual({
      subscriptionId: '00000000-0000-0000-0000-000000000001',
      resourceGroup: 'burst-shop',
    });
    expect(accounts.account({ namespace: 'billing', name: 'invoices', uid: 'u2' })).toBeUndefined();
    expect(accounts.accounts()).toHaveLength(1);
    // A new generation is compiled again.
    const object = world.scalers.get('shop/orders')!;
    object.spec = spec('burst-shop-2');
    object.metadata.generation = 2;
    expect(accounts.account({ namespace: 'shop', name: 'orders', uid: 'u1' })?.resourceGroup).toBe(
      'burst-shop-2',
    );
  });
});

describe('startSpillway on real adapters (API server and Azure unreachable)', () => {
  let dir: string | undefined;
  let handle: RunHandle | undefined;
  afterEach(async () => {
    await handle?.shutdown();
    handle = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function kubeconfig(): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'spillway-run-'));
    const path = join(dir, 'config');
    await writeFile(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: local, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        'users: [{name: me, user: {token: kube-token-do-not-log}}]',
        'contexts: [{name: local, context: {cluster: local, user: me}}, {name: other, context: {cluster: local, user: me}}]',
        'current-context: local',
      ].join('\n'),
    );
    return path;
  }

  const settings = (path: string): RunSettings => ({
    kubeconfig: path,
    context: 'other',
    namespaces: ['shop'],
    clusterId: 'test-cluster',
    tickIntervalMs: 2000,
    workers: 2,
    metricsAddress: { host: '127.0.0.1', port: 0 },
    leaderElection: true,
    leaseNamespace: 'spillway-system',
    leaseName: 'spillway-leader',
    identity: 'spillway-test',
    azureEndpoint: 'http://127.0.0.1:1',
    clusterDomain: 'cluster.local',
    pricesEndpoint: 'http://127.0.0.1:1/prices',
    logLevel: 'debug',
    gcSchedule: '*/5 * * * *',
  });

  it('serves health, is not ready while nothing answers, shuts down cleanly, never logs the token', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    handle = await startSpillway(settings(await kubeconfig()), logger);
    const base = `http://127.0.0.1:${handle.address!.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toMatch(/the cluster caches are not synced yet/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^spillway_cluster_synced 0$/m);
    expect(metrics).toMatch(/^spillway_process_cpu_seconds_total /m);
    await handle.shutdown();
    handle = undefined;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(lines.join('')).toContain('spillway run: watching BurstScalers');
    expect(lines.join('')).not.toContain('kube-token-do-not-log');
  });

  it('takes the kubeConfig and metrics registry given instead of loading --kubeconfig and building its own', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'given', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'me', token: 'given-token' }],
      contexts: [{ name: 'given', cluster: 'given', user: 'me' }],
      currentContext: 'given',
    });
    const metrics = createControllerMetrics();
    metrics.registry.setDefaultLabels({ registry: 'given' });
    dir = await mkdtemp(join(tmpdir(), 'spillway-run-'));
    // Neither the file nor the context exists: loading them would throw.
    handle = await startSpillway({ ...settings(join(dir, 'missing')), context: 'prod' }, silent(), {
      kubeConfig,
      metrics,
      azureCredential: { getToken: () => Promise.resolve(null) },
      prices: { prices: ({ fallback }) => ({ ...fallback }) },
      leaderElection: { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 1000 },
    });
    const served = await (await fetch(`http://127.0.0.1:${handle.address!.port}/metrics`)).text();
    expect(served).toMatch(/^spillway_cluster_synced\{registry="given"\} 0$/m);
    expect(served).not.toMatch(/^spillway_process_cpu_seconds_total /m);
  });

  it('names the contexts when --context is wrong', async () => {
    const path = await kubeconfig();
    await expect(startSpillway({ ...settings(path), context: 'prod' }, silent())).rejects.toThrow(
      '--context: no context "prod" in the kubeconfig (it has: local, other)',
    );
  });
});
