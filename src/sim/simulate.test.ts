import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { POLICIES, simulate } from './simulate.ts';
import type { SimulationResult } from './simulate.ts';
import { aciReplicaSecondUSD, defaultScenario, nodeSecondUSD } from './scenario.ts';
import { loadTrace } from './trace.ts';
import { renderReport } from './report.ts';
import { renderTable } from './table.ts';

const NASA = fileURLToPath(new URL('../../traces/nasa_http_1995-07-13_per_second.csv', import.meta.url));

describe('simulate: a 20-minute window of the NASA trace (launch morning, × 20)', () => {
  let result: SimulationResult;
  beforeAll(async () => {
    const trace = await loadTrace(NASA, { scale: 20, fromSeconds: 9 * 3600, durationSeconds: 1200 });
    result = await simulate({ scenario: defaultScenario({ warmupSeconds: 300 }), trace });
  }, 120_000);

  it('runs every policy over the same messages, and serves them all', () => {
    expect(result.policies.map((p) => p.policy)).toEqual([...POLICIES]);
    for (const p of result.policies) {
      expect(p.messages.arrived).toBeCloseTo(result.trace.messages, 6);
      // Served counts any backlog left from the warm-up too.
      expect(p.messages.served).toBeGreaterThanOrEqual(p.messages.arrived - 1e-6);
      expect(p.messages.left).toBeLessThan(1e-6);
    }
  });

  it.each(POLICIES)('%s: costs are positive and the bound is at most its cost', (name) => {
    const p = result.policies.find((x) => x.policy === name)!;
    expect(p.cost.totalUSD).toBeGreaterThan(0);
    expect(p.cost.totalUSD).toBeCloseTo(p.cost.vmUSD + p.cost.aciUSD, 9);
    expect(result.bound.costUSD).toBeGreaterThan(0);
    // ACI only has no cluster, so no node pool to pay: the bound without the pool's minimum holds for it.
    const bound = name === 'aci-only' ? result.bound.workOnlyUSD : result.bound.costUSD;
    expect(bound).toBeLessThanOrEqual(p.cost.totalUSD);
  });

  it.each(POLICIES)('%s: replica-seconds and node-hours agree with what was billed', (name) => {
    const p = result.policies.find((x) => x.policy === name)!;
    const scenario = result.scenario;
    expect(p.cost.aciUSD).toBeCloseTo(p.aciReplicaSeconds * aciReplicaSecondUSD(scenario), 6);
    expect(p.cost.vmUSD).toBeCloseTo(p.vmNodeHours * 3600 * nodeSecondUSD(scenario), 6);
    if (name === 'vm-only') expect(p.aciReplicaSeconds).toBe(0);
    if (name === 'aci-only') expect(p.vmNodeHours).toBe(0);
  });

  it('waits are ordered percentiles and the series cover the trace', () => {
    for (const p of result.policies) {
      expect(p.waits.p50).toBeLessThanOrEqual(p.waits.p95);
      expect(p.waits.p95).toBeLessThanOrEqual(p.waits.p99);
      expect(p.waits.p99).toBeLessThanOrEqual(p.waits.max);
      expect(p.series.at(-1)?.t).toBeGreaterThanOrEqual(1200);
      expect(p.series.every((s, i) => i === 0 || s.cost >= p.series[i - 1]!.cost - 1e-9)).toBe(true);
    }
  });

  it('Spillway ran its real controller: it acted and timed its ticks', () => {
    const spillway = result.policies.find((p) => p.policy === 'spillway')!;
    expect(spillway.actions).toBeGreaterThan(0);
    expect(spillway.timing?.ticks).toBeGreaterThanOrEqual((300 + 1200) / 2);
  });

  it('renders the table and a self-contained report', () => {
    const table = renderTable(result);
    for (const name of [...POLICIES, 'clairvoyant bound']) expect(table).toContain(name);
    const html = renderReport(result);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)?.length).toBe(3 + POLICIES.length);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });
});

describe('simulate: the baselines on a worker thread beside Spillway', () => {
  const window = { scale: 20, fromSeconds: 9 * 3600, durationSeconds: 600 };
  const scenario = defaultScenario({ warmupSeconds: 120 });

  it.each([{ policies: [...POLICIES] }, { policies: ['aci-only', 'spillway', 'vm-only'] as const }])(
    'gives the same results as one policy after another: $policies',
    async ({ policies }) => {
      const trace = await loadTrace(NASA, window);
      const progress: [number, string][] = [];
      const parallel = await simulate({
        scenario,
        trace,
        policies,
        parallel: true,
        progress: (f, p) => void progress.push([f, p]),
      });
      const sequential = await simulate({ scenario, trace, policies, parallel: false });
      const strip = (r: SimulationResult): unknown =>
        r.policies.map(({ timing, ...rest }) => ({ ...rest, ticks: timing?.ticks }));
      expect(parallel.policies.map((p) => p.policy)).toEqual(policies);
      expect(strip(parallel)).toEqual(strip(sequential));
      expect(progress.at(-1)?.[0]).toBe(1);
      expect(progress.every(([f], i) => i === 0 || f >= progress[i - 1]![0])).toBe(true);
      expect(new Set(progress.map(([, p]) => p))).toEqual(new Set(policies));
    },
    120_000,
  );

  it('fails with Spillway’s error, and stops the worker', async () => {
    const trace = await loadTrace(NASA, window);
    const failing = simulate({
      scenario,
      trace,
      parallel: true,
      spillway: {
        decide: () => {
          throw new Error('decide broke');
        },
      },
    });
    await expect(failing).rejects.toThrow(/Spillway's ticks failed .*decide broke/);
  }, 120_000);
});
