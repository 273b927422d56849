/**
 * Spillway on the simulated ports: the real decision core (`decide`), the real controller loop and
 * executor, the real SignalReader and the real ACI provider (over the simulated ACI model in-process),
 * with the simulated cluster as ClusterPort and a virtual clock. Nothing here decides anything: it wires
 * the production code to the simulation and measures it.
 */
import { Controller } from '../controller/controller.ts';
import { decide } from '../core/decide.ts';
import type { DecideFn, Prices } from '../core/types.ts';
import type { PriceSource } from '../ports.ts';
import { scheduleFloors } from '../signals/schedule.ts';
import { compilePolicy } from '../spec/compile.ts';
import { createLogger } from '../telemetry/logger.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { ControllerMetrics } from '../telemetry/metrics.ts';
import { AciModel } from './aci/model.ts';
import type { SimBilling } from './aci/model.ts';
import { AciBurstProvider } from '../aci/provider.ts';
import { createFastModelAciApi } from './fast-aci-api.ts';
import { VirtualClock } from './clock.ts';
import { SimCluster } from './cluster/cluster.ts';
import type { PolicyResult, Serving } from './run.ts';
import { newQueue, runLoop, summarize, warmReplicas } from './run.ts';
import type { Scenario } from './scenario.ts';
import { burstScalerObject } from './scenario.ts';
import type { Trace } from './trace.ts';
import { SimQueueReader } from './workload.ts';
import type { BurstabilityCheck, BurstProvider, BurstScalerObject } from '../ports.ts';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Policy, Resources } from '../core/types.ts';

/** The simulated ACI for a scenario (its prices, quotas and latencies). */
export function aciModelFor(scenario: Scenario, clock: VirtualClock | AciModelClock): AciModel {
  const regions: Record<string, { standardCores: number; containerGroups: number }> = {};
  for (const region of scenario.aci.regions)
    regions[region] = {
      standardCores: scenario.aci.coresPerRegion,
      containerGroups: scenario.aci.groupsPerRegion,
    };
  return new AciModel({
    clock,
    seed: scenario.seed,
    regions,
    scheduleLatency: scenario.aci.schedule,
    pullLatency: scenario.aci.pull,
    startLatency: scenario.aci.startup,
    prices: {
      vcpuSecondUSD: scenario.aci.vcpuSecondUSD,
      gbSecondUSD: scenario.aci.gbSecondUSD,
      spotRatio: 0.3,
    },
  });
}

type AciModelClock = ConstructorParameters<typeof AciModel>[0]['clock'];

/** Prices from the spec: the simulation's prices are the scenario's, never fetched. */
export const specPrices: PriceSource = {
  prices: ({ fallback }: { fallback: Prices }) => fallback,
};

/**
 * compilePolicy, remembered per uid and generation: the simulated BurstScaler's spec never changes (only its
 * status does), so validating it again every tick would only measure Ajv.
 */
export function memoizedCompile(): (object: BurstScalerObject) => Policy {
  const cache = new Map<string, Policy>();
  return (object) => {
    const key = `${object.metadata.uid}/${object.metadata.generation}`;
    let policy = cache.get(key);
    if (!policy) {
      policy = compilePolicy(object);
      cache.set(key, policy);
    }
    return policy;
  };
}

/**
 * The provider with its two pure template checks remembered per template object (the simulated cluster
 * hands the controller the same template every tick): exact, and a few percent of a simulated day.
 */
export function memoizeTemplateChecks(provider: BurstProvider): BurstProvider {
  const burstable = new WeakMap<V1PodTemplateSpec, BurstabilityCheck>();
  const billed = new WeakMap<V1PodTemplateSpec, Resources>();
  return {
    list: (scaler) => provider.list(scaler),
    listOwned: () => provider.listOwned(),
    create: (request) => provider.create(request),
    markDraining: (name, since) => provider.markDraining(name, since),
    resumeDraining: (name) => provider.resumeDraining(name),
    delete: (name) => provider.delete(name),
    quota: (region) => provider.quota(region),
    createBudget: (region) => provider.createBudget?.(region),
    checkBurstable(template) {
      let check = burstable.get(template);
      if (!check) burstable.set(template, (check = provider.checkBurstable(template)));
      return check;
    },
    billedResources(template) {
      let resources = billed.get(template);
      if (!resources) billed.set(template, (resources = provider.billedResources(template)));
      return resources;
    },
  };
}

/**
 * Counts Running container groups — draining ones included: a drain takes a group out of the Service's
 * endpoints, but nothing tells a queue worker in ACI to stop consuming, so it keeps serving until the group
 * is deleted after the grace period. Re-reads only while some group is still starting.
 */
export class AciServing {
  readonly #model: AciModel;
  #count = 0;
  #valid = false;

  constructor(model: AciModel) {
    this.#model = model;
  }

  /** Forget the cached count (groups were created, drained or deleted). */
  invalidate(): void {
    this.#valid = false;
  }

  count(): number {
    if (this.#valid) return this.#count;
    const counts = this.#model.stateCounts();
    const running = counts.Running;
    const starting = counts.Pending + counts.Creating;
    this.#count = running;
    this.#valid = starting === 0;
    return running;
  }
}

export interface SpillwayRunInput {
  scenario: Scenario;
  trace: Trace;
  progress?: (seconds: number) => void;
  /** Decide function (tests may wrap it). @default src/core decide */
  decide?: DecideFn;
  metrics?: ControllerMetrics;
  logger?: Logger;
}

/** Runs Spillway over the trace and measures it. */
export async function runSpillway(input: SpillwayRunInput): Promise<PolicyResult> {
  const { scenario, trace } = input;
  const clock = new VirtualClock(scenario.start - scenario.warmupSeconds * 1000);
  const model = aciModelFor(scenario, clock);
  const scaler = burstScalerObject(scenario);
  const cluster = new SimCluster({ clock, scenario, scaler });
  cluster.warmStart(warmReplicas(trace, scenario));
  // The production provider over the model in-process (as createSimBurstProvider builds it), with the
  // exact list shortcut of fast-aci-api.ts.
  const provider = memoizeTemplateChecks(
    new AciBurstProvider({
      api: createFastModelAciApi({ model, resourceGroup: 'spillway-sim', clock }),
      clusterId: cluster.clusterId(),
      clock,
      listCacheMs: 0,
    }),
  );
  const queue = newQueue(scenario);
  const signals = new SimQueueReader(queue, clock);
  const decideTimes: number[] = [];
  const tickTimes: number[] = [];
  const inner = input.decide ?? decide;
  const timedDecide: DecideFn = (snapshot, policy, state, now) => {
    const started = performance.now();
    try {
      return inner(snapshot, policy, state, now);
    } finally {
      decideTimes.push(performance.now() - started);
    }
  };
  const controller = new Controller({
    clock,
    cluster,
    provider,
    signals,
    prices: specPrices,
    decide: timedDecide,
    compilePolicy: memoizedCompile(),
    floors: (policy, now) => scheduleFloors(policy.schedules, now),
    logger: input.logger ?? createLogger({ level: 'silent' }),
    ...(input.metrics ? { metrics: input.metrics } : {}),
  });
  const aci = new AciServing(model);
  let actions = 0;
  let failures = 0;
  let lastError: string | undefined;
  const billing = new BillingWindow(model);

  const out = await runLoop({
    scenario,
    trace,
    clock,
    queue,
    ...(input.progress ? { progress: input.progress } : {}),
    hooks: {
      beforeServe: async (now, second) => {
        if (second === 0) billing.open();
        cluster.step(now);
        if (second % scenario.tickSeconds !== 0) return;
        const started = performance.now();
        const results = await controller.tickAll();
        tickTimes.push(performance.now() - started);
        aci.invalidate();
        for (const result of results) {
          if (result.outcome === 'failed') {
            failures += 1;
            lastError = result.message;
          }
          for (const outcome of result.report?.outcomes ?? []) {
            if (outcome.result !== 'ok') continue;
            if (outcome.action.kind === 'PatchStatus' || outcome.action.kind === 'Emit') continue;
            actions += 1;
          }
        }
      },
      serving: (now): Serving => ({ vm: cluster.readyPods(now).vm, aci: aci.count() }),
      costSince: (from, now) => cluster.vmCostUSD(from, now) + billing.sinceOpen().costUSD,
    },
  });
  await controller.stop();
  if (failures > 0 && actions === 0)
    throw new Error(
      `Spillway's ticks failed in the simulation (${failures} failed ticks): ${lastError ?? 'unknown'}`,
    );
  return resultOf(
    'spillway',
    'Spillway: real decide + controller loop + executor + ACI provider, over the simulated cluster and ACI',
    {
      out,
      vmUSD: cluster.vmCostUSD(out.from, out.to),
      aci: billing.sinceOpen(),
      nodeSeconds: cluster.nodeSeconds(out.from, out.to),
      actions,
      timing: {
        ticks: tickTimes.length,
        decideMsMean: summarize(decideTimes).mean,
        decideMsP99: summarize(decideTimes).p99,
        tickMsMean: summarize(tickTimes).mean,
      },
    },
  );
}

/** The ACI meter over the accounting window: its total now minus its total when the window opened. */
export class BillingWindow {
  readonly #model: AciModel;
  #start: SimBilling | undefined;

  constructor(model: AciModel) {
    this.#model = model;
  }

  /** Marks the start of the window (the first second of the trace). */
  open(): void {
    this.#start = this.#model.billing();
  }

  sinceOpen(): { costUSD: number; replicaSeconds: number } {
    const now = this.#model.billing();
    const start = this.#start ?? { costUSD: 0, replicaSeconds: 0 };
    return {
      costUSD: now.costUSD - start.costUSD,
      replicaSeconds: now.replicaSeconds - start.replicaSeconds,
    };
  }
}

/** Assembles a PolicyResult from a finished loop. */
export function resultOf(
  policy: PolicyResult['policy'],
  description: string,
  parts: {
    out: Awaited<ReturnType<typeof runLoop>>;
    vmUSD: number;
    aci: { costUSD: number; replicaSeconds: number };
    nodeSeconds: number;
    actions: number;
    timing?: PolicyResult['timing'];
  },
): PolicyResult {
  const { out } = parts;
  const queue = out.queue;
  return {
    policy,
    description,
    cost: { vmUSD: parts.vmUSD, aciUSD: parts.aci.costUSD, totalUSD: parts.vmUSD + parts.aci.costUSD },
    waits: queue.waits(),
    sloSecondsMissed: queue.overSloSeconds,
    aciReplicaSeconds: parts.aci.replicaSeconds,
    vmNodeHours: parts.nodeSeconds / 3600,
    actions: parts.actions,
    seconds: (out.to - out.from) / 1000,
    messages: { arrived: queue.arrived, served: queue.served, left: queue.depth },
    ...(parts.timing ? { timing: parts.timing } : {}),
    series: out.series,
  };
}
