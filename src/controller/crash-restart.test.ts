/**
 * Crash-restart: the controller process is killed after each action it executes during a burst and
 * the drain that follows, a fresh process (new controller, empty memory) starts on the same cluster and
 * the same Azure state, and the run must converge exactly as an uninterrupted one: no duplicate group,
 * no leaked group, the Deployment back at its size.
 *
 * Real decide and real compilePolicy; fake ports whose state outlives the controller (see
 * test/controller/fakes.ts CrashGate).
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../core/decide.ts';
import { compilePolicy } from '../spec/compile.ts';
import { createLogger } from '../telemetry/logger.ts';
import {
  AciWorld,
  ClusterWorld,
  CrashGate,
  FakeCluster,
  FakePrices,
  FakeProvider,
  FakeSignals,
} from '../../test/controller/fakes.ts';
import { ManualClock } from '../../test/controller/manual-clock.ts';
import { Controller } from './controller.ts';

const KEY = { namespace: 'shop', name: 'orders', uid: 'uid-orders' };
const TRIGGER = 'azure-storage-queue-0';
const SPEC = {
  targetRef: { name: 'orders' },
  minReplicas: 1,
  maxReplicas: 20,
  triggers: [
    {
      type: 'azure-storage-queue',
      metadata: { queueName: 'orders', accountName: 'shopdata', targetPerReplica: '10' },
    },
  ],
  pendingPods: { enabled: false },
  behavior: { scaleDown: { stabilizationWindowSeconds: 30 } },
  burst: {
    aci: {
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroup: 'burst',
      regions: ['eastus', 'eastus2'],
    },
    maxBurstReplicas: 10,
    drain: { gracePeriodSeconds: 20, minBurstLifetimeSeconds: 0 },
  },
};
const STEP_MS = 2000;
const END_MS = 15 * 60_000;
/** Replicas of demand: 2 (fits the 3 VM slots), a burst of 8 from minute 3 to 8, then 1. */
const demandAt = (t: number): number => (t < 180_000 ? 2 : t < 480_000 ? 8 : 1);

interface Run {
  aci: AciWorld;
  world: ClusterWorld;
  /** Action writes that took effect. */
  actionWrites: number;
  restarts: number;
  /** Most live groups at once. */
  peak: number;
  /** Groups alive at the end of the burst (minute 8). */
  atBurstEnd: string[];
  violations: string[];
}

async function simulate(crashAfter = Infinity): Promise<Run> {
  const clock = new ManualClock();
  const world = new ClusterWorld();
  const aci = new AciWorld();
  world.addScaler(KEY.namespace, KEY.name, SPEC, KEY.uid);
  world.addDeployment(KEY.namespace, KEY.name, { replicas: 2, vmCapacity: 3 });
  const signals = new FakeSignals();
  const process = (gate: CrashGate) => ({
    gate,
    controller: new Controller({
      clock,
      cluster: new FakeCluster(world, clock, gate),
      provider: new FakeProvider(aci, clock, gate),
      signals,
      prices: new FakePrices(),
      decide,
      compilePolicy,
      floors: () => [],
      logger: createLogger({ level: 'silent' }),
    }),
  });
  let current = process(new CrashGate(crashAfter));
  let applied = 0;
  let restarts = 0;
  let peak = 0;
  let atBurstEnd: string[] = [];
  const violations: string[] = [];
  for (let t = 0; t <= END_MS; t += STEP_MS) {
    signals.values.set(TRIGGER, demandAt(t) * 10);
    aci.start(clock.now(), 10_000);
    let settled = false;
    void current.controller.tickOnce('shop/orders').then((result) => {
      settled = true;
      if (result.outcome !== 'decided') violations.push(`t=${t}: ${result.outcome} ${result.message ?? ''}`);
    });
    await clock.flush();
    if (!settled) {
      // The process died in the middle of this tick; a new one starts with nothing in memory.
      if (!current.gate.crashed) violations.push(`t=${t}: a tick hung without a crash`);
      applied += current.gate.applied;
      restarts++;
      current = process(new CrashGate());
    }
    const live = aci.of(KEY);
    peak = Math.max(peak, live.length);
    if (new Set(live.map((g) => g.index)).size !== live.length)
      violations.push(`t=${t}: two groups share an index`);
    if (t === 478_000) atBurstEnd = live.map((g) => g.name);
    await clock.advance(STEP_MS);
  }
  applied += current.gate.applied;
  return { aci, world, actionWrites: applied, restarts, peak, atBurstEnd, violations };
}

describe('crash and restart at every step of a burst and its drain', () => {
  it('an uninterrupted run bursts to ACI and drains back (the reference)', async () => {
    const run = await simulate();
    expect(run.violations).toEqual([]);
    expect(run.atBurstEnd.length).toBeGreaterThan(0);
    expect(run.aci.created.length).toBe(run.atBurstEnd.length);
    expect(run.aci.groups.size).toBe(0);
    expect(run.world.deployments.get('shop/orders')?.replicas).toBe(1);
    expect(run.actionWrites).toBeGreaterThanOrEqual(3 * run.atBurstEnd.length); // create, drain, delete each
  });

  it('converges after a crash following any action: no duplicate, no leaked group', async () => {
    const reference = await simulate();
    const failures: string[] = [];
    for (let k = 0; k <= reference.actionWrites; k++) {
      const run = await simulate(k);
      const problems = [
        ...run.violations,
        ...(k < reference.actionWrites && run.restarts !== 1
          ? [`expected one restart, got ${run.restarts}`]
          : []),
        ...(run.peak > reference.peak ? [`peak ${run.peak} groups > ${reference.peak}`] : []),
        ...(new Set(run.aci.created).size !== run.aci.created.length
          ? ['a group name was created twice']
          : []),
        ...(run.aci.created.length > reference.aci.created.length
          ? [`${run.aci.created.length} groups created, reference ${reference.aci.created.length}`]
          : []),
        ...(run.aci.groups.size > 0 ? [`leaked: ${[...run.aci.groups.keys()].join(', ')}`] : []),
        ...(run.world.deployments.get('shop/orders')?.replicas !== 1
          ? ['Deployment not back at 1 replica']
          : []),
      ];
      if (problems.length > 0) failures.push(`crash after action ${k}: ${problems.join('; ')}`);
    }
    expect(failures).toEqual([]);
    expect(reference.actionWrites).toBeGreaterThan(10);
  });
});
