/**
 * The loop shared by the HPA-driven baselines: a simulated cluster (optionally with an AKS virtual node
 * on the simulated ACI), an HPA fed by KEDA's polling of the same queue, the cluster autoscaler, and the
 * same accounting as Spillway's run.
 */
import { VirtualClock } from '../clock.ts';
import { SimCluster } from '../cluster/cluster.ts';
import type { PolicyName, PolicyResult } from '../run.ts';
import { newQueue, runLoop, warmReplicas } from '../run.ts';
import type { Scenario } from '../scenario.ts';
import { aciModelFor, BillingWindow, resultOf } from '../spillway.ts';
import type { Trace } from '../trace.ts';
import { SimHpa } from './hpa.ts';
import type { HpaOptions } from './hpa.ts';

export interface BaselineInput {
  scenario: Scenario;
  trace: Trace;
  progress?: (seconds: number) => void;
}

export interface BaselineConfig {
  policy: PolicyName;
  description: string;
  /** An AKS virtual node on ACI takes the pods no VM node fits. */
  virtualNode: boolean;
  /** VM nodes: the scenario's pool with the cluster autoscaler, or none at all. */
  vmNodes: boolean;
  scaleIn: 'replicaset' | 'random';
  hpa?: HpaOptions;
}

export async function runHpaBaseline(input: BaselineInput, config: BaselineConfig): Promise<PolicyResult> {
  const { trace } = input;
  const scenario: Scenario = config.vmNodes
    ? input.scenario
    : { ...input.scenario, nodePool: { minNodes: 0, maxNodes: 0 } };
  const clock = new VirtualClock(scenario.start - scenario.warmupSeconds * 1000);
  const model = aciModelFor(scenario, clock);
  const billing = new BillingWindow(model);
  const cluster = new SimCluster({
    clock,
    scenario,
    scaleIn: config.scaleIn,
    autoscaler: config.vmNodes,
    ...(config.virtualNode
      ? { virtualNode: { model, resourceGroup: 'aks-virtual-node', region: scenario.aci.regions[0]! } }
      : {}),
  });
  if (config.vmNodes) cluster.warmStart(warmReplicas(trace, scenario));
  else cluster.setReplicas(warmReplicas(trace, scenario));
  const hpa = new SimHpa(scenario, cluster, config.hpa);
  const queue = newQueue(scenario);
  const out = await runLoop({
    scenario,
    trace,
    clock,
    queue,
    ...(input.progress ? { progress: input.progress } : {}),
    hooks: {
      beforeServe: (now, second) => {
        if (second === 0) billing.open();
        hpa.step(now, second, queue.depth);
        cluster.step(now);
      },
      serving: (now) => {
        const ready = cluster.readyPods(now);
        return { vm: ready.vm, aci: ready.virtual };
      },
      costSince: (from, now) => cluster.vmCostUSD(from, now) + billing.sinceOpen().costUSD,
    },
  });
  return resultOf(config.policy, config.description, {
    out,
    vmUSD: cluster.vmCostUSD(out.from, out.to),
    aci: billing.sinceOpen(),
    nodeSeconds: cluster.nodeSeconds(out.from, out.to),
    actions: hpa.changes,
  });
}
