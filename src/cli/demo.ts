/**
 * `spillway demo` (what `npm start` runs): Spillway's real controller loop on a simulated AKS cluster and
 * the simulated ACI — reached over its ARM-compatible HTTP face through the real Azure SDK provider —
 * replaying a bundled trace sped up, with a live terminal view, Prometheus metrics on /metrics and an
 * HTML report at the end. No cloud account, no cluster.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { Gauge } from 'prom-client';
import { AciBurstProvider } from '../aci/provider.ts';
import { Controller } from '../controller/controller.ts';
import { decide } from '../core/decide.ts';
import { SignalReader } from '../signals/reader.ts';
import { scheduleFloors } from '../signals/schedule.ts';
import { compilePolicy } from '../spec/compile.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createControllerMetrics } from '../telemetry/metrics.ts';
import { startAciHttpFace, simulatorCredential } from '../sim/aci/http-face.ts';
import type { SimFault } from '../sim/aci/model.ts';
import { clairvoyantBound } from '../sim/bound.ts';
import { ScaledClock } from '../sim/clock.ts';
import { SimCluster } from '../sim/cluster/cluster.ts';
import { renderReport } from '../sim/report.ts';
import { newQueue, warmReplicas } from '../sim/run.ts';
import {
  burstScalerObject,
  aciReplicaSecondUSD,
  defaultScenario,
  nodeSecondUSD,
  slotsPerNode,
} from '../sim/scenario.ts';
import { aciModelFor, specPrices } from '../sim/spillway.ts';
import { loadTrace } from '../sim/trace.ts';
import { SimQueueSource } from '../sim/workload.ts';
import { DemoWorld, demoBudgetUSDPerHour, demoFaults, renderLine, renderView } from '../sim/world.ts';
import { numberOption } from './simulate.ts';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The trace the demo plays unless told otherwise. */
export const DEMO_TRACE = join(PACKAGE_ROOT, 'traces', 'azure_llm_inference_2023_per_second.csv');

export interface DemoOptions {
  trace: string;
  column?: string;
  scale: number;
  /** Real seconds the demo lasts (the trace is sped up to fit). */
  duration: number;
  /** Overrides the speed-up computed from `duration`. */
  speedup?: number;
  /** host:port for /metrics (port 0: any free port). */
  metricsAddress: string;
  report: string;
  /** Redraw the view in place (stdout is a terminal). */
  tty: boolean;
  stdout: (text: string) => void;
}

export interface DemoHandle {
  metricsUrl: string;
  /** Resolves when the demo ended and the report is written. */
  finished: Promise<{ report: string; costUSD: number; seconds: number }>;
  /** Ends the demo early (the report is still written). */
  stop(): void;
}

/** Parses host:port; the host must be an IP or localhost. */
export function parseAddress(text: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || !(port >= 0 && port <= 65535))
    throw new RangeError(`--metrics-address must be host:port (e.g. 127.0.0.1:9464), got "${text}"`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolvePromise(server.address() as AddressInfo));
  });
}

/** The injected faults in a few words, for the demo's opening lines. */
function faultSummary(faults: readonly SimFault[]): string {
  return faults
    .map((fault) => {
      const times = fault.times ?? 1;
      switch (fault.kind) {
        case 'transient':
          return `${times}× 500`;
        case 'throttle':
          return `${times}× 429 (Retry-After ${fault.retryAfterSeconds} s)`;
        case 'capacity':
          return `${times}× no capacity${fault.region ? ` in ${fault.region}` : ''}`;
        case 'inaccessible-image':
          return `${times}× inaccessible image`;
      }
    })
    .join(', ');
}

/** Starts the demo; see {@link DemoHandle}. */
export async function startDemo(options: DemoOptions): Promise<DemoHandle> {
  const startedAt = performance.now();
  const probe = await loadTrace(options.trace, {
    ...(options.column !== undefined ? { column: options.column } : {}),
    scale: options.scale,
  });
  const speedup = options.speedup ?? Math.max(1, probe.arrivals.length / options.duration);
  const trace = probe;
  const scenario = defaultScenario({ start: Date.UTC(2026, 0, 5, 9, 0, 0) });
  const clock = new ScaledClock({ start: scenario.start, speedup });
  const model = aciModelFor(scenario, clock);
  const faults = demoFaults(scenario);
  for (const fault of faults) model.inject(fault);
  const face = await startAciHttpFace({ model });
  const budgetUSDPerHour = demoBudgetUSDPerHour(scenario);
  const scaler = burstScalerObject(scenario, { budgetUSDPerHour });
  const cluster = new SimCluster({ clock, scenario, scaler });
  cluster.warmStart(warmReplicas(trace, scenario));
  const queue = newQueue(scenario);
  const provider = new AciBurstProvider({
    clusterId: cluster.clusterId(),
    clock,
    credential: simulatorCredential(),
    subscriptionId: model.subscriptionId,
    resourceGroup: 'spillway-demo',
    endpoint: face.url,
    // The SDK's own retries wait on the wall clock (Retry-After, exponential backoff), outside the demo's
    // sped-up clock: a 10 s Retry-After would stall the demo for 10 real seconds (10 simulated minutes).
    // Spillway's own retry (the next tick) and its write hold after Retry-After run on the demo's clock.
    retry: { maxRetries: 0 },
  });
  const signals = new SignalReader({ clock, values: cluster, sources: [new SimQueueSource(queue)] });
  const metrics = createControllerMetrics({ processMetrics: true });
  const world = new DemoWorld({ scenario, trace, cluster, queue, model });
  const gauges = {
    queue: new Gauge({
      name: 'spillway_sim_queue_messages',
      help: 'Demo: messages waiting in the simulated queue (the demand signal).',
      registers: [metrics.registry],
      collect() {
        this.set(queue.depth);
      },
    }),
    arrivals: new Gauge({
      name: 'spillway_sim_arrivals_per_second',
      help: 'Demo: arrivals per second from the replayed trace.',
      registers: [metrics.registry],
      collect() {
        this.set(world.snapshot().demand);
      },
    }),
    nodes: new Gauge({
      name: 'spillway_sim_vm_nodes',
      help: 'Demo: VM nodes in the simulated cluster (Ready and provisioning).',
      registers: [metrics.registry],
      collect() {
        const n = cluster.nodeCount();
        this.set(n.ready + n.provisioning);
      },
    }),
  };
  void gauges;
  const controller = new Controller(
    {
      clock,
      cluster,
      provider,
      signals,
      prices: specPrices,
      decide,
      compilePolicy,
      floors: (policy, now) => scheduleFloors(policy.schedules, now),
      logger: createLogger({ level: 'silent' }),
      metrics,
    },
    { tickIntervalMs: 2000, signalTimeoutMs: 10_000 },
  );

  const server = createServer((request, response) => {
    if (request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
  const { host, port } = parseAddress(options.metricsAddress);
  let address: AddressInfo;
  try {
    address = await listen(server, host, port);
  } catch (error) {
    await face.close();
    throw new Error(`serving /metrics on ${options.metricsAddress}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const metricsUrl = `http://${shownHost}:${address.port}/metrics`;
  const total = trace.arrivals.length;
  options.stdout(
    `Spillway demo: ${trace.name} (${trace.column} × ${trace.scale}), ${(total / 60).toFixed(0)} simulated minutes at ${speedup.toFixed(0)}× ` +
      `(about ${Math.round(total / speedup)} s). Simulated AKS cluster + simulated ACI at ${face.url} through the Azure SDK.\n` +
      `ACI budget $${budgetUSDPerHour.toFixed(2)}/h; injected ACI faults on the first burst: ${faultSummary(faults)}.\n` +
      `Prometheus metrics: ${metricsUrl}\n`,
  );

  controller.start();
  let stopRequested = false;
  let drawn = 0;
  let lastLine = -Infinity;
  const draw = (): void => {
    world.advance(clock.now());
    const snapshot = world.snapshot();
    if (options.tty) {
      const lines = renderView(snapshot, total, process.stdout.columns || 100);
      options.stdout((drawn > 0 ? `\x1b[${drawn}A` : '') + lines.map((l) => `\x1b[2K${l}\n`).join(''));
      drawn = lines.length;
    } else if (snapshot.second !== lastLine && (snapshot.second - lastLine >= 300 || world.done)) {
      lastLine = snapshot.second;
      options.stdout(`${renderLine(snapshot)}\n`);
    }
  };
  const stepper = setInterval(() => world.advance(clock.now()), 20);
  const viewer = setInterval(draw, options.tty ? 250 : 100);

  const finished = (async () => {
    await new Promise<void>((resolveWait) => {
      const check = setInterval(() => {
        if (world.done || stopRequested) {
          clearInterval(check);
          resolveWait();
        }
      }, 50);
    });
    clearInterval(stepper);
    clearInterval(viewer);
    draw();
    await controller.stop();
    signals.close();
    const actions = model.calls.create + model.calls.delete + model.calls.update + cluster.stats.scaleCalls;
    const policy = world.result(actions);
    const played = trace.arrivals.subarray(0, Math.max(1, world.second));
    const slots = slotsPerNode(scenario);
    const result = {
      trace: {
        name: trace.name,
        column: trace.column,
        scale: trace.scale,
        speedup,
        seconds: world.second,
        messages: played.reduce((a, b) => a + b, 0),
      },
      scenario,
      unit: {
        aciReplicaHourUSD: aciReplicaSecondUSD(scenario) * 3600,
        vmReplicaHourUSD: (nodeSecondUSD(scenario) * 3600) / slots,
        slotsPerNode: slots,
      },
      bound: clairvoyantBound(played, scenario),
      policies: [policy],
      // The demo's own wall time, from start-up to the end of the replay (the report's "simulated in").
      wallMs: performance.now() - startedAt,
    };
    await writeFile(options.report, renderReport(result));
    await new Promise<void>((done) => server.close(() => done()));
    await face.close();
    options.stdout(
      `\nDone: ${world.second} simulated seconds, cost $${policy.cost.totalUSD.toFixed(3)} ` +
        `(VM $${policy.cost.vmUSD.toFixed(3)}, ACI $${policy.cost.aciUSD.toFixed(3)}), ` +
        `${policy.sloSecondsMissed} s over the ${scenario.sloSeconds} s SLO. Report: ${options.report}\n`,
    );
    return { report: options.report, costUSD: policy.cost.totalUSD, seconds: world.second };
  })();
  return {
    metricsUrl,
    finished,
    stop: () => {
      stopRequested = true;
    },
  };
}

/** Registers `demo` on the `spillway` program. */
export function registerDemoCommand(program: Command): Command {
  return program
    .command('demo')
    .description(
      'Run Spillway on a simulated AKS cluster and simulated ACI (over its ARM API, through the Azure SDK): live view, /metrics, HTML report. No cloud account needed.',
    )
    .option('--trace <file>', 'trace to replay', DEMO_TRACE)
    .option('--column <name>', 'count column of the trace')
    .option('--scale <k>', 'multiply the trace counts by k', numberOption('--scale', 0), 3)
    .option('--duration <seconds>', 'real seconds the demo lasts', numberOption('--duration', 0), 60)
    .option(
      '--speedup <x>',
      'replay x times faster than real time (default: fit --duration)',
      numberOption('--speedup', 0),
    )
    .option('--metrics-address <host:port>', 'where /metrics is served', '127.0.0.1:9464')
    .option('--report <file>', 'HTML report written at the end', 'spillway-demo-report.html')
    .action(async (opts: Omit<DemoOptions, 'tty' | 'stdout'>) => {
      const handle = await startDemo({
        ...opts,
        tty: process.stdout.isTTY,
        stdout: (text) => process.stdout.write(text),
      });
      const onSignal = (): void => handle.stop();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      await handle.finished;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
}
