/**
 * One simulation: Spillway and the baselines over the same trace and scenario, plus the clairvoyant bound.
 *
 * Each policy runs in a world of its own (clock, cluster, simulated ACI, queue, seeded generators), so
 * the policies are independent: by default the baselines run on a worker thread of this process while
 * Spillway's run takes the main thread, and the results are the same as one after another.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BaselineName } from './baselines/index.ts';
import { isBaseline, runBaseline } from './baselines/index.ts';
import type { BaselineMessage, BaselineWork } from './baselines/worker.ts';
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

/** Simulated seconds of baseline runs (warm-up included) from which `parallel: 'auto'` uses a worker. */
export const PARALLEL_FROM_SECONDS = 100_000;

export interface SimulationInput {
  scenario: Scenario;
  trace: Trace;
  /** @default every policy */
  policies?: readonly PolicyName[];
  /** Progress in [0, 1] with the policy running. */
  progress?: (fraction: number, policy: PolicyName) => void;
  /** Extra settings for Spillway's run (metrics, logger). */
  spillway?: Pick<SpillwayRunInput, 'metrics' | 'logger' | 'decide'>;
  /**
   * Run the baselines on a worker thread beside Spillway's run: always (true), never (false: every policy
   * on this thread, one after another), or when it pays ('auto': Spillway and baselines both asked for,
   * a second core, and at least {@link PARALLEL_FROM_SECONDS} simulated baseline-seconds — below that the
   * worker's start-up, about half a second of loading modules, costs more than it saves). The results are
   * the same either way. @default 'auto'
   */
  parallel?: boolean | 'auto';
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
  // Progress: the mean over the policies of each one's share done.
  const shares = new Map<PolicyName, number>();
  let shareSum = 0;
  const progress = (policy: PolicyName, seconds: number): void => {
    const share = Math.min(1, seconds / perRun);
    shareSum += share - (shares.get(policy) ?? 0);
    shares.set(policy, share);
    input.progress?.(Math.min(1, shareSum / policies.length), policy);
  };
  const spillway = (): Promise<PolicyResult> =>
    runSpillway({
      scenario,
      trace,
      progress: (seconds) => progress('spillway', seconds),
      ...(input.spillway ?? {}),
    });
  const baselines = [...new Set(policies.filter(isBaseline))];
  const results = new Map<PolicyName, PolicyResult>();
  const parallel = input.parallel ?? 'auto';
  const worthIt =
    parallel === 'auto'
      ? availableParallelism() > 1 && perRun * baselines.length >= PARALLEL_FROM_SECONDS
      : parallel;
  const here = (policy: BaselineName): Promise<PolicyResult> =>
    runBaseline(policy, { scenario, trace, progress: (seconds) => progress(policy, seconds) });
  if (worthIt && policies.includes('spillway') && baselines.length > 0) {
    const worker = baselinesOnWorker({ scenario, trace, policies: baselines }, progress);
    try {
      results.set('spillway', await spillway());
    } catch (error) {
      await worker.stop();
      throw error;
    }
    const done = await worker.results;
    // A worker that could not even load its modules (a runtime that cannot run TypeScript in a worker)
    // leaves the baselines to this thread.
    for (const policy of baselines) results.set(policy, done?.get(policy) ?? (await here(policy)));
  } else {
    for (const policy of policies)
      results.set(policy, isBaseline(policy) ? await here(policy) : await spillway());
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
    policies: policies.map((policy) => results.get(policy)!),
    wallMs: performance.now() - started,
  };
}

/**
 * Runs baselines on a worker thread (src/sim/baselines/worker.ts), passing their progress on. `results`
 * settles when the worker has posted every result and exited — or with undefined when the worker failed
 * before it was ready (its modules did not load), so that the caller runs them itself.
 */
function baselinesOnWorker(
  work: BaselineWork,
  progress: (policy: PolicyName, seconds: number) => void,
): { results: Promise<Map<BaselineName, PolicyResult> | undefined>; stop: () => Promise<void> } {
  const worker = new Worker(new URL('./baselines/worker.ts', import.meta.url), { workerData: work });
  const results = new Map<BaselineName, PolicyResult>();
  let ready = false;
  const done = new Promise<Map<BaselineName, PolicyResult> | undefined>((resolve, reject) => {
    worker.on('message', (message: BaselineMessage) => {
      if (message.kind === 'ready') ready = true;
      else if (message.kind === 'progress') progress(message.policy, message.seconds);
      else results.set(message.policy, message.result);
    });
    worker.on('error', (error: Error) => (ready ? reject(error) : resolve(undefined)));
    worker.on('exit', (code) => {
      if (results.size === work.policies.length) resolve(results);
      else
        reject(
          new Error(
            `the baselines' worker thread exited (code ${code}) after ${results.size} of ${work.policies.length} runs`,
          ),
        );
    });
  });
  // Spillway's run may fail first; the worker's outcome is then not awaited.
  done.catch(() => undefined);
  return {
    results: done,
    stop: async () => {
      await worker.terminate();
    },
  };
}
