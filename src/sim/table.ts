/**
 * The simulation's results as a text table (one row per policy, and the bound) and as JSON.
 */
import type { SimulationResult } from './simulate.ts';
import { spillwayServiceLevel } from './scenario.ts';

function money(value: number): string {
  return `$${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)}`;
}

function int(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Pads cells into aligned columns (first column left, the rest right). */
export function renderColumns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** The per-policy table `spillway simulate` prints. */
export function renderTable(result: SimulationResult): string {
  const bound = result.bound.costUSD;
  const header = [
    'policy',
    'total',
    'VM',
    'ACI',
    '÷ bound',
    'wait p50',
    'p95',
    'p99',
    'SLO s missed',
    'ACI replica-s',
    'VM node-h',
    'actions',
  ];
  const rows = result.policies.map((p) => [
    p.policy,
    money(p.cost.totalUSD),
    money(p.cost.vmUSD),
    money(p.cost.aciUSD),
    `${(p.cost.totalUSD / bound).toFixed(2)}×`,
    `${p.waits.p50} s`,
    `${p.waits.p95} s`,
    `${p.waits.p99} s`,
    int(p.sloSecondsMissed),
    int(p.aciReplicaSeconds),
    p.vmNodeHours.toFixed(1),
    int(p.actions),
  ]);
  rows.push(['clairvoyant bound', money(bound), '', '', '1.00×', '', '', '', '0', '', '', '']);
  const t = result.trace;
  const s = result.scenario;
  const lines = [
    `trace ${t.name} (${t.column}) × ${t.scale}` +
      (t.speedup !== 1 ? `, ${t.speedup}× faster` : '') +
      `: ${int(t.messages)} messages over ${(t.seconds / 3600).toFixed(2)} h; ` +
      `${s.serviceRate} msg/s per replica (${s.service}), target ${s.targetPerReplica} queued per replica, SLO ${s.sloSeconds} s queue wait` +
      (spillwayServiceLevel(s)
        ? ' (Spillway is told it: spec.burst.serviceLevel)'
        : " (Spillway is not told it: ACI follows the trigger's target)"),
    `replica ${s.replica.cpu} vCPU / ${s.replica.memoryGiB} GiB: ACI $${result.unit.aciReplicaHourUSD.toFixed(4)}/h, ` +
      `VM $${result.unit.vmReplicaHourUSD.toFixed(4)}/h (${result.unit.slotsPerNode} per ${s.node.vcpu} vCPU node at ` +
      `$${s.node.hourlyUSD}/h − ${s.node.discountPercent}%), node pool ${s.nodePool.minNodes}..${s.nodePool.maxNodes}` +
      (s.scheduler === 'MostAllocated'
        ? ', scheduler MostAllocated (packs pods; the default spreads them)'
        : ''),
    '',
  ];
  const spill = result.policies.find((p) => p.policy === 'spillway');
  const footer = spill?.timing
    ? `\nSpillway: ${int(spill.timing.ticks)} ticks, decide ${spill.timing.decideMsMean.toFixed(3)} ms mean / ${spill.timing.decideMsP99.toFixed(3)} ms p99, whole tick ${spill.timing.tickMsMean.toFixed(3)} ms mean; simulated in ${(result.wallMs / 1000).toFixed(1)} s\n`
    : `\nsimulated in ${(result.wallMs / 1000).toFixed(1)} s\n`;
  return lines.join('\n') + renderColumns(header, rows) + footer;
}

/** The JSON `spillway simulate --json` prints (series included). */
export function resultJson(result: SimulationResult): unknown {
  return {
    trace: result.trace,
    scenario: result.scenario,
    unit: result.unit,
    bound: result.bound,
    policies: result.policies.map((p) => ({ ...p, costToBound: p.cost.totalUSD / result.bound.costUSD })),
    wallMs: result.wallMs,
  };
}
