/**
 * `npm run bench:e2e`: Spillway at scale on the real control plane of the end-to-end suite (etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler, KWOK nodes): 200 BurstScalers whose 200
 * Deployments run 5,000 pods on 50 KWOK nodes, each scaler reading its own Redis list. Spillway runs
 * in-process exactly as in the scenarios (test/e2e/lib/spillway.ts: the real adapters, the `spillway`
 * ServiceAccount's token, the simulated ACI over the Azure SDK), with the production defaults: a 2 s tick
 * interval, 4 workers and client-go's leader-election timings.
 *
 * Two measured phases of `--phase-seconds` each:
 * - steady: every scaler's demand equals its replicas (the nodes are exactly full);
 * - burst: 20 scalers want 5 more replicas each; nothing fits on the nodes, so 100 replicas go to ACI.
 *
 * Reported per phase: tick time p50/p99/max (one tick = observe + decide + execute for one scaler, from the
 * controller's own tick-duration metric), ticks per second, requests per minute of the `spillway`
 * ServiceAccount (API server audit log, by verb) and of ACI (the ARM face's log), CPU of this process, and
 * Spillway's memory: heap and RSS after a full GC, minus the same before Spillway started. The benchmark
 * prints figures; it asserts nothing.
 *
 * Usage: npm run bench:e2e -- [--scalers 200] [--replicas 25] [--nodes 50] [--phase-seconds 60] [--write]
 *   --write  replace the figures between the e2e-scale markers in docs/e2e.md
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import * as prettier from 'prettier';
import { stringify as toYaml } from 'yaml';
import { systemClock } from '../../src/controller/clock.ts';
import { AciModel } from '../../src/sim/aci/model.ts';
import { createControllerMetrics } from '../../src/telemetry/metrics.ts';
import { ControlPlane, waitUntil, type AuditEvent } from './harness.ts';
import { SpillwayInstance } from './lib/spillway.ts';
import { burstScalerManifest, groupsIn } from './lib/workloads.ts';
import { startRedis } from '../servers/redis.ts';

const { values: args } = parseArgs({
  options: {
    scalers: { type: 'string', default: '200' },
    replicas: { type: 'string', default: '25' },
    nodes: { type: 'string', default: '50' },
    'phase-seconds': { type: 'string', default: '60' },
    write: { type: 'boolean', default: false },
  },
});
const SCALERS = Number(args.scalers);
const REPLICAS = Number(args.replicas);
const NODES = Number(args.nodes);
const PHASE_MS = Number(args['phase-seconds']) * 1000;
const NAMESPACES = 10;
const BURSTING = Math.max(1, Math.round(SCALERS / 10));
const BURST_EXTRA = 5;
/** Pods per node: the nodes are exactly full with every Deployment at its replicas. */
const PODS_PER_NODE = Math.ceil((SCALERS * REPLICAS) / NODES);
const SPILLWAY_USER = 'system:serviceaccount:spillway-system:spillway';
const gc = (globalThis as { gc?: () => void }).gc;

const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function memory(): { heapMiB: number; rssMiB: number } {
  gc?.();
  const m = process.memoryUsage();
  return { heapMiB: m.heapUsed / 2 ** 20, rssMiB: m.rss / 2 ** 20 };
}

interface PhaseResult {
  name: string;
  ticks: number;
  tickP50Ms: number;
  tickP99Ms: number;
  tickMaxMs: number;
  apiPerMinute: number;
  apiByVerb: Record<string, number>;
  aciPerMinute: number;
  cpuPercent: number;
  heapMiB: number;
  rssMiB: number;
}

const scalerName = (i: number): { namespace: string; name: string } => ({
  namespace: `bench-${i % NAMESPACES}`,
  name: `app-${String(i).padStart(3, '0')}`,
});

async function main(): Promise<void> {
  if (!gc) log('warning: run with node --expose-gc (npm run bench:e2e does) for memory after a full GC');
  const started = Date.now();
  const cluster = await ControlPlane.start({
    log,
    // The controller manager and the scheduler create and bind thousands of pods: raise their client rate.
    extraArgs: {
      'kube-controller-manager': ['--kube-api-qps=300', '--kube-api-burst=600'],
      'kube-scheduler': ['--kube-api-qps=300', '--kube-api-burst=600'],
    },
  });
  const redis = await startRedis();
  const queue = new Redis({ host: redis.host, port: redis.port });
  let spillway: SpillwayInstance | undefined;
  try {
    await cluster.addNodes({ count: NODES, cpu: '16', memory: '64Gi', pods: PODS_PER_NODE }, 300_000);
    await cluster.apply([
      'deploy/crds',
      'deploy/base/namespace.yaml',
      'deploy/base/service-account.yaml',
      'deploy/base/rbac.yaml',
    ]);
    const namespaces = Array.from({ length: NAMESPACES }, (_, i) =>
      toYaml({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${i}` } }),
    );
    await cluster.apply({ yaml: namespaces.join('---\n') });

    // 200 Deployments × 25 pods of 100m / 128Mi: 5,000 pods filling 50 nodes of 100 pods.
    const deployments = Array.from({ length: SCALERS }, (_, i) => {
      const { namespace, name } = scalerName(i);
      return toYaml({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'registry.example/app:1',
                  resources: { requests: { cpu: '100m', memory: '128Mi' } },
                },
              ],
            },
          },
        },
      });
    });
    const podsWanted = SCALERS * REPLICAS;
    log(`creating ${SCALERS} Deployments (${podsWanted} pods) on ${NODES} nodes of ${PODS_PER_NODE} pods`);
    await cluster.apply({ yaml: deployments.join('---\n') });
    const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
    const podsStarted = Date.now();
    await waitUntil(
      `${podsWanted} pods Running`,
      async () => {
        const list = await core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running' });
        const running = list.items.filter((p) => p.metadata?.namespace?.startsWith('bench-')).length;
        log(`  ${running} pods Running`);
        return running >= podsWanted ? true : undefined;
      },
      { timeoutMs: 1_200_000, intervalMs: 10_000 },
    );
    const podsSeconds = (Date.now() - podsStarted) / 1000;

    // Demand: one Redis list per scaler, one item per replica.
    const pipeline = queue.pipeline();
    for (let i = 0; i < SCALERS; i++) {
      const list = `jobs-${i}`;
      pipeline.del(list);
      pipeline.rpush(list, ...Array.from({ length: REPLICAS }, (_, j) => `job-${j}`));
    }
    await pipeline.exec();
    const aci = new AciModel({
      clock: systemClock,
      scheduleLatency: { kind: 'fixed', seconds: 0.5 },
      pullLatency: { kind: 'fixed', seconds: 2 },
      startLatency: { kind: 'fixed', seconds: 0.5 },
      regions: {
        eastus: { containerGroups: 1000, standardCores: 1000 },
        eastus2: { containerGroups: 1000, standardCores: 1000 },
      },
    });
    const scalers = Array.from({ length: SCALERS }, (_, i) => {
      const { namespace, name } = scalerName(i);
      return toYaml(
        burstScalerManifest({
          name,
          namespace,
          target: name,
          redis,
          listName: `jobs-${i}`,
          subscriptionId: aci.subscriptionId,
          edit: (spec) => {
            spec.maxReplicas = REPLICAS * 3;
          },
        }),
      );
    });
    await cluster.apply({ yaml: scalers.join('---\n') });

    // Spillway, with the tick-duration metric tapped for exact percentiles.
    const metrics = createControllerMetrics();
    let samples: number[] = [];
    const histogram = metrics.tickDuration;
    const observe = histogram.observe.bind(histogram) as (...a: unknown[]) => void;
    histogram.observe = (...a: unknown[]) => {
      const value = a[a.length - 1];
      if (typeof value === 'number') samples.push(value * 1000);
      observe(...a);
    };
    const token = (await cluster.serviceAccountKubeConfig('spillway-system', 'spillway')).token;
    const before = memory();
    const spillwayStarted = Date.now();
    spillway = await SpillwayInstance.start({
      api: { server: cluster.server, caPath: cluster.caPath, token },
      aci,
      identity: 'spillway-bench',
      namespaces: 'all',
      // Production defaults: 2 s ticks, 4 workers, client-go's leader-election timings.
      tickIntervalMs: 2000,
      workers: 4,
      leaderElection: { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 },
      logLevel: 'warn',
      metrics,
    });
    const instance = spillway;
    await waitUntil(
      'a status on every BurstScaler',
      async () => {
        const list = JSON.parse(await cluster.kubectl(['get', 'burstscalers', '-A', '-o', 'json'])) as {
          items: { status?: { observedGeneration?: number } }[];
        };
        const done = list.items.filter((s) => s.status?.observedGeneration === 1).length;
        return done === SCALERS ? true : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 1000 },
    );
    const firstStatusSeconds = (Date.now() - spillwayStarted) / 1000;
    log(`every scaler has a status after ${firstStatusSeconds.toFixed(1)} s`);

    const phase = async (name: string, setup?: () => Promise<void>): Promise<PhaseResult> => {
      samples = [];
      const from = Date.now();
      const aciFrom = instance.face.requests.length;
      const cpuFrom = process.cpuUsage();
      await setup?.();
      await new Promise((resolve) => setTimeout(resolve, PHASE_MS));
      const to = Date.now();
      const cpu = process.cpuUsage(cpuFrom);
      const minutes = (to - from) / 60_000;
      const events = (await cluster.auditEvents()).filter((e: AuditEvent) => {
        const at = Date.parse(e.requestReceivedTimestamp ?? '');
        return e.user.username === SPILLWAY_USER && at >= from && at < to;
      });
      const byVerb: Record<string, Set<string>> = {};
      for (const e of events) (byVerb[e.verb] ??= new Set()).add(e.auditID ?? '');
      const apiByVerb = Object.fromEntries(
        Object.entries(byVerb)
          .map(([verb, ids]) => [verb, ids.size / minutes] as const)
          .sort((a, b) => b[1] - a[1]),
      );
      const sorted = [...samples].sort((a, b) => a - b);
      const mem = memory();
      return {
        name,
        ticks: sorted.length,
        tickP50Ms: percentile(sorted, 50),
        tickP99Ms: percentile(sorted, 99),
        tickMaxMs: sorted.at(-1) ?? NaN,
        apiPerMinute: Object.values(apiByVerb).reduce((a, b) => a + b, 0),
        apiByVerb,
        aciPerMinute: (instance.face.requests.length - aciFrom) / minutes,
        cpuPercent: ((cpu.user + cpu.system) / 1000 / (to - from)) * 100,
        heapMiB: mem.heapMiB - before.heapMiB,
        rssMiB: mem.rssMiB - before.rssMiB,
      };
    };

    log(`steady phase: ${PHASE_MS / 1000} s`);
    const steady = await phase('steady');
    log(`burst phase: ${BURSTING} scalers want ${BURST_EXTRA} more replicas each`);
    let burstReady = NaN;
    const burst = await phase('burst', async () => {
      const burstFrom = Date.now();
      const pipe = queue.pipeline();
      for (let i = 0; i < BURSTING; i++)
        pipe.rpush(`jobs-${i}`, ...Array.from({ length: BURST_EXTRA }, () => 'x'));
      await pipe.exec();
      void waitUntil(
        `${BURSTING * BURST_EXTRA} groups Running`,
        () => {
          const running = groupsIn(aci).filter((g) => g.state === 'Running').length;
          return Promise.resolve(running >= BURSTING * BURST_EXTRA ? true : undefined);
        },
        { timeoutMs: PHASE_MS, intervalMs: 100 },
      ).then(
        () => (burstReady = (Date.now() - burstFrom) / 1000),
        () => undefined,
      );
    });
    const groups = groupsIn(aci).length;
    log(`${groups} container groups at the end of the burst phase`);

    const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, load average ${loadavg()[0]!.toFixed(1)} at the end`;
    const table = render({
      steady,
      burst,
      podsSeconds,
      firstStatusSeconds,
      burstReady,
      groups,
      machine,
      totalSeconds: (Date.now() - started) / 1000,
    });
    console.log(`\n${table}`);
    if (args.write) await writeDocs(table);
  } finally {
    await spillway?.shutdown();
    queue.disconnect();
    await redis.stop();
    await cluster.stop();
  }
}

function render(r: {
  steady: PhaseResult;
  burst: PhaseResult;
  podsSeconds: number;
  firstStatusSeconds: number;
  burstReady: number;
  groups: number;
  machine: string;
  totalSeconds: number;
}): string {
  const f = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
  const verbs = (p: PhaseResult): string =>
    Object.entries(p.apiByVerb)
      .map(([verb, n]) => `${verb} ${f(n)}`)
      .join(', ');
  const rows = [r.steady, r.burst].map(
    (p) =>
      `| ${p.name} | ${p.ticks} | ${f(p.tickP50Ms, 1)} | ${f(p.tickP99Ms, 1)} | ${f(p.tickMaxMs, 1)} | ` +
      `${f(p.apiPerMinute)} (${verbs(p)}) | ${f(p.aciPerMinute)} | ${f(p.cpuPercent)} % | ${f(p.heapMiB)} / ${f(p.rssMiB)} |`,
  );
  return [
    `${SCALERS} BurstScalers, ${SCALERS * REPLICAS} pods on ${NODES} KWOK nodes; tick interval 2 s, 4 workers; ` +
      `phases of ${PHASE_MS / 1000} s. ${r.machine}.`,
    '',
    '| phase | ticks | tick p50 (ms) | tick p99 (ms) | tick max (ms) | API requests / min (by verb) | ACI requests / min | CPU | memory: heap / RSS (MiB) |',
    '| ----- | ----- | ------------- | ------------- | ------------- | ---------------------------- | ------------------ | --- | ------------------------ |',
    ...rows,
    '',
    `- every scaler had its first status ${f(r.firstStatusSeconds, 1)} s after Spillway started (informers listed, ` +
      'Lease taken, one tick each);',
    `- burst: ${BURSTING * BURST_EXTRA} replicas that no node could take were Running on ACI ${f(r.burstReady, 1)} s ` +
      `after the demand rose (${r.groups} groups at the end);`,
    `- the control plane needed ${f(r.podsSeconds)} s to create, schedule and start the ${SCALERS * REPLICAS} pods; ` +
      `the whole run took ${f(r.totalSeconds / 60, 1)} min.`,
  ].join('\n');
}

async function writeDocs(table: string): Promise<void> {
  const path = fileURLToPath(new URL('../../docs/e2e.md', import.meta.url));
  const text = await readFile(path, 'utf8');
  const start = '<!-- e2e-scale:start -->';
  const end = '<!-- e2e-scale:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/e2e.md has no ${start} … ${end} section`);
  const updated = `${text.slice(0, from + start.length)}\n\n${table}\n\n${text.slice(to)}`;
  // Formatted as `npm run lint` checks it (prettier pads the table).
  const options = (await prettier.resolveConfig(path)) ?? {};
  await writeFile(path, await prettier.format(updated, { ...options, filepath: path }));
  log('wrote docs/e2e.md');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
