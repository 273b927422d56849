/**
 * Benchmark of the controller loop on in-memory ports, with the real decide and spec compiler.
 *
 *   node_modules/.bin/node test/controller/bench-loop.ts [scalers] [podsPerScaler]
 *
 * 1. Throughput: `tickAll()` over N BurstScalers (default 1,000 × 50 pods = 50,000 pods) on a virtual
 *    clock: wall time per full pass, per tick (mean, p50, p99), heap after the passes.
 * 2. Reaction: the timer-driven loop with default settings on the real clock; the queue jumps at a
 *    random moment and we time the first ACI create request (goal: ≤ 2 s).
 * Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { systemClock } from '../../src/controller/clock.ts';
import { Controller } from '../../src/controller/controller.ts';
import { decide } from '../../src/core/decide.ts';
import { compilePolicy } from '../../src/spec/compile.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import type { Clock } from '../../src/ports.ts';
import { AciWorld, ClusterWorld, FakeCluster, FakePrices, FakeProvider, FakeSignals } from './fakes.ts';
import { ManualClock } from './manual-clock.ts';

const scalers = Number(process.argv[2] ?? 1000);
const podsPerScaler = Number(process.argv[3] ?? 50);
const TRIGGER = 'azure-storage-queue-0';

const spec = (target: string) => ({
  targetRef: { name: target },
  maxReplicas: 200,
  triggers: [
    {
      type: 'azure-storage-queue',
      metadata: { queueName: 'q', accountName: 'acct', targetPerReplica: '10' },
    },
  ],
  pendingPods: { enabled: false },
  burst: {
    aci: {
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroup: 'burst',
      regions: ['eastus'],
    },
  },
});

function build(clock: Clock & { now(): number }, n: number, pods: number) {
  const world = new ClusterWorld();
  const aci = new AciWorld();
  for (let i = 0; i < n; i++) {
    world.addScaler(`ns-${i % 50}`, `app-${i}`, spec(`app-${i}`), `uid-${i}`);
    world.addDeployment(`ns-${i % 50}`, `app-${i}`, { replicas: pods, vmCapacity: pods });
  }
  const signals = new FakeSignals();
  signals.values.set(TRIGGER, pods * 10);
  const manual = clock instanceof ManualClock ? clock : new ManualClock();
  const controller = new Controller({
    clock,
    cluster: new FakeCluster(world, manual),
    provider: new FakeProvider(aci, manual),
    signals,
    prices: new FakePrices(),
    decide,
    compilePolicy,
    floors: () => [],
    logger: createLogger({ level: 'silent' }),
  });
  return { world, aci, signals, controller };
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function throughput(): Promise<void> {
  const clock = new ManualClock();
  const { controller } = build(clock, scalers, podsPerScaler);
  const passes = 5;
  const perTick: number[] = [];
  const perPass: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    const start = performance.now();
    const results = await controller.tickAll();
    const elapsed = performance.now() - start;
    perPass.push(elapsed);
    for (const r of results)
      if (r.outcome !== 'decided') throw new Error(`${r.key}: ${r.outcome} ${r.message ?? ''}`);
    perTick.push(elapsed / results.length);
    await clock.advance(2000);
  }
  const sorted = [...perTick].sort((a, b) => a - b);
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(
    `throughput: ${scalers} BurstScalers × ${podsPerScaler} pods (${scalers * podsPerScaler} pods), ${passes} passes of tickAll()`,
  );
  console.log(`  full pass: ${perPass.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  console.log(
    `  per tick:  mean ${(perTick.reduce((a, b) => a + b, 0) / perTick.length).toFixed(3)} ms, p50 ${percentile(sorted, 50).toFixed(3)} ms, max ${sorted.at(-1)!.toFixed(3)} ms (mean per pass)`,
  );
  console.log(`  heap used: ${heapMiB.toFixed(0)} MiB`);
}

async function reaction(trials: number): Promise<void> {
  if (trials < 1) return;
  const latencies: number[] = [];
  for (let t = 0; t < trials; t++) {
    const { signals, aci, controller, world } = build(systemClock, 20, 4);
    // Room on VMs for the baseline only: the jump must spill to ACI.
    for (const d of world.deployments.values()) d.vmCapacity = 4;
    signals.values.set(TRIGGER, 40);
    controller.start();
    await systemClock.sleep(500 + Math.random() * 2000);
    const jump = performance.now();
    signals.values.set(TRIGGER, 400);
    while (aci.created.length === 0 && performance.now() - jump < 10_000) await systemClock.sleep(5);
    latencies.push(performance.now() - jump);
    await controller.stop();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `reaction (default 2 s interval, 20 scalers, real clock, ${trials} trials): demand jump → first ACI create request`,
  );
  console.log(
    `  mean ${(latencies.reduce((a, b) => a + b, 0) / latencies.length).toFixed(0)} ms, p50 ${percentile(sorted, 50).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`,
  );
}

await throughput();
await reaction(Number(process.env.REACTION_TRIALS ?? 10));
