/**
 * `spillway simulate`: Spillway's real decision core, controller loop and executor on the simulated cluster
 * and ACI with a virtual clock, next to the baselines and the clairvoyant bound, over a trace.
 */
import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { PolicyName } from '../sim/run.ts';
import { defaultScenario } from '../sim/scenario.ts';
import type { Scenario } from '../sim/scenario.ts';
import { POLICIES, simulate } from '../sim/simulate.ts';
import { renderReport } from '../sim/report.ts';
import { renderTable, resultJson } from '../sim/table.ts';
import { loadTrace } from '../sim/trace.ts';

/** Where the command writes; tests pass their own. */
export interface SimulateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Draw a progress bar (stderr is a terminal). */
  tty: boolean;
}

const processIo = (): SimulateIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  tty: process.stderr.isTTY,
});

/** A parser for a number option: finite, above (or at) a minimum, optionally whole. */
export function numberOption(
  flag: string,
  min: number,
  options: { inclusive?: boolean; integer?: boolean } = {},
) {
  return (text: string): number => {
    const value = Number(text);
    const ok =
      text.trim() !== '' &&
      Number.isFinite(value) &&
      (options.inclusive ? value >= min : value > min) &&
      (!options.integer || Number.isInteger(value));
    if (!ok)
      throw new InvalidArgumentError(
        `${flag} must be ${options.integer ? 'a whole number' : 'a number'} ${options.inclusive ? '≥' : 'above'} ${min}, got "${text}"`,
      );
    return value;
  };
}

function policyList(text: string): PolicyName[] {
  const names = text.split(',').map((s) => s.trim());
  for (const name of names)
    if (!(POLICIES as readonly string[]).includes(name))
      throw new InvalidArgumentError(
        `--policies: unknown policy "${name}"; choose from ${POLICIES.join(', ')}`,
      );
  return names as PolicyName[];
}

interface SimulateOptions {
  trace: string;
  column?: string;
  scale: number;
  speedup: number;
  serviceRate?: number;
  service?: 'deterministic' | 'exponential';
  targetPerReplica?: number;
  sloSeconds?: number;
  serviceLevel?: boolean;
  from?: number;
  duration?: number;
  policies?: PolicyName[];
  seed?: number;
  discountPercent?: number;
  minNodes?: number;
  scheduler?: 'least-allocated' | 'most-allocated';
  json?: boolean;
  report?: string;
}

/** A progress bar on stderr, redrawn at most every 100 ms. */
export function progressBar(io: SimulateIo): {
  update: (fraction: number, label: string) => void;
  done: () => void;
} {
  let last = 0;
  let drawn = false;
  const draw = (fraction: number, label: string): void => {
    const width = 30;
    const filled = Math.round(fraction * width);
    io.stderr(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${label.padEnd(20)}`,
    );
    drawn = true;
  };
  return {
    update: (fraction, label) => {
      if (!io.tty) return;
      const now = performance.now();
      if (now - last < 100 && fraction < 1) return;
      last = now;
      draw(fraction, label);
    },
    done: () => {
      if (drawn) io.stderr('\r' + ' '.repeat(60) + '\r');
    },
  };
}

/** Builds the scenario from the defaults and the command's options. */
export function scenarioFrom(options: Partial<SimulateOptions>): Scenario {
  const base = defaultScenario();
  return defaultScenario({
    ...(options.serviceRate !== undefined ? { serviceRate: options.serviceRate } : {}),
    ...(options.service !== undefined ? { service: options.service } : {}),
    ...(options.targetPerReplica !== undefined ? { targetPerReplica: options.targetPerReplica } : {}),
    ...(options.sloSeconds !== undefined ? { sloSeconds: options.sloSeconds } : {}),
    ...(options.serviceLevel === false ? { serviceLevel: false } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.discountPercent !== undefined
      ? { node: { ...base.node, discountPercent: options.discountPercent } }
      : {}),
    ...(options.minNodes !== undefined ? { nodePool: { ...base.nodePool, minNodes: options.minNodes } } : {}),
    ...(options.scheduler !== undefined
      ? { scheduler: options.scheduler === 'most-allocated' ? 'MostAllocated' : 'LeastAllocated' }
      : {}),
  });
}

/** Registers `simulate` on the `spillway` program. */
export function registerSimulateCommand(program: Command, io: SimulateIo = processIo()): Command {
  return program
    .command('simulate')
    .description(
      'Replay a trace through Spillway (real decide + controller + executor on a simulated cluster and ACI), the baselines and the clairvoyant bound; print cost, waits and SLO per policy.',
    )
    .requiredOption('--trace <file>', 'CSV with a time column and a count column (see traces/README.md)')
    .option('--column <name>', 'count column (default: the first non-time column)')
    .option('--scale <k>', 'multiply every count by k', numberOption('--scale', 0), 1)
    .option('--speedup <x>', 'replay x times faster', numberOption('--speedup', 0), 1)
    .option(
      '--service-rate <r>',
      'messages per second one replica serves (default 1)',
      numberOption('--service-rate', 0),
    )
    .addOption(
      new Option('--service <kind>', 'service times: deterministic (fluid) or exponential').choices([
        'deterministic',
        'exponential',
      ]),
    )
    .option(
      '--target-per-replica <n>',
      'queued messages per replica the scalers aim for (default 30)',
      numberOption('--target-per-replica', 0),
    )
    .option('--slo-seconds <s>', 'queue-wait SLO in seconds (default 60)', numberOption('--slo-seconds', 0))
    .option(
      '--no-service-level',
      "don't tell Spillway the SLO and service rate (spec.burst.serviceLevel): ACI follows the trigger's target only",
    )
    .option(
      '--from <seconds>',
      'start of a window of the trace',
      numberOption('--from', 0, { inclusive: true }),
    )
    .option('--duration <seconds>', 'length of the window', numberOption('--duration', 0))
    .option('--policies <list>', `comma-separated subset of ${POLICIES.join(',')}`, policyList)
    .option(
      '--seed <n>',
      'seed of every random draw (default 1)',
      numberOption('--seed', 0, { inclusive: true, integer: true }),
    )
    .option(
      '--discount-percent <p>',
      'reserved-instance / savings-plan discount on VM nodes (default 0)',
      numberOption('--discount-percent', 0, { inclusive: true }),
    )
    .option(
      '--min-nodes <n>',
      'node pool minimum (default 1)',
      numberOption('--min-nodes', 0, { inclusive: true, integer: true }),
    )
    .addOption(
      new Option(
        '--scheduler <strategy>',
        "how pods are placed on nodes: least-allocated spreads (kube-scheduler's and AKS's default), most-allocated packs (a bin-packing scheduler profile)",
      ).choices(['least-allocated', 'most-allocated']),
    )
    .option('--json', 'print the results as JSON (with the chart series)')
    .option('--report <file>', 'write a self-contained HTML report with charts')
    .action(async (options: SimulateOptions) => {
      const trace = await loadTrace(options.trace, {
        ...(options.column !== undefined ? { column: options.column } : {}),
        scale: options.scale,
        speedup: options.speedup,
        ...(options.from !== undefined ? { fromSeconds: options.from } : {}),
        ...(options.duration !== undefined ? { durationSeconds: options.duration } : {}),
      });
      const scenario = scenarioFrom(options);
      const bar = progressBar(io);
      const result = await simulate({
        scenario,
        trace,
        ...(options.policies ? { policies: options.policies } : {}),
        progress: (fraction, policy) => bar.update(fraction, policy),
      });
      bar.done();
      io.stdout(options.json ? `${JSON.stringify(resultJson(result), null, 2)}\n` : renderTable(result));
      if (options.report) {
        await writeFile(options.report, renderReport(result));
        io.stderr(`report written to ${options.report}\n`);
      }
    });
}
