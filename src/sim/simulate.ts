/**
 * One simulation: Spillway and the baselines over the same trace and scenario, plus the clairvoyant bound.
 */
import { runAciOnly } from './baselines/aci-only.ts';
import type { BaselineInput } from './baselines/common.ts';
import { runKedaVirtualNode } from './baselines/keda-virtual-node.ts';
import { runVmOnly } from './baselines/vm-only.ts';
import { clairvoyantBound } from './bound.ts';
import type { BoundResult } from './bound.ts';
import type { PolicyName, PolicyResult } from './run.ts';
import { loopSeconds } from './run.ts';
import type { Scenario } from './scenario.ts';
import { aciReplicaSecondUSD, nodeSecondUSD, slotsPerNode } from './scenario.ts';
import { runSpillway } from './spillway.ts';
import type { SpillwayRunInput } from './spillway.ts';
import type { Trace } from './trace.ts';

export const POLICIES: readonly PolicyName[] = ['spillway', 'keda-virtual-node', 'vm-only', 'aci-only'];

export interface SimulationInput {
  scenario: Scenario;
  trace: Trace;
  /** @default every policy */
  policies?: readonly PolicyName[];
  /** Progress in [0, 1] with the policy running. */
  progress?: (fraction: number, policy: PolicyName) => void;
  /** Extra settings for Spillway's run (metrics, logger). */
  spillway?: Pick<SpillwayRunInput, 'metrics' | 'logger' | 'decide'>;
}

export interface SimulationResult {
  trace: { name: string; column: string; scale: number; speedup: number; seconds: number; messages: number };
  scenario: Scenario;
  unit: { aciReplicaHourUSD: number; vmReplicaHourUSD: number; slotsPerNode: number };
  bound: BoundResult;
  policies: PolicyResult[];
  /** Wall time of the whole simulation, ms. */
  wallMs: number;
}

export async function simulate(input: SimulationInput): Promise<SimulationResult> {
  const started = performance.now();
  const { scenario, trace } = input;
  const policies = input.policies ?? POLICIES;
  const perRun = loopSeconds(trace, scenario);
  const results: PolicyResult[] = [];
  for (const [i, policy] of policies.entries()) {
    const progress = (seconds: number): void =>
      input.progress?.(Math.min(1, (i + Math.min(1, seconds / perRun)) / policies.length), policy);
    const base: BaselineInput = { scenario, trace, progress };
    switch (policy) {
      case 'spillway':
        results.push(await runSpillway({ ...base, ...(input.spillway ?? {}) }));
        break;
      case 'vm-only':
        results.push(await runVmOnly(base));
        break;
      case 'keda-virtual-node':
        results.push(await runKedaVirtualNode(base));
        break;
      case 'aci-only':
        results.push(await runAciOnly(base));
        break;
    }
  }
  input.progress?.(1, policies[policies.length - 1] ?? 'spillway');
  const slots = slotsPerNode(scenario);
  return {
    trace: {
      name: trace.name,
      column: trace.column,
      scale: trace.scale,
      speedup: trace.speedup,
      seconds: trace.arrivals.length,
      messages: trace.total,
    },
    scenario,
    unit: {
      aciReplicaHourUSD: aciReplicaSecondUSD(scenario) * 3600,
      vmReplicaHourUSD: (nodeSecondUSD(scenario) * 3600) / slots,
      slotsPerNode: slots,
    },
    bound: clairvoyantBound(trace.arrivals, scenario),
    policies: results,
    wallMs: performance.now() - started,
  };
}
