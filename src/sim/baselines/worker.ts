/**
 * A worker thread that runs baselines beside Spillway's run (see simulate.ts): it gets the scenario, the
 * trace and the baselines in `workerData`, runs them one after another exactly as the main thread would,
 * and posts each result (and its progress, about 200 times per run) back — after a first `ready` once its
 * modules loaded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PolicyResult } from '../run.ts';
import { loopSeconds } from '../run.ts';
import type { Scenario } from '../scenario.ts';
import type { Trace } from '../trace.ts';
import type { BaselineName } from './index.ts';
import { runBaseline } from './index.ts';

/** What the main thread sends. */
export interface BaselineWork {
  scenario: Scenario;
  trace: Trace;
  policies: BaselineName[];
}

/** What the worker posts. */
export type BaselineMessage =
  | { kind: 'ready' }
  | { kind: 'progress'; policy: BaselineName; seconds: number }
  | { kind: 'result'; policy: BaselineName; result: PolicyResult };

const port = parentPort;
if (!port) throw new Error('src/sim/baselines/worker.ts runs as a worker thread (see simulate.ts)');
const { scenario, trace, policies } = workerData as BaselineWork;
const every = Math.max(1, Math.round(loopSeconds(trace, scenario) / 200));
const post = (message: BaselineMessage): void => port.postMessage(message);
post({ kind: 'ready' });
for (const policy of policies) {
  const result = await runBaseline(policy, {
    scenario,
    trace,
    progress: (seconds) => {
      if (seconds % every === 0) post({ kind: 'progress', policy, seconds });
    },
  });
  post({ kind: 'result', policy, result });
}
